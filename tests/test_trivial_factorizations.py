"""Diagonal and Triangular factorization objects."""

from __future__ import annotations

import numpy as np
import pytest

import pivotal as pv

from .helpers import (
    BACKENDS,
    DTYPES,
    THRESH,
    random_matrix,
    solve_residual_ratio,
    to_backend,
    to_np,
    u_of,
)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_diagonal(backend, dtype):
    rng = np.random.default_rng(0)
    d = random_matrix(rng, (6,), dtype) + 2
    A = np.diag(d)
    F = pv.Diagonal(to_backend(A, backend))
    b = random_matrix(rng, (6, 2), dtype)
    for trans, op in [(0, A), (1, A.T), (2, A.conj().T)]:
        x = to_np(F.solve(to_backend(b, backend), trans=trans))
        assert solve_residual_ratio(op, x, b, dtype) < THRESH
    # a product of 6 numbers (complex: 2 sqrt(2) u each), and a ratio of two moduli
    u = u_of(dtype)
    np.testing.assert_allclose(complex(to_np(F.det())), np.prod(d.astype(np.complex128)), rtol=6 * 3 * u)
    absd = np.abs(d)
    assert F.rcond() == pytest.approx(absd.min() / absd.max(), rel=4 * u)
    np.testing.assert_allclose(to_np(F.D), A)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("unit", [False, True])
def test_triangular(backend, dtype, lower, unit):
    rng = np.random.default_rng(1)
    n = 9
    T = random_matrix(rng, (n, n), dtype)
    T = (np.tril(T) if lower else np.triu(T)) + 4 * np.eye(n, dtype=dtype)
    F = pv.Triangular(to_backend(T, backend), lower=lower if unit else None, unit_diagonal=unit)
    assert F.lower == lower
    ref = T.copy()
    if unit:
        ref[np.diag_indices(n)] = 1
    b = random_matrix(rng, (n, 3), dtype)
    for trans, op in [(0, ref), (1, ref.T), (2, ref.conj().T)]:
        x = to_np(F.solve(to_backend(b, backend), trans=trans))
        assert solve_residual_ratio(op, x, b, dtype) < THRESH
    exact = 1 / (np.linalg.norm(ref, 1) * np.linalg.norm(np.linalg.inv(ref.astype(np.complex128)), 1))
    assert exact * 0.3 <= F.rcond() <= 10 * exact
    _s, la = np.linalg.slogdet(ref.astype(np.complex128))
    tol = 1e-4 if dtype in (np.float32, np.complex64) else 1e-12
    assert float(to_np(F.slogdet()[1])) == pytest.approx(la, rel=tol)


def test_errors_and_singular():
    with pytest.raises(ValueError, match="not diagonal"):
        pv.Diagonal(np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"not \(permuted\) triangular"):
        pv.Triangular(np.ones((2, 2)))
    with pytest.raises(pv.SingularMatrixError) as err:
        pv.Diagonal(np.diag([1.0, 0.0, 2.0]))
    assert err.value.index == 1
    F = pv.Triangular(np.triu(np.ones((3, 3))) - np.diag([0, 0, 1.0]), check=False)
    assert F.info == 3 and not F.issuccess() and F.rcond() == 0.0
    U = np.triu(np.ones((3, 3)))
    U[np.diag_indices(3)] = np.nan
    G = pv.Triangular(U, lower=False, unit_diagonal=True, check_finite=False)
    np.testing.assert_allclose(G.solve(np.array([3.0, 2.0, 1.0])), [1.0, 1.0, 1.0])
    assert float(G.det()) == 1.0
