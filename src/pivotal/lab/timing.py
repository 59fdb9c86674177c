"""Timing helpers shared by the experiments: best-of-rounds wall times, and the BLAS held to one thread.

Timings on a shared machine are noisy: a variant is timed several times and
its best time kept (a load spike only ever makes a run slower), and variants
compared with each other are timed in interleaved rounds, so that a spike
hits them alike.  Oversubscribed BLAS threads make small timings erratic, so
the experiments that time kernels run the BLAS on one thread where
threadpoolctl (in the ``lab`` extra) is installed.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

import numpy as np

__all__ = ["best_time", "best_times", "one_blas_thread"]


def best_times(funcs: dict[str, Callable[[], object]], rounds: int, budget: float = 0.0) -> dict[str, float]:
    """Best wall time of each function over interleaved rounds (load spikes hit every variant alike).

    At least ``rounds`` rounds, and more (up to ``10 * rounds``) while the rounds so far took less than
    ``budget`` seconds: short timings need many tries to find one without a preemption.

    Examples
    --------
    >>> t = best_times({"sum": lambda: sum(range(1000)), "max": lambda: max(range(1000))}, rounds=3)
    >>> sorted(t), all(s >= 0.0 for s in t.values())  # perf_counter is monotonic
    (['max', 'sum'], True)
    """
    best = dict.fromkeys(funcs, np.inf)
    start, done = time.perf_counter(), 0
    while done < rounds or (done < 10 * rounds and time.perf_counter() - start < budget):
        for name, f in funcs.items():
            t0 = time.perf_counter()
            f()
            best[name] = min(best[name], time.perf_counter() - t0)
        done += 1
    return best


def best_time(fn: Callable[[], object], rounds: int, *, warm_up: bool = False) -> float:
    """Best wall time of ``fn`` over ``rounds`` calls; ``warm_up``: one untimed call first (imports, caches).

    Examples
    --------
    >>> calls = []
    >>> t = best_time(lambda: calls.append(1), 3, warm_up=True)
    >>> len(calls), t >= 0.0  # one warm-up call and three timed ones
    (4, True)
    """
    if warm_up:
        fn()
    return best_times({"fn": fn}, rounds)["fn"]


def one_blas_thread() -> tuple[contextlib.AbstractContextManager, bool]:
    """``(context, limited)``: a context that runs the BLAS on one thread, and whether it can.

    ``limited`` is ``False`` where threadpoolctl is not installed; the context then does nothing.

    Examples
    --------
    >>> limit, limited = one_blas_thread()
    >>> with limit:
    ...     pass
    >>> isinstance(limited, bool)
    True
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext(), False
    return threadpool_limits(limits=1, user_api="blas"), True
