"""Tests of the pivoted (rank-revealing) Cholesky kernels.

LAPACK-style ratios ``||A[p][:, p] - L L^H||_1 / (n ||A||_1 u) < 30`` across
dtypes and backends, agreement with LAPACK's own ``xPSTRF``, the documented
stopping semantics, and the properties of the low-rank approximation that
theory guarantees for positive semidefinite matrices (the residual is the
PSD Schur complement: its trace is at least the optimal sum of the trailing
eigenvalues, its largest diagonal entry bounds all its entries, and both
decrease as the rank grows).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import lapack

from pivotal.kernels.pivoted_cholesky import (
    PivotedCholeskyResult,
    pivoted_cholesky_columns,
    pivoted_cholesky_kernel,
)

torch = pytest.importorskip("torch")

THRESH = 30.0
DTYPES = [np.float32, np.float64, np.complex64, np.complex128]
BACKENDS = ["numpy", "torch"]


# --------------------------------------------------------------------------- helpers


def _u(dtype) -> float:
    return float(np.finfo(np.dtype(dtype)).eps) / 2


def _cplx(dtype) -> bool:
    return np.dtype(dtype).kind == "c"


def _random(rng, shape, dtype):
    x = rng.standard_normal(shape)
    if _cplx(dtype):
        x = x + 1j * rng.standard_normal(shape)
    return x


def _to(x: np.ndarray, backend: str):
    return torch.from_numpy(np.ascontiguousarray(x)) if backend == "torch" else x


def _np(x) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().resolve_conj().numpy()
    return np.asarray(x)


def _norm1(a) -> float:
    return float(np.abs(a).sum(axis=0).max()) if a.size else 0.0


def _hermitian(a):
    return (a + a.conj().T) / 2


def _spd(rng, n, dtype, cond=1e2):
    """Hermitian positive definite with eigenvalues from 1 to 1/cond."""
    q, _ = np.linalg.qr(_random(rng, (n, n), dtype))
    lam = cond ** (-np.arange(n) / max(n - 1, 1))
    return _hermitian((q * lam) @ q.conj().T).astype(dtype)


def _residual(a, res: PivotedCholeskyResult) -> np.ndarray:
    wide = np.complex128 if np.iscomplexobj(a) else np.float64
    a = np.asarray(a, dtype=wide)
    p = res.perm
    L = _np(res.L).astype(wide)
    return a[p][:, p] - L @ L.conj().T


def _ratio(a, res, dtype) -> float:
    n = a.shape[0]
    return _norm1(_residual(a, res)) / (n * _norm1(a) * _u(dtype))


def _check_structure(res: PivotedCholeskyResult, n: int) -> None:
    L = _np(res.L)
    assert L.shape == (n, res.rank)
    assert isinstance(res.perm, np.ndarray) and res.perm.shape == (n,)
    assert np.array_equal(np.sort(res.perm), np.arange(n))
    assert np.all(np.triu(L, 1) == 0)  # lower trapezoidal
    d = np.diag(L)
    assert np.all(d.imag == 0) if np.iscomplexobj(d) else True
    assert np.all(d.real > 0)
    assert np.all(np.diff(d.real) <= 0)  # pivots non-increasing, exactly
    assert res.info == (0 if res.stop_reason in ("complete", "rank") else 1)
    assert _np(res.residual_diag).shape == (n - res.rank,)


# --------------------------------------------------------------------------- full rank


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_full_rank_spd(dtype, backend):
    rng = np.random.default_rng(1)
    for n in (1, 2, 7, 30, 64):
        a = _spd(rng, n, dtype, cond=1e3)
        res = pivoted_cholesky_kernel(_to(a, backend))
        _check_structure(res, n)
        assert (res.rank, res.info, res.stop_reason) == (n, 0, "complete")
        assert res.residual_max == 0.0 and res.residual_trace == 0.0
        assert _np(res.L).dtype == np.dtype(dtype)
        assert type(res.L) is type(_to(a, backend))
        assert _ratio(a, res, dtype) < THRESH
        # Solve residual through the factors: x = P L^-H L^-1 P^T b.
        b = _random(rng, (n, 2), dtype)
        L = _np(res.L).astype(np.complex128)
        y = np.linalg.solve(L, b[res.perm])
        x = np.empty_like(y)
        x[res.perm] = np.linalg.solve(L.conj().T, y)
        r = _norm1(b - a.astype(np.complex128) @ x)
        assert r / (n * _norm1(a) * _norm1(x) * _u(dtype)) < THRESH


@pytest.mark.parametrize("cplx", [False, True])
def test_matches_lapack_pstrf(cplx):
    """Same pivots, rank, info and factor as LAPACK's xPSTRF."""
    rng = np.random.default_rng(2 + cplx)
    pstrf = lapack.zpstrf if cplx else lapack.dpstrf
    dtype = np.complex128 if cplx else np.float64
    for trial in range(30):
        n = int(rng.integers(5, 60))
        r = int(rng.integers(1, n + 1)) if trial % 3 else n
        b = _random(rng, (n, r), dtype)
        a = b @ b.conj().T
        if r == n:
            a += n * np.eye(n)
        res = pivoted_cholesky_kernel(a)
        c, piv, rank, info = pstrf(a, lower=1)
        assert res.rank == rank
        assert res.info == info
        assert np.array_equal(res.perm[:rank], piv[:rank] - 1)
        ref = np.tril(c)[:, :rank]
        # Same pivots: two backward-stable factorizations of the leading block A11, whose
        # factor moves by kappa(A11) times the backward error THRESH n u.
        l11 = ref[:rank]
        tol = 2 * THRESH * n * _u(dtype) * np.linalg.cond(l11) ** 2 * np.abs(ref).max()
        np.testing.assert_allclose(res.L, ref, rtol=0, atol=tol)


