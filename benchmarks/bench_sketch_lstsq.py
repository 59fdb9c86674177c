"""Sketch-and-precondition least squares (SPIR) against direct solvers (issue 5).

Two comparisons:

* default: ``pivotal.randomized._sketch_lstsq`` (sparse sign sketch, SPIR)
  against ``scipy.linalg.lstsq`` (LAPACK gelsd), ``numpy.linalg.lstsq``
  (gelsd too, through NumPy's LAPACK) and ``pivotal.lstsq(method="qr")``
  (Householder QR) on a dense tall ``m x n`` problem with a large residual,
  for each ``kappa``.  Prints the median time of each, the speed-up over
  gelsd (gelsd's time / the solver's time) and the relative backward error
  of each solution, in units of ``u = 2^-53``.  **Target (issue 5):** at
  200000 x 500, >= 2x faster than gelsd with equal backward error.
* ``--crossover``: ``pivotal.lstsq(method="sketch")`` against the direct
  path that ``method="auto"`` takes otherwise (Householder QR + SVD of
  ``R``) over a grid of shapes; this is how ``method="auto"``'s rule in
  ``pivotal.least_squares`` was chosen.

The backward error of a solution ``x`` is the Karlson-Walden estimate
``||(A^T A + w^2 I)^{-1/2} A^T r|| / (||x|| ||A||_2)``, ``w = ||r|| / ||x||``
(within a factor sqrt(2) of the optimal backward error), with the residual
and ``A^T r`` accumulated in extended precision (``numpy.longdouble``) and
the SVD of ``A`` from its R factor (computed once, untimed).

The test matrix is ``A = G diag(sigma) V^T`` with ``G`` Gaussian (``kappa(G)
~ 1 + 2 sqrt(n/m)``), ``sigma`` geometric from 1 to ``1/kappa`` and ``V``
Haar, so ``kappa(A) ~ kappa``; ``b = A x + e`` with ``||e|| = ||A x||``.

Usage::

    python benchmarks/bench_sketch_lstsq.py                       # 100000 x 200
    python benchmarks/bench_sketch_lstsq.py --m 200000 --n 500 --repeat 3
    python benchmarks/bench_sketch_lstsq.py --crossover
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import scipy.linalg as sl

import pivotal as pv
from pivotal.randomized import sketch_lstsq

try:
    from _timing import machine_line, paired_medians
except ImportError:  # run as a module from the repository root
    from benchmarks._timing import machine_line, paired_medians

U = 2.0**-53


def make_problem(m: int, n: int, kappa: float, seed: int = 0):
    rng = np.random.default_rng(seed)
    sigma = kappa ** (-np.arange(n) / max(n - 1, 1))
    V = np.linalg.qr(rng.standard_normal((n, n)))[0]
    A = rng.standard_normal((m, n))
    A *= sigma  # in place: G diag(sigma)
    A = A @ V.T
    x = rng.standard_normal(n)
    ax = A @ x
    e = rng.standard_normal(m)
    b = ax + e * (np.linalg.norm(ax) / np.linalg.norm(e))
    return A, b


class BackwardError:
    """Karlson-Walden estimate with an exact SVD of ``A`` (computed once) and a long-double residual."""

    def __init__(self, A: np.ndarray, b: np.ndarray, block: int = 20000):
        self.A, self.b, self.block = A, b, block
        R = sl.qr(A, mode="r", check_finite=False)[0][: A.shape[1]]
        _, self.s, self.vt = np.linalg.svd(R)

    def __call__(self, x: np.ndarray) -> float:
        A, b = self.A, self.b
        xl = x.astype(np.longdouble)
        g = np.zeros(A.shape[1], dtype=np.longdouble)
        rr = np.longdouble(0)
        for i0 in range(0, A.shape[0], self.block):
            ab = A[i0 : i0 + self.block].astype(np.longdouble)
            r = b[i0 : i0 + self.block].astype(np.longdouble) - ab @ xl
            g += ab.T @ r
            rr += r @ r
        rn, xn = float(np.sqrt(rr)), float(np.linalg.norm(x))
        w = rn / xn
        z = (self.vt.astype(np.longdouble) @ g).astype(np.float64)
        return float(np.linalg.norm(z / np.sqrt(self.s**2 + w * w)) / xn) / float(self.s[0])


def bench(m: int, n: int, kappas, repeat: int, sketch_size: int | None) -> None:
    for kappa in kappas:
        t0 = time.perf_counter()
        A, b = make_problem(m, n, kappa)
        be = BackwardError(A, b)
        setup = time.perf_counter() - t0
        solvers = {
            "scipy gelsd": lambda A=A, b=b: sl.lstsq(A, b, check_finite=False)[0],
            "numpy lstsq": lambda A=A, b=b: np.linalg.lstsq(A, b, rcond=None)[0],
            "pivotal qr": lambda A=A, b=b: pv.lstsq(A, b, method="qr", check_finite=False)[0],
            "sketch_lstsq": lambda A=A, b=b: sketch_lstsq(
                A, b, sketch_size=sketch_size, random_state=0, check_finite=False
            ),
        }
        times = paired_medians(list(solvers.values()), repeat)
        _, info = sketch_lstsq(A, b, sketch_size=sketch_size, random_state=0, return_info=True)
        t_gelsd = times[0]
        print(f"{m}x{n} kappa={kappa:.0e}  (problem + reference SVD {setup:.1f}s)")
        for (name, fn), t in zip(solvers.items(), times, strict=True):
            print(
                f"  {name:13s} {t:8.3f}s  speed-up vs gelsd {t_gelsd / t:5.2f}x  "
                f"backward error {be(fn()) / U:6.2f} u"
            )
        print(
            f"  sketch_lstsq: d={info.sketch_size} iterations={info.iterations} passes={info.passes} "
            f"estimate {info.backward_error / U:.2f} u fallback={info.fallback}"
        )


def crossover(shapes, repeat: int) -> None:
    from pivotal._direct_lstsq import solve_qr_svd  # the direct path of method="auto"

    for m, n in shapes:
        A, b = make_problem(m, n, 1e6, seed=1)
        b2 = b[:, None]
        t_direct, t_sketch = paired_medians(
            [
                lambda A=A, b2=b2: solve_qr_svd(A, b2, float(np.finfo(A.dtype).eps)),
                lambda A=A, b=b: pv.lstsq(A, b, method="sketch", check_finite=False),
            ],
            repeat,
        )
        print(
            f"crossover {m:7d}x{n:4d} (m/n={m // n:5d})  QR+SVD(R) {t_direct:7.3f}s  "
            f"sketch {t_sketch:7.3f}s  speed-up {t_direct / t_sketch:5.2f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--m", type=int, default=100_000)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--kappa", type=float, nargs="+", default=[1e3, 1e8])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sketch-size", type=int, default=None)
    parser.add_argument("--crossover", action="store_true", help="time the auto rule's grid instead")
    args = parser.parse_args()
    print(machine_line())
    if args.crossover:
        shapes = [
            (m, n) for n in (20, 50, 100, 200, 500) for m in (5_000, 20_000, 50_000, 200_000) if m >= 4 * n
        ]
        crossover(shapes, args.repeat)
    else:
        bench(args.m, args.n, args.kappa, args.repeat, args.sketch_size)


if __name__ == "__main__":
    main()
