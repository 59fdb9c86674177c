"""``logm``, ``sqrtm``, ``funm`` and ``fractional_matrix_power``: residual ratios, SciPy's warnings, backends."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.linalg as sl

import pivotal as pv

from .helpers import u_of

torch = pytest.importorskip("torch")


def _spd(rng, n, dtype, lo=0.5, hi=4.0):
    """Q diag(w) Q^H with w in [lo, hi]: κ_2 <= hi/lo."""
    z = rng.standard_normal((n, n))
    if np.iscomplexobj(np.zeros(1, dtype)):
        z = z + 1j * rng.standard_normal((n, n))
    q, _ = np.linalg.qr(z)
    return ((q * rng.uniform(lo, hi, n)) @ q.conj().T).astype(dtype)


def _general(rng, n, dtype):
    """A well-conditioned nonsymmetric matrix with eigenvalues near 3 (none on the negative axis)."""
    a = 3 * np.eye(n) + rng.standard_normal((n, n)) / np.sqrt(n)
    if np.iscomplexobj(np.zeros(1, dtype)):
        a = a + 1j * rng.standard_normal((n, n)) / np.sqrt(n)
    return a.astype(dtype)


def _sqrt_ratio(x, a, dtype):
    """||X^2 - A||_F / (n ||X||_F^2 u): the Schur method's residual bound is gamma ||X||^2 (Higham 2008, sec. 6.2)."""
    n = a.shape[-1]
    x, a = x.astype(np.complex128), a.astype(np.complex128)
    return np.linalg.norm(x @ x - a) / (n * np.linalg.norm(x) ** 2 * u_of(dtype))


def _assert_same_function(x, y, a):
    """Two evaluations of the same matrix function by SciPy's algorithms, whose 1-norm estimates
    (``onenormest``) start from random vectors in ``logm`` and ``fractional_matrix_power``: the
    degree and the number of square roots may differ, each result backward stable, so they agree
    to ``c n u κ(A)`` relative to ``max(1, ||X||)`` (κ(A) <= 8 for the matrices used here)."""
    x, y = np.asarray(x), np.asarray(y)
    n = a.shape[-1]
    kappa = np.linalg.cond(a.reshape(-1, n, n)[0], 1)
    scale = max(1.0, np.abs(y).sum(axis=-2).max())
    assert np.abs(x - y).sum(axis=-2).max() / (n * 2**-53 * kappa * scale) < 30


# ------------------------------------------------------------------ sqrtm


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.complex128])
@pytest.mark.parametrize("kind", ["spd", "general"])
def test_sqrtm_residual_ratio(dtype, kind):
    rng = np.random.default_rng(0)
    a = (_spd if kind == "spd" else _general)(rng, 20, dtype)
    x = pv.sqrtm(a)
    assert x.dtype == a.dtype
    assert _sqrt_ratio(x, a, dtype) < 30
    np.testing.assert_array_equal(x, sl.sqrtm(a))  # the NumPy path is SciPy's


def test_sqrtm_negative_eigenvalues_give_a_complex_root():
    a = np.diag([-4.0, 9.0])
    x = pv.sqrtm(a)
    assert np.iscomplexobj(x)
    np.testing.assert_allclose(x, np.diag([2j, 3.0]), atol=1e-15)


def test_sqrtm_warns_on_singular_as_scipy():
    a = np.array([[0.0, 1.0], [0.0, 0.0]])  # has no square root
    with pytest.warns(sl.LinAlgWarning, match="singular"):  # SciPy's class (pivotal's subclasses it)
        pv.sqrtm(a)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pv.sqrtm(np.eye(3) * 4.0)  # no warning for a nonsingular matrix


def test_sqrtm_disp_is_passed_on_with_scipys_deprecation():
    a = np.array([[4.0, 1.0], [0.0, 9.0]])
    with pytest.warns(DeprecationWarning, match="disp"):
        x, err = pv.sqrtm(a, disp=False)
    ref = sl.sqrtm(a)
    np.testing.assert_array_equal(x, ref)
    assert err == pytest.approx(np.linalg.norm(ref @ ref - a, "fro") ** 2 / np.linalg.norm(a, "fro"))


def test_sqrtm_scalar_is_the_square_root():
    """SciPy 1.17 returns [[exp(a)]] for a scalar (a bug, docs/compat.md); pivotal the square root."""
    np.testing.assert_allclose(pv.sqrtm(4.0), [[2.0]])
    np.testing.assert_allclose(pv.sqrtm(-4.0), [[2j]])


def test_sqrtm_batched_and_empty():
    rng = np.random.default_rng(1)
    a = np.stack([_spd(rng, 5, np.float64) for _ in range(3)])
    x = pv.sqrtm(a)
    assert x.shape == a.shape
    for k in range(3):
        assert _sqrt_ratio(x[k], a[k], np.float64) < 30
    assert pv.sqrtm(np.zeros((0, 0))).shape == (0, 0)


# ------------------------------------------------------------------ logm


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
@pytest.mark.parametrize("kind", ["spd", "general"])
def test_expm_of_logm_recovers_a(dtype, kind):
    """||e^(log A) - A|| / ||A||: logm is backward stable to about n u κ(A) for these matrices (κ <= 8)."""
    rng = np.random.default_rng(2)
    n = 15
    a = (_spd if kind == "spd" else _general)(rng, n, dtype)
    x = pv.logm(a)
    assert not np.iscomplexobj(x) or np.iscomplexobj(a)
    kappa = np.linalg.cond(a, 1)
    ratio = np.linalg.norm(pv.expm(x) - a, 1) / (np.linalg.norm(a, 1) * n * u_of(dtype) * kappa)
    assert ratio < 30
    _assert_same_function(x, sl.logm(a), a)


