"""The SciPy-compatible functions behave like scipy.linalg 1.17's."""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest
import scipy.linalg as sl

import pivotal as pv
from pivotal import gallery

from .helpers import (
    THRESH,
    assert_solve_close,
    random_matrix,
    reconstruction_ratio,
    solve_residual_ratio,
    to_np,
    u_of,
)

FUNCTIONS = [
    "lu",
    "lu_factor",
    "lu_solve",
    "cholesky",
    "cho_factor",
    "cho_solve",
    "ldl",
    "solve_triangular",
    "solve",
    "inv",
    "det",
    "pinv",
    "lstsq",
    "qr",
]


@pytest.mark.parametrize("name", FUNCTIONS)
def test_signature_matches_scipy(name):
    ours = inspect.signature(getattr(pv, name)).parameters
    theirs = inspect.signature(getattr(sl, name)).parameters
    # SciPy's parameters come first, in order, with the same kind and default.
    assert list(ours)[: len(theirs)] == list(theirs)
    for pname, p in theirs.items():
        assert ours[pname].kind == p.kind, pname
        assert ours[pname].default == p.default, pname
    extras = [p for p in ours.values() if p.name not in theirs]
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in extras)


def _spd(n, dtype=np.float64, rng=0):
    return gallery.random_spd(n, 10.0, 3, dtype=dtype, random_state=rng)


def _recon(A, product, dtype=np.float64) -> None:
    """LAPACK's reconstruction ratio ||A - product|| / (n ||A|| u) < THRESH, per matrix of a batch."""
    A, product = np.asarray(A), np.asarray(product)
    for idx in np.ndindex(A.shape[:-2]):
        assert reconstruction_ratio(A[idx], product[idx], dtype) < THRESH, idx


def _resid(A, x, b, dtype=np.float64) -> None:
    """LAPACK's solve ratio ||b - A x|| / (n ||A|| ||x|| u) < THRESH, per system of a batch."""
    A, x, b = np.asarray(A), np.asarray(x), np.asarray(b)
    x, b = np.broadcast_arrays(x, np.broadcast_to(b, x.shape))
    for idx in np.ndindex(A.shape[:-2]):
        assert solve_residual_ratio(A[idx], x[idx], b[idx], dtype) < THRESH, idx


# --------------------------------------------------------------------------- return conventions


def test_lu_conventions():
    rng = np.random.default_rng(0)
    for shape in [(5, 5), (6, 4), (4, 6)]:
        A = rng.standard_normal(shape)
        p, l, u = pv.lu(A)
        ps, ls, us = sl.lu(A)
        assert p.shape == ps.shape and l.shape == ls.shape and u.shape == us.shape
        assert p.dtype == ps.dtype
        _recon(A, p @ l @ u)
        pl, u2 = pv.lu(A, permute_l=True)
        _recon(A, pl @ u2)
        pi, l3, u3 = pv.lu(A, p_indices=True)
        _recon(A, l3[pi] @ u3)
        # GEPP pivots are unique for random input (no near-ties): the factors of one matrix,
        # each with backward error THRESH n u, differ by kappa(A) times that.
        tol = 2 * THRESH * max(shape) * u_of(np.float64) * np.linalg.cond(A)
        np.testing.assert_allclose(l, ls, rtol=0, atol=tol)
        lu_, piv = pv.lu_factor(A, method="kernel")
        lus, pivs = sl.lu_factor(A)
        np.testing.assert_array_equal(piv, pivs)
        assert piv.dtype == pivs.dtype
        np.testing.assert_allclose(lu_, lus, rtol=0, atol=tol * np.abs(lus).max())


def test_lu_complete_pivoting_returns_q():
    A = gallery.gfpp(8)
    p, l, u, q = pv.lu(A, pivoting="complete")
    _recon(A, p @ l @ u @ q)
    pl, u2, q2 = pv.lu(A, pivoting="rook", permute_l=True)
    _recon(A, pl @ u2 @ q2)
    lu_, piv, jpiv = pv.lu_factor(A, pivoting="complete")
    b = np.arange(8.0)
    x = pv.lu_solve((lu_, piv, jpiv), b)
    assert solve_residual_ratio(A, x, b) < THRESH
    for trans in (1, 2):
        x = pv.lu_solve((lu_, piv, jpiv), b, trans=trans)
        assert solve_residual_ratio(A.T, x, b) < THRESH


