"""Gradients of the public ``svd``, ``svdvals``, ``eigh`` and ``eigvalsh`` on PyTorch and JAX (rules 'svd', 'eigh').

The formulas themselves are tested as pure functions in test_autodiff_spectral.py; here the
routing: gradcheck/gradgradcheck, ``check_grads``, ``jit(grad)``, agreement with torch's own
autograd on generic spectra, and the repeated-spectrum cases where torch's autograd gives NaN.

Tolerances.  Our primal on torch *is* ``torch.linalg.svd``/``eigh``, so against torch's autograd
only the backward arithmetic differs: each entry of the in-subspace matrix is a quotient by a gap
``s_j - s_i`` (or ``s_j + s_i``), so the two agree to about ``n eps ||A|| / gap`` relative;
:func:`vec_tol` takes 100 times that.  Against finite differences the central-difference
truncation ``h^2 f'''`` (``f'''`` of order ``1/gap^2``) and rounding ``eps |f| / h`` set the bound.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import pivotal as pv
from pivotal.autodiff import DegenerateSubspaceWarning, registry

from ._autodiff_helpers import EPS, jx, rel  # noqa: F401  (jx: a fixture)

torch = pytest.importorskip("torch")


# --------------------------------------------------------------------------- data


def with_spectrum(m: int, n: int, s, seed: int = 0, complex_: bool = False, batch: tuple = ()) -> np.ndarray:
    """``Q1 diag(s) Q2^H`` with Haar-like ``Q1`` (m x m), ``Q2`` (n x n): known singular values."""
    rng = np.random.default_rng(seed)

    def q(k):
        z = rng.standard_normal((*batch, k, k))
        if complex_:
            z = z + 1j * rng.standard_normal((*batch, k, k))
        return np.linalg.qr(z)[0]

    r = min(m, n)
    d = np.zeros((*batch, m, n), dtype=np.complex128 if complex_ else np.float64)
    d[..., np.arange(r), np.arange(r)] = np.asarray(s, dtype=np.float64)[:r]
    q1, q2 = q(m), q(n)
    return q1 @ d @ np.conj(np.swapaxes(q2, -1, -2))


def vec_tol(s, n: int) -> float:
    """``100 n eps max|s| / gap``, ``gap`` the smallest ``|s_i - s_j|`` and ``s_i + s_j`` (module notes)."""
    s = np.sort(np.abs(np.asarray(s, dtype=np.float64)))
    gaps = np.concatenate([np.diff(s), 2 * s[:1]]) if s.size > 1 else np.abs(s)
    return 100 * n * EPS * s[-1] / max(float(gaps.min()), EPS)


def weights(shape, seed: int = 7, complex_: bool = False):
    rng = np.random.default_rng(seed)
    w = rng.standard_normal(shape)
    if complex_:
        w = w + 1j * rng.standard_normal(shape)
    return w


def t(a, grad: bool = True):
    dtype = torch.complex128 if np.iscomplexobj(a) else torch.float64
    return torch.tensor(np.asarray(a), dtype=dtype, requires_grad=grad)


# --------------------------------------------------------------------------- losses (gauge invariant)


def svd_loss(xp, u, s, vh, wu, wv, ws, k: int = 2):
    """``sum Re(W_u o U_k U_k^H) + sum Re(W_v o V_k V_k^H) + ws . s``: independent of signs and phases."""
    uk, vk = u[..., :, :k], xp.conj(xp.swapaxes(vh, -1, -2))[..., :, :k]
    pu = uk @ xp.conj(xp.swapaxes(uk, -1, -2))
    pv_ = vk @ xp.conj(xp.swapaxes(vk, -1, -2))
    return xp.sum(xp.real(pu * wu)) + xp.sum(xp.real(pv_ * wv)) + xp.sum(s[..., : ws.shape[-1]] * ws)


def eigh_loss(xp, w, v, wv, ww, cols=slice(-1, None)):
    vk = v[..., :, cols]
    p = vk @ xp.conj(xp.swapaxes(vk, -1, -2))
    return xp.sum(xp.real(p * wv)) + xp.sum(w * ww)


# --------------------------------------------------------------------------- registry


def test_rules_registered():
    rules = registry()
    assert rules["svd"].functions == ("svd", "svdvals")
    assert rules["eigh"].functions == ("eigh", "eigvalsh")


# --------------------------------------------------------------------------- torch: svd


SVD_CASES = [
    ((5, 3), (), False),
    ((3, 5), (), False),
    ((4, 4), (), False),
    ((5, 3), (2,), False),
    ((4, 3), (), True),
    ((3, 4), (2,), True),
]


@pytest.mark.parametrize("full_matrices", [False, True])
@pytest.mark.parametrize(("shape", "batch", "complex_"), SVD_CASES)
def test_torch_svd_gradcheck(shape, batch, complex_, full_matrices):
    m, n = shape
    a = t(with_spectrum(m, n, [3.0, 2.0, 1.2, 0.5][: min(m, n)], seed=1, complex_=complex_, batch=batch))
    wu, wv = t(weights((m, m), 2, complex_), False), t(weights((n, n), 3, complex_), False)
    ws = torch.tensor([1.0, -0.5, 0.25], dtype=torch.float64)

    def f(x):
        u, s, vh = pv.svd(x, full_matrices=full_matrices)
        loss = svd_loss(torch, u, s, vh, wu, wv, ws)
        if full_matrices:  # the projector onto the extra columns is well defined
            r = min(m, n)
            u2, v2 = u[..., :, r:], vh[..., r:, :]
            loss = loss + torch.sum(torch.real((u2 @ u2.mH) * wu)) + torch.sum(torch.real((v2.mH @ v2) * wv))
        return loss

    assert torch.autograd.gradcheck(f, (a,))


@pytest.mark.parametrize("complex_", [False, True])
def test_torch_svd_gradgradcheck(complex_):
    a = t(with_spectrum(4, 3, [3.0, 2.0, 1.0], seed=4, complex_=complex_))
    wu, wv = t(weights((4, 4), 5, complex_), False), t(weights((3, 3), 6, complex_), False)
    ws = torch.tensor([1.0, 0.5], dtype=torch.float64)
    f = lambda x: svd_loss(torch, *pv.svd(x, full_matrices=False), wu, wv, ws)  # noqa: E731
    assert torch.autograd.gradgradcheck(f, (a,))


@pytest.mark.parametrize("complex_", [False, True])
def test_torch_svdvals_and_compute_uv_false(complex_):
    a = t(with_spectrum(5, 3, [3.0, 2.0, 1.0], seed=8, complex_=complex_, batch=(2,)))
    assert torch.autograd.gradcheck(pv.svdvals, (a,))
    assert torch.autograd.gradgradcheck(pv.svdvals, (a,))
    s = pv.svd(a, compute_uv=False)
    (g,) = torch.autograd.grad(s.sum(), a)
    (ref,) = torch.autograd.grad(torch.linalg.svdvals(a).sum(), a)  # d sum(s) = Re tr(U V^H dA)
    assert rel(g.numpy(), ref.numpy()) < vec_tol([3.0, 2.0, 1.0], 5)


@pytest.mark.parametrize("complex_", [False, True])
@pytest.mark.parametrize("shape", [(6, 4), (4, 6)])
def test_torch_svd_matches_torch_autograd(shape, complex_):
    m, n = shape
    s0 = [4.0, 3.0, 2.0, 1.0]
    a_np = with_spectrum(m, n, s0, seed=9, complex_=complex_)
    wu, wv = t(weights((m, m), 10, complex_), False), t(weights((n, n), 11, complex_), False)
    ws = torch.tensor([1.0, -1.0, 0.5, 0.3], dtype=torch.float64)
    grads = []
    for svd in (lambda x: pv.svd(x, full_matrices=False), lambda x: torch.linalg.svd(x, full_matrices=False)):
        a = t(a_np)
        svd_loss(torch, *svd(a), wu, wv, ws, k=3).backward()
        grads.append(a.grad.numpy())
    assert rel(grads[0], grads[1]) < vec_tol(s0, max(m, n))


def test_torch_svd_gesvd_driver():
    a_np = with_spectrum(5, 4, [3.0, 2.0, 1.5, 1.0], seed=12)
    a = t(a_np)
    assert torch.autograd.gradcheck(lambda x: pv.svd(x, full_matrices=False, lapack_driver="gesvd")[1], (a,))


# --------------------------------------------------------------------------- torch: eigh


def sym_spectrum(n, w, seed=0, complex_=False, batch=()):
    """A Hermitian matrix with eigenvalues ``w`` (exact up to the rounding of the product)."""
    q = with_spectrum(n, n, np.ones(n), seed=seed, complex_=complex_, batch=batch)
    a = (q * np.asarray(w, dtype=np.float64)) @ np.conj(np.swapaxes(q, -1, -2))
    return (a + np.conj(np.swapaxes(a, -1, -2))) / 2


def perturb_triangle(a, lower, seed=13):
    """``a`` with junk in the triangle that is not read (the gradient must be zero there)."""
    rng = np.random.default_rng(seed)
    junk = rng.standard_normal(a.shape) * (1 + 1j if np.iscomplexobj(a) else 1)
    mask = np.triu(np.ones(a.shape[-2:]), 1) if lower else np.tril(np.ones(a.shape[-2:]), -1)
    return a * (1 - mask) + junk * mask


EIGH_CASES = [
    (4, (), False, True),
    (4, (), False, False),
    (3, (2,), False, True),
    (3, (), True, True),
    (3, (), True, False),
]


@pytest.mark.parametrize(("n", "batch", "complex_", "lower"), EIGH_CASES)
def test_torch_eigh_gradcheck(n, batch, complex_, lower):
    a = t(perturb_triangle(sym_spectrum(n, np.arange(1.0, n + 1), 14, complex_, batch), lower))
    wv, ww = t(weights((n, n), 15, complex_), False), torch.linspace(-1, 1, n, dtype=torch.float64)
    f = lambda x: eigh_loss(torch, *pv.eigh(x, lower=lower), wv, ww)  # noqa: E731
    assert torch.autograd.gradcheck(f, (a,))
    assert torch.autograd.gradgradcheck(f, (a,))
    (g,) = torch.autograd.grad(f(a), a)
    other = np.triu(np.ones((n, n)), 1) if lower else np.tril(np.ones((n, n)), -1)
    assert np.all(g.numpy() * other == 0)  # the triangle not read gets zero


@pytest.mark.parametrize("complex_", [False, True])
def test_torch_eigh_matches_torch_autograd(complex_):
    from pivotal.spectral._generalized import hermitian_from_triangle

    n, w0 = 5, [-2.0, -1.0, 0.5, 1.5, 3.0]
    a_np = perturb_triangle(sym_spectrum(n, w0, 16, complex_), True)
    wv, ww = t(weights((n, n), 17, complex_), False), torch.linspace(-1, 1, n, dtype=torch.float64)
    grads = []
    for eigh in (pv.eigh, lambda x: torch.linalg.eigh(hermitian_from_triangle(x, True))):
        a = t(a_np)
        eigh_loss(torch, *eigh(a), wv, ww, cols=slice(1, 3)).backward()
        grads.append(a.grad.numpy())
    assert rel(grads[0], grads[1]) < vec_tol(w0, n)


def test_torch_eigvalsh_and_subsets():
    n = 5
    a = t(perturb_triangle(sym_spectrum(n, [1.0, 2.0, 3.0, 4.0, 5.0], 18), True))
    assert torch.autograd.gradcheck(pv.eigvalsh, (a,))
    assert torch.autograd.gradcheck(lambda x: pv.eigvalsh(x, subset_by_index=(1, 3)), (a,))
    assert torch.autograd.gradcheck(lambda x: pv.eigh(x, subset_by_index=(3, 4))[1][:, -1] ** 2, (a,))
    assert torch.autograd.gradcheck(lambda x: pv.eigvalsh(x, subset_by_value=(2.5, 10.0)), (a,))
    assert torch.autograd.gradcheck(lambda x: pv.eigvalsh(x, driver="evr"), (a,))
    # the gradient of the returned pairs only: d(w_4) = v_4 v_4^T on the triangle
    w = pv.eigvalsh(a, subset_by_index=(4, 4))
    (g,) = torch.autograd.grad(w.sum(), a)
    _, v = np.linalg.eigh(np.tril(a.detach().numpy()) + np.tril(a.detach().numpy(), -1).T)
    outer = np.outer(v[:, 4], v[:, 4])
    np.testing.assert_allclose(
        g.numpy(), np.tril(2 * outer, -1) + np.diag(np.diag(outer)), atol=100 * n * EPS
    )


def _reduced_eigh_torch(a, b, lower):
    """The generalized problem by an explicit Cholesky reduction, differentiated by torch's autograd."""
    from pivotal.spectral._generalized import hermitian_from_triangle

    A, B = hermitian_from_triangle(a, lower), hermitian_from_triangle(b, lower)
    L = torch.linalg.cholesky(B)
    c = torch.linalg.solve_triangular(L, torch.linalg.solve_triangular(L, A, upper=False).mH, upper=False)
    w, y = torch.linalg.eigh(c)
    return w, torch.linalg.solve_triangular(L.mH, y, upper=True)