def test_logm_of_expm_recovers_b():
    """For ||B|| small (spectrum in the strip |Im| < π), log(e^B) = B, error <= c n u κ_log(e^B) ||B||."""
    rng = np.random.default_rng(3)
    n = 10
    b = rng.standard_normal((n, n)) * 0.3 / np.sqrt(n)
    x = pv.logm(pv.expm(b))
    assert np.linalg.norm(x - b, 1) / (n * 2**-53 * max(1.0, np.linalg.norm(b, 1))) < 30 * 10


def test_logm_negative_eigenvalue_is_complex_and_warnings_follow_scipy():
    x = pv.logm(np.diag([-1.0, 2.0]))
    np.testing.assert_allclose(x, np.diag([1j * np.pi, np.log(2.0)]), atol=1e-14)
    from scipy.linalg._matfuncs_inv_ssq import LogmExactlySingularWarning

    with pytest.warns(LogmExactlySingularWarning):
        pv.logm(np.array([[0.0, 1.0], [0.0, 0.0]]))  # exactly singular: no logarithm


# ------------------------------------------------------------------ funm and fractional powers


def test_funm_matches_expm_and_sqrtm():
    rng = np.random.default_rng(4)
    a = _spd(rng, 8, np.float64)
    n, u = 8, 2**-53
    e = pv.expm(a)
    assert np.linalg.norm(pv.funm(a, np.exp) - e, 1) / (np.linalg.norm(e, 1) * n * u * 4 * 8) < 30
    x = pv.funm(a, np.sqrt)
    assert _sqrt_ratio(x, a, np.float64) < 30 * 8
    f, err = pv.funm(a, np.exp, disp=False)
    assert err < 1e-12 and np.array_equal(f, sl.funm(a, np.exp))
    with pytest.raises(TypeError, match="callable"):
        pv.funm(a, "exp")


def test_fractional_matrix_power_identities():
    rng = np.random.default_rng(5)
    n = 8
    a = _general(rng, n, np.float64)
    u = 2**-53
    third = pv.fractional_matrix_power(a, 1 / 3)
    cube = third @ third @ third
    assert np.linalg.norm(cube - a) / (n * np.linalg.norm(third) ** 3 * u) < 30 * 10
    half = pv.fractional_matrix_power(a, 0.5)
    assert _sqrt_ratio(half, a, np.float64) < 30 * 10
    np.testing.assert_allclose(pv.fractional_matrix_power(a, -1.0), np.linalg.inv(a), rtol=1e-13, atol=1e-14)
    _assert_same_function(pv.fractional_matrix_power(a, 0.3), sl.fractional_matrix_power(a, 0.3), a)


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    "fn", [pv.logm, pv.sqrtm, lambda a: pv.funm(a, np.exp), lambda a: pv.fractional_matrix_power(a, 0.5)]
)
def test_bad_input(fn):
    with pytest.raises(ValueError, match="square"):
        fn(np.ones((2, 3)))
    with pytest.raises(ValueError, match="infs or NaNs"):
        fn(np.array([[1.0, np.nan], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="two-dimensional"):
        fn(np.ones(3))
    import scipy.sparse

    with pytest.raises(ValueError, match="sparse"):
        fn(scipy.sparse.eye(3, format="csr"))


# ------------------------------------------------------------------ torch and JAX (host path, SciPy's result)


@pytest.mark.parametrize(
    "name, fn",
    [
        ("logm", pv.logm),
        ("sqrtm", pv.sqrtm),
        ("funm", lambda a: pv.funm(a, np.exp)),
        ("fractional_matrix_power", lambda a: pv.fractional_matrix_power(a, 0.25)),
    ],
)
def test_torch_runs_scipy_on_the_host_and_refuses_gradients(name, fn):
    rng = np.random.default_rng(6)
    a = _spd(rng, 6, np.float64)
    t = torch.from_numpy(a)
    out = fn(t)
    assert isinstance(out, torch.Tensor) and out.shape == t.shape
    _assert_same_function(out.numpy(), fn(a), a)
    tb = torch.from_numpy(np.stack([a, 2 * a]))
    _assert_same_function(fn(tb)[1].numpy(), fn(2 * a), a)
    with pytest.raises(ValueError, match="requires grad"):
        fn(t.clone().requires_grad_(True))


def test_jax_paths(x64):
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp

    rng = np.random.default_rng(7)
    a = _spd(rng, 5, np.float64)
    ja = jnp.asarray(a)
    for fn in (pv.logm, lambda x: pv.funm(x, np.exp), lambda x: pv.fractional_matrix_power(x, 0.25)):
        out = fn(ja)
        assert type(out).__module__.startswith("jax")
        _assert_same_function(out, fn(a), a)
        with pytest.raises(TypeError, match="traced"):
            jax.jit(lambda x, fn=fn: fn(x))(ja)
    x = pv.sqrtm(ja)  # jax.scipy.linalg.sqrtm: traceable
    assert _sqrt_ratio(np.asarray(x), a, np.float64) < 30
    xj = jax.jit(lambda m: pv.sqrtm(m, check_finite=False))(ja)
    np.testing.assert_allclose(np.asarray(xj), np.asarray(x), rtol=1e-13, atol=1e-15)
