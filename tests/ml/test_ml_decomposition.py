"""Whitening and PCA (pivotal.ml.decomposition) against scikit-learn and their mathematical definitions."""

from __future__ import annotations

import tracemalloc
import warnings

import numpy as np
import pytest
import scipy.sparse

pytest.importorskip("sklearn")
from sklearn import decomposition as skd

import pivotal.ml.decomposition as decomposition_module
from pivotal.errors import LinAlgWarning, NotPositiveDefiniteError
from pivotal.ml import PCA, NotFittedError, Whitening

EPS = float(np.finfo(np.float64).eps)


def _data(n, d, seed=0, decay=None, offset=5.0):
    """Rows with a mean offset; columns mixed (or with singular values ``decay**i``)."""
    rng = np.random.default_rng(seed)
    if decay is None:
        X = rng.standard_normal((n, d)) @ rng.standard_normal((d, d))
    else:
        U, _ = np.linalg.qr(rng.standard_normal((n, d)))
        V, _ = np.linalg.qr(rng.standard_normal((d, d)))
        X = (U * decay ** np.arange(d) * np.sqrt(n)) @ V.T
    return X + offset


def _cov(Z):
    return np.cov(Z, rowvar=False)


# ----------------------------------------------------------------------------------------- Whitening
@pytest.mark.parametrize("method", ["zca", "pca", "cholesky"])
@pytest.mark.parametrize("shape", [(400, 6), (60, 30)])
def test_whitened_covariance_is_identity_and_round_trips(method, shape):
    X = _data(*shape, seed=1)
    w = Whitening(method).fit(X)
    Z = w.transform(X)
    # cov(Z) = W^T cov(X) W = I up to kappa(cov) u (the eigen/Cholesky backward errors, scaled by W)
    kappa = np.linalg.cond(_cov(X))
    assert np.abs(_cov(Z) - np.eye(Z.shape[1])).max() < 100 * shape[1] * kappa * EPS
    assert np.abs(_cov(Z) - np.eye(Z.shape[1])).max() < 1e-8
    assert np.abs(Z.mean(axis=0)).max() < 1e-10
    back = w.inverse_transform(Z)
    assert np.abs(back - X).max() < 100 * shape[1] * kappa * EPS * np.abs(X).max()


def test_zca_is_symmetric_and_pca_is_on_the_principal_axes():
    X = _data(300, 5, seed=2)
    zca = Whitening("zca").fit(X)
    W = zca.whitening_matrix_
    assert np.abs(W - W.T).max() < 10 * EPS * np.abs(W).max()
    lam, V = np.linalg.eigh(_cov(X))
    expected = (V / np.sqrt(lam)) @ V.T  # the inverse symmetric square root
    assert np.abs(W - expected).max() < 1e3 * np.linalg.cond(_cov(X)) * EPS * np.abs(expected).max()
    pca = Whitening("pca").fit(X)
    assert np.allclose(pca.eigenvalues_, lam[::-1], rtol=1e-12)
    assert np.abs(np.abs(pca.components_ @ V[:, ::-1]) - np.eye(5)).max() < 1e-10


def test_rank_deficient_covariance_warns_and_maps_null_directions_to_zero():
    X = _data(200, 5, seed=3)
    X = np.column_stack([X, X[:, 0] - 2 * X[:, 1]])  # an exact linear dependence
    with pytest.warns(LinAlgWarning, match="rank 5 of 6"):
        w = Whitening("zca").fit(X)
    assert w.rank_ == 5
    eig = np.linalg.eigvalsh(_cov(w.transform(X)))
    assert np.abs(eig[0]) < 1e-10 and np.allclose(eig[1:], 1, atol=1e-8)  # a projector, not noise / noise
    with pytest.warns(LinAlgWarning, match="rank 5 of 6"):
        assert Whitening("pca").fit(X).transform(X).shape == (200, 5)
    with pytest.raises(NotPositiveDefiniteError, match="eps > 0") as err:
        Whitening("cholesky").fit(X)
    assert err.value.index == 5
    Z = Whitening("cholesky", eps=1e-3).fit(X).transform(X)  # regularised: finite
    assert np.isfinite(Z).all()


