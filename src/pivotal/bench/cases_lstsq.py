"""Least squares, rank-revealing and randomized cases: lstsq, sketch_lstsq, rqrcp and rsvd.

Ported from ``benchmarks/bench_qr.py`` (lstsq), ``bench_sketch_lstsq.py``,
``bench_rqrcp.py`` and ``bench_rsvd.py``.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np

from .. import gallery
from . import accuracy as acc
from .registry import Case, Params, Side


def _sl():
    import scipy.linalg

    return scipy.linalg


def _pv():
    import pivotal

    return pivotal


def _first(prob: Any, out: Any) -> Any:
    return out[0]


# ------------------------------------------------------------------ lstsq


def lstsq_problem(p: Params) -> SimpleNamespace:
    """``A = randsvd(n, kappa, m=m)``, ``b = A x + 1e-6`` noise; the reference is NumPy's gelsd solution."""
    m, n = p["m"], p["n"]
    rng = np.random.default_rng(p.get("seed", 2))
    a = gallery.randsvd(n, p.get("kappa", 1e3), 3, m=m, random_state=rng)
    b = a @ rng.standard_normal(n) + 1e-6 * rng.standard_normal(m)
    return SimpleNamespace(a=a, b=b, x_ref=np.linalg.lstsq(a, b, rcond=None)[0])


def _lstsq_accuracy(prob: SimpleNamespace, x: np.ndarray) -> dict[str, float | None]:
    return {
        "normal_eq_residual": acc.normal_equation_residual(prob.a, prob.b, x),
        "diff_to_numpy": acc.relative_difference(x, prob.x_ref),
    }


LSTSQ = Case(
    name="lstsq",
    description="pivotal.lstsq(A, b) (auto: Householder QR + SVD of R) against scipy.linalg.lstsq (gelsd)",
    setup=lstsq_problem,
    ours=Side("pivotal.lstsq", lambda q: _pv().lstsq(q.a, q.b, check_finite=False), result=_first),
    peers=(
        Side(
            "scipy.linalg.lstsq (gelsd)", lambda q: _sl().lstsq(q.a, q.b, check_finite=False), "scipy", _first
        ),
    ),
    accuracy=_lstsq_accuracy,
    metrics={
        "normal_eq_residual": "||A^T (b - A x)|| / (||A||_2^2 ||x||), a backward-error measure (smaller is better)",
        "diff_to_numpy": "||x - x_numpy|| / ||x_numpy||, the distance to numpy.linalg.lstsq's solution",
    },
    quick=({"m": 5000, "n": 30},),
    full=({"m": 200_000, "n": 50}, {"m": 100_000, "n": 200}, {"m": 20_000, "n": 500}),
    label=lambda p: f"{p['m']}x{p['n']}",
)


def sketch_problem(p: Params) -> SimpleNamespace:
    """``A = G diag(sigma) V^T`` (``kappa(A) ~ kappa``), ``b = A x + e`` with ``||e|| = ||A x||``.

    ``G`` is Gaussian ``m x n``, ``sigma`` geometric from 1 to ``1/kappa``, ``V``
    Haar; ``sketch_size`` (default None: the solver's choice) goes to ``sketch_lstsq``.
    """
    m, n, kappa = p["m"], p["n"], p.get("kappa", 1e3)
    rng = np.random.default_rng(p.get("seed", 0))
    sigma = kappa ** (-np.arange(n) / max(n - 1, 1))
    v = np.linalg.qr(rng.standard_normal((n, n)))[0]
    a = rng.standard_normal((m, n))
    a *= sigma
    a = a @ v.T
    ax = a @ rng.standard_normal(n)
    e = rng.standard_normal(m)
    b = ax + e * (np.linalg.norm(ax) / np.linalg.norm(e))
    return SimpleNamespace(a=a, b=b, berr=acc.LstsqBackwardError(a, b), sketch_size=p.get("sketch_size"))


