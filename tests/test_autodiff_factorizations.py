"""Gradients of the factorizations themselves: cholesky, cho_factor, lu, lu_factor, qr, ldl (PyTorch and JAX).

Each rule is checked against finite differences (``gradcheck``,
``check_grads``), against PyTorch's own backward where it has one, and by
identities that hold exactly in exact arithmetic: a loss of the
reconstruction ``L L^H`` (``P L U``, ``Q R``, ``lu d lu^H``) is a linear
function ``<W, A>`` of ``A`` whose gradient is known in closed form.
"""

from __future__ import annotations

import numpy as np
import pytest

import pivotal as pv
from pivotal.autodiff import registry

from ._autodiff_helpers import EPS, grad_tol, jax_x64, rel, spd

torch = pytest.importorskip("torch")
gradcheck = torch.autograd.gradcheck
gradgradcheck = torch.autograd.gradgradcheck

KAPPA = 10.0
# A 2x2 Bunch-Kaufman pivot at the top (|a11| << |a21|), two 1x1 pivots below: robust to gradcheck's steps.
LDL_2X2 = np.array([[1e-3, 5, 1, 2], [5, 1e-3, 2, 1], [1, 2, 3, 0], [2, 1, 0, 4.0]])


def _t(a, grad=True):
    dtype = torch.complex128 if np.iscomplexobj(a) else torch.float64
    return torch.tensor(a, dtype=dtype, requires_grad=grad)


def _rect(m, n, seed, complex_=False):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((m, n))
    return a + 1j * rng.standard_normal((m, n)) if complex_ else a


def _herm(x):
    return (x + x.mH) / 2


def _fold(g, lower):
    """The gradient of a function of the Hermitian matrix built from one triangle (see factor_rules)."""
    g = (g + g.conj().T) / 2
    off = np.tril(g, -1) if lower else np.triu(g, 1)
    return 2 * off + np.diag(np.real(np.diag(g)))


def test_rules_registered():
    assert {"cholesky", "lu", "lu_factor", "qr", "ldl"} <= set(registry())


# ----------------------------------------------------------------------------- cholesky
@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("complex_", [False, True])
def test_cholesky_gradcheck(lower, complex_):
    a = _t(spd(4, KAPPA, seed=1, complex_=complex_))
    # Raw input: only the triangle read is perturbed meaningfully; the other gets a zero gradient.
    assert gradcheck(lambda x: pv.cholesky(x, lower=lower), (a,))
    assert gradgradcheck(lambda x: pv.cholesky(x, lower=lower), (a,))


def test_cholesky_batched_and_cho_factor():
    a = _t(np.stack([spd(3, KAPPA, seed=s) for s in range(3)]))
    assert gradcheck(lambda x: pv.cholesky(x, lower=True), (a,))
    assert gradcheck(lambda x: pv.cho_factor(x)[0], (a,))


@pytest.mark.parametrize("complex_", [False, True])
def test_cholesky_matches_torch(complex_):
    n = 6
    a0 = spd(n, KAPPA, seed=2, complex_=complex_)
    w = _t(_rect(n, n, 3, complex_), grad=False)
    a1, a2 = _t(a0), _t(a0)
    (torch.real(pv.cholesky(_herm(a1), lower=True) * w.conj()).sum()).backward()
    (torch.real(torch.linalg.cholesky(_herm(a2)) * w.conj()).sum()).backward()
    assert rel(a1.grad.numpy(), a2.grad.numpy()) < grad_tol(n, KAPPA)


@pytest.mark.parametrize("lower", [True, False])
def test_cholesky_reconstruction_identity(lower):
    """``<W, L L^H>`` is ``<W, A>`` on the triangle read: its gradient is ``W`` folded onto that triangle."""
    n = 5
    a, w = _t(spd(n, KAPPA, seed=4)), _rect(n, n, 5)
    c = pv.cholesky(a, lower=lower)
    rec = c @ c.mH if lower else c.mH @ c
    (rec * torch.tensor(w)).sum().backward()
    assert rel(a.grad.numpy(), _fold(w, lower)) < 10 * n * KAPPA * EPS
    # the triangle not read gets exactly zero
    other = np.triu(a.grad.numpy(), 1) if lower else np.tril(a.grad.numpy(), -1)
    assert not other.any()


