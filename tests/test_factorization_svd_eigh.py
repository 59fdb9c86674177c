"""The SVD and Eigh factorization objects against NumPy's lstsq, pinv, matrix_rank, cond and slogdet.

Bounds (two backward-stable computations, each exact for data perturbed by
``THRESH max(m, n) u`` relative):

* solves: the residual ratio ``||b - A x|| / (n ||A|| ||x|| u)`` below LAPACK's thresholds
  (an SVD solve is backward stable: the error of ``U^H b`` comes back through
  ``A V S^-1 = U``) and agreement with ``numpy.linalg.solve`` within
  ``2 THRESH n u kappa`` (``assert_solve_close``);
* least squares: Wedin's bound with ``kappa = s_1 / s_rank`` (``assert_lstsq_close``);
* pseudo-inverse: ``||dA^+|| <= 3 kappa ||A^+|| ||dA|| / ||A||`` for a
  perturbation that keeps the rank (Wedin 1973; Higham 2002, Thm. 20.?);
* singular values (so ``cond``, ``det``): Weyl, ``|ds_i| <= ||dA||_2``, so
  ``log s_i`` moves by at most ``||dA|| / s_i``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import scipy.linalg as sl

import pivotal as pv

from .helpers import (
    THRESH,
    assert_lstsq_close,
    assert_solve_close,
    norm1,
    orth_ratio,
    random_matrix,
    solve_residual_ratio,
    to_np,
    u_of,
    widen,
)

torch = pytest.importorskip("torch")

DTYPES = [np.float32, np.float64, np.complex64, np.complex128]
BACKENDS = ["numpy", "torch"]

# LAPACK's own test thresholds for these drivers, in its unit ulp = 2u: 35 for the SVD (TESTING/svd.in) and
# 60 for the symmetric eigenproblem (TESTING/sep.in: "theoretical limit ~500, empirically reached limit
# ~170").  The orthogonality of MRRR (SciPy's default syevr) on clusters reaches ~110 ulp on this machine's
# generic kernels, so the eigenvectors' orthogonality (and the solves through them, whose residual it
# bounds) is held to the theoretical limit.  Against u, twice as much.
SVD_THRESH = 2 * 35.0
SEP_THRESH = 2 * 60.0
SEP_ORTH_THRESH = 2 * 500.0


def to_backend(x, backend):
    return torch.from_numpy(np.ascontiguousarray(x)) if backend == "torch" else x


def with_singular_values(rng, m, n, s, dtype):
    """``Q1 diag(s) Q2^H`` with Haar-like orthonormal factors (the matrix is its rounded product)."""
    cplx = np.dtype(dtype).kind == "c"
    q1, _ = np.linalg.qr(random_matrix(rng, (m, m), np.complex128 if cplx else np.float64))
    q2, _ = np.linalg.qr(random_matrix(rng, (n, n), np.complex128 if cplx else np.float64))
    k = len(s)
    return ((q1[:, :k] * s) @ q2[:, :k].conj().T).astype(dtype)


def hermitian(rng, n, dtype, eigs):
    cplx = np.dtype(dtype).kind == "c"
    q, _ = np.linalg.qr(random_matrix(rng, (n, n), np.complex128 if cplx else np.float64))
    a = (q * np.asarray(eigs, dtype=float)) @ q.conj().T
    return ((a + a.conj().T) / 2).astype(dtype)


def kappa2(a) -> float:
    s = np.linalg.svd(widen(a), compute_uv=False)
    return float(s[0] / s[-1]) if s[-1] else math.inf


# --------------------------------------------------------------------------- SVD


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_svd_solve_all_transposes(backend, dtype):
    rng = np.random.default_rng(0)
    n = 8
    a = with_singular_values(rng, n, n, np.geomspace(1, 1e3, n), dtype)
    b = random_matrix(rng, (n, 3), dtype)
    F = pv.SVD(to_backend(a, backend))
    for trans, op in ((0, a), (1, a.T), (2, a.conj().T)):
        x = to_np(F.solve(to_backend(b, backend), trans=trans))
        assert solve_residual_ratio(op, x, b, dtype) < SVD_THRESH
        assert_solve_close(x, np.linalg.solve(widen(op), widen(b)), op, dtype)
    x = to_np(F.solve(to_backend(b[:, 0], backend)))
    assert x.shape == (n,)
    xb = to_np(F.solve(to_backend(np.stack([b, 2 * b]), backend)))  # batched right-hand sides
    assert xb.shape == (2, n, 3)
    assert_solve_close(xb[1], 2 * np.linalg.solve(widen(a), widen(b)), a, dtype)


def test_svd_real_factors_complex_rhs():
    rng = np.random.default_rng(1)
    a = random_matrix(rng, (5, 5), np.float64)
    b = random_matrix(rng, (5, 2), np.complex128)
    x = pv.SVD(a).solve(b)
    assert x.dtype == np.complex128 and solve_residual_ratio(a, x, b) < SVD_THRESH


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", [np.float64, np.complex128, np.float32])
@pytest.mark.parametrize("shape", [(12, 5), (5, 12)])
def test_svd_lstsq_full_rank(backend, dtype, shape):
    rng = np.random.default_rng(2)
    m, n = shape
    a = with_singular_values(rng, m, n, np.geomspace(1, 1e2, min(m, n)), dtype)
    b = random_matrix(rng, (m, 2), dtype)
    F = pv.SVD(to_backend(a, backend))
    x = to_np(F.lstsq(to_backend(b, backend)))
    ref = np.linalg.lstsq(widen(a), widen(b), rcond=None)[0]
    assert_lstsq_close(x, ref, a, b, dtype)
    # A^H y = c: the transposed problem through the same factors.
    c = random_matrix(rng, (n,), dtype)
    y = to_np(F.lstsq(to_backend(c, backend), trans="C"))
    assert_lstsq_close(y, np.linalg.lstsq(widen(a).conj().T, widen(c), rcond=None)[0], a.conj().T, c, dtype)
    y = to_np(F.lstsq(to_backend(c, backend), trans="T"))
    assert_lstsq_close(y, np.linalg.lstsq(widen(a).T, widen(c), rcond=None)[0], a.T, c, dtype)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_svd_rank_deficient(backend, dtype):
    rng = np.random.default_rng(3)
    m, n, r = 10, 7, 4
    s = np.geomspace(1, 1e-2, r)
    a = with_singular_values(rng, m, n, s, dtype)  # computed singular values beyond r: O(u)
    b = random_matrix(rng, (m, 2), dtype)
    F = pv.SVD(to_backend(a, backend))
    assert F.rank() == np.linalg.matrix_rank(a) == r
    x = to_np(F.lstsq(to_backend(b, backend)))
    assert_lstsq_close(x, np.linalg.lstsq(widen(a), widen(b), rcond=None)[0], a, b, dtype, rank=r)
    # pinv: Wedin, rank kept, kappa of the rank-r part.
    p, p_ref = to_np(F.pinv()), np.linalg.pinv(widen(a))
    kappa = s[0] / s[-1]
    assert norm1(p - p_ref) <= 3 * kappa * 2 * THRESH * m * u_of(dtype) * norm1(p_ref) * n
    # null space and range: orthonormal, A N = 0 and N^H N = I, orth spans the range.
    N, R = to_np(F.null_space()), to_np(F.orth())
    assert N.shape == (n, n - r) and R.shape == (m, r)
    assert orth_ratio(N, dtype) < SVD_THRESH and orth_ratio(R, dtype) < SVD_THRESH
    assert norm1(widen(a) @ N) <= THRESH * m * u_of(dtype) * norm1(a) * n
    ref = sl.orth(widen(a))
    proj = R @ R.conj().T - ref @ ref.conj().T
    assert norm1(proj) <= THRESH * m * u_of(dtype) * kappa * m
    # The wide matrix: its thin Vh lacks the complement, found by a complete QR.
    G = pv.SVD(to_backend(a.conj().T, backend))
    N = to_np(G.null_space())
    assert N.shape == (m, m - r) and orth_ratio(N, dtype) < SVD_THRESH
    assert norm1(widen(a).conj().T @ N) <= THRESH * m * u_of(dtype) * norm1(a) * m


def test_cutoff_overrides():
    a = np.diag([1.0, 1e-6, 1e-12, 0.0])
    F = pv.SVD(a)
    assert F.rank() == 3 and F.cutoff() == pytest.approx(4 * np.finfo(float).eps)
    assert F.rank(rtol=1e-9) == 2 and F.rank(atol=1e-3) == 1
    G = pv.SVD(a, rtol=1e-9)
    assert G.rank() == 2
    np.testing.assert_allclose(G.pinv(), np.diag([1.0, 1e6, 0.0, 0.0]))
    np.testing.assert_allclose(G.lstsq(np.ones(4)), [1.0, 1e6, 0.0, 0.0])
    np.testing.assert_allclose(F.pinv(rtol=1e-9), np.linalg.pinv(a, rtol=1e-9))
    assert pv.matrix_rank(a) == F.rank()
    with pytest.raises(ValueError, match="rtol"):
        pv.SVD(a, rtol=-1.0)
    with pytest.raises(ValueError, match="atol"):
        F.rank(atol=float("nan"))


@pytest.mark.parametrize("backend", BACKENDS)
def test_svd_cond_rcond_det(backend):
    rng = np.random.default_rng(4)
    n = 7
    a = with_singular_values(rng, n, n, np.geomspace(1, 1e-5, n), np.float64)
    F = pv.SVD(to_backend(a, backend))
    kappa = kappa2(a)
    bound = 2 * THRESH * n * u_of(np.float64) * kappa  # relative error of s_min (Weyl)
    assert abs(F.cond() - np.linalg.cond(a)) <= bound * kappa
    assert abs(F.rcond() - 1 / np.linalg.cond(a)) <= bound / kappa
    sign, logdet = np.linalg.slogdet(a)
    s2, l2 = F.slogdet()
    assert float(s2) == sign
    assert abs(float(l2) - logdet) <= n * bound  # sum over i of ||dA|| / s_i
    assert abs(float(F.det()) - np.linalg.det(a)) <= n * bound * abs(np.linalg.det(a))
    c = random_matrix(rng, (4, 4), np.complex128)
    G = pv.SVD(to_backend(c, backend))
    assert abs(complex(G.det()) - np.linalg.det(c)) <= 2 * THRESH * 16 * u_of(np.float64) * kappa2(c) * abs(
        np.linalg.det(c)
    )
    rect = pv.SVD(to_backend(a[:, :4], backend))
    assert abs(rect.cond() - np.linalg.cond(a[:, :4])) <= bound * np.linalg.cond(a[:, :4])
    with pytest.raises(ValueError, match="square"):
        rect.det()
    with pytest.raises(ValueError, match="lstsq"):
        rect.solve(np.ones(7))


def test_singular_solve_warns_and_returns_the_minimum_norm_solution():
    a = np.array([[1.0, 1.0], [1.0, 1.0]])
    F = pv.SVD(a)
    assert F.rcond() < 1e-15 and F.cond() > 1e15
    with pytest.warns(pv.IllConditionedWarning):
        x = F.solve(np.array([2.0, 2.0]))
    np.testing.assert_allclose(x, [1.0, 1.0], rtol=1e-14)
    assert pv.SVD(np.zeros((2, 2))).rcond() == 0.0 and pv.SVD(np.zeros((2, 2))).cond() == math.inf
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_allclose(F.lstsq(np.array([2.0, 2.0])), [1.0, 1.0], rtol=1e-14)  # lstsq: no warning


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", [np.float64, np.complex64])
def test_svd_low_rank_eckart_young(backend, dtype):
    rng = np.random.default_rng(5)
    m, n = 9, 6
    a = random_matrix(rng, (m, n), dtype)
    F = pv.SVD(to_backend(a, backend))
    s = to_np(F.s).astype(np.float64)
    for k in range(n + 1):
        G, e2, ef = F.low_rank(k)
        # The errors are the discarded singular values (to rounding of the sum of squares).
        assert e2 == (s[k] if k < n else 0.0)
        assert abs(ef - np.sqrt(np.sum(s[k:] ** 2))) <= 4 * n * u_of(np.float64) * max(ef, 1e-300)
        assert G.rank() == k and G.shape == (m, n)
        ak = widen(to_np(G.U)) @ np.diag(widen(to_np(G.s)).real) @ widen(to_np(G.Vh))
        # ||A - A_k|| of the computed factors equals the discarded part to the backward error of the SVD.
        tol = 2 * THRESH * max(m, n) * u_of(dtype) * np.linalg.norm(widen(a), 2)
        assert abs(np.linalg.norm(widen(a) - ak, 2) - e2) <= tol
        assert abs(np.linalg.norm(widen(a) - ak, "fro") - ef) <= tol * np.sqrt(n)
    with pytest.raises(ValueError, match="k must be"):
        F.low_rank(n + 1)
    with pytest.raises(ValueError, match="k must be"):
        F.low_rank(1.5)


def test_svd_object_protocol():
    a = np.arange(6.0).reshape(3, 2)
    F = pv.SVD(a)
    U, s, Vh = F
    np.testing.assert_allclose(U @ np.diag(s) @ Vh, a, atol=1e-14)
    np.testing.assert_allclose(F.V, Vh.T)
    assert "SVD(3x2, dtype=float64, backend=numpy, rank=2" in repr(F)
    assert F.norm1() == norm1(a) and F.issuccess()
    assert pv.SVD(torch.from_numpy(a), lapack_driver="gesvd").algorithm.startswith("vendor (LAPACK gesvd")
    jnp = pytest.importorskip("jax.numpy")
    with pytest.raises(TypeError, match=r"pivotal\.svd"):
        pv.SVD(jnp.asarray(a))
    with pytest.raises(ValueError, match="batch"):
        pv.SVD(np.ones((2, 3, 3)))
    E = pv.SVD(np.zeros((0, 3)))
    assert E.rank() == 0 and E.rcond() == 1.0 and E.null_space().shape == (3, 3)
    assert E.lstsq(np.zeros(0)).shape == (3,) and E.pinv().shape == (3, 0)


# --------------------------------------------------------------------------- Eigh


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_eigh_solve_and_logdet(backend, dtype):
    rng = np.random.default_rng(6)
    n = 8
    a = hermitian(rng, n, dtype, np.geomspace(1, 1e3, n))
    b = random_matrix(rng, (n, 2), dtype)
    F = pv.Eigh(to_backend(a, backend))
    for trans, op in ((0, a), (1, a.T), (2, a.conj().T)):
        x = to_np(F.solve(to_backend(b, backend), trans=trans))
        assert solve_residual_ratio(op, x, b, dtype) < SEP_ORTH_THRESH
        assert_solve_close(x, np.linalg.solve(widen(op), widen(b)), op, dtype)
    kappa = kappa2(a)
    logdet = np.linalg.slogdet(widen(a))[1]
    tol = n * 2 * THRESH * n * u_of(dtype) * kappa
    assert abs(float(np.real(to_np(F.logdet()))) - logdet) <= tol
    assert (
        abs(
            float(np.real(to_np(F.logdet())))
            - float(np.real(to_np(pv.Cholesky(to_backend(a, backend)).logdet())))
        )
        <= tol
    )
    assert abs(float(np.real(to_np(F.det()))) - np.exp(logdet)) <= tol * np.exp(logdet)


@pytest.mark.parametrize("backend", BACKENDS)
def test_eigh_indefinite_singular(backend):
    rng = np.random.default_rng(7)
    eigs = [-3.0, -1.0, 0.0, 0.0, 2.0, 5.0]
    n = len(eigs)
    a = hermitian(rng, n, np.complex128, eigs)
    # The zero eigenvalues are computed as O(n u ||A||): at the default cutoff's level, so cut above it.
    F = pv.Eigh(to_backend(a, backend), rtol=1e-10)
    assert F.rank() == np.linalg.matrix_rank(a, hermitian=True, rtol=1e-10) == 4
    with pytest.raises(pv.NotPositiveDefiniteError, match="eigenvalue 0") as err:
        F.logdet()
    assert (
        err.value.index == 0
        and "4 of the 6" not in str(err.value)
        and "of the 6 eigenvalues" in str(err.value)
    )
    _, logabs = F.slogdet()  # the two zero eigenvalues are computed below 2 THRESH n u ||A|| each
    assert float(to_np(logabs)) <= np.log(30.0) + 2 * np.log(2 * THRESH * n * u_of(np.float64) * 5)
    b = random_matrix(rng, (n,), np.complex128)
    x = to_np(F.lstsq(to_backend(b, backend)))
    assert_lstsq_close(x, np.linalg.lstsq(a, b, rcond=None)[0], a, b, np.complex128, rank=4)
    p_ref = np.linalg.pinv(a, hermitian=True)
    assert norm1(to_np(F.pinv()) - p_ref) <= 3 * 5 * 2 * THRESH * n * u_of(np.float64) * norm1(p_ref) * n
    N, R = to_np(F.null_space()), to_np(F.orth())
    assert N.shape == (n, 2) and R.shape == (n, 4)
    assert norm1(a @ N) <= THRESH * n * u_of(np.float64) * norm1(a) * n
    assert orth_ratio(np.hstack([N, R]), np.complex128) < SEP_ORTH_THRESH
    G, e2, ef = F.low_rank(2)
    np.testing.assert_allclose(to_np(G.w), [-3.0, 5.0], atol=1e-13)
    assert abs(e2 - 2.0) <= 1e-13 and abs(ef - np.sqrt(4 + 1)) <= 1e-13
    ak = to_np(G.v) @ np.diag(to_np(G.w)) @ to_np(G.v).conj().T
    assert abs(np.linalg.norm(a - ak, 2) - e2) <= 2 * THRESH * n * u_of(np.float64) * 5
    assert F.cond() >= 5 / (2 * THRESH * n * u_of(np.float64) * 5) and F.rcond() == 1 / F.cond()


def test_eigh_negative_determinant_and_upper_triangle():
    a = np.array([[1.0, 2.0], [2.0, 1.0]])
    F = pv.Eigh(np.triu(a), lower=False)
    np.testing.assert_allclose(F.w, [-1.0, 3.0])
    assert float(F.det()) == pytest.approx(-3.0, rel=1e-14)
    with pytest.raises(pv.NotPositiveDefiniteError, match=r"eigenvalue 0 .* is -1"):
        F.logdet()
    w, v = F
    np.testing.assert_allclose(v @ np.diag(w) @ v.T, a, atol=1e-14)
    assert pv.Eigh(a, driver="evd").algorithm == "vendor (LAPACK syevd)"
    assert pv.Eigh(torch.from_numpy(a)).algorithm == "vendor (torch.linalg.eigh)"
    with pytest.raises(ValueError, match="square"):
        pv.Eigh(np.ones((2, 3)))


# --------------------------------------------------------------------------- factorize


@pytest.mark.parametrize("backend", BACKENDS)
def test_factorize_can_be_asked_for_them(backend):
    rng = np.random.default_rng(8)
    a = random_matrix(rng, (6, 4), np.float64)
    F = pv.factorize(to_backend(a, backend), assume="svd")
    assert (
        isinstance(F, pv.SVD)
        and F.path[0].startswith("assume='svd'")
        and "numerical rank 4 of 4" in F.path[-1]
    )
    h = hermitian(rng, 5, np.float64, [1, 2, 3, 4, 0])
    E = pv.factorize(to_backend(h, backend), assume="eigh")
    assert isinstance(E, pv.Eigh) and "numerical rank 4 of 5" in E.path[-1]
    assert pv.select_factorization(a, assume="svd").factorization == "SVD"
    with pytest.raises(ValueError, match="square"):
        pv.factorize(a, assume="eigh")
    assert pv.factorize(a).path != F.path  # never chosen automatically


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("scale", [1e-150, 1e150])
def test_objects_at_extreme_scales(backend, scale):
    """The ratios are scale invariant and LAPACK scales into its safe range: 1e+-150 changes nothing."""
    rng = np.random.default_rng(9)
    n = 6
    a = with_singular_values(rng, n, n, np.geomspace(1, 1e2, n), np.float64) * scale
    b = random_matrix(rng, (n, 2), np.float64)
    x = to_np(pv.SVD(to_backend(a, backend)).solve(to_backend(b, backend)))
    assert solve_residual_ratio(a, x, b) < SVD_THRESH
    h = hermitian(rng, n, np.float64, np.geomspace(1, 1e2, n) * np.array([1, -1, 1, -1, 1, -1])) * scale
    F = pv.Eigh(to_backend(h, backend))
    x = to_np(F.solve(to_backend(b, backend)))
    assert solve_residual_ratio(h, x, b) < SEP_ORTH_THRESH
    assert F.rank() == n and abs(F.cond() - kappa2(h)) <= 2 * THRESH * n * u_of(np.float64) * kappa2(h) ** 2
    sign, logabs = F.slogdet()
    ref_sign, ref_log = np.linalg.slogdet(h)
    assert float(to_np(sign)) == ref_sign
    assert abs(float(to_np(logabs)) - ref_log) <= n * 2 * THRESH * n * u_of(np.float64) * kappa2(h)
