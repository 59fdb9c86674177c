"""eig and eigvals: LAPACK-style ratios on NumPy, PyTorch and JAX, and agreement with SciPy.

Ratios (1-norms, LAPACK's xGET22 / xGET52 normalization):

* right vectors ``||A V - V W|| / (n ||A|| ||V|| u)`` and left vectors
  ``||A^H VL - VL W^H|| / (n ||A|| ||VL|| u)``: ``geev`` is backward stable
  (each pair is exact for ``A + E_i``, ``||E_i|| = O(n u ||A||)``), so the
  residual of unit vectors is ``O(n u ||A||)`` whatever the conditioning;
* generalized, per pair in homogeneous coordinates ``(alpha, beta)``:
  ``||(beta A - alpha B) v|| / (n u (|beta| ||A|| + |alpha| ||B||) ||v||)``,
  which QZ's backward stability bounds (also for infinite eigenvalues).

Agreement with SciPy: on a matrix ``V diag(w) V^-1`` with modest ``cond(V)``
each eigenvalue is well conditioned; a backward error ``||E|| <= c n u ||A||``
moves eigenvalue ``i`` by at most about ``||E||_2 / s_i`` (``s_i = |y_i^H
x_i|`` for unit left/right vectors, Golub & Van Loan 7.2.2), so ours and
SciPy's (float64) agree to ``2 THRESH n u ||A||_2 / s_i``.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as sl
from hypothesis import given, settings
from hypothesis import strategies as st

import pivotal as pv

from .helpers import DTYPES, THRESH, norm1, random_matrix, to_np, u_of, widen
from .test_spectral import _jax_x64, backend_of, to_backend  # noqa: F401 - the autouse fixture too

torch = pytest.importorskip("torch")

BACKENDS = ["numpy", "torch", "jax"]


def complex_of(dtype):
    return np.complex64 if np.dtype(dtype) in (np.float32, np.complex64) else np.complex128


def right_ratio(a, w, v, dtype) -> float:
    a, w, v = widen(a), widen(w), widen(v)
    n = max(a.shape[0], 1)
    scale = norm1(a) * norm1(v)
    return norm1(a @ v - v * w) / (n * scale * u_of(dtype)) if scale else 0.0


def left_ratio(a, w, vl, dtype) -> float:
    a, w, vl = widen(a), widen(w), widen(vl)
    return right_ratio(a.conj().T, w.conj(), vl, dtype)


def generalized_ratio(a, b, alpha, beta, v, dtype) -> float:
    a, b, v = widen(a), widen(b), widen(v)
    alpha, beta = widen(alpha), widen(beta)
    n = max(a.shape[0], 1)
    worst = 0.0
    for j in range(v.shape[1]):
        r = beta[j] * (a @ v[:, j]) - alpha[j] * (b @ v[:, j])
        scale = (abs(beta[j]) * norm1(a) + abs(alpha[j]) * norm1(b)) * norm1(v[:, j])
        worst = max(worst, norm1(r) / (n * u_of(dtype) * scale) if scale else 0.0)
    return worst


def designed(rng, n, dtype, spread=0.2):
    """``V diag(w) V^-1`` with ``cond(V)`` modest and well-separated ``w`` (conjugate pairs for real dtypes)."""
    cplx = np.dtype(dtype).kind == "c"
    q, _ = np.linalg.qr(random_matrix(rng, (n, n), np.complex128 if cplx else np.float64))
    v = q @ (np.eye(n) + spread * random_matrix(rng, (n, n), q.dtype) / np.sqrt(n))
    if cplx:
        w = np.arange(1, n + 1) * np.exp(2j * np.pi * np.arange(n) / n)
        a = (v * w) @ np.linalg.inv(v)
    else:
        # real Jordan-free blocks: pairs a +- b i as [[a, b], [-b, a]], the rest real
        d = np.zeros((n, n))
        k = 0
        while k < n:
            if k + 1 < n and k % 4 == 0:
                d[k : k + 2, k : k + 2] = [[k + 1.0, k + 2.0], [-(k + 2.0), k + 1.0]]
                k += 2
            else:
                d[k, k] = -(k + 1.0)
                k += 1
        a = v @ d @ np.linalg.inv(v)
    return a.astype(dtype)


def assert_eigenvalues_agree(w, a, dtype, c=2 * THRESH):
    """``w`` against SciPy's float64 eigenvalues of ``a``, each to its condition number."""
    a64 = widen(a)
    n = a64.shape[0]
    wref, vl, vr = sl.eig(a64, left=True)
    s = np.abs(np.einsum("ij,ij->j", vl.conj(), vr))  # unit vectors: reciprocal condition numbers
    w = widen(w)
    match = np.abs(w[:, None] - wref[None, :]).argmin(axis=1)
    assert sorted(match) == list(range(n)), "eigenvalues do not pair up one to one"
    tol = c * n * u_of(dtype) * np.linalg.norm(a64, 2) / s[match]
    assert np.all(np.abs(w - wref[match]) <= tol)


