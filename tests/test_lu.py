"""LU: LAPACK-style ratios over generated matrices, pivoting facts, failures."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pivotal as pv
from pivotal import gallery
from pivotal._permutations import ipiv_to_perm, perm_to_ipiv
from pivotal.kernels.lu import getf2, getrf_blocked, getrf_recursive

from .helpers import (
    BACKENDS,
    DTYPES,
    THRESH,
    random_matrix,
    reconstruction_ratio,
    solve_residual_ratio,
    to_backend,
    to_np,
    u_of,
)

SIZES = [0, 1, 2, 3, 5, 10, 50]
SHAPES = [(5, 3), (3, 5), (50, 10), (10, 50), (1, 4), (4, 1)]
PIVOTING_BLOCKS = [("partial", None), ("partial", 1), ("partial", 4), ("rook", None), ("complete", None)]


def _check_factorization(A, F, dtype):
    L, U, p = to_np(F.L), to_np(F.U), to_np(F.p)
    q = to_np(F.q)
    permuted = A[p][:, q]
    return reconstruction_ratio(
        permuted, L.astype(np.complex128) @ U if np.iscomplexobj(L) else L.astype(np.float64) @ U, dtype
    )


@pytest.mark.parametrize("mtype", sorted(gallery.MATRIX_TYPES))
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("pivoting,block_size", PIVOTING_BLOCKS)
def test_lu_kernel_ratios(mtype, dtype, pivoting, block_size):
    rng = np.random.default_rng(hash((mtype, pivoting)) % 2**32)
    for n in SIZES:
        A = gallery.MATRIX_TYPES[mtype](n, dtype, rng)
        F = pv.LU(A, pivoting=pivoting, block_size=block_size, method="kernel", check=False)
        assert _check_factorization(A, F, dtype) < THRESH, (mtype, n)
        if n and F.issuccess():
            b = random_matrix(rng, (n, 2), dtype)
            x = F.solve(b)
            assert solve_residual_ratio(A, x, b, dtype) < THRESH, (mtype, n)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("pivoting,block_size", PIVOTING_BLOCKS + [("none", None), ("none", 3)])
@pytest.mark.parametrize("shape", SHAPES)
def test_lu_rectangular(backend, dtype, pivoting, block_size, shape):
    rng = np.random.default_rng(7)
    A = random_matrix(rng, shape, dtype)
    k = min(shape)
    if pivoting == "none":
        A[:k, :k] += 8 * np.eye(k, dtype=dtype)  # diagonally dominant: safe without pivoting
    F = pv.LU(to_backend(A, backend), pivoting=pivoting, block_size=block_size, method="kernel")
    assert to_np(F.L).shape == (shape[0], k) and to_np(F.U).shape == (k, shape[1])
    assert _check_factorization(A, F, dtype) < THRESH


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("method", ["vendor", "kernel"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_lu_solve_transposes(backend, method, dtype):
    rng = np.random.default_rng(3)
    n = 12
    A = gallery.randsvd(n, 1e3, 3, dtype=dtype, random_state=rng)
    F = pv.LU(to_backend(A, backend), method=method)
    b = random_matrix(rng, (n, 3), dtype)
    for trans, op in [(0, A), (1, A.T), (2, A.conj().T), ("C", A.conj().T), (True, A.T)]:
        x = to_np(F.solve(to_backend(b, backend), trans=trans))
        assert solve_residual_ratio(op, x, b, dtype) < THRESH


def test_lu_algorithms_agree_on_pivots():
    """Recursive, blocked and unblocked GEPP choose the same pivots on random input."""
    rng = np.random.default_rng(11)
    A = rng.standard_normal((40, 40))
    ref = getf2(A.copy())
    # Pivots are decided by comparisons, equal unless two candidates tie to within rounding
    # (probability ~ n**2 u on Gaussian data).  With equal pivots the factors are those of
    # one matrix, each with backward error THRESH n u, so they differ by kappa(A) times that.
    tol = 2 * THRESH * 40 * u_of(np.float64) * np.linalg.cond(A) * np.abs(ref.lu).max()
    for res in (getrf_blocked(A.copy(), 7), getrf_recursive(A.copy(), leaf=3)):
        np.testing.assert_array_equal(res.perm, ref.perm)
        np.testing.assert_allclose(res.lu, ref.lu, rtol=0, atol=tol)


@pytest.mark.parametrize("n", [10, 30, 60])
def test_wilkinson_growth_partial_vs_rook_complete(n):
    A = gallery.gfpp(n)
    # U's last column is 1 + sum_{k<i} 2**k = 2**i, a sum of positive terms: exact in any
    # order while every partial sum fits in 53 bits (n <= 53), else within gamma_n relative.
    rel = 0.0 if n <= 53 else n * u_of(np.float64)
    for method in ("auto", "kernel"):
        assert pv.growth_factor(A, "partial", method=method) == pytest.approx(2.0 ** (n - 1), rel=rel, abs=0)
    for piv in ("rook", "complete"):
        assert pv.growth_factor(A, piv) <= 4.0


def test_solve_residual_catches_gepp_growth_and_rook_complete_fix_it():
    """gfpp(60): GEPP's residual ratio explodes; rook and complete stay within 30 n eps."""
    n = 60
    A = gallery.gfpp(n)
    rng = np.random.default_rng(0)
    b = rng.standard_normal((n, 4))
    with pytest.warns(pv.PivotGrowthWarning):  # the factors know their growth
        x_pp = pv.LU(A, pivoting="partial").solve(b)
    assert solve_residual_ratio(A, x_pp, b) > 1e6
    for piv in ("rook", "complete"):
        x = pv.LU(A, pivoting=piv).solve(b)
        assert solve_residual_ratio(A, x, b) < THRESH


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("pivoting", ["partial", "rook", "complete"])
@pytest.mark.parametrize("method", ["kernel", "auto"])
def test_exactly_singular_raises_with_index(backend, pivoting, method):
    if method == "auto" and pivoting != "partial":
        method = "kernel"
    n, j = 8, 5
    A = gallery.zero_column(n, j, random_state=1)
    with pytest.raises(pv.SingularMatrixError) as err:
        pv.LU(to_backend(A, backend), pivoting=pivoting, method=method)
    if pivoting == "partial":
        assert err.value.index == j
    else:  # full pivoting moves the zero column to the end
        assert err.value.index == n - 1
    assert isinstance(err.value, np.linalg.LinAlgError)
    F = pv.LU(to_backend(A, backend), pivoting=pivoting, method=method, check=False)
    assert not F.issuccess()
    with pytest.raises(pv.SingularMatrixError):
        F.solve(np.ones(n) if backend == "numpy" else to_backend(np.ones(n), backend))
    assert F.rcond() == 0.0
    assert float(F.det()) == 0.0
    sign, logabs = F.slogdet()
    assert float(sign) == 0.0 and float(logabs) == -np.inf