@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("complex_", [False, True])
def test_torch_generalized_eigh(complex_, lower):
    n, w0 = 4, [0.5, 1.0, 2.0, 3.5]
    a_np = perturb_triangle(sym_spectrum(n, w0, 19, complex_), lower)
    b_np = perturb_triangle(sym_spectrum(n, [1.0, 1.5, 2.0, 4.0], 20, complex_), lower, seed=21)
    wv, ww = t(weights((n, n), 22, complex_), False), torch.linspace(-1, 1, n, dtype=torch.float64)
    f = lambda x, y: eigh_loss(torch, *pv.eigh(x, y, lower=lower), wv, ww, cols=slice(1, 3))  # noqa: E731
    a, b = t(a_np), t(b_np)
    assert torch.autograd.gradcheck(f, (a, b))
    assert torch.autograd.gradgradcheck(f, (a, b))
    ours = torch.autograd.grad(f(a, b), (a, b))
    ref = torch.autograd.grad(
        eigh_loss(torch, *_reduced_eigh_torch(a, b, lower), wv, ww, cols=slice(1, 3)), (a, b)
    )
    # the reduction divides by L twice: kappa(B) = 4 enters the comparison
    for x, y in zip(ours, ref, strict=True):
        assert rel(x.numpy(), y.numpy()) < 4 * vec_tol(
            np.linalg.eigvalsh(sym_spectrum(n, w0, 19, complex_)), n
        )


