"""factorize(): one test per row of the decision table, plus Banded."""

from __future__ import annotations

import numpy as np
import pytest

import pivotal as pv
from pivotal import gallery

from .helpers import THRESH, random_matrix, solve_residual_ratio, to_backend, u_of


def _check_solve(A, F):
    b = np.random.default_rng(0).standard_normal((A.shape[0], 2))
    assert solve_residual_ratio(A, F.solve(b), b) < THRESH


def test_row_diagonal_triangular():
    D = np.diag([1.0, -2.0, 3.0])
    F = pv.factorize(D)
    assert isinstance(F, pv.Diagonal) and F.path[0].startswith("diagonal")
    U = np.triu(np.ones((5, 5))) + np.eye(5)
    F = pv.factorize(U)
    assert isinstance(F, pv.Triangular) and not F.lower
    _check_solve(U, F)


def test_row_cholesky_and_fallback_to_ldl():
    S = gallery.random_spd(30, 1e4, random_state=1)
    F = pv.factorize(S)
    assert isinstance(F, pv.Cholesky) and F.path[-1].startswith("cholesky")
    K = gallery.random_symmetric_indefinite(30, 1e3, random_state=2)
    K[np.diag_indices(30)] = np.abs(K[np.diag_indices(30)]) + 0.1  # positive diagonal, still indefinite
    F = pv.factorize(K)
    assert isinstance(F, pv.LDL)
    assert (
        any(p.startswith("cholesky failed at column") for p in F.path) and F.path[-1] == "ldl (bunch-kaufman)"
    )
    _check_solve(K, F)


def test_row_symmetric_indefinite_and_complex():
    K = gallery.random_symmetric_indefinite(12, 10.0, random_state=3)
    K[0, 0] = -1.0
    assert isinstance(pv.factorize(K), pv.LDL)
    X = random_matrix(np.random.default_rng(4), (6, 6), np.complex128)
    F = pv.factorize(X + X.T)
    assert isinstance(F, pv.LDL) and not F.hermitian
    H = gallery.random_spd(6, 10.0, dtype=np.complex128, random_state=5)
    assert isinstance(pv.factorize(H), pv.Cholesky)


def test_row_tridiagonal_and_banded():
    rng = np.random.default_rng(6)
    n = 60
    T = (
        np.diag(rng.standard_normal(n) + 4)
        + np.diag(rng.standard_normal(n - 1), 1)
        + np.diag(rng.standard_normal(n - 1), -1)
    )
    F = pv.factorize(T)
    assert isinstance(F, pv.Banded) and (F.lower_bandwidth, F.upper_bandwidth) == (1, 1)
    _check_solve(T, F)
    B = np.triu(np.tril(rng.standard_normal((n, n)), 4), -3)
    F = pv.factorize(B)
    assert isinstance(F, pv.Banded) and (F.lower_bandwidth, F.upper_bandwidth) == (3, 4)
    _check_solve(B, F)
    for trans, op in [(1, B.T), (2, B.T)]:
        x = F.solve(np.ones(n), trans=trans)
        assert solve_residual_ratio(op, x, np.ones(n)) < THRESH
    # log|det| moves by n kappa THRESH n u under each factorization's backward error
    ldtol = 2 * n * np.linalg.cond(B, 2) * THRESH * n * u_of(np.float64)
    np.testing.assert_allclose(F.slogdet()[1], np.linalg.slogdet(B)[1], rtol=0, atol=ldtol)
    assert F.slogdet()[0] == np.linalg.slogdet(B)[0]
    exact = 1 / np.linalg.cond(B, 1)
    assert exact * 0.3 <= F.rcond() <= 10 * exact


def test_banded_torch_falls_back_to_lu_with_reason():
    torch = pytest.importorskip("torch")
    n = 40
    T = np.diag(np.full(n, 4.0)) + np.diag(np.ones(n - 1), 1) + np.diag(np.full(n - 1, 2.0), -1)
    F = pv.factorize(to_backend(T, "torch"))
    assert isinstance(F, pv.LU) and "torch has no banded LAPACK" in " ".join(F.path)
    with pytest.raises(TypeError, match="NumPy"):
        pv.Banded(torch.from_numpy(T))


