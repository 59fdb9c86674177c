"""Random numbers and sketching operators (pivotal.randomized._random, .sketches):
subspace embedding, E[S^H S] = I, exact agreement with the dense operator, reproducibility,
backend agreement for a fixed seed, chunk-independent counter-based generation, bad arguments."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse

from pivotal.randomized import GaussianSketch, SparseSignSketch, SRHTSketch, sketch
from pivotal.randomized._random import (
    TILE_ROWS,
    as_generator,
    root_key,
    standard_normal,
    tile_normal,
    tile_sparse_sign,
)

from .helpers import DTYPES, random_matrix, to_np, torch

KINDS = ["gaussian", "sparse_sign", "srht"]
needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")


def _tol(dtype) -> float:
    return 1e-4 if np.dtype(dtype) in (np.float32, np.complex64) else 1e-12


# --------------------------------------------------------------------------- _random


def test_standard_normal_numpy_reproducible_and_moments():
    a = standard_normal((400, 300), random_state=0)
    assert a.shape == (400, 300) and a.dtype == np.float64
    assert np.array_equal(a, standard_normal((400, 300), random_state=0))
    assert not np.array_equal(a, standard_normal((400, 300), random_state=1))
    assert abs(a.mean()) < 0.01 and abs(a.var() - 1) < 0.02
    z = standard_normal((400, 300), dtype=np.complex128, random_state=0)
    assert z.dtype == np.complex128
    assert abs(np.mean(np.abs(z) ** 2) - 1) < 0.02
    assert abs(np.mean(z.real**2) - 0.5) < 0.02
    assert standard_normal(5, dtype=np.float32, random_state=0).dtype == np.float32


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
def test_standard_normal_torch_equals_numpy_for_seed(dtype):
    like = torch.zeros(1)
    t = standard_normal((7, 5), like=like, dtype=dtype, random_state=3)
    assert isinstance(t, torch.Tensor) and t.device == like.device
    assert np.array_equal(to_np(t), standard_normal((7, 5), dtype=dtype, random_state=3))
    g = np.random.default_rng(5)
    t2 = standard_normal((4, 3), like=like, dtype=dtype, random_state=g)
    assert np.array_equal(
        to_np(t2), standard_normal((4, 3), dtype=dtype, random_state=np.random.default_rng(5))
    )


@needs_torch
def test_standard_normal_torch_generator():
    g1 = torch.Generator().manual_seed(0)
    g2 = torch.Generator().manual_seed(0)
    a = standard_normal((6, 4), like=torch.zeros(1), random_state=g1)
    b = standard_normal((6, 4), like=torch.zeros(1), random_state=g2)
    assert torch.equal(a, b) and a.dtype == torch.float64
    c = standard_normal((6, 4), dtype=torch.complex64, random_state=torch.Generator().manual_seed(1))
    assert isinstance(c, np.ndarray) and c.dtype == np.complex64


def test_standard_normal_jax_key():
    jax = pytest.importorskip("jax")
    key = jax.random.PRNGKey(0)
    a = standard_normal((5, 3), random_state=key)
    assert isinstance(a, np.ndarray) and a.dtype == np.float64
    assert np.array_equal(a, standard_normal((5, 3), random_state=key))


def test_as_generator_and_bad_random_states():
    g = np.random.default_rng(0)
    assert as_generator(g) is g
    assert as_generator(3).random() == np.random.default_rng(3).random()
    for bad in (True, np.bool_(False), np.random.RandomState(0), "0", 1.5, [1, 2]):
        with pytest.raises(TypeError, match="random_state"):
            as_generator(bad)
        with pytest.raises(TypeError, match="random_state"):
            standard_normal((2, 2), random_state=bad)
    with pytest.raises(ValueError, match="non-negative"):
        as_generator(-1)
    with pytest.raises(ValueError, match="dtype"):
        standard_normal((2, 2), dtype=np.int64, random_state=0)
    with pytest.raises(ValueError, match="shape"):
        standard_normal((-1, 2), random_state=0)


@needs_torch
def test_as_generator_from_torch_generator_is_deterministic():
    a = as_generator(torch.Generator().manual_seed(4)).random()
    b = as_generator(torch.Generator().manual_seed(4)).random()
    assert a == b


@pytest.mark.parametrize("dtype", [np.float64, np.complex128, np.float32])
def test_tile_normal_is_chunk_independent(dtype):
    key = root_key(7)
    m = 2 * TILE_ROWS + 123
    whole = tile_normal(key, 0, m, 3, dtype)
    cuts = [0, 1, 1000, TILE_ROWS, TILE_ROWS + 5, 2 * TILE_ROWS + 100, m]
    parts = np.vstack([tile_normal(key, a, b, 3, dtype) for a, b in itertools.pairwise(cuts)])
    assert whole.dtype == np.dtype(dtype)
    assert np.array_equal(whole, parts)
    assert not np.array_equal(whole, tile_normal(root_key(8), 0, m, 3, dtype))
    assert not np.array_equal(whole, tile_normal(key, 0, m, 3, dtype, stream=1))
    # Distinct tiles are not copies of each other.
    assert not np.allclose(whole[:100], whole[TILE_ROWS : TILE_ROWS + 100])


def test_tile_sparse_sign_is_chunk_independent_and_distinct():
    key = root_key(1)
    m = TILE_ROWS + 77
    rows, signs = tile_sparse_sign(key, 0, m, 20, 8)
    r2 = np.vstack(
        [tile_sparse_sign(key, a, b, 20, 8)[0] for a, b in [(0, 10), (10, TILE_ROWS + 1), (TILE_ROWS + 1, m)]]
    )
    assert np.array_equal(rows, r2)
    assert all(len(set(r)) == 8 for r in rows[:500])
    assert rows.min() >= 0 and rows.max() < 20
    assert set(np.unique(signs)) == {-1.0, 1.0}
    # Rows are roughly uniform over the d positions.
    counts = np.bincount(rows.ravel(), minlength=20)
    assert counts.min() > 0.8 * counts.mean()
    with pytest.raises(ValueError, match="zeta"):
        tile_sparse_sign(key, 0, 5, 4, 5)


def test_root_key():
    assert np.array_equal(root_key(5), root_key(5))
    assert not np.array_equal(root_key(5), root_key(6))
    assert root_key(None).shape == (2,)
    g = np.random.default_rng(0)
    assert not np.array_equal(root_key(g), root_key(g))  # consumes the generator


# --------------------------------------------------------------------------- sketches


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_apply_matches_dense_operator(kind, dtype):
    rng = np.random.default_rng(0)
    m, n, d = 300, 6, 40
    S = sketch(kind, d, m, random_state=2)
    assert S.shape == (d, m)
    M = S.to_dense(dtype)
    A = random_matrix(rng, (m, n), dtype)
    SA = S.apply_left(A)
    assert SA.shape == (d, n) and SA.dtype == np.dtype(dtype)
    assert np.allclose(SA, M @ A, atol=_tol(dtype) * 10, rtol=0)
    B = random_matrix(rng, (n, m), dtype)
    BS = S.apply_right(B)
    assert BS.shape == (n, d) and BS.dtype == np.dtype(dtype)
    assert np.allclose(BS, B @ M.conj().T, atol=_tol(dtype) * 10, rtol=0)
    v = A[:, 0]
    assert np.allclose(S.apply_left(v), SA[:, 0], atol=_tol(dtype))
    assert S.apply_right(B[0]).shape == (d,)


@pytest.mark.parametrize("kind", KINDS)
def test_subspace_embedding(kind):
    rng = np.random.default_rng(1)
    m, n = 3000, 12
    U, _ = np.linalg.qr(rng.standard_normal((m, n)))
    # A Gaussian S has singular values of S U near 1 +- sqrt(n/d) (Marchenko-Pastur): eps ~ 0.5
    # at d = 4n, plus fluctuations; the others are designed to match it.
    for d, eps, seed in [(4 * n, 0.65, 0), (6 * n, 0.5, 1), (8 * n, 0.5, 2)]:
        S = sketch(kind, d, m, random_state=seed)
        sv = np.linalg.svd(S.apply_left(U), compute_uv=False)
        assert 1 - eps <= sv.min() and sv.max() <= 1 + eps, (d, sv.min(), sv.max())
        # Row space of U^T, through apply_right.
        sv2 = np.linalg.svd(S.apply_right(U.T), compute_uv=False)
        assert np.allclose(sv, sv2)


@pytest.mark.parametrize("kind", KINDS)
def test_sketch_is_isotropic_on_average(kind):
    m, d, trials = 16, 8, 300
    acc = np.zeros((m, m))
    for seed in range(trials):
        M = sketch(kind, d, m, random_state=seed).to_dense()
        acc += M.T @ M
    acc /= trials
    assert np.abs(np.diag(acc) - 1).max() < 0.1
    assert np.abs(acc - np.diag(np.diag(acc))).max() < 0.15


def test_column_norms_and_structure():
    M = SparseSignSketch(50, 400, zeta=4, random_state=0).to_dense()
    assert (np.count_nonzero(M, axis=0) == 4).all()
    assert np.allclose(np.abs(M[M != 0]), 0.5)
    assert SparseSignSketch(3, 10, zeta=8, random_state=0).zeta == 3  # capped at d
    S = SRHTSketch(64, 100, random_state=0)
    assert len(set(S.rows.tolist())) == 64
    # The SRHT keeps norms exactly on average over rows: rows of sqrt(m/d) F D are unit norm * sqrt(m/d).
    M = S.to_dense()
    assert np.allclose(np.linalg.norm(M, axis=1), np.sqrt(100 / 64))
    G = GaussianSketch(200, 300, random_state=0).to_dense()
    assert abs(np.mean(G**2) * 200 - 1) < 0.02


@pytest.mark.parametrize("kind", KINDS)
def test_reproducible_for_fixed_seed(kind):
    A = np.random.default_rng(0).standard_normal((500, 4))
    a = sketch(kind, 30, 500, random_state=11).apply_left(A)
    b = sketch(kind, 30, 500, random_state=11).apply_left(A)
    c = sketch(kind, 30, 500, random_state=12).apply_left(A)
    assert np.array_equal(a, b)
    assert not np.allclose(a, c)
    S = sketch(kind, 30, 500, random_state=np.random.default_rng(3))
    assert np.array_equal(S.apply_left(A), S.apply_left(A))  # fixed at construction


@needs_torch
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_torch_equals_numpy(kind, dtype):
    rng = np.random.default_rng(0)
    A = random_matrix(rng, (700, 5), dtype)
    S = sketch(kind, 48, 700, random_state=5)
    ref = S.apply_left(A)
    t = S.apply_left(torch.from_numpy(A))
    assert isinstance(t, torch.Tensor) and to_np(t).dtype == np.dtype(dtype)
    assert np.allclose(to_np(t), ref, atol=_tol(dtype) * 10, rtol=0)
    r = S.apply_right(torch.from_numpy(np.ascontiguousarray(A.T)))
    assert np.allclose(to_np(r), S.apply_right(A.T), atol=_tol(dtype) * 10, rtol=0)


@pytest.mark.parametrize("kind", KINDS)
def test_scipy_sparse_input(kind):
    A = scipy.sparse.random(800, 30, density=0.05, random_state=0, format="coo")
    S = sketch(kind, 40, 800, random_state=0)
    out = S.apply_left(A)
    assert isinstance(out, np.ndarray) and out.shape == (40, 30)
    assert np.allclose(out, S.apply_left(A.toarray()))
    out = S.apply_right(scipy.sparse.csr_array(A.T))
    assert isinstance(out, np.ndarray) and np.allclose(out, S.apply_right(A.toarray().T))
    ints = scipy.sparse.csr_matrix(np.eye(800, 3, dtype=np.int64))
    assert S.apply_left(ints).dtype == np.float64


def _sparse_sign_reference(S: SparseSignSketch) -> np.ndarray:
    """Dense ``S`` straight from the counter-based entries (independent of the product kernels)."""
    rows, signs = tile_sparse_sign(S.key, 0, S.m, S.d, S.zeta)
    M = np.zeros((S.d, S.m))
    M[rows, np.arange(S.m)[:, None]] = signs / np.sqrt(S.zeta)
    return M


@pytest.fixture
def small_blocks(monkeypatch):
    """Shrink the sparse sign kernel's row chunks and column blocks so small inputs take every path."""
    from pivotal.randomized import sketches

    monkeypatch.setattr(sketches, "_ROW_CHUNK", 64)
    monkeypatch.setattr(sketches, "_BLOCK_BYTES", 1)  # 8 columns per block


