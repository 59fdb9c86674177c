"""Backward rules of the dense SVD and eigh (pivotal.autodiff.spectral_vjp).

Generic matrices: against torch autograd through torch.linalg.svd / eigh, with the
cotangents of (U, s, Vh) taken from the same torch graph, so that any loss is checked.
Both rules have errors of about u ||A|| / gap (gap: the smallest distance between
singular values, their sums, and the smallest singular value where a one-sided
complement exists; Stewart & Sun), so the tolerance is a multiple of u s_max / gap.
Degenerate spectra: finite, equal to central finite differences (error O(h^2) +
O(u / h)), and the warning for a loss that depends on the basis of a repeated subspace.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from pivotal.autodiff.spectral_vjp import DegenerateSubspaceWarning, degenerate_tol, eigh_vjp, svd_vjp

torch = pytest.importorskip("torch")

U64 = np.finfo(np.float64).eps / 2


def _random(rng, shape, cplx):
    a = rng.standard_normal(shape)
    return a + 1j * rng.standard_normal(shape) if cplx else a


def _gap_tol(s, m, n):
    """1000 u s_max / gap: the error scale of both rules (module notes)."""
    s = np.sort(s)
    gaps = [np.min(np.diff(s))] if len(s) > 1 else []
    gaps.append(2 * s[0])
    if m != n:
        gaps.append(s[0])
    return 1000 * U64 * s[-1] / min(gaps)


def _loss_torch(U, s, Vh, B, phi):
    """A loss invariant under the phase/sign gauge: sum w_i s_i + sum |phi_i^H u_i|^2 + Re sum u_i^H B v_i."""
    k = s.shape[-1]
    wts = torch.arange(1, k + 1, dtype=s.dtype)
    Uk = U[..., :, :k]
    V = Vh.mH[..., :, :k]
    t1 = (wts * s).sum()
    t2 = ((phi.conj() * Uk).sum(-2).abs() ** 2).sum()
    t3 = (Uk.conj() * (B @ V)).sum().real
    return t1 + t2 + t3


def _torch_case(A, full_matrices=False):
    """(U, s, Vh, gU, gs, gVh, grad A) from torch autograd."""
    rng = np.random.default_rng(0)
    m, n = A.shape[-2:]
    cplx = np.iscomplexobj(A)
    B = torch.tensor(_random(rng, A.shape, cplx))
    phi = torch.tensor(_random(rng, A.shape[:-1] + (min(m, n),), cplx))
    At = torch.tensor(A, requires_grad=True)
    U, s, Vh = torch.linalg.svd(At, full_matrices=full_matrices)
    L = _loss_torch(U, s, Vh, B, phi)
    gU, gs, gVh = torch.autograd.grad(L, (U, s, Vh), retain_graph=True, allow_unused=True)
    (gA,) = torch.autograd.grad(L, At)
    return [x.detach().resolve_conj().numpy() for x in (U, s, Vh, gU, gs, gVh, gA)]


@pytest.mark.parametrize("cplx", [False, True])
@pytest.mark.parametrize("shape", [(7, 4), (4, 7), (5, 5), (3, 6, 4)])
def test_svd_vjp_matches_torch(shape, cplx):
    rng = np.random.default_rng(1)
    A = _random(rng, shape, cplx)
    U, s, Vh, gU, gs, gVh, ref = _torch_case(A)
    ours = svd_vjp(U, s, Vh, gU, gs, gVh)
    tol = max(_gap_tol(si, *shape[-2:]) for si in s.reshape(-1, s.shape[-1]))
    assert np.linalg.norm(ours - ref) <= tol * np.linalg.norm(ref)


@pytest.mark.parametrize("which", ["gU", "gs", "gVh"])
def test_svd_vjp_single_cotangent(which):
    """Each cotangent alone (the others None) against the corresponding torch gradient."""
    rng = np.random.default_rng(2)
    A = rng.standard_normal((6, 4))
    At = torch.tensor(A, requires_grad=True)
    U, s, Vh = torch.linalg.svd(At, full_matrices=False)
    out = {"gU": U, "gs": s, "gVh": Vh}[which]
    C = torch.tensor(rng.standard_normal(tuple(out.shape)))
    if which != "gs":  # sign-invariant: squares of entries
        (out**2 * C).sum().backward()
        g = (2 * out * C).detach().numpy()
    else:
        (out * C).sum().backward()
        g = C.numpy()
    args = {"gU": None, "gs": None, "gVh": None, which: g}
    ours = svd_vjp(U.detach().numpy(), s.detach().numpy(), Vh.detach().numpy(), **args)
    ref = At.grad.numpy()
    assert np.linalg.norm(ours - ref) <= _gap_tol(s.detach().numpy(), 6, 4) * np.linalg.norm(ref)


def _central_fd(f, A, E, h):
    return (f(A + h * E) - f(A - h * E)) / (2 * h)


def _top_triplet_loss(xi, phi, psi):
    def f(A):
        U, s, Vh = np.linalg.svd(A, full_matrices=False)
        u, v = U[:, 0], Vh[0]
        sg = np.sign(u[np.argmax(np.abs(u))])
        return xi * s[0] + phi @ (sg * u) + psi @ (sg * v)

    return f


def test_top_triplet_with_repeated_lower_values():
    """sigma_2 = sigma_3 exactly: ours is finite and equals finite differences (torch gives NaN)."""
    rng = np.random.default_rng(3)
    m, n = 6, 4
    A = np.zeros((m, n))
    A[[4, 0, 2, 5], [1, 3, 0, 2]] = [3.0, -1.0, 1.0, 0.25]  # s = 3, 1, 1, 0.25, exactly
    xi, phi, psi = 0.7, rng.standard_normal(m), rng.standard_normal(n)
    U, s, Vh = np.linalg.svd(A, full_matrices=False)
    assert s[1] == s[2]
    sg = np.sign(U[np.argmax(np.abs(U[:, 0])), 0])
    gU = np.zeros_like(U)
    gU[:, 0] = sg * phi
    gVh = np.zeros_like(Vh)
    gVh[0] = sg * psi
    gs = np.array([xi, 0, 0, 0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a loss of the top triplet is not basis-dependent
        G = svd_vjp(U, s, Vh, gU, gs, gVh)
    assert np.isfinite(G).all()
    f = _top_triplet_loss(xi, phi, psi)
    for _ in range(3):
        E = rng.standard_normal((m, n))
        fd = _central_fd(f, A, E, 1e-5)
        assert abs(fd - np.sum(G * E)) <= 1e-7 * np.linalg.norm(G) * np.linalg.norm(E)

    At = torch.tensor(A, requires_grad=True)
    Ut, st, Vht = torch.linalg.svd(At, full_matrices=False)
    (
        xi * st[0] + (torch.tensor(sg * phi) * Ut[:, 0]).sum() + (torch.tensor(sg * psi) * Vht[0]).sum()
    ).backward()
    if not np.isfinite(At.grad.numpy()).all():  # pytorch#194705: the point is ours, not theirs
        assert np.isfinite(G).all()
    else:
        np.testing.assert_allclose(G, At.grad.numpy(), atol=1e-12)


def test_gauge_dependent_loss_warns_with_pairs():
    A = np.zeros((5, 4))
    A[[0, 1, 2, 3], [0, 1, 2, 3]] = [3.0, 1.0, 1.0, 0.5]
    U, s, Vh = np.linalg.svd(A, full_matrices=False)
    gU = np.zeros_like(U)
    gU[:, 1] = np.arange(5.0)  # a loss of u_2 alone: u_2 is any unit vector of a 2-D subspace
    with pytest.warns(DegenerateSubspaceWarning, match=r"\(1, 2\)") as rec:
        G = svd_vjp(U, s, Vh, gU, None, None)
    assert rec[0].message.pairs == [(1, 2)]
    assert np.isfinite(G).all()
    # a loss of the 2-D subspace only (its projector) does not warn
    c = np.arange(5.0)
    gU = np.zeros_like(U)
    gU[:, 1:3] = 2 * np.outer(c, c @ U[:, 1:3])  # d/dU ||U_2:3^T c||^2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        svd_vjp(U, s, Vh, gU, None, None)


@pytest.mark.parametrize("shape", [(7, 4), (4, 7)])
def test_full_matrices_rectangular(shape):
    """full_matrices=True: the extra columns' cotangent is folded onto U_1 (V_1); torch ignores it.

    The loss ||X_2^H c||^2 of the null-space basis X_2 equals ||c||^2 - ||X_1^H c||^2, a function
    of A: compare with torch through the thin SVD of that form, and with finite differences.
    """
    rng = np.random.default_rng(4)
    m, n = shape
    A = rng.standard_normal(shape)
    p = min(m, n)
    c = rng.standard_normal(max(m, n))
    U, s, Vh = np.linalg.svd(A, full_matrices=True)
    gU = np.zeros_like(U)
    gVh = np.zeros_like(Vh)
    if m > n:
        gU[:, p:] = 2 * np.outer(c, c @ U[:, p:])
    else:
        gVh[p:, :] = 2 * np.outer(c @ Vh[p:].T, c)
    G = svd_vjp(U, s, Vh, gU, None, gVh)

    At = torch.tensor(A, requires_grad=True)
    Ut, _, Vht = torch.linalg.svd(At, full_matrices=False)
    ct = torch.tensor(c)
    X1 = Ut if m > n else Vht.T
    (-((X1.T @ ct) ** 2).sum()).backward()
    ref = At.grad.numpy()
    assert np.linalg.norm(G - ref) <= _gap_tol(s, m, n) * np.linalg.norm(ref)

    def f(X):
        Uf, _, Vhf = np.linalg.svd(X, full_matrices=True)
        X2 = Uf[:, p:] if m > n else Vhf[p:].T
        return float(np.sum((X2.T @ c) ** 2))

    E = rng.standard_normal(shape)
    assert abs(_central_fd(f, A, E, 1e-5) - np.sum(G * E)) <= 1e-7 * np.linalg.norm(G) * np.linalg.norm(E)


def test_full_matrices_basis_dependent_warns():
    rng = np.random.default_rng(5)
    A = rng.standard_normal((6, 3))
    U, s, Vh = np.linalg.svd(A, full_matrices=True)
    gU = np.zeros_like(U)
    gU[:, 4] = rng.standard_normal(6)  # one arbitrary null-space column
    with pytest.warns(DegenerateSubspaceWarning, match="full_matrices"):
        svd_vjp(U, s, Vh, gU, None, None)


def test_split_form_finite_for_zero_singular_values():
    """Two zero singular values (rank 2 of 4, square): the sum term 1/(s_i + s_j) is masked too."""
    rng = np.random.default_rng(6)
    B = rng.standard_normal((4, 2))
    A = B @ rng.standard_normal((2, 4))
    U, s, Vh = np.linalg.svd(A)
    G = svd_vjp(U, s, Vh, None, np.array([1.0, 2.0, 0.0, 0.0]), None)
    np.testing.assert_allclose(G, U[:, :2] @ np.diag([1.0, 2.0]) @ Vh[:2], atol=1e-14)


def test_degenerate_tol_is_dtype_tied():
    s = np.array([2.0, 1.0])
    assert float(degenerate_tol(s, 10)[0, 0]) == 10 * np.finfo(np.float64).eps * 2.0
    s32 = s.astype(np.float32)
    assert float(degenerate_tol(s32, 10)[0, 0]) == pytest.approx(10 * np.finfo(np.float32).eps * 2.0)
    with pytest.raises(ValueError, match="tol"):
        svd_vjp(np.eye(2), s, np.eye(2), None, s, None, tol=-1.0)


def test_svd_vjp_shape_errors():
    with pytest.raises(ValueError, match="inconsistent SVD shapes"):
        svd_vjp(np.eye(3), np.ones(2), np.eye(3), None, np.ones(2), None)
    with pytest.raises(ValueError, match="inconsistent eigh shapes"):
        eigh_vjp(np.ones(2), np.eye(3), np.ones(2), None)


# --------------------------------------------------------------------------- eigh


def _sym(X):
    return (X + X.mH) / 2


@pytest.mark.parametrize("cplx", [False, True])
def test_eigh_vjp_matches_torch(cplx):
    rng = np.random.default_rng(7)
    n = 6
    A = _random(rng, (n, n), cplx)
    A = A + A.conj().T
    X = torch.tensor(A, requires_grad=True)
    w, V = torch.linalg.eigh(_sym(X))
    phi = torch.tensor(_random(rng, (n, n), cplx))
    C = torch.tensor(_random(rng, (n, n), cplx))
    L = (
        (torch.arange(n) * w).sum()
        + ((phi.conj() * V).sum(0).abs() ** 2).sum()
        + (V.conj() * (C @ V)).sum().real
    )
    gw, gV = torch.autograd.grad(L, (w, V), retain_graph=True)
    L.backward()
    ours = eigh_vjp(
        w.detach().numpy(), V.detach().resolve_conj().numpy(), gw.numpy(), gV.resolve_conj().numpy()
    )
    ref = X.grad.resolve_conj().numpy()
    wn = np.sort(w.detach().numpy())
    tol = 1000 * U64 * np.abs(wn).max() / np.min(np.diff(wn))
    assert np.linalg.norm(ours - ref) <= tol * np.linalg.norm(ref)
    np.testing.assert_allclose(ours, ours.conj().T, atol=1e-15 * np.linalg.norm(ours))


def test_eigh_repeated_eigenvalue_finite_and_warns():
    rng = np.random.default_rng(8)
    Q, _ = np.linalg.qr(rng.standard_normal((5, 5)))
    A = (Q * np.array([1.0, 2.0, 2.0, 3.0, 5.0])) @ Q.T
    A = (A + A.T) / 2
    w, V = np.linalg.eigh(A)
    phi = rng.standard_normal(5)
    gV = np.zeros_like(V)
    gV[:, 4] = phi * np.sign(V[np.argmax(np.abs(V[:, 4])), 4])  # the top eigenvector only
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        G = eigh_vjp(w, V, None, gV)
    assert np.isfinite(G).all()

    def f(X):
        _, VV = np.linalg.eigh((X + X.T) / 2)
        v = VV[:, 4]
        return float(phi @ (v * np.sign(v[np.argmax(np.abs(v))])))

    E = rng.standard_normal((5, 5))
    E = E + E.T
    assert abs(_central_fd(f, A, E, 1e-5) - np.sum(G * E)) <= 1e-7 * np.linalg.norm(G) * np.linalg.norm(E)
    gV = np.zeros_like(V)
    gV[:, 1] = phi  # a vector of the repeated pair: basis-dependent
    with pytest.warns(DegenerateSubspaceWarning, match=r"eigenvalues \(pairs \(1, 2\)\)"):
        eigh_vjp(w, V, None, gV)


def test_complex_phase_dependent_loss_warns():
    rng = np.random.default_rng(9)
    A = rng.standard_normal((5, 3)) + 1j * rng.standard_normal((5, 3))
    U, s, Vh = np.linalg.svd(A, full_matrices=False)
    gU = np.zeros_like(U)
    gU[:, 0] = rng.standard_normal(5)  # Re(phi^T u_1) depends on the phase of u_1
    with pytest.warns(DegenerateSubspaceWarning, match=r"\(0, 0\)"):
        svd_vjp(U, s, Vh, gU, None, None)


def test_jax_arrays_and_jit():
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    rng = np.random.default_rng(10)
    A = rng.standard_normal((6, 4))
    U, s, Vh, gU, gs, gVh, ref = _torch_case(A)
    args = [jnp.asarray(x) for x in (U, s, Vh, gU, gs, gVh)]
    G = svd_vjp(*args)
    G_jit = jax.jit(svd_vjp)(*args)
    tol = _gap_tol(s, 6, 4)
    for g in (G, G_jit):
        assert np.linalg.norm(np.asarray(g) - ref) <= tol * np.linalg.norm(ref)
    # JAX's own gradient raises for full_matrices=True on rectangular input (jax#17518); ours works
    Uf, sf, Vhf = (jnp.asarray(x) for x in np.linalg.svd(A, full_matrices=True))
    gUf = jnp.zeros_like(Uf).at[:, :4].set(jnp.asarray(gU))
    Gf = svd_vjp(Uf, sf, Vhf, gUf, jnp.asarray(gs), jnp.asarray(gVh))
    assert np.isfinite(np.asarray(Gf)).all()