# --------------------------------------------------------------------------- low rank


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_exact_low_rank(dtype, backend):
    rng = np.random.default_rng(3)
    for n, r in ((10, 1), (20, 5), (40, 17), (50, 49)):
        b = _random(rng, (n, r), dtype).astype(dtype)
        a = b @ b.conj().T  # rank r, computed in dtype
        res = pivoted_cholesky_kernel(_to(a, backend))
        _check_structure(res, n)
        assert (res.rank, res.info, res.stop_reason) == (r, 1, "tol")
        assert abs(res.residual_max) <= res.tol
        assert res.tol == pytest.approx(n * _u(dtype) * np.max(np.diag(a).real), rel=4 * _u(dtype))
        assert _ratio(a, res, dtype) < THRESH


def test_rank_truncation_on_decaying_spectrum():
    rng = np.random.default_rng(4)
    n = 40
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    lam = 0.6 ** np.arange(n)
    a = _hermitian((q * lam) @ q.T)
    full = pivoted_cholesky_kernel(a)
    trace = float(np.trace(a))
    prev_trace, prev_max = np.inf, np.inf
    for k in range(0, n + 1, 3):
        res = pivoted_cholesky_kernel(a, rank=k)
        _check_structure(res, n)
        assert res.rank == min(k, full.rank)
        # The first columns of the full factorization: same pivots, and the same
        # columns once the rows are put back in the original order (later pivots
        # only reorder the rows below).
        np.testing.assert_array_equal(res.perm[: res.rank], full.perm[: res.rank])
        # (|L| <= 1 since max diag(A) = 1; the same operations up to blocking: THRESH n u.)
        err = THRESH * n * _u(np.float64) * np.abs(a).max()
        np.testing.assert_allclose(
            res.L[np.argsort(res.perm)],
            full.L[np.argsort(full.perm), : res.rank],
            rtol=0,
            atol=err,
        )
        resid = _residual(a, res)
        # Reported residual diagonal = the true one (rows rank:, pivoted order), both formed
        # with the rounding of a Schur complement, err each.
        np.testing.assert_allclose(res.residual_diag, np.diag(resid)[res.rank :].real, rtol=0, atol=2 * err)
        assert res.residual_trace == pytest.approx(np.trace(resid).real, rel=0, abs=2 * n * err)
        # Guaranteed for PSD A: optimal <= trace error <= trace(A), entries <= max diag, up to
        # the rounding of the stored A (eigenvalues move by n u ||A||) and of the updates.
        optimal = lam[res.rank :].sum()
        assert optimal - 2 * n * err <= res.residual_trace <= trace
        assert np.abs(resid).max() <= res.residual_max + 2 * err
        # Monotone in k.
        assert res.residual_trace <= prev_trace and res.residual_max <= prev_max
        prev_trace, prev_max = res.residual_trace, res.residual_max


