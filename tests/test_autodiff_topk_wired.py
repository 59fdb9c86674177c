"""Gradients through the public top-k routines (svds, eigsh, rsvd, reigh, nystrom) on PyTorch and JAX.

The pure backward (pivotal.autodiff.topk_vjp) is tested in test_autodiff_topk.py; here the same
reference case goes through the rules ``svds`` and ``eigsh`` (autodiff/topk_rules.py): a tensor that
requires grad, ``jax.grad`` and ``jax.jit(jax.grad)``.

Reference case (issue 12): m = 64, n = 32, f(A) = sum_i xi_i s_i + phi_i^T u_i + psi_i^T v_i over the top
k triplets, the sign of each pair fixed by the largest-|.| entry of u_i (applied identically to the
reference).  Tolerances: the forward's triplets have residuals of a few ``u ||A||`` (ARPACK at tol=0, or
LAPACK), the complement solve stops at ``1000 u`` relative, and both errors reach the gradient divided
by the gap ``s_k - s_(k+1)`` (about ``0.1 ||A||`` for these matrices): ``1e-8`` relative leaves a factor of
over 100 on ``1000 u / 0.1 = 2e-12``.  The Taylor remainder ``|f(A + tE) - f(A) - t <G, E>|`` is
``O(t^2)``: halving ``t`` from ``1e-3 ||A||`` divides it by 4 (3.5 to 4.5: the ``t^3`` term is ``t``
times smaller, and the rounding of ``f``, ``1e-14``, is far below the remainder, ``1e-6``).
"""

from __future__ import annotations

import numpy as np
import pytest

import pivotal as pv

from ._autodiff_helpers import EPS, jax_x64

torch = pytest.importorskip("torch")

BACKWARDS = ("cg", "minres", "block", "augmented")
M, N = 64, 32


def _rel(a, b) -> float:
    a, b = np.asarray(a), np.asarray(b)
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def _coeffs(rng, m, n, k):
    return rng.standard_normal(k), rng.standard_normal((m, k)), rng.standard_normal((n, k))


def _loss_t(U, s, Vh, xi, phi, psi):
    """The loss on descending torch triplets, signs fixed by the largest-|.| entry of each u_i."""
    k = s.shape[0]
    idx = torch.argmax(U.detach().abs(), dim=0)
    sign = torch.sign(U.detach()[idx, torch.arange(k)])
    U, Vh = U * sign, Vh * sign[:, None]
    return (torch.tensor(xi) * s).sum() + (torch.tensor(phi) * U).sum() + (torch.tensor(psi) * Vh.T).sum()


def _torch_reference(A, k, xi, phi, psi):
    """Gradient by torch autograd through torch.linalg.svd (the full SVD)."""
    At = torch.tensor(A, requires_grad=True)
    U, s, Vh = torch.linalg.svd(At, full_matrices=False)
    _loss_t(U[:, :k], s[:k], Vh[:k], xi, phi, psi).backward()
    return At.grad.numpy()


def _f_numpy(A, k, xi, phi, psi):
    U, s, Vh = np.linalg.svd(A, full_matrices=False)
    with torch.no_grad():
        return float(_loss_t(torch.tensor(U[:, :k]), torch.tensor(s[:k]), torch.tensor(Vh[:k]), xi, phi, psi))


def _descending(U, s, Vh):
    return torch.flip(U, (1,)), torch.flip(s, (0,)), torch.flip(Vh, (0,))


def _pv_grad_svds(A, k, xi, phi, psi, **kw):
    At = torch.tensor(A, requires_grad=True)
    U, s, Vh = _descending(*pv.svds(At, k, **kw))
    _loss_t(U, s, Vh, xi, phi, psi).backward()
    return At.grad.numpy()


def _taylor_ratio(f, A, G, rng, t0=1e-3):
    """remainder(t0) / remainder(t0 / 2) along a random E with ||E|| = ||A|| (about 4 for a correct G)."""
    E = rng.standard_normal(A.shape)
    E *= np.linalg.norm(A) / np.linalg.norm(E)
    f0, slope = f(A), float(np.sum(G * E))
    r = [abs(f(A + t * E) - f0 - t * slope) for t in (t0, t0 / 2)]
    return r[0] / r[1], r


