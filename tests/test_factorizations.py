"""Factorization objects: the shared protocol, LDL and PivotedCholesky specifics."""

from __future__ import annotations

import numpy as np
import pytest

import pivotal as pv
from pivotal import gallery

from .helpers import (
    BACKENDS,
    DTYPES,
    THRESH,
    assert_solve_close,
    random_matrix,
    reconstruction_ratio,
    solve_residual_ratio,
    to_backend,
    to_np,
    u_of,
)


def _indefinite(n, dtype, rng, kappa=1e3):
    return gallery.random_symmetric_indefinite(n, kappa, 3, dtype=dtype, random_state=rng)


def _make(kind, n, dtype, rng):
    if kind == "LU":
        A = gallery.randsvd(n, 1e3, 3, dtype=dtype, random_state=rng)
        return A, pv.LU(A)
    if kind == "Cholesky":
        A = gallery.random_spd(n, 1e3, 3, dtype=dtype, random_state=rng)
        return A, pv.Cholesky(A)
    if kind == "LDL":
        A = _indefinite(n, dtype, rng)
        return A, pv.LDL(A)
    A = gallery.random_spd(n, 1e3, 3, dtype=dtype, random_state=rng)
    return A, pv.PivotedCholesky(A)


KINDS = ["LU", "Cholesky", "LDL", "PivotedCholesky"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_shared_protocol(kind, dtype):
    rng = np.random.default_rng(0)
    n = 9
    A, F = _make(kind, n, dtype, rng)
    assert F.issuccess() and F.shape == (n, n)
    assert type(F).__name__ in repr(F) and "success" in repr(F)
    b = random_matrix(rng, (n, 2), dtype)
    for trans, op in [(0, A), (1, A.T), (2, A.conj().T)]:
        x = F.solve(b, trans=trans)
        assert x.dtype == np.dtype(dtype)
        assert solve_residual_ratio(op, x, b, dtype) < THRESH
    x1 = F.solve(b[:, 0])
    assert x1.shape == (n,)
    xb = F.solve(np.stack([b, 2 * b]))  # batched right-hand sides
    assert_solve_close(xb[1], 2 * xb[0], A, dtype)
    sign, logabs = F.slogdet()
    s_ref, l_ref = np.linalg.slogdet(A.astype(np.complex128))
    # The factorization is exact for A + dA with ||dA|| <= THRESH n u ||A||, which moves det
    # by |tr(A^{-1} dA)| <= n kappa THRESH n u relative (kappa = 1e3 by construction).
    tol = n * 1e3 * THRESH * n * u_of(dtype)
    np.testing.assert_allclose(logabs, l_ref, rtol=0, atol=tol)
    np.testing.assert_allclose(sign, s_ref, rtol=0, atol=tol)
    np.testing.assert_allclose(F.det(), np.linalg.det(A.astype(np.complex128)), rtol=2 * tol)
    inv = F.inv()
    assert reconstruction_ratio(np.eye(n), inv.astype(np.complex128) @ A, dtype) < 1e4 * THRESH
    exact = 1 / (np.linalg.norm(A, 1) * np.linalg.norm(np.linalg.inv(A.astype(np.complex128)), 1))
    assert exact * 0.5 <= F.rcond() <= 10 * exact
    # a column sum of n moduli in the working precision: gamma_n, plus the modulus itself
    assert F.norm1() == pytest.approx(
        np.linalg.norm(A.astype(np.complex128), 1), rel=2 * (n + 2) * u_of(dtype)
    )
    assert len(tuple(F)) == len(F)


@pytest.mark.parametrize("kind", KINDS)
def test_torch_objects(kind):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    A, _ = _make(kind, 6, np.float64, rng)
    F = getattr(pv, kind)(torch.from_numpy(A))
    b = torch.ones(6, dtype=torch.float64)
    x = F.solve(b)
    assert isinstance(x, torch.Tensor) and x.dtype == torch.float64
    assert solve_residual_ratio(A, x.numpy(), b.numpy()) < THRESH
    assert isinstance(F.det(), torch.Tensor)
    if kind != "Cholesky":
        assert isinstance(F.p, torch.Tensor)
    assert F.rcond() > 0


@pytest.mark.parametrize("kind", KINDS)
def test_empty_matrix(kind):
    F = getattr(pv, kind)(np.empty((0, 0)))
    assert F.solve(np.empty(0)).shape == (0,)
    assert F.solve(np.empty((0, 3))).shape == (0, 3)
    assert float(F.det()) == 1.0
    assert F.rcond() == 1.0
    assert F.inv().shape == (0, 0)


# --------------------------------------------------------------------------- LDL


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize(
    "method,block_size", [("auto", None), ("kernel", None), ("kernel", 1), ("kernel", 3)]
)
def test_ldl_object_ratios(backend, dtype, lower, method, block_size):
    if backend == "torch" and method == "auto" and not lower:
        method = "kernel"  # torch offers the lower triangle only; auto falls back anyway
    rng = np.random.default_rng(2)
    for kappa in (2.0, 2e7):
        for n in (1, 2, 3, 5, 10, 40):
            A = _indefinite(n, dtype, rng, kappa)
            F = pv.LDL(to_backend(A, backend), lower=lower, method=method, block_size=block_size, check=False)
            if not F.issuccess():
                assert dtype in (np.float32, np.complex64)
                continue
            T, D, p = (to_np(x) for x in F)
            wide = np.complex128
            prod = T.astype(wide) @ D.astype(wide) @ T.astype(wide).conj().T
            assert reconstruction_ratio(A[p][:, p], prod, dtype) < THRESH
            tri = np.tril if lower else np.triu
            np.testing.assert_array_equal(tri(T), T)
            np.testing.assert_allclose(np.diag(T), 1.0)
            b = random_matrix(rng, (n, 2), dtype)
            assert solve_residual_ratio(A, to_np(F.solve(to_backend(b, backend))), b, dtype) < THRESH


def test_ldl_complex_symmetric():
    rng = np.random.default_rng(3)
    X = random_matrix(rng, (8, 8), np.complex128)
    A = X + X.T
    F = pv.LDL(A, hermitian=False)
    L, D, p = F
    assert reconstruction_ratio(A[p][:, p], L @ D @ L.T) < THRESH
    b = random_matrix(rng, (8, 1), np.complex128)
    for trans, op in [(0, A), (1, A.T), (2, A.conj().T)]:
        assert solve_residual_ratio(op, F.solve(b, trans=trans), b) < THRESH
    with pytest.raises(ValueError, match="inertia"):
        F.inertia()


def test_ldl_inertia_matches_eigenvalues():
    rng = np.random.default_rng(4)
    for n_neg in (1, 3, 7, 9):
        A = gallery.random_symmetric_indefinite(10, 100.0, 3, n_negative=n_neg, random_state=rng)
        assert pv.LDL(A).inertia() == (10 - n_neg, n_neg, 0)


def test_ldl_singular():
    A = np.array([[1.0, 1.0], [1.0, 1.0]])
    with pytest.raises(pv.SingularMatrixError) as err:
        pv.LDL(A)
    assert err.value.index == 1
    F = pv.LDL(A, check=False)
    assert not F.issuccess() and F.inertia() == (1, 0, 1)
    with pytest.raises(pv.SingularMatrixError):
        F.solve(np.ones(2))


def test_ldl_where_cholesky_fails_and_no_pivoting_would_break():
    A = np.array([[0.0, 1.0], [1.0, 0.0]])
    with pytest.raises(pv.NotPositiveDefiniteError):
        pv.Cholesky(A)
    F = pv.LDL(A)
    np.testing.assert_allclose(F.solve(np.array([2.0, 3.0])), [3.0, 2.0])
    assert F.inertia() == (1, 1, 0)


def test_ldl_unused_triangle_not_read():
    rng = np.random.default_rng(5)
    A = _indefinite(7, np.float64, rng)
    for lower in (True, False):
        B = A.copy()
        B[np.triu_indices(7, 1) if lower else np.tril_indices(7, -1)] = np.nan
        for method in ("auto", "kernel"):
            F = pv.LDL(B, lower=lower, method=method, check_finite=False)
            assert solve_residual_ratio(A, F.solve(np.ones(7)), np.ones(7)) < THRESH


def test_ldl_wrong_factor_name():
    F = pv.LDL(np.eye(2), lower=False)
    with pytest.raises(AttributeError, match=r"\.U"):
        _ = F.L
    assert np.allclose(F.U, np.eye(2))


# --------------------------------------------------------------------------- PivotedCholesky


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_pivoted_cholesky_low_rank(backend, dtype):
    rng = np.random.default_rng(6)
    n, r = 30, 6
    B = random_matrix(rng, (n, r), dtype)
    A = B @ B.conj().T
    F = pv.PivotedCholesky(to_backend(A, backend))
    assert F.rank == r and F.stop_reason == "tol"
    G = to_np(F.low_rank_factor()).astype(np.complex128)
    assert reconstruction_ratio(A, G @ G.conj().T, dtype) < THRESH
    L, p = F
    L, p = to_np(L), to_np(p)
    assert L.shape == (n, r)
    assert np.all(np.diff(np.real(np.diag(L[:r]))) <= 0)
    with pytest.raises(pv.SingularMatrixError) as err:
        F.solve(to_backend(np.ones(n, dtype=dtype), backend))
    assert err.value.index == r
    assert F.rcond() == 0.0
    assert complex(F.det()) == 0.0


def test_pivoted_cholesky_truncated_rank():
    A = gallery.random_spd(40, 1e6, 3, random_state=0)
    F = pv.PivotedCholesky(A, rank=10)
    assert F.rank == 10 and F.stop_reason == "rank"
    G = F.low_rank_factor()
    resid = A - G @ G.T
    # Both sides are differences of size-1 numbers: they agree to the rounding of A - G G^T.
    err = THRESH * 40 * u_of(np.float64) * np.abs(A).max()
    assert np.trace(resid) == pytest.approx(F.residual_trace, rel=0, abs=40 * err)
    assert np.abs(resid).max() <= F.residual_max + err
    with pytest.raises(ValueError, match="truncated"):
        F.det()


def test_pivoted_cholesky_full_rank_solves_and_matches_cholesky():
    A = gallery.random_spd(20, 100.0, 3, random_state=1)
    F = pv.PivotedCholesky(A)
    assert F.rank == 20 and F.issuccess()
    b = np.arange(20.0)
    assert_solve_close(F.solve(b), pv.Cholesky(A).solve(b), A)
    # log det moves by n kappa THRESH n u under each factorization's backward error
    tol = 2 * 20 * 100.0 * THRESH * 20 * u_of(np.float64)
    np.testing.assert_allclose(F.logdet(), pv.Cholesky(A).logdet(), rtol=0, atol=tol)


def test_pivoted_cholesky_not_psd():
    A = np.diag([3.0, 1.0, -2.0])
    with pytest.raises(pv.NotPositiveDefiniteError) as err:
        pv.PivotedCholesky(A)
    assert err.value.index == 2 and "-2 < -(tol + rounding)" in str(err.value)
    F = pv.PivotedCholesky(A, check=False)
    assert F.stop_reason == "not_psd" and not F.issuccess() and F.rank == 2
    for method in (F.det, F.slogdet, lambda: F.solve(np.ones(3))):
        with pytest.raises(pv.NotPositiveDefiniteError):
            method()
    with pytest.raises(ValueError, match="rank"):
        pv.PivotedCholesky(A, rank=-1)


def _wilkinson_plus_transpose(n):
    w = np.eye(n) - np.tril(np.ones((n, n)), -1)
    w[:, -1] = 1
    return w + w.T  # exact: eigenvalues 3 - (n - 1) < 0, 3 and 2


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "name,A,index",
    [
        ("swap", np.array([[0.0, 1.0], [1.0, 0.0]]), 0),  # zero diagonal: no pivot, positive or negative
        ("hidden negative", np.diag([0.0, -5.0]), 0),  # the largest diagonal entry is 0, another is -5
        ("gfpp + gfpp^T", _wilkinson_plus_transpose(60), 3),
        ("complex", np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 2j], [0.0, -2j, 0.0]]), 1),
    ],
)
def test_pivoted_cholesky_detects_indefinite_input(name, A, index, backend):
    """Issue #11: these reported success (rank 0 and det 0.0, or a reconstruction error of 2.8)."""
    with pytest.raises(pv.NotPositiveDefiniteError) as err:
        pv.PivotedCholesky(to_backend(A, backend))
    assert err.value.index == index and isinstance(err.value, np.linalg.LinAlgError)
    F = pv.PivotedCholesky(to_backend(A, backend), check=False)
    assert not F.issuccess() and F.stop_reason == "not_psd" and F.rank == index
    with pytest.raises(pv.NotPositiveDefiniteError):
        F.det()
    assert np.linalg.eigvalsh(A).min() < 0  # the truth the factorization now reports


