"""pivotal.ml.GaussianProcessRegressor against scikit-learn, a hand-written Cholesky GP, and bad input.

Tolerances.  Both implementations compute the same formulas through a
Cholesky factorization of ``K + alpha I``; their results differ by rounding
amplified by ``cond(K)``, which the data sets below keep below about 1e4
(noise variance >= 1e-2 relative to the signal), so 1e-8 relative leaves a
margin of 1e3 over ``cond(K) n eps``.  The hand-written reference (seed
example) uses the same LAPACK routines on the same matrix: 1e-12.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sk_gp = pytest.importorskip("sklearn.gaussian_process")
sk = pytest.importorskip("sklearn.gaussian_process.kernels")
from sklearn.datasets import load_diabetes  # noqa: E402

import pivotal as pv  # noqa: E402
from pivotal.ml import GaussianProcessRegressor  # noqa: E402
from pivotal.ml import kernels as pk  # noqa: E402
from pivotal.ml.kernels import Kernel  # noqa: E402

RTOL = 1e-8


def _diabetes():
    X, y = load_diabetes(return_X_y=True)
    X, y = X[:120], y[:120]
    return X / X.std(0), (y - y.mean()) / y.std()


def _sin3x():
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, (50, 1))
    return X, np.sin(3 * X[:, 0]) + 0.1 * rng.standard_normal(50)


def _ard2d():
    rng = np.random.default_rng(3)
    X = rng.uniform(-2, 2, (80, 2))
    return X, np.sin(2 * X[:, 0]) + 0.2 * X[:, 1] + 0.1 * rng.standard_normal(80)


def _problems():
    d = 10
    return {
        "diabetes": (
            _diabetes,
            pk.ConstantKernel(1.0) * pk.RBF(np.full(d, 3.0)) + pk.WhiteKernel(0.5),
            sk.ConstantKernel(1.0) * sk.RBF(np.full(d, 3.0)) + sk.WhiteKernel(0.5),
        ),
        "sin3x-rbf": (_sin3x, pk.RBF(0.6) + pk.WhiteKernel(0.01), sk.RBF(0.6) + sk.WhiteKernel(0.01)),
        "sin3x-matern": (
            _sin3x,
            pk.ConstantKernel(1.0) * pk.Matern(0.6, nu=2.5) + pk.WhiteKernel(0.01),
            sk.ConstantKernel(1.0) * sk.Matern(0.6, nu=2.5) + sk.WhiteKernel(0.01),
        ),
        "sin3x-periodic": (
            _sin3x,
            pk.ExpSineSquared(1.0, 2.0) + pk.RationalQuadratic(1.0, 1.0) + pk.WhiteKernel(0.05),
            sk.ExpSineSquared(1.0, 2.0) + sk.RationalQuadratic(1.0, 1.0) + sk.WhiteKernel(0.05),
        ),
        "ard2d": (
            _ard2d,
            pk.ConstantKernel(1.0) * pk.RBF([1.0, 1.0]) + pk.WhiteKernel(0.1),
            sk.ConstantKernel(1.0) * sk.RBF([1.0, 1.0]) + sk.WhiteKernel(0.1),
        ),
        "ard2d-matern05-dot": (
            _ard2d,
            pk.Matern([1.0, 2.0], nu=0.5) + pk.DotProduct(0.5) + pk.WhiteKernel(0.1),
            sk.Matern([1.0, 2.0], nu=0.5) + sk.DotProduct(0.5) + sk.WhiteKernel(0.1),
        ),
    }


PROBLEMS = list(_problems())


def _rel(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300)


@pytest.mark.parametrize("name", PROBLEMS)
def test_lml_gradient_and_posterior_match_sklearn(name):
    make, kp, ks = _problems()[name]
    X, y = make()
    ours = GaussianProcessRegressor(kp, optimizer=None, alpha=1e-6).fit(X, y)
    ref = sk_gp.GaussianProcessRegressor(ks, optimizer=None, alpha=1e-6).fit(X, y)
    rng = np.random.default_rng(7)
    for shift in (0.0, 0.3, -0.5):  # away from any optimum: the gradient is not small
        theta = ks.theta + shift * rng.standard_normal(ks.theta.size)
        la, ga = ours.log_marginal_likelihood(theta, eval_gradient=True)
        lb, gb = ref.log_marginal_likelihood(theta, eval_gradient=True)
        assert abs(la - lb) <= RTOL * abs(lb)
        assert _rel(ga, gb) <= RTOL
    Xt = np.vstack([X[:5] + 0.05, make()[0][-5:] * 1.3])
    ma, sa = ours.predict(Xt, return_std=True)
    mb, sb = ref.predict(Xt, return_std=True)
    assert _rel(ma, mb) <= RTOL and _rel(sa, sb) <= RTOL
    _, ca = ours.predict(Xt, return_cov=True)
    _, cb = ref.predict(Xt, return_cov=True)
    assert _rel(ca, cb) <= RTOL
    assert ours.score(X, y) == pytest.approx(ref.score(X, y), rel=RTOL)
    assert ours.log_marginal_likelihood_value_ == pytest.approx(ref.log_marginal_likelihood_value_, rel=RTOL)


@pytest.mark.parametrize("name", PROBLEMS)
def test_optimised_lml_at_least_sklearns(name):
    make, kp, ks = _problems()[name]
    X, y = make()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # either optimiser may stop at its iteration limit
        ours = GaussianProcessRegressor(kp, n_restarts_optimizer=1, random_state=0).fit(X, y)
        ref = sk_gp.GaussianProcessRegressor(ks, n_restarts_optimizer=1, random_state=0).fit(X, y)
    # Issue 13 asks for >= sklearn - 1e-8.  Both run L-BFGS-B with scipy's default stopping test,
    # relative reduction of f below ftol = 1e7 eps = 2.2e-9: on a flat optimum two runs whose
    # gradients differ by rounding (another BLAS kernel) stop up to about ftol |f| apart, which is
    # above 1e-8 once |LML| > 4.  The bound is 1e-8 plus ten such steps.
    ftol = 1e7 * np.finfo(float).eps
    slack = 1e-8 + 10 * ftol * abs(ref.log_marginal_likelihood_value_)
    assert ours.log_marginal_likelihood_value_ >= ref.log_marginal_likelihood_value_ - slack
    r = ours.fit_report_
    assert r.evaluations > 0 and r.failed_evaluations == 0 and r.restarts == 1 and len(r.runs) == 2
    np.testing.assert_array_equal(r.runs[0]["start"], kp.theta)
    # the report's figures: a backward-stable final solve, the rcond of the final K
    assert r.backward_error <= 30 * X.shape[0] * np.finfo(float).eps
    K = ours.kernel_(X) + (1e-10 + ours.jitter_) * np.eye(len(X))
    exact_rcond = 1 / (np.linalg.norm(K, 1) * np.linalg.norm(np.linalg.inv(K), 1))
    assert exact_rcond / 3 <= r.rcond <= 3 * exact_rcond * len(X)


def test_multi_target_matches_sklearn():
    X, y = _ard2d()
    Y = np.c_[y, np.cos(X[:, 1]), -2 * y + 1]
    kp = pk.ConstantKernel(1.0) * pk.RBF([1.0, 1.5]) + pk.WhiteKernel(0.1)
    ks = sk.ConstantKernel(1.0) * sk.RBF([1.0, 1.5]) + sk.WhiteKernel(0.1)
    ours = GaussianProcessRegressor(kp, optimizer=None, normalize_y=True).fit(X, Y)
    ref = sk_gp.GaussianProcessRegressor(ks, optimizer=None, normalize_y=True).fit(X, Y)
    theta = ks.theta + 0.2
    la, ga = ours.log_marginal_likelihood(theta, eval_gradient=True)
    lb, gb = ref.log_marginal_likelihood(theta, eval_gradient=True)
    assert abs(la - lb) <= RTOL * abs(lb) and _rel(ga, gb) <= RTOL
    Xt = X[:7] + 0.1
    for kw in ({"return_std": True}, {"return_cov": True}):
        ma, va = ours.predict(Xt, **kw)
        mb, vb = ref.predict(Xt, **kw)
        assert va.shape == vb.shape and _rel(ma, mb) <= RTOL and _rel(va, vb) <= RTOL
    assert ours.sample_y(Xt, 4).shape == (7, 3, 4)


def test_sklearn_kernel_objects_work_through_their_tensor():
    X, y = _ard2d()
    ks = sk.ConstantKernel(1.0) * sk.RBF([1.0, 1.5]) + sk.WhiteKernel(0.1)
    ours = GaussianProcessRegressor(ks, optimizer=None).fit(X, y)
    ref = sk_gp.GaussianProcessRegressor(ks, optimizer=None).fit(X, y)
    la, ga = ours.log_marginal_likelihood(ks.theta - 0.3, eval_gradient=True)
    lb, gb = ref.log_marginal_likelihood(ks.theta - 0.3, eval_gradient=True)
    assert abs(la - lb) <= RTOL * abs(lb) and _rel(ga, gb) <= RTOL


# ------------------------------------------------------------------ the seed example
def _seed():
    rng = np.random.default_rng(42)
    X = np.sort(rng.uniform(-3, 3, 40))[:, None]
    return X, np.sin(3 * X[:, 0]) + 0.1 * rng.standard_normal(40)


def _hand_gp(X, y, Xs, ell, sn):
    """Rasmussen & Williams Alg. 2.1, written out with numpy.linalg."""
    d2 = (X - X.T) ** 2
    K = np.exp(-0.5 * d2 / ell**2) + sn**2 * np.eye(len(X))
    L = np.linalg.cholesky(K)
    a = np.linalg.solve(L.T, np.linalg.solve(L, y))
    lml = -0.5 * y @ a - np.log(np.diag(L)).sum() - len(X) / 2 * math.log(2 * math.pi)
    Ks = np.exp(-0.5 * (Xs - X.T) ** 2 / ell**2)
    v = np.linalg.solve(L, Ks.T)
    return lml, Ks @ a, 1.0 - np.sum(v * v, axis=0)


def test_seed_example_matches_hand_written_cholesky():
    X, y = _seed()
    Xs = np.linspace(-3.5, 3.5, 29)[:, None]
    gp = GaussianProcessRegressor(pk.RBF(0.6, "fixed"), alpha=0.1**2, optimizer=None).fit(X, y)
    lml, mean, var = _hand_gp(X, y, Xs, 0.6, 0.1)
    m, s = gp.predict(Xs, return_std=True)
    assert abs(gp.log_marginal_likelihood_value_ - lml) <= 1e-12 * abs(lml)
    assert _rel(m, mean) <= 1e-12
    assert _rel(s**2, var) <= 1e-12


def test_seed_grid_search_and_optimiser_agree():
    X, y = _seed()
    gp = GaussianProcessRegressor(
        pk.RBF(0.6, (1e-2, 1e2)) + pk.WhiteKernel(0.1**2, (1e-6, 1e1)), alpha=0.0, random_state=0
    ).fit(X, y)
    ell_opt, sn2_opt = gp.kernel_.k1.length_scale, gp.kernel_.k2.noise_level
    ells = np.exp(np.linspace(np.log(0.1), np.log(3.0), 61))
    sns = np.exp(np.linspace(np.log(0.01), np.log(1.0), 61))
    lml = np.array([[_hand_gp(X, y, X[:1], e, s)[0] for s in sns] for e in ells])
    i, j = np.unravel_index(np.argmax(lml), lml.shape)
    step_e, step_s = np.log(ells[1] / ells[0]), np.log(sns[1] / sns[0])
    assert abs(np.log(ells[i] / ell_opt)) <= step_e  # the grid's best cell contains the optimum
    assert abs(np.log(sns[j] / math.sqrt(sn2_opt))) <= step_s
    assert lml.max() <= gp.log_marginal_likelihood_value_ + 1e-10  # the optimiser is at least as good


# ------------------------------------------------------------------ sampling
def test_sample_y_has_the_posterior_covariance():
    X, y = _sin3x()
    gp = GaussianProcessRegressor(pk.RBF(0.6) + pk.WhiteKernel(0.01), optimizer=None).fit(X, y)
    Xt = np.linspace(-1, 1, 5)[:, None]
    mean, cov = gp.predict(Xt, return_cov=True)
    N = 40000
    S = gp.sample_y(Xt, N, random_state=1)
    assert S.shape == (5, N)
    # Each entry of the sample covariance has standard deviation sqrt((C_ii C_jj + C_ij^2) / N);
    # 6 of them bounds all 15 entries with probability > 1 - 1e-7.
    sd = np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov**2) / N)
    assert np.all(np.abs(np.cov(S) - cov) <= 6 * sd)
    assert np.all(np.abs(S.mean(1) - mean) <= 6 * np.sqrt(np.diag(cov) / N))
    # reproducible
    np.testing.assert_array_equal(gp.sample_y(Xt, 3, random_state=5), gp.sample_y(Xt, 3, random_state=5))


def test_sample_y_at_training_points_singular_covariance():
    X, y = _sin3x()
    gp = GaussianProcessRegressor(pk.RBF(0.6), alpha=1e-10, optimizer=None).fit(X, y)
    mean, cov = gp.predict(X, return_cov=True)
    assert np.linalg.eigvalsh(cov)[0] < 0  # indefinite by rounding: a plain Cholesky would fail
    S = gp.sample_y(X, 5)  # jitter from eps * prior variance
    # posterior variances are <= about 1e-10 (the noise): samples stay within 1e-3 of the mean
    assert np.all(np.isfinite(S)) and np.abs(S - mean[:, None]).max() < 1e-3


# ------------------------------------------------------------------ not positive definite
def test_duplicated_points_alpha_zero_get_reported_jitter():
    X, y = _sin3x()
    X2, y2 = np.vstack([X, X[:10]]), np.concatenate([y, y[:10]])
    with pytest.warns(pv.LinAlgWarning, match="jitter_=") as rec:
        gp = GaussianProcessRegressor(pk.RBF(0.6, "fixed"), alpha=0.0, optimizer=None).fit(X2, y2)
    assert "alpha=0.0" in str(rec[0].message)
    assert gp.jitter_ > 0 and gp.fit_report_.jitter == gp.jitter_
    assert np.isfinite(gp.log_marginal_likelihood_value_)
    assert gp.jitter_ <= 1e-6  # within the documented bound (mean diag K = 1)
    # the fitted model is the model with that jitter
    K = pk.RBF(0.6)(X2) + gp.jitter_ * np.eye(len(X2))
    np.testing.assert_allclose(K @ gp.alpha_, y2, atol=1e-6 * np.abs(y2).max() * np.linalg.cond(K) * 1e-10)


class _Indefinite(Kernel):
    """``K = I - s J / n`` (J all ones): positive definite for s < 1, indefinite for s > 1."""

    _hyper = ("s",)
    requires_vector_input = True

    def __init__(self, s=0.5, s_bounds=(1e-3, 1e3)):
        self.s = s
        self.s_bounds = s_bounds

    def _rows(self, X, i0, i1):
        n = X.shape[0]
        return np.eye(n)[i0:i1] - self.s / n

    def _cross(self, X, Y):
        return np.zeros((X.shape[0], Y.shape[0]))

    def _gradient_blocks(self, X, i0, i1, K):
        return [np.full((i1 - i0, X.shape[0]), -self.s / X.shape[0])]

    def diag(self, X):
        return np.full(len(X), 1.0 - self.s / len(X))


def test_error_names_alpha_when_jitter_cannot_fix():
    X = np.arange(12.0)[:, None]
    y = np.ones(12)
    with pytest.raises(pv.NotPositiveDefiniteError, match=r"alpha=0\.0") as err:
        GaussianProcessRegressor(_Indefinite(30.0), alpha=0.0, optimizer=None).fit(X, y)
    assert err.value.index == 0  # I - 30 J / 12 has a negative first pivot
    assert "jitter" in str(err.value)
    # log_marginal_likelihood at an indefinite theta raises too: never a silent -inf
    gp = GaussianProcessRegressor(_Indefinite(0.5), alpha=0.0, optimizer=None).fit(X, y)
    with pytest.raises(pv.NotPositiveDefiniteError):
        gp.log_marginal_likelihood(np.log([30.0]))


def test_failed_evaluation_inside_optimiser_is_counted_not_zero_gradient():
    X = np.arange(12.0)[:, None]
    y = np.random.default_rng(0).standard_normal(12)
    seen = []

    def optimizer(obj_func, theta0, bounds):
        f0, g0 = obj_func(theta0)
        seen.append((f0, g0))
        obj_func(np.log([30.0]))  # indefinite: raises out of the optimiser, never returns (inf, 0)
        raise AssertionError("a failed evaluation returned to the optimiser")

    gp = GaussianProcessRegressor(_Indefinite(0.5), alpha=0.0, optimizer=optimizer)
    with pytest.warns(RuntimeWarning, match="did not converge"):
        gp.fit(X, y)
    r = gp.fit_report_
    assert r.evaluations == 2 and r.failed_evaluations == 1
    assert r.runs[0]["failed"] is not None and not r.runs[0]["converged"]
    assert gp.log_marginal_likelihood_value_ == pytest.approx(-seen[0][0])  # the best point evaluated
    np.testing.assert_allclose(gp.kernel_.theta, np.log([0.5]))
    # every evaluation failing: the fit raises, naming alpha
    gp = GaussianProcessRegressor(
        _Indefinite(0.5), alpha=0.0, optimizer=lambda f, t, bounds: f(np.log([30.0]))
    )
    with pytest.raises(pv.NotPositiveDefiniteError, match=r"alpha=0\.0"):
        gp.fit(X, y)


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
def test_overflowing_kernel_is_a_failed_evaluation():
    X, y = _sin3x()
    gp = GaussianProcessRegressor(pk.ConstantKernel(1.0) * pk.RBF(0.6) + pk.WhiteKernel(0.01))
    gp.fit(X, y)
    with pytest.raises(pv.NotPositiveDefiniteError, match="non-finite"):
        gp.log_marginal_likelihood(np.array([800.0, 0.0, -4.0]))


# ------------------------------------------------------------------ predict details and the API
def test_negative_variance_clamped_with_warning():
    X, y = _sin3x()
    gp = GaussianProcessRegressor(pk.RBF(0.6) + pk.WhiteKernel(0.01), optimizer=None).fit(X, y)
    gp.L_ = gp.L_ * 0.5  # a corrupted factor makes |v|^2 exceed k(x, x)
    with pytest.warns(pv.LinAlgWarning, match="below zero beyond rounding"):
        _, s = gp.predict(X[:5], return_std=True)
    assert np.all(s == 0)


def test_method_and_api():
    X, y = _sin3x()
    gp = GaussianProcessRegressor(pk.RBF(0.6) + pk.WhiteKernel(0.01), method="lu")
    with pytest.raises(ValueError, match=r"\('auto', 'cholesky', 'cg'\)"):
        gp.fit(X, y)
    gp.set_params(method="cholesky", kernel__k1__length_scale=0.7)
    assert gp.get_params()["kernel__k1__length_scale"] == 0.7
    gp.fit(X, y)
    assert gp.fit_report_.method == "cholesky" and gp.fit_report_.method_reason == "requested"
    auto = GaussianProcessRegressor(pk.RBF(0.6) + pk.WhiteKernel(0.01)).fit(X, y)
    assert auto.fit_report_.method == "cholesky" and "auto" in auto.fit_report_.method_reason
    assert isinstance(auto.factorization_, pv.Cholesky)
    np.testing.assert_allclose(auto.L_ @ auto.L_.T, auto.kernel_(X) + 1e-10 * np.eye(len(X)), atol=1e-14)
    with pytest.raises(ValueError, match="Invalid parameter"):
        gp.set_params(nonsense=1)
    with pytest.raises(ValueError, match="n_targets"):
        GaussianProcessRegressor(n_targets=2).fit(X, y)
    with pytest.raises(ValueError, match="alpha must be"):
        GaussianProcessRegressor(alpha=np.ones(3)).fit(X, y)
    with pytest.raises(ValueError, match="NaN"):
        GaussianProcessRegressor().fit(np.where(X > 1, np.nan, X), y)
    with pytest.raises(ValueError, match="2D"):
        GaussianProcessRegressor().fit(X[:, 0], y)
    with pytest.raises(ValueError, match="expecting 1 features"):
        auto.predict(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="finite"):
        GaussianProcessRegressor(pk.RBF(1.0, (1e-5, np.inf)), n_restarts_optimizer=1).fit(X, y)
    with pytest.raises(RuntimeError, match="At most one"):
        auto.predict(X, return_std=True, return_cov=True)
    # unfitted: the prior, as scikit-learn
    prior = GaussianProcessRegressor(n_targets=2)
    m, s = prior.predict(X[:3], return_std=True)
    assert m.shape == (3, 2) and np.all(s == 1.0)
    # the default kernel is scikit-learn's
    ref = sk_gp.GaussianProcessRegressor().fit(X, y)
    ours = GaussianProcessRegressor().fit(X, y)
    assert ours.log_marginal_likelihood_value_ == pytest.approx(ref.log_marginal_likelihood_value_, rel=RTOL)


@pytest.mark.parametrize("method", ["cholesky", "cg"])
def test_torch_input_gives_the_numpy_results(method):
    """fit / predict / sample_y / score / log_marginal_likelihood on PyTorch tensors run the same
    float64 host code as on NumPy arrays: equal results (the optimiser too), as float64 tensors
    on the input's device."""
    torch = pytest.importorskip("torch")
    X, y = _ard2d()
    Xt = X[:7] * 1.1
    kernel = pk.ConstantKernel(1.0) * pk.RBF([1.0, 1.0]) + pk.WhiteKernel(0.1)
    opts = {"method": method, "random_state": 0}
    ref = GaussianProcessRegressor(kernel, **opts).fit(X, y)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    for device in devices:
        t = lambda a, dev=device: torch.as_tensor(a, device=dev)  # noqa: E731
        ours = GaussianProcessRegressor(kernel, **opts).fit(t(X), t(y))
        assert isinstance(ours.X_train_, np.ndarray)  # the fitted state lives on the host
        np.testing.assert_array_equal(ours.kernel_.theta, ref.kernel_.theta)
        assert ours.log_marginal_likelihood_value_ == ref.log_marginal_likelihood_value_
        for got, want in (
            (ours.predict(t(Xt)), (ref.predict(Xt),)),
            (ours.predict(t(Xt), return_std=True), ref.predict(Xt, return_std=True)),
            (ours.predict(t(Xt), return_cov=True), ref.predict(Xt, return_cov=True)),
            (ours.sample_y(t(Xt), 3), (ref.sample_y(Xt, 3),)),
        ):
            for a, b in zip(got if isinstance(got, tuple) else (got,), want, strict=True):
                assert isinstance(a, torch.Tensor) and a.dtype == torch.float64 and a.device.type == device
                np.testing.assert_array_equal(a.cpu().numpy(), b)
        assert ours.score(t(Xt), t(np.sin(Xt[:, 0]))) == ref.score(Xt, np.sin(Xt[:, 0]))
        theta = ref.kernel_.theta + 0.1
        la, ga = ours.log_marginal_likelihood(t(theta), eval_gradient=True)
        lb, gb = ref.log_marginal_likelihood(theta, eval_gradient=True)
        assert la == lb and isinstance(ga, np.ndarray)
        np.testing.assert_array_equal(ga, gb)


