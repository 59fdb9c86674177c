"""pivotal.krylov.gmres against scipy.sparse.linalg.gmres, and its batching, backends and errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse
import scipy.sparse.linalg as ssl
from hypothesis import given, settings
from hypothesis import strategies as st

import pivotal as pv
from pivotal.errors import LinAlgWarning
from pivotal.krylov import gmres

from .helpers import DTYPES, to_np
from .krylov_cases import assert_close_to, assert_converged, laplacian_2d, nonsymmetric, rhs


def _rtol(dtype):
    """A tolerance well above the dtype's attainable accuracy (single: u ~ 6e-8; double: u ~ 1e-16)."""
    return 1e-4 if np.dtype(dtype) in (np.float32, np.complex64) else 1e-9


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("restart", [None, 5])
def test_against_scipy(dtype, restart):
    rng = np.random.default_rng(21)
    a = nonsymmetric(rng, 50, dtype)
    b = rhs(rng, 50, None, dtype)
    rtol = _rtol(dtype)
    x, info = gmres(a, b, rtol=rtol, restart=restart, return_info=True)
    xs, code = ssl.gmres(a, b, rtol=rtol, restart=restart)
    assert x.shape == b.shape and x.dtype == np.dtype(dtype)
    assert info.info == 0 == code
    # gmres decides convergence on the true residual: no drift allowance needed, but the
    # residual's own rounding (the drift bound at 0 iterations) is.
    assert_converged(a, b, x, info, rtol, 0.0, dtype)
    assert_close_to(a, b, x, xs, dtype)
    assert_close_to(a, b, x, np.linalg.solve(a.astype(np.complex128), b), dtype)
    x2, code2 = gmres(a, b, rtol=rtol, restart=restart)
    assert isinstance(code2, int) and code2 == 0
    np.testing.assert_array_equal(x2, x)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_batched_columns_match_scipy_per_column(dtype):
    rng = np.random.default_rng(22)
    a = nonsymmetric(rng, 40, dtype)
    b = rhs(rng, 40, 4, dtype)
    b[:, 1] *= 1e-4
    b[:, 3] = 0
    x0 = rhs(rng, 40, 4, dtype)
    x, info = gmres(a, b, x0, rtol=1e-9, restart=8, return_info=True)
    assert x.shape == (40, 4) and info.info == 0 and info.converged.all()
    assert_converged(a, b, x, info, 1e-9, 0.0, dtype)
    np.testing.assert_array_equal(x[:, 3], 0)
    for j in range(4):
        xs, code = ssl.gmres(a, b[:, j], x0[:, j], rtol=1e-9, restart=8)
        assert code == 0
        assert_close_to(a, b[:, j], x[:, j], xs, dtype)


def test_preconditioned_by_low_precision_factorization_and_operators():
    rng = np.random.default_rng(23)
    n = 80
    a = pv.gallery.randsvd(n, 1e6, mode=3, random_state=3)
    b = rhs(rng, n, 2, np.float64)
    # A float32 LU of A: an approximate inverse (GMRES-IR's preconditioner).
    F = pv.factorize(a.astype(np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LinAlgWarning)
        _, info_plain = gmres(a, b, rtol=1e-10, maxiter=2, return_info=True)
        x, info = gmres(a, b, rtol=1e-10, M=F, return_info=True)
    assert info.info == 0
    assert_converged(a, b, x, info, 1e-10, 0.0, np.float64)
    assert_close_to(a, b, x, np.linalg.solve(a, b), np.float64)
    assert info.iterations.max() < info_plain.iterations.min()
    inv32 = np.linalg.inv(a.astype(np.float32)).astype(np.float64)
    lo = ssl.LinearOperator((n, n), matvec=lambda v: inv32 @ v, dtype=np.float64)
    for M in (lo, inv32, lambda v: inv32 @ v):
        xm, info_m = gmres(a, b, rtol=1e-10, M=M, return_info=True)
        assert info_m.info == 0
        assert_converged(a, b, xm, info_m, 1e-10, 0.0, np.float64)
    xs, code = ssl.gmres(a, b[:, 0], rtol=1e-10, M=lo)
    assert code == 0
    assert_close_to(a, b[:, 0], x[:, 0], xs, np.float64)


def test_sparse_linear_operator_and_callable():
    lap = laplacian_2d(10)
    n = lap.shape[0]
    a = (lap + scipy.sparse.diags([0.4], [1], shape=(n, n))).tocsr()  # nonsymmetric
    rng = np.random.default_rng(24)
    b = rhs(rng, n, 2, np.float64)
    xs = np.stack([ssl.gmres(a, b[:, j], rtol=1e-9, restart=30)[0] for j in range(2)], axis=1)
    for A in (a, ssl.aslinearoperator(a), lambda v: a @ v):
        x, info = gmres(A, b, rtol=1e-9, restart=30, return_info=True)
        assert info.info == 0
        assert_converged(a, b, x, info, 1e-9, 0.0, np.float64)
        assert_close_to(a, b, x, xs, np.float64)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128, np.float32])