@pytest.mark.parametrize("backend", BACKENDS)
def test_pivoted_cholesky_checks_at_a_requested_rank(backend):
    """A requested rank no longer stops before looking: the remaining diagonal and the next pivot's
    column of the Schur complement are checked (issue #11)."""
    for A, index in ((np.diag([3.0, 1.0, -2.0]), 2), (np.array([[4.0, 0, 0], [0, 1, 2], [0, 2, 1]]), 1)):
        with pytest.raises(pv.NotPositiveDefiniteError) as err:
            pv.PivotedCholesky(to_backend(A, backend), rank=index)
        assert err.value.index == index
        F = pv.PivotedCholesky(to_backend(A, backend), rank=index, check=False)
        assert not F.issuccess() and F.stop_reason == "not_psd" and F.rank == index
    F = pv.PivotedCholesky(to_backend(np.diag([3.0, 1.0, 0.0]), backend), rank=2)
    assert F.issuccess() and F.stop_reason == "rank"


@pytest.mark.parametrize("dtype", DTYPES)
def test_pivoted_cholesky_no_false_alarm_on_rounded_low_rank_gram_matrices(dtype):
    """A computed B B^H is PSD only up to rounding; the off-diagonal test allows tol plus rounding."""
    rng = np.random.default_rng(9)
    big = (
        1e150 if float(np.finfo(dtype).max) > 1e300 else 1e15
    )  # entries near the range's ends: B B^H squares them
    for n, r, scale in ((40, 5, 1.0), (60, 12, 1 / big), (25, 24, big)):
        B = (random_matrix(rng, (n, r), dtype) * scale).astype(dtype)
        A = B @ B.conj().T
        F = pv.PivotedCholesky(A)
        assert F.issuccess() and F.rank <= r and F.stop_reason in ("tol", "complete")
        G = to_np(F.low_rank_factor()).astype(np.complex128)
        assert reconstruction_ratio(A, G @ G.conj().T, dtype) < THRESH