def test_no_pivoting_zero_pivot_raises():
    A = np.array([[0.0, 1.0], [1.0, 0.0]])
    with pytest.raises(pv.SingularMatrixError) as err:
        pv.LU(A, pivoting="none")
    assert err.value.index == 0
    F = pv.LU(A, pivoting="none", check=False)
    assert F.info == 1 and not F.issuccess()


@pytest.mark.parametrize("block_size", [None, 1, 2])
def test_no_pivoting_tiny_pivot_is_not_silent(block_size):
    A = np.array([[1e-16, 1.0], [1.0, 2.0]])
    with pytest.warns(pv.PivotGrowthWarning, match="index 0") as rec:
        F = pv.LU(A, pivoting="none", block_size=block_size)
    assert rec[0].message.index == 0
    assert F.growth_factor() > 1e15
    with pytest.warns(pv.PivotGrowthWarning):
        pv.lu_factor(A, pivoting="none")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pv.LU(A)  # partial pivoting: no warning


@pytest.mark.parametrize("dtype", DTYPES)
def test_det_slogdet_logdet_inv(dtype):
    rng = np.random.default_rng(5)
    A = random_matrix(rng, (6, 6), dtype) + 3 * np.eye(6, dtype=dtype)
    F = pv.LU(A)
    tol = (
        1e-4
        if (np.dtype(dtype).itemsize <= 8 and np.dtype(dtype).kind == "f") or dtype == np.complex64
        else 1e-10
    )
    np.testing.assert_allclose(F.det(), np.linalg.det(A.astype(np.complex128)), rtol=tol)
    s, la = F.slogdet()
    s_ref, la_ref = np.linalg.slogdet(A.astype(np.complex128))
    np.testing.assert_allclose(la, la_ref, rtol=tol)
    np.testing.assert_allclose(s, s_ref, rtol=tol, atol=tol)
    np.testing.assert_allclose(F.inv() @ A, np.eye(6), atol=50 * tol)
    if np.dtype(dtype).kind == "c":
        np.testing.assert_allclose(np.exp(F.logdet()), np.linalg.det(A.astype(np.complex128)), rtol=10 * tol)