def test_cho_factor_conventions():
    A = _spd(5)
    c, lower = pv.cho_factor(A)
    assert lower is False
    _recon(A, np.triu(c).T @ np.triu(c))
    c, lower = pv.cho_factor(A, lower=True)
    assert lower is True
    x = pv.cho_solve((c, lower), np.ones(5))
    _resid(A, x, np.ones(5))
    assert_solve_close(pv.cho_solve(sl.cho_factor(A), np.ones(5)), x, A)


def test_lu_solve_accepts_scipy_factors_and_objects():
    A = gallery.randsvd(7, 100.0, 3, random_state=1)
    b = np.ones((7, 2))
    assert_solve_close(pv.lu_solve(sl.lu_factor(A), b), sl.lu_solve(sl.lu_factor(A), b), A)
    assert_solve_close(pv.lu_solve(pv.LU(A), b), sl.solve(A, b), A)
    assert_solve_close(pv.lu_solve(pv.LU(A, pivoting="complete"), b, method="kernel"), sl.solve(A, b), A)
    assert_solve_close(pv.lu_solve(pv.LU(A), b, trans=1), sl.solve(A.T, b), A.T)
    assert_solve_close(sl.lu_solve(pv.lu_factor(A), b), sl.solve(A, b), A)


@pytest.mark.parametrize("trans", [0, 1, 2])
def test_lu_solve_accepts_factors_given_as_lists(trans):
    """SciPy converts ``lu`` and ``piv`` with asarray; ``lu`` as a list was refused."""
    A = gallery.randsvd(6, 100.0, 3, random_state=2)
    lu_, piv = sl.lu_factor(A)
    b = np.arange(1.0, 7.0)
    x = pv.lu_solve((lu_.tolist(), piv.tolist()), b.tolist(), trans=trans)
    ref = sl.lu_solve((lu_, piv), b, trans=trans)
    kappa = np.linalg.cond(A, 1)  # both forward errors are within n kappa u (same factors)
    assert np.linalg.norm(x - ref, 1) <= 2 * THRESH * 6 * kappa * np.finfo(float).eps / 2 * np.linalg.norm(
        ref, 1
    )
    assert solve_residual_ratio(A.T if trans else A, x, b) < THRESH
    with pytest.raises(ValueError, match=r"must be \(lu, piv\)"):
        pv.lu_solve(A.tolist(), b)  # a bare matrix: its rows would unpack as (lu, piv)


def test_lu_factor_singular_warns_like_scipy_and_solve_refuses():
    A = np.array([[1.0, 2.0], [2.0, 4.0]])
    with pytest.warns(sl.LinAlgWarning, match="Diagonal number 2 is exactly zero"):
        lu_, piv = pv.lu_factor(A)
    with pytest.raises(pv.SingularMatrixError) as err:
        pv.lu_solve((lu_, piv), np.ones(2))
    assert err.value.index == 1


def test_cholesky_error_is_scipy_linalgerror():
    with pytest.raises(sl.LinAlgError):
        pv.cholesky(np.array([[1.0, 2.0], [2.0, 1.0]]))


# --------------------------------------------------------------------------- dtypes


@pytest.mark.parametrize(
    "dtype,expected",
    [
        (np.float16, np.float32),
        (np.float32, np.float32),
        (np.float64, np.float64),
        (np.int32, np.float64),
        (np.int64, np.float64),
        (np.bool_, np.float32),
        (np.complex64, np.complex64),
        (np.complex128, np.complex128),
    ],
)
def test_dtype_rules(dtype, expected):
    A = (np.eye(3) * 2).astype(dtype)
    assert pv.lu(A)[1].dtype == expected == sl.lu(A)[1].dtype
    assert pv.lu_factor(A)[0].dtype == expected
    assert pv.cholesky(A).dtype == expected == sl.cholesky(A).dtype
    assert pv.ldl(A)[0].dtype == expected == sl.ldl(A)[0].dtype
    assert pv.solve_triangular(A, np.ones(3, dtype=dtype)).dtype == expected


def test_mixed_dtype_solve_promotes():
    A = np.eye(3, dtype=np.float32) * 2
    b = np.ones(3, dtype=np.complex128)
    assert pv.solve_triangular(A, b).dtype == sl.solve_triangular(A, b).dtype
    assert pv.lu_solve(pv.lu_factor(A), b).dtype == np.complex128