# --------------------------------------------------------------------------- ratios


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [1, 6, 23])
def test_eig_right_ratio(backend, dtype, n):
    rng = np.random.default_rng(n)
    a = random_matrix(rng, (n, n), dtype)
    w, v = pv.eig(to_backend(a, backend))
    assert backend_of(w) == backend_of(v) == backend
    w, v = to_np(w), to_np(v)
    assert w.shape == (n,) and v.shape == (n, n)
    assert w.dtype == complex_of(dtype)
    assert right_ratio(a, w, v, dtype) < THRESH
    # unit 2-norm columns (geev's normalization)
    assert np.allclose(np.linalg.norm(widen(v), axis=0), 1, atol=10 * n * u_of(dtype))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_eig_left_and_right(backend, dtype):
    rng = np.random.default_rng(3)
    a = random_matrix(rng, (9, 9), dtype)
    w, vl, vr = pv.eig(to_backend(a, backend), left=True)
    assert backend_of(vl) == backend
    w, vl, vr = to_np(w), to_np(vl), to_np(vr)
    assert left_ratio(a, w, vl, dtype) < THRESH
    assert right_ratio(a, w, vr, dtype) < THRESH
    w2, vl2 = pv.eig(to_backend(a, backend), left=True, right=False)
    assert left_ratio(a, to_np(w2), to_np(vl2), dtype) < THRESH


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_generalized_eig_ratio(backend, dtype):
    rng = np.random.default_rng(4)
    n = 8
    a, b = random_matrix(rng, (n, n), dtype), random_matrix(rng, (n, n), dtype)
    w, vl, vr = pv.eig(to_backend(a, backend), to_backend(b, backend), left=True)
    assert backend_of(w) == backend_of(vr) == backend
    h = to_np(pv.eigvals(to_backend(a, backend), to_backend(b, backend), homogeneous_eigvals=True))
    assert h.shape == (2, n)
    w, vl, vr = to_np(w), to_np(vl), to_np(vr)
    assert generalized_ratio(a, b, h[0], h[1], vr, dtype) < THRESH
    # left: a^H vl = conj(w) b^H vl
    ah, bh = widen(a).conj().T, widen(b).conj().T
    assert generalized_ratio(ah, bh, h[0].conj(), h[1].conj(), vl, dtype) < THRESH
    assert np.allclose(widen(w), widen(h[0]) / widen(h[1]), rtol=100 * n * u_of(dtype))


def test_generalized_infinite_and_undetermined():
    # b singular: one infinite eigenvalue (SciPy's convention: inf)
    a = np.array([[1.0, 0.0], [0.0, 2.0]])
    b = np.array([[1.0, 0.0], [0.0, 0.0]])
    w = pv.eigvals(a, b)
    assert np.isinf(w).sum() == 1 and np.isclose(w[np.isfinite(w)], 1.0).all()
    h = pv.eigvals(a, b, homogeneous_eigvals=True)
    assert h.shape == (2, 2) and (h[1] == 0).sum() == 1