def test_logdet_negative_determinant_error():
    F = pv.LU(np.array([[0.0, 1.0], [1.0, 0.0]]))
    assert F.det() == -1.0
    with pytest.raises(ValueError, match="slogdet"):
        F.logdet()


@pytest.mark.parametrize("kappa", [10.0, 1e4, 1e8])
def test_rcond_estimate_brackets_exact(kappa):
    rng = np.random.default_rng(int(np.log10(kappa)))
    A = gallery.randsvd(30, kappa, 3, random_state=rng)
    exact = 1.0 / (np.linalg.norm(A, 1) * np.linalg.norm(np.linalg.inv(A), 1))
    est = pv.LU(A).rcond()
    # rcond's estimate of ||A^{-1}||_1 is a lower bound (so rcond >= exact) up to the solves'
    # and the reference inverse's errors, 10 n u kappa_1 relative each (see test_kernel_condest).
    slack = 2 * 10 * 30 * u_of(np.float64) / exact
    assert exact * (1 - slack) <= est <= 10 * exact
    assert np.isclose(pv.LU(A).cond(), 1 / est)


def test_unpacking_repr_and_properties():
    A = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 10.0]])
    F = pv.LU(A)
    L, U, p = F
    assert reconstruction_ratio(A[p], L @ U) < THRESH
    assert reconstruction_ratio(F.P @ A, L @ U) < THRESH
    assert "LU(3x3" in repr(F) and "float64" in repr(F) and "success" in repr(F)
    Fc = pv.LU(A, pivoting="complete")
    assert len(Fc) == 4
    L, U, _p, _q = Fc
    assert reconstruction_ratio(Fc.P @ A @ Fc.Q, L @ U) < THRESH
    np.testing.assert_array_equal(ipiv_to_perm(F.piv, 3), F.p)


@settings(max_examples=40, deadline=None)
@given(st.permutations(list(range(9))))
def test_perm_ipiv_roundtrip(perm):
    perm = np.array(perm)
    np.testing.assert_array_equal(ipiv_to_perm(perm_to_ipiv(perm)), perm)


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(1, 12),
    seed=st.integers(0, 2**31 - 1),
    pivoting=st.sampled_from(["partial", "rook", "complete"]),
    block_size=st.sampled_from([None, 1, 3]),
)
def test_property_factors_from_built_matrix(n, seed, pivoting, block_size):
    """Build A = P^T L U Q^T from random factors; LU must reproduce A to LAPACK accuracy."""
    if pivoting != "partial":
        block_size = None
    rng = np.random.default_rng(seed)
    L = np.tril(rng.uniform(-1, 1, (n, n)), -1) + np.eye(n)
    U = np.triu(rng.standard_normal((n, n))) + np.diag(rng.choice([-1, 1], n) * rng.uniform(0.5, 2, n))
    A = (L @ U)[rng.permutation(n)][:, rng.permutation(n)]
    F = pv.LU(A, pivoting=pivoting, block_size=block_size, method="kernel")
    assert _check_factorization(A, F, np.float64) < THRESH
    b = rng.standard_normal(n)
    assert solve_residual_ratio(A, F.solve(b), b) < THRESH


def test_bad_options():
    A = np.eye(3)
    with pytest.raises(ValueError, match="pivoting"):
        pv.LU(A, pivoting="full")
    with pytest.raises(ValueError, match="method"):
        pv.LU(A, method="lapack")
    with pytest.raises(ValueError, match="vendor"):
        pv.LU(A, pivoting="rook", method="vendor")
    with pytest.raises(ValueError, match="unblocked"):
        pv.LU(A, pivoting="complete", block_size=8)
    with pytest.raises(ValueError, match="block_size"):
        pv.LU(A, block_size=0)
    with pytest.raises(ValueError, match="square"):
        pv.LU(np.ones((2, 3))).solve(np.ones(2))
    with pytest.raises(ValueError, match=r"NaN|infs"):
        pv.LU(np.array([[1.0, np.nan], [0.0, 1.0]]))
    with pytest.raises(ValueError, match=r"one matrix.*lu_factor"):
        pv.LU(np.ones((2, 2, 2)))
    with pytest.raises(ValueError, match="rows"):
        pv.LU(A).solve(np.ones(4))
    with pytest.raises(TypeError, match=r"backend|torch"):
        pv.LU(A).solve(to_backend(np.ones(3), "torch"))
