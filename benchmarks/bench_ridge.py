"""RidgeCV (leave-one-out over an alpha grid) and Ridge against scikit-learn (issue 14).

A thin wrapper over the shared cases ``ridge_cv`` and ``ridge`` of
:mod:`pivotal.bench` (the ones ``pivotal bench`` runs): scikit-learn's time,
ours, the ratio (ours / scikit-learn: below 1 means pivotal is faster), the
alpha each chose and the relative residual of each fit's normal equations
(on centred data).  Target: ``RidgeCV`` with 50 alphas on 20000 x 500 at
least 2x faster (ratio <= 0.5) with the same alpha.

Usage::

    python benchmarks/bench_ridge.py                       # 20000 x 500, 50 alphas
    python benchmarks/bench_ridge.py --n 5000 --d 200 --repeats 3
"""

from __future__ import annotations

import argparse

try:
    from _timing import machine_line, run_cases
except ImportError:  # run as a module from the repository root
    from benchmarks._timing import machine_line, run_cases


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--d", type=int, default=500)
    parser.add_argument("--alphas", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(machine_line())
    run_cases(
        {
            "ridge_cv": [{"n": args.n, "d": args.d, "alphas": args.alphas}],
            "ridge": [{"n": args.n, "d": args.d, "seed": 1}],
        },
        args.repeats,
    )


if __name__ == "__main__":
    main()
