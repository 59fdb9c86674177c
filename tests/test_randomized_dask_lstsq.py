"""sketch_lstsq on Dask arrays (pivotal.randomized._dask_lstsq).

Acceptance: for a fixed seed a row-chunked dask ``A`` gives the in-memory
result for the same data up to rounding, for every chunking, with ``x`` a
NumPy array and the same ``info``; the answer is backward stable (10 u at
kappa = 1e10); rank-deficient input and failed backward-error checks fall
back to a TSQR solve; on a dask.distributed cluster a lazily generated
``A`` is only ever read chunk by chunk, once per counted pass.

Most tests run on the synchronous scheduler (each LSQR iteration is a
round trip to the scheduler, ~50 ms on a small LocalCluster); the
distributed ones use a small in-process cluster.
"""

from __future__ import annotations

import functools
import threading

import numpy as np
import pytest

import pivotal as pv
from pivotal import gallery
from pivotal.randomized import SketchLstsqInfo, sketch_lstsq
from pivotal.randomized._random import root_key, tile_normal

from .helpers import THRESH, assert_lstsq_close, u_of
from .test_sketch_lstsq import kw_backward_error, ls_problem

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")

U64 = u_of(np.float64)
M, N = 20000, 50
M_LAZY = 8000


@pytest.fixture
def sync():
    with dask.config.set(scheduler="synchronous"):
        yield


def _rel(a, b) -> float:
    return float(np.linalg.norm(np.asarray(a) - b) / np.linalg.norm(b))


def _same_info(info: SketchLstsqInfo, ref: SketchLstsqInfo, A: np.ndarray, B: np.ndarray) -> None:
    """The fields that do not depend on rounding (iteration counts may differ by a few), and
    the rounding-dependent ones within their bounds for the dense ``A`` and right-hand sides ``B``."""
    assert (info.method, info.sketch, info.sketch_size, info.fallback) == (
        ref.method,
        ref.sketch,
        ref.sketch_size,
        ref.fallback,
    )
    assert (info.converged, info.rank, info.fallback_columns, info.tol) == (
        ref.converged,
        ref.rank,
        ref.fallback_columns,
        ref.tol,
    )
    assert len(info.iterations) == len(ref.iterations) and abs(info.passes - ref.passes) <= 3
    # Both runs are exact for perturbations of eps = THRESH m u: the rcond estimate moves by
    # kappa eps relative, each residual norm by eps ||b|| (1 + 2 kappa) (Wedin).
    m, eps = A.shape[0], THRESH * A.shape[0] * U64
    assert info.rcond == pytest.approx(ref.rcond, rel=2 * eps / ref.rcond)
    kappa = np.linalg.cond(A)
    bnorm = np.linalg.norm(np.asarray(B).reshape(m, -1), axis=0)
    assert np.all(
        np.abs(np.atleast_1d(info.residual_norms) - ref.residual_norms) <= 2 * eps * bnorm * (1 + 2 * kappa)
    )
    assert info.backward_errors.shape == ref.backward_errors.shape and info.backward_error <= 10 * U64


@functools.cache
def _problem(kappa: float, k: int):
    """``A`` (M x N) with geometric singular values and ``k`` right-hand sides with large residuals."""
    rng = np.random.default_rng(int(np.log10(kappa)))
    A = gallery.randsvd(N, kappa, 3, m=M, random_state=rng)
    B = A @ rng.standard_normal((N, k)) + rng.standard_normal((M, k))
    return A, B


# --------------------------------------------------------------------------- same answer as NumPy


@pytest.mark.parametrize("kappa", [1e2, 1e8])
@pytest.mark.parametrize("rhs", ["numpy-1d", "dask-2d"])
def test_matches_in_memory(sync, kappa, rhs):
    A, B = _problem(kappa, 2)
    b = B[:, 0] if rhs == "numpy-1d" else B
    x, info = sketch_lstsq(A, b, random_state=3, return_info=True)
    bd = b if rhs == "numpy-1d" else da.from_array(b, chunks=(4000, 1))  # rechunked like A's rows
    xd, info_d = sketch_lstsq(da.from_array(A, chunks=(7000, -1)), bd, random_state=3, return_info=True)
    assert isinstance(xd, np.ndarray) and xd.shape == x.shape and xd.dtype == np.float64
    assert isinstance(info_d, SketchLstsqInfo)
    _same_info(info_d, info, A, b)
    # Rounding (the partial sums are added in another order) moves a backward-stable x
    # within Wedin's bound: the in-memory solver with another block size differs as much.
    assert_lstsq_close(xd, x, A, b, np.float64)


def test_complex_and_float32(sync):
    kappa = 1e4
    for dtype in (np.complex128, np.float32):
        A, b, _ = ls_problem(4000, 20, kappa, 1e-2, seed=5, dtype=dtype)
        x, info = sketch_lstsq(A, b, random_state=1, return_info=True)
        xd, info_d = sketch_lstsq(da.from_array(A, chunks=(1500, -1)), b, random_state=1, return_info=True)
        assert xd.dtype == x.dtype and info_d.method == info.method == "spir"
        assert _rel(xd, x) <= 100 * kappa * u_of(dtype), dtype
        assert info_d.backward_error <= 10 * u_of(dtype)


