"""GaussianProcessRegressor(method="cg") against the exact method, with tolerances from the estimators' variance.

The matrix-free likelihood is a stochastic estimate (``pivotal.ml._gp_iterative``):
with ``t`` Gaussian probes ``z = C w`` (``P = C C^T`` the preconditioner, ``w ~ N(0, I)``)

- the log determinant is ``log det P + (1/t) sum_i w_i^T log(A) w_i`` with
  ``A = C^{-1} K C^{-T}``, of standard deviation ``sqrt(2/t) ||log A||_F``;
- the gradient's trace term is ``tr(P^{-1} dK_j) + (1/t) sum_i w_i^T M_j w_i`` with
  ``M_j = C^{-1} dK_j (K^{-1} - P^{-1}) C``, of standard deviation ``sqrt(2/t) ||sym M_j||_F``.

The tests compute these standard deviations exactly from dense matrices (``n``
a few hundred) and allow 6 of them (the estimators are sums of ``t``
weighted chi-square variables: by Chebyshev a 6-sigma miss has probability
below 1/36 for any seed, and about 1e-6 under the normal approximation; the
seeds are fixed, so the tests are deterministic).  The CG part is bounded by
the true residual: ``|k^T (x - K^{-1} b)| <= ||k|| ||b - K x|| / lambda_min(K)``.
"""

from __future__ import annotations

import math
import pickle
import warnings

import numpy as np
import pytest
import scipy.linalg

import pivotal as pv
from pivotal.ml import GaussianProcessRegressor, _gp_cost
from pivotal.ml import kernels as pk

SIGMAS = 6.0


def _problem(n=500, d=2, seed=0, m=1):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, (n, d))
    f = np.sin(X.sum(axis=1))
    Y = np.stack([f + 0.2 * np.cos(k * X[:, 0]) + 0.1 * rng.standard_normal(n) for k in range(m)], axis=1)
    return X, (Y[:, 0] if m == 1 else Y)


def _kernel(d=2):
    return pk.ConstantKernel(1.0) * pk.RBF(np.full(d, 0.8)) + pk.WhiteKernel(0.05)


def _dense_sd(gp, kernel, X, m):
    """Exact standard deviations of the LML and gradient estimates (module notes)."""
    P = gp._preconditioner
    Pm = P.L @ P.L.T + np.diag(P.d)
    C = np.linalg.cholesky(Pm)
    K, dK = kernel(X, eval_gradient=True)
    K[np.diag_indices_from(K)] += gp._diag_add()
    lam = scipy.linalg.eigh(K, Pm, eigvals_only=True)
    t = gp._cg_opts["probes"]
    sd_lml = 0.5 * m * math.sqrt(2.0 / t) * np.linalg.norm(np.log(lam))
    Kinv_C = np.linalg.solve(K, C) - np.linalg.solve(Pm, C)
    sd_g = []
    for j in range(dK.shape[2]):
        Mj = scipy.linalg.solve_triangular(C, dK[:, :, j] @ Kinv_C, lower=True)
        sd_g.append(0.5 * m * math.sqrt(2.0 / t) * np.linalg.norm(0.5 * (Mj + Mj.T)))
    return sd_lml, np.array(sd_g), K, lam