def test_torch_same_results_and_namespace(dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(25)
    a = nonsymmetric(rng, 30, dtype)
    b = rhs(rng, 30, 3, dtype)
    rtol = _rtol(dtype)
    x_np = gmres(a, b, rtol=rtol)[0]
    xt, info = gmres(torch.from_numpy(a), torch.from_numpy(b), rtol=rtol, return_info=True)
    assert isinstance(xt, torch.Tensor) and xt.dtype == torch.from_numpy(b).dtype
    assert info.info == 0
    assert_converged(a, b, to_np(xt), info, rtol, 0.0, dtype)
    assert_close_to(a, b, to_np(xt), x_np, dtype)
    F = pv.factorize(torch.from_numpy(a))
    xf, info_f = gmres(torch.from_numpy(a), torch.from_numpy(b), rtol=rtol, M=F, return_info=True)
    assert isinstance(xf, torch.Tensor) and info_f.info == 0 and info_f.iterations.max() <= 3


def test_jax_same_results_and_namespace():
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    dtype = np.float64 if jax.config.jax_enable_x64 else np.float32
    rng = np.random.default_rng(26)
    a = nonsymmetric(rng, 30, dtype)
    b = rhs(rng, 30, 2, dtype)
    rtol = _rtol(dtype)
    xj, info = gmres(jnp.asarray(a), jnp.asarray(b), rtol=rtol, restart=6, return_info=True)
    assert isinstance(xj, jax.Array) and info.info == 0
    assert_converged(a, b, np.asarray(xj), info, rtol, 0.0, dtype)
    assert_close_to(a, b, np.asarray(xj), gmres(a, b, rtol=rtol, restart=6)[0], dtype)


def test_x0_maxiter_callback_types():
    rng = np.random.default_rng(27)
    a = nonsymmetric(rng, 40) + np.diag(np.logspace(0, 3, 40))
    b = rhs(rng, 40, None, np.float64)
    x_exact = np.linalg.solve(a, b)
    x, info = gmres(a, b, x_exact, rtol=1e-6, return_info=True)
    assert info.info == 0 and info.iterations[0] == 0
    np.testing.assert_array_equal(x, x_exact)
    _, info = gmres(a, b, rtol=1e-14, restart=3, maxiter=2, return_info=True)
    _, code = ssl.gmres(a, b, rtol=1e-14, restart=3, maxiter=2)
    assert info.info == 2 == code and not info.converged[0] and info.iterations[0] == 6
    xs_cb, ours_cb = [], []
    gmres(a, b, rtol=1e-8, restart=5, callback=ours_cb.append, callback_type="x")
    ssl.gmres(a, b, rtol=1e-8, restart=5, callback=xs_cb.append, callback_type="x")
    assert len(ours_cb) == len(xs_cb) and ours_cb[-1].shape == (40,)
    pr, prs = [], []
    gmres(a, b, rtol=1e-8, restart=5, callback=pr.append, callback_type="pr_norm")
    ssl.gmres(a, b, rtol=1e-8, restart=5, callback=prs.append, callback_type="pr_norm")
    assert len(pr) == len(prs) and all(isinstance(v, float) for v in pr)
    # The same recurrence with other rounding (CGS2 against SciPy's MGS): each estimate of
    # ||M r|| / ||b|| carries an error of order n u kappa(A) (Arnoldi's backward error, Greenbaum
    # 1997, times the conditioning of the small least-squares problem).
    np.testing.assert_allclose(pr, prs, rtol=0, atol=40 * 40 * np.finfo(float).eps * np.linalg.cond(a))
    legacy = []
    _, code = gmres(a, b, rtol=1e-14, restart=5, maxiter=7, callback=legacy.append, callback_type="legacy")
    assert len(legacy) == 7 and code == 7  # legacy: maxiter counts inner iterations
    batched = []
    gmres(a, np.stack([b, b], axis=1), rtol=1e-8, callback=batched.append, callback_type="pr_norm")
    assert batched[0].shape == (2,)
    with pytest.raises(ValueError, match="callback_type"):
        gmres(a, b, callback=print, callback_type="nope")


@pytest.mark.parametrize("shape", [(0,), (0, 2), (4, 0)])
def test_empty(shape):
    x, info = gmres(np.eye(shape[0]), np.ones(shape), return_info=True)
    assert x.shape == shape and info.info == 0


def test_zero_rhs_and_singular_breakdown():
    a = nonsymmetric(np.random.default_rng(28), 10)
    x, info = gmres(a, np.zeros(10), np.ones(10))
    assert info == 0
    np.testing.assert_array_equal(x, 0)
    # A singular system without a solution: the Krylov space becomes invariant short of b.
    s = np.diag([1.0, 2.0, 0.0])
    with pytest.warns(LinAlgWarning, match="invariant"):
        x, info = gmres(s, np.array([1.0, 1.0, 1.0]), rtol=1e-10, return_info=True)
    assert info.info > 0 and not info.converged[0]


def test_bad_input():
    a = nonsymmetric(np.random.default_rng(29), 6)
    b = np.ones(6)
    with pytest.raises(ValueError, match="infs or NaNs"):
        gmres(a, np.full(6, np.nan))
    with pytest.raises(ValueError, match="square"):
        gmres(np.ones((6, 3)), b)
    with pytest.raises(ValueError, match="rows"):
        gmres(a, np.ones(7))
    with pytest.raises(ValueError, match="restart"):
        gmres(a, b, restart=0)
    with pytest.raises(ValueError, match="rtol"):
        gmres(a, b, rtol=-1.0)
    with pytest.raises(ValueError, match="masked"):
        gmres(np.ma.masked_array(a), b)


def test_non_finite_operator_is_a_breakdown():
    a = nonsymmetric(np.random.default_rng(30), 8)

    def bad(v):
        out = a @ v
        return out * np.nan if abs(v[0]) > 0 else out

    with pytest.warns(LinAlgWarning, match="non-finite"):
        x, info = gmres(bad, np.ones(8), return_info=True)
    assert info.info == -1 and info.breakdown[0]
    assert np.all(np.isfinite(x))


def test_inputs_not_modified():
    rng = np.random.default_rng(31)
    a = nonsymmetric(rng, 12)
    b, x0 = rhs(rng, 12, 2, np.float64), rhs(rng, 12, 2, np.float64)
    copies = [a.copy(), b.copy(), x0.copy()]
    gmres(a, b, x0, rtol=1e-8, restart=4)
    for orig, c in zip((a, b, x0), copies, strict=True):
        np.testing.assert_array_equal(orig, c)


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 25),
    k=st.integers(1, 3),
    restart=st.integers(1, 30),
    seed=st.integers(0, 2**32 - 1),
    cplx=st.booleans(),
)
def test_property_gmres_converges(n, k, restart, seed, cplx):
    rng = np.random.default_rng(seed)
    dtype = np.complex128 if cplx else np.float64
    a = nonsymmetric(rng, n, dtype) + 2 * np.eye(n)  # field of values away from 0: restarts converge
    b = rhs(rng, n, k, dtype)
    x, info = gmres(a, b, rtol=1e-10, restart=restart, maxiter=200, return_info=True)
    assert info.info == 0
    assert_converged(a, b, x, info, 1e-10, 0.0, dtype)
    assert_close_to(a, b, x, np.linalg.solve(a, b), dtype)
