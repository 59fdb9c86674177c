"""``expm``: pivotal's scaling and squaring (and its report) against SciPy, identities and the θ_m table."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.linalg as sl

import pivotal as pv
from pivotal.matfun._pade import THETA, UNIT_ROUNDOFF, backward_error_bound, series_coefficients
from pivotal.matfun._scaling_squaring import expm_scaling_squaring

from .helpers import u_of

torch = pytest.importorskip("torch")


def _normal(rng, n, dtype, radius):
    """A normal matrix Q diag(w) Q^H with |w| <= radius (complex w for complex dtypes)."""
    q, _ = np.linalg.qr(
        rng.standard_normal((n, n))
        + (1j * rng.standard_normal((n, n)) if np.iscomplexobj(np.zeros(1, dtype)) else 0)
    )
    w = rng.uniform(-radius, radius, n)
    if np.iscomplexobj(np.zeros(1, dtype)):
        w = w + 1j * rng.uniform(-radius, radius, n)
    return ((q * w) @ q.conj().T).astype(dtype)


# ------------------------------------------------------------------ the θ_m table and the series


@pytest.mark.parametrize("table", ["double", "single"])
def test_theta_table_is_where_the_series_bound_reaches_u(table):
    """h~(θ_m)/θ_m = u (Al-Mohy & Higham 2009, Table 3.1; Higham 2005, Table 2.3), from our exact series."""
    u = UNIT_ROUNDOFF[table]
    for m, theta in THETA[table].items():
        ratio = backward_error_bound(m, theta, theta) / u
        # The published θ_m have 16 digits (double); the single table was computed to about 7.
        assert 1 - (1e-12 if table == "double" else 1e-6) < ratio <= 1 + 1e-12, (m, ratio)
        # h~ increases: 1% less alpha gives a smaller bound, 1% more a larger one (θ_m is the crossing).
        assert backward_error_bound(m, 0.99 * theta, theta) < u < backward_error_bound(m, 1.01 * theta, theta)
        coeffs = series_coefficients(m)
        assert coeffs[-1] * theta ** len(coeffs) < 1e-30 * u * theta  # the truncated tail is negligible
        assert all(c == 0 for c in coeffs[: 2 * m + 1])


# ------------------------------------------------------------------ agreement and identities


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.complex128])
@pytest.mark.parametrize("radius", [1e-8, 1e-3, 0.1, 1.0, 4.0, 30.0])
def test_normal_matrices_agree_with_scipy_and_eigen_formula(dtype, radius):
    """For normal A, κ_exp(A) <= ||A||_2 (Higham 2008, Thm 10.16): relative error <= c n u (1 + ||A||)."""
    rng = np.random.default_rng(int(radius * 1000) % 97)
    n = 12
    a = _normal(rng, n, dtype, radius)
    u = u_of(dtype)
    X, rep = pv.expm(a, return_report=True)
    Y = sl.expm(a.astype(np.complex128 if np.iscomplexobj(a) else np.float64))
    assert X.dtype == a.dtype
    scale = 1.0 + np.linalg.norm(a.astype(np.complex128), 2)
    err = np.linalg.norm(X - Y, 1) / np.linalg.norm(Y, 1)
    assert err / (n * u * scale) < 30, (err, rep)
    assert rep.backward_error_bound <= rep.unit_roundoff
    assert rep.alpha <= rep.theta * (1 + 1e-15) or rep.degree == 0
    # The default (vendor) path agrees to the same bound.
    err_default = np.linalg.norm(pv.expm(a) - Y, 1) / np.linalg.norm(Y, 1)
    assert err_default / (n * u * scale) < 30


@pytest.mark.parametrize("seed", range(4))
def test_diagonalizable_against_eigen_formula(seed):
    """A = V diag(w) V^-1: e^A = V diag(e^w) V^-1; error <= c n u κ(V)^3 (1 + ||A||) (the Fréchet derivative
    in the eigenbasis is bounded by κ(V)^2 e^(max Re w), ||e^A|| >= e^(max Re w) / κ(V))."""
    rng = np.random.default_rng(seed)
    n = 10
    V = rng.standard_normal((n, n)) + 3 * np.eye(n)
    w = rng.uniform(-3, 3, n)
    Vinv = np.linalg.inv(V)
    A = (V * w) @ Vinv
    ref = (V * np.exp(w)) @ Vinv
    kappa = np.linalg.cond(V, 1)
    X, _ = pv.expm(A, return_report=True)
    err = np.linalg.norm(X - ref, 1) / np.linalg.norm(ref, 1)
    assert err / (n * 2**-53 * kappa**3 * (1 + np.linalg.norm(A, 1))) < 30
    assert (
        np.linalg.norm(X - sl.expm(A), 1)
        / np.linalg.norm(ref, 1)
        / (n * 2**-53 * kappa**3 * (1 + np.linalg.norm(A, 1)))
        < 30
    )


@pytest.mark.parametrize("t", [1e-5, 0.3, 2.0, 50.0, 1e3])
def test_rotation_generator_has_exact_exponential(t):
    """e^[[0,-t],[t,0]] = [[cos t, -sin t], [sin t, cos t]]; κ_exp = t for this normal matrix."""
    A = np.array([[0.0, -t], [t, 0.0]])
    X, rep = pv.expm(A, return_report=True)
    ref = np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])
    assert np.abs(X - ref).max() / (2 * 2**-53 * (1 + t)) < 30
    assert rep.backward_error_bound <= rep.unit_roundoff


@pytest.mark.parametrize("lam, t", [(0.0, 1.0), (-1.0, 3.0), (2.0, 0.5), (0.0, 40.0)])
def test_jordan_block_has_exact_exponential(lam, t):
    """e^(λI + tN) with N the shift: entries e^λ t^k / k! (k = j - i): the triangular squaring path."""
    n = 8
    A = lam * np.eye(n) + t * np.eye(n, k=1)
    ref = np.zeros((n, n))
    for k in range(n):
        ref += np.eye(n, k=k) * (math.exp(lam) * t**k / math.factorial(k))
    X, rep = pv.expm(A, return_report=True)
    assert rep.triangular
    assert np.all(np.tril(X, -1) == 0)
    # κ_exp(A) for a Jordan block grows like (1 + t)^(n-1): compare entrywise in units of the largest entry.
    err = np.abs(X - ref).max() / np.abs(ref).max()
    assert err / (n * 2**-53 * (1 + t) * max(1, rep.squarings)) < 30
    err_scipy = np.abs(sl.expm(A) - ref).max() / np.abs(ref).max()
    assert err_scipy / (n * 2**-53 * (1 + t) * max(1, rep.squarings)) < 30


def test_report_bound_bounds_the_measured_backward_error_of_symmetric_matrices():
    """For symmetric A, log(X) by eigh of the computed X recovers A + ΔA; ||ΔA||/||A|| <= bound + rounding."""
    rng = np.random.default_rng(7)
    n = 16
    for radius in (0.05, 0.8, 3.0):
        A = _normal(rng, n, np.float64, radius)
        A = (A + A.T) / 2
        X, rep = pv.expm(A, return_report=True)
        w, Q = np.linalg.eigh((X + X.T) / 2)
        logX = (Q * np.log(w)) @ Q.T
        measured = np.linalg.norm(logX - A, 1) / np.linalg.norm(A, 1)
        # rounding: evaluation and s squarings (a few n u each, A normal), and log of X's eigenvalues, whose
        # absolute errors n u ||X||_2 become relative errors up to n u κ_2(X) in log(w)
        rounding = n * 2**-53 * (1 + rep.squarings) * (w.max() / w.min()) / max(1.0, np.linalg.norm(A, 2))
        assert measured <= rep.backward_error_bound + 30 * rounding
        assert rep.backward_error_bound <= 2**-53


def test_report_fields_and_repr():
    A = np.array([[1.0, 2.0], [-3.0, 4.0]]) * 3
    _, rep = pv.expm(A, return_report=True)
    assert rep.degree == 13 and rep.squarings >= 1
    assert rep.norm1 == pytest.approx(np.linalg.norm(A, 1))
    assert rep.d[1] == rep.norm1 and set(rep.d) >= {1, 2, 4, 6, 8, 10}
    # d_k >= rho(A) (Gelfand), and d_k <= ||A|| (submultiplicativity); estimates are lower bounds
    rho = np.abs(np.linalg.eigvals(A)).max()
    for k, dk in rep.d.items():
        assert rho * (1 - 1e-12) <= dk <= rep.norm1 * (1 + 1e-12) or k in (8, 10)
    text = str(rep)
    assert "Padé degree m" in text and "squarings" in text
    assert "ExpmReport(" in repr(rep) and rep.to_dict()["degree"] == 13
    with pytest.raises(AttributeError):
        rep.degree = 3  # frozen


def test_nonnormal_matrix_reports_a_bound_above_u_when_alpha_p_exceeds_theta():
    """For a highly nonnormal A the estimates d_8, d_10 can be far below d_5, d_6: the rigorous bound says so."""
    A = np.array([[1.0, 1e6], [0.0, -1.0]])
    X, rep = pv.expm(A, return_report=True)
    np.testing.assert_allclose(X, sl.expm(A), rtol=1e-13)
    if rep.alpha_bound > rep.theta:
        assert rep.backward_error_bound > rep.unit_roundoff
    else:
        assert rep.backward_error_bound <= rep.unit_roundoff


def test_zero_identity_and_scalar():
    X, rep = pv.expm(np.zeros((3, 3)), return_report=True)
    assert np.array_equal(X, np.eye(3)) and rep.degree == 0 and rep.backward_error_bound == 0.0
    np.testing.assert_allclose(pv.expm(2.0), [[math.exp(2.0)]], rtol=2**-52)
    assert pv.expm(np.array([[1]])).dtype == np.float64


def test_tiny_and_huge_norms():
    a = np.array([[1e-300, 2e-300], [0.0, -1e-300]])
    np.testing.assert_allclose(pv.expm(a, return_report=True)[0], np.eye(2) + a, rtol=0, atol=1e-310)
    big = np.array([[600.0, 1.0], [0.0, 600.5]])  # e^600 ~ 3.8e260 is representable
    X, rep = pv.expm(big, return_report=True)
    np.testing.assert_allclose(X, sl.expm(big), rtol=1e-12)
    assert np.isfinite(X).all() and rep.squarings > 5


def test_powers_that_overflow_are_scaled_first():
    """||A|| = 1e60: A^6 overflows; pivotal scales first and gets e^A ~ 0 (SciPy's expm returns NaN here)."""
    for A in (np.array([[-1e60, 1e60], [0.0, -2e60]]), np.array([[-1e60, 1e60], [3.0, -2e60]])):
        X, rep = pv.expm(A, return_report=True)
        assert np.all(X == 0) and rep.squarings > 190 and rep.backward_error_bound <= rep.unit_roundoff
    # nilpotent with a huge entry: A^2 = 0, so r_3(A) = I + A exactly and nothing is scaled
    X, rep = pv.expm(np.array([[0.0, 1e200], [0.0, 0.0]]), return_report=True)
    assert (
        np.array_equal(X, [[1.0, 1e200], [0.0, 1.0]]) and rep.squarings == 0 and rep.backward_error_bound == 0
    )


def test_exp_divided_difference_is_accurate_and_does_not_overflow():
    from pivotal.matfun._scaling_squaring import _exp_divided_difference

    x = np.array([1.0, 1.0 + 1e-9, 3.0, -800.0, 700.0, 700.0])
    got = _exp_divided_difference(x)
    # (e^b - e^a)/(b - a) = e^a (e^h - 1)/h, h = b - a, with expm1 accurate to a few ulps
    ref = [math.exp(1.0) * math.expm1(1e-9) / 1e-9]
    ref.append(math.exp(1 + 1e-9) * math.expm1(2 - 1e-9) / (2 - 1e-9))
    ref.append((math.exp(-800.0) - math.exp(3.0)) / -803.0)
    ref.append(math.exp(700.0) / 1500.0)  # e^-800 underflows: no 0 * inf
    ref.append(math.exp(700.0))
    np.testing.assert_allclose(got, ref, rtol=8 * 2**-52)


@pytest.mark.parametrize("dtype", [np.float32, np.complex64])
def test_single_precision_uses_the_single_table(dtype):
    rng = np.random.default_rng(1)
    a = _normal(rng, 6, dtype, 6.0)
    X, rep = pv.expm(a, return_report=True)
    assert X.dtype == dtype and rep.degree == 7 and rep.unit_roundoff == 2.0**-24
    Y = sl.expm(a.astype(np.complex128))
    assert np.linalg.norm(X - Y, 1) / np.linalg.norm(Y, 1) / (6 * 2**-24 * 7) < 30


def test_batched_empty_and_bad_input():
    rng = np.random.default_rng(2)
    a = rng.standard_normal((3, 2, 4, 4))
    X, rep = pv.expm(a, return_report=True)
    assert X.shape == a.shape and rep.batch_size == 6
    np.testing.assert_allclose(X, sl.expm(a), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(pv.expm(a), sl.expm(a), rtol=1e-13)
    assert pv.expm(np.zeros((0, 0))).shape == (0, 0)
    assert pv.expm(np.zeros((2, 0, 0)), return_report=True)[0].shape == (2, 0, 0)
    with pytest.raises(ValueError, match="square"):
        pv.expm(np.ones((2, 3)))
    with pytest.raises(ValueError, match="two-dimensional"):
        pv.expm(np.ones(3))
    with pytest.raises(ValueError, match="infs or NaNs"):
        pv.expm(np.array([[1.0, np.nan], [0, 1]]))
    assert np.isnan(pv.expm(np.array([[1.0, np.nan], [0, 1]]), check_finite=False)).any()
    with pytest.raises(TypeError):
        pv.expm(np.eye(2), return_report="yes")


def test_own_algorithm_matches_scipy_on_random_matrices():
    """Ours and SciPy's implement the same algorithm: same accuracy class on general matrices."""
    rng = np.random.default_rng(11)
    for n, scale in [(5, 0.01), (20, 0.5), (20, 3.0), (40, 10.0)]:
        a = rng.standard_normal((n, n)) * scale / math.sqrt(n)
        X, _ = expm_scaling_squaring(a)
        Y = sl.expm(a)
        # no cond estimate for general A: compare with the scale of the Fréchet derivative's bound e^||A||
        err = np.linalg.norm(X - Y, 1) / np.linalg.norm(Y, 1)
        assert err / (n * 2**-53 * math.exp(np.linalg.norm(a, 1))) < 30


# ------------------------------------------------------------------ torch and JAX


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.complex128])
def test_torch_input(dtype):
    rng = np.random.default_rng(3)
    a = rng.standard_normal((2, 5, 5))
    t = torch.from_numpy(a).to(dtype)
    X = pv.expm(t)
    assert isinstance(X, torch.Tensor) and X.dtype == dtype and X.shape == t.shape
    u = 2**-24 if dtype == torch.float32 else 2**-53
    Y = sl.expm(a)
    assert np.abs(X.numpy() - Y).max() / np.abs(Y).max() / (5 * u * math.exp(np.abs(a).sum(-2).max())) < 30
    Xr, rep = pv.expm(t, return_report=True)
    assert isinstance(Xr, torch.Tensor) and Xr.dtype == dtype and rep.batch_size == 2


