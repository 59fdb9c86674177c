"""TSQR: ratios in memory (NumPy, PyTorch), agreement with Householder QR, and the Dask
tree on a distributed cluster without ever gathering A."""

from __future__ import annotations

import numpy as np
import pytest

from pivotal import gallery
from pivotal.kernels.tsqr import normalize_qr_signs, tsqr

from .helpers import BACKENDS, DTYPES, THRESH, random_matrix, to_backend, to_np, u_of
from .test_kernel_gram_schmidt import _noncontiguous, qr_ratios

SHAPES = [(2000, 50), (300, 7), (12, 12), (5, 1), (40, 60)]
BLOCKS = [None, 7, 64, 333]


def _reference(a: np.ndarray):
    """Householder QR (LAPACK) with the diag(R) >= 0 convention."""
    q, r = np.linalg.qr(a)
    return normalize_qr_signs(q, r)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_ratios_backends_dtypes_shapes_blocks(backend, dtype):
    rng = np.random.default_rng(0)
    for m, n in SHAPES:
        k = min(m, n)
        A = gallery.randsvd(n, 1e5, m=m, dtype=dtype, random_state=rng)
        for block_rows in BLOCKS:
            for contiguous in (True, False):
                Ain = to_backend(A, backend) if contiguous else _noncontiguous(A, backend)
                before = to_np(Ain).copy()
                Q, R = tsqr(Ain, block_rows=block_rows)
                assert type(Q) is type(Ain) and Q.dtype == Ain.dtype and R.dtype == Ain.dtype
                assert tuple(Q.shape) == (m, k) and tuple(R.shape) == (k, n)
                np.testing.assert_array_equal(to_np(Ain), before)
                q, r = to_np(Q), to_np(R)
                resid, orth = qr_ratios(A, q, r, dtype)
                assert resid < THRESH and orth < THRESH, (m, n, block_rows, resid, orth)
                np.testing.assert_array_equal(np.tril(r, -1), 0)
                d = np.diag(r)
                assert np.all(d.real >= 0) and np.all(d.imag == 0)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_agrees_with_householder_up_to_rounding(dtype):
    """With diag(R) >= 0 the factors are unique, so TSQR matches LAPACK for any tree."""
    kappa = 1e6
    A = gallery.randsvd(30, kappa, m=1500, dtype=dtype, random_state=5)
    q_ref, r_ref = _reference(A)
    for block_rows in (None, 31, 100, 1499):
        q, r = tsqr(A, block_rows=block_rows)
        tol = 100 * kappa * u_of(dtype)
        assert np.linalg.norm(r - r_ref) <= tol * np.linalg.norm(r_ref)
        assert np.linalg.norm(q - q_ref) <= tol * np.sqrt(30)


def test_rank_deficient_still_orthonormal():
    rng = np.random.default_rng(1)
    B = rng.standard_normal((500, 5))
    A = np.hstack([B, B @ rng.standard_normal((5, 5)), np.zeros((500, 2))])  # rank 5 of 12
    q, r = tsqr(A, block_rows=64)
    resid, orth = qr_ratios(A, q, r, np.float64)
    assert resid < THRESH and orth < THRESH
    # R's trailing diagonal is O(u ||A||) rounding: far below the sqrt(u) rank gap
    assert np.sum(np.abs(np.diag(r)) > np.sqrt(u_of(np.float64)) * np.abs(r).max()) == 5


def test_normalize_qr_signs_complex():
    rng = np.random.default_rng(2)
    A = random_matrix(rng, (9, 4), np.complex128)
    q, r = np.linalg.qr(A)
    q2, r2 = normalize_qr_signs(q, r)
    d = np.diag(r2)
    assert np.all(d.imag == 0) and np.all(d.real > 0)
    # Only unit-modulus rescaling of a Householder QR: LAPACK-style ratios.
    resid, orth = qr_ratios(A, q2, r2, np.complex128)
    assert resid < THRESH and orth < THRESH


def test_errors_empty_and_promotion():
    with pytest.raises(ValueError, match="block_rows"):
        tsqr(np.ones((4, 2)), block_rows=0)
    with pytest.raises(ValueError, match="infs or NaNs"):
        tsqr(np.array([[1.0], [np.inf]]))
    q, r = tsqr(np.zeros((5, 0)))
    assert q.shape == (5, 0) and r.shape == (0, 0)
    q, r = tsqr(np.zeros((0, 3)))
    assert q.shape == (0, 0) and r.shape == (0, 3)
    q, r = tsqr(np.arange(12).reshape(6, 2))
    assert q.dtype == np.float64


# --------------------------------------------------------------------------- Dask

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")