def test_wide_data_uses_the_thin_svd(monkeypatch):
    calls = []
    original = decomposition_module.svd
    monkeypatch.setattr(decomposition_module, "svd", lambda *a, **k: calls.append(1) or original(*a, **k))
    X = _data(20, 50, seed=4)
    with pytest.warns(LinAlgWarning, match="rank 19 of 50"):
        w = Whitening("pca").fit(X)
    assert calls == [1] and w.transform(X).shape == (20, 19)
    assert np.abs(_cov(w.transform(X)) - np.eye(19)).max() < 1e-8


def test_whitening_bad_input():
    X = _data(10, 3)
    with pytest.raises(ValueError, match="method must be"):
        Whitening("pcaa").fit(X)
    with pytest.raises(ValueError, match="eps must be finite and non-negative"):
        Whitening(eps=-1.0).fit(X)
    with pytest.raises(ValueError, match="at least 2 samples"):
        Whitening().fit(X[:1])
    with pytest.raises(NotFittedError):
        Whitening().transform(X)


# ----------------------------------------------------------------------------------------------- PCA
@pytest.mark.parametrize("n_components", [3, None, 0.9])
@pytest.mark.parametrize("whiten", [False, True])
def test_full_pca_matches_sklearn(n_components, whiten):
    X = _data(300, 20, seed=5)
    ours = PCA(n_components, svd_solver="full", whiten=whiten).fit(X)
    theirs = skd.PCA(n_components, svd_solver="full", whiten=whiten).fit(X)
    assert ours.n_components_ == theirs.n_components_
    # same LAPACK SVD, same sign convention: equal to rounding (relative to the data's scale)
    assert np.abs(ours.components_ - theirs.components_).max() < 1e-10
    for name in ("explained_variance_", "explained_variance_ratio_", "singular_values_", "mean_"):
        assert np.allclose(getattr(ours, name), getattr(theirs, name), rtol=1e-12, atol=0), name
    assert np.isclose(ours.noise_variance_, theirs.noise_variance_, rtol=1e-10)
    assert np.abs(ours.transform(X) - theirs.transform(X)).max() < 1e-9 * np.abs(theirs.transform(X)).max()
    Z = ours.transform(X)
    assert np.abs(ours.inverse_transform(Z) - theirs.inverse_transform(Z)).max() < 1e-9 * np.abs(X).max()


def test_full_rank_pca_round_trips():
    X = _data(100, 8, seed=6)
    pca = PCA(svd_solver="full").fit(X)
    assert np.abs(pca.inverse_transform(pca.transform(X)) - X).max() < 100 * 8 * EPS * np.abs(X).max()


@pytest.mark.parametrize("sparse", [False, True])
def test_randomized_pca_matches_the_exact_one_on_decaying_spectra(sparse):
    # singular values 0.5^i: subspace iteration converges like 0.5^(2q+1) per power iteration, and the
    # adaptive stopping rule targets 1% of sigma_{k+1}; with this gap the top k are accurate to ~1e-10
    X = _data(1500, 60, seed=7, decay=0.5)
    data = scipy.sparse.csr_array(X) if sparse else X  # a dense-pattern sparse matrix: same numbers
    ours = PCA(6, svd_solver="randomized", random_state=0).fit(data)
    exact = skd.PCA(6, svd_solver="full").fit(X)
    assert ours.svd_solver_ == "randomized"
    assert np.allclose(ours.explained_variance_, exact.explained_variance_, rtol=1e-8)
    assert np.allclose(ours.explained_variance_ratio_, exact.explained_variance_ratio_, rtol=1e-8)
    assert np.abs(ours.components_ - exact.components_).max() < 1e-6  # same sign convention
    assert np.isclose(ours.noise_variance_, exact.noise_variance_, rtol=1e-6)
    assert np.abs(ours.transform(data) - exact.transform(X)).max() < 1e-6 * np.abs(exact.transform(X)).max()


def test_randomized_pca_never_forms_the_centred_copy():
    X = _data(6000, 300, seed=8, decay=0.7)  # 14 MB
    PCA(5, svd_solver="randomized", random_state=0).fit(X)  # warm up imports and caches
    tracemalloc.start()
    try:
        PCA(5, svd_solver="randomized", random_state=0).fit(X)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 0.25 * X.nbytes, peak  # a centred copy alone would be X.nbytes