# --------------------------------------------------------------------------- PyTorch


@pytest.mark.parametrize("backward", BACKWARDS)
@pytest.mark.parametrize("k", [1, 5])
def test_torch_svds_reference_case(backward, k):
    rng = np.random.default_rng(12)
    A = rng.standard_normal((M, N))
    xi, phi, psi = _coeffs(rng, M, N, k)
    G = _pv_grad_svds(A, k, xi, phi, psi, backward=backward)
    assert _rel(G, _torch_reference(A, k, xi, phi, psi)) <= 1e-8
    ratio, rem = _taylor_ratio(lambda X: _f_numpy(X, k, xi, phi, psi), A, G, rng)
    assert 3.5 < ratio < 4.5, (ratio, rem)


@pytest.mark.parametrize("method", ["lanczos", "dense", "randomized"])
def test_torch_svds_every_forward_method(method):
    """The gradient does not depend on which forward found the triplets (decaying spectrum: all converge)."""
    rng = np.random.default_rng(2)
    Q1, _ = np.linalg.qr(rng.standard_normal((M, N)))
    Q2, _ = np.linalg.qr(rng.standard_normal((N, N)))
    A = (Q1 * 0.7 ** np.arange(N)) @ Q2.T
    xi, phi, psi = _coeffs(rng, M, N, 3)
    kw = {"rng": 0} if method == "randomized" else {}
    G = _pv_grad_svds(A, 3, xi, phi, psi, method=method, **kw)
    assert _rel(G, _torch_reference(A, 3, xi, phi, psi)) <= 1e-8


def test_torch_wide_matrix_and_values_only():
    rng = np.random.default_rng(3)
    A = rng.standard_normal((N, M))  # m < n
    xi, phi, psi = _coeffs(rng, N, M, 3)
    assert _rel(_pv_grad_svds(A, 3, xi, phi, psi), _torch_reference(A, 3, xi, phi, psi)) <= 1e-8
    # return_singular_vectors=False: d(sum s)/dA = U V^H of the top 3
    At = torch.tensor(A, requires_grad=True)
    s = pv.svds(At, 3, return_singular_vectors=False)
    s.sum().backward()
    U, _, Vh = np.linalg.svd(A, full_matrices=False)
    assert _rel(At.grad.numpy(), U[:, :3] @ Vh[:3]) <= 1e-12
    # "u" / "vh" keep SciPy's None for the other factor
    u, s, vh = pv.svds(torch.tensor(A, requires_grad=True), 2, return_singular_vectors="u")
    assert vh is None and u.requires_grad


def test_torch_repeated_lower_singular_values():
    """sigma_2 = sigma_3 (outside k = 1): finite and correct, where torch's full-SVD gradient is NaN."""
    rng = np.random.default_rng(9)
    sig = np.r_[3.0, 1.0, 1.0, 0.5 ** np.arange(1, N - 2)]
    pm, pn = rng.permutation(M), rng.permutation(N)  # a scaled permutation: sigma_2 = sigma_3 exactly
    A = np.zeros((M, N))
    A[pm[:N], pn] = sig * rng.choice([-1.0, 1.0], N)
    xi, phi, psi = _coeffs(rng, M, N, 1)
    G = _pv_grad_svds(A, 1, xi, phi, psi)
    assert np.isfinite(G).all()
    ratio, rem = _taylor_ratio(lambda X: _f_numpy(X, 1, xi, phi, psi), A, G, rng)
    assert 3.5 < ratio < 4.5, (ratio, rem)
    assert not np.isfinite(_torch_reference(A, 1, xi, phi, psi)).all()  # what the wiring avoids


