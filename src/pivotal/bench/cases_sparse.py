"""Sparse direct solvers on the 2-D Laplacian: ``pivotal.solve`` and ``factorize`` against SciPy.

The cases of ``benchmarks/bench_sparse.py`` (which adds the log-determinant's time and memory, each
in a fresh process).  Issue 15's target is ``solve`` at 10^6 unknowns (``m = 1000``) >= 3x faster
than ``spsolve`` with the ``sparse`` extra; the full suite stops at ``m = 500`` to stay in minutes.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from . import accuracy as acc
from .registry import Case, Params, Side


def _pv():
    import pivotal

    return pivotal


def _sla():
    import scipy.sparse.linalg

    return scipy.sparse.linalg


def laplacian_problem(p: Params) -> SimpleNamespace:
    """The 5-point Laplacian of an ``m x m`` grid (CSC) and ``k`` standard normal right-hand sides."""
    import scipy.sparse as sp

    m, k = p["m"], p.get("k", 1)
    t = sp.diags_array([-1.0, 2.0, -1.0], offsets=[-1, 0, 1], shape=(m, m))
    eye = sp.eye_array(m)
    a = sp.csc_array(sp.kron(eye, t) + sp.kron(t, eye))
    b = np.random.default_rng(p.get("seed", 0)).standard_normal((m * m, k) if k > 1 else m * m)
    return SimpleNamespace(a=a, b=b)


def _residual(prob: SimpleNamespace, x: np.ndarray) -> dict[str, float | None]:
    return {"residual_ratio": acc.residual_ratio(prob.a, x, prob.b)}


_METRICS = {
    "residual_ratio": "||b - A x||_1 / (||A||_1 ||x||_1 n u): LAPACK's solve test ratio (below 30 passes)"
}

SPARSE_SOLVE = Case(
    name="sparse_solve",
    description="pivotal.solve on a sparse SPD matrix (SparseCholesky: PARDISO, CHOLMOD or SuperLU) "
    "against scipy.sparse.linalg.spsolve",
    setup=laplacian_problem,
    ours=Side("pivotal.solve", lambda q: _pv().solve(q.a, q.b, check_finite=False)),
    peers=(Side("scipy.sparse.linalg.spsolve", lambda q: _sla().spsolve(q.a, q.b), "scipy"),),
    accuracy=_residual,
    metrics=_METRICS,
    quick=({"m": 100},),
    full=({"m": 300}, {"m": 500}),
    label=lambda p: f"{p['m']}^2 grid",
)

SPARSE_MANY_RHS = Case(
    name="sparse_many_rhs",
    description="pivotal.factorize(A).solve(B) for many right-hand sides against "
    "scipy.sparse.linalg.splu(A).solve(B)",
    setup=laplacian_problem,
    ours=Side("pivotal.factorize + solve", lambda q: _pv().factorize(q.a, check_finite=False).solve(q.b)),
    peers=(Side("scipy.sparse.linalg.splu + solve", lambda q: _sla().splu(q.a).solve(q.b), "scipy"),),
    accuracy=_residual,
    metrics=_METRICS,
    quick=({"m": 60, "k": 20},),
    full=({"m": 300, "k": 100},),
    label=lambda p: f"{p['m']}^2 grid, {p['k']} RHS",
)

CASES = (SPARSE_SOLVE, SPARSE_MANY_RHS)
