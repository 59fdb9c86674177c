"""RidgeCV (leave-one-out over an alpha grid) and Ridge against scikit-learn (issue 14).

Prints scikit-learn's time, ours, the ratio (ours / scikit-learn: below 1
means pivotal is faster), the alphas each chose, and the agreement of the
coefficients.  Target: ``RidgeCV`` with 50 alphas on 20000 x 500 at least 2x
faster (ratio <= 0.5) with the same alpha.

Usage::

    python benchmarks/bench_ridge.py                       # 20000 x 500, 50 alphas
    python benchmarks/bench_ridge.py --n 5000 --d 200 --repeats 3
"""

from __future__ import annotations

import argparse

import numpy as np
from sklearn import linear_model

from pivotal.ml import Ridge, RidgeCV

try:
    from _timing import machine_line, paired_medians
except ImportError:  # run as a module from the repository root
    from benchmarks._timing import machine_line, paired_medians


def _problem(n: int, d: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * np.geomspace(1, 1e-2, d)  # features on different scales
    w = rng.standard_normal(d)
    return X, X @ w + 0.5 * rng.standard_normal(n)


def _rel(a, b) -> float:
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def bench_ridgecv(n: int, d: int, n_alphas: int, repeats: int) -> None:
    X, y = _problem(n, d)
    alphas = np.logspace(-6, 4, n_alphas)
    ours = lambda: RidgeCV(alphas).fit(X, y)  # noqa: E731
    theirs = lambda: linear_model.RidgeCV(alphas).fit(X, y)  # noqa: E731
    t_ours, t_theirs = paired_medians([ours, theirs], repeats)
    a, b = ours(), theirs()
    print(
        f"RidgeCV {n}x{d}, {n_alphas} alphas: scikit-learn {t_theirs:.3f} s, pivotal {t_ours:.3f} s "
        f"({a.gcv_mode_}), ratio {t_ours / t_theirs:.2f} (target <= 0.5); alpha {a.alpha_:.4g} vs "
        f"{b.alpha_:.4g} ({'same' if a.alpha_ == b.alpha_ else 'DIFFERENT'}); coef agreement "
        f"{_rel(a.coef_, b.coef_):.1e}"
    )


def bench_ridge(n: int, d: int, repeats: int) -> None:
    X, y = _problem(n, d, seed=1)
    ours = lambda: Ridge(1.0).fit(X, y)  # noqa: E731
    theirs = lambda: linear_model.Ridge(1.0).fit(X, y)  # noqa: E731
    t_ours, t_theirs = paired_medians([ours, theirs], repeats)
    a, b = ours(), theirs()
    print(
        f"Ridge {n}x{d}, alpha 1: scikit-learn {t_theirs:.3f} s, pivotal {t_ours:.3f} s ({a.solver_}), "
        f"ratio {t_ours / t_theirs:.2f}; coef agreement {_rel(a.coef_, b.coef_):.1e}"
    )


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
    bench_ridgecv(args.n, args.d, args.alphas, args.repeats)
    bench_ridge(args.n, args.d, args.repeats)


if __name__ == "__main__":
    main()
