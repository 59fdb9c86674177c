"""``pivotal.solve`` against ``scipy.linalg.solve`` (issue 4).

A thin wrapper over the shared cases of :mod:`pivotal.bench` (the same ones
``pivotal bench`` runs); each row prints SciPy's time, ours, the ratio
(ours / SciPy: below 1 means pivotal is faster) and both forward errors
against an accurate solution:

* ``report``: cases ``solve`` (plain ``solve(A, b)``) and ``solve_report``
  (``solve(A, b, return_report=True)``: rcond estimate, normwise and
  componentwise backward errors, FERR bound) at n = 2000.
  Target: the report costs <= 1.2x SciPy's time.
* ``mixed``: case ``solve_mixed``, ``solve(A, b, refine="mixed")`` (float32
  LU + refinement to float64 accuracy) at n = 2000, 4000, 6000 and kappa =
  1e3, 1e6.  Target: >= 1.5x faster (ratio <= 0.67) at n = 4000 with equal
  accuracy for kappa <= 1e6.

Usage::

    python benchmarks/bench_solve.py report
    python benchmarks/bench_solve.py mixed --sizes 2000 4000 --repeats 5
"""

from __future__ import annotations

import argparse

try:
    from _timing import machine_line, run_cases
except ImportError:  # run as a module from the repository root
    from benchmarks._timing import machine_line, run_cases


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("which", choices=["report", "mixed"])
    parser.add_argument("--sizes", type=int, nargs="+")
    parser.add_argument("--kappas", type=float, nargs="+", default=[1e3, 1e6])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(machine_line())
    if args.which == "report":
        sizes = [{"n": n} for n in args.sizes or [2000]]
        run_cases({"solve": sizes, "solve_report": sizes}, args.repeats)
    else:
        sizes = [{"n": n, "kappa": k} for n in args.sizes or [2000, 4000, 6000] for k in args.kappas]
        run_cases({"solve_mixed": sizes}, args.repeats)


if __name__ == "__main__":
    main()
