"""Ridge, RidgeCV and LinearProbe (pivotal.ml.ridge) against scikit-learn and exact arithmetic."""

from __future__ import annotations

import warnings

import mpmath
import numpy as np
import pytest
import scipy.sparse

sklearn = pytest.importorskip("sklearn")
from sklearn import linear_model  # noqa: E402
from sklearn.base import clone  # noqa: E402

import pivotal.ml.ridge as ridge_module  # noqa: E402
from pivotal.errors import LinAlgWarning  # noqa: E402
from pivotal.ml import LinearProbe, NotFittedError, Ridge, RidgeCV  # noqa: E402

EPS = float(np.finfo(np.float64).eps)


def _data(n, d, k=None, seed=0, kappa=None):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    if kappa is not None:  # singular values geometric from 1 to 1/kappa
        U, _ = np.linalg.qr(rng.standard_normal((n, min(n, d))))
        V, _ = np.linalg.qr(rng.standard_normal((d, min(n, d))))
        X = (U * np.geomspace(1, 1 / kappa, min(n, d))) @ V.T + 3.0  # an offset for the intercept
    y = rng.standard_normal(n) if k is None else rng.standard_normal((n, k))
    return X, y


def _rel(a, b):
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))) / max(np.max(np.abs(b)), 1e-300))


# ------------------------------------------------------------------------------------------ Ridge
# Well-conditioned data (kappa(X) ~ 3): every backward-stable solver agrees with scikit-learn's to
# c kappa(X^T X + alpha I) u, far below the 1e-10 the issue asks for.
@pytest.mark.parametrize("solver", ["auto", "cholesky", "qr", "svd"])
@pytest.mark.parametrize("shape", [(60, 8), (20, 50)])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_ridge_matches_sklearn(solver, shape, fit_intercept):
    X, Y = _data(*shape, k=3)
    alpha = np.array([0.3, 1.0, 2.0])
    ours = Ridge(alpha, fit_intercept=fit_intercept, solver=solver).fit(X, Y)
    theirs = linear_model.Ridge(alpha, fit_intercept=fit_intercept, solver="svd").fit(X, Y)
    assert _rel(ours.coef_, theirs.coef_) < 1e-10
    assert np.max(np.abs(ours.intercept_ - theirs.intercept_)) < 1e-10 * max(1, np.abs(Y).max())
    assert _rel(ours.predict(X), theirs.predict(X)) < 1e-10
    assert ours.solver_ == (solver if solver != "auto" else "cholesky")


def test_ridge_single_target_sample_weight_and_score():
    X, y = _data(50, 6, seed=1)
    sw = np.random.default_rng(2).uniform(0.1, 2.0, 50)
    ours = Ridge(0.5).fit(X, y, sample_weight=sw)
    theirs = linear_model.Ridge(0.5).fit(X, y, sample_weight=sw)
    assert ours.coef_.shape == (6,) and isinstance(ours.intercept_, float)
    assert _rel(ours.coef_, theirs.coef_) < 1e-10 and abs(ours.intercept_ - theirs.intercept_) < 1e-10
    assert abs(ours.score(X, y) - theirs.score(X, y)) < 1e-12
    assert abs(ours.score(X, y, sample_weight=sw) - theirs.score(X, y, sample_weight=sw)) < 1e-12


def test_auto_chooses_by_conditioning_and_says_why():
    X, y = _data(80, 10, kappa=1e7, seed=3)  # kappa(X^T X) ~ 1e14: normal equations lose 14 digits
    one = Ridge(1e-12).fit(X, y)
    assert one.solver_ == "qr" and "rcond" in one.solver_reason_ and "u^(1/3)" in one.solver_reason_
    several = Ridge([1e-12, 1e-3], solver="auto").fit(X, np.column_stack([y, y]))
    assert several.solver_ == "svd" and "several alphas" in several.solver_reason_
    good = Ridge(1.0).fit(*_data(80, 10, seed=4))
    assert good.solver_ == "cholesky" and ">= u^(1/3)" in good.solver_reason_


