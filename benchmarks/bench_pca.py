"""PCA(n_components, svd_solver="randomized") against scikit-learn's randomized PCA (issue 14).

A thin wrapper over the shared case ``pca`` of :mod:`pivotal.bench` (the one
``pivotal bench`` runs): scikit-learn's time, ours, the ratio (ours /
scikit-learn: below 1 means pivotal is faster) and the variance each
captured (the sum of ``explained_variance_`` over the exact top-k sum: 1 is
the maximum).  Target: 50 components of 20000 x 2000 in at most 0.6x
scikit-learn's time at equal or better explained variance.

Both run with their defaults: scikit-learn centres a copy of X and runs 7
power iterations with LU normalisation; pivotal runs :func:`pivotal.rsvd` on
the implicitly centred operator with its adaptive power iterations.

Usage::

    python benchmarks/bench_pca.py                     # 20000 x 2000, 50 components
    python benchmarks/bench_pca.py --n 5000 --d 1000 --k 20 --repeats 3
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
    parser.add_argument("--d", type=int, default=2000)
    parser.add_argument("--k", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(machine_line())
    sizes = [{"n": args.n, "d": args.d, "k": args.k, "decay": decay} for decay in ("fast", "slow")]
    run_cases({"pca": sizes}, args.repeats)


if __name__ == "__main__":
    main()
