"""PyTorch tensors as input to pivotal.ml.geometry, Whitening and PCA: the same results as NumPy input.

These estimators and functions compute on the host (``host`` converts a tensor exactly), so a float64
tensor gives the NumPy result to rounding (the same algorithm on the same numbers; only the memory
alignment, which can change BLAS blocking, differs).  float32 tensors keep float32 where NumPy does.
"""

from __future__ import annotations

import numpy as np
import pytest

from pivotal.ml import (
    PCA,
    Whitening,
    covariance,
    gram,
    pairwise_distances,
    procrustes,
    projection,
    sample_mvn,
)

torch = pytest.importorskip("torch")

EPS = float(np.finfo(np.float64).eps)


def _data(n, d, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)) @ rng.standard_normal((d, d)) + 3.0


def _close(ours, reference, scale, factor=100):
    ours, reference = np.asarray(ours), np.asarray(reference)
    assert ours.shape == reference.shape
    assert np.abs(ours - reference).max() <= factor * EPS * scale


def test_geometry_accepts_tensors():
    X = _data(40, 6, seed=1)
    Y = _data(30, 6, seed=2)
    Xt, Yt = torch.tensor(X), torch.tensor(Y)
    scale = np.abs(X).max() ** 2 * 6
    _close(gram(Xt), gram(X), scale)
    _close(gram(Xt, Yt), gram(X, Y), scale)
    _close(covariance(Xt, ddof=0), covariance(X, ddof=0), scale)
    _close(pairwise_distances(Xt, Yt, squared=True), pairwise_distances(X, Y, squared=True), scale)
    D = pairwise_distances(Xt)
    assert np.all(np.diag(D) == 0)  # identical rows: exact zeros, tensors too
    _close(D, pairwise_distances(X), np.sqrt(scale), factor=1e3)

    rng = np.random.default_rng(3)
    R_true, _ = np.linalg.qr(rng.standard_normal((6, 6)))
    R, s = procrustes(Xt, torch.tensor(X @ R_true))
    assert s == 1.0
    assert np.abs(R - R_true).max() < 1e3 * EPS  # recovered: the error is ~ kappa(X) u

    P = projection(torch.tensor(X[:, :3]))
    Pn = projection(X[:, :3])
    assert P.rank == Pn.rank == 3 and P.orthonormality_error < 100 * EPS
    v = rng.standard_normal(40)
    _close(P.matvec(v), Pn.matvec(v), np.abs(v).max() * 40)
    _close(P.complement(torch.tensor(v)), Pn.complement(v), np.abs(v).max() * 40)

    cov = covariance(X)
    draw = sample_mvn(torch.tensor(X.mean(axis=0)), torch.tensor(cov), 5, random_state=0)
    ref = sample_mvn(X.mean(axis=0), cov, 5, random_state=0)
    assert draw.method == ref.method == "cholesky"
    _close(draw.samples, ref.samples, np.abs(ref.samples).max())


@pytest.mark.parametrize("method", ["zca", "pca", "cholesky"])
def test_whitening_accepts_tensors(method):
    X = _data(300, 5, seed=4)
    ours = Whitening(method).fit(torch.tensor(X))
    ref = Whitening(method).fit(X)
    Z = ours.transform(torch.tensor(X))
    _close(Z, ref.transform(X), np.abs(ref.transform(X)).max() * 300, factor=1e3)
    assert np.abs(np.cov(Z, rowvar=False) - np.eye(5)).max() < 1e-8
    back = ours.inverse_transform(torch.tensor(Z))
    assert np.abs(back - X).max() < 1e3 * 300 * EPS * np.abs(X).max()

    # float32, well-conditioned data (kappa(cov) = 25): the output covariance is I to ~ kappa u32
    X = np.random.default_rng(6).standard_normal((300, 5)) * np.arange(1.0, 6.0) + 3.0
    single = Whitening(method).fit(torch.tensor(X, dtype=torch.float32))
    Z32 = single.transform(torch.tensor(X, dtype=torch.float32))
    assert np.abs(np.cov(np.asarray(Z32, dtype=np.float64), rowvar=False) - np.eye(5)).max() < 1e-3


@pytest.mark.parametrize("solver", ["full", "randomized"])
def test_pca_accepts_tensors(solver):
    rng = np.random.default_rng(5)
    U, _ = np.linalg.qr(rng.standard_normal((600, 30)))
    V, _ = np.linalg.qr(rng.standard_normal((30, 30)))
    X = (U * 0.6 ** np.arange(30) * 25) @ V.T + 4.0
    ours = PCA(4, svd_solver=solver, random_state=0).fit(torch.tensor(X))
    ref = PCA(4, svd_solver=solver, random_state=0).fit(X)
    # well-separated components (gaps of 40%): the components agree to ~ n u / gap
    assert np.abs(ours.components_ - ref.components_).max() < 1e-10
    assert np.allclose(ours.explained_variance_, ref.explained_variance_, rtol=1e-12)
    Z = ours.transform(torch.tensor(X))
    _close(Z, ref.transform(X), np.abs(X).max() * 30, factor=1e3)
    _close(
        ours.inverse_transform(torch.tensor(Z)), ref.inverse_transform(Z), np.abs(X).max() * 30, factor=1e3
    )

    single = PCA(4, svd_solver=solver, random_state=0).fit(torch.tensor(X, dtype=torch.float32))
    assert single.components_.dtype == np.float32
    assert np.allclose(single.explained_variance_, ref.explained_variance_, rtol=1e-4)
