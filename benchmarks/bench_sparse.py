"""Sparse direct solvers on the 2-D Laplacian: pivotal against scipy.sparse.linalg, in the same run.

Three measurements on the 5-point Laplacian of an ``m x m`` grid (``n = m**2`` unknowns):

1. ``pivotal.solve(A, b)`` (SparseCholesky: MKL PARDISO through pypardiso with the ``sparse``
   extra on x86-64, else CHOLMOD through cholespy, else SuperLU in symmetric mode) against ``scipy.sparse.linalg.spsolve(A, b)``, with the
   LAPACK-style residual ratio ``||b - A x||_1 / (||A||_1 ||x||_1 n eps)`` of both;
2. ``logdet``: time and peak resident memory (each in a fresh process: Linux's peak RSS, VmHWM,
   reset after building ``A``, minus the RSS then), for the default engine and the SuperLU route;
3. factor once, solve 100 right-hand sides: ``pivotal.factorize(A)`` + ``F.solve(B)`` against
   ``scipy.sparse.linalg.splu(A)`` + ``.solve(B)``.

Usage::

    python benchmarks/bench_sparse.py                  # m = 1000 (10^6 unknowns): minutes, GBs
    python benchmarks/bench_sparse.py --grid 300 --repeat 3

Target (issue 15): solve at m = 1000 >= 3x faster than spsolve with the ``sparse`` extra, at equal
residual.  ``pivotal.solve`` includes its once-per-factorization ``rcond`` estimate (Hager-Higham,
a few solves), which spsolve does not do; the factor-only and solve-only times are printed too.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import time

import scipy.sparse.linalg as sla

import pivotal as pv
import pivotal.sparse as pvs
from pivotal.bench.accuracy import residual_ratio as ratio
from pivotal.bench.cases_sparse import laplacian_problem

try:
    from _timing import machine_line, paired_medians, time_alternating
except ImportError:  # run as a module from the repository root
    from benchmarks._timing import machine_line, paired_medians, time_alternating


def bench_solve(m: int, repeat: int) -> None:
    prob = laplacian_problem({"m": m, "seed": 0})
    a, b, n = prob.a, prob.b, prob.a.shape[0]
    t_pv, t_sp = paired_medians([lambda: pv.solve(a, b), lambda: sla.spsolve(a, b)], repeat)
    x_pv, x_sp = pv.solve(a, b), sla.spsolve(a, b)
    # one warm-up call each: a first factorization, and the once-per-factorization rcond check
    (factor,) = time_alternating([lambda: pvs.SparseCholesky(a)], repeats=1)
    F = pvs.SparseCholesky(a)
    (solve,) = time_alternating([lambda: F.solve(b)], repeats=1)
    t_factor, t_solve = factor.median, solve.median
    print(
        f"solve n={n}: pivotal {t_pv:.3f} s (engine {F.fill.engine}; factor {t_factor:.3f} s, one solve "
        f"{t_solve:.4f} s), spsolve {t_sp:.3f} s, speed-up {t_sp / t_pv:.2f}x; residual ratio "
        f"pivotal {ratio(a, x_pv, b):.3g}, spsolve {ratio(a, x_sp, b):.3g}"
    )


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _logdet_child(m: int, engine: str, queue) -> None:
    a = laplacian_problem({"m": m}).a
    with open("/proc/self/clear_refs", "w") as fh:  # reset the peak RSS (VmHWM) to the current RSS
        fh.write("5")
    base = _status_kib("VmRSS")
    t0 = time.perf_counter()
    value = pvs.SparseCholesky(a, engine=engine).logdet()
    elapsed = time.perf_counter() - t0
    peak = _status_kib("VmHWM")
    queue.put((float(value), elapsed, (peak - base) / 1024.0))


def bench_logdet(m: int) -> None:
    ctx = mp.get_context("spawn")
    engines = ["superlu"]
    if pvs.pardiso_binding() is not None:
        engines.insert(0, "pardiso")
    if pvs.cholmod_binding() is not None:
        engines.insert(-1, "cholmod")
    for engine in engines:
        queue = ctx.Queue()
        proc = ctx.Process(target=_logdet_child, args=(m, engine, queue))
        proc.start()
        value, elapsed, mib = queue.get()
        proc.join()
        print(
            f"logdet n={m * m} engine={engine}: {value:.10g} in {elapsed:.3f} s, peak memory +{mib:.0f} MiB"
        )


def bench_many_rhs(m: int, k: int, repeat: int) -> None:
    prob = laplacian_problem({"m": m, "k": k, "seed": 1})
    a, B, n = prob.a, prob.b, prob.a.shape[0]

    def ours():
        return pv.factorize(a).solve(B)

    def scipy_lu():
        return sla.splu(a).solve(B)

    t_pv, t_sp = paired_medians([ours, scipy_lu], repeat)
    F = pv.factorize(a)
    print(
        f"factor once + {k} RHS n={n}: pivotal {t_pv:.3f} s ({type(F).__name__}, {F.fill.engine}), "
        f"splu {t_sp:.3f} s, speed-up {t_sp / t_pv:.2f}x; residual ratio pivotal {ratio(a, ours(), B):.3g}, "
        f"splu {ratio(a, scipy_lu(), B):.3g}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", type=int, default=1000, help="grid side m (n = m**2)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rhs", type=int, default=100)
    args = parser.parse_args()
    print(machine_line())
    from importlib.metadata import version

    bindings = [
        f"{name} {version(dist)}"
        for name, dist, found in (
            ("PARDISO: pypardiso", "pypardiso", pvs.pardiso_binding()),
            ("mkl", "mkl", pvs.pardiso_binding()),
            ("CHOLMOD: cholespy", "cholespy", pvs.cholmod_binding()),
        )
        if found is not None
    ]
    print("sparse bindings: " + (", ".join(bindings) or "none (SuperLU fallback)"))
    bench_solve(args.grid, args.repeat)
    bench_logdet(args.grid)
    bench_many_rhs(args.grid, args.rhs, max(1, args.repeat - 1))


if __name__ == "__main__":
    main()
