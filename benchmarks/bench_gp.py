"""``pivotal.ml.GaussianProcessRegressor`` against scikit-learn's (issue 13).

Two modes:

* ``fit`` (default): the shared case ``gp`` of :mod:`pivotal.bench` (the one
  ``pivotal bench`` runs): ``fit`` with the L-BFGS-B optimiser, ARD RBF +
  White on ``d`` features, from the same start and the same restarts
  (``random_state`` fixed, so both draw the same restart points).  Time, the
  ratio ours / scikit-learn (below 1: pivotal is faster), the final log
  marginal likelihood of each; then the peak traced memory of one more fit
  each (``tracemalloc``: NumPy's allocations, not BLAS workspace).  Issue 13's target, at n = 2000 and 5000, d = 8:
  >= 3x faster at equal or better LML, peak memory <= 1/2 of scikit-learn's.
* ``components``: one LML-gradient evaluation's two expensive parts, ours
  against the alternatives: ``K^{-1}`` by LAPACK ``potrs`` on an identity overwritten in
  place (used) against ``potri`` and ``trsm(L, I)`` + ``syrk``; the blockwise gradient contraction against building
  ``dK/dtheta`` (``n x n x p``) and contracting it with ``einsum``
  (scikit-learn's way).  Median of ``--repeats`` paired runs.

Usage::

    python benchmarks/bench_gp.py fit --n 2000 --d 8 --restarts 0
    python benchmarks/bench_gp.py components --n 2000 --d 8
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np
import scipy.linalg as sl
from scipy.linalg import lapack

try:
    from _timing import machine_line, paired_medians, run_cases
except ImportError:  # run as a module from the repository root
    from benchmarks._timing import machine_line, paired_medians, run_cases

from pivotal.ml import kernels as pk


def _problem(n: int, d: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n, d))
    w = rng.standard_normal(d) / np.arange(1, d + 1)  # decaying relevance: a real ARD problem
    y = np.sin(3 * X @ w) + 0.5 * X[:, 0] ** 2 + 0.1 * rng.standard_normal(n)
    return X, y


def _timed_peak(fn):
    tracemalloc.start()
    t0 = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return out, dt, peak


def bench_fit(n: int, d: int, restarts: int) -> None:
    """The shared case ``gp`` (one timed fit each), then each side's peak traced memory."""
    from pivotal.bench.cases_ml import GP, gp_problem

    print(machine_line())
    print(f"fit with L-BFGS-B, n={n}, d={d}, ARD RBF + White, restarts={restarts}")
    run_cases({"gp": [{"n": n, "d": d, "restarts": restarts}]}, 1)
    problem = gp_problem({"n": n, "d": d, "restarts": restarts})
    _, _, m_ours = _timed_peak(lambda: GP.ours.run(problem))
    _, _, m_ref = _timed_peak(lambda: GP.peers[0].run(problem))
    print(
        f"  peak traced memory: scikit-learn {m_ref / 2**20:.1f} MiB, pivotal {m_ours / 2**20:.1f} MiB "
        f"(ratio sklearn/ours {m_ref / m_ours:.2f}x)"
    )


def bench_components(n: int, d: int, repeats: int) -> None:
    X, _ = _problem(n, d)
    k = pk.ConstantKernel(1.0) * pk.RBF(np.ones(d)) + pk.WhiteKernel(0.1)
    K = k(X)
    L = np.linalg.cholesky(K)
    W = np.random.default_rng(1).standard_normal((n, n))
    W = W + W.T

    def potri():
        Lt = np.array(L.T, order="F")  # a copy: potri overwrites the factor
        inv, _ = lapack.dpotri(Lt, lower=0, overwrite_c=1)
        return inv

    def potrs_eye():  # what the GP does: potrs on an identity it overwrites
        return lapack.dpotrs(L.T, np.eye(n, order="F"), lower=0, overwrite_b=1)[0]  # L.T: Fortran order

    def trsm_syrk():
        Li = sl.solve_triangular(L, np.eye(n), lower=True, check_finite=False)
        return sl.blas.dsyrk(1.0, Li, trans=1)

    def contraction():
        return k.contract_gradient(X, W)

    def tensor():
        _, G = k(X, eval_gradient=True)
        return np.einsum("ik,ikj->j", W, G)

    print(machine_line())
    print(f"one LML-gradient evaluation's parts, n={n}, d={d}, p={k.n_dims} (median of {repeats})")
    t_potri, t_eye, t_syrk = paired_medians([potri, potrs_eye, trsm_syrk], repeats)
    print(
        f"  K^-1: potrs(L, I) in place {t_eye:.3f} s (used), potri {t_potri:.3f} s, "
        f"trsm(L, I) + syrk {t_syrk:.3f} s"
    )
    t_con, t_ten = paired_medians([contraction, tensor], repeats)
    _, _, m_con = _timed_peak(contraction)
    _, _, m_ten = _timed_peak(tensor)
    print(
        f"  gradient: n x n x p tensor + einsum {t_ten:.3f} s (peak {m_ten / 2**20:.0f} MiB), blockwise "
        f"contraction {t_con:.3f} s (peak {m_con / 2**20:.0f} MiB), ratio {t_ten / t_con:.2f}x"
    )
    t_chol = paired_medians([lambda: np.linalg.cholesky(K)], repeats)[0]
    print(f"  for scale: one Cholesky {t_chol:.3f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mode", nargs="?", default="fit", choices=["fit", "components"])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--d", type=int, default=8)
    ap.add_argument("--restarts", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    if a.mode == "fit":
        bench_fit(a.n, a.d, a.restarts)
    else:
        bench_components(a.n, a.d, a.repeats)


if __name__ == "__main__":
    main()