def test_randomized_total_variance_of_sparse_input_is_exact():
    rng = np.random.default_rng(9)
    S = scipy.sparse.random(500, 40, density=0.05, random_state=rng, format="csc") * 1e4 + 0
    dense = S.toarray()
    total = decomposition_module._total_variance(S, dense.mean(axis=0))
    assert np.isclose(total, dense.var(axis=0, ddof=1).sum(), rtol=1e-13)


def test_auto_solver_follows_sklearn_rule():
    assert PCA(5).fit(_data(100, 20)).svd_solver_ == "full"
    assert PCA(5, random_state=0).fit(_data(1000, 600, seed=10)).svd_solver_ == "randomized"
    assert PCA(500).fit(_data(1000, 600, seed=10)).svd_solver_ == "full"
    sparse = scipy.sparse.random(600, 40, density=0.1, random_state=1, format="csr")
    assert PCA(3, random_state=0).fit(sparse).svd_solver_ == "randomized"


def test_pca_bad_input():
    X = _data(50, 6)
    with pytest.raises(ValueError, match="n_components must be"):
        PCA(7).fit(X)
    with pytest.raises(ValueError, match="n_components must be"):
        PCA(0).fit(X)
    with pytest.raises(ValueError, match="needs svd_solver='full'"):
        PCA(0.5, svd_solver="randomized").fit(X)
    with pytest.raises(ValueError, match="svd_solver must be"):
        PCA(2, svd_solver="arpack").fit(X)
    with pytest.raises(TypeError, match="sparse X is supported by svd_solver='randomized'"):
        PCA(2, svd_solver="full").fit(scipy.sparse.csr_array(X))
    with pytest.raises(ValueError, match="X has 5 features, but PCA is expecting 6"):
        PCA(2).fit(X).transform(X[:, :5])


def test_quiet_on_good_input():
    X = _data(200, 10, seed=11)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        PCA(3).fit_transform(X)
        Whitening().fit_transform(X)


# ------------------------------------------------------------------------------------ PCA on Dask
def _dask(X, rows):
    da = pytest.importorskip("dask.array")
    return da.from_array(X, chunks=(rows, X.shape[1]))


@pytest.mark.parametrize("rows", [700, 25])  # 25 < d: TSQR leaves with fewer rows than columns
@pytest.mark.parametrize("solver", ["randomized", "full"])
def test_dask_pca_matches_numpy_and_sklearn(solver, rows):
    # singular values 0.6^i (times sqrt(n)): gaps of 40%, so the top 5 components are determined to
    # ~ n u / gap; both paths run the same algorithm (same test matrices), so they agree to rounding
    X = _data(3000, 40, seed=12, decay=0.6)
    Xd = _dask(X, rows)
    ours = PCA(5, svd_solver=solver, random_state=0).fit(Xd)
    numpy_path = PCA(5, svd_solver=solver, random_state=0).fit(X)
    exact = skd.PCA(5, svd_solver="full").fit(X)
    theirs = skd.PCA(5, svd_solver="randomized", random_state=0).fit(X)
    assert ours.svd_solver_ == solver and ours.n_features_in_ == 40 and ours.n_samples_ == 3000
    assert np.abs(ours.components_ - numpy_path.components_).max() < 1e-10
    for reference, tol in ((numpy_path, 1e-12), (exact, 1e-8), (theirs, 1e-8)):
        assert np.abs(ours.components_ - reference.components_).max() < 1e2 * tol  # same sign convention
        for name in ("explained_variance_", "explained_variance_ratio_", "singular_values_", "mean_"):
            assert np.allclose(getattr(ours, name), getattr(reference, name), rtol=tol, atol=0), name
        assert np.isclose(ours.noise_variance_, reference.noise_variance_, rtol=1e2 * tol)
    Z = ours.transform(Xd)
    assert type(Z) is type(Xd)  # lazy, chunked like X
    assert Z.chunks[0] == Xd.chunks[0]
    assert np.abs(Z.compute() - exact.transform(X)).max() < 1e-7 * np.abs(exact.transform(X)).max()
    back = ours.inverse_transform(Z)
    assert np.abs(back.compute() - exact.inverse_transform(exact.transform(X))).max() < 1e-7 * np.abs(X).max()