@pytest.mark.parametrize("blocks", [False, True])
@pytest.mark.parametrize("dtype", DTYPES)
def test_sparse_sign_dense_layouts(dtype, blocks, request):
    if blocks:
        request.getfixturevalue("small_blocks")
    rng = np.random.default_rng(3)
    m, n, d = 300, 21, 40
    S = SparseSignSketch(d, m, random_state=9)
    M = _sparse_sign_reference(S)
    assert np.array_equal(S.matrix().toarray(), M)
    A = random_matrix(rng, (m, n), dtype)
    big = random_matrix(rng, (2 * m, 2 * n), dtype)
    layouts = {
        "C": A,
        "F": np.asfortranarray(A),
        "strided": big[::2, ::2],
        "column slice": big[:m, 5 : 5 + n],
        "read-only": np.frombuffer(A.tobytes(), dtype=dtype).reshape(m, n),
    }
    tol = _tol(dtype) * 10
    for name, X in layouts.items():
        SX = S.apply_left(X)
        assert SX.dtype == np.dtype(dtype) and SX.shape == (d, X.shape[1]), name
        assert np.allclose(SX, M @ X, atol=tol, rtol=0), name
        XS = S.apply_right(X.T)
        assert XS.dtype == np.dtype(dtype) and XS.shape == (X.shape[1], d), name
        assert np.allclose(XS, X.T @ M.T, atol=tol, rtol=0), name
    assert np.allclose(S.apply_left(A[:, 3]), M @ A[:, 3], atol=tol, rtol=0)
    assert np.allclose(S.apply_right(A[:, 3]), M @ A[:, 3], atol=tol, rtol=0)
    assert S.apply_left(A[:, :0]).shape == (d, 0)


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_sparse_sign_scipy_sparse_formats(fmt, dtype):
    rng = np.random.default_rng(4)
    m, n, d = 500, 17, 30
    S = SparseSignSketch(d, m, zeta=5, random_state=2)
    M = _sparse_sign_reference(S)
    dense = random_matrix(rng, (m, n), dtype) * (rng.random((m, n)) < 0.1)
    A = scipy.sparse.coo_array(dense).asformat(fmt)
    out = S.apply_left(A)
    assert isinstance(out, np.ndarray) and out.dtype == np.dtype(dtype)
    assert np.allclose(out, M @ dense, atol=_tol(dtype) * 10, rtol=0)
    right = S.apply_right(A.T.asformat(fmt))
    assert isinstance(right, np.ndarray) and right.dtype == np.dtype(dtype)
    assert np.allclose(right, dense.T @ M.T, atol=_tol(dtype) * 10, rtol=0)


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
def test_sparse_sign_torch_paths_equal_numpy(dtype, small_blocks):
    rng = np.random.default_rng(5)
    m, n, d = 400, 11, 36
    S = SparseSignSketch(d, m, random_state=6)
    A = random_matrix(rng, (m, n), dtype)
    ref = S.apply_left(A)
    tol = _tol(dtype) * 10
    t = torch.from_numpy(A)
    tdt = t.dtype
    strided = torch.from_numpy(np.repeat(A, 2, axis=1))[:, ::2]
    inputs = {"C": t, "F": t.T.contiguous().T, "strided": strided}
    if t.is_complex():
        inputs["conj view"] = torch.from_numpy(A.conj()).conj()
        inputs["neg view"] = torch.from_numpy(-A.conj()).conj().neg()
    for name, x in inputs.items():
        out = S.apply_left(x)
        assert isinstance(out, torch.Tensor) and out.dtype == tdt and out.device == x.device, name
        assert np.allclose(to_np(out), ref, atol=tol, rtol=0), name
    # The path for tensors on other devices (a torch.sparse product), run here on the CPU.
    out = S._left_torch_sparse(t)
    assert out.dtype == tdt and not out.is_sparse
    assert np.allclose(to_np(out), ref, atol=tol, rtol=0)
    right = S.apply_right(t.T)
    assert isinstance(right, torch.Tensor) and np.allclose(to_np(right), ref.T, atol=tol, rtol=0)