def test_torch_complex_svds_phase_invariant_loss():
    """Complex A: a loss of s and |u|^2 (invariant to the phase of each pair) matches torch."""
    rng = np.random.default_rng(4)
    A = rng.standard_normal((M, N)) + 1j * rng.standard_normal((M, N))
    w = rng.standard_normal((M, 2))

    def loss(U, s):
        return (torch.tensor([1.0, -0.5]) * s).sum() + (torch.tensor(w) * U.abs() ** 2).sum()

    At = torch.tensor(A, requires_grad=True)
    U, s, _ = _descending(*pv.svds(At, 2))
    loss(U, s).backward()
    Bt = torch.tensor(A, requires_grad=True)
    U2, s2, _ = torch.linalg.svd(Bt, full_matrices=False)
    loss(U2[:, :2], s2[:2]).backward()
    assert _rel(At.grad.numpy(), Bt.grad.numpy()) <= 1e-8


def _symmetric(rng, n=N):
    B = rng.standard_normal((n, n))
    return B + B.T


def _eigh_reference(A, idx, gw, gV):
    At = torch.tensor(A, requires_grad=True)
    w, V = torch.linalg.eigh((At + At.T) / 2)
    V = V[:, idx]
    sign = torch.sign(V.detach()[torch.argmax(V.detach().abs(), dim=0), torch.arange(len(idx))])
    ((torch.tensor(gw) * w[idx]).sum() + (torch.tensor(gV) * V * sign).sum()).backward()
    return At.grad.numpy()


def _eigh_loss(w, V, gw, gV):
    sign = torch.sign(V.detach()[torch.argmax(V.detach().abs(), dim=0), torch.arange(V.shape[1])])
    return (torch.tensor(gw) * w).sum() + (torch.tensor(gV) * V * sign).sum()


@pytest.mark.parametrize("backward", BACKWARDS)
def test_torch_eigsh_symmetric(backward):
    rng = np.random.default_rng(8)
    A = _symmetric(rng)
    k = 3
    gw, gV = rng.standard_normal(k), rng.standard_normal((N, k))
    At = torch.tensor(A, requires_grad=True)
    w, V = pv.eigsh(At, k, backward=backward)  # ascending, the 3 largest |w|
    _eigh_loss(w, V, gw, gV).backward()
    wn = np.linalg.eigvalsh(A)
    idx = np.sort(np.argsort(-np.abs(wn), kind="stable")[:k])
    G = At.grad.numpy()
    assert _rel(G, _eigh_reference(A, idx, gw, gV)) <= 1e-8
    assert np.allclose(G, G.T, atol=1e-14 * np.abs(G).max())

    def f(X):
        wv, Vv = np.linalg.eigh((X + X.T) / 2)
        with torch.no_grad():
            return float(_eigh_loss(torch.tensor(wv[idx]), torch.tensor(Vv[:, idx]), gw, gV))

    ratio, rem = _taylor_ratio(f, A, G, rng)
    assert 3.5 < ratio < 4.5, (ratio, rem)


@pytest.mark.parametrize("which", ["LA", "SA", "SM", "BE"])
def test_torch_eigsh_other_ends_use_minres(which):
    rng = np.random.default_rng(6)
    A = _symmetric(rng)
    gw, gV = rng.standard_normal(4), rng.standard_normal((N, 4))
    At = torch.tensor(A, requires_grad=True)
    w, V = pv.eigsh(At, 4, which=which)
    _eigh_loss(w, V, gw, gV).backward()
    from pivotal.randomized._svds import _eigsh_select

    wn = np.linalg.eigvalsh(A)
    idx = _eigsh_select(wn, 4, which)
    assert _rel(At.grad.numpy(), _eigh_reference(A, idx, gw, gV)) <= 1e-8
    # the values-only order is SciPy's, with or without a graph (values to rounding: the graph path also
    # computes the vectors, a different LAPACK driver)
    w_only = pv.eigsh(torch.tensor(A, requires_grad=True), 4, which=which, return_eigenvectors=False)
    ref = pv.eigsh(A, 4, which=which, return_eigenvectors=False)
    np.testing.assert_allclose(w_only.detach().numpy(), ref, rtol=0, atol=100 * EPS * np.abs(wn).max())