@pytest.mark.parametrize("m", [1, 2])
def test_lml_and_gradient_agree_with_exact_within_the_probe_error(m):
    X, y = _problem(n=400, m=m)
    kernel = _kernel()
    opts = {"probes": 24, "rank": 40, "rtol": 1e-8}
    cg = GaussianProcessRegressor(kernel, optimizer=None, method="cg", random_state=1, cg_options=opts).fit(
        X, y
    )
    ex = GaussianProcessRegressor(kernel, optimizer=None, method="cholesky").fit(X, y)
    theta = kernel.theta
    lml_cg, g_cg = cg.log_marginal_likelihood(theta, eval_gradient=True)
    lml_ex, g_ex = ex.log_marginal_likelihood(theta, eval_gradient=True)
    # the same probes at every evaluation: equal up to theta's exp(log(.)) rounding
    assert lml_cg == pytest.approx(cg.log_marginal_likelihood_value_, rel=1e-12)
    sd_lml, sd_g, K, _ = _dense_sd(cg, kernel, X, m)
    lam_min = np.linalg.eigvalsh(K)[0]
    Y = y.reshape(len(y), -1)
    alpha = cg.alpha_.reshape(len(y), -1)
    # CG error of the quadratic term y^T alpha: |y^T (alpha - K^{-1} y)| <= ||y|| ||r|| / lambda_min
    r = Y - K @ alpha
    quad_err = 0.5 * float(np.sum(np.linalg.norm(Y, axis=0) * np.linalg.norm(r, axis=0))) / lam_min
    assert abs(lml_cg - lml_ex) <= SIGMAS * sd_lml + quad_err
    assert np.all(np.abs(g_cg - g_ex) <= SIGMAS * sd_g + 1e-6 * np.abs(g_ex))
    # the estimate is informative: a good preconditioner makes its error a small fraction of |LML|
    assert sd_lml < 0.05 * abs(lml_ex)
    rep = cg.fit_report_.iterative
    assert rep["probes"] == 24 and rep["rank"] == 40 and rep["converged"]
    assert rep["relative_residual"] <= 1e-7  # true residual: rtol 1e-8 plus the recurrence's drift
    # the reported standard error estimates the true one (a sample std of 24 draws: within 3x)
    assert sd_lml / 3 <= rep["lml_stderr"] <= 3 * sd_lml
    assert cg.fit_report_.backward_error < 1e-7


def test_predictions_agree_to_the_cg_tolerance():
    X, y = _problem(n=400, seed=2)
    kernel = _kernel()
    cg = GaussianProcessRegressor(
        kernel, optimizer=None, method="cg", random_state=0, cg_options={"rtol": 1e-8, "rank": 40}
    ).fit(X, y)
    ex = GaussianProcessRegressor(kernel, optimizer=None, method="cholesky").fit(X, y)
    Xt = np.random.default_rng(5).uniform(-2, 2, (30, 2))
    mc, sc = cg.predict(Xt, return_std=True)
    me, se = ex.predict(Xt, return_std=True)
    K = kernel(X) + 1e-10 * np.eye(len(X))
    lam_min = np.linalg.eigvalsh(K)[0]
    Ks = kernel(Xt, X)
    kn = np.linalg.norm(Ks, axis=1)
    r = np.linalg.norm(y - K @ cg.alpha_)
    assert np.all(np.abs(mc - me) <= kn * r / lam_min + 1e-10)
    # variances: k^T K^{-1} k by CG to rtol: error <= ||k|| ||r_k|| / lambda_min, ||r_k|| <= 10 rtol ||k||
    var_err = 10 * 1e-8 * kn**2 / lam_min + 1e-12
    assert np.all(np.abs(sc**2 - se**2) <= var_err)
    _, cov_c = cg.predict(Xt[:5], return_cov=True)
    _, cov_e = ex.predict(Xt[:5], return_cov=True)
    assert np.abs(cov_c - cov_e).max() <= var_err.max()
    assert cg.score(X, y) == pytest.approx(ex.score(X, y), abs=1e-6)


def test_fitted_hyperparameters_close_to_exact():
    """The cg optimum maximises LML + e(theta) with |e| <~ 6 sd: the exact LML there is within 12 sd."""
    X, y = _problem(n=300, d=1, seed=4)
    kernel = pk.RBF(0.8) + pk.WhiteKernel(0.05)
    ex = GaussianProcessRegressor(kernel, method="cholesky").fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # L-BFGS-B may stop on the line search
        cg = GaussianProcessRegressor(
            kernel, method="cg", random_state=0, cg_options={"probes": 16, "rank": 30}
        ).fit(X, y)
    sd_lml = _dense_sd(cg, cg.kernel_, X, 1)[0]
    lml_ex_at_cg = ex.log_marginal_likelihood(cg.kernel_.theta)
    assert lml_ex_at_cg >= ex.log_marginal_likelihood_value_ - 2 * SIGMAS * sd_lml
    assert cg.fit_report_.evaluations > 1 and cg.fit_report_.method == "cg"
    assert cg.fit_report_.iterative["iterations_max"] >= cg.fit_report_.iterative["iterations"]