def test_torch_generalized_batched_broadcast():
    a = t(sym_spectrum(3, [1.0, 2.0, 3.0], 23, batch=(2,)))
    b = t(sym_spectrum(3, [1.0, 2.0, 3.0], 24))  # one b for the whole batch
    f = lambda x, y: pv.eigh(x, y)[1][..., 0] ** 2  # noqa: E731
    assert torch.autograd.gradcheck(f, (a, b))


def test_torch_generalized_types_2_3_refused():
    a, b = t(sym_spectrum(3, [1.0, 2.0, 3.0], 25)), t(sym_spectrum(3, [1.0, 2.0, 3.0], 26))
    for itype in (2, 3):
        with pytest.raises(ValueError, match=rf"pivotal.eigh\(a, b, type={itype}\) has no derivative rule"):
            pv.eigh(a, b, type=itype)
    with torch.no_grad():
        assert pv.eigh(a, b, type=2)[0].shape == (3,)


# --------------------------------------------------------------------------- repeated spectra


def _degenerate():
    """6 x 4 with exact singular values 3, 1, 1, 0.25 (a scaled permutation: no rounding)."""
    a = np.zeros((6, 4))
    a[[4, 0, 2, 5], [1, 3, 0, 2]] = [3.0, -1.0, 1.0, 0.25]
    rng = np.random.default_rng(27)  # rotate by exactly orthogonal Householder-free signed permutations
    p = np.eye(6)[rng.permutation(6)] * rng.choice([-1.0, 1.0], 6)
    q = np.eye(4)[rng.permutation(4)] * rng.choice([-1.0, 1.0], 4)
    return p @ a @ q