def test_torch_gradcheck_through_matrix_exp():
    rng = np.random.default_rng(4)
    a = torch.tensor(rng.standard_normal((4, 4)) * 0.7, requires_grad=True)
    assert torch.autograd.gradcheck(pv.expm, (a,))
    assert torch.autograd.gradgradcheck(pv.expm, (a,))
    with pytest.raises(ValueError, match="return_report"):
        pv.expm(a, return_report=True)


def test_jax_input_and_check_grads(x64):
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp
    from jax.test_util import check_grads

    rng = np.random.default_rng(5)
    a = rng.standard_normal((4, 4)) * 0.7
    X = pv.expm(jnp.asarray(a))
    assert type(X).__module__.startswith("jax")
    np.testing.assert_allclose(np.asarray(X), sl.expm(a), rtol=1e-12)
    check_grads(lambda x: pv.expm(x, check_finite=False), (jnp.asarray(a),), order=2, modes=["rev"])
    jitted = jax.jit(lambda x: pv.expm(x, check_finite=False))
    np.testing.assert_allclose(np.asarray(jitted(jnp.asarray(a))), sl.expm(a), rtol=1e-12)
    Xr, rep = pv.expm(jnp.asarray(a), return_report=True)
    assert type(Xr).__module__.startswith("jax") and rep.degree in (3, 5, 7, 9, 13)
