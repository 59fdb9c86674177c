"""PCA(n_components, svd_solver="randomized") against scikit-learn's randomized PCA (issue 14).

Prints scikit-learn's time, ours, the ratio (ours / scikit-learn: below 1
means pivotal is faster) and the explained variance each found (the sum of
``explained_variance_``: larger is better, the exact top-k sum is the
maximum).  Target: 50 components of 20000 x 2000 in at most 0.6x
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

import numpy as np
from sklearn import decomposition

from pivotal.ml import PCA

try:
    from _timing import machine_line, paired_medians
except ImportError:  # run as a module from the repository root
    from benchmarks._timing import machine_line, paired_medians


def _problem(n: int, d: int, decay: str, seed: int = 0) -> np.ndarray:
    """Data with a chosen spectrum: ``"fast"`` sigma_i = 0.9^i, ``"slow"`` sigma_i = 1/sqrt(i)."""
    rng = np.random.default_rng(seed)
    r = min(n, d)
    s = 0.9 ** np.arange(r) if decay == "fast" else 1 / np.sqrt(np.arange(1, r + 1))
    # a random low-distortion mixing: Gaussian columns scaled by the spectrum, then a random rotation
    X = rng.standard_normal((n, r)) * s
    Q, _ = np.linalg.qr(rng.standard_normal((d, r)))
    return X @ Q.T + 3.0


def bench(n: int, d: int, k: int, decay: str, repeats: int) -> None:
    X = _problem(n, d, decay)
    ours = lambda: PCA(k, svd_solver="randomized", random_state=0).fit(X)  # noqa: E731
    theirs = lambda: decomposition.PCA(k, svd_solver="randomized", random_state=0).fit(X)  # noqa: E731
    t_ours, t_theirs = paired_medians([ours, theirs], repeats)
    a, b = ours(), theirs()
    ea, eb = float(a.explained_variance_.sum()), float(b.explained_variance_.sum())
    print(
        f"PCA({k}) {n}x{d}, {decay} decay: scikit-learn {t_theirs:.2f} s, pivotal {t_ours:.2f} s, ratio "
        f"{t_ours / t_theirs:.2f} (target <= 0.6); explained variance pivotal {ea:.8g}, scikit-learn {eb:.8g} "
        f"({'equal or better' if ea >= eb * (1 - 1e-12) else 'WORSE'})"
    )


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
    for decay in ("fast", "slow"):
        bench(args.n, args.d, args.k, decay, args.repeats)


if __name__ == "__main__":
    main()
