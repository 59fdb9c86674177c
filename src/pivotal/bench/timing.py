"""Timing for the benchmark suite: warm-up, alternating repeats, median and spread.

Every comparison times our callable and the peers' in one process, in
alternating order (forward on even repetitions, backward on odd ones), after
one untimed warm-up call each.  Large temporaries make whichever call follows
another's ``free`` pay for fresh page faults; alternating spreads that cost
evenly.  Summaries are the median and the spread (interquartile range), never
the mean: a shared machine's outliers are one-sided.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .._machine import blas_info, cpu_model


@dataclass(frozen=True)
class Timing:
    """The timed repetitions of one callable and their summary.

    Attributes
    ----------
    times : tuple of float
        The seconds of each timed repetition (the warm-up excluded).

    Examples
    --------
    >>> t = Timing((0.3, 0.1, 0.2, 0.4))
    >>> t.median, t.min, t.max
    (0.25, 0.1, 0.4)
    >>> round(t.iqr, 3)
    0.15
    """

    times: tuple[float, ...]

    def __post_init__(self) -> None:
        if not self.times:
            raise ValueError("Timing needs at least one repetition; pass repeats >= 1.")

    @property
    def median(self) -> float:
        """The median time in seconds."""
        return float(statistics.median(self.times))

    @property
    def min(self) -> float:
        """The fastest repetition in seconds."""
        return float(min(self.times))

    @property
    def max(self) -> float:
        """The slowest repetition in seconds."""
        return float(max(self.times))

    @property
    def iqr(self) -> float:
        """The interquartile range in seconds (0 for fewer than two repetitions)."""
        if len(self.times) < 2:
            return 0.0
        q = statistics.quantiles(self.times, n=4, method="inclusive")
        return float(q[2] - q[0])


def time_alternating(fns: Sequence[Callable[[], object]], repeats: int, warmup: int = 1) -> list[Timing]:
    """Time several callables in alternating order in one process.

    Parameters
    ----------
    fns : sequence of callables
        Each is called with no arguments; its result is discarded.
    repeats : int
        Timed repetitions of each (at least 1).
    warmup : int, default 1
        Untimed calls of each before the timed ones.

    Returns
    -------
    list of Timing
        One per callable, in the order given.

    Examples
    --------
    >>> [len(t.times) for t in time_alternating([lambda: None, lambda: None], repeats=3)]
    [3, 3]
    """
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}.")
    for _ in range(warmup):
        for fn in fns:
            fn()
    times: list[list[float]] = [[] for _ in fns]
    for rep in range(repeats):
        order = range(len(fns)) if rep % 2 == 0 else reversed(range(len(fns)))
        for i in order:
            t0 = time.perf_counter()
            fns[i]()
            times[i].append(time.perf_counter() - t0)
    return [Timing(tuple(t)) for t in times]


def paired_medians(fns: Sequence[Callable[[], object]], repeat: int) -> list[float]:
    """Median times of several callables timed in alternating order (one warm-up call each).

    Examples
    --------
    >>> len(paired_medians([lambda: None, lambda: None], 2))
    2
    """
    return [t.median for t in time_alternating(fns, repeat)]


def blas_line() -> str:
    """The BLAS libraries in use, their kernel (OpenBLAS ``architecture``) and threads, as one line."""
    infos = blas_info()
    return "BLAS: " + "; ".join(
        f"{b['library']} {b['api']} {b['version']} kernel {b['kernel']} threads {b['threads']}" for b in infos
    )


def load_average() -> list[float] | None:
    """The 1, 5 and 15 minute load averages, or None where the system has none."""
    if not hasattr(os, "getloadavg"):
        return None
    return [float(x) for x in os.getloadavg()]


def load_line() -> str:
    """The load averages as one line (figures under load are indicative only)."""
    load = load_average()
    return "load average: " + ("n/a" if load is None else " ".join(f"{x:.2f}" for x in load))


def machine_info() -> dict[str, object]:
    """The machine, the library versions, the BLAS and the load, as a JSON-ready dictionary."""
    import numpy as np
    import scipy

    from .. import __version__ as pivotal_version

    return {
        "machine": platform.machine(),
        "cpu": cpu_model(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "pivotal": pivotal_version,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "blas": blas_info(),
        "load_average": load_average(),
    }


def machine_line() -> str:
    """One line describing the machine, the library versions, the BLAS kernel and the load."""
    import numpy as np
    import scipy

    return (
        f"machine: {platform.machine()} {os.cpu_count()} cpus ({cpu_model()}), python "
        f"{platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}; "
        f"{blas_line()}; {load_line()}"
    )