def test_dask_pca_full_solver_with_a_fraction_and_float32():
    X = _data(2000, 30, seed=13)
    Xd = _dask(X, 300)
    ours = PCA(0.9, svd_solver="full").fit(Xd)
    theirs = skd.PCA(0.9, svd_solver="full").fit(X)
    assert ours.n_components_ == theirs.n_components_
    assert np.allclose(ours.explained_variance_ratio_, theirs.explained_variance_ratio_, rtol=1e-12)
    # float32 stays float32; on a 0.5^i spectrum the randomized values are accurate to float32
    # rounding of the products, ~ sqrt(d) u32 relative to sigma_1 (1e-4 leaves a wide margin)
    X = _data(2000, 30, seed=13, decay=0.5)
    single = PCA(3, svd_solver="randomized", random_state=0).fit(_dask(X.astype(np.float32), 300))
    assert single.components_.dtype == np.float32 and single.mean_.dtype == np.float32
    exact = skd.PCA(3, svd_solver="full").fit(X)
    assert np.allclose(single.explained_variance_, exact.explained_variance_, rtol=1e-4)


def test_dask_pca_total_variance_is_exact_despite_a_large_mean():
    # column means 1e6 times the spread: the one-pass chunk combination must not cancel
    rng = np.random.default_rng(14)
    X = rng.standard_normal((1000, 6)) + 1e6
    ours = PCA(2, svd_solver="randomized", random_state=0).fit(_dask(X, 128))
    total = X.var(axis=0, ddof=1).sum()
    assert np.isclose(
        ours.explained_variance_.sum() / ours.explained_variance_ratio_.sum(), total, rtol=1e-12
    )


def test_dask_pca_bad_input():
    da = pytest.importorskip("dask.array")
    X = _data(200, 6, seed=15)
    bad = X.copy()
    bad[17, 2] = np.nan
    with pytest.raises(ValueError, match="contains NaN or infinity"):
        PCA(2, svd_solver="randomized").fit(_dask(bad, 50))
    unknown = da.from_array(X, chunks=(50, 6))
    unknown = unknown[unknown[:, 0] > -np.inf]  # boolean indexing: unknown row chunks
    with pytest.raises(ValueError, match="compute_chunk_sizes"):
        PCA(2).fit(unknown)
    with pytest.raises(ValueError, match="Complex data"):
        PCA(2).fit(_dask(X + 0j, 50))
    pca = PCA(2, svd_solver="full").fit(_dask(X, 50))
    with pytest.raises(ValueError, match="expecting 6 features"):
        pca.transform(_dask(X[:, :5], 50))


# ------------------------------------------------------------------- PCA: the randomized block Krylov
def _bench_data(n, d, decay, seed=0, offset=3.0):
    """The benchmark's data: Gaussian scores with standard deviations 0.9^i or 1/sqrt(i), rotated, offset."""
    rng = np.random.default_rng(seed)
    s = 0.9 ** np.arange(d) if decay == "fast" else 1 / np.sqrt(np.arange(1, d + 1))
    Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    return (rng.standard_normal((n, d)) * s) @ Q.T + offset


@pytest.mark.parametrize("decay", ["fast", "slow"])
def test_randomized_pca_explains_at_least_sklearns_variance(decay):
    # Rayleigh-Ritz: the explained variance of any k-dimensional subspace is at most the exact top-k sum
    # (Ky Fan), so ours <= exact up to the rounding of the Gram matrix (~ d u lambda_1 per eigenvalue),
    # and on these spectra the block Krylov space must capture at least scikit-learn's randomized subspace
    X = _bench_data(3000, 400, decay, seed=21)
    k = 20
    ours = PCA(k, svd_solver="randomized", random_state=0).fit(X)
    theirs = skd.PCA(k, svd_solver="randomized", random_state=0).fit(X)
    exact = skd.PCA(k, svd_solver="full").fit(X)
    slack = k * 400 * EPS * exact.explained_variance_[0]
    assert ours.explained_variance_.sum() <= exact.explained_variance_.sum() + slack
    assert ours.explained_variance_.sum() >= theirs.explained_variance_.sum() - slack
    # each Ritz value is below its eigenvalue (Cauchy interlacing) and, converged, close to it
    assert np.all(ours.explained_variance_ <= exact.explained_variance_ + slack)
    deficit = 1 - ours.explained_variance_.sum() / exact.explained_variance_.sum()
    assert deficit <= (1e-12 if decay == "fast" else 1e-4), deficit  # auto: 1e-4 (extrapolated) target
    assert ours.n_iter_ >= 3 and ours.path_.startswith("randomized: block Krylov")
    if decay == "fast":  # gaps of 10%: the components are determined to ~ u / gap, same sign convention
        assert np.abs(ours.components_ - exact.components_).max() < 1e-8
        assert np.allclose(ours.explained_variance_ratio_, exact.explained_variance_ratio_, rtol=1e-10)
    Vo = ours.components_
    assert np.abs(Vo @ Vo.T - np.eye(k)).max() < 100 * EPS  # orthonormal rows, whatever the convergence