SKETCH_LSTSQ = Case(
    name="sketch_lstsq",
    description="pivotal.sketch_lstsq (sparse sign sketch, SPIR) against gelsd and numpy.linalg.lstsq",
    setup=sketch_problem,
    ours=Side(
        "pivotal.sketch_lstsq",
        lambda q: _pv().sketch_lstsq(q.a, q.b, sketch_size=q.sketch_size, random_state=0, check_finite=False),
    ),
    peers=(
        Side(
            "scipy.linalg.lstsq (gelsd)", lambda q: _sl().lstsq(q.a, q.b, check_finite=False), "scipy", _first
        ),
        Side("numpy.linalg.lstsq", lambda q: np.linalg.lstsq(q.a, q.b, rcond=None), "numpy", _first),
    ),
    accuracy=lambda q, x: {"backward_error_u": q.berr(x)},
    metrics={"backward_error_u": "Karlson-Walden backward error in units of u = 2^-53 (smaller is better)"},
    quick=({"m": 8000, "n": 40, "kappa": 1e3},),
    full=({"m": 100_000, "n": 200, "kappa": 1e3}, {"m": 100_000, "n": 200, "kappa": 1e8}),
    label=lambda p: f"{p['m']}x{p['n']} kappa={p['kappa']:.0e}",
)

# ------------------------------------------------------------------ rqrcp