def test_rank_zero_and_too_large():
    rng = np.random.default_rng(5)
    a = _spd(rng, 6, np.float64)
    res = pivoted_cholesky_kernel(a, rank=0)
    _check_structure(res, 6)
    assert (res.rank, res.info, res.stop_reason) == (0, 0, "rank")
    np.testing.assert_array_equal(res.perm, np.arange(6))
    np.testing.assert_array_equal(res.residual_diag, np.diag(a))
    assert res.residual_trace == pytest.approx(np.trace(a))
    assert res.residual_max == np.diag(a).max()
    big = pivoted_cholesky_kernel(a, rank=100)
    assert (big.rank, big.stop_reason) == (6, "complete")


def test_n_zero():
    for backend in BACKENDS:
        for dtype in (np.float64, np.complex64):
            res = pivoted_cholesky_kernel(_to(np.zeros((0, 0), dtype), backend))
            assert _np(res.L).shape == (0, 0) and _np(res.L).dtype == np.dtype(dtype)
            assert res.perm.shape == (0,)
            assert (res.rank, res.info, res.stop_reason) == (0, 0, "complete")
            assert res.residual_max == 0.0 and res.residual_trace == 0.0


# --------------------------------------------------------------------------- input handling


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_reads_only_lower_triangle_and_keeps_input(dtype, backend):
    rng = np.random.default_rng(6)
    n = 12
    b = _random(rng, (n, 7), dtype)
    a = b @ b.conj().T
    ref = pivoted_cholesky_kernel(_to(a.copy(), backend))
    junk = a.copy()
    junk[np.triu_indices(n, 1)] = np.nan
    if _cplx(dtype):
        junk[np.diag_indices(n)] += 5j  # the imaginary part of the diagonal is ignored too
    x = _to(junk, backend)
    before = _np(x).copy()
    res = pivoted_cholesky_kernel(x)
    np.testing.assert_array_equal(_np(x), before)  # input untouched (NaN compares by position)
    assert res.rank == ref.rank == 7
    np.testing.assert_array_equal(res.perm, ref.perm)
    np.testing.assert_array_equal(_np(res.L), _np(ref.L))


def test_integer_input_is_promoted():
    a = np.array([[4, 2], [2, 3]])
    res = pivoted_cholesky_kernel(a)
    assert res.L.dtype == np.float64
    assert res.rank == 2
    np.testing.assert_allclose(_residual(a, res), 0, atol=THRESH * 2 * _u(np.float64) * 4)  # ratio < THRESH


def test_invalid_arguments():
    a = np.eye(3)
    with pytest.raises(ValueError, match="square"):
        pivoted_cholesky_kernel(np.ones((2, 3)))
    with pytest.raises(ValueError, match="2-D"):
        pivoted_cholesky_kernel(np.ones((2, 2, 2)))
    with pytest.raises(ValueError, match="rank"):
        pivoted_cholesky_kernel(a, rank=-1)
    with pytest.raises(ValueError, match="tol"):
        pivoted_cholesky_kernel(a, tol=float("nan"))
    with pytest.raises(ValueError, match="diag"):
        pivoted_cholesky_columns(np.ones(2), lambda i: np.eye(3)[:, i], 3)
    with pytest.raises(ValueError, match="column"):
        pivoted_cholesky_columns(np.ones(3), lambda i: np.ones(2), 3)
    with pytest.raises(ValueError, match="n must be"):
        pivoted_cholesky_columns(np.ones(0), lambda i: None, -1)


# --------------------------------------------------------------------------- stopping


def test_tolerance():
    rng = np.random.default_rng(7)
    q, _ = np.linalg.qr(rng.standard_normal((20, 20)))
    lam = 10.0 ** -np.arange(20)
    a = _hermitian((q * lam) @ q.T)
    for tol in (1e-2, 1e-5, 1e-9):
        res = pivoted_cholesky_kernel(a, tol=tol)
        _check_structure(res, 20)
        assert res.tol == tol
        assert (res.info, res.stop_reason) == (1, "tol")
        assert res.residual_max <= tol
        # It stopped at the first pivot below tol: the last pivot was above it.
        assert np.diag(res.L)[-1] ** 2 > tol
    # A negative tol selects the default, as in DPSTRF.
    assert pivoted_cholesky_kernel(a, tol=-1.0).tol == pivoted_cholesky_kernel(a).tol
    # tol >= max(diag) gives rank 0 (checked at every step, including the first).
    res = pivoted_cholesky_kernel(a, tol=float(np.diag(a).max()))
    assert (res.rank, res.info, res.stop_reason) == (0, 1, "tol")