def test_reproducible_with_random_state():
    X, y = _problem(n=200)
    kw = {"optimizer": None, "method": "cg", "cg_options": {"probes": 4, "rank": 10}}
    a = GaussianProcessRegressor(_kernel(), random_state=3, **kw).fit(X, y)
    b = GaussianProcessRegressor(_kernel(), random_state=3, **kw).fit(X, y)
    c = GaussianProcessRegressor(_kernel(), random_state=4, **kw).fit(X, y)
    assert a.log_marginal_likelihood_value_ == b.log_marginal_likelihood_value_
    assert a.log_marginal_likelihood_value_ != c.log_marginal_likelihood_value_
    b2 = pickle.loads(pickle.dumps(b))
    Xt = X[:3] + 0.05
    np.testing.assert_array_equal(b2.predict(Xt, return_std=True)[1], b.predict(Xt, return_std=True)[1])


def test_auto_cost_model_is_recorded(monkeypatch):
    X, y = _problem(n=100)
    gp = GaussianProcessRegressor(_kernel(), optimizer=None).fit(X, y)
    rep = gp.fit_report_
    assert (
        rep.method == "cholesky" and "auto: cholesky" in rep.method_reason and "GFlop/s" in rep.method_reason
    )
    assert isinstance(gp.factorization_, pv.Cholesky)
    monkeypatch.setattr(_gp_cost, "physical_memory", lambda: 1e3)  # a machine without room for K
    gp = GaussianProcessRegressor(_kernel(), optimizer=None, random_state=0).fit(X, y)
    assert gp.fit_report_.method == "cg" and "memory" in gp.fit_report_.method_reason
    with pytest.raises(AttributeError, match="method='cg'"):
        _ = gp.factorization_
    # if CG took one iteration, the exact path's n^3 flops (potrf + potri) would dominate: auto takes cg
    monkeypatch.setattr(_gp_cost, "physical_memory", lambda: 1e15)
    monkeypatch.setattr(_gp_cost, "ASSUMED_ITERATIONS", 1)
    monkeypatch.setattr(_gp_cost, "_kernel_entry_seconds", lambda kernel, X: 0.0)  # n / (2 (t + m)) = 2.9 > 2
    gp = GaussianProcessRegressor(_kernel(), optimizer=None, random_state=0).fit(X, y)
    assert gp.fit_report_.method == "cg" and "faster" in gp.fit_report_.method_reason
    draws = gp.sample_y(X[:4], n_samples=3, random_state=0)
    assert draws.shape == (4, 3) and np.all(np.isfinite(draws))
    # a kernel without matrix-free products (scikit-learn's) stays exact
    sk = pytest.importorskip("sklearn.gaussian_process.kernels")
    assert _gp_cost.choose_method(sk.RBF(), X, 1, 16)[0] == "cholesky"


def test_cg_errors():
    X, y = _problem(n=50)
    with pytest.raises(ValueError, match="would do nothing"):
        GaussianProcessRegressor(_kernel(), method="cholesky", cg_options={"probes": 4}).fit(X, y)
    with pytest.raises(ValueError, match="unknown keys"):
        GaussianProcessRegressor(_kernel(), method="cg", cg_options={"probe": 4}).fit(X, y)
    for bad in ({"probes": 1}, {"rank": -1}, {"rtol": 0.0}, {"maxiter": 1.5}):
        with pytest.raises(ValueError, match="cg_options"):
            GaussianProcessRegressor(_kernel(), method="cg", cg_options=bad).fit(X, y)
    sk = pytest.importorskip("sklearn.gaussian_process.kernels")
    with pytest.raises(TypeError, match=r"pivotal\.ml\.kernels"):
        GaussianProcessRegressor(sk.RBF(), method="cg").fit(X, y)
    # an indefinite "kernel" (negative constant) is an error naming the problem, not a wrong LML
    bad = pk.ConstantKernel(-1.0, "fixed") * pk.RBF(1.0, "fixed")
    with pytest.raises(pv.NotPositiveDefiniteError):
        GaussianProcessRegressor(bad, method="cg", alpha=1e-3).fit(X, y)