# --------------------------------------------------------------------------- empty, batch, layouts


def test_empty_inputs_match_scipy():
    for shape in [(0, 0), (0, 3), (3, 0)]:
        E = np.empty(shape)
        (p, l, u), (_, ls, us) = pv.lu(E), sl.lu(E)
        assert (l.shape, u.shape) == (ls.shape, us.shape)
        # SciPy returns a 0x0 P even for a 3x0 input; ours stays M x M so A = P L U holds.
        assert p.shape == (shape[0], shape[0]) and (p @ l @ u).shape == shape
    assert pv.lu_factor(np.empty((0, 0)))[0].shape == (0, 0)
    assert pv.lu_factor(np.empty((0, 0)))[1].shape == (0,)
    assert pv.cholesky(np.empty((0, 0))).shape == (0, 0)
    assert pv.cho_factor(np.empty((0, 0)))[0].shape == (0, 0)
    assert [x.shape for x in pv.ldl(np.empty((0, 0)))] == [x.shape for x in sl.ldl(np.empty((0, 0)))]
    assert pv.solve_triangular(np.empty((0, 0)), np.empty(0)).shape == (0,)
    assert pv.lu_solve(pv.lu_factor(np.empty((0, 0))), np.empty((0, 2))).shape == (0, 2)
    assert pv.lu(np.empty((2, 0, 3)))[2].shape == sl.lu(np.empty((2, 0, 3)))[2].shape
    assert pv.lu_factor(np.empty((0, 4, 4)))[0].shape == (0, 4, 4)


def test_batched_inputs():
    rng = np.random.default_rng(3)
    A = rng.standard_normal((2, 3, 5, 5))
    p, l, u = pv.lu(A)
    assert p.shape == (2, 3, 5, 5)
    _recon(A, p @ l @ u)
    lu_, piv = pv.lu_factor(A)
    assert piv.shape == (2, 3, 5)
    b = rng.standard_normal((2, 3, 5, 2))
    x = pv.lu_solve((lu_, piv), b)
    _resid(A, x, b)
    x1 = pv.lu_solve((lu_, piv), np.ones(5))
    assert x1.shape == (2, 3, 5)
    S = np.stack([_spd(4, rng=i) for i in range(3)])
    c = pv.cholesky(S, lower=True)
    _recon(S, c @ np.swapaxes(c, -1, -2))
    c, lower = pv.cho_factor(S)
    _resid(S, pv.cho_solve((c, lower), np.ones(4)), np.ones(4))
    T = np.triu(rng.standard_normal((3, 4, 4))) + 4 * np.eye(4)
    x = pv.solve_triangular(T, np.ones((3, 4, 1)))
    assert_solve_close(x, sl.solve_triangular(T, np.ones((3, 4, 1))), T)
    lu_, _, perm = pv.ldl(S + np.swapaxes(S, -1, -2) - 3 * np.eye(4))
    assert lu_.shape == (3, 4, 4) and perm.shape == (3, 4)


@pytest.mark.parametrize("layout", ["C", "F", "strided", "readonly"])
def test_layouts(layout):
    rng = np.random.default_rng(4)
    base = rng.standard_normal((12, 12)) + 12 * np.eye(12)
    if layout == "F":
        A = np.asfortranarray(base[:6, :6])
    elif layout == "strided":
        A = base[::2, ::2]
    else:
        A = np.ascontiguousarray(base[:6, :6])
    if layout == "readonly":
        A.setflags(write=False)
    A0 = A.copy()
    p, l, u = pv.lu(A, overwrite_a=True)
    _recon(A0, p @ l @ u)
    S = A0 @ A0.T
    if layout == "F":
        S = np.asfortranarray(S)
    c = pv.cholesky(S, method="kernel")
    assert reconstruction_ratio(S, c.T @ c) < THRESH
    x = pv.solve_triangular(np.triu(A0), A0[:, :2], method="kernel")
    _resid(np.triu(A0), x, A0[:, :2])
    if layout == "readonly":
        np.testing.assert_array_equal(A, A0)


