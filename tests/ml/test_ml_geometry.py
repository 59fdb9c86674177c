"""Geometry tools (pivotal.ml.geometry): Haar rotations, Procrustes, projectors, distances, MVN sampling."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import scipy.spatial.distance
import scipy.stats

from pivotal.errors import LinAlgWarning, NotPositiveDefiniteError
from pivotal.ml import (
    covariance,
    gram,
    pairwise_distances,
    procrustes,
    projection,
    random_rotation,
    sample_mvn,
)

EPS = float(np.finfo(np.float64).eps)


# ------------------------------------------------------------------------------------------ rotations
@pytest.mark.parametrize("n", [1, 2, 5, 30])
def test_random_rotation_is_a_rotation(n):
    R = random_rotation(n, random_state=n)
    assert np.abs(R.T @ R - np.eye(n)).max() < 10 * n * EPS
    assert abs(np.linalg.det(R) - 1) < 10 * n * EPS
    assert random_rotation(n, random_state=1, dtype=np.float32).dtype == np.float32


def test_random_rotation_is_haar_by_its_eigenvalue_angles():
    # Compare the eigenvalue angles of 400 draws with 400 draws of scipy's Haar SO(n) sampler
    # (two-sample Kolmogorov-Smirnov); without QR's sign correction the angles are visibly biased.
    n, draws = 5, 400
    rng = np.random.default_rng(0)
    ours = np.concatenate(
        [np.abs(np.angle(np.linalg.eigvals(random_rotation(n, random_state=rng)))) for _ in range(draws)]
    )
    ref_rng = np.random.default_rng(1)
    theirs = np.concatenate(
        [
            np.abs(np.angle(np.linalg.eigvals(scipy.stats.special_ortho_group.rvs(n, random_state=ref_rng))))
            for _ in range(draws)
        ]
    )
    assert scipy.stats.ks_2samp(ours, theirs).pvalue > 0.01


def test_random_rotation_bad_input():
    with pytest.raises(ValueError, match="positive integer"):
        random_rotation(0)
    with pytest.raises(ValueError, match="float32 or float64"):
        random_rotation(3, dtype=np.int64)
    with pytest.raises(TypeError, match="random_state"):
        random_rotation(3, random_state="seed")


# ----------------------------------------------------------------------------------------- procrustes
def test_procrustes_recovers_a_known_rotation_and_scale():
    rng = np.random.default_rng(2)
    A = rng.standard_normal((50, 4))
    R0 = random_rotation(4, random_state=3)
    R, s = procrustes(A, A @ R0)
    # R = U V^T of A^T B: its error is kappa(A^T A)-independent (polar factor), ~ n u
    assert np.abs(R - R0).max() < 100 * EPS * 4 and s == 1.0
    R, s = procrustes(A, 0.25 * A @ R0, scaling=True)
    assert np.abs(R - R0).max() < 400 * EPS and abs(s - 0.25) < 100 * EPS


def test_procrustes_matches_scipy_on_noisy_data():
    rng = np.random.default_rng(4)
    A, B = rng.standard_normal((30, 5)), rng.standard_normal((30, 5))
    R_ours, _ = procrustes(A, B)
    R_sp, _ = scipy.linalg.orthogonal_procrustes(A, B)
    assert np.abs(R_ours - R_sp).max() < 1e3 * EPS
    with pytest.raises(ValueError, match="same shape"):
        procrustes(A, B[:, :4])


# ------------------------------------------------------------------------------------------ projectors
@pytest.mark.parametrize("method", ["qr", "svd"])
def test_projection_onto_a_rank_deficient_range(method):
    rng = np.random.default_rng(5)
    B = rng.standard_normal((40, 3))
    A = np.column_stack([B, B @ rng.standard_normal((3, 2))])  # rank 3, five columns
    P = projection(A, method=method)
    assert P.rank == 3 and P.shape == (40, 40) and P.method == method
    assert P.orthonormality_error < 10 * 40 * EPS
    x = rng.standard_normal(40)
    Px = P @ x
    assert np.abs(P @ Px - Px).max() < 100 * EPS * np.abs(x).max()  # idempotent
    assert abs(Px @ P.complement(x)) < 100 * 40 * EPS * (x @ x)  # orthogonal decomposition
    assert np.abs(P @ B - B).max() < 100 * 40 * EPS * np.abs(B).max()  # the range is kept
    y = rng.standard_normal(40)
    assert abs((P @ x) @ y - x @ (P @ y)) < 100 * 40 * EPS * np.linalg.norm(x) * np.linalg.norm(y)
    M = P.matrix()
    Q = scipy.linalg.orth(A)
    assert np.abs(M - Q @ Q.T).max() < 1e3 * 40 * EPS
    assert np.abs(P.matmat(np.eye(40)) - M).max() < 100 * 40 * EPS


def test_projection_bad_method():
    with pytest.raises(ValueError, match="method must be 'qr' or 'svd'"):
        projection(np.eye(3), method="lu")


# ---------------------------------------------------------------------------------- Gram, covariance
def test_gram_is_exactly_symmetric():
    X = np.random.default_rng(6).standard_normal((30, 7)) + 1j * np.random.default_rng(7).standard_normal(
        (30, 7)
    )
    G = gram(X)
    assert np.array_equal(G, G.conj().T) and np.all(G.diagonal().imag == 0)
    assert np.abs(G - X @ X.conj().T).max() < 10 * 7 * EPS * np.abs(X).max() ** 2
    Y = np.random.default_rng(8).standard_normal((4, 7))
    assert np.abs(gram(X, Y) - X @ Y.T).max() == 0


def test_covariance_is_centred_before_the_products():
    rng = np.random.default_rng(9)
    Z = rng.standard_normal((200, 4))
    X = 1e9 + Z  # E[x^2] - mean^2 would cancel every digit
    C = covariance(X)
    assert np.array_equal(C, C.T)
    expected = np.cov(Z, rowvar=False)  # the same covariance, computed where nothing cancels
    # centring 1e9 + z loses |1e9| u ~ 1e-7 absolute per entry: relative error ~1e-7 of O(1) data
    assert np.abs(C - expected).max() < 4 * 1e9 * EPS * 10
    assert np.abs(covariance(Z, ddof=0) - np.cov(Z, rowvar=False, ddof=0)).max() < 100 * EPS
    with pytest.raises(ValueError, match="ddof must be"):
        covariance(Z, ddof=200)


# ------------------------------------------------------------------------------------------ distances
def test_pairwise_distances_match_cdist():
    rng = np.random.default_rng(10)
    X, Y = rng.standard_normal((50, 6)), rng.standard_normal((30, 6))
    ref = scipy.spatial.distance.cdist(X, Y)
    assert np.abs(pairwise_distances(X, Y) - ref).max() < 100 * EPS * ref.max()
    assert np.abs(pairwise_distances(X, Y, squared=True) - ref**2).max() < 100 * EPS * (ref**2).max()
    # blocks change the BLAS product's blocking (and rounding), nothing else
    assert np.abs(pairwise_distances(X, Y, block_rows=7) - ref).max() < 100 * EPS * ref.max()


def test_pairwise_distances_exact_zeros_and_near_neighbours_far_from_the_origin():
    rng = np.random.default_rng(11)
    base = 1e6 + rng.standard_normal((20, 3))
    X = np.vstack([base, base[:5], base[:3] + 1e-7 * rng.standard_normal((3, 3))])
    D = pairwise_distances(X)
    assert np.array_equal(D, D.T) and np.all(D.diagonal() == 0)
    for i in range(5):
        assert D[i, 20 + i] == 0.0  # identical rows: exact zeros
    ref = scipy.spatial.distance.cdist(X, X)  # differences first: accurate
    # near neighbours (1e-7 apart at 1e6 from the origin): the expansion alone would return noise ~1e-5
    assert np.abs(D - ref).max() < 100 * EPS * 1e6
    assert np.allclose(D[:3, 25:28].diagonal(), ref[:3, 25:28].diagonal(), rtol=1e-6)


def test_pairwise_distances_bad_input():
    with pytest.raises(ValueError, match="same number of columns"):
        pairwise_distances(np.ones((2, 3)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="NaN or Inf"):
        pairwise_distances(np.array([[np.nan, 1.0]]))


# ------------------------------------------------------------------------------------------- sampling
def test_sample_mvn_positive_definite_covariance():
    rng = np.random.default_rng(12)
    M = rng.standard_normal((4, 4))
    cov = M @ M.T + 0.5 * np.eye(4)
    draw = sample_mvn(np.arange(4.0), cov, 40000, random_state=13)
    assert draw.method == "cholesky" and draw.samples.shape == (40000, 4)
    # sample covariance entries have standard deviation <= sqrt((C_ii C_jj + C_ij^2) / n): allow 6 of them
    S = np.cov(draw.samples, rowvar=False)
    sd = np.sqrt((np.outer(cov.diagonal(), cov.diagonal()) + cov**2) / 40000)
    assert np.all(np.abs(S - cov) < 6 * sd)
    assert np.all(np.abs(draw.samples.mean(axis=0) - np.arange(4.0)) < 6 * np.sqrt(cov.diagonal() / 40000))


def test_sample_mvn_singular_covariance_stays_in_its_range():
    rng = np.random.default_rng(14)
    B = rng.standard_normal((5, 2))
    cov = B @ B.T  # rank 2
    with pytest.warns(LinAlgWarning, match="rank 2 of 5"):
        draw = sample_mvn(np.zeros(5), cov, (10, 3), random_state=15)
    assert draw.method == "pivoted cholesky (rank 2)" and draw.samples.shape == (10, 3, 5)
    Q = scipy.linalg.orth(B)
    residual = draw.samples.reshape(-1, 5) - draw.samples.reshape(-1, 5) @ Q @ Q.T
    assert np.abs(residual).max() < 1e-10 * np.abs(draw.samples).max()


def test_sample_mvn_refuses_indefinite_and_nonsymmetric():
    with pytest.raises(NotPositiveDefiniteError):
        sample_mvn([0.0, 0.0], [[1.0, 2.0], [2.0, 1.0]])
    with pytest.raises(ValueError, match="symmetric"):
        sample_mvn([0.0, 0.0], [[1.0, 0.5], [0.0, 1.0]])
