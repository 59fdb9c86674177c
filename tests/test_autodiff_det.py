"""Gradients of det, slogdet, logdet, inv and inv_quad_logdet (issue 12, rule 2) on torch and JAX."""

from __future__ import annotations

import numpy as np
import pytest

import pivotal as pv

from ._autodiff_helpers import grad_tol, jx, matrix, rel, spd  # noqa: F401  (jx: a fixture)
from ._autodiff_helpers import tensor as _t

torch = pytest.importorskip("torch")
from torch.autograd import gradcheck, gradgradcheck  # noqa: E402

DT = [torch.float64, torch.complex128]
FD_EPS = 1e-6  # see test_autodiff_solve


@pytest.mark.parametrize("dt", DT)
def test_torch_det_slogdet_inv(dt):
    cplx = dt == torch.complex128
    A = _t(matrix(4, seed=1, complex_=cplx), dt)
    assert gradcheck(pv.det, (A,))
    assert gradcheck(lambda A: pv.slogdet(A).logabsdet, (A,))
    assert gradcheck(lambda A: pv.slogdet(A).sign, (A,))
    assert gradcheck(pv.inv, (A,))
    B = _t(np.stack([matrix(3, seed=2, complex_=cplx), matrix(3, seed=3, complex_=cplx)]), dt)
    assert gradcheck(lambda B: pv.slogdet(B).logabsdet, (B,))
    assert gradcheck(pv.det, (B,))
    if not cplx:
        assert gradgradcheck(lambda A: pv.slogdet(A).logabsdet, (A,))
        assert gradgradcheck(pv.inv, (A,))
        S = _t(spd(4, seed=4), dt)
        assert gradcheck(lambda S: pv.inv(S, assume_a="pos", lower=True), (S,))


@pytest.mark.parametrize("dt", DT)
@pytest.mark.parametrize("cls", ["LU", "Cholesky", "LDL"])
def test_torch_factorization_det_logdet_inv(dt, cls):
    cplx = dt == torch.complex128
    S = _t(spd(4, seed=5, complex_=cplx), dt)
    make = getattr(pv, cls)
    assert gradcheck(lambda S: make(S).logdet().real, (S,))
    assert gradcheck(lambda S: make(S).det(), (S,))
    assert gradcheck(lambda S: make(S).inv(), (S,))
    if not cplx:
        assert gradgradcheck(lambda S: make(S).logdet(), (S,))


def test_gradient_of_logdet_is_inverse_transpose():
    n, kappa = 20, 1e3
    a = matrix(n, kappa, seed=6)
    a = a * np.sign(np.linalg.det(a))  # a positive determinant: logdet is real
    A = _t(a)
    for logdet in (lambda A: pv.slogdet(A).logabsdet, lambda A: pv.LU(A).logdet()):
        (g,) = torch.autograd.grad(logdet(A), A)
        assert rel(g, np.linalg.inv(a).T) < grad_tol(n, kappa)


@pytest.mark.parametrize("dt", DT)
def test_torch_slogdet_matches_torch(dt):
    n, kappa = 12, 100.0
    a = matrix(n, kappa, seed=7, complex_=dt == torch.complex128)
    A = _t(a, dt)
    w = torch.tensor(0.3 - 0.7j if dt == torch.complex128 else 0.3, dtype=dt)

    def loss(slog):
        sign, logabs = slog
        return logabs + (w * sign).real

    g = torch.autograd.grad(loss(pv.slogdet(A)), A)[0]
    h = torch.autograd.grad(loss(torch.linalg.slogdet(A)), A)[0]
    assert rel(g, h) < grad_tol(n, kappa)
    g = torch.autograd.grad(pv.inv(A).abs().sum(), A)[0]
    h = torch.autograd.grad(torch.linalg.inv(A).abs().sum(), A)[0]
    assert rel(g, h) < grad_tol(n, kappa) * kappa  # three inverses compound: kappa^3


