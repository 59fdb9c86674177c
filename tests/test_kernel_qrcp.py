"""QR with column pivoting and strong rank-revealing QR: ratios, pivoting facts, Kahan."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pivotal import gallery
from pivotal._backends import numpy as np_backend
from pivotal._backends import torch as torch_backend
from pivotal.kernels.householder import form_q
from pivotal.kernels.qrcp import (
    column_norms,
    numerical_rank,
    qrcp,
    qrcp_blocked,
    qrcp_unblocked,
)
from pivotal.kernels.rrqr import rrqr_interchanges, strong_rrqr

from .helpers import (
    BACKENDS,
    DTYPES,
    THRESH,
    norm1,
    orth_ratio,
    random_matrix,
    reconstruction_ratio,
    to_backend,
    to_np,
    torch,
    u_of,
    widen,
)

SIZES = [0, 1, 2, 3, 5, 10, 50]
RECT = [(5, 3), (3, 5), (50, 10), (10, 50), (1, 4), (4, 1), (0, 3), (3, 0)]
BLOCKS = [None, 1, 2]


def _r(qr):
    qr = to_np(qr)
    return np.triu(qr[: min(qr.shape)])


def sv_ratio(A, R, dtype) -> float:
    """``max_i |sigma_i(R) - sigma_i(A)| / (max(m, n) u ||A||_2)``."""
    A = widen(A)
    if A.size == 0:
        return 0.0
    sa = np.linalg.svd(A, compute_uv=False)
    sr = np.linalg.svd(widen(R), compute_uv=False)
    if sa[0] == 0:
        return 0.0 if np.all(sr == 0) else np.inf
    return np.abs(sa - sr).max() / (max(A.shape) * u_of(dtype) * sa[0])


def pivoting_violation(R, dtype) -> float:
    """Largest ``||R[k:j+1, j]|| / |R[k, k]| - 1`` over ``j > k`` in units of ``sqrt(u)``.

    QRCP makes it <= 0 up to the accuracy of the downdated norms (relative
    ``O(sqrt(u))`` at worst, by the safeguard).
    """
    R = widen(R)
    k = min(R.shape)
    worst = -np.inf
    for i in range(k):
        tail = np.linalg.norm(np.triu(R)[i:k, i + 1 :], axis=0)
        if tail.size == 0:
            continue
        d = abs(R[i, i])
        if d == 0:
            worst = max(worst, np.inf if tail.max() > 0 else -1.0)
        else:
            worst = max(worst, tail.max() / d - 1.0)
    return worst / math.sqrt(u_of(dtype))


def run_qrcp(A, backend, block_size=None):
    qr = to_backend(A.copy(), backend)
    tau, perm = qrcp(qr, block_size=block_size)
    return qr, tau, perm


# --------------------------------------------------------------------------- QRCP ratios


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("block_size", BLOCKS)
def test_qrcp_ratios(backend, dtype, block_size):
    rng = np.random.default_rng(1)
    for shape in [(n, n) for n in SIZES] + RECT:
        A = random_matrix(rng, shape, dtype)
        qr, tau, perm = run_qrcp(A, backend, block_size)
        n = shape[1]
        k = min(shape)
        assert isinstance(perm, np.ndarray) and perm.dtype.kind == "i"
        assert sorted(perm.tolist()) == list(range(n))
        assert tuple(tau.shape) == (k,)
        Q = form_q(qr, tau)
        R = _r(qr)
        assert reconstruction_ratio(A[:, perm], widen(Q) @ R, dtype) < THRESH, shape
        assert orth_ratio(Q, dtype) < THRESH, shape
        assert sv_ratio(A, R, dtype) < THRESH, shape
        d = np.abs(np.diagonal(R))
        assert np.all(d[1:] <= d[:-1] * (1 + 10 * math.sqrt(u_of(dtype)))), shape
        assert pivoting_violation(R, dtype) < 10, shape


@pytest.mark.parametrize("dtype", [np.float64, np.complex64])
@pytest.mark.parametrize("block_size", [None, 1, 3])
def test_qrcp_gallery_types(dtype, block_size):
    """All LAPACK-style types; zero columns go last and give an exact zero pivot."""
    for name, make in sorted(gallery.MATRIX_TYPES.items()):
        n = 24
        A = make(n, dtype, np.random.default_rng(2))
        qr, tau, perm = run_qrcp(A, "numpy", block_size)
        R = _r(qr)
        Q = form_q(qr, tau)
        assert reconstruction_ratio(A[:, perm], widen(Q) @ R, dtype) < THRESH, name
        assert orth_ratio(Q, dtype) < THRESH, name
        assert sv_ratio(A, R, dtype) < THRESH, name
        d = np.abs(np.diagonal(R))
        assert np.all(d[1:] <= d[:-1] * (1 + 10 * math.sqrt(u_of(dtype)))), name
        if name.startswith("zerocol"):
            j = {"first": 0, "mid": n // 2, "last": n - 1}[name.split("_")[1]]
            assert perm[-1] == j and d[-1] == 0, name
            assert numerical_rank(d, n, n) == n - 1, name


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "shape,r", [((40, 25), 10), ((25, 40), 10), ((30, 30), 29), ((30, 30), 1), ((12, 12), 0)]
)
def test_rank_revealed_on_rank_deficient(backend, dtype, shape, r):
    m, n = shape
    for kappa in (1.0, 100.0):
        A = gallery.rank_deficient(m, n, r, kappa=kappa, dtype=dtype, random_state=r)
        qr, _tau, _perm = run_qrcp(A, backend)
        d = np.abs(np.diagonal(_r(qr)))
        assert numerical_rank(d, m, n) == r
        if 0 < r < min(m, n):
            assert d[r] < 10 * max(m, n) * u_of(dtype) * d[0]


# --------------------------------------------------------------------------- variants


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(120, 90), (90, 120), (70, 70)])
def test_blocked_unblocked_default_agree(dtype, shape):
    rng = np.random.default_rng(4)
    A = random_matrix(rng, shape, dtype)
    ref = A.copy()
    res = qrcp_unblocked(ref)
    for run in (
        lambda a: qrcp_blocked(a, 4),
        lambda a: qrcp_blocked(a, 16),
        lambda a: qrcp_blocked(a, 1),
    ):
        qr = A.copy()
        out = run(qr)
        np.testing.assert_array_equal(out.perm, res.perm)
        scale = norm1(A) * max(shape) * u_of(dtype)
        assert norm1(widen(_r(qr)) - widen(_r(ref))) < THRESH * scale
        assert np.abs(widen(out.tau) - widen(res.tau)).max() < THRESH * max(shape) * u_of(dtype)
    _tau, perm = qrcp(A.copy())
    np.testing.assert_array_equal(perm, res.perm)


@pytest.mark.skipif(torch is None, reason="torch not installed")
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("block_size", [None, 1])
def test_torch_agrees_with_numpy(dtype, block_size):
    rng = np.random.default_rng(5)
    A = random_matrix(rng, (40, 30), dtype)
    qn, _tn, pn = run_qrcp(A, "numpy", block_size)
    qt, _tt, pt = run_qrcp(A, "torch", block_size)
    assert isinstance(qt, torch.Tensor) and isinstance(pt, np.ndarray)
    np.testing.assert_array_equal(pt, pn)
    assert norm1(widen(qt) - widen(qn)) < THRESH * 40 * u_of(dtype) * norm1(A)


@pytest.mark.parametrize("dtype", DTYPES)
def test_same_pivots_as_lapack_geqp3(dtype):
    """Same decisions as LAPACK (ties aside); the vendor factors are interchangeable."""
    rng = np.random.default_rng(6)
    for shape in [(30, 20), (20, 30), (25, 25)]:
        A = random_matrix(rng, shape, dtype)
        vqr, vtau, vperm = np_backend.vendor_geqp3(A)
        _qr, _tau, perm = run_qrcp(A, "numpy")
        np.testing.assert_array_equal(perm, vperm)
        Q = form_q(vqr, vtau)
        assert reconstruction_ratio(A[:, vperm], widen(Q) @ _r(vqr), dtype) < THRESH


def test_torch_has_no_vendor_geqp3():
    if torch is None:
        pytest.skip("torch not installed")
    with pytest.raises(NotImplementedError):
        torch_backend.vendor_geqp3(torch.zeros(3, 3))


# --------------------------------------------------------------------------- norm downdating


def _cancellation_matrix(dtype=np.float64, m=40):
    """Column 0 = 2u; columns j = u + d_j w_j, w_j orthonormal and orthogonal to u.

    After the first step the true remaining norms are the d_j (1e-14 ... 1e-9,
    increasing to the right), but the downdating formula computes
    ``1 - (r/vn)^2 = 1 - (1 - O(d^2))`` = 0: every digit is lost.
    """
    rng = np.random.default_rng(7)
    q, _ = np.linalg.qr(rng.standard_normal((m, 7)))
    u, w = q[:, 0], q[:, 1:]
    deltas = 10.0 ** np.arange(-14, -8)
    A = np.column_stack([2 * u] + [u + d * w[:, j] for j, d in enumerate(deltas)])
    return A.astype(dtype), deltas


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_norm_downdating_safeguard_recomputes(dtype):
    A, deltas = _cancellation_matrix(dtype)
    # naive downdating: all partial norms collapse to 0, the pivots become arbitrary
    naive = A.copy()
    res = qrcp_unblocked(naive, norm_safeguard=False)
    assert res.norm_recomputations == 0
    d = np.abs(np.diagonal(_r(naive)))
    assert d[1] < 1e-13 and pivoting_violation(_r(naive), dtype) > 1e3
    # LAPACK's safeguard notices and recomputes: correct pivots and diagonal
    for run in (qrcp_unblocked, lambda a: qrcp_blocked(a, 2)):
        qr = A.copy()
        res = run(qr)
        assert res.norm_recomputations >= 6
        R = _r(qr)
        d = np.abs(np.diagonal(R))
        np.testing.assert_array_equal(res.perm, [0, 6, 5, 4, 3, 2, 1])
        # |R_jj| = d_j up to applying the first reflector to a unit-norm column (gamma_m)
        # and the stored A's rounding: an absolute 2 m u, large for d = 1e-14 by design.
        np.testing.assert_allclose(d[1:], deltas[::-1], rtol=0, atol=2 * 40 * u_of(dtype) * 2)
        assert pivoting_violation(R, dtype) < 10


def test_column_norms_are_safe():
    big = np.array([[3e200, 1e-200], [4e200, 0.0]])
    np.testing.assert_allclose(
        column_norms(big), [5e200, 1e-200], rtol=8 * u_of(np.float64)
    )  # scaled, few roundings
    assert column_norms(np.zeros((0, 3))).tolist() == [0.0, 0.0, 0.0]
    A = gallery.MATRIX_TYPES["near_overflow"](6, np.float32, np.random.default_rng(0))
    # a sum of 6 squares in float32 (gamma_6) with scaling: within 2 (6 + 2) u_32
    np.testing.assert_allclose(
        column_norms(A), np.linalg.norm(A.astype(np.float64), axis=0), rtol=2 * (6 + 2) * u_of(np.float32)
    )


# --------------------------------------------------------------------------- numerical_rank


def test_numerical_rank_default_tolerance():
    eps = np.finfo(np.float64).eps
    d = np.array([2.0, 1.0, 1e-3, 50 * eps, 1e-20])
    # default tol = max(m, n) * eps * max|R_kk|
    assert numerical_rank(d, 100, 10) == 3  # tol = 100 * eps * 2 > 50 eps
    assert numerical_rank(d, 10, 10) == 4  # tol = 10 * eps * 2 < 50 eps
    assert numerical_rank(d, 10, 10, tol=1e-2) == 2
    assert numerical_rank(d, 10, 10, tol=0.0) == 5
    assert numerical_rank(d.astype(np.float32), 10, 10) == 3  # float32 eps
    assert numerical_rank(np.zeros(0), 0, 4) == 0
    assert numerical_rank(np.zeros(3), 3, 3) == 0
    assert numerical_rank([1.0, np.nan, 1.0], 3, 3) == 1
    if torch is not None:
        assert numerical_rank(torch.tensor([1.0, 1e-30]), 2, 2) == 1
    for bad in (-1.0, np.inf, np.nan):
        with pytest.raises(ValueError, match="tol must be a finite number"):
            numerical_rank(d, 3, 3, tol=bad)


# --------------------------------------------------------------------------- strong RRQR


def _sv(x):
    x = widen(x)
    return np.linalg.svd(x, compute_uv=False) if x.size else np.zeros(0)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_kahan_qrcp_fails_strong_rrqr_reveals(backend, dtype):
    """The issue's acceptance fact: gallery.kahan(30)."""
    A = gallery.kahan(30, dtype=dtype)
    smin = _sv(A)[-1]
    qr, tau, perm = run_qrcp(A, backend)
    np.testing.assert_array_equal(perm, np.arange(30))  # QRCP makes no interchange
    qrcp_ratio = abs(to_np(qr)[29, 29]) / smin
    assert 3e3 < qrcp_ratio < 6e3  # gallery: 4.2e3
    qr, tau, perm, k = strong_rrqr(to_backend(A.copy(), backend), rank=29)
    assert k == 29 and not np.array_equal(perm, np.arange(30))
    ratio = abs(to_np(qr)[29, 29]) / smin
    assert ratio * (1 + 1e-8) >= 1 and ratio < 10
    Q = form_q(qr, tau)
    assert reconstruction_ratio(A[:, perm], widen(Q) @ _r(qr), dtype) < THRESH
    assert orth_ratio(Q, dtype) < THRESH


