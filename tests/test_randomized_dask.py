"""rsvd, range_finder, reigh and nystrom on Dask arrays (pivotal.randomized._dask).

Acceptance: on a dask.distributed cluster, a lazily generated tall matrix (never
materialised on one worker) gives the same singular values, singular vectors
and bases as the same matrix in NumPy for a fixed seed, for every chunking, to
within the rounding-error bounds of both runs (Weyl for the values, Davis-Kahan
for the vectors, with LAPACK's THRESH m u backward error: see _tols); U is a lazy dask array chunked like A's rows, s and Vh NumPy;
nystrom and reigh on a square PSD dask array match NumPy."""

from __future__ import annotations

import functools
import importlib
import threading

import numpy as np
import pytest

from pivotal.randomized import nystrom, range_finder, reigh, rsvd
from pivotal.randomized._random import root_key, tile_normal

from .helpers import THRESH

rf_module = importlib.import_module("pivotal.randomized._subspace")

da = pytest.importorskip("dask.array")

M, N, RANK = 20000, 100, 40


@functools.cache
def _right_factor(n: int = N, rank: int = RANK) -> np.ndarray:
    """``diag(sigma) V^T``: a geometric spectrum on a random orthonormal V."""
    V, _ = np.linalg.qr(np.random.default_rng(7).standard_normal((n, rank)))
    sigma = np.logspace(0, -4, rank)
    return sigma[:, None] * V.T


def _rows(r0: int, r1: int, n: int = N) -> np.ndarray:
    """Rows ``[r0, r1)`` of A = G diag(sigma) V^T / sqrt(m) + 1e-7 noise, independent of the chunking."""
    key = root_key(2024)
    g = tile_normal(key, r0, r1, RANK, stream=0)
    return g @ _right_factor(n) / np.sqrt(M) + 1e-7 * tile_normal(key, r0, r1, n, stream=1)


_CALLS = {"n": 0}  # chunk generations (the cluster's workers are threads of this process)
_LOCK = threading.Lock()


def _block(block_info=None):
    (r0, r1), _ = block_info[None]["array-location"]
    with _LOCK:
        _CALLS["n"] += 1
    return _rows(r0, r1)


def _lazy(chunk_rows) -> da.Array:
    """A (M, N) built chunk by chunk on the workers; no task ever holds more than one chunk."""
    if isinstance(chunk_rows, int):
        chunk_rows = (chunk_rows,) * (M // chunk_rows) + ((M % chunk_rows,) if M % chunk_rows else ())
    return da.map_blocks(_block, chunks=(tuple(chunk_rows), (N,)), dtype=np.float64)


@functools.cache
def _dense() -> np.ndarray:
    A = _rows(0, M)
    A.setflags(write=False)
    return A


def _rel(a, b) -> float:
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))) / np.max(np.abs(np.asarray(b))))


@functools.cache
def _sigma() -> np.ndarray:
    return np.linalg.svd(_dense(), compute_uv=False)


def _tols(values, next_value: float, m: int, dtype=np.float64) -> tuple[float, float]:
    """(values, vectors) tolerances for a Dask run against the NumPy run with the same sketch.

    Both are exact for perturbations of THRESH m u ||A|| (TSQR and chunked products round
    differently from the in-memory code): the values differ by twice that (Weyl), each
    vector (column 2-norm) by that over the smallest gap to its neighbours (Davis-Kahan).
    """
    values = np.abs(np.asarray(values, dtype=np.float64))
    err = 2 * THRESH * m * np.finfo(dtype).eps / 2 * values.max()
    gaps = np.abs(np.diff(np.r_[values, next_value]))
    return err, err / gaps.min()


def _assert_same(values, values_ref, vectors, vectors_ref, next_value, m, dtype=np.float64):
    val_tol, vec_tol = _tols(values_ref, next_value, m, dtype)
    assert np.max(np.abs(np.asarray(values) - values_ref)) <= val_tol
    for a, b in zip(vectors, vectors_ref, strict=True):  # columns of U (or V), or rows of Vh given as columns
        assert np.max(np.linalg.norm(np.asarray(a) - np.asarray(b), axis=0)) <= vec_tol