@pytest.mark.parametrize("backend", BACKENDS)
def test_not_positive_semidefinite(backend):
    # Negative definite: the first pivot is already negative.
    res = pivoted_cholesky_kernel(_to(-np.eye(4), backend))
    assert (res.rank, res.info, res.stop_reason) == (0, 1, "not_psd")
    assert res.tol == 0.0 and res.residual_max == -1.0
    # Indefinite with a positive diagonal: the Schur complement is negative.
    res = pivoted_cholesky_kernel(_to(np.array([[1.0, 2.0], [2.0, 1.0]]), backend))
    assert (res.rank, res.info, res.stop_reason) == (1, 1, "not_psd")
    assert res.residual_max == pytest.approx(-3.0)
    # A random indefinite matrix stops early with info = 1.
    rng = np.random.default_rng(8)
    g = rng.standard_normal((15, 15))
    a = _hermitian(g) + 0.5 * np.eye(15)
    res = pivoted_cholesky_kernel(_to(a, backend))
    assert res.info == 1 and res.rank < 15
    # NaN on the diagonal stops too.
    a = np.eye(3)
    a[1, 1] = np.nan
    res = pivoted_cholesky_kernel(_to(a, backend))
    assert (res.rank, res.info, res.stop_reason) == (0, 1, "not_psd")


@pytest.mark.parametrize("backend", BACKENDS)
def test_indefinite_with_no_negative_pivot(backend):
    """Diagonal pivoting stops on a negligible diagonal; the off-diagonal entries must be checked too."""
    res = pivoted_cholesky_kernel(_to(np.array([[0.0, 1.0], [1.0, 0.0]]), backend))
    assert (res.rank, res.info, res.stop_reason) == (0, 1, "not_psd")
    assert "(0, 1)" in res.failure and "sqrt(S_ii S_jj)" in res.failure
    # A negative diagonal entry below a zero maximum: the matrix-free form sees it too.
    d = np.array([0.0, -5.0, 0.0])
    res = pivoted_cholesky_columns(_to(d, backend), lambda j: _to(np.diag(d)[:, j], backend), 3)
    assert (res.rank, res.stop_reason) == (0, "not_psd") and "-5 < -(tol + rounding)" in res.failure
    # Off-diagonal entries just above tol + rounding are caught, just below are not.
    n = 6
    a = np.zeros((n, n))
    a[0, 0] = 1.0
    res = pivoted_cholesky_kernel(_to(a, backend))
    limit = res.tol + 4 * 2 * 2.0**-53
    assert (res.rank, res.stop_reason, res.failure) == (1, "tol", None)
    for value, reason in ((1.01 * limit, "not_psd"), (0.99 * limit, "tol")):
        a[4, 2] = value
        assert pivoted_cholesky_kernel(_to(a, backend)).stop_reason == reason


def _free(a, backend, **kw):
    """The matrix-free form on a dense Hermitian ``a`` (columns read on demand)."""
    return pivoted_cholesky_columns(
        _to(np.real(np.diag(a)).copy(), backend),
        lambda j: _to(np.ascontiguousarray(a[:, j]), backend),
        a.shape[0],
        **kw,
    )


def _dense(a, backend, **kw):
    return pivoted_cholesky_kernel(_to(a, backend), **kw)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("form", [_dense, _free])
def test_rank_stop_checks_the_remaining_diagonal(backend, form):
    """Issue #11: a requested rank used to stop before looking.  A negative trailing diagonal entry
    of the Schur complement is proof of indefiniteness, and it is free."""
    a = np.diag([3.0, 1.0, -2.0])
    res = form(a, backend, rank=2)
    assert (res.rank, res.info, res.stop_reason) == (2, 1, "not_psd")
    assert "-2 < -(tol + rounding)" in res.failure and "after 2 pivots" in res.failure
    res = form(a, backend, rank=0)  # even without any column
    assert (res.rank, res.stop_reason) == (0, "not_psd")
    res = form(np.diag([3.0, 1.0, 0.0]), backend, rank=2)  # semidefinite: no alarm
    assert (res.rank, res.info, res.stop_reason, res.failure) == (2, 0, "rank", None)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("form", [_dense, _free])