def _decaying(rng, n, psd=False):
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    lam = np.r_[10.0, 8.0, 6.0, 4.0, 2.0 * 0.9 ** np.arange(n - 4)]
    if not psd:
        lam[1] = -lam[1]
    return (Q * lam) @ Q.T


def test_torch_rsvd_reigh_nystrom_converged_pairs():
    """Randomized routines: the gradient of the returned pairs, equal to the exact one when converged."""
    rng = np.random.default_rng(10)
    A = _decaying(rng, 60)
    k = 3
    xi, phi, psi = _coeffs(rng, 60, 60, k)
    At = torch.tensor(A, requires_grad=True)
    _loss_t(*pv.rsvd(At, k, n_iter=30, random_state=0), xi, phi, psi).backward()
    assert _rel(At.grad.numpy(), _torch_reference(A, k, xi, phi, psi)) <= 1e-8

    gw, gV = rng.standard_normal(k), rng.standard_normal((60, k))
    wn = np.linalg.eigvalsh(A)
    idx = np.argsort(-np.abs(wn), kind="stable")[:k]  # reigh's order: decreasing |w|
    At = torch.tensor(A, requires_grad=True)
    _eigh_loss(*pv.reigh(At, k, n_iter=30, random_state=0), gw, gV).backward()
    assert _rel(At.grad.numpy(), _eigh_reference(A, idx, gw, gV)) <= 1e-8

    P = _decaying(rng, 60, psd=True)
    idx = np.argsort(-np.linalg.eigvalsh(P), kind="stable")[:k]
    Pt = torch.tensor(P, requires_grad=True)
    U, lam = pv.nystrom(Pt, k, n_iter=30, random_state=0)
    _eigh_loss(lam, U, gw, gV).backward()
    assert _rel(Pt.grad.numpy(), _eigh_reference(P, idx, gw, gV)) <= 1e-8


def test_refusals():
    rng = np.random.default_rng(1)
    A = rng.standard_normal((M, N))
    At = torch.tensor(A, requires_grad=True)
    with pytest.raises(ValueError, match="backward must be one of"):
        pv.svds(At, 2, backward="qr")
    with pytest.raises(ValueError, match="only PyTorch tensors and JAX arrays have"):
        pv.svds(A, 2, backward="minres")  # NumPy input: no graph, the option would do nothing
    with pytest.raises(ValueError, match="indefinite"):
        pv.svds(At, 2, which="SM", backward="cg")
    S = _symmetric(rng)
    St = torch.tensor(S, requires_grad=True)
    with pytest.raises(ValueError, match="generalized"):
        pv.eigsh(St, 2, M=np.eye(N))
    with pytest.raises(ValueError, match="indefinite"):
        pv.eigsh(St, 2, which="LA", backward="cg")
    with pytest.raises(ValueError, match="dense"):
        pv.svds(torch.tensor(A).to_sparse().requires_grad_(), 2)
    assert pv.svds(At.detach(), 2, backward="minres")[1].shape == (2,)  # a tensor: accepted without graph
    s = pv.svds(At, 2)[1]
    with pytest.raises(RuntimeError, match="second derivatives"):
        torch.autograd.grad(s.sum(), At, create_graph=True)


# --------------------------------------------------------------------------- JAX


@pytest.fixture
def jnp():
    jax = pytest.importorskip("jax")
    with jax_x64():
        yield jax.numpy


def _jax_loss(U, s, Vh, xi, phi, psi):
    import jax

    jnp = jax.numpy
    k = s.shape[0]
    Ud = jax.lax.stop_gradient(U)
    sign = jnp.sign(Ud[jnp.argmax(jnp.abs(Ud), axis=0), jnp.arange(k)])
    U, Vh = U * sign, Vh * sign[:, None]
    return jnp.sum(xi * s) + jnp.sum(phi * U) + jnp.sum(psi * Vh.T)