def test_jax_input_refused():
    jnp = pytest.importorskip("jax.numpy")
    with pytest.raises(TypeError, match="NumPy arrays or PyTorch tensors"):
        GaussianProcessRegressor().fit(jnp.zeros((3, 1)), jnp.zeros(3))


def test_ml_is_not_imported_by_pivotal():
    import subprocess
    import sys

    code = "import sys, pivotal; print('pivotal.ml' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_pickle_round_trip():
    import pickle

    X, y = _sin3x()
    gp = GaussianProcessRegressor(pk.RBF(0.6) + pk.WhiteKernel(0.01), optimizer=None).fit(X, y)
    gp2 = pickle.loads(pickle.dumps(gp))
    Xt = X[:4] + 0.1
    np.testing.assert_array_equal(gp2.predict(Xt, return_std=True)[1], gp.predict(Xt, return_std=True)[1])
    np.testing.assert_array_equal(gp2.factorization_.L, gp.factorization_.L)  # refactored: same LAPACK call


# scikit-learn's estimator checks.  Skipped by scikit-learn itself here: check_array_api_input
# (needs SCIPY_ARRAY_API=1) and check_regressor_data_not_an_array (needs pandas).
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402


@pytest.mark.filterwarnings("ignore")
@parametrize_with_checks([GaussianProcessRegressor()])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 25),
    d=st.integers(1, 3),
    seed=st.integers(0, 2**31 - 1),
    log_ls=st.floats(-1.0, 1.0),
    log_noise=st.floats(-4.0, 0.0),
    nu=st.sampled_from([0.5, 1.5, 2.5]),
)
def test_property_lml_and_gradient_match_sklearn(n, d, seed, log_ls, log_noise, nu):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, (n, d))
    y = rng.standard_normal(n)
    ls = np.exp(log_ls + 0.3 * rng.standard_normal(d))
    kp = pk.ConstantKernel(1.3) * pk.Matern(ls, nu=nu) + pk.WhiteKernel(np.exp(log_noise))
    ks = sk.ConstantKernel(1.3) * sk.Matern(ls, nu=nu) + sk.WhiteKernel(np.exp(log_noise))
    ours = GaussianProcessRegressor(kp, optimizer=None).fit(X, y)
    ref = sk_gp.GaussianProcessRegressor(ks, optimizer=None).fit(X, y)
    la, ga = ours.log_marginal_likelihood(ks.theta, eval_gradient=True)
    lb, gb = ref.log_marginal_likelihood(ks.theta, eval_gradient=True)
    # noise variance >= e^-4 against a signal variance of 1.3: cond(K) <= about 1.3 n e^4 < 2e3
    assert abs(la - lb) <= RTOL * max(abs(lb), 1.0)
    assert np.all(np.abs(ga - gb) <= RTOL * max(np.abs(gb).max(), 1.0))


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
def test_fit_with_overflowing_kernel_raises():
    X, y = _sin3x()
    gp = GaussianProcessRegressor(pk.ConstantKernel(np.exp(800.0), "fixed") * pk.RBF(0.6), optimizer=None)
    with pytest.raises(pv.NotPositiveDefiniteError, match="non-finite"):
        gp.fit(X, y)