def test_cholesky_values_unchanged_and_not_positive_definite():
    a0 = spd(4, KAPPA, seed=6)
    assert torch.equal(pv.cholesky(_t(a0)).detach(), pv.cholesky(_t(a0, grad=False)))  # the same forward
    bad = _t(np.array([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(pv.NotPositiveDefiniteError) as info:
        pv.cholesky(bad)
    assert info.value.index == 1


# ----------------------------------------------------------------------------- lu
@pytest.mark.parametrize("shape", [(4, 4), (6, 3), (3, 6)])
@pytest.mark.parametrize("flags", [(False, False), (False, True), (True, False)])
def test_lu_gradcheck(shape, flags):
    permute_l, p_indices = flags
    a = _t(_rect(*shape, seed=7))

    def f(x):
        out = pv.lu(x, permute_l=permute_l, p_indices=p_indices)
        return tuple(o for o in out if o.is_floating_point() and o.requires_grad)

    assert gradcheck(f, (a,))


def test_lu_complex_batched_and_lu_factor():
    a = _t(np.stack([_rect(4, 4, s, complex_=True) for s in range(2)]))
    assert gradcheck(lambda x: pv.lu(x)[1:], (a,))
    for shape in ((4, 4), (6, 3), (3, 6)):
        assert gradcheck(lambda x: pv.lu_factor(x)[0], (_t(_rect(*shape, seed=8)),))
    assert gradcheck(lambda x: pv.lu_factor(x)[0], (a,))


@pytest.mark.parametrize("shape", [(5, 5), (7, 4), (4, 7)])
def test_lu_matches_torch(shape):
    a0 = _rect(*shape, seed=9)
    k = min(shape)
    wl, wu = torch.tensor(_rect(shape[0], k, 10)), torch.tensor(_rect(k, shape[1], 11))
    a1, a2 = _t(a0), _t(a0)
    p1, l1, u1 = pv.lu(a1)
    p2, l2, u2 = torch.linalg.lu(a2)
    assert torch.equal(p1, p2)  # both partial pivoting: the same factors
    ((l1 * wl).sum() + (u1 * wu).sum()).backward()
    ((l2 * wl).sum() + (u2 * wu).sum()).backward()
    kappa = float(np.linalg.cond(a0[:k, :k]))
    assert rel(a1.grad.numpy(), a2.grad.numpy()) < grad_tol(max(shape), kappa)


def test_lu_factor_matches_torch():
    a0 = _rect(5, 5, seed=12)
    w = torch.tensor(_rect(5, 5, 13))
    a1, a2 = _t(a0), _t(a0)
    (pv.lu_factor(a1)[0] * w).sum().backward()
    (torch.linalg.lu_factor(a2)[0] * w).sum().backward()
    assert rel(a1.grad.numpy(), a2.grad.numpy()) < grad_tol(5, float(np.linalg.cond(a0)))


def test_lu_reconstruction_identity():
    n = 5
    a, w = _t(_rect(n, n, 14)), _rect(n, n, 15)
    p, l, u = pv.lu(a)
    ((p @ l @ u) * torch.tensor(w)).sum().backward()
    kappa = float(np.linalg.cond(a.detach().numpy()))
    assert rel(a.grad.numpy(), w) < 10 * n * kappa * EPS


def test_lu_refuses_other_pivoting():
    a = _t(_rect(4, 4, 16))
    with pytest.raises(ValueError, match=r"pivotal\.lu has no derivative rule yet"):
        pv.lu(a, pivoting="complete")


# ----------------------------------------------------------------------------- qr
def _gauge(q, r):
    """``(Q S, S R)`` with ``S = sign(diag R)``: the factors with a positive diagonal of ``R``."""
    d = torch.diagonal(r, dim1=-2, dim2=-1)
    s = (d / d.abs()).detach()
    return q * s.conj()[..., None, :], r * s[..., :, None]


@pytest.mark.parametrize("shape", [(5, 3), (4, 4), (3, 5)])
@pytest.mark.parametrize("mode", ["economic", "r"])
def test_qr_gradcheck(shape, mode):
    a = _t(_rect(*shape, seed=17))
    assert gradcheck(lambda x: pv.qr(x, mode=mode), (a,))


@pytest.mark.parametrize("shape", [(5, 3), (3, 5)])
def test_qr_pivoting_full_complex_batched(shape):
    a = _t(_rect(*shape, seed=18))
    assert gradcheck(lambda x: pv.qr(x, mode="economic", pivoting=True)[:2], (a,))
    c = _t(np.stack([_rect(*shape, seed=s, complex_=True) for s in range(2)]))
    assert gradcheck(lambda x: pv.qr(x, mode="economic"), (c,))
    if shape[0] <= shape[1]:
        assert gradcheck(pv.qr, (a,))  # mode="full" of a wide matrix: Q is square


@pytest.mark.parametrize("shape", [(6, 3), (4, 4), (3, 6)])
@pytest.mark.parametrize("complex_", [False, True])
@pytest.mark.parametrize("method", ["auto", "householder"])
def test_qr_matches_torch(shape, complex_, method):
    a0 = _rect(*shape, seed=19, complex_=complex_)
    k = min(shape)
    wq, wr = torch.tensor(_rect(shape[0], k, 20, complex_)), torch.tensor(_rect(k, shape[1], 21, complex_))
    a1, a2 = _t(a0), _t(a0)
    q1, r1 = _gauge(*pv.qr(a1, mode="economic", method=method))
    q2, r2 = _gauge(*torch.linalg.qr(a2))
    torch.real((q1 * wq.conj()).sum() + (r1 * wr.conj()).sum()).backward()
    torch.real((q2 * wq.conj()).sum() + (r2 * wr.conj()).sum()).backward()
    kappa = float(np.linalg.cond(a0[:, :k] if shape[0] >= shape[1] else a0[:k, :k]))
    assert rel(a1.grad.numpy(), a2.grad.numpy()) < grad_tol(max(shape), kappa)


def test_qr_reconstruction_identity():
    a, w = _t(_rect(6, 4, 22)), _rect(6, 4, 23)
    q, r = pv.qr(a, mode="economic")
    ((q @ r) * torch.tensor(w)).sum().backward()
    assert rel(a.grad.numpy(), w) < 10 * 6 * float(np.linalg.cond(a.detach().numpy())) * EPS


def test_qr_refusals_are_clear():
    tall = _t(_rect(5, 3, 24))
    with pytest.raises(ValueError, match=r"mode='full'\) of a tall 5 x 3 matrix has no derivative rule"):
        pv.qr(tall)
    with pytest.raises(ValueError, match=r"mode='raw'\) has no derivative rule"):
        pv.qr(tall, mode="raw")
    with pytest.raises(ValueError, match="rank_reveal, rank or tol has no derivative rule"):
        pv.qr(tall, mode="economic", pivoting=True, rank_reveal="strong")
    with torch.no_grad():  # no graph: the ordinary function
        assert pv.qr(tall)[0].shape == (5, 5)


# ----------------------------------------------------------------------------- ldl
def _has_2x2(d):
    return bool(np.any(np.diag(np.asarray(d), -1) != 0))


@pytest.mark.parametrize("lower", [True, False])
def test_ldl_gradcheck_with_2x2_pivots(lower):
    a = _t(LDL_2X2)
    _, d, _ = pv.ldl(a.detach(), lower=lower)
    assert _has_2x2(d)
    assert gradcheck(lambda x: pv.ldl(x, lower=lower)[:2], (a,))


@pytest.mark.filterwarnings(
    "ignore:scipy.linalg.ldl. the imaginary parts"
)  # gradcheck's imaginary diagonal steps
def test_ldl_complex_hermitian_and_batched():
    rng = np.random.default_rng(25)
    z = rng.standard_normal((5, 5)) + 1j * rng.standard_normal((5, 5))
    h = (z + z.conj().T) / 2
    h[0, 0] = 1e-3
    assert gradcheck(lambda x: pv.ldl(x)[:2], (_t(h),))
    b = _t(np.stack([LDL_2X2, LDL_2X2 + np.eye(4)]))
    assert gradcheck(lambda x: pv.ldl(x)[:2], (b,))


def test_ldl_finite_differences():
    """Central differences of a scalar loss along symmetric directions, with an O(h^2 + u/h) tolerance."""
    rng = np.random.default_rng(26)
    wl, wd = rng.standard_normal((4, 4)), rng.standard_normal((4, 4))

    def loss(a):
        lu, d, _ = pv.ldl(a)
        return float((lu * wl).sum() + (d * wd).sum())

    a = _t(LDL_2X2)
    lu, d, _ = pv.ldl(a)
    ((lu * torch.tensor(wl)).sum() + (d * torch.tensor(wd)).sum()).backward()
    h = 1e-5
    for _ in range(5):
        e = rng.standard_normal((4, 4))
        e = np.tril(e + e.T)  # a direction in the triangle read
        fd = (loss(LDL_2X2 + h * e) - loss(LDL_2X2 - h * e)) / (2 * h)
        ad = float((a.grad.numpy() * e).sum())
        scale = np.linalg.norm(a.grad.numpy()) * np.linalg.norm(e)
        # truncation h^2 * |f'''| and rounding u |f| / h, with the factors' condition (~1e4 here) as constant
        assert abs(fd - ad) <= 1e4 * (h**2 + EPS / h) * max(scale, 1.0)


def test_ldl_reconstruction_identity():
    a, w = _t(LDL_2X2), _rect(4, 4, 27)
    lu, d, _ = pv.ldl(a)
    ((lu @ d @ lu.mH) * torch.tensor(w)).sum().backward()
    assert rel(a.grad.numpy(), _fold(w, True)) < 1e4 * 4 * EPS  # cond of the factors ~1e3


def test_ldl_complex_symmetric_refused():
    a = _t(LDL_2X2 + 1j * np.eye(4))
    with pytest.raises(
        ValueError, match=r"hermitian=False\) of a complex symmetric matrix has no derivative"
    ):
        pv.ldl(a, hermitian=False)


# ----------------------------------------------------------------------------- JAX
@pytest.fixture
def jx():
    jax = pytest.importorskip("jax")
    with jax_x64():
        yield jax


def _check(jx, f, a):
    from jax.test_util import check_grads

    check_grads(f, (a,), order=1, modes=("rev",))


@pytest.mark.parametrize("lower", [True, False])
def test_jax_cholesky(jx, lower):
    jnp = jx.numpy
    a = jnp.asarray(spd(4, KAPPA, seed=28))
    _check(jx, lambda x: pv.cholesky(x, lower=lower), a)

    def loss(x):
        return jnp.sum(pv.cholesky(x, lower=lower) ** 2)

    g = jx.grad(loss)(a)
    assert rel(jx.jit(jx.grad(loss))(a), g) < 10 * EPS
    # the same as JAX's own gradient of the symmetrised input
    ref = jx.grad(lambda x: jnp.sum(jnp.linalg.cholesky((x + x.T) / 2) ** 2))(a)
    mine = jx.grad(lambda x: loss((x + x.T) / 2))(a)
    assert rel(mine, ref) < grad_tol(4, KAPPA)


def test_jax_cholesky_complex_batched_second_order(jx):
    from jax.test_util import check_grads

    jnp = jx.numpy
    a = jnp.asarray(np.stack([spd(3, KAPPA, seed=s, complex_=True) for s in range(2)]))
    _check(jx, lambda x: pv.cholesky(x, lower=True), a)
    check_grads(lambda x: pv.cholesky(x, lower=True), (a[0].real,), order=2, modes=("rev",))


def test_jax_cholesky_empty_and_failing_index(jx):
    jnp = jx.numpy
    assert pv.cholesky(jnp.zeros((0, 0))).shape == (0, 0)
    bad = jnp.asarray([[4.0, 1.0, 0.0], [1.0, 4.0, 1.0], [0.0, 1.0, -1.0]])
    with pytest.raises(pv.NotPositiveDefiniteError) as info:
        pv.cholesky(bad)
    assert info.value.index == 2
    with pytest.raises(pv.NotPositiveDefiniteError) as info:
        jx.grad(lambda x: pv.cholesky(x).sum())(bad)
    assert info.value.index == 2


@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5)])
def test_jax_lu_qr(jx, shape):
    jnp = jx.numpy
    a = jnp.asarray(_rect(*shape, seed=29))
    _check(jx, lambda x: pv.lu(x)[1:], a)
    _check(jx, lambda x: pv.lu(x, permute_l=True), a)
    _check(jx, lambda x: pv.lu_factor(x)[0], a)
    _check(jx, lambda x: pv.qr(x, mode="economic"), a)
    _check(jx, lambda x: pv.qr(x, mode="r"), a)
    _check(jx, lambda x: pv.qr(x, mode="economic", pivoting=True)[:2], a)

    def loss(x):
        _, r = pv.qr(x, mode="economic")
        return jnp.sum(r**2) + jnp.sum(pv.lu(x)[2] ** 2)

    assert rel(jx.jit(jx.grad(loss))(a), jx.grad(loss)(a)) < 100 * EPS