@pytest.mark.parametrize("n_iter", ["auto", 1])
def test_rsvd_matches_numpy(client, n_iter):
    A = _lazy(3000)
    U, s, Vh = rsvd(A, 10, n_iter=n_iter, random_state=5)
    assert isinstance(U, da.Array) and U.chunks[0] == A.chunks[0] and U.shape == (M, 10)
    assert isinstance(s, np.ndarray) and isinstance(Vh, np.ndarray) and Vh.shape == (10, N)
    Un, sn, Vhn = rsvd(_dense(), 10, n_iter=n_iter, random_state=5)
    u = U.compute()
    # The same values and vectors, signs included (the sign convention is applied on Dask too).
    _assert_same(s, sn, (u, Vh.T), (Un, Vhn.T), _sigma()[10], M)
    assert np.linalg.norm(u.T @ u - np.eye(10)) < THRESH * M * np.finfo(float).eps / 2  # LAPACK's ratio
    # And a good approximation: the true spectrum starts with sigma_i / sqrt(M) * sqrt(M).
    assert np.allclose(s, _sigma()[:10], rtol=1e-6)


@pytest.mark.parametrize("implicit", [True, False])
def test_rsvd_passes_over_a(client, monkeypatch, implicit):
    # n_iter=3: TSQR of A Omega, A^H Q, two intermediate steps, the final TSQR of
    # A Z and A^H Q, the sign convention on U.  An implicit step reads A once
    # (A_i^H (A_i Z) per chunk), an explicit one twice; A is never persisted.
    if not implicit:
        monkeypatch.setattr(rf_module, "_IMPLICIT_MARGIN", 0.0)
    A = _lazy(4000)
    _CALLS["n"] = 0
    U, s, Vh = rsvd(A, 10, n_iter=3, random_state=5)
    passes = 7 if implicit else 9
    assert _CALLS["n"] == A.numblocks[0] * passes
    Un, sn, Vhn = rsvd(_dense(), 10, n_iter=3, random_state=5)
    _assert_same(s, sn, (U.compute(), Vh.T), (Un, Vhn.T), _sigma()[10], M)


def test_rsvd_independent_of_chunking(client):
    results = [rsvd(_lazy(c), 8, n_iter=2, random_state=11) for c in (2500, (7000, 1, 5999, 7000))]
    (U1, s1, Vh1), (U2, s2, Vh2) = results
    assert U2.chunks[0] == (7000, 1, 5999, 7000)
    _assert_same(s1, s2, (U1.compute(), Vh1.T), (U2.compute(), Vh2.T), _sigma()[8], M)


def test_range_finder_matches_numpy(client):
    A = _lazy(4000)
    Q = range_finder(A, 12, n_iter=1, random_state=3)
    assert isinstance(Q, da.Array) and Q.shape == (M, 22) and Q.chunks[0] == A.chunks[0]
    Qn = range_finder(_dense(), 12, n_iter=1, random_state=3)
    q = Q.compute()
    # a basis, not singular vectors: compared as subspaces, over the gap at its last column
    sig = _sigma()
    assert np.linalg.norm(q @ (q.T @ Qn) - Qn, 2) <= _tols(sig[:22], sig[22], M)[1]
    assert np.linalg.norm(q.T @ q - np.eye(22)) < THRESH * M * np.finfo(float).eps / 2


def test_rsvd_complex_and_float32(client):
    rng = np.random.default_rng(0)
    A = (rng.standard_normal((3000, 8)) + 1j * rng.standard_normal((3000, 8))) @ rng.standard_normal((8, 40))
    U, s, Vh = rsvd(da.from_array(A, chunks=(700, 40)), 8, random_state=1)
    Un, sn, Vhn = rsvd(A, 8, random_state=1)
    # rank 8: all 8 values are returned, the next one is 0
    _assert_same(s, sn, (U.compute(), Vh.conj().T), (Un, Vhn.conj().T), 0.0, 3000)
    A32 = A.real.astype(np.float32)
    U, s, Vh = rsvd(da.from_array(A32, chunks=(700, 40)), 5, random_state=1)
    assert U.dtype == np.float32 and s.dtype == np.float32
    s_ref = rsvd(A32, 5, random_state=1)[1]
    assert np.max(np.abs(s - s_ref)) <= _tols(s_ref, 0.0, 3000, np.float32)[0]


def test_other_methods_gather_on_the_client(client):
    A = _lazy(5000)
    U, s, Vh = rsvd(A, 6, method="block_krylov", n_iter=2, random_state=4)
    assert isinstance(U, np.ndarray)
    sn = rsvd(_dense(), 6, method="block_krylov", n_iter=2, random_state=4)[1]
    assert np.max(np.abs(s - sn)) <= _tols(sn, _sigma()[6], M)[0]
    # tol=: the exact ||A||_F (one pass), so the same rank and vectors as NumPy.
    U, s, Vh = rsvd(A, 30, tol=1e-3, random_state=4)
    Un, sn, _ = rsvd(_dense(), 30, tol=1e-3, random_state=4)
    assert isinstance(U, np.ndarray) and len(s) == len(sn)
    _assert_same(s, sn, (U,), (Un,), _sigma()[len(sn)], M)
    assert np.linalg.norm(_dense() - (U * s) @ Vh) <= 1e-3 * np.linalg.norm(_dense())
    Q = range_finder(A, tol=1e-3, random_state=4)
    assert isinstance(Q, np.ndarray) and Q.shape == range_finder(_dense(), tol=1e-3, random_state=4).shape