def test_row_permuted_triangular_and_general():
    L = np.tril(np.ones((6, 6))) + np.eye(6)
    P = L[[3, 0, 5, 1, 4, 2]]
    F = pv.factorize(P)
    assert isinstance(F, pv.Triangular) and "permuted lower triangular" in F.path[0]
    assert "row-permuted lower triangular" in F.path[-1] and "row-permuted" in repr(F)
    _check_solve(P, F)
    np.testing.assert_array_equal(P[F.p], F.T)
    for trans in (1, 2):
        b = np.arange(1.0, 7.0)
        assert solve_residual_ratio(P.T, F.solve(b, trans=trans), b) < THRESH
    sign, logabs = F.slogdet()
    s_ref, l_ref = np.linalg.slogdet(P)
    assert sign == s_ref and np.isclose(logabs, l_ref)
    exact = 1 / np.linalg.cond(P, 1)  # the estimate is a lower bound of ||A^-1||_1
    assert exact * (1 - 2 * 10 * 6 * u_of(np.float64) / exact) <= F.rcond() <= 3 * exact
    U = np.triu(np.arange(1.0, 26.0).reshape(5, 5)) + 1j * np.eye(5)
    Fu = pv.factorize(U[[4, 2, 0, 1, 3]])
    assert isinstance(Fu, pv.Triangular) and not Fu.lower
    Pu = U[[4, 2, 0, 1, 3]]
    for trans in (0, 1, 2):
        b = np.arange(5.0) + 1j
        op = {0: Pu, 1: Pu.T, 2: Pu.conj().T}[trans]
        assert solve_residual_ratio(op, Fu.solve(b, trans=trans), b) < THRESH
    with pytest.raises(ValueError, match="permutation of range"):
        pv.Triangular(P, row_permutation=[0, 0, 1, 2, 3, 4])
    G = pv.Triangular(P, row_permutation=F.p, lower=True)
    np.testing.assert_allclose(G.solve(np.ones(6)), F.solve(np.ones(6)))
    V = gallery.vandermonde(10)
    F = pv.factorize(V)
    assert isinstance(F, pv.LU)
    _check_solve(V, F)


def test_row_tiny_pivot_2x2():
    A = np.array([[1e-16, 1.0], [1.0, 2.0]])
    F = pv.factorize(A)
    x = F.solve(np.array([1.0, 3.0]))
    assert solve_residual_ratio(A, x, np.array([1.0, 3.0])) < THRESH


def test_row_rectangular_and_rank_deficient():
    A = np.random.default_rng(7).standard_normal((20, 5))
    F = pv.factorize(A)
    assert isinstance(F, pv.QR) and not isinstance(F, pv.QRPivoted)
    R = gallery.rank_deficient(20, 8, 3, random_state=8)
    F = pv.factorize(R)
    assert isinstance(F, pv.QRPivoted) and F.rank == 3 and "qrcp" in F.path[-2]


def test_row_all_zero_and_nan():
    with pytest.raises(pv.SingularMatrixError) as err:
        pv.factorize(np.zeros((4, 4)))
    assert err.value.index == 0
    F = pv.factorize(np.zeros((4, 4)), check=False)
    assert not F.issuccess()
    with pytest.raises(ValueError, match="infs or NaNs"):
        pv.factorize(np.array([[1.0, np.nan], [0.0, 1.0]]))


def test_row_hilbert_warns_with_rcond():
    H = gallery.hilbert(14)
    F = pv.factorize(H)
    with pytest.warns(pv.IllConditionedWarning, match="rcond="):
        F.solve(np.ones(14))


def test_explicit_assume_and_selection():
    S = gallery.random_spd(8, 10.0, random_state=9)
    assert pv.select_factorization(S).factorization == "Cholesky"
    assert isinstance(pv.factorize(S, assume="general"), pv.LU)
    assert isinstance(pv.factorize(S, assume="symmetric"), pv.LDL)
    assert isinstance(pv.factorize(S, assume="positive definite"), pv.Cholesky)
    with pytest.raises(pv.NotPositiveDefiniteError):
        pv.factorize(-S, assume="positive definite")
    with pytest.raises(ValueError, match="assume"):
        pv.factorize(S, assume="spd")
    with pytest.raises(ValueError, match="square"):
        pv.factorize(np.ones((3, 2)), assume="symmetric")
    sel = pv.select_factorization(np.ones((5, 3)))
    assert sel.factorization == "QR" and "rectangular" in sel.reasons[0]