def _top_loss(xp, u, s, vh, wu, wv):
    u1, v1 = u[:, :1], xp.swapaxes(vh, -1, -2)[:, :1]
    return xp.sum((u1 @ u1.T) * wu) + xp.sum((v1 @ v1.T) * wv) + s[0] ** 2


def _fd_grad(f, a, h=1e-5):
    g = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        e = np.zeros_like(a)
        e[idx] = h
        g[idx] = (f(a + e) - f(a - e)) / (2 * h)
    return g


def test_top_triplet_with_repeated_lower_singular_values_torch():
    a_np = _degenerate()
    assert np.allclose(np.linalg.svd(a_np, compute_uv=False), [3.0, 1.0, 1.0, 0.25], rtol=0, atol=10 * EPS)
    wu, wv = weights((6, 6), 28), weights((4, 4), 29)
    a = t(a_np)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DegenerateSubspaceWarning)  # a loss of the top triplet is well defined
        _top_loss(torch, *pv.svd(a, full_matrices=False), t(wu, False), t(wv, False)).backward()
    ours = a.grad.numpy()
    assert np.isfinite(ours).all()
    fd = _fd_grad(lambda x: float(_top_loss(np, *np.linalg.svd(x, full_matrices=False), wu, wv)), a_np)
    # truncation h^2 f''' with f''' ~ 1/gap^2 (gap 2), rounding eps |f| / h
    assert rel(ours, fd) < 1e-8
    ref = t(a_np)
    _top_loss(torch, *torch.linalg.svd(ref, full_matrices=False), t(wu, False), t(wv, False)).backward()
    if not np.isfinite(ref.grad.numpy()).all():  # pytorch#194705 (only asserted where it happens)
        assert np.isnan(ref.grad.numpy()).any()


