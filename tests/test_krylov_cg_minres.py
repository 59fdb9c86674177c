"""pivotal.krylov.cg and minres against scipy.sparse.linalg, and their batching, backends and errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse.linalg as ssl
from hypothesis import given, settings
from hypothesis import strategies as st

import pivotal as pv
from pivotal.errors import LinAlgWarning
from pivotal.krylov import KrylovInfo, cg, minres

from .helpers import DTYPES, to_np
from .krylov_cases import (
    assert_close_to,
    assert_converged,
    indefinite,
    laplacian_2d,
    rhs,
    spd,
)

SOLVERS = {"cg": (cg, ssl.cg), "minres": (minres, ssl.minres)}


def _rtol(dtype):
    """A tolerance well above the dtype's attainable accuracy (single: u ~ 6e-8; double: u ~ 1e-16)."""
    return 1e-4 if np.dtype(dtype) in (np.float32, np.complex64) else 1e-8


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["cg", "minres"])
def test_against_scipy_spd(name, dtype):
    ours, theirs = SOLVERS[name]
    rng = np.random.default_rng(1)
    a = spd(rng, 40, 1e3, dtype)
    b = rhs(rng, 40, None, dtype)
    rtol = _rtol(dtype)
    x, info = ours(a, b, rtol=rtol, return_info=True)
    if name == "minres" and np.dtype(dtype).kind == "c":
        # SciPy's minres uses numpy.inner (no conjugate): it refuses or mis-solves Hermitian input.
        xs, infos = np.linalg.solve(a.astype(np.complex128), b), 0
    else:
        xs, infos = theirs(a, b, rtol=rtol)
    assert x.shape == b.shape and x.dtype == np.dtype(dtype)
    assert info.info == 0 and infos == 0
    assert_converged(a, b, x, info, rtol, 0.0, dtype)
    assert_close_to(a, b, x, xs, dtype)
    x2, code = ours(a, b, rtol=rtol)  # the default return is SciPy's (x, int)
    assert isinstance(code, int) and code == 0
    np.testing.assert_array_equal(x2, x)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128, np.float32])
def test_minres_indefinite_against_scipy(dtype):
    rng = np.random.default_rng(2)
    a = indefinite(rng, 45, dtype)
    b = rhs(rng, 45, None, dtype)
    rtol = _rtol(dtype)
    x, info = minres(a, b, rtol=rtol, return_info=True)
    assert info.info == 0
    assert_converged(a, b, x, info, rtol, 0.0, dtype)
    if np.dtype(dtype).kind != "c":  # SciPy's minres does not conjugate (numpy.inner)
        xs, _ = ssl.minres(a, b, rtol=rtol)
        assert_close_to(a, b, x, xs, dtype)
    x_direct = np.linalg.solve(a.astype(np.complex128), b)
    assert_close_to(a, b, x, x_direct, dtype)


def test_minres_shift_against_scipy():
    rng = np.random.default_rng(3)
    a = spd(rng, 30, 10.0)
    b = rhs(rng, 30, None, np.float64)
    x, info = minres(a, b, shift=2.5, rtol=1e-10, return_info=True)
    xs, _ = ssl.minres(a, b, shift=2.5, rtol=1e-10)
    assert_converged(a, b, x, info, 1e-10, 0.0, np.float64, shift=2.5)
    assert_close_to(a, b, x, xs, np.float64, shift=2.5)