# --------------------------------------------------------------------------- agreement with SciPy


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_eigenvalues_agree_with_scipy(backend, dtype):
    rng = np.random.default_rng(5)
    a = designed(rng, 12, dtype)
    w = to_np(pv.eigvals(to_backend(a, backend)))
    assert_eigenvalues_agree(w, a, dtype)
    w2, _ = pv.eig(to_backend(a, backend))
    assert_eigenvalues_agree(to_np(w2), a, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_numpy_follows_scipy_conventions(dtype):
    rng = np.random.default_rng(6)
    a = designed(rng, 7, dtype)
    w, v = pv.eig(a)
    wr, vr = sl.eig(a)
    assert w.dtype == wr.dtype and v.dtype == vr.dtype
    # a real matrix with only real eigenvalues: real vectors, as SciPy
    t = np.triu(random_matrix(rng, (5, 5), np.float64)) + np.diag(np.arange(5.0))
    w, v = pv.eig(t.astype(dtype))
    assert v.dtype == sl.eig(t.astype(dtype))[1].dtype
    h = pv.eigvals(a, homogeneous_eigvals=True)
    assert h.shape == (2, 7) and np.all(h[1] == 1)


def test_torch_and_jax_vectors_always_complex():
    t = np.diag([1.0, 2.0, 3.0])
    for backend in ("torch", "jax"):
        w, v = pv.eig(to_backend(t, backend))
        assert np.iscomplexobj(to_np(v)) and np.iscomplexobj(to_np(w))
        w, vl, vr = pv.eig(to_backend(t, backend), left=True)  # the host path follows the same rule
        assert np.iscomplexobj(to_np(vl)) and np.iscomplexobj(to_np(vr))


# --------------------------------------------------------------------------- shapes, layouts, dtypes


@pytest.mark.parametrize("backend", BACKENDS)
def test_batched(backend):
    rng = np.random.default_rng(7)
    a = random_matrix(rng, (2, 3, 5, 5), np.float64)
    w, v = pv.eig(to_backend(a, backend))
    assert tuple(w.shape) == (2, 3, 5) and tuple(v.shape) == (2, 3, 5, 5)
    w, v = to_np(w), to_np(v)
    for i in np.ndindex(2, 3):
        assert right_ratio(a[i], w[i], v[i], np.float64) < THRESH
    h = pv.eigvals(to_backend(a, backend), homogeneous_eigvals=True)
    assert tuple(h.shape) == (2, 3, 2, 5)
    b = random_matrix(rng, (3, 5, 5), np.float64)  # broadcast over the leading batch axis
    w, v = pv.eig(to_backend(a, backend), to_backend(b, backend))
    assert tuple(w.shape) == (2, 3, 5)


def test_non_contiguous_and_integer_input():
    rng = np.random.default_rng(8)
    big = random_matrix(rng, (12, 12), np.float64)
    a = big[::2, ::2]
    assert not a.flags.c_contiguous
    w, v = pv.eig(a)
    assert right_ratio(a, w, v, np.float64) < THRESH
    w, v = pv.eig(np.asfortranarray(big).T)
    assert right_ratio(big.T, w, v, np.float64) < THRESH
    ai = np.array([[2, 1], [1, 3]])
    w = pv.eigvals(ai)
    assert w.dtype == np.complex128
    assert np.allclose(np.sort(w.real), np.sort(sl.eigvals(ai).real))


@pytest.mark.parametrize("backend", BACKENDS)
def test_empty(backend):
    e = np.zeros((0, 0))
    w, v = pv.eig(to_backend(e, backend))
    assert tuple(w.shape) == (0,) and tuple(v.shape) == (0, 0)
    assert tuple(pv.eigvals(to_backend(np.zeros((3, 0, 0)), backend)).shape) == (3, 0)
    w, v = pv.eig(to_backend(np.zeros((0, 4, 4)), backend))
    assert tuple(w.shape) == (0, 4) and tuple(v.shape) == (0, 4, 4)


@pytest.mark.parametrize("backend", BACKENDS)
def test_bad_input(backend):
    bad = np.eye(3)
    bad[1, 1] = np.nan
    with pytest.raises(ValueError, match="check_finite"):
        pv.eig(to_backend(bad, backend))
    bad[1, 1] = np.inf
    with pytest.raises(ValueError, match="infs or NaNs"):
        pv.eigvals(to_backend(bad, backend))
    with pytest.raises(ValueError, match="square"):
        pv.eig(to_backend(np.ones((3, 4)), backend))
    with pytest.raises(ValueError, match="same shape"):
        pv.eig(to_backend(np.eye(3), backend), to_backend(np.eye(4), backend))
    with pytest.raises(ValueError, match="two-dimensional"):
        pv.eigvals(to_backend(np.ones(3), backend))


def test_bad_arguments():
    with pytest.raises(TypeError, match="torch"):
        pv.eig(np.eye(2), torch.eye(2, dtype=torch.float64))
    with pytest.raises(ValueError, match="no derivative rule"):
        pv.eig(torch.eye(2, dtype=torch.float64, requires_grad=True))
    import scipy.sparse

    with pytest.raises(ValueError, match="toarray"):
        pv.eig(scipy.sparse.eye(3, format="csr"))
    # check_finite=False lets a NaN through to LAPACK (numpy: SciPy's behaviour)
    w = pv.eigvals(np.array([[np.nan, 0.0], [0.0, 1.0]]), check_finite=False)
    assert np.isnan(w).any()


def test_overwrite_is_a_permission():
    rng = np.random.default_rng(9)
    a = np.asfortranarray(random_matrix(rng, (6, 6), np.float64))
    keep = a.copy()
    w, v = pv.eig(a, overwrite_a=False)
    assert np.array_equal(a, keep)
    assert right_ratio(keep, w, v, np.float64) < THRESH
    w2, v2 = pv.eig(a, overwrite_a=True)
    assert right_ratio(keep, w2, v2, np.float64) < THRESH


def test_jax_jit():
    import jax
    import jax.numpy as jnp

    rng = np.random.default_rng(10)
    a = random_matrix(rng, (5, 5), np.float64)
    w = jax.jit(lambda x: pv.eigvals(x, check_finite=False))(jnp.asarray(a))
    assert_eigenvalues_agree(np.asarray(w), a, np.float64)
    with pytest.raises(ValueError, match="traced"):
        jax.jit(lambda x: pv.eig(x, left=True, check_finite=False))(jnp.asarray(a))


# --------------------------------------------------------------------------- properties


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(1, 12),
    seed=st.integers(0, 2**32 - 1),
    dtype=st.sampled_from([np.float64, np.complex128]),
    scale=st.sampled_from([1e-150, 1e-8, 1.0, 1e8, 1e150]),
)
def test_property_residuals_scale_invariant(n, seed, dtype, scale):
    rng = np.random.default_rng(seed)
    a = random_matrix(rng, (n, n), dtype) * scale
    w, vl, vr = pv.eig(a, left=True)
    assert right_ratio(a, w, vr, dtype) < THRESH
    assert left_ratio(a, w, vl, dtype) < THRESH
    # trace = sum of eigenvalues, to the backward error of the n eigenvalues
    assert abs(widen(w).sum() - np.trace(widen(a))) <= THRESH * n * n * u_of(dtype) * norm1(a)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("where", range(4))
def test_tiny_and_huge_matrices(backend, dtype, where):
    """SciPy 1.17.1's (and so JAX's) geev loses its internal scaling outside [sqrt(safmin)/eps, its inverse]."""
    single = np.finfo(dtype).precision < 10
    # below and above the safe range ([9e-13, 1.1e12] in single, [7e-139, 1.5e138] in double)
    scale = ([1e-30, 1e-20, 1e20, 1e30] if single else [1e-300, 1e-150, 1e150, 1e300])[where]
    finfo = np.finfo(dtype)
    rng = np.random.default_rng(11)
    base = designed(rng, 6, dtype)
    a = (base * np.asarray(scale, dtype=finfo.dtype)).astype(dtype)
    w, v = pv.eig(to_backend(a, backend))
    w, v = to_np(w), to_np(v)
    assert_eigenvalues_agree(widen(w) / scale, widen(a) / scale, dtype)
    assert right_ratio(a, w, v, dtype) < THRESH
    h = to_np(pv.eigvals(to_backend(a, backend), homogeneous_eigvals=True))
    assert_eigenvalues_agree(widen(h[0]) / scale, widen(a) / scale, dtype)
