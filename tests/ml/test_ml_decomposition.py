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