def rqrcp_problem(p: Params) -> SimpleNamespace:
    """``kind``: ``full`` Gaussian, ``deficient`` (rank n/4, kappa 1e3) or ``lowrank`` (rank 50).

    ``mode`` (``economic``, ``r`` or ``raw``) and ``block_size`` are passed to both
    factorizations (``block_size`` to ``rqrcp`` only); the accuracy always reads
    the economic factors.
    """
    n, kind = p["n"], p.get("kind", "full")
    rng = np.random.default_rng(p.get("seed", 0))
    if kind == "full":
        a = rng.standard_normal((n, n))
    elif kind == "deficient":
        a = gallery.rank_deficient(n, n, n // 4, kappa=1e3, random_state=rng)
    else:
        x = rng.standard_normal((n, 50))
        a = x @ rng.standard_normal((50, n))
    return SimpleNamespace(a=a, mode=p.get("mode", "economic"), block_size=p.get("block_size"))


def _rqrcp_ours(q: SimpleNamespace) -> Any:
    return _pv().rqrcp(q.a, mode=q.mode, block_size=q.block_size, random_state=0, check_finite=False)


def _rqrcp_economic(q: SimpleNamespace, out: Any) -> Any:
    if q.mode == "economic":
        return out
    return _pv().rqrcp(q.a, block_size=q.block_size, random_state=0, check_finite=False)


def _geqp3(q: SimpleNamespace) -> Any:
    return _sl().qr(q.a, pivoting=True, mode=q.mode, check_finite=False)


def _geqp3_economic(q: SimpleNamespace, out: Any) -> Any:
    return out if q.mode == "economic" else _sl().qr(q.a, pivoting=True, mode="economic", check_finite=False)


def _rqrcp_accuracy(q: SimpleNamespace, out: Any) -> dict[str, float | None]:
    qf, r, perm = out[0], out[1], out[2]
    return {
        "reconstruction": acc.reconstruction(q.a[:, perm], qf @ r),
        "rank": float(acc.numerical_rank(r, q.a.shape)),
    }


RQRCP = Case(
    name="rqrcp",
    description="pivotal.rqrcp (randomized HQRRP) against scipy.linalg.qr(pivoting=True) (LAPACK geqp3)",
    setup=rqrcp_problem,
    ours=Side("pivotal.rqrcp", _rqrcp_ours, result=_rqrcp_economic),
    peers=(Side("scipy.linalg.qr(pivoting=True)", _geqp3, "scipy", _geqp3_economic),),
    accuracy=_rqrcp_accuracy,
    metrics={
        "reconstruction": "||A P - Q R||_F / ||A||_F (smaller is better)",
        "rank": "the numerical rank on |diag(R)| (max(m, n) eps |R_00|); should agree",
    },
    quick=({"n": 200, "kind": "deficient"},),
    full=tuple({"n": n, "kind": k} for n in (2000, 4000) for k in ("full", "deficient", "lowrank")),
    label=lambda p: (
        f"n={p['n']} {p['kind']}" + (f" mode={p['mode']}" if p.get("mode", "economic") != "economic" else "")
    ),
)

# ------------------------------------------------------------------ rsvd


def householder_test_matrix(m: int, n: int, sigma: np.ndarray, seed: int = 0) -> np.ndarray:
    """``(I - 2 u u^T)[:, :n] diag(sigma) (I - 2 v v^T)``: exactly orthogonal dense factors in ``O(m n)``.

    Examples
    --------
    >>> a = householder_test_matrix(6, 4, np.array([4.0, 3.0, 2.0, 1.0]))
    >>> np.allclose(np.linalg.svd(a, compute_uv=False), [4, 3, 2, 1])
    True
    """
    rng = np.random.default_rng(seed)
    u = rng.standard_normal(m)
    u /= np.linalg.norm(u)
    v = rng.standard_normal(n)
    v /= np.linalg.norm(v)
    a = np.zeros((m, n))
    a[np.arange(n), np.arange(n)] = sigma
    dv = sigma * v
    a[:n] -= 2 * np.outer(dv, v)
    uta = u[:n] * sigma - 2 * (u[:n] @ dv) * v
    a -= 2 * np.outer(u, uta)
    return a


def rsvd_problem(p: Params) -> SimpleNamespace:
    """``A = U diag(sigma) V^T`` (``m x n``), ``sigma_i = 1/i`` (``decay="harmonic"``) or ``exp(-i/20)``."""
    m, n, k = p["m"], p["n"], p["k"]
    i = np.arange(1, n + 1, dtype=float)
    sigma = 1 / i if p.get("decay", "harmonic") == "harmonic" else np.exp(-i / 20)
    a = householder_test_matrix(m, n, sigma)
    return SimpleNamespace(a=a, k=k, opt2=float(sigma[k]), optf=float(np.sqrt(np.sum(sigma[k:] ** 2))))


def _rsvd_accuracy(q: SimpleNamespace, usv: Any) -> dict[str, float | None]:
    u, s, vh = (np.asarray(x) for x in usv)
    return {
        "err_opt_2": acc.spectral_error(q.a, u, s, vh) / q.opt2,
        "err_opt_F": acc.frobenius_error(q.a, u, s, vh) / q.optf,
    }


def _sklearn_rsvd(q: SimpleNamespace) -> Any:
    from sklearn.utils.extmath import randomized_svd

    return randomized_svd(q.a, q.k, random_state=0)


def _torch_lowrank(q: SimpleNamespace) -> Any:
    import torch

    return torch.svd_lowrank(torch.from_numpy(q.a), q=q.k + 10)


def _torch_usv(q: SimpleNamespace, out: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    u, s, v = out
    return u[:, : q.k].numpy(), s[: q.k].numpy(), v[:, : q.k].T.numpy()


RSVD_METRICS = {
    "err_opt_2": "||A - U S V^T||_2 / sigma_{k+1}: 1 is the Eckart-Young optimum",
    "err_opt_F": "||A - U S V^T||_F / ||sigma_{k+1:}||: 1 is the optimum",
}

RSVD = Case(
    name="rsvd",
    description="pivotal.rsvd(A, k) against sklearn randomized_svd and torch.svd_lowrank(q=k+10)",
    setup=rsvd_problem,
    ours=Side("pivotal.rsvd", lambda q: _pv().rsvd(q.a, q.k, random_state=0)),
    peers=(
        Side("sklearn.utils.extmath.randomized_svd", _sklearn_rsvd, "sklearn"),
        Side("torch.svd_lowrank", _torch_lowrank, "torch", _torch_usv),
    ),
    accuracy=_rsvd_accuracy,
    metrics=RSVD_METRICS,
    quick=({"m": 800, "n": 200, "k": 10, "decay": "harmonic"},),
    full=(
        {"m": 8000, "n": 3000, "k": 50, "decay": "harmonic"},
        {"m": 8000, "n": 3000, "k": 50, "decay": "exponential"},
    ),
    label=lambda p: f"{p['m']}x{p['n']} k={p['k']} {p['decay']}",
)

RSVD_KRYLOV = Case(
    name="rsvd_krylov",
    description="pivotal.rsvd(A, k, method='block_krylov') against sklearn randomized_svd and torch.svd_lowrank",
    setup=rsvd_problem,
    ours=Side(
        "pivotal.rsvd(method='block_krylov')",
        lambda q: _pv().rsvd(q.a, q.k, method="block_krylov", random_state=0),
    ),
    peers=RSVD.peers,
    accuracy=_rsvd_accuracy,
    metrics=RSVD_METRICS,
    quick=RSVD.quick,
    full=RSVD.full,
    label=RSVD.label,
)

CASES = (LSTSQ, SKETCH_LSTSQ, RQRCP, RSVD, RSVD_KRYLOV)
