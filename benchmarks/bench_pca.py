"""PCA(n_components, svd_solver="randomized") against scikit-learn's randomized PCA (issue 14).

A thin wrapper over the shared case ``pca`` of :mod:`pivotal.bench` (the one
``pivotal bench`` runs): scikit-learn's time, ours, the ratio (ours /
scikit-learn: below 1 means pivotal is faster) and the variance each
captured (the sum of ``explained_variance_`` over the exact top-k sum: 1 is
the maximum), timed in alternating order in one process, median of the
repeats.  Target: 50 components of 20000 x 2000 in at most 0.6x
scikit-learn's time at equal or better explained variance, on both spectra
(``fast``: sigma_i = 0.9^i, ``slow``: sigma_i = 1/sqrt(i)).

Both run with their defaults: scikit-learn centres a copy of X and runs 7
power iterations with LU normalisation (16 products with X, 60 columns);
pivotal runs a block Krylov iteration on the implicitly centred X (block
60, depth 3 to 7 chosen a posteriori: 7 to 15 products), whose route
``path_`` is printed with ``--cpu-time``.

``--threads N`` sets ``OPENBLAS_NUM_THREADS`` (and the OpenMP/MKL
equivalents) before NumPy loads, for comparisons on a shared machine;
``--cpu-time`` adds a second alternating round that reports the process
CPU time (``time.process_time``) of each side, less sensitive to other
processes than the wall time.

Usage::

    python benchmarks/bench_pca.py                     # 20000 x 2000, 50 components
    python benchmarks/bench_pca.py --repeats 5 --threads 1 --cpu-time
    python benchmarks/bench_pca.py --n 5000 --d 1000 --k 20 --repeats 3
"""

from __future__ import annotations

import argparse
import os


def _cpu_times(sizes: list[dict], repeats: int) -> None:
    """Process CPU time of both sides, alternating (forward, then backward), median of ``repeats``."""
    import statistics
    import time

    from pivotal.bench.cases_ml import PCA as CASE

    print("\nCPU time (time.process_time), alternating, median of", repeats)
    for params in sizes:
        problem = CASE.setup(params)
        sides = [CASE.ours, *CASE.peers]
        cpu: dict[str, list[float]] = {s.label: [] for s in sides}
        fitted = {}
        for side in sides:  # warm-up
            side.run(problem)
        for r in range(repeats):
            for side in sides if r % 2 == 0 else sides[::-1]:
                start = time.process_time()
                fitted[side.label] = side.run(problem)
                cpu[side.label].append(time.process_time() - start)
        ours, peer = (statistics.median(cpu[s.label]) for s in sides[:2])
        captured = {s.label: float(fitted[s.label].explained_variance_.sum()) / problem.exact for s in sides}
        print(
            f"  {CASE.label(params)}: ours {ours:.3f} s, scikit-learn {peer:.3f} s, ratio {ours / peer:.3f}; "
            f"variance captured ours {captured[sides[0].label]:.10f}, "
            f"scikit-learn {captured[sides[1].label]:.10f}"
        )
        print(f"    route: {fitted[sides[0].label].path_}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--d", type=int, default=2000)
    parser.add_argument("--k", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="BLAS threads (default: the library's)")
    parser.add_argument("--cpu-time", action="store_true", help="also report process CPU times")
    args = parser.parse_args()
    if args.threads is not None:  # before NumPy's BLAS starts its thread pool
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(args.threads)
    try:
        from _timing import machine_line, run_cases
    except ImportError:  # run as a module from the repository root
        from benchmarks._timing import machine_line, run_cases

    print(machine_line())
    sizes = [{"n": args.n, "d": args.d, "k": args.k, "decay": decay} for decay in ("fast", "slow")]
    run_cases({"pca": sizes}, args.repeats)
    if args.cpu_time:
        _cpu_times(sizes, args.repeats)


if __name__ == "__main__":
    main()
