"""Mixed-precision iterative refinement against SciPy's float64 solve.

A thin wrapper over the shared case ``refine_mixed`` of :mod:`pivotal.bench`
(the one ``pivotal bench`` runs): for each size and condition number, the
median time of ``scipy.linalg.solve(A, b)`` (LAPACK ``dgesv``, float64) and
of ``pivotal.refine(A, b, precision="mixed")`` (everything included: the
scan of ``A``, the cast to float32, LAPACK ``sgetrf`` and the refinement
steps), measured alternately in the same run; the ratio pivotal/scipy
(< 1 means pivotal is faster); and both relative forward errors
``||x - x*||_inf / ||x*||_inf`` against an accurate reference solution
(float64 LU refined with long-double residuals).

Usage::

    python benchmarks/bench_refine.py                       # n = 2000 4000 6000
    python benchmarks/bench_refine.py --sizes 2000 4000 --repeats 5

Target: at least 1.5x faster than SciPy (ratio <= 0.67) at n = 4000 with
equal accuracy for ``kappa <= 1e6``.  The matrices are
``pivotal.gallery.randsvd(n, kappa, mode=3)``.
"""

from __future__ import annotations

import argparse

try:
    from _timing import machine_line, run_cases
except ImportError:  # run as a module from the repository root
    from benchmarks._timing import machine_line, run_cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 4000, 6000])
    parser.add_argument("--kappas", type=float, nargs="+", default=[1e3, 1e6])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(machine_line())
    run_cases({"refine_mixed": [{"n": n, "kappa": k} for n in args.sizes for k in args.kappas]}, args.repeats)


if __name__ == "__main__":
    main()