def test_failed_cholesky_has_no_determinant():
    F = pv.Cholesky(np.array([[1.0, 2.0], [2.0, 1.0]]), check=False)
    assert not F.issuccess()
    with pytest.raises(pv.NotPositiveDefiniteError):
        F.slogdet()


def test_unit_roundoff_helper():
    assert u_of(np.float64) == 2.0**-53


@pytest.mark.parametrize("kind", ["LU", "Cholesky", "LDL"])
def test_ill_conditioned_solve_warns_with_rcond(kind):
    A = gallery.hilbert(12)
    F = getattr(pv, kind)(A)
    with pytest.warns(pv.IllConditionedWarning, match="rcond=") as rec:
        F.solve(np.ones(12))
    assert 0 < rec[0].message.rcond < np.finfo(np.float64).eps
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.solve(np.ones(12))  # checked once per factorization


def test_well_conditioned_solve_is_quiet():
    import warnings

    A = gallery.randsvd(20, 1e10, 3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pv.LU(A).solve(np.ones(20))


@pytest.mark.parametrize("kind", ["LU", "Banded", "Triangular", "QR"])
@pytest.mark.parametrize("dtype,n", [(np.float32, 70), (np.float64, 520)])
def test_overflowing_solves_give_rcond_zero_and_warn(kind, dtype, n):
    """A = I + 4 * superdiagonal (exact): A^-1 has entries 4^(j-i), so every solve overflows once
    4^(n-1) exceeds the largest float (n = 70 in float32, 520 in float64).  The Hager-Higham estimator
    compared NaNs and returned rcond = 0.2; the rcond is 0 (LAPACK xGECON's answer when its scaled
    solves would overflow) and the Inf/NaN solution comes with a warning."""
    import warnings

    A = (np.eye(n) + 4 * np.eye(n, k=1)).astype(dtype)
    F = pv.QR(A) if kind == "QR" else getattr(pv, kind)(A)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        x = F.lstsq(np.ones(n, dtype)) if kind == "QR" else F.solve(np.ones(n, dtype))
    assert not np.isfinite(to_np(x)).all()  # what the warning is about
    assert any(isinstance(w.message, pv.IllConditionedWarning) for w in rec)
    if kind != "QR":
        assert F.rcond() == 0.0


@pytest.mark.parametrize(
    "name", ["Cholesky", "LU", "QR", "LDL", "SVD", "Eigh", "PivotedCholesky", "Diagonal"]
)
def test_factorizations_pickle_and_solve_after_unpickling(name):
    import pickle

    A = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]])
    b = np.array([1.0, 2.0, 3.0])
    F = getattr(pv, name)(np.diag(np.diag(A)) if name == "Diagonal" else A)
    G = pickle.loads(pickle.dumps(F))
    assert np.array_equal(G.solve(b), F.solve(b))
    assert G.rcond() == F.rcond()