@pytest.mark.parametrize("complex_", [False, True])
def test_routed_outputs_match_the_ordinary_ones(jx, complex_):
    """Through the rules (requires_grad, jax.jit) the outputs have the ordinary dtypes, shapes and values."""
    jnp = jx.numpy
    for shape in ((4, 4), (5, 3), (3, 5)):
        a0 = _rect(*shape, seed=40, complex_=complex_)
        for kw in ({}, {"p_indices": True}, {"permute_l": True}):
            t = _t(a0, grad=False)
            plain, routed = pv.lu(t, **kw), pv.lu(t.clone().requires_grad_(), **kw)
            for x, y in zip(plain, routed, strict=True):
                assert x.dtype == y.dtype and torch.equal(x, y.detach())
            j = jnp.asarray(a0)
            plain, traced = pv.lu(j, **kw), jx.jit(lambda x, kw=kw: pv.lu(x, **kw))(j)
            for x, y in zip(plain, traced, strict=True):
                assert x.dtype == y.dtype and x.shape == y.shape
        for mode in ("economic", "r"):
            t = _t(a0, grad=False)
            plain, routed = pv.qr(t, mode=mode), pv.qr(t.clone().requires_grad_(), mode=mode)
            for x, y in zip(plain, routed, strict=True):
                assert x.dtype == y.dtype and torch.equal(x, y.detach())