def test_top_triplet_with_repeated_lower_singular_values_jax(jx):  # noqa: F811  (the jx fixture)
    jnp = jx.numpy
    a_np = _degenerate()
    wu, wv = weights((6, 6), 28), weights((4, 4), 29)
    f = lambda x: _top_loss(jnp, *pv.svd(x, full_matrices=False, check_finite=False), wu, wv)  # noqa: E731
    g = np.asarray(jx.jit(jx.grad(f))(jnp.asarray(a_np)))
    fd = _fd_grad(lambda x: float(_top_loss(np, *np.linalg.svd(x, full_matrices=False), wu, wv)), a_np)
    assert np.isfinite(g).all() and rel(g, fd) < 1e-8


def test_top_eigenpair_with_repeated_lower_eigenvalues_torch():
    n = 4
    a_np = np.diag([1.0, 1.0, 2.0, 4.0])[np.ix_([2, 0, 3, 1], [2, 0, 3, 1])]  # exact, repeated w = 1
    wv = weights((n, n), 30)
    wv = wv + wv.T
    a = t(a_np)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DegenerateSubspaceWarning)
        eigh_loss(torch, *pv.eigh(a), t(wv, False), torch.zeros(n, dtype=torch.float64)).backward()
    ours = a.grad.numpy()

    def f(x):
        w, v = np.linalg.eigh(np.tril(x) + np.tril(x, -1).T)
        return float(eigh_loss(np, w, v, wv, np.zeros(n)))

    assert np.isfinite(ours).all() and rel(ours, _fd_grad(f, a_np)) < 1e-8
    ref = t(a_np)
    w, v = torch.linalg.eigh(ref)
    eigh_loss(torch, w, v, t(wv, False), torch.zeros(n, dtype=torch.float64)).backward()
    if not np.isfinite(ref.grad.numpy()).all():
        assert np.isnan(ref.grad.numpy()).any()


