"""Triangular solves: our substitution kernels and the SciPy-compatible wrapper."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as sl

import pivotal as pv
from pivotal import gallery
from pivotal.kernels.triangular import trsm_blocked

from .helpers import BACKENDS, DTYPES, THRESH, random_matrix, to_backend, to_np, u_of

SIZES = [0, 1, 2, 3, 5, 10, 50, 130]


def _triangular(rng, n, dtype, lower, unit):
    T = random_matrix(rng, (n, n), dtype)
    T = np.tril(T) if lower else np.triu(T)
    # Keep it reasonably conditioned: triangular matrices with random entries
    # are exponentially ill-conditioned, so boost the diagonal.
    T += np.diag(np.full(n, 2.0 * np.sqrt(max(n, 1)))).astype(dtype)
    if unit:
        T[np.diag_indices(n)] = np.nan  # must not be read
    return T


def _triangular_residual_ratio(T, x, b, lower, trans, unit, dtype):
    """LAPACK xTRT02: ||b - op(T) x||_1 / (||op(T)||_1 ||x||_1 n u)."""
    if T.shape[0] == 0:
        return 0.0
    T = np.array(T, dtype=np.complex128)
    T = np.tril(T) if lower else np.triu(T)
    if unit:
        T[np.diag_indices(T.shape[0])] = 1.0
    op = {0: T, 1: T.T, 2: T.conj().T}[trans]
    x = np.asarray(x, dtype=np.complex128)
    r = np.abs(b - op @ x).sum(axis=0).max()
    n = T.shape[0]
    denom = np.abs(op).sum(axis=0).max() * np.abs(x).sum(axis=0).max() * n * u_of(dtype)
    return 0.0 if r == 0 else r / denom


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("trans", [0, 1, 2])
@pytest.mark.parametrize("unit", [False, True])
@pytest.mark.parametrize(
    "method,block_size", [("kernel", 1), ("kernel", None), ("kernel", 7), ("vendor", None)]
)
def test_triangular_solve_ratios(backend, dtype, lower, trans, unit, method, block_size):
    rng = np.random.default_rng(0)
    for n in SIZES:
        T = _triangular(rng, n, dtype, lower, unit)
        b = random_matrix(rng, (n, 3), dtype)
        x = pv.solve_triangular(
            to_backend(T, backend),
            to_backend(b, backend),
            trans=trans,
            lower=lower,
            unit_diagonal=unit,
            check_finite=False,
            method=method,
            block_size=block_size,
        )
        assert to_np(x).dtype == np.dtype(dtype)
        assert _triangular_residual_ratio(T, to_np(x), b, lower, trans, unit, dtype) < THRESH


def test_kernel_matches_textbook_on_small_example():
    T = np.array([[2.0, 0, 0], [1, 4, 0], [3, 2, 5]])
    b = np.array([[2.0], [9], [28]])
    for nb in (1, 2, None):
        x = trsm_blocked(T, b.copy(), lower=True, block_size=nb)
        np.testing.assert_allclose(x[:, 0], [1.0, 2.0, 4.2])


@pytest.mark.parametrize("method", ["kernel", "vendor"])
def test_zero_diagonal_raises_with_index(method):
    T = np.triu(np.ones((5, 5)))
    T[3, 3] = 0.0
    with pytest.raises(pv.SingularMatrixError) as err:
        pv.solve_triangular(T, np.ones(5), method=method)
    assert err.value.index == 3
    assert isinstance(err.value, np.linalg.LinAlgError)


def test_matches_scipy_on_kahan_matrix():
    """Kahan's matrix is very ill-conditioned; substitution is still backward stable."""
    T = gallery.kahan(40)
    b = np.ones(40)
    for nb in (1, None):
        x = pv.solve_triangular(T, b, block_size=nb)
        assert _triangular_residual_ratio(T, x, b[:, None], False, 0, False, np.float64) < THRESH
    # Substitution is backward stable componentwise (|dT| <= n u |T|): the two solutions agree
    # to 2 n u cond(T, x), Skeel's condition number, which is small here though kappa(T) is not.
    x = sl.solve_triangular(T, b)
    skeel = np.abs(np.linalg.inv(T)) @ (np.abs(T) @ np.abs(x))
    np.testing.assert_allclose(
        pv.solve_triangular(T, b), x, rtol=0, atol=2 * 40 * u_of(np.float64) * skeel.max()
    )


def test_upper_triangle_only_is_read():
    rng = np.random.default_rng(1)
    T = _triangular(rng, 6, np.float64, lower=True, unit=False)
    T[np.triu_indices(6, 1)] = np.nan
    for method in ("kernel", "vendor"):
        x = pv.solve_triangular(T, np.ones(6), lower=True, check_finite=False, method=method)
        assert np.isfinite(x).all()