def test_check_finite_flag():
    m = 100
    S = SparseSignSketch(10, m, random_state=0)
    bad = np.ones((m, 3))
    bad[7, 1] = np.nan
    for apply, x, transpose in ((S.apply_left, bad, False), (S.apply_right, bad.T, True)):
        with pytest.raises(ValueError, match="infs or NaNs"):
            apply(x)
        out = apply(x, check_finite=False)  # no scan: the NaN propagates to column 1 of S A only
        out = out.T if transpose else out
        assert np.isnan(out[:, 1]).any() and np.isfinite(out[:, [0, 2]]).all()
    sp = scipy.sparse.csr_array(np.where(np.isnan(bad), np.inf, 0.0))
    with pytest.raises(ValueError, match="infs or NaNs"):
        S.apply_left(sp)
    assert np.isinf(S.apply_left(sp, check_finite=False)).any()
    G = GaussianSketch(10, m, random_state=0)
    with pytest.raises(ValueError, match="infs or NaNs"):
        G.apply_right(bad.T)
    assert np.isnan(G.apply_left(bad, check_finite=False)).any()
    if torch is not None:
        with pytest.raises(ValueError, match="infs or NaNs"):
            S.apply_left(torch.from_numpy(bad))
        assert torch.isnan(S.apply_left(torch.from_numpy(bad), check_finite=False)).any()


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown sketch kind"):
        sketch("hadamard", 10, 100)
    with pytest.raises(TypeError):
        sketch(3, 10, 100)
    with pytest.raises(ValueError, match="d \\(the sketch size\\) must be >= 1"):
        sketch("gaussian", 0, 100)
    with pytest.raises(ValueError, match="m \\(the dimension"):
        sketch("gaussian", 10, -3)
    with pytest.raises(TypeError, match="must be an int"):
        sketch("gaussian", 10.0, 100)
    with pytest.raises(TypeError, match="must be an int"):
        sketch("gaussian", True, 100)
    with pytest.raises(ValueError, match="d <= m"):
        sketch("srht", 200, 100)
    with pytest.raises(ValueError, match="takes no option"):
        sketch("gaussian", 10, 100, zeta=4)
    with pytest.raises(ValueError, match="zeta must be >= 1"):
        sketch("sparse_sign", 10, 100, zeta=0)
    with pytest.raises(TypeError, match="random_state"):
        sketch("gaussian", 10, 100, random_state=True)
    S = sketch("sparse-sign", 10, 100, random_state=0)  # alias
    assert isinstance(S, SparseSignSketch) and "zeta=8" in repr(S)
    with pytest.raises(ValueError, match="A has 99 rows but the sketch has m = 100"):
        S.apply_left(np.ones((99, 2)))
    with pytest.raises(ValueError, match="A has 99 columns"):
        S.apply_right(np.ones((2, 99)))
    with pytest.raises(ValueError, match="infs or NaNs"):
        S.apply_left(np.full((100, 2), np.nan))
    with pytest.raises(ValueError, match="infs or NaNs"):
        S.apply_left(scipy.sparse.csr_array(np.full((100, 2), np.inf)))
    with pytest.raises(ValueError, match="expected A to be"):
        S.apply_left(np.ones((100, 2, 2)))