def test_randomized_pca_depth_is_monotone_and_honoured():
    # the same seed gives nested Krylov spaces: each Ritz value increases with the depth (interlacing)
    X = _bench_data(2000, 300, "slow", seed=22)
    exact = skd.PCA(10, svd_solver="full").fit(X).explained_variance_
    previous = np.zeros(10)
    for q in range(5):
        pca = PCA(10, svd_solver="randomized", iterated_power=q, random_state=3).fit(X)
        assert pca.n_iter_ == q and f"depth {q} ({2 * q + 1} products" in pca.path_
        ev = pca.explained_variance_
        assert np.all(ev >= previous - 300 * EPS * exact[0]) and np.all(ev <= exact + 300 * EPS * exact[0])
        previous = ev
    assert 1 - previous.sum() / exact.sum() < 1e-3  # depth 4 on 1/sqrt(i) (auto would stop near 1e-4)


def test_randomized_pca_that_fills_the_space_is_exact():
    # block 15, 30 features: depth 1 spans R^30, so Rayleigh-Ritz is the full eigendecomposition
    X = _data(500, 30, seed=23)
    ours = PCA(5, svd_solver="randomized", random_state=0).fit(X)
    exact = skd.PCA(5, svd_solver="full").fit(X)
    assert ours.n_iter_ == 1 and "spans all d = 30" in ours.path_
    assert np.allclose(ours.explained_variance_, exact.explained_variance_, rtol=1e-10)
    assert np.abs(ours.components_ - exact.components_).max() < 1e-8


def test_randomized_pca_with_a_wide_spread_uses_the_qr():
    # singular values 0.5^i: lambda_1 / lambda_20 = 4^19 ~ 3e11 > 1e6, so the Gram matrix would leave the
    # 20th variance a relative error ~ u 3e11 ~ 1e-4; the QR of X Z keeps it at ~ u sigma_1 / sigma_20
    X = _data(1500, 200, seed=24, decay=0.5)  # numerically of rank ~ 55: the Krylov blocks break down
    ours = PCA(20, svd_solver="randomized", random_state=0).fit(X)
    exact = skd.PCA(20, svd_solver="full").fit(X)
    assert "QR of X Z" in ours.path_ and ours.n_iter_ == 3
    s = exact.singular_values_
    bound = 1e3 * EPS * s[0] / s  # relative error of s_i from backward errors ~ u sigma_1 (n, d small)
    assert np.all(np.abs(ours.singular_values_ - s) <= bound * s)
    assert np.abs(ours.components_[:10] - exact.components_[:10]).max() < 1e-8


def test_randomized_pca_in_float32():
    # products in float32 (rounding ~ sqrt(d) u32 sigma_1 in X Z, summed at random), Rayleigh-Ritz matrix in
    # float64: the i-th variance is accurate to ~ sqrt(d) u32 sigma_1 / sigma_i relative; a float32 Gram
    # matrix would leave u32 (sigma_1 / sigma_i)^2, four times the bound at i = 40 (sigma_1 / sigma_40 ~ 60)
    X = _bench_data(3000, 200, "fast", seed=25)
    k = 40
    single = PCA(k, svd_solver="randomized", random_state=0).fit(X.astype(np.float32))
    exact = skd.PCA(k, svd_solver="full").fit(X)
    assert single.components_.dtype == np.float32 and single.explained_variance_.dtype == np.float32
    s = exact.singular_values_
    u32 = float(np.finfo(np.float32).eps)
    rel = np.abs(single.explained_variance_ / exact.explained_variance_ - 1)
    assert np.all(rel <= np.sqrt(200) * u32 * s[0] / s), rel
    assert np.all(np.abs(np.sum(single.components_ * exact.components_, axis=1)) > 1 - 1e-3)