def _exact_ridge(X, y, alpha):
    """The ridge solution with intercept in 60-digit arithmetic (normal equations are exact there)."""
    mpmath.mp.dps = 60
    n, d = X.shape
    xm = [mpmath.fsum(mpmath.mpf(X[i, j]) for i in range(n)) / n for j in range(d)]
    ym = mpmath.fsum(mpmath.mpf(v) for v in y) / n
    Xc = mpmath.matrix([[mpmath.mpf(X[i, j]) - xm[j] for j in range(d)] for i in range(n)])
    yc = mpmath.matrix([mpmath.mpf(y[i]) - ym for i in range(n)])
    G = Xc.T * Xc
    for j in range(d):
        G[j, j] += mpmath.mpf(alpha)
    w = mpmath.lu_solve(G, Xc.T * yc)
    return np.array([float(w[j]) for j in range(d)])


def test_auto_is_accurate_where_the_normal_equations_are_not():
    # kappa([X; sqrt(alpha) I]) ~ 1e7: QR's error bound is ~ kappa u ~ 1e-9 relative (times a modest
    # constant), while the normal equations' is kappa^2 u ~ 1e+0.
    X, y = _data(40, 6, kappa=1e7, seed=5)
    exact = _exact_ridge(X, y, 1e-14)
    auto = Ridge(1e-14).fit(X, y)
    bound = 100 * 40 * 1e7 * EPS
    assert auto.solver_ == "qr" and _rel(auto.coef_, exact) < bound
    assert _rel(Ridge(1e-14, solver="svd").fit(X, y).coef_, exact) < bound


def test_cholesky_failure_falls_back_to_svd_and_reports_it():
    X, y = _data(30, 5, seed=6)
    X = np.column_stack([X, X[:, 0]])  # an exactly repeated column: X^T X is singular, alpha = 0
    with pytest.warns(LinAlgWarning, match="fell back to the thin SVD"):
        model = Ridge(0.0, solver="cholesky").fit(X, y)
    assert model.solver_ == "svd" and "failed" in model.solver_reason_
    Xc = X - X.mean(axis=0)
    expected = np.linalg.pinv(Xc) @ (y - y.mean())  # the minimum-norm least-squares solution
    assert _rel(model.coef_, expected) < 1e3 * 30 * EPS * np.linalg.cond(Xc[:, :5])


def test_ridge_float32_stays_float32():
    X, y = _data(40, 5, seed=7)
    model = Ridge(1.0).fit(X.astype(np.float32), y.astype(np.float32))
    assert model.coef_.dtype == np.float32
    ref = Ridge(1.0).fit(X, y)
    assert _rel(model.coef_, ref.coef_) < 100 * float(np.finfo(np.float32).eps)


def test_ridge_accepts_torch_tensors():
    torch = pytest.importorskip("torch")
    X, y = _data(30, 4, seed=8)
    model = Ridge(1.0).fit(torch.tensor(X), torch.tensor(y))
    assert _rel(model.coef_, Ridge(1.0).fit(X, y).coef_) == 0.0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"solver": "lsqr"}, "solver must be one of"),
        ({"alpha": -1.0}, "non-negative"),
        ({"alpha": np.nan}, "finite"),
        ({"alpha": [1.0, 2.0]}, "one entry per target"),
    ],
)
def test_ridge_bad_parameters(kwargs, match):
    X, y = _data(10, 3)
    with pytest.raises(ValueError, match=match):
        Ridge(**kwargs).fit(X, np.column_stack([y, y, y]))


def test_ridge_bad_input_and_unfitted():
    X, y = _data(10, 3)
    with pytest.raises(NotFittedError, match="not fitted"):
        Ridge().predict(X)
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="contains NaN"):
        Ridge().fit(bad, y)
    with pytest.raises(ValueError, match="sample_weight must have shape"):
        Ridge().fit(X, y, sample_weight=np.ones(3))
    model = Ridge().fit(X, y)
    with pytest.raises(ValueError, match="X has 2 features, but Ridge is expecting 3"):
        model.predict(X[:, :2])
    sparse_X = scipy.sparse.csr_matrix(X)
    with pytest.raises(TypeError, match=r"scipy\.sparse"):
        Ridge().fit(sparse_X, y)


def test_params_clone_and_repr():
    model = Ridge(2.0, solver="qr")
    assert model.get_params() == {"alpha": 2.0, "fit_intercept": True, "solver": "qr"}
    assert repr(model) == "Ridge(alpha=2.0, solver='qr')"
    twin = clone(model)
    assert twin.get_params() == model.get_params() and twin is not model
    with pytest.raises(ValueError, match="Invalid parameter 'alfa'"):
        model.set_params(alfa=1.0)


# ---------------------------------------------------------------------------------------- RidgeCV
ALPHAS = np.logspace(-6, 3, 25)


