"""Our blocked LU (partial pivoting) and Cholesky kernels against SciPy's LAPACK.

Prints, for each size, the median time of SciPy's routine and of our kernel
(``method="kernel"``) measured in the same run, their ratio, and the
LAPACK-style accuracy of both.  Also the GFLOP/s of ``block_size=1`` (the
textbook BLAS-2 algorithm) against the blocked and recursive variants.

Usage::

    python benchmarks/bench_lu_cholesky.py            # n = 1000 2000 4000
    python benchmarks/bench_lu_cholesky.py --sizes 500 1000 --repeat 3

Target (issue 2): our kernel within 1.25x of SciPy at n = 4000.  LDL (Bunch-Kaufman)
is reported for n <= 2000 (no target).
"""

from __future__ import annotations

import argparse

import numpy as np
import scipy.linalg as sl

import pivotal as pv

try:
    from _timing import machine_line, paired_medians
except ImportError:  # run as a module from the repository root
    from benchmarks._timing import machine_line, paired_medians


def _lu_ratio(A, L, U, perm) -> float:
    n = A.shape[0]
    u = np.finfo(A.dtype).eps / 2
    return float(np.abs(A[perm] - L @ U).sum(axis=0).max() / (n * np.abs(A).sum(axis=0).max() * u))


def _chol_ratio(A, L) -> float:
    n = A.shape[0]
    u = np.finfo(A.dtype).eps / 2
    return float(np.abs(A - L @ L.T).sum(axis=0).max() / (n * np.abs(A).sum(axis=0).max() * u))


def bench_lu(n: int, repeat: int, rng) -> None:
    A = rng.standard_normal((n, n))
    t_scipy, t_ours = paired_medians(
        [
            lambda: sl.lu_factor(A, check_finite=False),
            lambda: pv.lu_factor(A, check_finite=False, method="kernel"),
        ],
        repeat,
    )
    lu_s, piv_s = sl.lu_factor(A)
    F = pv.LU(A, method="kernel")
    perm_s = pv._permutations.ipiv_to_perm(piv_s, n)
    acc_s = _lu_ratio(A, np.tril(lu_s, -1) + np.eye(n), np.triu(lu_s), perm_s)
    acc_o = _lu_ratio(A, F.L, F.U, F.p)
    print(
        f"LU        n={n:5d}  scipy {t_scipy:8.3f}s  pivotal {t_ours:8.3f}s  "
        f"ratio {t_ours / t_scipy:5.2f}  accuracy scipy {acc_s:8.2g} pivotal {acc_o:8.2g}"
    )


def bench_cholesky(n: int, repeat: int, rng) -> None:
    X = rng.standard_normal((n, n))
    A = X @ X.T + n * np.eye(n)
    t_scipy, t_ours = paired_medians(
        [
            lambda: sl.cholesky(A, lower=True, check_finite=False),
            lambda: pv.cholesky(A, lower=True, check_finite=False, method="kernel"),
        ],
        repeat,
    )
    acc_s = _chol_ratio(A, sl.cholesky(A, lower=True))
    acc_o = _chol_ratio(A, pv.cholesky(A, lower=True, method="kernel"))
    print(
        f"Cholesky  n={n:5d}  scipy {t_scipy:8.3f}s  pivotal {t_ours:8.3f}s  "
        f"ratio {t_ours / t_scipy:5.2f}  accuracy scipy {acc_s:8.2g} pivotal {acc_o:8.2g}"
    )


def bench_ldl(n: int, repeat: int, rng) -> None:
    X = rng.standard_normal((n, n))
    A = X + X.T
    t_scipy, t_ours = paired_medians(
        [lambda: sl.ldl(A, check_finite=False), lambda: pv.ldl(A, check_finite=False, method="kernel")],
        repeat,
    )
    u = np.finfo(A.dtype).eps / 2

    def ratio(lu, d):
        return float(np.abs(A - lu @ d @ lu.T).sum(axis=0).max() / (n * np.abs(A).sum(axis=0).max() * u))

    acc_s = ratio(*sl.ldl(A)[:2])
    acc_o = ratio(*pv.ldl(A, method="kernel")[:2])
    print(
        f"LDL       n={n:5d}  scipy {t_scipy:8.3f}s  pivotal {t_ours:8.3f}s  "
        f"ratio {t_ours / t_scipy:5.2f}  accuracy scipy {acc_s:8.2g} pivotal {acc_o:8.2g}"
    )


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
    rng = np.random.default_rng(0)
    print(machine_line())
    for n in args.sizes:
        bench_lu(n, args.repeat, rng)
        bench_cholesky(n, args.repeat, rng)
        if n <= 2000:
            bench_ldl(n, args.repeat, rng)
    bench_blocking(args.blocking_size, max(1, args.repeat // 2), rng)


if __name__ == "__main__":
    main()
