"""Randomized QR with column pivoting: LAPACK-style ratios, rank revealing, truncation, backends."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import scipy.linalg as sl

import pivotal as pv
from pivotal import gallery
from pivotal.kernels.householder import form_q
from pivotal.randomized import RQRCPResult, rqrcp

from .helpers import (
    BACKENDS,
    DTYPES,
    THRESH,
    orth_ratio,
    random_matrix,
    reconstruction_ratio,
    to_backend,
    to_np,
    torch,
    u_of,
)


def _check_perm(P, n):
    P = to_np(P)
    assert P.dtype == np.int32
    assert sorted(P.tolist()) == list(range(n))
    return P.astype(np.int64)


# --------------------------------------------------------------------------- full factorization


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(60, 44), (44, 60), (52, 52)])
def test_full_ratios(backend, dtype, shape):
    rng = np.random.default_rng(7)
    A = random_matrix(rng, shape, dtype)
    res = rqrcp(to_backend(A, backend), block_size=8, random_state=1)
    assert "hqrrp" in res.algorithm
    Q, R, P = res
    m, n = shape
    k = min(m, n)
    assert Q.shape == (m, k) and R.shape == (k, n)
    assert to_np(Q).dtype == dtype and to_np(R).dtype == dtype
    P = _check_perm(P, n)
    assert reconstruction_ratio(A[:, P], to_np(Q) @ to_np(R)) < THRESH
    assert orth_ratio(Q, dtype) < THRESH
    assert np.allclose(np.tril(to_np(R), -1), 0)
    assert res.rank == k


@pytest.mark.parametrize("mode", ["economic", "raw", "r"])
@pytest.mark.parametrize("shape", [(70, 40), (40, 70)])
def test_full_modes_agree_and_match_scipy_shapes(mode, shape):
    A = np.random.default_rng(3).standard_normal(shape)
    ref = rqrcp(A, block_size=8, random_state=5)
    res = rqrcp(A, block_size=8, random_state=5, mode=mode)
    expected = sl.qr(A, pivoting=True, mode=mode)
    assert len(res) == len(expected)
    if mode == "raw":
        (qr_, tau), R, P = res
        assert qr_.shape == expected[0][0].shape and tau.shape == expected[0][1].shape
        Q = form_q(qr_, tau)
        assert np.allclose(Q, ref.Q, rtol=0, atol=2 * THRESH * max(shape) * u_of(np.float64))  # |Q| <= 1
    elif mode == "r":
        R, P = res
        assert res.Q is None
    else:
        _, R, P = res
    assert R.shape == expected[-2].shape
    k = min(shape)
    # the same pivots and reflectors: at most the backward error THRESH m u ||A|| apart
    assert np.allclose(
        R[:k], ref.R, rtol=0, atol=2 * THRESH * max(shape) * u_of(np.float64) * np.linalg.norm(A, 2)
    )
    assert np.allclose(R[k:], 0)
    assert np.array_equal(P, ref.P) and P.dtype == expected[-1].dtype


def test_diagonal_non_increasing_within_blocks():
    A = gallery.randsvd(120, 1e6, 3, random_state=0)
    b = 16
    res = rqrcp(A, block_size=b, random_state=0)
    d = np.abs(np.diag(res.R))
    for j0 in range(0, 120, b):
        blk = d[j0 : j0 + b]
        if j0 + b <= 120 - 2 * b:  # blocked part; the tail is plain QRCP
            # non-increasing up to the partial norms' accuracy: xLAQP2 recomputes a downdated
            # norm only once it has lost half its digits (tol3z = sqrt(eps))
            assert np.all(blk[:-1] >= blk[1:] * (1 - np.sqrt(np.finfo(np.float64).eps)))
    # across blocks: the first entry of a block is never far above the last of the previous one
    assert np.all(d[b::b] <= 10 * d[b - 1 : -1 : b][: d[b::b].shape[0]])


def _rank_cases():
    cases = []
    for seed in range(3):
        cases.extend(("rank_deficient", seed, rank) for rank in (1, 7, 16, 33, 60))
        cases.append(("randsvd1", seed, 1))
        cases.append(("randsvd2", seed, 99))
        cases.append(("outer", seed, 3))
    return cases


def _rank_matrix(kind, seed, rank, m=110, n=100, dtype=np.float64):
    rng = np.random.default_rng(seed)
    if kind == "rank_deficient":
        return gallery.rank_deficient(m, n, rank, kappa=1e3, dtype=dtype, random_state=rng)
    if kind == "randsvd1":  # one large singular value, the rest at the roundoff level
        return gallery.randsvd(n, 1e18, 1, m=m, dtype=dtype, random_state=rng)
    if kind == "randsvd2":  # one singular value at the roundoff level
        return gallery.randsvd(n, 1e18, 2, m=m, dtype=dtype, random_state=rng)
    x = random_matrix(rng, (m, rank), dtype)
    y = random_matrix(rng, (rank, n), dtype)
    return x @ y


@pytest.mark.parametrize("kind,seed,rank", _rank_cases())
def test_rank_matches_qrcp(kind, seed, rank):
    A = _rank_matrix(kind, seed, rank)
    res = rqrcp(A, block_size=8, random_state=seed)
    assert "hqrrp" in res.algorithm
    rank_qrcp = pv.QRPivoted(A).rank
    d = np.abs(np.diag(sl.qr(A, pivoting=True, mode="r")[0]))
    rank_scipy = int(np.sum(d > max(A.shape) * np.finfo(float).eps * d[0]))
    assert res.rank == rank_qrcp == rank_scipy == rank
    Q, R, P = res
    assert reconstruction_ratio(A[:, P], Q @ R) < THRESH


@pytest.mark.parametrize("dtype", [np.float32, np.complex128])
def test_rank_other_dtypes(dtype):
    A = _rank_matrix("rank_deficient", 0, 21, dtype=dtype)
    res = rqrcp(A, block_size=8, random_state=0)
    assert res.rank == pv.QRPivoted(A).rank == 21


def test_tolerance_sets_rank():
    A = gallery.randsvd(90, 1e12, 3, random_state=2)  # sigma_i = 1e-12^((i-1)/89)
    res = rqrcp(A, block_size=8, tol=1e-6, random_state=0)
    d = np.abs(np.diag(res.R))
    assert res.rank == int(np.argmax(d <= 1e-6))
    sv = np.linalg.svd(A, compute_uv=False)
    assert abs(res.rank - int(np.sum(sv > 1e-6))) <= 3


def test_small_matrix_is_plain_qrcp():
    A = np.random.default_rng(0).standard_normal((30, 20))
    res = rqrcp(A, random_state=0)  # min(m, n) <= 2 * 128
    assert res.algorithm.startswith("qrcp")
    _, _, perm = sl.qr(A, pivoting=True)
    assert np.array_equal(res.P, perm)


# --------------------------------------------------------------------------- truncated


@pytest.mark.parametrize("kind", ["geometric", "algebraic", "gap"])
@pytest.mark.parametrize("k", [5, 20, 40])
def test_truncated_error_near_sigma_k1(kind, k):
    n = 200
    rng = np.random.default_rng(k)
    if kind == "geometric":
        A = gallery.randsvd(n, 1e10, 3, m=300, random_state=rng)
    elif kind == "algebraic":
        U = np.linalg.qr(rng.standard_normal((300, n)))[0]
        V = np.linalg.qr(rng.standard_normal((n, n)))[0]
        A = (U / np.arange(1, n + 1) ** 2) @ V.T
    else:
        A = gallery.rank_deficient(300, n, k, random_state=rng) + 1e-9 * rng.standard_normal((300, n))
    s = np.linalg.svd(A, compute_uv=False)
    worst = 0.0
    for seed in range(3):
        Q, R, P = rqrcp(A, k, random_state=seed)
        assert Q.shape == (300, k) and R.shape == (k, n)
        err = np.linalg.norm(A[:, P] - Q @ R, 2)
        worst = max(worst, err / s[k])
        assert orth_ratio(Q, np.float64) < THRESH
    # deterministic QRCP truncated at k, for scale
    _, Rq, _ = sl.qr(A, pivoting=True, mode="economic")
    qrcp_ratio = np.linalg.norm(Rq[k:, k:], 2) / s[k]
    assert worst < max(10.0, 3 * qrcp_ratio)


@pytest.mark.parametrize("mode", ["economic", "raw", "r"])
def test_truncated_modes(mode):
    A = gallery.randsvd(80, 1e8, 3, m=100, random_state=4)
    ref = rqrcp(A, 12, random_state=3)
    res = rqrcp(A, 12, random_state=3, mode=mode)
    assert np.array_equal(res.P, ref.P)
    assert res.R.shape == (12, 80)
    if mode == "raw":
        (qr_, tau), _, _ = res
        assert qr_.shape == (100, 12) and tau.shape == (12,)
        Q = form_q(qr_, tau)
        # the same 12 columns' basis: within kappa(A_P) times the backward error THRESH m u
        kappa = np.linalg.cond(A[:, ref.P[:12]])
        assert np.allclose(
            np.abs(Q.T @ ref.Q), np.eye(12), rtol=0, atol=2 * THRESH * 100 * u_of(np.float64) * kappa
        )
    # same R up to the signs of its rows (||A|| = 1)
    signs = np.sign(np.diag(res.R)) * np.sign(np.diag(ref.R))
    assert np.allclose(signs[:, None] * res.R, ref.R, rtol=0, atol=2 * THRESH * 100 * u_of(np.float64))


def test_truncated_tall_uses_cholqr2_and_rank_with_tol():
    A = gallery.rank_deficient(2000, 60, 8, random_state=0)
    res = rqrcp(A, 20, random_state=0)
    # a rank-deficient selection: CholeskyQR2 refuses, a checked fallback takes over
    assert not res.algorithm.endswith(": cholqr2)")
    assert orth_ratio(res.Q, np.float64) < THRESH
    assert res.rank == 8
    B = gallery.randsvd(30, 1e3, 3, m=2000, random_state=1)
    res = rqrcp(B, 10, random_state=0)
    assert "cholqr2" in res.algorithm
    assert reconstruction_ratio(B[:, res.P[:10]], res.Q @ res.R[:, :10]) < THRESH
    assert res.rank == 10
    assert rqrcp(B, 10, tol=0.5, random_state=0).rank < 10


def test_truncated_k_extremes():
    A = np.random.default_rng(0).standard_normal((9, 6))
    Q, R, P = rqrcp(A, 0, random_state=0)
    assert Q.shape == (9, 0) and R.shape == (0, 6) and P.shape == (6,)
    Q, R, P = res = rqrcp(A, 6, random_state=0)
    assert res.rank == 6
    assert reconstruction_ratio(A[:, P], Q @ R) < THRESH
    # a sketch as large as A: QRCP of A itself
    res = rqrcp(A, 3, sketch_size=9)
    assert "QRCP of A itself" in res.algorithm
    assert np.array_equal(res.P[:3], sl.qr(A, pivoting=True)[2][:3])


# --------------------------------------------------------------------------- backends


@pytest.mark.skipif(torch is None, reason="torch not installed")
@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
@pytest.mark.parametrize("k", [None, 15])
def test_torch_matches_numpy(dtype, k):
    A = random_matrix(np.random.default_rng(1), (70, 60), dtype)
    a = rqrcp(A, k, block_size=None if k else 8, random_state=11)
    t = rqrcp(torch.from_numpy(A), k, block_size=None if k else 8, random_state=11)
    assert isinstance(t.Q, torch.Tensor) and t.P.dtype == torch.int32
    assert np.array_equal(to_np(t.P), a.P)
    assert t.rank == a.rank
    # same pivots, two BLAS libraries: Q and R move by kappa(A_P) THRESH m u (||R|| ~ ||A||)
    cols = a.P[: a.R.shape[0]]
    err = 2 * THRESH * 70 * u_of(dtype) * np.linalg.cond(A[:, cols])
    assert np.allclose(to_np(t.R), a.R, rtol=0, atol=err * np.linalg.norm(A, 2))
    assert np.allclose(to_np(t.Q), a.Q, rtol=0, atol=err)


@pytest.mark.skipif(torch is None, reason="torch not installed")
def test_torch_generator():
    A = torch.randn(60, 50, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    r1 = rqrcp(A, block_size=8, random_state=torch.Generator().manual_seed(3))
    r2 = rqrcp(A, block_size=8, random_state=torch.Generator().manual_seed(3))
    assert torch.equal(r1.P, r2.P)
    assert reconstruction_ratio(to_np(A)[:, to_np(r1.P)], to_np(r1.Q @ r1.R)) < THRESH


def test_jax_in_jax_out():
    jnp = pytest.importorskip("jax.numpy")
    A = np.random.default_rng(0).standard_normal((40, 30)).astype(np.float32)
    res = rqrcp(jnp.asarray(A), 5, random_state=0)
    ref = rqrcp(A, 5, random_state=0)
    assert type(res.Q).__module__.startswith("jax")
    assert np.array_equal(np.asarray(res.P), ref.P)
    # float32 (JAX) against float64: float32's backward error, kappa(A_P) times
    err = 2 * THRESH * 40 * u_of(np.float32) * np.linalg.cond(A[:, ref.P[:5]].astype(np.float64))
    assert np.allclose(np.asarray(res.R), ref.R, rtol=0, atol=err * np.linalg.norm(A.astype(np.float64), 2))


def test_reproducible_and_result_object():
    A = np.random.default_rng(0).standard_normal((80, 70))
    r1 = rqrcp(A, block_size=8, random_state=np.random.default_rng(4))
    r2 = rqrcp(A, block_size=8, random_state=4)
    assert np.array_equal(r1.P, r2.P) and np.array_equal(r1.R, r2.R)
    assert isinstance(r1, RQRCPResult) and isinstance(r1, tuple) and len(r1) == 3
    assert r1[0] is r1.Q and r1[1] is r1.R
    assert "rank=70" in repr(r1)
    r3 = pickle.loads(pickle.dumps(r1))
    assert r3.rank == 70 and np.array_equal(r3.P, r1.P) and r3.algorithm == r1.algorithm


def test_integer_and_empty_input():
    A = np.arange(12).reshape(4, 3)
    Q, R, P = res = rqrcp(A)
    assert Q.dtype == np.float64 and res.rank == 2
    for shape in [(0, 3), (3, 0), (0, 0)]:
        Q, R, P = res = rqrcp(np.zeros(shape))
        assert Q.shape == (shape[0], 0) and R.shape == (0, shape[1]) and P.shape == (shape[1],)
        assert res.rank == 0
        R, P = rqrcp(np.zeros(shape), mode="r")
        assert R.shape == shape
    Q, R, P = rqrcp(np.zeros((5, 4)), 2, random_state=0)
    assert np.all(R == 0)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "args,kwargs,match",
    [
        ((5,), {}, "k must be an integer in"),
        ((-1,), {}, "k must be an integer in"),
        ((True,), {}, "k must be an integer"),
        ((2.5,), {}, "k must be an integer"),
        ((2,), {"block_size": 4}, "block_size applies to the full"),
        ((), {"block_size": 0}, "block_size must be an integer >= 1"),
        ((), {"mode": "full"}, "mode must be one of"),
        ((), {"tol": -1.0}, "tol must be a finite number"),
        ((), {"tol": np.nan}, "tol must be a finite number"),
        ((3,), {"sketch_size": 2}, "sketch_size must be an integer >= 3"),
        ((), {"sketch_size": 4, "block_size": 8}, "sketch_size must be an integer >= 8"),
        ((2,), {"sketch_size": 5, "n_oversamples": 3}, "not both"),
        ((2,), {"n_oversamples": -1}, "n_oversamples must be an integer >= 0"),
    ],
)
def test_bad_arguments(args, kwargs, match):
    A = np.ones((6, 4))
    with pytest.raises(ValueError, match=match):
        rqrcp(A, *args, **kwargs)


def test_bad_inputs():
    with pytest.raises(ValueError, match="2-D"):
        rqrcp(np.ones(4))
    with pytest.raises(ValueError, match="infs or NaNs"):
        rqrcp(np.array([[1.0, np.nan], [0.0, 1.0]]))
    with pytest.raises(TypeError, match="random_state"):
        rqrcp(np.ones((4, 4)), 2, random_state="seed")
