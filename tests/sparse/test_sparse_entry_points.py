"""scipy.sparse input to pivotal.solve, pivotal.factorize and pivotal.lstsq."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import scipy.sparse as sp

import pivotal as pv

from ._cases import available, convection_diffusion, laplacian_2d, residual_ratio, singular, tridiagonal

EPS = np.finfo(np.float64).eps / 2
HAS_SPQR = available("pyspqr")


def test_solve_report_spd():
    a = laplacian_2d(30)
    b = np.random.default_rng(0).standard_normal(900)
    x, rep = pv.solve(a, b, return_report=True)
    assert isinstance(rep, pv.SolveReport) and rep.method == "SparseCholesky"
    assert "Hermitian, positive diagonal: try SparseCholesky" in rep.path
    assert residual_ratio(a, x, b, EPS) < 30
    r = b - a @ x
    assert rep.residual_norm == pytest.approx(np.max(abs(r)))
    assert rep.backward_error < 30 * 900 * EPS and rep.componentwise_backward_error < 30 * 900 * EPS
    # FERR bounds the true forward error (against a dense solve in extended care: refined solution)
    x_ref = np.linalg.solve(a.toarray(), b)
    assert np.max(abs(x - x_ref)) / np.max(abs(x)) <= max(rep.forward_error_bound, 100 * EPS)
    assert rep.forward_error_bound < 1e-8


def test_solve_general_and_transposed():
    a = convection_diffusion(20)
    b = np.random.default_rng(1).standard_normal((400, 2))
    x, rep = pv.solve(a, b, return_report=True)
    assert rep.method == "SparseLU" and "general" in rep.path
    assert residual_ratio(a, x, b, EPS) < 30
    xt = pv.solve(a, b, transposed=True)
    assert residual_ratio(sp.csc_array(a.T), xt, b, EPS) < 30
    assert pv.solve(a, b[:, 0]).shape == (400,)


def test_factorize_paths():
    F = pv.factorize(tridiagonal(50))
    assert isinstance(F, pv.SparseLU) and any("banded" in p for p in F.path)
    assert F.fill.ordering == "natural"
    a = sp.lil_array(laplacian_2d(10))
    a[7, 7] = -4.0  # symmetric, positive diagonal elsewhere: Cholesky is tried, fails, LU takes over
    a[7, 7] = 0.5
    a[3, 3] = -0.1
    F = pv.factorize(sp.csc_array(a))
    assert isinstance(F, pv.SparseLU)  # diagonal not positive: straight to LU
    a[3, 3] = 0.1
    a[7, 7] = 0.01
    a[7, 8] = a[8, 7] = 3.0
    F = pv.factorize(sp.csc_array(a))
    assert isinstance(F, pv.SparseLU)
    assert any(p.startswith("SparseCholesky failed at column") for p in F.path)
    b = np.ones(100)
    assert residual_ratio(sp.csc_array(a), F.solve(b), b, EPS) < 30
    with pytest.raises(pv.NotPositiveDefiniteError):
        pv.factorize(sp.csc_array(a), assume="positive definite")
    with pytest.raises(pv.NotPositiveDefiniteError):
        pv.solve(sp.csc_array(a), b, assume_a="pos")
    assert isinstance(pv.factorize(laplacian_2d(20)), pv.SparseCholesky)


def test_factorize_check_false_and_errors():
    F = pv.factorize(singular(30, 4), check=False)
    assert not F.issuccess() and F.info == 5
    with pytest.raises(pv.SingularMatrixError) as err:
        pv.solve(singular(30, 4), np.ones(30))
    assert err.value.index == 4
    with pytest.raises(ValueError, match="refine"):
        pv.solve(laplacian_2d(4), np.ones(16), refine="mixed")
    with pytest.raises(TypeError, match="dense right-hand side"):
        pv.solve(laplacian_2d(4), sp.csc_array(np.ones((16, 1))))
    with pytest.raises(ValueError, match="assume"):
        pv.factorize(laplacian_2d(4), assume="banded")
    with pytest.raises(ValueError, match="both triangles"):
        pv.solve(laplacian_2d(4), np.ones(16), lower=True)
    with pytest.raises(ValueError, match="tall"):
        pv.lstsq(sp.csc_array(np.ones((2, 5))), np.ones(2), method="sketch")
    bad = sp.lil_array(laplacian_2d(4))
    bad[0, 1] = np.inf
    with pytest.raises(ValueError, match="NaN or Inf"):
        pv.solve(sp.csc_array(bad), np.ones(16))
    with pytest.raises(ValueError, match="b contains NaN"):
        pv.solve(laplacian_2d(4), np.full(16, np.nan))


def _tall(m=2000, n=80, seed=0):
    rng = np.random.default_rng(seed)
    a = sp.random_array((m, n), density=0.03, random_state=rng, format="csc") + sp.eye_array(m, n)
    return sp.csc_array(a), rng.standard_normal((m, 2))


def _check_lstsq(a, b, x, tol=EPS):
    """Forward error of a solve with backward error ~tol: ~ kappa tol + kappa^2 tol ||r|| / (||A|| ||x||)."""
    ad = a.toarray()
    x_ref = np.linalg.lstsq(ad, b, rcond=None)[0]
    kappa = np.linalg.cond(ad)
    assert np.linalg.norm(x - x_ref) / np.linalg.norm(x_ref) < 1e3 * kappa**2 * tol


@pytest.mark.parametrize("method", ["sketch", "lsmr", "lsqr"] + (["qr"] if HAS_SPQR else []))
def test_lstsq_routes(method):
    a, b = _tall()
    res = pv.lstsq(a, b, method=method)
    x, residues, rank, s = res
    assert res.method == method and rank == 80 and s is None
    _check_lstsq(a, b, x, EPS if method in ("qr", "sketch") else 1e-12)  # the routes' stopping tolerances
    assert residues == pytest.approx(np.sum((b - a @ x) ** 2, axis=0))
    x1 = pv.lstsq(a, b[:, 0], method=method)[0]
    assert x1.shape == (80,)


def test_lstsq_auto_without_qr(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyspqr", None)
    a, b = _tall()
    res = pv.lstsq(a, b)
    assert res.method == "sketch" and "auto: tall" in res.path[1]
    _check_lstsq(a, b, res[0])
    with pytest.raises(ImportError, match=r"pivotal\[sparse\]"):
        pv.lstsq(a, b, method="qr")
    wide = sp.csc_array(a.T)
    res = pv.lstsq(wide, np.ones(80))
    assert res.method == "lsmr"
    assert np.linalg.norm(wide @ res[0] - 1) < 1e-8


@pytest.mark.skipif(not HAS_SPQR, reason="pyspqr (SuiteSparseQR) is not installed")
def test_lstsq_auto_qr_and_rank_deficiency():
    a, b = _tall()
    assert pv.lstsq(a, b).method == "qr"
    d = sp.lil_array(a)
    d[:, 5] = 0
    with pytest.raises(ValueError, match="rank deficient"):
        pv.lstsq(sp.csc_array(d), b, method="qr")


@pytest.mark.parametrize(
    "make",
    [
        lambda: laplacian_2d(12),  # SPD: SparseCholesky
        lambda: convection_diffusion(10),  # general: SparseLU
        lambda: tridiagonal(40),
        lambda: sp.csc_array(
            np.random.default_rng(3).standard_normal((30, 30))
            + 1j * np.random.default_rng(4).standard_normal((30, 30))
        ),
    ],
)
def test_det_and_slogdet_of_sparse(make):
    a = make()
    n = a.shape[0]
    sign, logabs = pv.slogdet(a)
    ref_sign, ref_logabs = np.linalg.slogdet(a.toarray())
    # the pivots carry relative errors of a few n eps (backward stability of the factorization,
    # times cond for each pivot only through log|pivot|): n eps bounds the sum of their logs' errors
    assert abs(logabs - ref_logabs) <= 64 * n * EPS * max(1.0, abs(ref_logabs))
    assert abs(sign - ref_sign) <= 64 * n * EPS
    d = pv.det(a)
    ref = np.linalg.det(a.toarray())
    assert abs(d - ref) <= 64 * n * EPS * max(1.0, abs(ref_logabs)) * abs(ref)


def test_det_of_singular_and_empty_sparse():
    a = singular(20, 7)
    assert pv.det(a) == 0.0
    sign, logabs = pv.slogdet(a)
    assert sign == 0 and logabs == -np.inf
    assert pv.det(sp.csc_array((0, 0))) == 1.0
    assert tuple(pv.slogdet(sp.csc_array((0, 0)))) == (1.0, 0.0)
    bad = sp.lil_array(laplacian_2d(3))
    bad[1, 2] = np.inf
    with pytest.raises(ValueError, match="NaN or Inf"):
        pv.det(sp.csc_array(bad))
    with pytest.raises(ValueError, match="square"):
        pv.slogdet(sp.csc_array(np.ones((2, 3))))
    with pytest.raises(TypeError, match="sparse"):  # inv stays dense-only: a sparse inverse is dense
        pv.inv(laplacian_2d(3))
