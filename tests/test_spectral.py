"""svd, svdvals, eigh, eigvalsh: LAPACK-style ratios on NumPy, PyTorch and JAX, and comparisons with SciPy.

Ratios (LAPACK's test programs xBDT01/xORT01/xSYT21/xSGT01, 1-norms):

* reconstruction ``||A - U S V^H|| / (max(m, n) ||A|| u)`` and orthogonality
  ``||I - Q^H Q|| / (m u)``;
* eigen residual ``||A V - V W|| / (n ||A|| u)``;
* generalized type 1: ``||A V - B V W|| / (n u ||A|| ||V|| kappa(B))``.  The
  Cholesky reduction ``C = L^-1 A L^-H`` (LAPACK's sygst, and ours on
  torch/JAX) has error ``||dC|| <~ n u kappa(L) ||C||`` with ``||C|| <=
  ||A|| ||L^-1||^2``, and the residual is ``L dC L^H V``, so ``||A V - B V W||
  <~ n u kappa(L)^2 ||L^-1|| ||A|| = n u kappa(B) ||A|| ||V||`` (``||V||_2 =
  ||L^-1||_2``).  Types 2 and 3 have ``||A|| ||B||`` in place of ``||A||``.
  The normalization ``V^H B V - I`` has error ``n u kappa(L) <= n u kappa(B)``.

All are below LAPACK's own thresholds for these drivers (``SVD_THRESH``, ``SEP_THRESH`` below).  Singular values
and eigenvalues of two backward-stable computations agree to ``2 THRESH
max(m, n) u ||A||_2`` (Weyl).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as sl
import scipy.sparse
from hypothesis import given, settings
from hypothesis import strategies as st

import pivotal as pv
from pivotal.errors import UnsupportedDTypeError

from .helpers import (
    DTYPES,
    THRESH,
    norm1,
    orth_ratio,
    random_matrix,
    reconstruction_ratio,
    to_np,
    u_of,
    widen,
)

torch = pytest.importorskip("torch")

BACKENDS = ["numpy", "torch", "jax"]

# LAPACK's own test thresholds for these drivers, in its unit ulp = 2u: 35 for the SVD (TESTING/svd.in) and
# 60 for the symmetric eigenproblem (TESTING/sep.in: "theoretical limit ~500, empirically reached limit
# ~170").  The orthogonality of MRRR (SciPy's default syevr) on clusters reaches ~110 ulp on this machine's
# generic kernels, so the eigenvectors' orthogonality (and the solves through them, whose residual it
# bounds) is held to the theoretical limit.  Against u, twice as much.
SVD_THRESH = 2 * 35.0
SEP_THRESH = 2 * 60.0
SEP_ORTH_THRESH = 2 * 500.0


@pytest.fixture(scope="module", autouse=True)
def _jax_x64():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)


def to_backend(x: np.ndarray, backend: str):
    if backend == "torch":
        return torch.from_numpy(np.ascontiguousarray(x))
    if backend == "jax":
        import jax.numpy as jnp

        return jnp.asarray(x)
    return x


def backend_of(x) -> str:
    if isinstance(x, torch.Tensor):
        return "torch"
    if isinstance(x, np.ndarray):
        return "numpy"
    return "jax"


def hermitian(rng, n, dtype, eigs=None):
    """A Hermitian matrix with eigenvalues ``eigs`` (random ones by default), of ``dtype``."""
    q, _ = np.linalg.qr(
        random_matrix(rng, (n, n), np.complex128 if np.dtype(dtype).kind == "c" else np.float64)
    )
    eigs = rng.standard_normal(n) if eigs is None else np.asarray(eigs, dtype=np.float64)
    a = (q * eigs) @ q.conj().T
    a = (a + a.conj().T) / 2
    return a.astype(dtype)


def spd(rng, n, dtype, cond=10.0):
    return hermitian(rng, n, dtype, np.geomspace(1.0, cond, n))


def two_norm(a) -> float:
    a = widen(a)
    return float(np.linalg.norm(a, 2)) if a.size else 0.0


def eigen_residual_ratio(a, w, v, dtype) -> float:
    a, w, v = widen(a), widen(w).real, widen(v)
    n = max(a.shape[0], 1)
    anorm = norm1(a)
    return norm1(a @ v - v * w) / (n * anorm * u_of(dtype)) if anorm else 0.0


def check_svd(a, u, s, vh, dtype, full_matrices=True):
    m, n = a.shape
    k = min(m, n)
    assert tuple(u.shape) == ((m, m) if full_matrices else (m, k))
    assert tuple(vh.shape) == ((n, n) if full_matrices else (k, n))
    assert tuple(s.shape) == (k,)
    u, s, vh = to_np(u), to_np(s), to_np(vh)
    assert s.dtype == np.finfo(dtype).dtype and u.dtype == dtype and vh.dtype == dtype
    assert np.all(np.diff(s) <= 0) and np.all(s >= 0)
    sigma = np.zeros((u.shape[1], vh.shape[0]))
    sigma[:k, :k] = np.diag(s)
    assert reconstruction_ratio(a, widen(u) @ sigma @ widen(vh), dtype) < SVD_THRESH
    assert orth_ratio(u, dtype) < SVD_THRESH
    assert orth_ratio(widen(vh).conj().T, dtype) < SVD_THRESH
    s_ref = sl.svdvals(widen(a))
    assert np.max(np.abs(s - s_ref), initial=0) <= 2 * THRESH * max(m, n) * u_of(dtype) * two_norm(a)


# --------------------------------------------------------------------------- svd


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(9, 5), (5, 9), (7, 7)])
def test_svd_ratios(backend, dtype, shape):
    rng = np.random.default_rng(1)
    a = random_matrix(rng, shape, dtype)
    for full in (True, False):
        for driver in ("gesdd", "gesvd"):
            u, s, vh = pv.svd(to_backend(a, backend), full_matrices=full, lapack_driver=driver)
            assert backend_of(u) == backend_of(s) == backend == backend_of(vh)
            check_svd(a, u, s, vh, dtype, full)
    s = pv.svdvals(to_backend(a, backend))
    assert np.allclose(
        to_np(s), to_np(pv.svd(a, compute_uv=False)), rtol=0, atol=60 * max(shape) * u_of(dtype) * two_norm(a)
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_svd_batched_and_non_contiguous(backend):
    rng = np.random.default_rng(2)
    a = random_matrix(rng, (2, 3, 6, 4), np.float64)
    u, s, vh = pv.svd(to_backend(a, backend), full_matrices=False)
    assert tuple(u.shape) == (2, 3, 6, 4) and tuple(s.shape) == (2, 3, 4) and tuple(vh.shape) == (2, 3, 4, 4)
    for idx in np.ndindex(2, 3):
        check_svd(a[idx], to_np(u)[idx], to_np(s)[idx], to_np(vh)[idx], np.float64, False)
    big = random_matrix(rng, (12, 10), np.float64)
    for view in (big[::2, ::2], big.T, np.asfortranarray(big)):
        if backend == "torch":
            x = torch.from_numpy(big)
            x = x[::2, ::2] if view.shape == (6, 5) else x.T if view.shape == (10, 12) else x
        else:
            x = to_backend(view, backend)
        check_svd(view, *pv.svd(x), np.float64)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", [np.float32, np.complex128, np.int64])
@pytest.mark.parametrize("shape", [(0, 0), (0, 3), (3, 0)])
def test_svd_empty(backend, dtype, shape):
    a = to_backend(np.zeros(shape, dtype=dtype), backend)
    u, s, vh = pv.svd(a)
    work = np.float64 if dtype == np.int64 else dtype
    m, n = shape
    np.testing.assert_array_equal(to_np(u), np.eye(m))
    np.testing.assert_array_equal(to_np(vh), np.eye(n))
    assert to_np(s).shape == (0,) and to_np(u).dtype == work and to_np(s).dtype == np.finfo(work).dtype
    u, s, vh = pv.svd(a, full_matrices=False)
    assert to_np(u).shape == (m, 0) and to_np(vh).shape == (0, n)
    assert to_np(pv.svdvals(a)).shape == (0,)


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_empty_batches(backend):
    """SciPy raises on a zero-size batch; pivotal returns empty stacks of the right shapes."""
    a = to_backend(np.zeros((0, 4, 3)), backend)
    u, s, vh = pv.svd(a)
    assert tuple(u.shape) == (0, 4, 4) and tuple(s.shape) == (0, 3) and tuple(vh.shape) == (0, 3, 3)
    w, v = pv.eigh(to_backend(np.zeros((2, 0, 3, 3)), backend))
    assert tuple(w.shape) == (2, 0, 3) and tuple(v.shape) == (2, 0, 3, 3)


def test_svd_dtype_rules_and_bad_input():
    a = np.array([[1, 2], [3, 4]])
    assert pv.svd(a)[0].dtype == np.float64
    assert pv.svdvals(a.astype(np.float16)).dtype == np.float32
    assert pv.svdvals(torch.tensor([[1, 2], [3, 4]])).dtype == torch.float64
    with pytest.raises(UnsupportedDTypeError):
        pv.svd(np.array([["a", "b"]]))
    with pytest.raises(ValueError, match="masked"):
        pv.svd(np.ma.masked_array(np.eye(2), mask=[[0, 1], [0, 0]]))
    with pytest.raises(ValueError, match="sparse"):
        pv.svd(scipy.sparse.eye(3).tocsr())
    with pytest.raises(ValueError, match="two-dimensional"):
        pv.svd(np.ones(3))
    with pytest.raises(TypeError, match="string"):
        pv.svd(np.eye(2), lapack_driver=1.0)
    with pytest.raises(ValueError, match="gesvd"):
        pv.svd(np.eye(2), lapack_driver="gejsv")
    with pytest.raises(TypeError, match="full_matrices"):
        pv.svd(np.eye(2), full_matrices="no")
    bad = np.eye(3)
    bad[1, 1] = np.nan
    for backend in BACKENDS:
        with pytest.raises(ValueError, match="infs or NaNs"):
            pv.svd(to_backend(bad, backend))
        with pytest.raises(ValueError, match="infs or NaNs"):
            pv.eigh(to_backend(bad, backend))
    with pytest.raises(ValueError, match="NaN"):  # SciPy's gesdd message, as scipy.linalg.svd
        pv.svd(bad, check_finite=False)


def test_requires_grad_is_routed():
    # Gradients are tested in test_autodiff_svd_eigh.py; here: results stay on the graph, and the
    # generalized problems without a rule (types 2 and 3) are refused by name.
    a = torch.eye(3, dtype=torch.float64, requires_grad=True)
    for fn in (pv.svd, pv.svdvals, pv.eigh, pv.eigvalsh):
        out = fn(a)
        assert all(o.grad_fn is not None for o in (out if isinstance(out, tuple) else (out,)))
    assert pv.eigh(torch.eye(3, dtype=torch.float64), a)[0].grad_fn is not None
    with pytest.raises(ValueError, match=r"pivotal.eigh\(a, b, type=2\) has no derivative rule"):
        pv.eigh(torch.eye(3, dtype=torch.float64), a, type=2)
    with torch.no_grad():
        assert pv.eigvalsh(a).shape == (3,) and pv.eigvalsh(a).grad_fn is None


def test_overwrite_a():
    rng = np.random.default_rng(3)
    a = random_matrix(rng, (6, 4), np.float64)
    keep = a.copy()
    pv.svd(a)
    pv.eigh(a[:4])
    np.testing.assert_array_equal(a, keep)
    f = np.asfortranarray(a)
    u, s, vh = pv.svd(f, overwrite_a=True)  # permission: LAPACK may use f's memory
    check_svd(keep, u, s, vh, np.float64)
    t = torch.from_numpy(a.copy())
    pv.svd(t, overwrite_a=True)
    np.testing.assert_array_equal(t.numpy(), keep)  # torch never overwrites


@pytest.mark.parametrize("scale", [1e-150, 1e150, 2.0**-1060])
@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_svd_and_eigh_extreme_scaling(scale, backend):
    """LAPACK scales into its safe range: the relative ratios and singular values survive 1e+-150 and subnormals."""
    rng = np.random.default_rng(4)
    a = random_matrix(rng, (6, 5), np.float64)
    s_ref = sl.svdvals(a)
    b = a * scale
    u, s, vh = pv.svd(to_backend(b, backend), full_matrices=False)
    u, s, vh = to_np(u), to_np(s), to_np(vh)
    subnormal = scale < np.finfo(np.float64).tiny / np.finfo(np.float64).eps
    # Subnormal input has lost digits before any computation: its entries carry an absolute error 2**-1075.
    tol = 2.0**-1074 * 100 / scale if subnormal else 2 * THRESH * 6 * u_of(np.float64)
    assert np.max(np.abs(s / scale - s_ref)) <= tol * s_ref[0]
    assert orth_ratio(u, np.float64) < SVD_THRESH and orth_ratio(vh.T, np.float64) < SVD_THRESH
    h = hermitian(rng, 5, np.float64)
    w, v = pv.eigh(to_backend(h * scale, backend))
    assert orth_ratio(to_np(v), np.float64) < SEP_ORTH_THRESH
    w_ref = sl.eigvalsh(h)
    tol = 2.0**-1074 * 100 / scale if subnormal else 2 * THRESH * 5 * u_of(np.float64)
    assert np.max(np.abs(to_np(w) / scale - w_ref)) <= tol * np.abs(w_ref).max()


@settings(max_examples=25, deadline=None)
@given(
    m=st.integers(1, 8),
    n=st.integers(1, 8),
    seed=st.integers(0, 2**32 - 1),
    decades=st.integers(0, 12),
)
def test_svdvals_of_matrices_built_from_factors(m, n, seed, decades):
    """``A = Q1 diag(s) Q2^T`` with chosen ``s`` (spanning ``decades`` decades, some repeated): the
    computed singular values are those of a matrix within ``p(n) u ||A||`` of the computed ``A``."""
    rng = np.random.default_rng(seed)
    k = min(m, n)
    s = np.sort(10.0 ** -rng.uniform(0, decades, k))[::-1]
    if k > 2:
        s[1] = s[2]  # a repeated singular value
    q1, _ = np.linalg.qr(rng.standard_normal((m, m)))
    q2, _ = np.linalg.qr(rng.standard_normal((n, n)))
    a = q1[:, :k] @ np.diag(s) @ q2[:, :k].T
    for backend in ("numpy", "torch"):
        u, got, vh = pv.svd(to_backend(a, backend))
        check_svd(a, u, got, vh, np.float64)
        # The matrix a (rounded) is within max(m, n) u ||A|| of the exact product: s is too.
        assert np.max(np.abs(to_np(got) - s)) <= 2 * THRESH * max(m, n) * u_of(np.float64) * s[0]


# --------------------------------------------------------------------------- eigh


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("lower", [True, False])
def test_eigh_ratios(backend, dtype, lower):
    rng = np.random.default_rng(5)
    n = 8
    a = hermitian(rng, n, dtype)
    stored = np.tril(a) if lower else np.triu(a)
    junk = np.triu(np.full((n, n), np.nan), 1) if lower else np.tril(np.full((n, n), np.nan), -1)
    stored = (stored + junk).astype(dtype)
    w, v = pv.eigh(
        to_backend(stored, backend), lower=lower, check_finite=False
    )  # the other triangle is not read
    assert backend_of(w) == backend_of(v) == backend
    w, v = to_np(w), to_np(v)
    assert w.dtype == np.finfo(dtype).dtype and v.dtype == dtype
    assert np.all(np.diff(w) >= 0)
    assert eigen_residual_ratio(a, w, v, dtype) < SEP_THRESH
    assert orth_ratio(v, dtype) < SEP_ORTH_THRESH
    w_ref = sl.eigvalsh(widen(a))
    assert np.max(np.abs(w - w_ref)) <= 2 * THRESH * n * u_of(dtype) * two_norm(a)
    w2 = to_np(pv.eigvalsh(to_backend(stored, backend), lower=lower, check_finite=False))
    assert np.max(np.abs(w2 - w_ref)) <= 2 * THRESH * n * u_of(dtype) * two_norm(a)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", [np.float64, np.complex64, np.complex128, np.float32])
@pytest.mark.parametrize("itype", [1, 2, 3])
def test_generalized_eigh_ratios(backend, dtype, itype):
    rng = np.random.default_rng(6)
    n = 7
    a = hermitian(rng, n, dtype)
    b = spd(rng, n, dtype, cond=1e3)
    kappa_b = np.linalg.cond(widen(b), 1)
    w, v = pv.eigh(to_backend(a, backend), to_backend(b, backend), type=itype)
    w, v = widen(to_np(w)).real, widen(to_np(v))
    A, B = widen(a), widen(b)
    u = u_of(dtype)
    if itype == 1:
        resid, scale = A @ v - (B @ v) * w, norm1(A)
    elif itype == 2:
        resid, scale = A @ B @ v - v * w, norm1(A) * norm1(B)
    else:
        resid, scale = B @ A @ v - v * w, norm1(A) * norm1(B)
    assert norm1(resid) / (n * u * scale * norm1(v) * kappa_b) < SEP_THRESH
    gram = v.conj().T @ (np.linalg.inv(B) if itype == 3 else B) @ v
    assert norm1(gram - np.eye(n)) / (n * u * kappa_b) < SEP_ORTH_THRESH
    w_ref = sl.eigh(A, B, type=itype, eigvals_only=True)
    # Both are backward stable for the reduced problem: C's perturbation ||dC|| <~ n u kappa(B) ||C||.
    c_norm = max(np.abs(w_ref))
    assert np.max(np.abs(np.sort(w) - w_ref)) <= 2 * THRESH * n * u * kappa_b * c_norm
    assert np.allclose(
        to_np(pv.eigvalsh(to_backend(a, backend), to_backend(b, backend), type=itype)),
        w,
        rtol=0,
        atol=2 * THRESH * n * u * kappa_b * c_norm,
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_generalized_upper_triangle_and_broadcast_batch(backend):
    rng = np.random.default_rng(7)
    n = 5
    a = np.stack([hermitian(rng, n, np.float64) for _ in range(6)]).reshape(2, 3, n, n)
    b = np.stack([spd(rng, n, np.float64) for _ in range(3)])
    w, v = pv.eigh(to_backend(np.triu(a), backend), to_backend(np.triu(b), backend), lower=False)
    assert tuple(w.shape) == (2, 3, n) and tuple(v.shape) == (2, 3, n, n)
    for i, j in np.ndindex(2, 3):
        w_ref = sl.eigh(a[i, j], b[j], eigvals_only=True)
        assert np.max(np.abs(to_np(w)[i, j] - w_ref)) <= 2 * THRESH * n * u_of(np.float64) * 10 * max(
            abs(w_ref)
        )


@pytest.mark.parametrize("backend", BACKENDS)
def test_b_not_positive_definite(backend):
    a = np.eye(3)
    b = np.diag([1.0, -1.0, 1.0])
    with pytest.raises(pv.NotPositiveDefiniteError, match="b is not positive definite") as err:
        pv.eigh(to_backend(a, backend), to_backend(b, backend))
    assert err.value.index == 1
    assert isinstance(err.value, np.linalg.LinAlgError)


@pytest.mark.parametrize("backend", BACKENDS)
def test_subsets(backend):
    rng = np.random.default_rng(8)
    n = 9
    eigs = np.arange(n) - 4.0
    a = hermitian(rng, n, np.float64, eigs)
    b = spd(rng, n, np.float64)
    x, y = to_backend(a, backend), to_backend(b, backend)
    w, v = pv.eigh(x, subset_by_index=[2, 5])
    np.testing.assert_allclose(to_np(w), eigs[2:6], atol=1e-13)
    assert to_np(v).shape == (n, 4) and eigen_residual_ratio(a, to_np(w), to_np(v), np.float64) < SEP_THRESH
    w = pv.eigvalsh(x, subset_by_value=[-2.5, 1.5])
    np.testing.assert_allclose(to_np(w), [-2.0, -1.0, 0.0, 1.0], atol=1e-13)
    ref = sl.eigh(a, b, eigvals_only=True)
    hi = (ref[4] + ref[5]) / 2  # between two eigenvalues, so rounding cannot move one across
    w, v = pv.eigh(x, y, subset_by_value=[-np.inf, hi])
    tol = 2 * THRESH * n * u_of(np.float64) * np.linalg.cond(b, 1) * max(abs(ref))
    np.testing.assert_allclose(to_np(w), ref[:5], rtol=0, atol=tol)
    assert to_np(v).shape == (n, 5)
    for driver in ("evr", "evx"):
        w = pv.eigvalsh(x, subset_by_index=[0, 1], driver=driver)
        np.testing.assert_allclose(to_np(w), eigs[:2], atol=1e-13)
    w = pv.eigvalsh(x, y, subset_by_index=[n - 2, n - 1], driver="gvx")
    np.testing.assert_allclose(to_np(w), ref[-2:], rtol=0, atol=tol)


@pytest.mark.parametrize("backend", BACKENDS)
def test_batched_subset_by_value_counts(backend):
    rng = np.random.default_rng(9)
    a = np.stack(
        [hermitian(rng, 4, np.float64, [-3, -1, 1, 3]), hermitian(rng, 4, np.float64, [-2, 0.5, 2, 4])]
    )
    with pytest.raises(ValueError, match="subset_by_index"):
        pv.eigh(to_backend(a, backend), subset_by_value=[0.75, 3.5])  # {1, 3} and {2}: cannot be stacked
    w, v = pv.eigh(
        to_backend(a, backend), subset_by_value=[0.0, 3.0]
    )  # {1, 3} and {0.5, 2}: different starts
    np.testing.assert_allclose(to_np(w), [[1.0, 3.0], [0.5, 2.0]], atol=1e-13)
    for i in range(2):
        assert eigen_residual_ratio(a[i], to_np(w)[i], to_np(v)[i], np.float64) < SEP_THRESH


@pytest.mark.parametrize("backend", BACKENDS)
def test_repeated_eigenvalues(backend):
    rng = np.random.default_rng(10)
    eigs = [1.0, 1.0, 1.0, 2.0, 2.0, -5.0]
    a = hermitian(rng, 6, np.complex128, eigs)
    w, v = pv.eigh(to_backend(a, backend))
    np.testing.assert_allclose(to_np(w), np.sort(eigs), atol=2 * THRESH * 6 * u_of(np.float64) * 5)
    assert eigen_residual_ratio(a, to_np(w), to_np(v), np.complex128) < SEP_THRESH
    assert orth_ratio(to_np(v), np.complex128) < SEP_ORTH_THRESH


def test_eigh_options_follow_scipy():
    a = np.eye(3)
    with pytest.raises(ValueError, match="square"):
        pv.eigh(np.ones((2, 3)))
    with pytest.raises(ValueError, match="wrong b dimensions"):
        pv.eigh(a, np.eye(2))
    with pytest.raises(ValueError, match='"type"'):
        pv.eigh(a, a, type=4)
    with pytest.raises(ValueError, match="Either index or value"):
        pv.eigh(a, subset_by_index=[0, 1], subset_by_value=[0, 1])
    with pytest.raises(ValueError, match="indices are not valid"):
        pv.eigh(a, subset_by_index=[0, 3])
    with pytest.raises(ValueError, match="bounds are not valid"):
        pv.eigh(a, subset_by_value=[2, 0])
    with pytest.raises(ValueError, match="unknown"):
        pv.eigh(a, driver="wrong")
    with pytest.raises(ValueError, match="requires input b"):
        pv.eigh(a, driver="gvx")
    with pytest.raises(ValueError, match="does not accept input b"):
        pv.eigh(a, a, driver="evr")
    with pytest.raises(ValueError, match="cannot compute subsets"):
        pv.eigh(a, a, driver="gvd", subset_by_index=[1, 2])
    with pytest.raises(ValueError, match="sparse"):
        pv.eigh(scipy.sparse.identity(2).tocsc())
    with pytest.raises(TypeError, match="one type"):
        pv.eigh(a, torch.eye(3, dtype=torch.float64))
    w = pv.eigh(np.array([[1, 2], [2, 7]]), np.array([[3, 1], [1, 5]]), eigvals_only=True)
    np.testing.assert_allclose(w, sl.eigh([[1, 2], [2, 7]], [[3, 1], [1, 5]], eigvals_only=True), rtol=1e-14)
    assert pv.eigvalsh(np.ones((3, 3)), subset_by_index=[]).shape == (
        3,
    )  # SciPy: an empty subset asks for none


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("driver", ["ev", "evd", "evr", "evx"])
def test_every_standard_driver(backend, driver):
    rng = np.random.default_rng(11)
    a = hermitian(rng, 6, np.complex128)
    w, v = pv.eigh(to_backend(a, backend), driver=driver)
    assert backend_of(w) == backend
    assert eigen_residual_ratio(a, to_np(w), to_np(v), np.complex128) < SEP_THRESH


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("driver", ["gv", "gvd", "gvx"])
def test_every_generalized_driver(backend, driver):
    rng = np.random.default_rng(12)
    a, b = hermitian(rng, 6, np.float64), spd(rng, 6, np.float64)
    w = pv.eigvalsh(to_backend(a, backend), to_backend(b, backend), driver=driver)
    ref = sl.eigh(a, b, eigvals_only=True)
    assert np.max(np.abs(to_np(w) - ref)) <= 2 * THRESH * 6 * u_of(np.float64) * 10 * max(abs(ref))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", [np.float32, np.complex128, np.int64])
def test_eigh_empty(backend, dtype):
    a = to_backend(np.zeros((0, 0), dtype=dtype), backend)
    w, v = pv.eigh(a)
    work = np.float64 if dtype == np.int64 else dtype
    assert to_np(w).shape == (0,) and to_np(v).shape == (0, 0)
    assert to_np(v).dtype == work and to_np(w).dtype == np.finfo(work).dtype
    w, v = pv.eigh(a, a)
    assert to_np(w).shape == (0,) and to_np(v).shape == (0, 0)
    assert to_np(pv.eigvalsh(a)).shape == (0,)


# --------------------------------------------------------------------------- JAX specifics


def test_jax_traceable_paths_and_host_paths():
    import jax
    import jax.numpy as jnp

    rng = np.random.default_rng(13)
    a, b = hermitian(rng, 5, np.float64), spd(rng, 5, np.float64)
    x, y = jnp.asarray(a), jnp.asarray(b)
    w = jax.jit(lambda m: pv.eigvalsh(m, check_finite=False))(x)
    np.testing.assert_allclose(np.asarray(w), sl.eigvalsh(a), atol=1e-13)
    w = jax.jit(lambda m, n: pv.eigh(m, n, check_finite=False, subset_by_index=[1, 2])[0])(x, y)
    np.testing.assert_allclose(np.asarray(w), sl.eigh(a, b, eigvals_only=True)[1:3], rtol=1e-12)
    s = jax.jit(lambda m: pv.svd(m, check_finite=False)[1])(x)
    np.testing.assert_allclose(np.asarray(s), sl.svdvals(a), rtol=1e-13)
    with pytest.raises(ValueError, match="host"):
        jax.jit(lambda m: pv.svd(m, check_finite=False, lapack_driver="gesvd")[1])(x)
    with pytest.raises(ValueError, match="host"):
        jax.jit(lambda m: pv.eigvalsh(m, check_finite=False, driver="evx"))(x)
    with pytest.raises(ValueError, match="depends on the values"):
        jax.jit(lambda m: pv.eigvalsh(m, check_finite=False, subset_by_value=[0, 1]))(x)
    # The default check_finite=True is skipped on jit tracers (docs/autodiff.md), not an error.
    np.testing.assert_allclose(np.asarray(jax.jit(pv.eigvalsh)(x)), sl.eigvalsh(a), atol=1e-13)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 8), seed=st.integers(0, 2**32 - 1), decades=st.integers(0, 12), cplx=st.booleans())
def test_eigh_of_matrices_built_from_factors(n, seed, decades, cplx):
    """``A = Q diag(w) Q^H`` with chosen ``w`` (signs mixed, magnitudes over ``decades`` decades, a
    repeated pair): the computed eigenvalues are within ``p(n) u ||A||`` of ``w`` (Weyl), the
    eigenvectors orthonormal and the residual ratio small."""
    rng = np.random.default_rng(seed)
    w = 10.0 ** -rng.uniform(0, decades, n) * rng.choice([-1.0, 1.0], n)
    if n > 2:
        w[1] = w[2]
    dtype = np.complex128 if cplx else np.float64
    a = hermitian(rng, n, dtype, w)
    for backend in BACKENDS:
        got, v = pv.eigh(to_backend(a, backend))
        assert np.max(np.abs(to_np(got) - np.sort(w))) <= 2 * THRESH * n * u_of(np.float64) * np.abs(w).max()
        assert eigen_residual_ratio(a, to_np(got), to_np(v), dtype) < SEP_THRESH
        assert orth_ratio(to_np(v), dtype) < SEP_ORTH_THRESH
