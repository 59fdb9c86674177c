"""Interpolative decomposition and CUR: error bounds, tolerance mode, SciPy conventions, backends."""

from __future__ import annotations

import inspect
import pickle

import numpy as np
import pytest
import scipy.linalg.interpolative as sli

from pivotal import gallery
from pivotal.randomized import (
    CURResult,
    cur,
    interp_decomp,
    interpolative,
    reconstruct_interp_matrix,
    reconstruct_matrix_from_id,
    reconstruct_skel_matrix,
)

from .helpers import DTYPES, THRESH, random_matrix, to_np, torch, u_of


def _skeleton_err(A, idx, k, dtype=np.float64) -> float:
    """Two QRCP-based IDs with the same skeleton: the interpolation matrix R11^{-1} R12 of each
    is exact for a THRESH m u perturbation, which moves it by kappa(A[:, skeleton]) times that."""
    A = np.asarray(A)
    cols = np.asarray(idx)[:k]
    return 2 * THRESH * A.shape[0] * u_of(dtype) * np.linalg.cond(A[:, cols].astype(np.complex128))


def _decaying(kind: str, m: int = 160, n: int = 120, dtype=np.float64, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if kind == "geometric":
        return gallery.randsvd(n, 1e12, 3, m=m, dtype=dtype, random_state=rng)
    if kind == "algebraic":
        U = np.linalg.qr(random_matrix(rng, (m, n), dtype))[0]
        V = np.linalg.qr(random_matrix(rng, (n, n), dtype))[0]
        return ((U / np.arange(1, n + 1) ** 2) @ V.conj().T).astype(dtype)
    # exact rank 15 plus noise
    return (
        gallery.rank_deficient(m, n, 15, dtype=dtype, random_state=rng)
        + 1e-8 * random_matrix(rng, (m, n), dtype)
    ).astype(dtype)


def _id_error(A, idx, proj) -> float:
    k = proj.shape[0]
    return float(np.linalg.norm(A - reconstruct_matrix_from_id(A[:, idx[:k]], idx, proj), 2))


def _max_col_residual(A, k, idx, proj) -> float:
    E = A[:, idx[k:]] - A[:, idx[:k]] @ proj
    return float(np.linalg.norm(E, axis=0).max()) if E.size else 0.0


# --------------------------------------------------------------------------- fixed rank


@pytest.mark.parametrize("kind", ["geometric", "algebraic", "gap"])
@pytest.mark.parametrize("k", [5, 15, 40])
@pytest.mark.parametrize("rand", [True, False])
def test_id_error_bounded_and_comparable_to_scipy(kind, k, rand):
    A = _decaying(kind)
    n = A.shape[1]
    s = np.linalg.svd(A, compute_uv=False)
    bound = np.sqrt(k * (n - k) + 1) * s[k]
    idx, proj = interpolative(A, k, rand=rand, random_state=0 if rand else None)
    assert idx.dtype == np.int64 and sorted(idx.tolist()) == list(range(n))
    assert proj.shape == (k, n - k)
    err = _id_error(A, idx, proj)
    assert err <= bound
    idx_s, proj_s = sli.interp_decomp(A, k, rand=rand, rng=np.random.default_rng(0))
    err_s = _id_error(A, idx_s, proj_s)
    assert (
        err <= 10 * err_s + THRESH * A.shape[0] * u_of(A.dtype) * s[0]
    )  # comparable, above the rounding floor
    if not rand:  # both are QRCP of A: the same skeleton and interpolation matrix
        assert np.array_equal(idx[:k], idx_s[:k])
        P, P_s = reconstruct_interp_matrix(idx, proj), sli.reconstruct_interp_matrix(idx_s, proj_s)
        tol = _skeleton_err(A, idx, k) * max(1.0, np.abs(P_s).max())
        assert np.allclose(P, P_s, rtol=0, atol=tol)


@pytest.mark.parametrize("dtype", DTYPES)
def test_id_dtypes(dtype):
    A = _decaying("geometric", 90, 70, dtype=dtype, seed=1)
    k = 12
    idx, proj = interpolative(A, k, random_state=2)
    assert proj.dtype == dtype
    s = np.linalg.svd(A.astype(np.complex128), compute_uv=False)
    assert _id_error(A.astype(np.complex128), idx, proj) <= np.sqrt(k * 58 + 1) * s[k] + 1e3 * u_of(dtype)


def test_id_rank_deficient_and_zero():
    rng = np.random.default_rng(3)
    A = rng.standard_normal((40, 3)) @ rng.standard_normal((3, 30))
    for rand in (True, False):
        idx, proj = interpolative(A, 6, rand=rand)  # k above the rank
        assert np.all(np.isfinite(proj))
        # exact up to rounding: THRESH m u ||A|| (1 + ||P||)
        P_norm = np.linalg.norm(reconstruct_interp_matrix(idx, proj), 2)
        assert _id_error(A, idx, proj) < THRESH * 40 * u_of(np.float64) * np.linalg.norm(A, 2) * (1 + P_norm)
    Z = np.zeros((10, 8))
    idx, proj = interpolative(Z, 3, random_state=0)
    assert np.all(proj == 0)
    k, idx, proj = interpolative(Z, 1e-3, random_state=0)
    assert k == 0 and proj.shape == (0, 8)


def test_id_sketch_as_large_as_a_is_deterministic():
    A = _decaying("geometric", 20, 60)
    assert np.array_equal(interpolative(A, 12, random_state=0)[0], interpolative(A, 12, rand=False)[0])


# --------------------------------------------------------------------------- tolerance


@pytest.mark.parametrize("kind", ["geometric", "algebraic"])
@pytest.mark.parametrize("eps", [1e-2, 1e-5, 1e-9])
def test_tolerance_mode_meets_eps(kind, eps):
    A = _decaying(kind)
    colmax = np.linalg.norm(A, axis=0).max()
    kd, idx, proj = interpolative(A, eps, rand=False)
    assert _max_col_residual(A, kd, idx, proj) <= eps * colmax
    ks, _, _ = sli.interp_decomp(A, eps, rand=False)
    assert kd == ks
    for seed in range(3):
        k, idx, proj = interpolative(A, eps, random_state=seed)
        assert proj.shape == (k, A.shape[1] - k)
        assert _max_col_residual(A, k, idx, proj) <= eps * colmax
        assert 0.8 * kd - 5 <= k <= 1.25 * kd + 5  # near QRCP's rank (sometimes below it)
        # and the spectral error is of the size eps asks for
        assert _id_error(A, idx, proj) <= np.sqrt(A.shape[1]) * eps * colmax


def test_tolerance_zero_and_full_rank():
    A = np.random.default_rng(0).standard_normal((30, 20))
    k, _, proj = interpolative(A, 0.0, random_state=0)
    assert k == 20 and proj.shape == (20, 0)
    assert interpolative(A, 0.0, rand=False)[0] == 20


# --------------------------------------------------------------------------- SciPy conventions


def test_reconstruction_helpers_match_scipy():
    A = _decaying("geometric", 50, 40)
    idx, proj = interpolative(A, 10, random_state=0)
    B = reconstruct_skel_matrix(A, 10, idx)
    assert np.array_equal(B, sli.reconstruct_skel_matrix(A, 10, idx))
    P = reconstruct_interp_matrix(idx, proj)
    assert np.allclose(P, sli.reconstruct_interp_matrix(idx, proj))
    assert np.allclose(reconstruct_matrix_from_id(B, idx, proj), sli.reconstruct_matrix_from_id(B, idx, proj))
    assert np.allclose(B @ P, reconstruct_matrix_from_id(B, idx, proj))


@pytest.mark.parametrize(
    "dtype,working",
    [(np.bool_, np.float32), (np.float16, np.float32), (np.int64, np.float64), (np.int8, np.float64)],
)
def test_reconstruct_matrix_from_id_computes_in_the_working_precision(dtype, working):
    """bool @ bool was a logical product, float16 @ float16 a half-precision one (SciPy refuses both).

    pivotal computes B P in the working precision (float32 for bool and float16, float64 for
    integers), and the entries here are small integers, so the product is exact there.
    """
    rng = np.random.default_rng(1)
    idx = rng.permutation(6)
    b = rng.integers(0, 2, (5, 2)) if dtype is np.bool_ else rng.integers(-3, 4, (5, 2))
    proj = rng.integers(0, 2, (2, 4)) if dtype is np.bool_ else rng.integers(-3, 4, (2, 4))
    want = b @ reconstruct_interp_matrix(idx, proj.astype(np.float64))  # integers: exact
    got = reconstruct_matrix_from_id(b.astype(dtype), idx, proj.astype(dtype))
    assert got.dtype == working
    assert np.array_equal(got, want)
    if torch is not None and dtype in (np.bool_, np.float16):
        tb, tp = torch.from_numpy(b.astype(dtype)), torch.from_numpy(proj.astype(dtype))
        got = reconstruct_matrix_from_id(tb, torch.from_numpy(idx), tp)
        assert got.dtype == torch.float32 and np.array_equal(to_np(got), want)


def test_interp_decomp_is_scipy_compatible():
    assert list(inspect.signature(interp_decomp).parameters) == list(
        inspect.signature(sli.interp_decomp).parameters
    )
    A = _decaying("geometric", 50, 40)
    idx, proj = interp_decomp(A, 8, True, np.random.default_rng(0))
    assert proj.shape == (8, 32)
    k, idx, proj = interp_decomp(A, 1e-4)
    ks, _, _ = sli.interp_decomp(A, 1e-4, rand=False)
    assert abs(k - ks) <= 0.2 * ks + 3
    idx, proj = interp_decomp(A, 8.0, rand=False, rng=5)  # rng is ignored without rand, as in SciPy
    assert np.array_equal(idx[:8], sli.interp_decomp(A, 8, rand=False)[0][:8])


# --------------------------------------------------------------------------- CUR


@pytest.mark.parametrize("kind", ["geometric", "algebraic", "gap"])
@pytest.mark.parametrize("k", [5, 15, 40])
def test_cur_error(kind, k):
    A = _decaying(kind)
    s = np.linalg.svd(A, compute_uv=False)
    res = cur(A, k, random_state=1)
    C, U, R = res
    assert C.shape == (160, k) and U.shape == (k, k) and R.shape == (k, 120)
    assert np.array_equal(C, A[:, res.cols]) and np.array_equal(R, A[res.rows, :])
    assert len(set(res.rows.tolist())) == k and len(set(res.cols.tolist())) == k
    err = np.linalg.norm(A - C @ U @ R, 2)
    idx, proj = interpolative(A, k, random_state=1)
    # CUR costs at most a modest factor over the column ID it starts from
    assert err <= 10 * _id_error(A, idx, proj) + 1e-12 * s[0]
    assert err <= np.sqrt(k * (120 - k) + 1) * s[k] * 3


@pytest.mark.parametrize("dtype", [np.float32, np.complex128])
def test_cur_dtypes_and_deterministic(dtype):
    A = _decaying("geometric", 70, 60, dtype=dtype)
    C, U, R = cur(A, 10, rand=False)
    assert U.dtype == dtype
    s = np.linalg.svd(A.astype(np.complex128), compute_uv=False)
    assert np.linalg.norm(A - C @ U @ R, 2) <= 50 * s[10] + 1e3 * u_of(dtype)


def test_cur_result_object():
    A = _decaying("geometric", 40, 30)
    res = cur(A, 4, random_state=0)
    assert isinstance(res, CURResult) and isinstance(res, tuple) and len(res) == 3
    assert "k=4" in repr(res)
    res2 = pickle.loads(pickle.dumps(res))
    assert np.array_equal(res2.rows, res.rows) and np.array_equal(res2.U, res.U)


# --------------------------------------------------------------------------- backends


@pytest.mark.skipif(torch is None, reason="torch not installed")
@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_torch_matches_numpy(dtype):
    A = _decaying("geometric", 80, 60, dtype=dtype)
    t = torch.from_numpy(A)
    idx_n, proj_n = interpolative(A, 10, random_state=4)
    idx_t, proj_t = interpolative(t, 10, random_state=4)
    assert isinstance(proj_t, torch.Tensor) and idx_t.dtype == torch.int64
    assert np.array_equal(to_np(idx_t), idx_n)
    assert np.allclose(to_np(proj_t), proj_n, rtol=0, atol=_skeleton_err(A, idx_n, 10, dtype))
    k_n, idx_n, _ = interpolative(A, 1e-5, random_state=4)
    k_t, idx_t, _ = interpolative(t, 1e-5, random_state=4)
    assert k_n == k_t and np.array_equal(to_np(idx_t), idx_n)
    C, U, R = res = cur(t, 10, random_state=4)
    ref = cur(A, 10, random_state=4)
    assert np.array_equal(to_np(res.rows), ref.rows)
    # U = C^+ A R^+ moves by kappa(C) kappa(R) times the backward error THRESH m u ||A||
    kc, kr = np.linalg.cond(ref.C), np.linalg.cond(ref.R)
    tol = 2 * THRESH * 80 * u_of(dtype) * kc * kr * np.linalg.norm(A, 2)
    assert np.allclose(to_np(C @ U @ R), ref.C @ ref.U @ ref.R, rtol=0, atol=tol)
    P = reconstruct_interp_matrix(idx_t, proj_t)
    assert isinstance(P, torch.Tensor)


@pytest.mark.skipif(torch is None, reason="torch not installed")
def test_torch_generator():
    A = torch.from_numpy(_decaying("geometric", 80, 60))
    idx1, _ = interpolative(A, 10, random_state=torch.Generator().manual_seed(1))
    idx2, _ = interpolative(A, 10, random_state=torch.Generator().manual_seed(1))
    assert torch.equal(idx1, idx2)


def test_jax_in_jax_out():
    jnp = pytest.importorskip("jax.numpy")
    A = _decaying("geometric", 40, 30).astype(np.float32)
    idx, proj = interpolative(jnp.asarray(A), 5, random_state=0)
    assert type(proj).__module__.startswith("jax")
    ref_idx, ref_proj = interpolative(A, 5, random_state=0)
    assert np.array_equal(np.asarray(idx), ref_idx)
    P = reconstruct_interp_matrix(idx, proj)
    ref_P = reconstruct_interp_matrix(ref_idx, ref_proj)
    tol = _skeleton_err(A.astype(np.float64), ref_idx, 5, np.float32) * max(1.0, np.abs(ref_P).max())
    assert np.allclose(np.asarray(P), ref_P, rtol=0, atol=tol)
    res = cur(jnp.asarray(A), 5, random_state=0)
    assert all(type(x).__module__.startswith("jax") for x in (*res, res.rows, res.cols))


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "eps_or_k,kwargs,match",
    [
        (-0.1, {}, "finite number >= 0"),
        (np.nan, {}, "finite number >= 0"),
        (True, {}, "must be a number"),
        ("3", {}, "must be a number"),
        (2.5, {}, "must be an integer"),
        (31, {}, "exceeds min"),
        (3, {"rand": False, "random_state": 0}, "no effect with rand=False"),
        (3, {"rand": False, "n_oversamples": 4}, "drop it with rand=False"),
        (3, {"n_oversamples": -2}, "n_oversamples must be an integer >= 0"),
    ],
)
def test_bad_arguments(eps_or_k, kwargs, match):
    with pytest.raises(ValueError, match=match):
        interpolative(np.ones((40, 30)), eps_or_k, **kwargs)


def test_bad_arguments_elsewhere():
    A = np.ones((8, 6))
    with pytest.raises(ValueError, match="integer rank"):
        cur(A, 0.5)
    with pytest.raises(ValueError, match="k must be an integer in"):
        cur(A, 7)
    with pytest.raises(ValueError, match="non-empty"):
        cur(np.ones((0, 3)), 1)
    with pytest.raises(ValueError, match="needs k"):
        reconstruct_interp_matrix(np.arange(5), np.ones((2, 4)))
    with pytest.raises(ValueError, match="infs or NaNs"):
        interpolative(np.full((3, 3), np.inf), 1)
    with pytest.raises(TypeError, match="random_state"):
        interpolative(np.ones((40, 30)), 2, random_state="x")