def test_early_stop_checks_the_next_pivots_column(backend, form):
    """A positive diagonal everywhere, an indefinite 2x2 block: the column of S at the next pivot shows
    |S_12| = 2 > sqrt(S_11 S_22) = 1, the test the next step would have made."""
    a = np.array([[4.0, 0.0, 0.0], [0.0, 1.0, 2.0], [0.0, 2.0, 1.0]])
    res = form(a, backend, rank=1)
    assert (res.rank, res.info, res.stop_reason) == (1, 1, "not_psd")
    assert "(1, 2)" in res.failure and "sqrt(S_ii S_jj)" in res.failure
    # Just inside the bound (|S_12| = sqrt(S_11 S_22)): semidefinite, no alarm; just outside: caught.
    for value, reason in ((1.0, "rank"), (1.0 + 1e-6, "not_psd")):
        a[1, 2] = a[2, 1] = value
        assert form(a, backend, rank=1).stop_reason == reason
    # The matrix-free form now sees the off-diagonal evidence of a "tol" stop too (issue #11's cases).
    for b, index in (
        (np.array([[0.0, 1.0], [1.0, 0.0]]), 0),
        (np.array([[1, 0, 0], [0, 0, 2j], [0, -2j, 0]]), 1),
    ):
        res = form(b, backend)
        assert (res.rank, res.stop_reason) == (index, "not_psd") and "sqrt(S_ii S_jj)" in res.failure


@pytest.mark.parametrize("backend", BACKENDS)
def test_matrix_free_check_reads_one_column_at_the_stop(backend):
    n = 30
    x = np.linspace(0.0, 1.0, n)
    k = np.exp(-(((x[:, None] - x[None, :]) / 0.5) ** 2))
    calls = []

    def column(j):
        calls.append(j)
        return _to(k[:, j].copy(), backend)

    res = pivoted_cholesky_columns(_to(np.ones(n), backend), column, n, rank=5)
    assert res.stop_reason == "rank" and len(calls) == 6  # five pivots and the check
    assert calls[5] == res.perm[5 + int(np.argmax(_np(res.residual_diag)))]
    # NaN in the checked column is evidence too (the matrix "holds NaN").
    k2 = k.copy()
    j = calls[5]
    i = next(int(q) for q in res.perm[5:] if q != j)  # a row of S, off the diagonal
    k2[i, j] = k2[j, i] = np.nan
    res = pivoted_cholesky_columns(
        _to(np.ones(n), backend), lambda i: _to(k2[:, i].copy(), backend), n, rank=5
    )
    assert res.stop_reason == "not_psd"


@pytest.mark.parametrize("form", [_dense, _free])
@pytest.mark.parametrize("tol", [None, 0.0, 1e-300])
def test_no_false_alarm_on_semidefinite_matrices_at_any_stop(form, tol):
    """Rounded Gram matrices and smooth kernels are PSD up to rounding: no stop may call them indefinite,
    at a requested rank below, at or above the numerical rank, whatever tol (tol = 0 lets the
    factorization pivot on rounding noise; the checks are made before the first such pivot)."""
    rng = np.random.default_rng(21)
    for trial in range(30):
        n = int(rng.integers(3, 90))
        r = int(rng.integers(1, n))
        if trial % 3 == 2:
            x = np.sort(rng.uniform(0, 1, n))
            a = np.exp(-(((x[:, None] - x[None, :]) / rng.uniform(0.05, 1.0)) ** 2))
        else:
            b = _random(rng, (n, r), np.complex128 if trial % 3 else np.float64) * rng.uniform(0.1, 10, r)
            a = b @ b.conj().T
        for rank in (r - 1, r, r + 1, None):
            res = form(a, "numpy", rank=rank, tol=tol)
            assert res.stop_reason != "not_psd", (trial, rank, res.failure)


def test_tol_below_the_rounding_level_checks_before_the_noise():
    """tol = 0 pivots on 1e-17 (below n u max(diag) = 4.4e-16, rounding noise for this matrix); the
    checks are made after the pivot before it, and the indefinite 2x2 block is caught there."""
    a = np.array([[1.0, 0, 0, 0], [0, 1e-17, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]])
    res = pivoted_cholesky_kernel(a, tol=0.0)
    assert (res.rank, res.stop_reason, res.tol) == (1, "not_psd", 0.0) and res.L.shape == (4, 1)
    assert "after 1 pivots" in res.failure and "(2, 3)" in res.failure
    assert _np(res.residual_diag).shape == (3,)


def test_zero_matrix_is_rank_zero():
    res = pivoted_cholesky_kernel(np.zeros((5, 5)))
    assert (res.rank, res.info, res.stop_reason, res.tol) == (0, 1, "tol", 0.0)


# --------------------------------------------------------------------------- backends


