"""Mixed-precision iterative refinement against SciPy's float64 solve.

Prints, for each size and condition number, the median time of
``scipy.linalg.solve(A, b)`` (LAPACK ``dgesv``, float64) and of
``pivotal.refine(A, b, precision="mixed")`` (everything included: the scan
of ``A``, the cast to float32, LAPACK ``sgetrf`` and the refinement steps),
measured alternately in the same run; the ratio scipy/pivotal (> 1 means
pivotal is faster); both relative forward errors ``||x - x*||_inf / ||x*||_inf``
against an accurate reference solution; and the refinement report.

Usage::

    python benchmarks/bench_refine.py                       # n = 2000 4000 6000
    python benchmarks/bench_refine.py --sizes 2000 4000 --repeats 5

Target: at least 1.5x faster than SciPy at n = 4000 with equal accuracy for
``kappa <= 1e6``.  The matrices are ``pivotal.gallery.randsvd(n, kappa,
mode=3)`` (geometrically distributed singular values, ``kappa_2 = kappa``).
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


def reference_solution(A, b, steps: int = 3):
    """``x*`` to about 1e-20 relative: float64 LU refined with compensated (Dot2) residuals."""
    from pivotal.refine import _compensated_residual

    lu = sl.lu_factor(A)
    x = sl.lu_solve(lu, b)[:, None]
    lo = np.zeros_like(x)
    for _ in range(steps):
        # r = b - A (x + lo), with x + lo a double-double; A lo is small, so float64 suffices for it.
        r = _compensated_residual(A, x, b[:, None]) - A @ lo
        d = sl.lu_solve(lu, r)
        s = x + (lo + d)
        lo = (lo + d) - (s - x)
        x = s
    return x[:, 0]


def forward_error(x, x_ref) -> float:
    return float(np.max(np.abs(x - x_ref)) / np.max(np.abs(x_ref)))


def bench(n: int, kappa: float, repeats: int) -> None:
    A = pv.gallery.randsvd(n, kappa, mode=3, random_state=n)
    b = np.random.default_rng(n).standard_normal(n)
    t_scipy, t_ours = paired_medians(
        [lambda: sl.solve(A, b), lambda: pv.refine(A, b, precision="mixed")], repeats
    )
    x_ref = reference_solution(A, b)
    x_s = sl.solve(A, b)
    x_o, rep = pv.refine(A, b, precision="mixed", return_report=True)
    print(
        f"n={n:5d} kappa={kappa:7.0e}  scipy {t_scipy:7.3f}s  pivotal {t_ours:7.3f}s  "
        f"ratio {t_scipy / t_ours:5.2f}  forward error scipy {forward_error(x_s, x_ref):8.2g} "
        f"pivotal {forward_error(x_o, x_ref):8.2g}  ({rep.factor_dtype}, {rep.steps} steps, "
        f"backward error {rep.backward_errors[-1]:.2g}, fallback={rep.fallback is not None})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 4000, 6000])
    parser.add_argument("--kappas", type=float, nargs="+", default=[1e3, 1e6])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(machine_line())
    for n in args.sizes:
        for kappa in args.kappas:
            bench(n, kappa, args.repeats)


if __name__ == "__main__":
    main()
