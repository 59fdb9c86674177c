"""Sketch-and-precondition least squares (SPIR) against direct solvers (issue 5).

Two comparisons:

* default: the shared case ``sketch_lstsq`` of :mod:`pivotal.bench` (the one
  ``pivotal bench`` runs): ``pivotal.sketch_lstsq`` (sparse sign sketch,
  SPIR) against ``scipy.linalg.lstsq`` (LAPACK gelsd) and
  ``numpy.linalg.lstsq`` (gelsd too, through NumPy's LAPACK) on a dense
  tall ``m x n`` problem with a large residual, for each ``kappa``.  Prints
  the median time of each, the ratio ours / peer (below 1: pivotal is
  faster) and the relative backward error of each solution, in units of
  ``u = 2^-53``.  **Target (issue 5):** at
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

import numpy as np

import pivotal as pv
from pivotal.bench.cases_lstsq import sketch_problem

try:
    from _timing import machine_line, paired_medians, run_cases
except ImportError:  # run as a module from the repository root
    from benchmarks._timing import machine_line, paired_medians, run_cases


def crossover(shapes, repeat: int) -> None:
    from pivotal._direct_lstsq import solve_qr_svd  # the direct path of method="auto"

    for m, n in shapes:
        prob = sketch_problem({"m": m, "n": n, "kappa": 1e6, "seed": 1})
        A, b = prob.a, prob.b
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
        sizes = [{"m": args.m, "n": args.n, "kappa": k, "sketch_size": args.sketch_size} for k in args.kappa]
        run_cases({"sketch_lstsq": sizes}, args.repeat)


if __name__ == "__main__":
    main()