def test_basis_dependent_loss_warns_once_with_pairs():
    a = t(_degenerate())
    wu = weights((6, 6), 31)
    wu = t(wu + wu.T, False)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        u = pv.svd(a, full_matrices=False)[0]
        (u[:, 1] @ wu @ u[:, 1]).backward()  # u_2 alone, inside the subspace sigma_2 = sigma_3
    deg = [w.message for w in rec if isinstance(w.message, DegenerateSubspaceWarning)]
    assert len(deg) == 1 and deg[0].pairs == [(1, 2)]
    assert np.isfinite(a.grad.numpy()).all()

    b = t(np.diag([1.0, 1.0, 3.0]))
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        v = pv.eigh(b)[1]
        (v[:, 0] @ wu[:3, :3] @ v[:, 0]).backward()
    deg = [w.message for w in rec if isinstance(w.message, DegenerateSubspaceWarning)]
    assert len(deg) == 1 and deg[0].pairs == [(0, 1)]


# --------------------------------------------------------------------------- JAX


JAX_SVD_CASES = [
    ((5, 3), (), False, False),
    ((3, 5), (), False, True),
    ((5, 3), (2,), False, False),
    ((4, 3), (), True, True),
    ((3, 4), (2,), True, False),
]


@pytest.mark.parametrize(("shape", "batch", "complex_", "full_matrices"), JAX_SVD_CASES)
def test_jax_svd_check_grads(jx, shape, batch, complex_, full_matrices):  # noqa: F811  (the jx fixture)
    from jax.test_util import check_grads

    jnp = jx.numpy
    m, n = shape
    a = jnp.asarray(
        with_spectrum(m, n, [3.0, 2.0, 1.2, 0.5][: min(m, n)], seed=1, complex_=complex_, batch=batch)
    )
    wu, wv = jnp.asarray(weights((m, m), 2, complex_)), jnp.asarray(weights((n, n), 3, complex_))
    ws = jnp.asarray([1.0, -0.5, 0.25])

    def f(x):
        return svd_loss(jnp, *pv.svd(x, full_matrices=full_matrices, check_finite=False), wu, wv, ws)

    check_grads(f, (a,), order=1, modes=("rev",))
    g_jit = jx.jit(jx.grad(f))(a)
    np.testing.assert_allclose(
        np.asarray(g_jit), np.asarray(jx.grad(f)(a)), rtol=0, atol=vec_tol([3, 2, 1.2, 0.5], 5)
    )


@pytest.mark.parametrize("complex_", [False, True])
def test_jax_svd_matches_torch(jx, complex_):  # noqa: F811  (the jx fixture)
    jnp = jx.numpy
    a_np = with_spectrum(5, 3, [3.0, 2.0, 1.0], seed=32, complex_=complex_)
    wu, wv, ws = weights((5, 5), 33, complex_), weights((3, 3), 34, complex_), np.array([1.0, 0.5])
    g = jx.grad(lambda x: svd_loss(jnp, *pv.svd(x, full_matrices=False), wu, wv, ws))(jnp.asarray(a_np))
    a = t(a_np)
    svd_loss(torch, *pv.svd(a, full_matrices=False), t(wu, False), t(wv, False), torch.tensor(ws)).backward()
    # JAX's cotangent of a complex input is the conjugate of torch's
    assert rel(np.conj(np.asarray(g)), a.grad.numpy()) < vec_tol([3.0, 2.0, 1.0], 5)


def test_jax_full_matrices_rectangular(jx):  # noqa: F811  (the jx fixture)
    jnp = jx.numpy
    a = jnp.asarray(with_spectrum(5, 3, [3.0, 2.0, 1.0], seed=35))
    f = lambda x: jnp.sum(pv.svd(x, full_matrices=True, check_finite=False)[0][:, 3:] ** 2 * jnp.arange(2.0))  # noqa: E731
    assert np.isfinite(np.asarray(jx.grad(f)(a))).all()


@pytest.mark.parametrize(("n", "batch", "complex_", "lower"), EIGH_CASES)
def test_jax_eigh_check_grads(jx, n, batch, complex_, lower):  # noqa: F811  (the jx fixture)
    from jax.test_util import check_grads

    jnp = jx.numpy
    a = jnp.asarray(perturb_triangle(sym_spectrum(n, np.arange(1.0, n + 1), 14, complex_, batch), lower))
    wv, ww = jnp.asarray(weights((n, n), 15, complex_)), jnp.linspace(-1, 1, n)
    f = lambda x: eigh_loss(jnp, *pv.eigh(x, lower=lower, check_finite=False), wv, ww)  # noqa: E731
    check_grads(f, (a,), order=1, modes=("rev",))
    g = np.asarray(jx.jit(jx.grad(f))(a))
    np.testing.assert_allclose(g, np.asarray(jx.grad(f)(a)), rtol=0, atol=vec_tol(np.arange(1.0, n + 1), n))
    other = np.triu(np.ones((n, n)), 1) if lower else np.tril(np.ones((n, n)), -1)
    assert np.all(g * other == 0)