@pytest.mark.parametrize("shape", [(60, 8), (20, 50)])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("alpha_per_target", [False, True])
def test_ridgecv_matches_sklearn(shape, fit_intercept, alpha_per_target):
    X, Y = _data(*shape, k=3, seed=9)
    kw = {"fit_intercept": fit_intercept, "alpha_per_target": alpha_per_target, "store_cv_results": True}
    ours = RidgeCV(ALPHAS, **kw).fit(X, Y)
    theirs = linear_model.RidgeCV(ALPHAS, **kw).fit(X, Y)
    assert np.array_equal(np.asarray(ours.alpha_), np.asarray(theirs.alpha_))
    assert _rel(ours.coef_, theirs.coef_) < 1e-10
    # scikit-learn's squared LOO errors carry an error ~ u / alpha (see below): compare the scores to
    # that accuracy, and the errors where alpha >= 1e-2
    rtol = max(1e-10, 1e3 * EPS / float(np.min(ours.alpha_)))
    assert np.allclose(ours.best_score_, theirs.best_score_, rtol=rtol, atol=0)
    big = ALPHAS >= 1e-2
    assert _rel(ours.cv_results_[..., big], theirs.cv_results_[..., big]) < 1e-9
    assert ours.gcv_mode_ == "eigen"  # well conditioned: the smaller Gram matrix


@pytest.mark.parametrize("gcv_mode", ["svd", "eigen", "auto"])
@pytest.mark.parametrize("shape", [(40, 12), (12, 40)])
def test_ridgecv_modes_agree(gcv_mode, shape):
    X, y = _data(*shape, seed=10)
    ours = RidgeCV(ALPHAS, gcv_mode=gcv_mode, store_cv_results=True).fit(X, y)
    ref = RidgeCV(ALPHAS, gcv_mode="svd", store_cv_results=True).fit(X, y)
    # the eigen route resolves singular values to sqrt(u) relative; these are O(1)
    assert ours.alpha_ == ref.alpha_ and _rel(ours.cv_results_, ref.cv_results_) < 1e-9


def _exact_loo(X, y, alpha):
    """Squared leave-one-out errors by refitting n times in 50-digit arithmetic (intercept, dual form)."""
    mpmath.mp.dps = 50
    n, d = X.shape
    out = []
    for i in range(n):
        rows = [j for j in range(n) if j != i]
        xm = [mpmath.fsum(mpmath.mpf(X[r, c]) for r in rows) / (n - 1) for c in range(d)]
        ym = mpmath.fsum(mpmath.mpf(y[r]) for r in rows) / (n - 1)
        Xc = mpmath.matrix([[mpmath.mpf(X[r, c]) - xm[c] for c in range(d)] for r in rows])
        K = Xc * Xc.T
        for r in range(n - 1):
            K[r, r] += mpmath.mpf(alpha)
        coef = Xc.T * mpmath.lu_solve(K, mpmath.matrix([mpmath.mpf(y[r]) - ym for r in rows]))
        pred = ym + mpmath.fsum((mpmath.mpf(X[i, c]) - xm[c]) * coef[c] for c in range(d))
        out.append(float((mpmath.mpf(y[i]) - pred) ** 2))
    return np.array(out)


@pytest.mark.parametrize("gcv_mode", ["eigen", "svd"])
def test_ridgecv_loo_is_accurate_down_to_tiny_alpha(gcv_mode):
    # d > n with an intercept: the fit interpolates as alpha -> 0 and 1 - h_ii -> 0; the textbook
    # formula loses every digit at alpha = 1e-14 (scikit-learn#32459: its error here is ~ u / alpha).
    # Ours takes the complement from the dropped vectors, where nothing cancels: error ~ n kappa u.
    X, y = _data(12, 30, seed=11)
    alphas = np.array([1e-14, 1e-8, 1e-2])
    ours = RidgeCV(alphas, gcv_mode=gcv_mode, store_cv_results=True).fit(X, y)
    for j, alpha in enumerate(alphas):
        exact = _exact_loo(X, y, alpha)
        assert _rel(ours.cv_results_[:, j], exact) < 1e4 * EPS, alpha