@pytest.mark.parametrize("name", ["cg", "minres"])
@pytest.mark.parametrize("dtype", [np.float64, np.complex64])
def test_batched_columns_match_scipy_per_column(name, dtype):
    ours, theirs = SOLVERS[name]
    rng = np.random.default_rng(4)
    a = spd(rng, 30, 1e2, dtype)
    b = rhs(rng, 30, 4, dtype)
    b[:, 2] *= 1e-3  # columns of different scales converge at different iterations
    b[:, 3] = 0  # a zero column returns zero
    x0 = rhs(rng, 30, 4, dtype)
    rtol = _rtol(dtype)
    x, info = ours(a, b, x0, rtol=rtol, return_info=True)
    assert x.shape == (30, 4) and info.iterations.shape == (4,)
    assert info.info == 0 and info.converged.all()
    assert_converged(a, b, x, info, rtol, 0.0, dtype)
    np.testing.assert_array_equal(x[:, 3], 0)
    assert info.iterations[3] == 0
    for j in range(4):
        if name == "minres" and np.dtype(dtype).kind == "c":  # SciPy's minres does not conjugate
            xs, code = np.linalg.solve(a.astype(np.complex128), b[:, j]), 0
        else:
            xs, code = theirs(a, b[:, j], x0[:, j], rtol=rtol)
        assert code == 0
        assert_close_to(a, b[:, j], x[:, j], xs, dtype)
        xj, info_j = ours(a, b[:, j], x0[:, j], rtol=rtol, return_info=True)
        assert info_j.info == 0  # the column alone converges too (the same recurrence, other rounding)
        assert_close_to(a, b[:, j], x[:, j], xj, dtype)


@pytest.mark.parametrize("name", ["cg", "minres"])
def test_preconditioned_by_factorization_and_operators(name):
    ours, theirs = SOLVERS[name]
    rng = np.random.default_rng(5)
    n = 60
    a = spd(rng, n, 1e4)
    # A nearby matrix, factored: its Cholesky is an approximate inverse of A.
    near = a + 1e-2 * np.diag(np.diag(a))
    F = pv.factorize(near, assume="positive definite")
    b = rhs(rng, n, 2, np.float64)
    _x_plain, info_plain = ours(a, b, rtol=1e-10, return_info=True)
    x, info = ours(a, b, rtol=1e-10, M=F, return_info=True)
    assert info.info == 0
    assert_converged(a, b, x, info, 1e-10, 0.0, np.float64)
    assert info.iterations.max() < info_plain.iterations.min()
    inv_near = np.linalg.inv(near)
    inv_near = (inv_near + inv_near.T) / 2
    lo = ssl.LinearOperator((n, n), matvec=lambda v: inv_near @ v, dtype=np.float64)
    for M in (lo, inv_near, lambda v: inv_near @ v):
        xm, info_m = ours(a, b, rtol=1e-10, M=M, return_info=True)
        assert info_m.info == 0
        assert_converged(a, b, xm, info_m, 1e-10, 0.0, np.float64)
        assert info_m.iterations.max() < info_plain.iterations.min()
    for j in range(2):
        xs, _ = theirs(a, b[:, j], rtol=1e-10, M=lo)
        assert_close_to(a, b[:, j], x[:, j], xs, np.float64)


@pytest.mark.parametrize("name", ["cg", "minres"])
def test_sparse_linear_operator_and_callable_A(name):
    ours, theirs = SOLVERS[name]
    a = laplacian_2d(12)  # n = 144, kappa ~ 60
    n = a.shape[0]
    rng = np.random.default_rng(6)
    b = rhs(rng, n, 3, np.float64)
    xs = np.stack([theirs(a, b[:, j], rtol=1e-9)[0] for j in range(3)], axis=1)
    forms = [a, ssl.aslinearoperator(a), lambda v: a @ v]
    for A in forms:
        x, info = ours(A, b, rtol=1e-9, return_info=True)
        assert isinstance(x, np.ndarray) and info.info == 0
        assert_converged(a, b, x, info, 1e-9, 0.0, np.float64)
        assert_close_to(a, b, x, xs, np.float64)