# --------------------------------------------------------------------------- stability


def test_backward_stable_at_kappa_1e10(sync):
    """SPIR on Dask: backward error <= 10 u; plain sketch-and-precondition warns as in memory."""
    m, n = 6000, 50
    rng = np.random.default_rng(10)
    A = gallery.randsvd(n, 1e10, 3, m=m, random_state=rng)
    ax = A @ rng.standard_normal(n)
    q = np.linalg.qr(A)[0]
    z = rng.standard_normal(m)
    z -= q @ (q.T @ z)
    b = ax + z * (np.linalg.norm(ax) / np.linalg.norm(z))
    Ad, bd = da.from_array(A, chunks=(1700, -1)), da.from_array(b, chunks=1700)
    x, info = sketch_lstsq(Ad, bd, random_state=1, return_info=True)
    be = kw_backward_error(A, b, x)
    assert be <= 10 * U64, (be / U64, info)
    assert info.fallback is None and info.converged and info.method == "spir"
    assert 0.3 * be <= info.backward_error <= 3 * be + U64
    with pytest.warns(pv.LinAlgWarning, match="refine=True"):
        x_sap, info_sap = sketch_lstsq(Ad, bd, random_state=1, refine=False, return_info=True)
    assert kw_backward_error(A, b, x_sap) > 1000 * U64 and not info_sap.converged


def test_rank_deficient_falls_back_to_tsqr_minimum_norm(sync):
    A = gallery.rank_deficient(3000, 40, 25, random_state=10)
    b = np.random.default_rng(10).standard_normal(3000)
    x, info = sketch_lstsq(da.from_array(A, chunks=(700, -1)), b, random_state=0, return_info=True)
    assert info.fallback == "rank_deficient" and info.method == "qr+svd" and info.rank == 25
    assert not info.converged and any("rank deficient" in p for p in info.path)
    assert_lstsq_close(x, np.linalg.pinv(A) @ b, A, b, np.float64, rank=25)


def test_failed_backward_error_check_falls_back_to_tsqr(sync):
    A, b, _ = ls_problem(3000, 30, 1e8, 1.0, seed=11)
    B = np.stack([b, A @ np.ones(30)], axis=1)  # the consistent column needs no iteration
    X, info = sketch_lstsq(da.from_array(A, chunks=(800, -1)), B, maxiter=1, random_state=0, return_info=True)
    _, ref = sketch_lstsq(A, B, maxiter=1, random_state=0, return_info=True)
    assert info.fallback == ref.fallback == "backward_error" and info.fallback_columns == [0]
    assert not info.converged and info.method == "spir" and len(info.iterations) == 3
    assert "TSQR" in info.path[-1]
    # consistent column, kappa = 1e8: forward error within eps kappa (Wedin, r = 0)
    np.testing.assert_allclose(X[:, 1], np.ones(30), rtol=0, atol=2 * THRESH * 3000 * U64 * 1e8)
    for j in range(2):
        assert kw_backward_error(A, B[:, j], X[:, j]) <= 10 * U64
    assert info.backward_error <= 10 * U64


def test_small_problem_and_empty_right_hand_sides(sync):
    rng = np.random.default_rng(4)
    A = rng.standard_normal((200, 40))  # m <= sketch size: A itself is factored
    b = rng.standard_normal(200)
    x, info = sketch_lstsq(da.from_array(A, chunks=(64, -1)), b, random_state=0, return_info=True)
    assert info.sketch == "identity" and kw_backward_error(A, b, x) <= 10 * U64
    X, info0 = sketch_lstsq(da.from_array(A, chunks=(64, -1)), np.zeros((200, 0)), return_info=True)
    assert X.shape == (40, 0) and info0.backward_errors.shape == (0,)


def test_arguments(sync):
    A = da.random.default_rng(0).standard_normal((3000, 20), chunks=(1000, 10))
    b = np.ones(3000)
    with pytest.raises(ValueError, match=r"A\.rechunk\(\{1: -1\}\)"):
        sketch_lstsq(A, b)
    A = A.rechunk({1: -1})
    with pytest.raises(ValueError, match="tall"):
        sketch_lstsq(A[:10], np.ones(10))
    with pytest.raises(ValueError, match="3000 rows"):
        sketch_lstsq(A, da.ones(2999, chunks=1000))
    with pytest.raises(TypeError, match="dask array"):
        sketch_lstsq(np.ones((3000, 20)), da.ones(3000, chunks=1000))
    with pytest.raises(TypeError, match=r"srht|SparseSignSketch"):
        sketch_lstsq(A, b, sketch="srht")
    with pytest.raises(ValueError, match="maxiter"):
        sketch_lstsq(A, b, maxiter=0)
    bad = da.where(da.arange(3000)[:, None] == 5, np.nan, A)
    with pytest.raises(ValueError, match="infs or NaNs"):
        sketch_lstsq(bad, b)


