"""Our blocked LU (partial pivoting) and Cholesky kernels against SciPy's LAPACK.

The comparisons are the shared cases ``lu``, ``cholesky`` and ``ldl`` of
:mod:`pivotal.bench` (the ones ``pivotal bench`` runs): for each size, the
median time of SciPy's routine and of our kernel (``method="kernel"``)
measured in the same run, their ratio (ours / SciPy), and the LAPACK-style
accuracy ``||PA - F||_1 / (n ||A||_1 u)`` of both.  Then the GFLOP/s of
``block_size=1`` (the textbook BLAS-2 algorithm) against the blocked and
recursive variants (ours only: no peer).

Usage::

    python benchmarks/bench_lu_cholesky.py            # n = 1000 2000 4000
    python benchmarks/bench_lu_cholesky.py --sizes 500 1000 --repeat 3

Target (issue 2): our kernel within 1.25x of SciPy at n = 4000.  LDL (Bunch-Kaufman)
is reported for n <= 2000 (no target).
"""

from __future__ import annotations

import argparse

import numpy as np

import pivotal as pv

try:
    from _timing import machine_line, paired_medians, run_cases
except ImportError:  # run as a module from the repository root
    from benchmarks._timing import machine_line, paired_medians, run_cases


def bench_blocking(n: int, repeat: int, rng) -> None:
    A = rng.standard_normal((n, n))
    S = A @ A.T + n * np.eye(n)
    flops_lu, flops_chol = 2 * n**3 / 3, n**3 / 3
    for label, bs in (("block_size=1 ", 1), ("block_size=64", 64), ("recursive    ", None)):
        t_lu, t_ch = paired_medians(
            [
                lambda bs=bs: pv.lu_factor(A, method="kernel", block_size=bs),
                lambda bs=bs: pv.cholesky(S, method="kernel", block_size=bs),
            ],
            repeat,
        )
        print(
            f"blocking  n={n:5d}  {label}  LU {flops_lu / t_lu / 1e9:7.2f} GFLOP/s   "
            f"Cholesky {flops_chol / t_ch / 1e9:7.2f} GFLOP/s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000, 4000])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--blocking-size", type=int, default=1000)
    args = parser.parse_args()
    print(machine_line())
    sizes = [{"n": n} for n in args.sizes]
    run_cases(
        {"lu": sizes, "cholesky": sizes, "ldl": [s for s in sizes if s["n"] <= 2000]},
        args.repeat,
    )
    bench_blocking(args.blocking_size, max(1, args.repeat // 2), np.random.default_rng(0))


if __name__ == "__main__":
    main()