@pytest.mark.filterwarnings("ignore:Sparse CSR tensor support is in beta")
@pytest.mark.parametrize("name", ["cg", "minres"])
@pytest.mark.parametrize("dtype", [np.float64, np.complex128, np.float32])
def test_torch_same_results_and_namespace(name, dtype):
    torch = pytest.importorskip("torch")
    ours, _ = SOLVERS[name]
    rng = np.random.default_rng(7)
    a = spd(rng, 30, 1e2, dtype)
    b = rhs(rng, 30, 3, dtype)
    rtol = _rtol(dtype)
    x_np, _info_np = ours(a, b, rtol=rtol, return_info=True)
    at, bt = torch.from_numpy(a), torch.from_numpy(b)
    calls = []

    def cb(xk):
        calls.append(type(xk))

    xt, info_t = ours(at, bt, rtol=rtol, return_info=True, callback=cb)
    assert isinstance(xt, torch.Tensor) and xt.dtype == bt.dtype and xt.device == bt.device
    assert set(calls) == {torch.Tensor}
    assert info_t.info == 0
    assert_converged(a, b, to_np(xt), info_t, rtol, 0.0, dtype)
    assert_close_to(a, b, to_np(xt), x_np, dtype)
    # A factorization of a torch matrix preconditions a torch solve; a matrix-free block operator too.
    F = pv.factorize(at + 0.01 * torch.diag(torch.diagonal(at)), assume="positive definite")
    xf, info_f = ours(at, bt, rtol=rtol, M=F, return_info=True)
    assert isinstance(xf, torch.Tensor) and info_f.info == 0

    class Block:
        shape = (30, 30)

        def matmat(self, X):
            assert isinstance(X, torch.Tensor)
            return at @ X

    xb, info_b = ours(Block(), bt, rtol=rtol, return_info=True)
    assert isinstance(xb, torch.Tensor) and info_b.info == 0
    assert_converged(a, b, to_np(xb), info_b, rtol, 0.0, dtype)
    for sparse in (at.to_sparse(), at.to_sparse_csr()):  # sparse torch tensors are operators too
        xs, info_s = ours(sparse, bt, rtol=rtol, return_info=True)
        assert isinstance(xs, torch.Tensor) and info_s.info == 0
        assert_converged(a, b, to_np(xs), info_s, rtol, 0.0, dtype)
    bad = a.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="infs or NaNs"):
        ours(torch.from_numpy(bad).to_sparse(), bt)


@pytest.mark.parametrize("name", ["cg", "minres"])
def test_jax_same_results_and_namespace(name):
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    ours, _ = SOLVERS[name]
    rng = np.random.default_rng(8)
    dtype = np.float64 if jax.config.jax_enable_x64 else np.float32
    a = spd(rng, 30, 1e2, dtype)
    b = rhs(rng, 30, 2, dtype)
    rtol = _rtol(dtype)
    xj, info = ours(jnp.asarray(a), jnp.asarray(b), rtol=rtol, return_info=True)
    assert isinstance(xj, jax.Array) and xj.dtype == jnp.asarray(b).dtype
    assert info.info == 0
    assert_converged(a, b, np.asarray(xj), info, rtol, 0.0, dtype)
    x_np = ours(a, b, rtol=rtol)[0]
    assert_close_to(a, b, np.asarray(xj), x_np, dtype)


@pytest.mark.parametrize("name", ["cg", "minres"])
def test_x0_maxiter_and_callback(name):
    ours, theirs = SOLVERS[name]
    rng = np.random.default_rng(9)
    a = spd(rng, 40, 1e4)
    b = rhs(rng, 40, None, np.float64)
    x_exact = np.linalg.solve(a, b)
    x, info = ours(a, b, x_exact, rtol=1e-6, return_info=True)
    assert info.info == 0 and info.iterations[0] == 0
    np.testing.assert_array_equal(x, x_exact)
    # maxiter exhaustion: info = maxiter, as SciPy.
    x, info = ours(a, b, rtol=1e-12, maxiter=3, return_info=True)
    _xs, code_s = theirs(a, b, rtol=1e-12, maxiter=3)
    assert info.info == 3 == code_s and not info.converged[0] and info.iterations[0] == 3
    assert ours(a, b, rtol=1e-12, maxiter=3)[1] == 3
    seen = []
    x, info = ours(a, b, rtol=1e-8, callback=lambda xk: seen.append(np.array(xk)), return_info=True)
    assert len(seen) == info.iterations[0] and seen[-1].shape == (40,)
    np.testing.assert_array_equal(seen[-1], x)


@pytest.mark.parametrize("name", ["cg", "minres"])
@pytest.mark.parametrize("shape", [(0,), (0, 3), (5, 0)])
def test_empty(name, shape):
    ours, _ = SOLVERS[name]
    n = shape[0]
    x, info = ours(np.eye(n), np.ones(shape), return_info=True)
    assert x.shape == shape and info.info == 0
    assert ours(np.eye(n), np.ones(shape))[1] == 0