def test_jax_eigvalsh_subset_and_generalized(jx):  # noqa: F811  (the jx fixture)
    from jax.test_util import check_grads

    jnp = jx.numpy
    a = jnp.asarray(sym_spectrum(4, [1.0, 2.0, 3.0, 4.0], 36))
    b = jnp.asarray(sym_spectrum(4, [1.0, 1.5, 2.0, 4.0], 37))
    check_grads(lambda x: pv.eigvalsh(x, subset_by_index=(2, 3), check_finite=False), (a,), 1, modes=("rev",))
    wv = jnp.asarray(weights((4, 4), 38))
    f = lambda x, y: eigh_loss(jnp, *pv.eigh(x, y, check_finite=False), wv, jnp.linspace(-1, 1, 4))  # noqa: E731
    check_grads(f, (a, b), order=1, modes=("rev",))
    ga, gb = jx.jit(jx.grad(f, argnums=(0, 1)))(a, b)
    at, bt = t(np.asarray(a)), t(np.asarray(b))
    ref = torch.autograd.grad(
        eigh_loss(
            torch, *pv.eigh(at, bt), t(np.asarray(wv), False), torch.linspace(-1, 1, 4, dtype=torch.float64)
        ),
        (at, bt),
    )
    assert rel(np.asarray(ga), ref[0].numpy()) < 4 * vec_tol([1.0, 2.0, 3.0, 4.0], 4)
    assert rel(np.asarray(gb), ref[1].numpy()) < 4 * vec_tol([1.0, 2.0, 3.0, 4.0], 4)


def test_jax_host_only_options_still_refused_under_tracing(jx):  # noqa: F811  (the jx fixture)
    jnp = jx.numpy
    a = jnp.asarray(sym_spectrum(3, [1.0, 2.0, 3.0], 39))
    with pytest.raises(ValueError, match="gesvd"):
        jx.jit(jx.grad(lambda x: pv.svd(x, lapack_driver="gesvd", check_finite=False)[1].sum()))(a)
    with pytest.raises(ValueError, match="subset_by_value"):
        jx.jit(jx.grad(lambda x: pv.eigvalsh(x, subset_by_value=(0, 5), check_finite=False).sum()))(a)
    # without jit the values are known: the host options work under jax.grad
    g = jx.grad(lambda x: pv.svd(x, lapack_driver="gesvd")[1].sum())(a)
    u, _, vh = np.linalg.svd(np.asarray(a))
    np.testing.assert_allclose(np.asarray(g), u @ vh, rtol=0, atol=vec_tol([1.0, 2.0, 3.0], 3))
    with pytest.raises(ValueError, match="evr"):
        jx.jit(jx.grad(lambda x: pv.eigvalsh(x, driver="evr", check_finite=False)[-1]))(a)
    g2 = jx.grad(lambda x: pv.eigvalsh(x, driver="evr")[-1])(a)
    g = jx.grad(lambda x: pv.eigvalsh(x, subset_by_value=(2.5, 5)).sum())(a)
    np.testing.assert_allclose(np.asarray(g2), np.asarray(g), rtol=0, atol=vec_tol([1.0, 2.0, 3.0], 3))
    w, v = np.linalg.eigh(np.asarray(a))
    np.testing.assert_allclose(
        np.asarray(g), np.tril(2 * np.outer(v[:, 2], v[:, 2]), -1) + np.diag(v[:, 2] ** 2), atol=vec_tol(w, 3)
    )


# --------------------------------------------------------------------------- SVD and Eigh objects