def test_overwrite_a_false_leaves_input_alone():
    rng = np.random.default_rng(5)
    A = rng.standard_normal((6, 6))
    A0 = A.copy()
    for method in ("kernel", "vendor"):
        pv.lu_factor(A, method=method)
        pv.cholesky(A @ A.T + np.eye(6), method=method)
    np.testing.assert_array_equal(A, A0)


def test_overwrite_b_is_allowed_to_reuse_memory():
    T = np.triu(np.ones((4, 4))) + np.eye(4)
    b = np.ones((4, 2))
    x = pv.solve_triangular(T, b, overwrite_b=True)
    np.testing.assert_allclose(T @ x, 1.0)


@pytest.mark.parametrize("name", ["lu", "lu_factor", "cholesky", "cho_factor", "ldl"])
def test_check_finite(name):
    A = np.eye(3)
    A[0, 1] = np.nan
    with pytest.raises(ValueError, match="infs or NaNs"):
        getattr(pv, name)(A)


def test_check_finite_rhs():
    with pytest.raises(ValueError, match="infs or NaNs"):
        pv.solve_triangular(np.eye(2), np.array([1.0, np.inf]))
    with pytest.raises(ValueError, match="infs or NaNs"):
        pv.lu_solve(pv.lu_factor(np.eye(2)), np.array([1.0, np.nan]))


def test_shape_errors_are_value_errors_with_fix():
    with pytest.raises(ValueError, match="square"):
        pv.cholesky(np.ones((2, 3)))
    with pytest.raises(ValueError, match="rows"):
        pv.solve_triangular(np.eye(3), np.ones(4))
    with pytest.raises(ValueError, match=r"2-D|shape"):
        pv.lu(np.ones(3))
    with pytest.raises(TypeError, match="numeric"):
        pv.lu(np.array([["a", "b"], ["c", "d"]]))
    with pytest.raises(ValueError, match="lu_and_piv"):
        pv.lu_solve(np.eye(2), np.ones(2))


def test_lists_are_accepted():
    p, l, u = pv.lu([[1, 2], [3, 4]])
    np.testing.assert_allclose(p @ l @ u, [[1, 2], [3, 4]])


def test_ldl_matches_scipy_conventions():
    rng = np.random.default_rng(6)
    for dtype in (np.float64, np.complex128):
        for hermitian in (True, False):
            for lower in (True, False):
                X = random_matrix(rng, (7, 7), dtype)
                A = X + (X.conj().T if hermitian else X.T)
                lu_, d, perm = pv.ldl(A, lower=lower, hermitian=hermitian)
                lus, ds, perms = sl.ldl(A, lower=lower, hermitian=hermitian)
                assert lu_.shape == lus.shape and d.shape == ds.shape and perm.shape == perms.shape
                op = (lambda m: m.conj().T) if hermitian else (lambda m: m.T)
                _recon(A, lu_ @ d @ op(lu_))
                tri = np.tril if lower else np.triu
                np.testing.assert_allclose(tri(lu_[perm]), lu_[perm])


# --------------------------------------------------------------------------- torch and JAX


@pytest.mark.parametrize("method", ["auto", "kernel"])
@pytest.mark.parametrize("batch", [(), (2,)])
def test_ldl_returns_torch_perm_for_torch_input(method, batch):
    """lu, d and perm all of the input's type and device (perm was a NumPy array)."""
    torch = pytest.importorskip("torch")
    X = random_matrix(np.random.default_rng(7), (*batch, 5, 5), np.float64)
    A = torch.as_tensor(X + np.swapaxes(X, -1, -2))
    lu_, d, perm = pv.ldl(A, method=method)
    assert all(isinstance(t, torch.Tensor) and t.device == A.device for t in (lu_, d, perm))
    assert perm.dtype == torch.int64 and perm.shape == A.shape[:-1]
    for i in np.ndindex(*batch):
        L, P = lu_[i], perm[i]
        assert torch.equal(torch.tril(L[P]), L[P])
        assert reconstruction_ratio(A[i].numpy(), (L @ d[i] @ L.T).numpy()) < THRESH


