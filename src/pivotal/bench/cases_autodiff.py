"""Gradient cases: solve and inv_quad_logdet against PyTorch autograd, top-k SVD gradients against torch and JAX.

Ported from ``benchmarks/bench_autodiff_solve.py`` and ``bench_topk_grad.py``.
Each side's gradient is compared with a reference computed independently in
NumPy/SciPy float64 (closed-form adjoints), so both columns are errors.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import scipy.linalg as sl

from . import accuracy as acc
from .cases_lstsq import householder_test_matrix
from .registry import Case, Params, Side

GRAD_METRICS = {"grad_error": "||G - G_ref||_F / ||G_ref||_F against a float64 closed-form adjoint"}


def _torch():
    import torch

    return torch


# ------------------------------------------------------------------ solve


def solve_grad_problem(p: Params) -> SimpleNamespace:
    """``A = randn + sqrt(n) I``, ``B`` and ``W`` Gaussian ``n x k``; the loss is ``sum(W * solve(A, B))``."""
    torch = _torch()
    n, k = p["n"], p["k"]
    rng = np.random.default_rng(p.get("seed", 0))
    a = rng.standard_normal((n, n)) + np.sqrt(n) * np.eye(n)
    b, w = rng.standard_normal((n, k)), rng.standard_normal((n, k))
    lu = sl.lu_factor(a)
    x = sl.lu_solve(lu, b)
    b_bar = sl.lu_solve(lu, w, trans=1)  # A^{-T} W
    ref = np.concatenate([(-b_bar @ x.T).ravel(), b_bar.ravel()])
    return SimpleNamespace(a=torch.tensor(a), b=torch.tensor(b), w=torch.tensor(w), ref=ref)


def _solve_grad(solver: Any) -> Any:
    def run(q: SimpleNamespace) -> Any:
        torch = _torch()
        a = q.a.clone().requires_grad_(True)
        b = q.b.clone().requires_grad_(True)
        loss = (q.w * solver(a, b)).sum()
        return torch.autograd.grad(loss, (a, b))

    return run


def _pv_solve(a: Any, b: Any) -> Any:
    import pivotal

    return pivotal.solve(a, b)


def _torch_solve(a: Any, b: Any) -> Any:
    return _torch().linalg.solve(a, b)


def _grads_accuracy(q: SimpleNamespace, grads: Any) -> dict[str, float | None]:
    g = np.concatenate([np.asarray(t.detach()).ravel() for t in grads])
    return {"grad_error": acc.relative_difference(g, q.ref)}


AUTODIFF_SOLVE = Case(
    name="autodiff_solve",
    description="value + backward of sum(W * solve(A, B)): pivotal.solve on tensors against torch.linalg.solve",
    setup=solve_grad_problem,
    ours=Side("pivotal.solve (torch autograd)", _solve_grad(_pv_solve)),
    peers=(Side("torch.linalg.solve", _solve_grad(_torch_solve), "torch"),),
    accuracy=_grads_accuracy,
    metrics=GRAD_METRICS,
    quick=({"n": 200, "k": 10},),
    full=({"n": 2000, "k": 100},),
    requires=("torch",),
    label=lambda p: f"n={p['n']} k={p['k']}",
)

# ------------------------------------------------------------------ inv_quad_logdet


def _sym(g: np.ndarray) -> np.ndarray:
    """``G + G^T - diag(G)``: the gradient with respect to a symmetric perturbation."""
    return g + g.T - np.diag(np.diag(g))


def iql_problem(p: Params) -> SimpleNamespace:
    """An RBF kernel matrix plus ``1e-2 I`` on sorted points in [0, 10], ``y = sin(x) + 0.1`` noise."""
    torch = _torch()
    n = p["n"]
    rng = np.random.default_rng(p.get("seed", 1))
    x = np.sort(rng.uniform(0, 10, n))
    k = np.exp(-0.5 * (x[:, None] - x[None, :]) ** 2) + 1e-2 * np.eye(n)
    y = np.sin(x) + 0.1 * rng.standard_normal(n)
    c = sl.cho_factor(k)
    alpha = sl.cho_solve(c, y)
    kinv = sl.cho_solve(c, np.eye(n))
    ref = np.concatenate([_sym(kinv - np.outer(alpha, alpha)).ravel(), 2 * alpha])
    return SimpleNamespace(k=torch.tensor(k), y=torch.tensor(y), ref=ref)


def _iql_ours(q: SimpleNamespace) -> Any:
    import pivotal

    torch = _torch()
    k, y = q.k.clone().requires_grad_(True), q.y.clone().requires_grad_(True)
    quad, logdet = pivotal.inv_quad_logdet(k, y)
    return torch.autograd.grad(quad + logdet, (k, y))


def _iql_torch(q: SimpleNamespace) -> Any:
    torch = _torch()
    k, y = q.k.clone().requires_grad_(True), q.y.clone().requires_grad_(True)
    l = torch.linalg.cholesky(k)
    quad = (y * torch.cholesky_solve(y[:, None], l)[:, 0]).sum()
    logdet = 2 * torch.log(torch.diagonal(l)).sum()
    return torch.autograd.grad(quad + logdet, (k, y))


def _iql_accuracy(q: SimpleNamespace, grads: Any) -> dict[str, float | None]:
    gk, gy = (np.asarray(t.detach()) for t in grads)
    return {"grad_error": acc.relative_difference(np.concatenate([_sym(gk).ravel(), gy]), q.ref)}


INV_QUAD_LOGDET = Case(
    name="inv_quad_logdet",
    description="value + gradient of y^T K^{-1} y + log det K: pivotal.inv_quad_logdet against torch Cholesky autograd",
    setup=iql_problem,
    ours=Side("pivotal.inv_quad_logdet (torch autograd)", _iql_ours),
    peers=(Side("torch.linalg.cholesky + cholesky_solve", _iql_torch, "torch"),),
    accuracy=_iql_accuracy,
    metrics={
        "grad_error": "||G - G_ref||_F / ||G_ref||_F (symmetrised dK, and dy) against K^{-1} from SciPy"
    },
    quick=({"n": 200},),
    full=({"n": 4000},),
    requires=("torch",),
)

# ------------------------------------------------------------------ top-k SVD gradient


def _signs(u: np.ndarray) -> np.ndarray:
    idx = np.argmax(np.abs(u), axis=0)
    return np.sign(u[idx, np.arange(u.shape[1])])


def topk_reference(a: np.ndarray, k: int, xi: np.ndarray, phi: np.ndarray, psi: np.ndarray) -> np.ndarray:
    """The exact gradient of ``sum_i xi_i s_i + phi_i^T u_i + psi_i^T v_i`` (top ``k``, signs fixed).

    From the full SVD of the square ``A`` with distinct singular values
    (Townsend 2016): ``A_bar = U [diag(s_bar) + (F o (J - J^T)) S + S (F o (K - K^T))] V^T``
    with ``J = U^T U_bar``, ``K = V^T V_bar`` and ``F_ij = 1/(s_j^2 - s_i^2)``.
    """
    u, s, vt = np.linalg.svd(a)
    sg = _signs(u[:, :k])
    u[:, :k] *= sg
    vt[:k] *= sg[:, None]
    n = s.size
    u_bar, v_bar, s_bar = np.zeros_like(u), np.zeros_like(u), np.zeros(n)
    u_bar[:, :k], v_bar[:, :k], s_bar[:k] = phi, psi, xi
    j, kk = u.T @ u_bar, vt @ v_bar
    d = s[None, :] ** 2 - s[:, None] ** 2
    np.fill_diagonal(d, 1.0)
    f = 1.0 / d
    np.fill_diagonal(f, 0.0)
    inner = np.diag(s_bar) + (f * (j - j.T)) * s[None, :] + s[:, None] * (f * (kk - kk.T))
    return u @ inner @ vt


def topk_problem(p: Params) -> SimpleNamespace:
    """``A = (I - 2uu^T) diag(1/i) (I - 2vv^T)`` (``n x n``) and Gaussian weights of the top-``k`` loss.

    ``method`` is passed to :func:`pivotal.svds` (``"auto"``: Golub-Kahan-Lanczos here, ``"lanczos"``: ARPACK;
    ``"randomized"``: block Krylov).
    """
    n, k = p["n"], p["k"]
    a = householder_test_matrix(n, n, 1.0 / np.arange(1, n + 1), seed=0)
    rng = np.random.default_rng(1)
    xi, phi, psi = rng.standard_normal(k), rng.standard_normal((n, k)), rng.standard_normal((n, k))
    ref = topk_reference(a, k, xi, phi, psi)
    return SimpleNamespace(a=a, k=k, xi=xi, phi=phi, psi=psi, ref=ref, method=p.get("method", "auto"))


def _topk_ours(q: SimpleNamespace) -> Any:
    from pivotal.autodiff.topk_vjp import svds_vjp
    from pivotal.randomized import svds

    u, s, vh = svds(q.a, q.k, method=q.method)
    order = np.argsort(-s)
    u, s, vh = u[:, order], s[order], vh[order]
    sg = _signs(u)
    u, vh = u * sg, vh * sg[:, None]
    return svds_vjp(q.a, u, s, vh, q.phi, q.xi, q.psi.T)


def _topk_torch(q: SimpleNamespace) -> Any:
    torch = _torch()
    a = torch.tensor(q.a, requires_grad=True)
    u, s, vh = torch.linalg.svd(a, full_matrices=False)
    u, s, vh = u[:, : q.k], s[: q.k], vh[: q.k]
    idx = torch.argmax(u.detach().abs(), dim=0)
    sg = torch.sign(u.detach()[idx, torch.arange(q.k)])
    u, vh = u * sg, vh * sg[:, None]
    f = (torch.tensor(q.xi) * s).sum() + (torch.tensor(q.phi) * u).sum() + (torch.tensor(q.psi) * vh.T).sum()
    f.backward()
    return a.grad.numpy()


def _topk_jax(q: SimpleNamespace) -> Any:
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    k = q.k

    def f(x):
        u, s, vh = jnp.linalg.svd(x, full_matrices=False)
        u, s, vh = u[:, :k], s[:k], vh[:k]
        idx = jnp.argmax(jnp.abs(jax.lax.stop_gradient(u)), axis=0)
        sg = jnp.sign(jax.lax.stop_gradient(u)[idx, jnp.arange(k)])
        u, vh = u * sg, vh * sg[:, None]
        return (q.xi * s).sum() + (q.phi * u).sum() + (q.psi * vh.T).sum()

    if getattr(q, "jax_vg", None) is None:  # compiled once per problem (the warm-up call)
        q.jax_vg = jax.jit(jax.value_and_grad(f))
    return np.asarray(q.jax_vg(jnp.asarray(q.a))[1].block_until_ready())


def _dense(q: SimpleNamespace, g: Any) -> np.ndarray:
    return g.to_dense()


TOPK_GRAD = Case(
    name="topk_grad",
    description="value + gradient of a top-k SVD loss: pivotal svds + svds_vjp (matrix-free) against autograd through a full SVD",
    setup=topk_problem,
    ours=Side("pivotal svds + svds_vjp", _topk_ours, result=_dense),
    peers=(
        Side("torch.linalg.svd autograd", _topk_torch, "torch"),
        Side("jax.jit(value_and_grad) of jnp.linalg.svd", _topk_jax, "jax"),
    ),
    accuracy=lambda q, g: {"grad_error": acc.relative_difference(np.asarray(g), q.ref)},
    metrics={
        "grad_error": "||G - G_ref||_F / ||G_ref||_F against the closed-form gradient from a NumPy full SVD"
    },
    quick=({"n": 150, "k": 4},),
    full=({"n": 2000, "k": 1}, {"n": 2000, "k": 8}),
    label=lambda p: (
        f"n={p['n']} k={p['k']}" + (f" {p['method']}" if p.get("method", "auto") != "auto" else "")
    ),
)

CASES = (AUTODIFF_SOLVE, INV_QUAD_LOGDET, TOPK_GRAD)