def test_svd_object_stays_on_the_graph():
    a_np = with_spectrum(4, 4, [3.0, 2.0, 1.0, 0.5], seed=40)
    a, b = t(a_np), t(weights((4, 2), 41))
    for f in (
        lambda x, y: pv.SVD(x).solve(y),
        lambda x, y: pv.SVD(x).lstsq(y, trans=1),
        lambda x, y: pv.SVD(x).pinv() @ y,
        lambda x, y: pv.SVD(x).low_rank(2).factorization.lstsq(y),
    ):
        assert torch.autograd.gradcheck(f, (a, b))
    for f in (lambda x: pv.SVD(x).det(), lambda x: pv.SVD(x).slogdet()[1], lambda x: pv.SVD(x).inv()):
        assert torch.autograd.gradcheck(f, (a,))
    # d log|det A| = A^{-T}, d pinv against torch.linalg.pinv's autograd (full rank: the inverse)
    (g,) = torch.autograd.grad(pv.SVD(a).slogdet()[1], a)
    assert rel(g.numpy(), np.linalg.inv(a_np).T) < vec_tol([3.0, 2.0, 1.0, 0.5], 4)
    w = t(weights((4, 4), 42), False)
    (g1,) = torch.autograd.grad(torch.sum(pv.SVD(a).pinv() * w), a)
    (g2,) = torch.autograd.grad(torch.sum(torch.linalg.pinv(a) * w), a)
    assert rel(g1.numpy(), g2.numpy()) < vec_tol([3.0, 2.0, 1.0, 0.5], 4) * 6**2  # kappa^2 of the inverse
    # rectangular, complex
    c = t(with_spectrum(5, 3, [2.0, 1.0, 0.5], seed=43, complex_=True))
    bc = t(weights((5, 1), 44, True))
    assert torch.autograd.gradcheck(lambda x, y: pv.SVD(x).lstsq(y), (c, bc))


def test_eigh_object_stays_on_the_graph():
    n = 4
    a_np = perturb_triangle(sym_spectrum(n, [0.5, 1.0, 2.0, 3.0], 45), True)
    a, b = t(a_np), t(weights((n, 2), 46))
    for f in (
        lambda x, y: pv.Eigh(x).solve(y),
        lambda x, y: pv.Eigh(x).low_rank(2).factorization.lstsq(y),
    ):
        assert torch.autograd.gradcheck(f, (a, b))
    for f in (lambda x: pv.Eigh(x).logdet(), lambda x: pv.Eigh(x).det(), lambda x: pv.Eigh(x).pinv()):
        assert torch.autograd.gradcheck(f, (a,))
    (g,) = torch.autograd.grad(pv.Eigh(a).logdet(), a)
    inv = np.linalg.inv(np.tril(a_np) + np.tril(a_np, -1).T)
    expect = np.tril(2 * inv, -1) + np.diag(np.diag(inv))  # d logdet = A^{-1} on the lower triangle read
    assert rel(g.numpy(), expect) < vec_tol([0.5, 1.0, 2.0, 3.0], n) * 6


def test_jax_vmap_and_second_order(jx):  # noqa: F811  (the jx fixture)
    from jax.test_util import check_grads

    jnp = jx.numpy
    a = jnp.asarray(with_spectrum(5, 4, [3.0, 2.0, 1.0, 0.5], seed=47, batch=(3,)))
    f = lambda x: jnp.sum(pv.svd(x, full_matrices=False, check_finite=False)[1])  # noqa: E731
    g = np.asarray(jx.jit(jx.vmap(jx.grad(f)))(a))
    u, _, vh = np.linalg.svd(np.asarray(a), full_matrices=False)
    np.testing.assert_allclose(g, u @ vh, rtol=0, atol=vec_tol([3.0, 2.0, 1.0, 0.5], 5))  # d sum(s) = U V^H
    a2 = a[0, :3, :3]
    check_grads(
        lambda x: jnp.sum(pv.svd(x, check_finite=False)[0][:, 0] ** 2 * jnp.arange(3.0)), (a2,), 2, ("rev",)
    )
    s2 = a2 + a2.T
    check_grads(lambda x: pv.eigh(x, check_finite=False)[1][:, -1] ** 2 @ jnp.arange(3.0), (s2,), 2, ("rev",))