def _check_strong_bounds(A, qr, perm, k, f, dtype):
    m, n = A.shape
    R = widen(_r(qr))
    s = _sv(A)
    bound = math.sqrt(1 + f * f * k * (n - k))
    slack = THRESH * max(m, n) * u_of(dtype) * s[0]
    s11 = _sv(R[:k, :k])
    s22 = _sv(R[k:, k:])
    assert np.all(s11 >= s[:k] / bound - slack)
    assert np.all(s22 <= s[k : k + s22.shape[0]] * bound + slack)
    if 0 < k < n:
        ab = np.linalg.solve(R[:k, :k], R[:k, k:])
        assert np.abs(ab).max() <= f * (1 + 1e-6)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
@pytest.mark.parametrize("f", [2.0, 1.05])
def test_strong_rrqr_bounds_on_rank_deficient(dtype, f):
    rng = np.random.default_rng(8)
    swaps_seen = 0
    for trial in range(4):
        m, n, r = [(40, 30, 12), (30, 40, 12), (35, 35, 20), (50, 20, 5)][trial]
        A = gallery.rank_deficient(m, n, r, kappa=1e4, mode=trial + 1, dtype=dtype, random_state=trial)
        A = A + 1e-8 * random_matrix(rng, (m, n), dtype)  # a graded tail below the gap
        for k in (r // 2, r, min(r + 3, m, n)):
            qr, tau, perm, kk = strong_rrqr(A.copy(), rank=k, f=f)
            assert kk == k
            _check_strong_bounds(A, qr, perm, k, f, dtype)
            Q = form_q(qr, tau)
            assert reconstruction_ratio(A[:, perm], widen(Q) @ _r(qr), dtype) < THRESH
            p0 = A.copy()
            qrcp(p0)
            swaps_seen += rrqr_interchanges(_r(p0), k, f)[2]
    if f < 1.5:
        assert swaps_seen > 0  # f close to 1 forces interchanges after QRCP


@pytest.mark.parametrize("backend", BACKENDS)
def test_strong_rrqr_rank_from_tolerance(backend):
    A = gallery.rank_deficient(30, 20, 7, kappa=10.0, random_state=3)
    qr, tau, perm, k = strong_rrqr(to_backend(A.copy(), backend))
    assert k == 7
    qr, tau, perm, k = strong_rrqr(to_backend(A.copy(), backend), tol=0.5)
    assert 0 <= k <= 7
    for rank in (0, 20):  # nothing to interchange: QRCP's factors are returned
        qr, tau, perm, k = strong_rrqr(to_backend(A.copy(), backend), rank=rank)
        assert k == rank
        Q = form_q(qr, tau)
        assert reconstruction_ratio(A[:, perm], widen(Q) @ _r(qr), np.float64) < THRESH


def test_strong_rrqr_validation():
    A = np.eye(4)
    for f in (1.0, 0.5, -2.0, np.nan, np.inf, "two"):
        with pytest.raises(ValueError, match="f must be a"):
            strong_rrqr(A.copy(), rank=2, f=f)
    for rank in (-1, 5, 2.5):
        with pytest.raises(ValueError, match="rank must be an integer"):
            strong_rrqr(A.copy(), rank=rank)
    with pytest.raises(ValueError, match="either rank or tol"):
        strong_rrqr(A.copy(), rank=2, tol=1e-3)
    with pytest.raises(ValueError, match="k must satisfy"):
        rrqr_interchanges(np.eye(3), 4)
    with pytest.raises(ValueError, match="f must be a finite number"):
        rrqr_interchanges(np.eye(3), 1, f=1.0)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("block_size", [1, 2])
def test_qrcp_on_non_contiguous_views(backend, block_size):
    rng = np.random.default_rng(9)
    A = random_matrix(rng, (14, 11), np.complex128)
    big = np.zeros((28, 33), dtype=np.complex128)
    big[::2, ::3] = A
    big = to_backend(big, backend)
    view = big[::2, ::3]
    tau, perm = qrcp(view, block_size=block_size)
    Q = form_q(view, tau)
    assert reconstruction_ratio(A[:, perm], widen(Q) @ _r(view), np.complex128) < THRESH
    rest = to_np(big).copy()
    rest[::2, ::3] = 0
    assert not rest.any()
    # and a Fortran-ordered (transposed) input for strong RRQR
    ft = to_backend(np.ascontiguousarray(A.T), backend).T
    qr, tau, perm, k = strong_rrqr(ft, rank=5, f=1.05)
    Q = form_q(qr, tau)
    assert k == 5
    assert reconstruction_ratio(A[:, perm], widen(Q) @ _r(qr), np.complex128) < THRESH