@pytest.mark.parametrize("name", ["cg", "minres"])
def test_zero_rhs_returns_zero(name):
    ours, theirs = SOLVERS[name]
    a = spd(np.random.default_rng(10), 10, 10.0)
    x, info = ours(a, np.zeros(10), np.ones(10))
    xs, infos = theirs(a, np.zeros(10), np.ones(10))
    assert info == infos == 0
    np.testing.assert_array_equal(x, xs)
    np.testing.assert_array_equal(x, 0)


@pytest.mark.parametrize("name", ["cg", "minres"])
def test_bad_input(name):
    ours, _ = SOLVERS[name]
    a = spd(np.random.default_rng(11), 6, 10.0)
    b = np.ones(6)
    with pytest.raises(ValueError, match="infs or NaNs"):
        ours(a, np.array([1, np.nan, 0, 0, 0, 0.0]))
    bad_a = a.copy()
    bad_a[1, 2] = np.inf
    with pytest.raises(ValueError, match="infs or NaNs"):
        ours(bad_a, b)
    with pytest.raises(ValueError, match="rows"):
        ours(a, np.ones(5))
    with pytest.raises(ValueError, match="square"):
        ours(np.ones((6, 4)), b)
    with pytest.raises(ValueError, match="rtol"):
        ours(a, b, rtol=-1e-3)
    with pytest.raises(ValueError, match="atol"):
        ours(a, b, atol=float("nan"))
    with pytest.raises(ValueError, match="x0"):
        ours(a, b, np.ones(5))
    with pytest.raises(ValueError, match="maxiter"):
        ours(a, b, maxiter=0)
    with pytest.raises(ValueError, match=r"\(n,\) or \(n, k\)"):
        ours(a, np.ones((6, 1, 1)))
    with pytest.raises(ValueError, match="shape"):
        ours(a, b, M=np.eye(5))
    for kw in ({"A": np.ma.masked_array(a)}, {"b": np.ma.masked_array(b)}, {"M": np.ma.masked_array(a)}):
        args = {"A": a, "b": b, **kw}
        with pytest.raises(ValueError, match="masked arrays are not supported"):
            ours(args.pop("A"), args.pop("b"), **args)
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match="backend"):
        ours(torch.from_numpy(a), b)
    with pytest.raises(TypeError, match="LinearOperator"):
        ours(ssl.aslinearoperator(a), torch.from_numpy(b))


def test_cg_indefinite_breakdown_is_reported():
    rng = np.random.default_rng(12)
    a = indefinite(rng, 20)
    b = rhs(rng, 20, 2, np.float64)
    with pytest.warns(LinAlgWarning, match="not positive definite"):
        x, info = cg(a, b, rtol=1e-10, return_info=True)
    assert info.info == -1 and info.breakdown.any() and not info.converged[info.breakdown].any()
    assert np.all(np.isfinite(x))
    with pytest.warns(LinAlgWarning, match="M is not positive definite"):
        _, code = cg(spd(rng, 20, 10.0), b[:, 0], M=-np.eye(20))
    assert code == -1


def test_minres_refuses_indefinite_preconditioner_and_nonhermitian_with_check():
    rng = np.random.default_rng(13)
    a = indefinite(rng, 20)
    b = rhs(rng, 20, None, np.float64)
    with pytest.raises(ValueError, match="not positive definite"):
        minres(a, b, M=-np.eye(20))
    nonsym = a + np.triu(np.ones((20, 20)), 1)
    with pytest.raises(ValueError, match="Hermitian"):
        minres(nonsym, b, check=True)
    _x, info = minres(a, b, check=True, rtol=1e-8)  # a Hermitian A passes the check
    assert info == 0


def test_inputs_not_modified():
    rng = np.random.default_rng(14)
    a = spd(rng, 15, 10.0)
    b = rhs(rng, 15, 2, np.float64)
    x0 = rhs(rng, 15, 2, np.float64)
    copies = [a.copy(), b.copy(), x0.copy()]
    for f in (cg, minres):
        f(a, b, x0, rtol=1e-8)
        for orig, c in zip((a, b, x0), copies, strict=True):
            np.testing.assert_array_equal(orig, c)