@pytest.mark.parametrize("scale", [1.0, 1e-110])
def test_lapack_likelihood_path_matches_cholesky_object_path(scale):
    """The optimiser's evaluation (LAPACK potrf/potri in K's memory) against the
    :class:`pivotal.Cholesky` route, which also serves kernels far outside ``(1e-100, 1e100)``:
    both factor the same ``K`` and differ by rounding amplified by ``cond(K) < 1e4``.  At
    ``scale=1e-110`` the LML shifts by ``-n/2 log(scale)`` for ``y`` scaled by ``sqrt(scale)``."""
    X, y = _ard2d()
    kernel = pk.ConstantKernel(scale, (1e-300, 1e10)) * pk.RBF([1.0, 0.5]) + pk.WhiteKernel(
        0.1 * scale, (1e-300, 1)
    )
    gp = GaussianProcessRegressor(kernel, optimizer=None, method="cholesky", alpha=1e-10 * scale)
    gp.fit(X, math.sqrt(scale) * y)
    theta = kernel.theta + 0.2
    lml, g = gp.log_marginal_likelihood(theta, eval_gradient=True)
    k = kernel.clone_with_theta(theta)
    Kd = k(X)
    Kd[np.diag_indices_from(Kd)] += gp._diag_add()
    lml_ref, g_ref = gp._evaluate_by_cholesky_object(Kd, k, True, math.sqrt(scale) * y[:, None])
    assert abs(lml - lml_ref) <= RTOL * abs(lml_ref)
    assert _rel(g, g_ref) <= RTOL
    unscaled = GaussianProcessRegressor(
        pk.ConstantKernel(1.0) * pk.RBF([1.0, 0.5]) + pk.WhiteKernel(0.1), optimizer=None, method="cholesky"
    ).fit(X, y)
    lml1, g1 = unscaled.log_marginal_likelihood(unscaled.kernel_.theta + 0.2, eval_gradient=True)
    shift = -0.5 * len(y) * math.log(scale)
    assert abs(lml - (lml1 + shift)) <= RTOL * (abs(lml1) + abs(shift))
    assert _rel(g, g1) <= RTOL