def test_ridgecv_uses_one_decomposition_for_the_whole_grid(monkeypatch):
    calls = {"svd": 0, "eigh": 0}

    def counting(name, fn):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return fn(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(ridge_module, "svd", counting("svd", ridge_module.svd))
    monkeypatch.setattr(ridge_module, "eigh", counting("eigh", ridge_module.eigh))
    monkeypatch.setattr(ridge_module, "Cholesky", None)  # no factorization besides the one decomposition
    monkeypatch.setattr(ridge_module, "QR", None)
    X, y = _data(100, 10, seed=12)
    grid = np.logspace(-8, 4, 50)
    assert RidgeCV(grid).fit(X, y).gcv_mode_ == "eigen"  # of X^T X
    assert calls == {"svd": 0, "eigh": 1}
    assert RidgeCV(grid).fit(X[:8], y[:8]).gcv_mode_ == "eigen"  # of X X^T
    assert calls == {"svd": 0, "eigh": 2}
    assert RidgeCV(grid, gcv_mode="svd").fit(X, y).gcv_mode_ == "svd"
    assert calls == {"svd": 1, "eigh": 2}
    # kappa(X)^2 ~ 1e12 > u^(-1/2): the eigenvalues of X^T X say so, and the SVD runs instead
    Xbad, ybad = _data(100, 10, kappa=1e6, seed=15)
    assert RidgeCV(grid).fit(Xbad, ybad).gcv_mode_ == "svd"
    assert calls == {"svd": 2, "eigh": 3}


def test_ridgecv_bad_parameters():
    X, y = _data(10, 3)
    with pytest.raises(ValueError, match="positive finite"):
        RidgeCV([0.0, 1.0]).fit(X, y)
    with pytest.raises(ValueError, match="gcv_mode must be one of"):
        RidgeCV(gcv_mode="cholesky").fit(X, y)
    with pytest.raises(ValueError, match="at least 2 samples"):
        RidgeCV().fit(X[:1], y[:1])


# ------------------------------------------------------------------------------------ LinearProbe
def _blobs(n_per=30, classes=3, d=5, seed=13):
    rng = np.random.default_rng(seed)
    centres = 3 * rng.standard_normal((classes, d))
    X = np.vstack([c + rng.standard_normal((n_per, d)) for c in centres])
    y = np.repeat(np.arange(classes), n_per)
    return X, y


def test_linear_probe_matches_ridge_classifier():
    X, y = _blobs()
    ours = LinearProbe(alpha=0.5).fit(X, y)
    theirs = linear_model.RidgeClassifier(alpha=0.5).fit(X, y)
    # RidgeClassifier fits the +-1 encoding 2 Y - 1: its scores are 2 ours - 1, the same argmax
    assert _rel(2 * ours.decision_function(X) - 1, theirs.decision_function(X)) < 1e-10
    assert np.array_equal(ours.predict(X), theirs.predict(X))
    proba = ours.predict_proba(X)
    assert np.allclose(proba.sum(axis=1), 1, atol=10 * EPS)
    assert np.array_equal(np.argmax(proba, axis=1), np.searchsorted(ours.classes_, ours.predict(X)))
    assert ours.score(X, y) == theirs.score(X, y)


def test_linear_probe_binary_and_labels():
    X, y = _blobs(classes=2)
    labels = np.where(y == 1, "cat", "dog")
    probe = LinearProbe(alpha=1.0).fit(X, labels)
    assert probe.decision_function(X).shape == (X.shape[0],)
    assert set(probe.predict(X)) <= {"cat", "dog"} and probe.score(X, labels) > 0.9


def test_linear_probe_lstsq_is_the_minimum_norm_fit():
    X, y = _blobs(n_per=4, d=20, seed=14)  # 12 samples, 20 features: underdetermined
    probe = LinearProbe(method="lstsq").fit(X, y)
    Y = np.eye(3)[y]
    Xc, Yc = X - X.mean(axis=0), Y - Y.mean(axis=0)
    assert _rel(probe.coef_, (np.linalg.pinv(Xc) @ Yc).T) < 1e3 * 20 * EPS * np.linalg.cond(Xc)
    assert probe.solver_ == "lstsq" and probe.score(X, y) == 1.0
    with pytest.raises(ValueError, match="alpha is used only by method='ridge'"):
        LinearProbe(alpha=1.0, method="lstsq").fit(X, y)


def test_linear_probe_refuses_continuous_targets():
    X, _ = _blobs()
    with pytest.raises(ValueError, match="Unknown label type: continuous"):
        LinearProbe().fit(X, np.linspace(0, 1, X.shape[0]))


def test_warnings_are_quiet_on_good_input():
    X, y = _blobs()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        LinearProbe().fit(X, y).predict_proba(X)
        RidgeCV(ALPHAS).fit(X, y.astype(float))