def test_jax_ldl(jx):
    jnp = jx.numpy
    a = jnp.asarray(LDL_2X2)
    _check(jx, lambda x: pv.ldl(x)[:2], a)
    _check(jx, lambda x: pv.ldl(x, lower=False)[:2], a)

    def loss(x):
        return jnp.sum(pv.ldl(x)[1] ** 2)

    assert rel(jx.jit(jx.grad(loss))(a), jx.grad(loss)(a)) < 100 * EPS


# ----------------------------------------------------------------------------- factorization objects
def test_qr_object_solve_det_inv_on_the_graph():
    a, b = _t(_rect(5, 5, 30)), _t(_rect(5, 2, 31))
    assert gradcheck(lambda x, y: pv.QR(x).solve(y), (a, b))
    assert gradcheck(lambda x: pv.QR(x).slogdet()[1], (a,))
    assert gradcheck(lambda x: pv.QR(x).inv(), (a,))


@pytest.mark.parametrize("complex_", [False, True])
def test_qr_object_lstsq_on_the_graph(complex_):
    a0, b0 = _rect(7, 3, 32, complex_), _rect(7, 2, 33, complex_)
    assert gradcheck(lambda x, y: pv.QR(x).lstsq(y), (_t(a0), _t(b0)))
    assert gradcheck(lambda y: pv.QR(_t(a0, grad=False)).lstsq(y), (_t(b0),))  # constant A
    # the same gradient as torch's least squares through its own QR
    a1, a2 = _t(a0), _t(a0)
    w = torch.tensor(_rect(3, 2, 34, complex_))
    torch.real(pv.QR(a1).lstsq(torch.tensor(b0)) * w.conj()).sum().backward()
    q, r = torch.linalg.qr(a2)
    x2 = torch.linalg.solve_triangular(r, q.mH @ torch.tensor(b0), upper=True)
    torch.real(x2 * w.conj()).sum().backward()
    assert rel(a1.grad.numpy(), a2.grad.numpy()) < grad_tol(7, float(np.linalg.cond(a0)))