def test_row_vectors_keep_their_column_norms(sync):
    """The m x k arrays of the solver: column subsets and updates, with their norms from the fused pass."""
    from pivotal.randomized._dask_lstsq import _DaskOps

    rng = np.random.default_rng(3)
    A, C = rng.standard_normal((500, 6)), rng.standard_normal((500, 3))
    Z, alpha = rng.standard_normal((6, 3)), np.array([0.5, -2.0, 1.0])
    ops = _DaskOps(da.from_array(A, chunks=(120, -1)))
    t, w = ops.fused(Z, da.from_array(C, chunks=(120, -1)), alpha)
    t_np = A @ Z - C * alpha
    # chunked products: each entry within gamma_{k+1} (|A||Z| + |C||alpha|) of the in-memory one
    tol_t = 2 * 7 * U64 * (np.abs(A) @ np.abs(Z) + np.abs(C) * np.abs(alpha)).max()
    np.testing.assert_allclose(t.compute(), t_np, rtol=0, atol=tol_t)
    tol_w = 2 * 500 * U64 * (np.abs(A.T) @ (np.abs(t_np) + tol_t)).max()
    np.testing.assert_allclose(w, A.T @ t_np, rtol=0, atol=tol_w)
    np.testing.assert_allclose(
        ops.colnorms(t), np.linalg.norm(t_np, axis=0), rtol=0, atol=np.sqrt(500) * tol_t
    )
    r, _ = ops.fused(Z[:, [2]], da.from_array(C[:, [2]], chunks=(120, -1)), None)
    sub = ops.take(t, np.array([0, 2]))
    merged = ops.set_cols(t, np.array([1]), r)
    expect = t_np.copy()
    expect[:, 1] = C[:, 2] - A @ Z[:, 2]
    np.testing.assert_allclose(merged.compute(), expect, rtol=0, atol=tol_t)
    assert sub.name in ops._norms and merged.name in ops._norms  # no extra pass for their norms
    np.testing.assert_allclose(
        ops.colnorms(merged), np.linalg.norm(expect, axis=0), rtol=0, atol=np.sqrt(500) * tol_t
    )
    np.testing.assert_allclose(
        ops.colnorms(sub), np.linalg.norm(t_np[:, [0, 2]], axis=0), rtol=0, atol=np.sqrt(500) * tol_t
    )


# --------------------------------------------------------------------------- distributed, lazy A

_CALLS = {"n": 0}
_LOCK = threading.Lock()


@functools.cache
def _right_factor() -> np.ndarray:
    V, _ = np.linalg.qr(np.random.default_rng(7).standard_normal((N, N)))
    return np.logspace(0, -6, N)[:, None] * V.T


def _rows(r0: int, r1: int) -> np.ndarray:
    """Rows ``[r0, r1)`` of ``A = G diag(sigma) V^T`` (kappa ~ 1e6), independent of the chunking."""
    return tile_normal(root_key(2025), r0, r1, N, stream=0) @ _right_factor()


def _block(block_info=None):
    (r0, r1), _ = block_info[None]["array-location"]
    with _LOCK:
        _CALLS["n"] += 1
    return _rows(r0, r1)


def _lazy(chunk_rows: tuple[int, ...]):
    assert sum(chunk_rows) == M_LAZY
    return da.map_blocks(
        _block, chunks=(chunk_rows, (N,)), dtype=np.float64, meta=np.empty((0, 0), dtype=np.float64)
    )


@functools.cache
def _lazy_problem() -> tuple[np.ndarray, np.ndarray, np.ndarray, SketchLstsqInfo]:
    """The dense ``A``, ``b`` of the lazy tests and the in-memory solution and info."""
    A = _rows(0, M_LAZY)
    b = A @ np.ones(N) + np.random.default_rng(1).standard_normal(M_LAZY)
    x, ref = sketch_lstsq(A, b, random_state=7, return_info=True)
    return A, b, x, ref


def _solve_lazy(chunks: tuple[int, ...]) -> tuple[np.ndarray, SketchLstsqInfo]:
    """Solve with the lazy ``A`` chunked by ``chunks``; checks the passes over ``A`` and the info."""
    A, b, x, ref = _lazy_problem()
    _CALLS["n"] = 0
    xd, info = sketch_lstsq(_lazy(chunks), da.from_array(b, chunks=chunks), random_state=7, return_info=True)
    # each pass generates every chunk exactly once: A is never gathered or persisted
    assert _CALLS["n"] == len(chunks) * info.passes, (_CALLS["n"], info.passes)
    _same_info(info, ref, A, b)
    # two backward-stable solutions: Wedin's bound (helpers.assert_lstsq_close)
    assert_lstsq_close(xd, x, A, b, np.float64)
    return xd, info


def test_lazy_matrix_on_cluster_reads_each_chunk_once_per_pass(client):
    """On a distributed cluster, A never exists as a whole and the answer is NumPy's."""
    _solve_lazy((1500, 4000, 2500))


def test_any_chunking_gives_the_same_answer(sync):
    x1, _ = _solve_lazy((M_LAZY,))
    x2, _ = _solve_lazy((30, 3970, 3998, 2))  # chunks with fewer rows than n
    A, b, _, _ = _lazy_problem()
    assert_lstsq_close(x2, x1, A, b, np.float64)
