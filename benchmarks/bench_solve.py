"""``pivotal.solve`` against ``scipy.linalg.solve`` (issue 4).

Two comparisons, each printing SciPy's time, ours, the ratio (SciPy / ours:
above 1 means pivotal is faster) and both forward errors:

* ``report``: ``solve(A, b, return_report=True)`` (factorization, rcond
  estimate, normwise and componentwise backward errors, FERR bound) and a
  plain ``solve(A, b)`` against ``scipy.linalg.solve(A, b)`` at n = 2000.
  Target: the report costs <= 1.2x SciPy's time.
* ``mixed``: ``solve(A, b, refine="mixed")`` (float32 LU + refinement to
  float64 accuracy) against ``scipy.linalg.solve`` (float64 LU) at
  n = 2000, 4000, 6000 and kappa = 1e3, 1e6.  Target: >= 1.5x faster at
  n = 4000 with equal accuracy for kappa <= 1e6.

Both sides check finiteness and estimate rcond (SciPy calls ``gecon`` to
warn about ill-conditioning), so the comparison is like for like.

Usage::

    python benchmarks/bench_solve.py report
    python benchmarks/bench_solve.py mixed --sizes 2000 4000 --repeats 5
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


def _problem(n: int, kappa: float, seed: int = 0):
    rng = np.random.default_rng(seed)
    A = pv.gallery.randsvd(n, kappa, 3, random_state=rng)
    x_true = rng.standard_normal(n)
    return A, A @ x_true, x_true


def _err(x, x_true) -> float:
    return float(np.max(np.abs(x - x_true)) / np.max(np.abs(x_true)))


def bench_report(sizes, repeats):
    print(
        f"{'n':>6} {'scipy s':>9} {'plain s':>9} {'report s':>9} {'plain/sp':>9} {'report/sp':>10} {'err scipy':>10} {'err ours':>10}"
    )
    for n in sizes:
        A, b, x_true = _problem(n, 1e3)
        t_sp, t_plain, t_rep = paired_medians(
            [
                lambda A=A, b=b: sl.solve(A, b),
                lambda A=A, b=b: pv.solve(A, b),
                lambda A=A, b=b: pv.solve(A, b, return_report=True),
            ],
            repeats,
        )
        x_sp = sl.solve(A, b)
        x, rep = pv.solve(A, b, return_report=True)
        print(
            f"{n:>6} {t_sp:>9.3f} {t_plain:>9.3f} {t_rep:>9.3f} {t_plain / t_sp:>9.2f} {t_rep / t_sp:>10.2f} "
            f"{_err(x_sp, x_true):>10.2e} {_err(x, x_true):>10.2e}"
        )
        print(
            f"       report: berr={rep.backward_error:.2e} cberr={rep.componentwise_backward_error:.2e} ferr={rep.forward_error_bound:.2e}"
        )


def bench_mixed(sizes, kappas, repeats):
    print(
        f"{'n':>6} {'kappa':>7} {'scipy s':>9} {'mixed s':>9} {'speedup':>8} {'err scipy':>10} {'err mixed':>10} {'steps':>5}"
    )
    for n in sizes:
        for kappa in kappas:
            A, b, x_true = _problem(n, kappa)
            t_sp, t_mx = paired_medians(
                [lambda A=A, b=b: sl.solve(A, b), lambda A=A, b=b: pv.solve(A, b, refine="mixed")], repeats
            )
            x_sp = sl.solve(A, b)
            x, rep = pv.solve(A, b, refine="mixed", return_report=True)
            print(
                f"{n:>6} {kappa:>7.0e} {t_sp:>9.3f} {t_mx:>9.3f} {t_sp / t_mx:>8.2f} "
                f"{_err(x_sp, x_true):>10.2e} {_err(x, x_true):>10.2e} {rep.refinement_steps:>5}"
            )


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
        bench_report(args.sizes or [2000], args.repeats)
    else:
        bench_mixed(args.sizes or [2000, 4000, 6000], args.kappas, args.repeats)


if __name__ == "__main__":
    main()