def _lazy_matrix(m, n, chunks, dtype=np.float64, kappa=1e8):
    """A lazily generated, badly column-scaled (cond ~ kappa) matrix, built chunk by chunk."""
    rng = da.random.default_rng(42)
    a = rng.standard_normal((m, n), chunks=(chunks, n))
    if np.dtype(dtype).kind == "c":
        a = a + 1j * rng.standard_normal((m, n), chunks=(chunks, n))
    scales = np.logspace(0, -np.log10(kappa), n)
    return a.map_blocks(lambda b: (b * scales).astype(dtype), dtype=dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_dask_matches_in_memory_on_a_cluster(client, dtype):
    m, n = 6000, 24
    a = _lazy_matrix(m, n, 750, dtype)
    Q, R = tsqr(a)
    assert isinstance(Q, da.Array) and isinstance(R, da.Array)
    assert Q.chunks == a.chunks and R.shape == (n, n) and R.numblocks == (1, 1)
    q, r = dask.compute(Q, R)  # runs on the distributed cluster (default client)
    A = a.compute()
    resid, orth = qr_ratios(A, q, r, dtype)
    assert resid < THRESH and orth < THRESH
    d = np.diag(r)
    assert np.all(d.real > 0) and np.all(d.imag == 0)
    q0, r0 = tsqr(A, block_rows=750)  # the same tree in memory
    tol = 1e3 * u_of(dtype) * 1e8  # R is determined to about cond(A) u
    assert np.linalg.norm(r - r0) <= tol * np.linalg.norm(r0)
    assert np.linalg.norm(q - q0) <= tol * np.sqrt(n)
    _, r_ref = _reference(A)
    assert np.linalg.norm(r - r_ref) <= tol * np.linalg.norm(r_ref)


def test_dask_uneven_and_short_chunks(client):
    """Chunks with fewer rows than columns and uneven sizes."""
    n = 20
    rng = np.random.default_rng(3)
    A = rng.standard_normal((200, n))
    a = da.from_array(A, chunks=((3, 40, 7, 100, 50), (n,)))
    q, r = dask.compute(*tsqr(a))
    resid, orth = qr_ratios(A, q, r, np.float64)
    assert resid < THRESH and orth < THRESH
    _, r_ref = _reference(A)
    # Both R are exact for A + dA, ||dA|| <= THRESH m u ||A||; R moves by kappa(A) times that.
    tol = 2 * THRESH * 200 * u_of(np.float64) * np.linalg.cond(A) * np.linalg.norm(A, 2)
    np.testing.assert_allclose(r, r_ref, rtol=0, atol=tol)


def test_dask_graph_never_holds_all_rows():
    """Record every task result: no array (or tuple element) has all m rows."""
    from dask.callbacks import Callback

    m, n = 4000, 16
    a = _lazy_matrix(m, n, 500)
    Q, R = tsqr(a)
    largest = []

    def posttask(key, result, dsk, state, worker_id):
        items = result if isinstance(result, (tuple, list)) else (result,)
        largest.extend(int(x.shape[0]) for x in items if hasattr(x, "shape") and len(x.shape) == 2)

    # Compute Q's chunks separately: dask.compute(Q) would end by concatenating
    # them on the client, which is the caller's choice, not part of the algorithm.
    pieces = Q.to_delayed().ravel().tolist()
    with Callback(posttask=posttask), dask.config.set(scheduler="sync"):
        *qs, r = dask.compute(*pieces, R)
    assert largest and max(largest) <= 500 < m
    q = np.concatenate(qs, axis=0)
    resid, orth = qr_ratios(a.compute(), q, r, np.float64)
    assert resid < THRESH and orth < THRESH


def test_dask_errors_and_lazy_finite_check():
    a = da.ones((100, 10), chunks=(50, 5))
    with pytest.raises(ValueError, match="rechunk"):
        tsqr(a)
    with pytest.raises(ValueError, match="block_rows"):
        tsqr(da.ones((100, 10), chunks=(50, 10)), block_rows=10)
    b = da.ones((100, 10), chunks=(50, 10))
    with pytest.raises(ValueError, match="unknown chunk sizes"):
        tsqr(b[b[:, 0] > 0])
    bad = da.from_array(np.where(np.eye(100, 10) > 0, np.nan, 1.0), chunks=(25, 10))
    Q, R = tsqr(bad)  # lazy: the check runs in the leaf tasks
    with pytest.raises(ValueError, match="infs or NaNs"):
        dask.compute(Q, R, scheduler="sync")
    Q, R = tsqr(da.ones((30, 3), dtype=np.int64, chunks=(10, 3)))
    assert Q.dtype == np.float64 and R.dtype == np.float64
