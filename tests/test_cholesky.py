"""Cholesky: LAPACK-style ratios, unused triangle never read, failures with index."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pivotal as pv
from pivotal import gallery

from .helpers import (
    BACKENDS,
    DTYPES,
    THRESH,
    random_matrix,
    reconstruction_ratio,
    solve_residual_ratio,
    to_backend,
    to_np,
    u_of,
)

SIZES = [0, 1, 2, 3, 5, 10, 50]
ALGORITHMS = [("vendor", None), ("kernel", None), ("kernel", 1), ("kernel", 4)]
KAPPAS = [2.0, 2e7, 4.5e14]


def _spd(n, kappa, mode, dtype, rng):
    return gallery.random_spd(n, kappa, mode, dtype=dtype, random_state=rng)


def _poison(A, lower):
    """Put NaN into the triangle that must not be read."""
    B = A.copy()
    n = B.shape[0]
    idx = np.triu_indices(n, 1) if lower else np.tril_indices(n, -1)
    B[idx] = np.nan
    return B


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("method,block_size", ALGORITHMS)
@pytest.mark.parametrize("lower", [True, False])
def test_cholesky_ratios_and_unread_triangle(backend, dtype, method, block_size, lower):
    rng = np.random.default_rng(1)
    for kappa in KAPPAS:
        for mode in (1, 3, 5):
            for n in SIZES:
                A = _spd(n, kappa, mode, dtype, rng)
                Ain = to_backend(_poison(A, lower), backend)
                F = pv.Cholesky(
                    Ain, lower=lower, method=method, block_size=block_size, check=False, check_finite=False
                )
                if not F.issuccess():
                    # Only allowed when rounding made the matrix numerically indefinite.
                    assert np.dtype(dtype).itemsize <= 8 and kappa > 1e6, (kappa, n, F.info)
                    continue
                L = to_np(F.L)
                wide = np.complex128 if np.iscomplexobj(L) else np.float64
                Lw = L.astype(wide)
                assert reconstruction_ratio(A, Lw @ Lw.conj().T, dtype) < THRESH, (kappa, mode, n)
                np.testing.assert_array_equal(np.triu(L, 1), 0)
                if n:
                    b = random_matrix(rng, (n, 2), dtype)
                    x = to_np(F.solve(to_backend(b, backend)))
                    assert solve_residual_ratio(A, x, b, dtype) < THRESH


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("method,block_size", ALGORITHMS)
def test_not_positive_definite_raises_with_index(backend, method, block_size):
    n, j = 9, 6
    rng = np.random.default_rng(2)
    A = _spd(n, 10.0, 3, np.float64, rng)
    # Make the leading minor of order j+1 indefinite but keep smaller ones PD.
    A[j, j] = -10.0
    with pytest.raises(pv.NotPositiveDefiniteError) as err:
        pv.Cholesky(to_backend(A, backend), method=method, block_size=block_size)
    assert err.value.index == j
    assert isinstance(err.value, np.linalg.LinAlgError)
    assert "ldl" in str(err.value).lower()
    F = pv.Cholesky(to_backend(A, backend), method=method, block_size=block_size, check=False)
    assert not F.issuccess() and F.info == j + 1
    with pytest.raises(pv.NotPositiveDefiniteError):
        F.solve(to_backend(np.ones(n), backend))
    with pytest.raises(pv.NotPositiveDefiniteError) as err:
        pv.cholesky(to_backend(A, backend), method=method, block_size=block_size)
    assert err.value.index == j


def test_nan_on_diagonal_is_a_failure_not_garbage():
    A = np.eye(3)
    A[1, 1] = np.nan
    with pytest.raises(pv.NotPositiveDefiniteError) as err:
        pv.Cholesky(A, check_finite=False, method="kernel")
    assert err.value.index == 1


@pytest.mark.parametrize("dtype", DTYPES)
def test_upper_and_lower_agree_and_det(dtype):
    rng = np.random.default_rng(4)
    A = _spd(7, 100.0, 3, dtype, rng)
    Fl = pv.Cholesky(A, lower=True)
    Fu = pv.Cholesky(A, lower=False)
    # Two backward-stable Cholesky factors of one matrix: the factor moves by at most
    # ~kappa(A)**(1/2) times the backward error THRESH n u (Sun 1991), relative to ||L||.
    u = u_of(dtype)
    ltol = 2 * THRESH * 7 * u * np.sqrt(100.0) * np.abs(Fl.L).max()
    np.testing.assert_allclose(Fl.L, Fu.L, rtol=0, atol=ltol)
    c, lower = Fu
    assert lower is False and np.allclose(c, Fu.U)
    # det moves by |tr(A^{-1} dA)| <= n kappa THRESH n u relative (kappa = 100)
    tol = 7 * 100.0 * THRESH * 7 * u
    np.testing.assert_allclose(Fl.logdet(), np.linalg.slogdet(A.astype(np.complex128))[1], rtol=0, atol=tol)
    assert float(Fl.slogdet()[0].real) == 1.0
    np.testing.assert_allclose(Fl.det(), np.linalg.det(A.astype(np.complex128)).real, rtol=2 * tol)
    np.testing.assert_allclose(Fl.inv() @ A, np.eye(7), rtol=0, atol=THRESH * 7 * u * 100.0)  # n u kappa


def test_rcond_matches_exact_order():
    A = gallery.random_spd(40, 1e6, 3, random_state=0)
    exact = 1 / (np.linalg.norm(A, 1) * np.linalg.norm(np.linalg.inv(A), 1))
    est = pv.Cholesky(A).rcond()
    # a lower bound of ||A^{-1}||_1 up to the solves' and the reference's 10 n u kappa_1 error
    assert exact * (1 - 2 * 10 * 40 * u_of(np.float64) / exact) <= est <= 10 * exact


def test_hilbert_float64_factors():
    A = gallery.hilbert(12)
    F = pv.Cholesky(A, lower=True, method="kernel")
    assert reconstruction_ratio(A, F.L @ F.L.T) < THRESH


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 15), seed=st.integers(0, 2**31 - 1), block=st.sampled_from([None, 1, 2, 5]))
def test_property_from_factor(n, seed, block):
    """A = L L^T from a random L with positive diagonal; the kernel reproduces A."""
    rng = np.random.default_rng(seed)
    L = np.tril(rng.standard_normal((n, n)), -1) + np.diag(rng.uniform(0.5, 2.0, n))
    A = L @ L.T
    F = pv.Cholesky(A, lower=True, method="kernel", block_size=block)
    assert reconstruction_ratio(A, F.L @ F.L.T) < THRESH


def test_torch_keeps_dtype_and_device():
    torch = pytest.importorskip("torch")
    A = torch.tensor([[4.0, 2.0], [2.0, 3.0]], dtype=torch.float32)
    for method in ("vendor", "kernel"):
        F = pv.Cholesky(A, method=method)
        assert isinstance(F.U, torch.Tensor) and F.U.dtype == torch.float32
        x = F.solve(torch.ones(2, dtype=torch.float32))
        assert x.dtype == torch.float32
        assert torch.allclose(A @ x, torch.ones(2))


def test_bad_input():
    with pytest.raises(ValueError, match="square"):
        pv.Cholesky(np.ones((2, 3)))
    with pytest.raises(ValueError, match="infs or NaNs"):
        pv.Cholesky(np.array([[1.0, np.inf], [np.inf, 1.0]]))
    with pytest.raises(ValueError, match="vendor"):
        pv.Cholesky(np.eye(2), method="vendor", block_size=2)
