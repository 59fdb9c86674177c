"""pivotal.krylov.block_cg: shifted Hermitian systems in one block Krylov space, against direct solves.

Each column's answer is checked against ``numpy.linalg.solve`` of ``A + c_j I`` through the relative
residual (the stopping test) and the forward error, bounded by ``cond(A + c_j I)`` times the residual
(the forward error of a backward-stable answer); iteration counts are compared with ``cg``'s.
"""

from __future__ import annotations

import numpy as np
import pytest

from pivotal.krylov import block_cg, cg

torch = pytest.importorskip("torch")


def _spd(rng, n, cond):
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return (Q * np.geomspace(1.0, 1.0 / cond, n)) @ Q.T


def _check(A, B, c, X, rtol):
    n = A.shape[0]
    for j in range(B.shape[1]):
        Aj = A + c[j] * np.eye(n)
        ref = np.linalg.solve(Aj, B[:, j])
        res = np.linalg.norm(B[:, j] - Aj @ X[:, j]) / np.linalg.norm(B[:, j])
        assert res <= 10 * rtol, (j, res)
        err = np.linalg.norm(X[:, j] - ref) / np.linalg.norm(ref)
        assert err <= 10 * rtol * np.linalg.cond(Aj), (j, err)


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_shifted_family_against_direct_solves(backend):
    rng = np.random.default_rng(0)
    A = _spd(rng, 120, 1e4)
    B = rng.standard_normal((120, 4))
    c = np.array([0.0, 1e-3, 0.1, 1.0])
    rtol = 1e-12
    if backend == "torch":
        X, info = block_cg(
            torch.tensor(A), torch.tensor(B), shifts=torch.tensor(c), rtol=rtol, return_info=True
        )
        X = X.numpy()
    else:
        X, info = block_cg(A, B, shifts=c, rtol=rtol, return_info=True)
    assert info.info == 0 and info.converged.all() and info.method == "block_cg"
    _check(A, B, c, X, rtol)
    # the reported residuals are the true ones, below the threshold of each column
    assert np.all(info.residual_norms <= 10 * info.tolerance)


def test_fewer_steps_than_separate_cg():
    """k columns share one space: block steps <= the CG iterations of the slowest column."""
    rng = np.random.default_rng(1)
    A = _spd(rng, 200, 1e3)
    B = rng.standard_normal((200, 6))
    _, info_b = block_cg(A, B, rtol=1e-10, return_info=True)
    _, info_c = cg(A, B, rtol=1e-10, return_info=True)
    assert info_b.info == 0 and info_c.info == 0
    assert info_b.iterations.max() < info_c.iterations.max()


def test_complex_hermitian():
    rng = np.random.default_rng(2)
    G = rng.standard_normal((60, 60)) + 1j * rng.standard_normal((60, 60))
    A = G @ G.conj().T / 60
    B = rng.standard_normal((60, 3)) + 1j * rng.standard_normal((60, 3))
    c = np.array([0.5, 1.0, 4.0])
    X, info = block_cg(A, B, shifts=c, rtol=1e-12)
    assert info == 0
    _check(A, B, c, X, 1e-12)


def test_deflation_repeated_and_zero_columns():
    """Equal columns, a zero column, and an invariant space (two eigenvalues): exact, no breakdown."""
    rng = np.random.default_rng(3)
    A = _spd(rng, 50, 10.0)
    b = rng.standard_normal(50)
    B = np.stack([b, b, 0 * b], axis=1)
    X, info = block_cg(A, B, shifts=[0.0, 2.0, 1.0], rtol=1e-12, return_info=True)
    assert info.info == 0
    np.testing.assert_allclose(X[:, 0], np.linalg.solve(A, b), rtol=1e-9)
    np.testing.assert_allclose(X[:, 1], np.linalg.solve(A + 2 * np.eye(50), b), rtol=1e-9)
    assert not X[:, 2].any()
    D = np.diag(np.r_[np.ones(5), 2 * np.ones(5)])
    X, info = block_cg(D, np.ones((10, 3)), rtol=1e-13, return_info=True)
    assert info.info == 0 and info.iterations.max() <= 2
    np.testing.assert_allclose(X[:, 0], np.r_[np.ones(5), 0.5 * np.ones(5)], rtol=1e-13)
    X, info = block_cg(A, np.zeros((50, 2)))
    assert info == 0 and not X.any()


def test_vector_rhs_and_maxiter():
    rng = np.random.default_rng(4)
    A = _spd(rng, 80, 1e6)
    b = rng.standard_normal(80)
    x, info = block_cg(A, b, rtol=1e-12)
    assert x.shape == (80,) and info == 0
    _, info = block_cg(A, b, rtol=1e-14, maxiter=3, return_info=True)
    assert info.info == 3 and not info.converged.any() and info.iterations.max() == 3


def test_bad_shifts():
    A = np.eye(3)
    with pytest.raises(ValueError, match="shifts"):
        block_cg(A, np.ones((3, 2)), shifts=[1.0])
    with pytest.raises(ValueError, match="shifts"):
        block_cg(A, np.ones((3, 2)), shifts=[1.0, np.nan])
    with pytest.raises(ValueError, match="shifts"):
        block_cg(A, np.ones((3, 2)), shifts=[1.0, 1j])


def test_recurrence_residuals_track_the_true_ones():
    """``true_residual=False`` reports the stopping test's residuals, with no extra product: with full
    reorthogonalisation they differ from the true ones by rounding, ``O(n u ||A + c_j I|| ||x_j||)``."""
    rng = np.random.default_rng(5)
    A = _spd(rng, 150, 1e3)
    B = rng.standard_normal((150, 5))
    c = np.array([0.0, 0.01, 0.1, 1.0, 10.0])
    products = []

    def op(X):
        products.append(X.shape[1])
        return A @ X

    from scipy.sparse.linalg import LinearOperator

    L = LinearOperator((150, 150), matvec=lambda x: A @ x, matmat=op, dtype=float)
    X, info_t = block_cg(L, B, shifts=c, rtol=1e-10, return_info=True)
    n_true = len(products)
    products.clear()
    X2, info_r = block_cg(L, B, shifts=c, rtol=1e-10, return_info=True, true_residual=False)
    assert len(products) == n_true - 1  # the true residuals cost one block product
    np.testing.assert_array_equal(X, X2)
    u = np.finfo(float).eps / 2
    for j in range(5):
        bound = 150 * u * (np.linalg.norm(A, 2) + c[j]) * np.linalg.norm(X[:, j])
        assert abs(info_r.residual_norms[j] - info_t.residual_norms[j]) <= bound, j
    assert np.all(info_r.residual_norms <= info_r.tolerance)


def test_exactly_singular_projection_is_refused():
    """A + c I singular on the Krylov space (the contract asks for positive definite): a clear error."""
    with pytest.raises(np.linalg.LinAlgError, match="positive definite"):
        block_cg(np.diag([1.0, 2.0]), np.array([[1.0], [0.0]]), shifts=[-1.0])