@pytest.mark.parametrize("dtype", DTYPES)
def test_torch_matches_numpy(dtype):
    rng = np.random.default_rng(9)
    for n, r in ((25, 25), (30, 8)):
        b = _random(rng, (n, r), dtype)
        a = (b @ b.conj().T + (np.eye(n) if r == n else 0)).astype(dtype)
        res_np = pivoted_cholesky_kernel(a)
        res_t = pivoted_cholesky_kernel(torch.from_numpy(a))
        assert isinstance(res_t.L, torch.Tensor) and isinstance(res_t.residual_diag, torch.Tensor)
        assert (res_t.rank, res_t.info, res_t.stop_reason) == (
            res_np.rank,
            res_np.info,
            res_np.stop_reason,
        )
        np.testing.assert_array_equal(res_t.perm, res_np.perm)
        scale = np.abs(res_np.L).max()
        np.testing.assert_allclose(_np(res_t.L), res_np.L, rtol=0, atol=50 * n * _u(dtype) * scale)


# --------------------------------------------------------------------------- matrix-free


def _gauss_kernel(x, ls=0.3):
    return lambda i: np.exp(-0.5 * ((x - x[i]) / ls) ** 2)


@pytest.mark.parametrize("backend", BACKENDS)
def test_matrix_free_matches_dense(backend):
    rng = np.random.default_rng(10)
    n = 80
    x = np.sort(rng.uniform(0, 1, n))
    k = np.exp(-0.5 * ((x[:, None] - x[None, :]) / 0.3) ** 2)
    calls = []
    col_np = _gauss_kernel(x)

    def column(i):
        calls.append(i)
        return _to(col_np(i), backend)

    diag = _to(np.ones(n), backend)
    res = pivoted_cholesky_columns(diag, column, n, rank=12)
    dense = pivoted_cholesky_kernel(_to(k, backend), rank=12)
    assert (res.rank, res.info, res.stop_reason) == (12, 0, "rank")
    # one column per step, the pivots, and at the stop the would-be next pivot's (the PSD check)
    next_pivot = res.perm[12 + int(np.argmax(_np(res.residual_diag)))]
    assert calls == [*res.perm[:12], next_pivot]
    np.testing.assert_array_equal(res.perm, dense.perm)
    # Same pivots, different update order: the leading block's kappa times THRESH n u.
    l11 = _np(dense.L)[:12]  # rows in pivoted order
    err = THRESH * n * _u(np.float64)
    np.testing.assert_allclose(_np(res.L), _np(dense.L), rtol=0, atol=2 * err * np.linalg.cond(l11) ** 2)
    resid = _residual(k, res)
    assert np.abs(resid).max() <= res.residual_max + 2 * err
    # Until the default tolerance: numerical rank of a smooth kernel is small.
    full = pivoted_cholesky_columns(diag, column, n)
    assert full.stop_reason == "tol" and full.rank < n // 2
    assert _ratio(k, full, np.float64) < THRESH


def test_matrix_free_conversions():
    x = np.linspace(0, 1, 20)
    col = _gauss_kernel(x)
    # A host diagonal with columns on torch: like= says where L lives.
    like = torch.zeros(0, dtype=torch.float64)
    res = pivoted_cholesky_columns(
        np.ones(20), lambda i: torch.from_numpy(col(i)[:, None]), 20, rank=3, like=like
    )
    assert isinstance(res.L, torch.Tensor) and res.L.shape == (20, 3)
    # dtype: default from the columns; explicit dtype for rank 0 (no column read).
    res32 = pivoted_cholesky_columns(np.ones(20), lambda i: col(i).astype(np.float32), 20)
    assert res32.L.dtype == np.float64  # float64 diag promotes the float32 columns
    res0 = pivoted_cholesky_columns(np.ones(20), col, 20, rank=0, dtype=np.complex64)
    assert res0.L.shape == (20, 0) and res0.L.dtype == np.complex64
    calls = []
    pivoted_cholesky_columns(np.ones(20), calls.append, 20, rank=0)
    assert calls == []


# --------------------------------------------------------------------------- properties


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 25),
    r=st.integers(1, 25),
    seed=st.integers(0, 2**32 - 1),
    cplx=st.booleans(),
)
def test_property_psd_from_factors(n, r, seed, cplx):
    rng = np.random.default_rng(seed)
    dtype = np.complex128 if cplx else np.float64
    b = _random(rng, (n, min(r, n)), dtype) * rng.uniform(0.1, 10)
    a = b @ b.conj().T
    res = pivoted_cholesky_kernel(a)
    _check_structure(res, n)
    assert res.rank <= n and res.info in (0, 1)
    assert res.rank >= min(1, n)
    assert _ratio(a, res, dtype) < THRESH
