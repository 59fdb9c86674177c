"""Dense solving and factorization cases: solve, refinement, LU, Cholesky, LDLᵀ and QR against SciPy.

Ported from ``benchmarks/bench_solve.py``, ``bench_refine.py``,
``bench_lu_cholesky.py`` and ``bench_qr.py`` (the quick sizes are new).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np

from .. import gallery
from .._permutations import ipiv_to_perm
from . import accuracy as acc
from .registry import Case, Params, Side

FORWARD = {"forward_error": "||x - x*||_inf / ||x*||_inf against the exact x* (smaller is better)"}
LAPACK_RATIO = {"lapack_ratio": "||PA - F||_1 / (n ||A||_1 u): LAPACK's test ratio (below 30 passes)"}
QR_METRICS = {
    "orthogonality": "||I - Q^T Q||_2 (smaller is better)",
    "reconstruction": "||A - Q R||_F / ||A||_F (smaller is better)",
}


def _sl():
    import scipy.linalg

    return scipy.linalg


def _pv():
    import pivotal

    return pivotal


# ------------------------------------------------------------------ solve


def solve_problem(p: Params) -> SimpleNamespace:
    """``A = randsvd(n, kappa, mode=3)``, ``b = A x_true``; ``x*`` the accurate solution of ``A x = b``."""
    n, kappa = p["n"], p.get("kappa", 1e3)
    rng = np.random.default_rng(p.get("seed", 0))
    a = gallery.randsvd(n, kappa, 3, random_state=rng)
    b = a @ rng.standard_normal(n)
    return SimpleNamespace(a=a, b=b, x=acc.accurate_solution(a, b))


def _forward(prob: SimpleNamespace, x: Any) -> dict[str, float | None]:
    return {"forward_error": acc.forward_error(x, prob.x)}


def _first(prob: Any, out: Any) -> Any:
    return out[0]


SCIPY_SOLVE = Side("scipy.linalg.solve", lambda q: _sl().solve(q.a, q.b), "scipy")
MIXED_SIZES = tuple({"n": n, "kappa": k} for n in (2000, 4000, 6000) for k in (1e3, 1e6))


def _against_scipy_solve(
    name: str, description: str, ours: Side, quick: Params, full: tuple[Params, ...]
) -> Case:
    """A solve case: ``randsvd`` problems, float64 ``scipy.linalg.solve`` the peer, forward errors."""
    return Case(
        name=name,
        description=description,
        setup=solve_problem,
        ours=ours,
        peers=(SCIPY_SOLVE,),
        accuracy=_forward,
        metrics=FORWARD,
        quick=(quick,),
        full=full,
    )


SOLVE = _against_scipy_solve(
    "solve",
    "pivotal.solve(A, b) (LU, rcond estimate, refine='auto' check) against scipy.linalg.solve",
    Side("pivotal.solve", lambda q: _pv().solve(q.a, q.b)),
    {"n": 300},
    ({"n": 2000},),
)
SOLVE_REPORT = _against_scipy_solve(
    "solve_report",
    "pivotal.solve(A, b, return_report=True) (backward errors, FERR bound) against scipy.linalg.solve",
    Side(
        "pivotal.solve(return_report=True)",
        lambda q: _pv().solve(q.a, q.b, return_report=True),
        result=_first,
    ),
    {"n": 300},
    ({"n": 2000},),
)
SOLVE_MIXED = _against_scipy_solve(
    "solve_mixed",
    "pivotal.solve(A, b, refine='mixed') (float32 LU + refinement) against float64 scipy.linalg.solve",
    Side("pivotal.solve(refine='mixed')", lambda q: _pv().solve(q.a, q.b, refine="mixed")),
    {"n": 300, "kappa": 1e3},
    MIXED_SIZES,
)
REFINE_MIXED = _against_scipy_solve(
    "refine_mixed",
    "pivotal.refine(A, b, precision='mixed') against float64 scipy.linalg.solve",
    Side("pivotal.refine(precision='mixed')", lambda q: _pv().refine(q.a, q.b, precision="mixed")),
    {"n": 300, "kappa": 1e6},
    MIXED_SIZES,
)

# ------------------------------------------------------------------ LU, Cholesky, LDL


def _gaussian(p: Params) -> np.ndarray:
    return np.random.default_rng(p.get("seed", 0)).standard_normal((p["n"], p["n"]))


def _lu_result(a: np.ndarray, out: Any) -> dict[str, float | None]:
    lu, piv = out
    n = a.shape[0]
    ratio = acc.lu_ratio(a, np.tril(lu, -1) + np.eye(n), np.triu(lu), ipiv_to_perm(piv, n))
    return {"lapack_ratio": ratio}


LU = Case(
    name="lu",
    description="pivotal.lu_factor(A, method='kernel') (recursive LU) against scipy.linalg.lu_factor",
    setup=_gaussian,
    ours=Side(
        "pivotal.lu_factor(method='kernel')",
        lambda a: _pv().lu_factor(a, check_finite=False, method="kernel"),
    ),
    peers=(Side("scipy.linalg.lu_factor", lambda a: _sl().lu_factor(a, check_finite=False), "scipy"),),
    accuracy=_lu_result,
    metrics=LAPACK_RATIO,
    quick=({"n": 300},),
    full=({"n": 1000}, {"n": 2000}, {"n": 4000}),
)


def _spd(p: Params) -> np.ndarray:
    x = _gaussian(p)
    return x @ x.T + p["n"] * np.eye(p["n"])


CHOLESKY = Case(
    name="cholesky",
    description="pivotal.cholesky(A, method='kernel') (recursive Cholesky) against scipy.linalg.cholesky",
    setup=_spd,
    ours=Side(
        "pivotal.cholesky(method='kernel')",
        lambda a: _pv().cholesky(a, lower=True, check_finite=False, method="kernel"),
    ),
    peers=(
        Side("scipy.linalg.cholesky", lambda a: _sl().cholesky(a, lower=True, check_finite=False), "scipy"),
    ),
    accuracy=lambda a, l: {"lapack_ratio": acc.cholesky_ratio(a, l)},
    metrics=LAPACK_RATIO,
    quick=({"n": 300},),
    full=({"n": 1000}, {"n": 2000}, {"n": 4000}),
)


def _symmetric(p: Params) -> np.ndarray:
    x = _gaussian(p)
    return x + x.T


LDL = Case(
    name="ldl",
    description="pivotal.ldl(A, method='kernel') (blocked Bunch-Kaufman) against scipy.linalg.ldl",
    setup=_symmetric,
    ours=Side("pivotal.ldl(method='kernel')", lambda a: _pv().ldl(a, check_finite=False, method="kernel")),
    peers=(Side("scipy.linalg.ldl", lambda a: _sl().ldl(a, check_finite=False), "scipy"),),
    accuracy=lambda a, out: {"lapack_ratio": acc.ldl_ratio(a, out[0], out[1])},
    metrics=LAPACK_RATIO,
    quick=({"n": 200},),
    full=({"n": 1000}, {"n": 2000}),
)

# ------------------------------------------------------------------ QR


def _qr_accuracy(a: np.ndarray, qr: tuple[np.ndarray, np.ndarray]) -> dict[str, float | None]:
    q, r = qr
    return {"orthogonality": acc.orthogonality(q), "reconstruction": acc.reconstruction(a, q @ r)}


def _tall(p: Params) -> np.ndarray:
    rng = np.random.default_rng(p.get("seed", 0))
    return gallery.randsvd(p["n"], p.get("kappa", 1e3), 3, m=p["m"], random_state=rng)


QR_TALL = Case(
    name="qr_tall",
    description="pivotal.qr(A, mode='economic') (auto: CholeskyQR2 when safe) against scipy.linalg.qr, tall-skinny",
    setup=_tall,
    ours=Side("pivotal.qr(mode='economic')", lambda a: _pv().qr(a, mode="economic", check_finite=False)),
    peers=(
        Side(
            "scipy.linalg.qr(mode='economic')",
            lambda a: _sl().qr(a, mode="economic", check_finite=False),
            "scipy",
        ),
        Side("numpy.linalg.qr", np.linalg.qr, "numpy"),
    ),
    accuracy=_qr_accuracy,
    metrics=QR_METRICS,
    quick=({"m": 5000, "n": 30},),
    full=({"m": 200_000, "n": 50}, {"m": 200_000, "n": 200}, {"m": 200_000, "n": 500}),
    label=lambda p: f"{p['m']}x{p['n']}",
)


def _householder_factors(a: np.ndarray, out: Any) -> tuple[np.ndarray, np.ndarray]:
    f = _pv().QR(a, method="householder")
    return f.Q, f.R


def _scipy_economic(a: np.ndarray, out: Any) -> tuple[np.ndarray, np.ndarray]:
    return _sl().qr(a, mode="economic")


QR_SQUARE = Case(
    name="qr_square",
    description="pivotal.qr(A, mode='raw', method='householder') (blocked recursive kernel) against scipy.linalg.qr",
    setup=_gaussian,
    ours=Side(
        "pivotal.qr(mode='raw', method='householder')",
        lambda a: _pv().qr(a, mode="raw", method="householder", check_finite=False),
        result=_householder_factors,
    ),
    peers=(
        Side(
            "scipy.linalg.qr(mode='raw')",
            lambda a: _sl().qr(a, mode="raw", check_finite=False),
            "scipy",
            result=_scipy_economic,
        ),
    ),
    accuracy=_qr_accuracy,
    metrics=QR_METRICS,
    quick=({"n": 200},),
    full=({"n": 2000}, {"n": 4000}),
)

CASES = (SOLVE, SOLVE_REPORT, SOLVE_MIXED, REFINE_MIXED, LU, CHOLESKY, LDL, QR_TALL, QR_SQUARE)