@pytest.mark.parametrize("dt", DT)
def test_torch_inv_quad_logdet(dt):
    cplx = dt == torch.complex128
    S, b = _t(spd(5, seed=8, complex_=cplx), dt), _t(np.linspace(-1, 1, 10).reshape(5, 2), dt)
    assert gradcheck(pv.inv_quad_logdet, (S, b))
    assert gradcheck(lambda S, b: pv.inv_quad_logdet(S, b[:, 0], lower=True), (S, b))
    if not cplx:
        assert gradgradcheck(pv.inv_quad_logdet, (S, b))
    # against torch autograd through cholesky + cholesky_solve + logdet (the GPyTorch formulation)
    q, ld = pv.inv_quad_logdet(S, b)
    g = torch.autograd.grad(q + 2 * ld, (S, b))
    sym = torch.triu(S) + torch.triu(S, 1).mH  # the matrix read: the upper triangle
    L = torch.linalg.cholesky(sym)
    q2 = (b.conj() * torch.cholesky_solve(b, L)).sum().real
    ld2 = 2 * torch.log(torch.diagonal(L).real).sum()
    h = torch.autograd.grad(q2 + 2 * ld2, (S, b))
    assert abs(float(q.detach() - q2.detach())) < grad_tol(5, 10.0) * abs(float(q2.detach()))
    for x, y in zip(g, h, strict=True):
        assert rel(x, y) < grad_tol(5, 10.0)


def test_inv_quad_logdet_numpy_and_errors():
    a = spd(6, seed=9)
    b = np.random.default_rng(0).standard_normal((6, 3))
    q, ld = pv.inv_quad_logdet(a, b)
    assert rel(q, np.trace(b.T @ np.linalg.solve(a, b))) < grad_tol(6, 10.0)
    assert rel(ld, np.linalg.slogdet(a)[1]) < grad_tol(6, 10.0)
    qb, _ldb = pv.inv_quad_logdet(np.stack([a, 2 * a]), b)
    assert qb.shape == (2,) and rel(qb[1], q / 2) < grad_tol(6, 10.0)
    bad = a.copy()
    bad[3, 3] = -1.0
    with pytest.raises(pv.NotPositiveDefiniteError) as err:
        pv.inv_quad_logdet(bad, b)
    assert err.value.index <= 3
    with pytest.raises(pv.NotPositiveDefiniteError):
        pv.inv_quad_logdet(torch.tensor(bad, requires_grad=True), torch.tensor(b))


def test_jax_det_rules(jx):  # noqa: F811  (the jx fixture)
    from jax.test_util import check_grads

    jnp = jx.numpy
    for cplx in (False, True):
        A = jnp.asarray(matrix(4, seed=10, complex_=cplx))
        check_grads(pv.det, (A,), order=1, modes=("rev",), eps=FD_EPS)
        check_grads(
            lambda A: pv.slogdet(A).logabsdet, (A,), order=1 if cplx else 2, modes=("rev",), eps=FD_EPS
        )
        check_grads(pv.inv, (A,), order=1, modes=("rev",), eps=FD_EPS)
        S, b = jnp.asarray(spd(4, seed=11, complex_=cplx)), jnp.asarray(np.ones((4, 2)) * (1 + 0.5j * cplx))
        check_grads(pv.inv_quad_logdet, (S, b), order=1 if cplx else 2, modes=("rev",), eps=FD_EPS)
        # JAX's own convention: compare with jnp.linalg
        for ours, theirs in (
            (lambda A: pv.slogdet(A).logabsdet, lambda A: jnp.linalg.slogdet(A)[1]),
            (lambda A: jnp.abs(pv.det(A)), lambda A: jnp.abs(jnp.linalg.det(A))),
            (lambda A: jnp.abs(pv.inv(A)).sum(), lambda A: jnp.abs(jnp.linalg.inv(A)).sum()),
        ):
            assert rel(jx.grad(ours)(A), jx.grad(theirs)(A)) < grad_tol(4, 10.0) * 10


def test_jax_jit_grad_slogdet(jx):  # noqa: F811  (the jx fixture)
    jnp = jx.numpy
    a = matrix(6, seed=12)
    g = jx.jit(jx.grad(lambda A: pv.slogdet(A)[1]))(jnp.asarray(a))
    assert rel(g, np.linalg.inv(a).T) < grad_tol(6, 10.0)
    q, ld = jx.jit(pv.inv_quad_logdet)(jnp.asarray(spd(6, seed=13)), jnp.ones(6))
    assert np.isfinite(float(q)) and np.isfinite(float(ld))