def test_empty_rank_and_bad_input(client):
    U, s, Vh = rsvd(_lazy(5000), 0, random_state=0)
    assert U.shape == (M, 0) and s.shape == (0,) and Vh.shape == (0, N)
    with pytest.raises(ValueError, match="k must satisfy"):
        rsvd(_lazy(5000), N + 1, random_state=0)
    bad = _lazy(5000)
    bad = da.where(da.arange(M)[:, None] == 12345, np.nan, bad)
    with pytest.raises(ValueError, match="infs or NaNs"):
        rsvd(bad, 5, random_state=0)


def _psd(n=600, rank=25):
    rng = np.random.default_rng(3)
    G = rng.standard_normal((n, rank)) * np.logspace(0, -3, rank)
    return G @ G.T + 1e-10 * np.eye(n)


def test_nystrom_and_reigh_match_numpy(client):
    P = _psd()
    Pd = da.from_array(P, chunks=(128, 600))  # square, chunked by rows
    U, lam = nystrom(Pd, 10, n_iter=1, random_state=9)
    Un, lamn = nystrom(P, 10, n_iter=1, random_state=9)
    assert isinstance(U, np.ndarray)
    lam_all = np.linalg.eigvalsh(P)[::-1]
    _assert_same(lam, lamn, (U,), (Un,), lam_all[10], 600)
    w, V = reigh(Pd, 6, random_state=9)
    wn, Vn = reigh(P, 6, random_state=9)
    _assert_same(w, wn, (V,), (Vn,), lam_all[6], 600)


def test_nystrom_refuses_non_symmetric(client):
    A = np.random.default_rng(0).standard_normal((200, 200))
    with pytest.raises(ValueError, match="not symmetric"):
        nystrom(da.from_array(A, chunks=(50, 200)), 5, random_state=0)
    with pytest.raises(ValueError, match="square"):
        reigh(da.from_array(A[:, :100], chunks=(50, 100)), 5, random_state=0)


@pytest.mark.parametrize("chunks", [4000, (7000, 5000, 8000)])
def test_pivotal_qr_on_dask_is_lazy_tsqr(client, chunks):
    # pivotal.qr on a row-chunked dask array is TSQR: lazy Q (rows chunked like
    # A) and R, never gathered; equal to the NumPy QR up to the sign convention.
    import dask

    import pivotal

    A = _lazy(chunks)
    Q, R = pivotal.qr(A, mode="economic")
    assert isinstance(Q, da.Array) and isinstance(R, da.Array)
    assert Q.chunks[0] == A.chunks[0]
    Qn, Rn = dask.compute(Q, R)
    An = _dense()
    u = np.finfo(float).eps
    assert np.linalg.norm(Qn @ Rn - An) <= 30 * N * u * np.linalg.norm(An)
    assert np.linalg.norm(Qn.T @ Qn - np.eye(N)) <= 30 * N * u
    assert np.all(np.diag(Rn) >= 0)
    R_np = np.linalg.qr(An, mode="r")
    R_np *= np.sign(np.diag(R_np))[:, None]
    # both R are exact for a THRESH m u perturbation of A: kappa(A) times that apart
    kappa = _sigma()[0] / _sigma()[-1]
    assert np.allclose(Rn, R_np, rtol=0, atol=2 * THRESH * M * u / 2 * kappa * _sigma()[0])
    (Rr,) = pivotal.qr(A, mode="r")
    assert Rr.shape == (M, N)
    Rr = Rr.compute()
    assert np.allclose(Rr[:N], Rn) and not np.any(Rr[N:])


def test_pivotal_qr_on_dask_refuses_what_needs_the_whole_matrix(client):
    import pivotal

    A = _lazy(5000)
    with pytest.raises(ValueError, match="mode='economic' and mode='r'"):
        pivotal.qr(A)  # mode="full": Q would be m x m
    with pytest.raises(ValueError, match="pivoting=True"):
        pivotal.qr(A, mode="economic", pivoting=True)
    with pytest.raises(ValueError, match="TSQR"):
        pivotal.qr(A, mode="economic", method="householder")
    with pytest.raises(ValueError, match="rechunk"):
        pivotal.qr(A.rechunk({1: 50}), mode="economic")