@pytest.mark.parametrize("name", ["cg", "minres"])
def test_gradients_and_tracing_of_x0_are_refused(name):
    """A and b are differentiable (tests/test_autodiff_krylov.py); x0 with a graph is refused."""
    ours, _ = SOLVERS[name]
    a = spd(np.random.default_rng(16), 5, 10.0)
    torch = pytest.importorskip("torch")
    at = torch.from_numpy(a)
    bt = torch.ones(5, dtype=torch.float64)
    x0 = torch.zeros(5, dtype=torch.float64, requires_grad=True)
    with pytest.raises(ValueError, match="x0 requires grad"):
        ours(at, bt, x0)
    with torch.no_grad():
        assert ours(at, bt, x0, rtol=1e-8)[1] == 0
    jax = pytest.importorskip("jax")
    aj, b = jax.numpy.asarray(a, dtype=jax.numpy.float32), jax.numpy.ones(5, dtype=jax.numpy.float32)
    with pytest.raises(ValueError, match="traced"):  # A and b concrete: only x0 is traced
        jax.jit(lambda x0: ours(aj, b, x0)[0])(jax.numpy.zeros(5, dtype=jax.numpy.float32))


def test_module_is_exported():
    assert pv.krylov.cg is cg and pv.krylov.minres is minres


def test_info_object():
    a = spd(np.random.default_rng(15), 10, 10.0)
    _x, info = cg(a, np.ones(10), rtol=1e-8, return_info=True)
    assert isinstance(info, KrylovInfo) and info.method == "cg"
    assert info.tolerance.shape == (1,) and info.tolerance[0] == pytest.approx(1e-8 * np.sqrt(10))
    assert "converged" in repr(info)


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 25),
    k=st.integers(1, 3),
    log_cond=st.floats(0, 4),
    seed=st.integers(0, 2**32 - 1),
    precond=st.booleans(),
)
def test_property_cg_minres_converge_on_spd(n, k, log_cond, seed, precond):
    rng = np.random.default_rng(seed)
    a = spd(rng, n, 10**log_cond)
    b = rhs(rng, n, k, np.float64)
    M = pv.factorize(a + 0.1 * np.eye(n), assume="positive definite") if precond else None
    for f in (cg, minres):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            x, info = f(a, b, rtol=1e-9, M=M, return_info=True)
        assert info.info == 0
        assert_converged(a, b, x, info, 1e-9, 0.0, np.float64)
        assert_close_to(a, b, x, np.linalg.solve(a, b), np.float64)


def test_cg_lanczos_coefficients_give_the_quadrature_of_log():
    """info.extra["lanczos"] is the Lanczos tridiagonal of M^{1/2} A M^{1/2}: its Gauss quadrature of log.

    Run to convergence (rtol 1e-12) on n = 60, every Ritz value has converged, so
    ``||b_hat||^2 e1^T log(T) e1`` equals ``b_hat^T log(A_hat) b_hat`` up to the
    rounding of CG (loss of orthogonality only duplicates Ritz values: Greenbaum 1989),
    here a relative 1e-9 against cond(A) = 100.
    """
    import scipy.linalg as sl

    rng = np.random.default_rng(0)
    n = 60
    q = np.linalg.qr(rng.standard_normal((n, n)))[0]
    a = (q * np.logspace(0, 2, n)) @ q.T
    b = rng.standard_normal((n, 3))
    for m_diag in (None, np.diag(a).copy()):
        s = np.ones(n) if m_diag is None else 1 / np.sqrt(m_diag)  # M^{1/2}
        m = None if m_diag is None else np.diag(1 / m_diag)
        _, info = cg(a, b, rtol=1e-12, M=m, return_info=True)
        lam, u = np.linalg.eigh(s[:, None] * a * s[None, :])
        for j, (d, e) in enumerate(info.extra["lanczos"]):
            assert d.shape == (info.iterations[j],) and e.shape == (info.iterations[j] - 1,)
            w, v = sl.eigh_tridiagonal(d, e)
            bh = s * b[:, j]
            exact = bh @ (u * np.log(lam)) @ u.T @ bh
            est = (bh @ bh) * np.sum(v[0] ** 2 * np.log(w))
            assert abs(est - exact) <= 1e-9 * (bh @ bh) * np.log(100.0)
