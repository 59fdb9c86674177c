"""``method="auto"`` of the Gaussian process: exact Cholesky or matrix-free CG, by a measured cost model.

Per likelihood-and-gradient evaluation, with ``n`` points, ``m`` targets,
``t`` probes, ``p`` free hyperparameters:

- **exact** (``"cholesky"``): ``potrf`` (``n^3/3`` flops) and ``K^{-1}`` by
  ``potri`` in the factor's memory (``2 n^3 / 3``), at the machine's measured GEMM
  rate ``R``; plus three kernel passes over ``n^2`` entries (the value, and the
  gradient contraction, which recomputes ``K``'s row blocks and weighs them), at the
  measured seconds per kernel entry ``c``.  Memory ``16 n^2`` bytes (``K``, its factor
  and ``K^{-1}`` share one array; building ``K`` needs a second ``n x n`` temporary).
- **cg**: ``J`` CG iterations, each a GEMM with ``t + m`` columns
  (``2 n^2 (t + m) / R``) and, unless ``K`` is stored (``cg_options["store_kernel"]``),
  a kernel pass (``n^2 c``; a stored ``K`` costs one pass in all), plus ``p + 1``
  passes for the gradient contraction.  ``J`` is not known before solving: the model takes
  :data:`ASSUMED_ITERATIONS` (what the rank-100 pivoted-Cholesky
  preconditioner needed on the test problems, 15-60).  Memory ``O(n (t + m +
  k) + block x n)``.

``R`` and ``c`` are measured once per process (a 512 x 512 GEMM and one
kernel block of the data being fitted, a few milliseconds).  ``"cg"`` is
chosen when the exact path's memory exceeds half the physical memory, or
when its estimated time exceeds :data:`CG_ADVANTAGE` times cg's: cg's
likelihood is a stochastic estimate, so it must buy a clear speed-up.
The estimates and the reason are recorded in ``fit_report_.method_reason``.
This replaces a fixed threshold (GPyTorch's ``max_cholesky_size = 800``,
gpytorch#2354, linear_operator#116), which ignores the machine, ``d`` and the
kernel's cost.
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np

__all__ = ["ASSUMED_ITERATIONS", "CG_ADVANTAGE", "choose_method", "physical_memory"]

#: CG iterations per evaluation assumed by the cost model.
ASSUMED_ITERATIONS = 50
#: The exact path must be estimated this many times slower than cg for ``auto`` to choose cg.
CG_ADVANTAGE = 2.0

_GEMM_RATE: list[float] = []


def _gemm_rate() -> float:
    """Measured double-precision GEMM flop rate (best of 3, 512 x 512), cached per process."""
    if not _GEMM_RATE:
        a = np.random.default_rng(0).standard_normal((512, 512))
        best = np.inf
        for _ in range(3):
            t0 = time.perf_counter()
            a @ a
            best = min(best, time.perf_counter() - t0)
        _GEMM_RATE.append(2 * 512**3 / max(best, 1e-9))
    return _GEMM_RATE[0]


def _kernel_entry_seconds(kernel: Any, X: np.ndarray) -> float:
    """Seconds per kernel entry, from one row block of ``K(X, X)`` (best of 2)."""
    n = X.shape[0]
    rows = min(n, 128)
    Xs = X[: min(n, 4096)]
    best = np.inf
    for _ in range(2):
        t0 = time.perf_counter()
        kernel._rows(Xs, 0, rows)
        best = min(best, time.perf_counter() - t0)
    return best / (rows * Xs.shape[0])


def physical_memory() -> float:
    """Physical memory in bytes (``inf`` where the platform does not say)."""
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return float("inf")


def choose_method(kernel: Any, X: np.ndarray, m: int, probes: int, stored: bool = False) -> tuple[str, str]:
    """``("cholesky" | "cg", reason)`` for ``method="auto"`` (module notes); ``stored``: cg keeps ``K``."""
    n = X.shape[0]
    if not hasattr(kernel, "matmul"):
        return "cholesky", "auto: the kernel is not a pivotal.ml kernel (no matmul), so only the exact path"
    R = _gemm_rate()
    c = _kernel_entry_seconds(kernel, X)
    p = kernel.n_dims
    passes = (p + 1) * n * n * c
    exact = (n**3 / 3 + 2 * n**3 / 3) / R + 3 * n * n * c
    gemms = ASSUMED_ITERATIONS * 2 * n * n * (probes + m) / R
    cg = gemms + passes + (n * n * c if stored else ASSUMED_ITERATIONS * n * n * c)
    mem_exact = 16.0 * n * n
    mem = physical_memory()
    est = (
        f"n={n}: exact ~{exact:.3g} s and {mem_exact / 2**20:.0f} MiB per evaluation, cg ~{cg:.3g} s "
        f"({ASSUMED_ITERATIONS} iterations assumed, {probes} probes, K {'stored' if stored else 'recomputed'}; "
        f"measured GEMM {R / 1e9:.3g} GFlop/s, "
        f"{c * 1e9:.3g} ns per kernel entry)"
    )
    if mem_exact > 0.5 * mem:
        return (
            "cg",
            f"auto: cg, the exact path needs more than half the memory ({mem / 2**30:.0f} GiB); {est}",
        )
    if exact > CG_ADVANTAGE * cg:
        return "cg", f"auto: cg, estimated over {CG_ADVANTAGE:g}x faster; {est}"
    return "cholesky", f"auto: cholesky, cg not estimated {CG_ADVANTAGE:g}x faster; {est}"
