"""QR and least squares against SciPy (issue 3).

Three comparisons, each printing SciPy's time, ours, the ratio and both accuracies:

* ``tall``: tall-skinny ``m = 200000``, ``n in {50, 200, 500}``:
  ``pivotal.qr(mode="economic")`` (``method="auto"``, which picks CholeskyQR2
  for well-conditioned input after checking) against
  ``scipy.linalg.qr(mode="economic")``.  Target: >= 2x faster at n = 200 with
  ``||I - Q^T Q|| <= 1e-13`` and ``||A - QR|| / ||A|| <= 1e-13``.
* ``square``: our blocked Householder kernel (``method="householder"``,
  ``mode="raw"``) against ``scipy.linalg.qr(mode="raw")`` at n = 2000, 4000.
  Target: <= 1.3x SciPy's time.
* ``lstsq``: ``pivotal.lstsq`` (``method="auto"``: Householder QR + SVD of R)
  against ``scipy.linalg.lstsq`` (gelsd) on tall problems: time, relative
  error against the exact solution, and relative backward error.

Usage::

    python benchmarks/bench_qr.py tall
    python benchmarks/bench_qr.py square --sizes 2000 4000
    python benchmarks/bench_qr.py lstsq
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


def _orth(Q: np.ndarray) -> float:
    return float(np.linalg.norm(np.eye(Q.shape[1]) - Q.T @ Q, 2))


def _resid(A: np.ndarray, Q: np.ndarray, R: np.ndarray) -> float:
    return float(np.linalg.norm(A - Q @ R) / np.linalg.norm(A))


def bench_tall(sizes, m: int, repeat: int, kappa: float) -> None:
    rng = np.random.default_rng(0)
    for n in sizes:
        A = pv.gallery.randsvd(n, kappa, 3, m=m, random_state=rng)
        t_s, t_o = paired_medians(
            [
                lambda A=A: sl.qr(A, mode="economic", check_finite=False),
                lambda A=A: pv.qr(A, mode="economic", check_finite=False),
            ],
            repeat,
        )
        Qs, Rs = sl.qr(A, mode="economic")
        F = pv.QR(A)
        Qo, Ro = F.Q, F.R
        print(
            f"tall   m={m} n={n:4d} kappa={kappa:.0e}  scipy {t_s:7.3f}s  pivotal {t_o:7.3f}s "
            f"speed-up {t_s / t_o:5.2f}x  [{F.algorithm}]  "
            f"orth scipy {_orth(Qs):.1e} pivotal {_orth(Qo):.1e}  "
            f"resid scipy {_resid(A, Qs, Rs):.1e} pivotal {_resid(A, Qo, Ro):.1e}"
        )


def bench_square(sizes, repeat: int) -> None:
    rng = np.random.default_rng(1)
    for n in sizes:
        A = rng.standard_normal((n, n))
        t_s, t_o = paired_medians(
            [
                lambda A=A: sl.qr(A, mode="raw", check_finite=False),
                lambda A=A: pv.qr(A, mode="raw", method="householder", check_finite=False),
            ],
            repeat,
        )
        Fo = pv.QR(A, method="householder")
        Qs, Rs = sl.qr(A, mode="economic")
        print(
            f"square n={n:5d}  scipy {t_s:7.3f}s  pivotal {t_o:7.3f}s  ratio {t_o / t_s:5.2f}  "
            f"orth scipy {_orth(Qs):.1e} pivotal {_orth(Fo.Q):.1e}  "
            f"resid scipy {_resid(A, Qs, Rs):.1e} pivotal {_resid(A, Fo.Q, Fo.R):.1e}"
        )


def bench_lstsq(shapes, repeat: int, kappa: float) -> None:
    rng = np.random.default_rng(2)
    for m, n in shapes:
        A = pv.gallery.randsvd(n, kappa, 3, m=m, random_state=rng)
        x_true = rng.standard_normal(n)
        b = A @ x_true + 1e-6 * rng.standard_normal(m)
        x_ref = np.linalg.lstsq(A, b, rcond=None)[0]
        t_s, t_o = paired_medians(
            [
                lambda A=A, b=b: sl.lstsq(A, b, check_finite=False),
                lambda A=A, b=b: pv.lstsq(A, b, check_finite=False),
            ],
            repeat,
        )
        xs = sl.lstsq(A, b)[0]
        xo = pv.lstsq(A, b)[0]

        def berr(x, A=A, b=b):
            r = b - A @ x
            return float(np.linalg.norm(A.T @ r) / (np.linalg.norm(A, 2) ** 2 * np.linalg.norm(x)))

        def ferr(x, x_ref=x_ref):
            return float(np.linalg.norm(x - x_ref) / np.linalg.norm(x_ref))

        print(
            f"lstsq  {m}x{n} kappa={kappa:.0e}  scipy(gelsd) {t_s:7.3f}s  pivotal {t_o:7.3f}s  "
            f"speed-up {t_s / t_o:5.2f}x  normal-eq residual scipy {berr(xs):.1e} pivotal {berr(xo):.1e}  "
            f"diff to numpy scipy {ferr(xs):.1e} pivotal {ferr(xo):.1e}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("which", choices=["tall", "square", "lstsq", "all"], default="all", nargs="?")
    parser.add_argument("--sizes", type=int, nargs="+", default=None)
    parser.add_argument("--m", type=int, default=200_000)
    parser.add_argument("--kappa", type=float, default=1e3)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(machine_line())
    if args.which in ("tall", "all"):
        bench_tall(args.sizes or [50, 200, 500], args.m, args.repeat, args.kappa)
    if args.which in ("square", "all"):
        bench_square(args.sizes or [2000, 4000], args.repeat)
    if args.which in ("lstsq", "all"):
        bench_lstsq([(200_000, 50), (100_000, 200), (20_000, 500)], args.repeat, args.kappa)


if __name__ == "__main__":
    main()