@pytest.mark.parametrize("store", [True, False])
def test_residual_and_kernel_norm_of_an_evaluation(store, monkeypatch):
    """``iterative_lml(..., residual=True)``: ``Y - K_hat alpha`` and ``||K_hat||_inf`` (the fit's backward
    error), over several row blocks on two threads, against the dense matrix.

    A row sum of ``|K_hat|`` has rounding ``gamma_n`` relative; the residual's products and
    subtraction ``2 gamma_n |K_hat| |alpha|`` entrywise (``gamma_n ~ n u``), while a wrong
    residual would be off by about ``|K_hat| |alpha|`` itself.
    """
    from pivotal.ml import _gp_iterative
    from pivotal.ml.kernels import base

    X, y = _problem(n=300, m=2, seed=5)
    kernel = _kernel()
    monkeypatch.setattr(base, "BLOCK_ELEMENTS", 300 * 64)  # 5 row blocks
    probes = _gp_iterative.Probes.draw(np.random.default_rng(0), 300, 20, 4)
    opts = {"rank": 20, "rtol": 1e-8, "maxiter": 500, "eval_gradient": False, "store": store}
    previous = base.set_max_threads(2)
    try:
        res = _gp_iterative.iterative_lml(kernel, X, y, 1e-10, probes, residual=True, **opts)
    finally:
        base.set_max_threads(previous)
    K = kernel(X) + 1e-10 * np.eye(300)
    gamma = 300 * np.finfo(float).eps
    k_inf = np.abs(K).sum(axis=1).max()
    assert abs(res.k_inf - k_inf) <= gamma * k_inf
    np.testing.assert_array_less(
        np.abs(res.residual - (y - K @ res.alpha)), 2 * gamma * (np.abs(K) @ np.abs(res.alpha)) + 1e-300
    )
    assert res.residual.shape == y.shape
    plain = _gp_iterative.iterative_lml(kernel, X, y, 1e-10, probes, **opts)
    assert plain.residual is None and plain.k_inf is None


@pytest.mark.parametrize("m", [1, 2])
def test_stored_and_recomputed_kernel_agree(m, monkeypatch):
    """``store_kernel``: a stored ``K`` and row blocks recomputed per product are the same matrix.

    Both runs draw the same probes, so they differ only by the products' rounding: each CG
    product by ``O(n u ||K|| ||v||)``, amplified in the iterates by at most ``kappa`` (the CG
    tolerance 1e-10 keeps the iteration error below that).  The tolerance below is 1e3 times
    ``kappa n u`` relative.
    """
    X, y = _problem(n=300, m=m, seed=7)
    kernel = _kernel()
    opts = {"probes": 8, "rank": 20, "rtol": 1e-10}
    fits = {}
    for store in (True, False):
        gp = GaussianProcessRegressor(
            kernel, optimizer=None, method="cg", random_state=2, cg_options={**opts, "store_kernel": store}
        ).fit(X, y)
        fits[store] = (gp, *gp.log_marginal_likelihood(kernel.theta, eval_gradient=True))
    (gs, ls, dls), (gr, lr, dlr) = fits[True], fits[False]
    assert gs.fit_report_.iterative["kernel_storage"].startswith("stored (")
    assert gr.fit_report_.iterative["kernel_storage"] == "row blocks (requested)"
    K = kernel(X) + 1e-10 * np.eye(len(X))
    kappa = np.linalg.cond(K)
    tol = 1e3 * kappa * len(X) * np.finfo(float).eps
    assert abs(ls - lr) <= tol * abs(lr)
    assert np.abs(dls - dlr).max() <= tol * np.abs(dlr).max()
    np.testing.assert_allclose(gs.alpha_, gr.alpha_, rtol=0, atol=tol * np.abs(gr.alpha_).max())
    Xt = X[:7] + 0.01
    np.testing.assert_allclose(
        gs.predict(Xt), gr.predict(Xt), rtol=0, atol=tol * np.abs(gr.predict(Xt)).max()
    )
    # "auto" keeps K only where it fits a quarter of the memory
    monkeypatch.setattr(_gp_cost, "physical_memory", lambda: 3.9 * 8 * 300**2)
    gp = GaussianProcessRegressor(kernel, optimizer=None, method="cg", random_state=2, cg_options=opts).fit(
        X, y
    )
    assert gp.fit_report_.iterative["kernel_storage"].startswith("row blocks (auto")
    monkeypatch.setattr(_gp_cost, "physical_memory", lambda: 4.1 * 8 * 300**2)
    gp = GaussianProcessRegressor(kernel, optimizer=None, method="cg", random_state=2, cg_options=opts).fit(
        X, y
    )
    assert gp.fit_report_.iterative["kernel_storage"].startswith("stored (")
    with pytest.raises(ValueError, match="store_kernel"):
        GaussianProcessRegressor(kernel, method="cg", cg_options={"store_kernel": "yes"}).fit(X, y)