@pytest.mark.parametrize("kind", ["gaussian", "sparse_sign"])
def test_dask_input_is_chunk_independent(kind):
    da = pytest.importorskip("dask.array")
    rng = np.random.default_rng(0)
    m = TILE_ROWS + 1500
    A = rng.standard_normal((m, 5))
    S = sketch(kind, 24, m, random_state=4)
    ref = S.apply_left(A)
    # Chunked sums add the same products in another order: each entry within gamma_m |S||A|,
    # and (|S||A|)_ij <= ||S_i|| ||A_j|| (Cauchy-Schwarz).
    s_rows = np.linalg.norm(S.apply_left(np.eye(m)), axis=1)
    tol = 2 * m * np.finfo(np.float64).eps / 2 * s_rows.max() * np.linalg.norm(A, axis=0).max()
    for rows in (m, 1000, TILE_ROWS, 2345):
        lazy = S.apply_left(da.from_array(A, chunks=(rows, 2)))
        assert isinstance(lazy, da.Array) and lazy.shape == (24, 5)
        assert np.allclose(lazy.compute(scheduler="synchronous"), ref, rtol=0, atol=tol)
    right = S.apply_right(da.from_array(A.T.copy(), chunks=(5, 1000)))
    assert np.allclose(right.compute(scheduler="synchronous"), S.apply_right(A.T), rtol=0, atol=tol)
    with pytest.raises(ValueError, match="A has 10 rows"):
        S.apply_left(da.ones((10, 2)))


def test_srht_refuses_dask():
    da = pytest.importorskip("dask.array")
    with pytest.raises(TypeError, match="cannot be applied block by block"):
        sketch("srht", 4, 10).apply_left(da.ones((10, 2)))