@pytest.mark.parametrize("lower", [True, False])
def test_triangular_object_on_the_graph(lower):
    t0 = _rect(4, 4, 35) + 4 * np.eye(4)
    t0 = np.tril(t0) if lower else np.triu(t0)
    b = _t(_rect(4, 2, 36))
    # lower= given: gradcheck's steps into the other triangle must not change the detected structure
    assert gradcheck(lambda x, y: pv.Triangular(x, lower=lower).solve(y), (_t(t0), b))
    assert gradcheck(lambda x: pv.Triangular(x, lower=lower).slogdet()[1], (_t(t0),))
    g = _t(t0)
    pv.Triangular(g, lower=lower).det().backward()
    other = np.triu(g.grad.numpy(), 1) if lower else np.tril(g.grad.numpy(), -1)
    assert not other.any()  # the triangle not read gets no gradient


def test_factorization_objects_without_rules_refuse_clearly():
    a = _t(_rect(4, 4, 37))
    with pytest.raises(ValueError, match=r"pivotal\.Triangular with a row permutation or unit_diagonal"):
        pv.Triangular(torch.tril(a), lower=True, unit_diagonal=True)
    with pytest.raises(ValueError, match=r"pivotal\.QRPivoted has no derivative rule yet"):
        pv.QRPivoted(a)
    with pytest.raises(ValueError, match=r"pivotal\.QRPivoted\.lstsq has no derivative rule yet"):
        pv.QRPivoted(a.detach()).lstsq(_t(_rect(4, 1, 38)))
    with pytest.raises(ValueError, match=r"pivotal\.PivotedCholesky has no derivative rule yet"):
        pv.PivotedCholesky(a @ a.mT)


# ----------------------------------------------------------------------------- second order, JAX complex
@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5)])
def test_second_order_lu_qr(shape):
    a = _t(_rect(*shape, seed=41))
    assert gradgradcheck(lambda x: pv.qr(x, mode="economic"), (a,))
    assert gradgradcheck(lambda x: pv.lu(x)[1:], (a,))


def test_second_order_ldl():
    assert gradgradcheck(lambda x: pv.ldl(x)[:2], (_t(LDL_2X2),))


@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5)])
def test_jax_complex_lu_qr_cholesky(jx, shape):
    a = jx.numpy.asarray(_rect(*shape, seed=42, complex_=True))
    _check(jx, lambda x: pv.lu(x)[1:], a)
    _check(jx, lambda x: pv.qr(x, mode="economic"), a)
    h = jx.numpy.asarray(spd(4, KAPPA, seed=43, complex_=True))
    _check(jx, lambda x: pv.cholesky(x, lower=True), h)