def test_torch_in_torch_out():
    torch = pytest.importorskip("torch")
    A = torch.tensor([[4.0, 1.0], [1.0, 3.0]], dtype=torch.float64)
    p, l, u = pv.lu(A)
    assert all(isinstance(t, torch.Tensor) for t in (p, l, u))
    assert torch.allclose(p @ l @ u, A)
    lu_, piv = pv.lu_factor(A)
    assert isinstance(piv, torch.Tensor)
    x = pv.lu_solve((lu_, piv), torch.ones(2, dtype=torch.float64))
    assert torch.allclose(A @ x, torch.ones(2, dtype=torch.float64))
    c = pv.cholesky(A.to(torch.float32))
    assert c.dtype == torch.float32
    x = pv.cho_solve((c, False), torch.ones(2, dtype=torch.float32))
    assert torch.allclose(A.float() @ x, torch.ones(2))
    lu_, _, perm = pv.ldl(A)
    assert isinstance(lu_, torch.Tensor) and isinstance(perm, torch.Tensor)
    x = pv.solve_triangular(torch.triu(A), torch.ones(2, 3, dtype=torch.float64))
    assert x.shape == (2, 3)
    batch = torch.randn(3, 4, 4, dtype=torch.float64)
    lu_, piv = pv.lu_factor(batch)
    assert lu_.shape == (3, 4, 4) and piv.shape == (3, 4)
    with pytest.raises(ValueError, match="infs or NaNs"):
        pv.lu(torch.tensor([[float("nan")]]))


def test_torch_requires_grad_is_refused_clearly():
    torch = pytest.importorskip("torch")
    A = torch.eye(3, dtype=torch.float64, requires_grad=True)
    with pytest.raises(ValueError, match=r"pivotal\.lu_factor has no derivative rule yet.*detach"):
        pv.lu_factor(A, pivoting="rook")  # partial pivoting has a rule
    with torch.no_grad():
        assert pv.LU(A).issuccess()


def test_jax_in_jax_out():
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    A = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]], dtype=np.float32)
    Aj = jnp.asarray(A)
    p, l, u = pv.lu(Aj)
    assert isinstance(u, jax.Array)
    _recon(A, np.asarray(p @ l @ u), np.float32)
    pi, l, u = pv.lu(Aj, p_indices=True)
    _recon(A, np.asarray(l[pi] @ u), np.float32)
    lu_, piv = pv.lu_factor(Aj)
    x = pv.lu_solve((lu_, piv), jnp.ones(3))
    assert isinstance(x, jax.Array)
    _resid(A, np.asarray(x), np.ones(3), np.float32)
    c = pv.cholesky(Aj, lower=True)
    assert isinstance(c, jax.Array)
    x = pv.cho_solve((c, True), jnp.ones(3))
    _resid(A, np.asarray(x), np.ones(3), np.float32)
    x = pv.solve_triangular(jnp.triu(Aj), jnp.ones(3))
    assert isinstance(x, jax.Array)
    # Options jax.scipy lacks run on the host and come back as JAX arrays.
    p, l, u, q = pv.lu(Aj, pivoting="complete")
    assert isinstance(q, jax.Array)
    _recon(A, np.asarray(p @ l @ u @ q), np.float32)
    lu_, d, perm = pv.ldl(Aj)
    assert isinstance(d, jax.Array) and isinstance(perm, jax.Array)
    with pytest.raises(pv.NotPositiveDefiniteError):
        pv.cholesky(jnp.asarray(-A))
    with pytest.raises(ValueError, match="infs or NaNs"):
        pv.lu(jnp.asarray([[np.nan]]))


def test_jax_traceable_under_jit():
    jax = pytest.importorskip("jax")
    jnp = jax.numpy

    @jax.jit
    def f(a, b):
        return pv.lu_solve(pv.lu_factor(a, check_finite=False), b, check_finite=False)

    A = jnp.asarray([[3.0, 1.0], [1.0, 2.0]])
    x = f(A, jnp.ones(2))
    _resid(np.asarray(A), np.asarray(x), np.ones(2), np.asarray(A).dtype)
    # Default check_finite=True inside jit: nothing to check on a traced array (docs/autodiff.md).
    c = jax.jit(pv.cholesky)(A)
    assert np.allclose(np.asarray(c.T @ c), np.asarray(A))


def test_no_warning_for_regular_input():
    A = gallery.randsvd(10, 10.0, 3, random_state=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pv.lu_factor(A)
        pv.lu(A)
        pv.cholesky(A @ A.T)
    assert to_np(pv.lu(A)[0]).shape == (10, 10)