def test_randomized_pca_centres_implicitly_despite_a_large_mean():
    # the same data centred and shifted by 1e4: X Z - 1 (mean^T Z) cancels, losing ~ u ||X||_2 in each
    # product (||X||_2 ~ 1e4 sqrt(n d) here); the i-th singular value moves by at most about that
    X0 = _bench_data(2000, 100, "fast", seed=26, offset=0.0)
    X0 -= X0.mean(axis=0)
    shifted = X0 + 1e4
    a = PCA(8, svd_solver="randomized", random_state=0).fit(X0)
    b = PCA(8, svd_solver="randomized", random_state=0).fit(shifted)
    assert np.allclose(b.mean_, 1e4, rtol=0, atol=1e-9)
    delta = 100 * EPS * np.linalg.norm(shifted, 2)  # backward error of a centred product, 100 for the depth
    assert np.all(np.abs(a.singular_values_ - b.singular_values_) <= delta)
    gaps = np.abs(np.diff(a.singular_values_))
    assert np.abs(a.components_ - b.components_).max() <= 10 * delta / gaps.min()
    total = shifted.var(axis=0, ddof=1).sum()
    assert np.isclose(b.explained_variance_.sum() / b.explained_variance_ratio_.sum(), total, rtol=1e-10)


def test_randomized_pca_on_sparse_input_matches_dense():
    rng = np.random.default_rng(27)
    S = scipy.sparse.random(3000, 300, density=0.02, random_state=rng, format="csr")
    S = S @ scipy.sparse.diags(0.97 ** np.arange(300))  # decaying column scales: a decaying spectrum
    sparse = PCA(10, svd_solver="randomized", random_state=0).fit(S)
    dense = PCA(10, svd_solver="randomized", random_state=0).fit(S.toarray())
    exact = skd.PCA(10, svd_solver="full").fit(S.toarray())
    # the same iteration on the same numbers: equal to rounding
    assert np.allclose(sparse.explained_variance_, dense.explained_variance_, rtol=1e-10)
    assert sparse.explained_variance_.sum() <= exact.explained_variance_.sum() * (1 + 1e-12)
    assert sparse.explained_variance_.sum() >= exact.explained_variance_.sum() * (1 - 1e-4)


def test_randomized_pca_on_wide_data():
    # d > n: the centred data have rank n - 1 = 79; the Krylov space exhausts range(Xc^T) (80 > 79 columns
    # after depth 3 with block 20) and later blocks are rounding noise with Ritz values ~ 0
    X = _data(80, 300, seed=29)
    ours = PCA(10, svd_solver="randomized", iterated_power=6, random_state=0).fit(X)
    exact = skd.PCA(10, svd_solver="full").fit(X)
    assert ours.n_iter_ == 6
    assert np.allclose(ours.explained_variance_, exact.explained_variance_, rtol=1e-10)
    assert np.abs(ours.components_ - exact.components_).max() < 1e-6


def test_randomized_pca_parameters_are_checked():
    X = _data(200, 30, seed=28)
    for bad in (-1, 1.5, "many", True):
        with pytest.raises(ValueError, match="iterated_power must be"):
            PCA(2, svd_solver="randomized", iterated_power=bad).fit(X)
    for bad in (-1, 2.0, None):
        with pytest.raises(ValueError, match="n_oversamples must be"):
            PCA(2, svd_solver="randomized", n_oversamples=bad).fit(X)
    # n_oversamples sets the block: k + n_oversamples columns
    assert "block 7," in PCA(2, svd_solver="randomized", n_oversamples=5, random_state=0).fit(X).path_


@pytest.mark.parametrize("solver", ["full", "randomized"])
def test_whitened_pca_of_zero_variance_components_is_finite(solver):
    """Constant data (every variance 0): whiten=True gave 0 / 0 = NaN in transform (with a RuntimeWarning).

    As scikit-learn, the whitening scale is floored at the dtype's eps: a component without variance
    projects to 0, and inverse_transform maps back to the mean.
    """
    X = np.full((20, 8), 3.0)
    ours = PCA(2, svd_solver=solver, whiten=True, random_state=0).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Z = ours.transform(X)
        back = ours.inverse_transform(Z)
    theirs = skd.PCA(2, svd_solver="full", whiten=True).fit(X)
    np.testing.assert_array_equal(Z, theirs.transform(X))
    np.testing.assert_allclose(back, X, rtol=8 * EPS, atol=0)