@pytest.mark.parametrize("backward", ["cg", "minres", "block"])
@pytest.mark.parametrize("k", [1, 5])
def test_jax_svds_grad_and_jit(jnp, backward, k):
    import jax

    rng = np.random.default_rng(12)
    A = rng.standard_normal((M, N))
    xi, phi, psi = _coeffs(rng, M, N, k)
    ref = _torch_reference(A, k, xi, phi, psi)

    def f(a):
        U, s, Vh = pv.svds(a, k, backward=backward)
        return _jax_loss(U[:, ::-1], s[::-1], Vh[::-1], xi, phi, psi)

    a = jnp.asarray(A)
    for g in (jax.grad(f), jax.jit(jax.grad(f))):
        G = np.asarray(g(a))
        assert _rel(G, ref) <= 1e-8
    ratio, rem = _taylor_ratio(lambda X: _f_numpy(X, k, xi, phi, psi), A, G, rng)
    assert 3.5 < ratio < 4.5, (ratio, rem)
    np.testing.assert_allclose(float(jax.jit(f)(a)), _f_numpy(A, k, xi, phi, psi), rtol=1e-12)


def test_jax_eigsh_rsvd_repeated(jnp):
    import jax

    rng = np.random.default_rng(8)
    A = _symmetric(rng)
    gw, gV = rng.standard_normal(3), rng.standard_normal((N, 3))
    wn = np.linalg.eigvalsh(A)
    idx = np.sort(np.argsort(-np.abs(wn), kind="stable")[:3])
    ref = _eigh_reference(A, idx, gw, gV)

    def f(a):
        w, V = pv.eigsh(a, 3)
        Vd = jax.lax.stop_gradient(V)
        sign = jnp.sign(Vd[jnp.argmax(jnp.abs(Vd), axis=0), jnp.arange(3)])
        return jnp.sum(gw * w) + jnp.sum(gV * V * sign)

    for g in (jax.grad(f), jax.jit(jax.grad(f))):
        assert _rel(g(jnp.asarray(A)), ref) <= 1e-8

    # rsvd under jit(grad), converged triplets
    B = _decaying(rng, 60)
    xi, phi, psi = _coeffs(rng, 60, 60, 3)

    def h(a):
        return _jax_loss(*pv.rsvd(a, 3, n_iter=30, random_state=0), xi, phi, psi)

    assert _rel(jax.jit(jax.grad(h))(jnp.asarray(B)), _torch_reference(B, 3, xi, phi, psi)) <= 1e-8
    with pytest.raises(ValueError, match="adaptive rank"):
        jax.grad(lambda a: pv.rsvd(a, 3, tol=0.1)[1].sum())(jnp.asarray(B))

    # sigma_2 = sigma_3: finite under jit(grad)
    sig = np.r_[3.0, 1.0, 1.0, 0.5 ** np.arange(1, N - 2)]
    pm, pn = rng.permutation(M), rng.permutation(N)
    C = np.zeros((M, N))
    C[pm[:N], pn] = sig
    xi, phi, psi = _coeffs(rng, M, N, 1)
    G = np.asarray(jax.jit(jax.grad(lambda a: _jax_loss(*pv.svds(a, 1), xi, phi, psi)))(jnp.asarray(C)))
    assert np.isfinite(G).all()
    ratio, rem = _taylor_ratio(lambda X: _f_numpy(X, 1, xi, phi, psi), C, G, rng)
    assert 3.5 < ratio < 4.5, (ratio, rem)


def test_torch_lanczos_k1_vectors_are_tensors():
    """ARPACK's k = 1 vectors come reversed (a negative stride on a length-1 axis): copied for torch."""
    rng = np.random.default_rng(5)
    A = rng.standard_normal((M, N))
    xi, phi, psi = _coeffs(rng, M, N, 1)
    u, _s, vh = pv.svds(torch.tensor(A), 1, method="lanczos")
    assert u.shape == (M, 1) and vh.shape == (1, N)
    G = _pv_grad_svds(A, 1, xi, phi, psi, method="lanczos")
    assert _rel(G, _torch_reference(A, 1, xi, phi, psi)) <= 1e-8
