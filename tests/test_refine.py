"""refine(): mixed-precision, fixed-precision and GMRES-IR iterative refinement.

Forward errors are measured against a reference solution of the *given*
``(A, b)`` (not against an ``x*`` with ``b = fl(A x*)``, whose rounding would
itself perturb the solution by ``kappa u``): float64 LU refined with exactly
computed residuals (every product split exactly by TwoProd, each row summed
by ``math.fsum``, the iterate kept as a double-double), accurate to about
``kappa u**2``.  Condition numbers are the 2-norm ``kappa_2`` that
``gallery.randsvd`` prescribes (exact up to rounding).  ``eps = 2**-52``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import sys
import warnings

import numpy as np
import pytest
import scipy.linalg as sl

import pivotal as pv
from pivotal import gallery
from pivotal.errors import IllConditionedWarning, LinAlgWarning

from .helpers import to_backend, to_np

R = sys.modules["pivotal.refine"]  # the module (pivotal.refine is the function)
EPS = 2.0**-52
U = EPS / 2


# ----------------------------------------------------------------------------- reference solutions


def _split(x):
    c = x * 134217729.0  # 2**27 + 1
    hi = c - (c - x)
    return hi, x - hi


def _two_prod(a, b):
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    return p, al * bl - (((p - ah * bh) - al * bh) - ah * bl)


def exact_residual(A, x_hi, x_lo, b):
    """``b - A (x_hi + x_lo)`` correctly rounded (exact products, ``math.fsum`` per row)."""
    p1, e1 = _two_prod(A, x_hi[None, :])
    p2, e2 = _two_prod(A, x_lo[None, :])
    terms = np.concatenate([b[:, None], -p1, -e1, -p2, -e2], axis=1)
    return np.array([math.fsum(row) for row in terms])


def reference_solution(A, b):
    """The solution of the real system ``A x = b`` to about ``kappa u**2`` (columns of ``b`` too)."""
    if b.ndim == 2:
        return np.stack([reference_solution(A, b[:, j]) for j in range(b.shape[1])], axis=1)
    if np.iscomplexobj(A) or np.iscomplexobj(b):
        n = A.shape[0]
        Ar, Ai = np.real(A).astype(float), np.imag(A).astype(float)
        big = np.block([[Ar, -Ai], [Ai, Ar]])
        y = reference_solution(big, np.concatenate([np.real(b), np.imag(b)]).astype(float))
        return y[:n] + 1j * y[n:]
    lu = sl.lu_factor(A)
    hi = sl.lu_solve(lu, b)
    lo = np.zeros_like(hi)
    for _ in range(60):
        d = sl.lu_solve(lu, exact_residual(A, hi, lo, b))
        s = hi + (lo + d)
        lo = (lo + d) - (s - hi)
        hi = s
        if np.max(np.abs(d)) <= 1e-24 * np.max(np.abs(hi)):
            break
    return hi


def forward_error(x, x_ref) -> float:
    x, x_ref = to_np(x), to_np(x_ref)
    return float(np.max(np.abs(x - x_ref)) / np.max(np.abs(x_ref)))


def exact_backward_error(A, x, b) -> float:
    """Normwise backward error with the residual computed exactly (real data, one column)."""
    r = exact_residual(A, x, np.zeros_like(x), b)
    return float(np.max(np.abs(r)) / (np.abs(A).sum(axis=1).max() * np.max(np.abs(x)) + np.max(np.abs(b))))


def rhs(n, seed=0, k=None):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(n if k is None else (n, k))


# ----------------------------------------------------------------------------- the acceptance targets


@pytest.mark.parametrize("n", [100, 250])
@pytest.mark.parametrize("kappa", [1e2, 1e4, 1e6])
@pytest.mark.parametrize("mode", [1, 2, 3, 4, 5])
def test_mixed_classic_reaches_float64_accuracy(n, kappa, mode):
    A = gallery.randsvd(n, kappa, mode=mode, random_state=10 * mode + n)
    b = rhs(n, seed=mode)
    x, rep = pv.refine(A, b, return_report=True)
    assert (rep.precision, rep.method, rep.factor_dtype, rep.fallback) == (
        "mixed",
        "classic",
        "float32",
        None,
    )
    assert rep.converged and rep.steps >= 1
    x_ref = reference_solution(A, b)
    assert forward_error(x, x_ref) <= 10 * kappa * EPS
    # Backward error at the rounding level of the residual, measured exactly.
    assert exact_backward_error(A, x, b) <= (n + 1) * EPS
    assert rep.backward_errors[-1] <= (n + 1) * EPS
    # ... which the float32 solution alone is far from: refinement did the work.
    x32 = pv.LU(A.astype(np.float32)).solve(b.astype(np.float32)).astype(np.float64)
    assert forward_error(x32, x_ref) > 1e3 * forward_error(x, x_ref)


@pytest.mark.parametrize("kappa", [1e8, 1e10])
@pytest.mark.parametrize("mode", [2, 3, 5])
def test_gmres_ir_with_float32_factors_beyond_single_precision(kappa, mode):
    n = 100
    A = gallery.randsvd(n, kappa, mode=mode, random_state=mode + n)
    b = rhs(n, seed=mode)
    with warnings.catch_warnings():
        warnings.simplefilter("error", LinAlgWarning)  # no IllConditionedWarning from the float32 factors
        x, rep = pv.refine(A, b, method="gmres", return_report=True)
    # kappa u_32 > 1 here: rounding A to float32 can leave it numerically singular, so its
    # float32 LU need not exist (Carson & Higham's analysis assumes it runs to completion) and
    # whether GEPP meets a zero pivot depends on the BLAS kernel's rounding.  Guaranteed: the
    # answer is accurate either way, and the report says which route produced it.
    assert rep.method == "gmres" and rep.converged
    if rep.fallback is None:  # the float32 factors worked: GMRES-IR did the work
        assert rep.factor_dtype == "float32"
        assert len(rep.gmres_iterations) == rep.steps >= 1
        assert all(1 <= k <= n for k in rep.gmres_iterations)
    else:  # the float32 factorization failed (or GMRES-IR stalled): float64 took over
        assert "float32" in rep.fallback and rep.factor_dtype == "float64"
        assert "refine fallback" in rep.factorization.path[-1]
    assert forward_error(x, reference_solution(A, b)) <= 10 * kappa * EPS
    assert exact_backward_error(A, x, b) <= (n + 1) * EPS


@pytest.mark.parametrize("kappa", [1e9, 1e10])
@pytest.mark.parametrize("mode", [2, 3])
def test_classic_mixed_fails_beyond_single_precision_and_falls_back(kappa, mode):
    n = 120
    A = gallery.randsvd(n, kappa, mode=mode, random_state=mode)
    b = rhs(n, seed=mode)
    with warnings.catch_warnings():
        warnings.simplefilter("error", LinAlgWarning)
        x, rep = pv.refine(A, b, return_report=True)
    assert isinstance(rep.fallback, str) and "did not converge" in rep.fallback
    assert rep.converged and rep.factor_dtype == "float64" and rep.precision == "mixed"
    assert isinstance(rep.factorization, pv.LU) and rep.factorization.dtype == np.float64
    assert "refine fallback" in rep.factorization.path[-1]
    # The float32 phase left the backward error far above the rounding level.
    assert max(rep.backward_errors[:-1]) > 1e3 * (n + 1) * EPS
    assert forward_error(x, reference_solution(A, b)) <= 10 * kappa * EPS
    assert rep.backward_errors[-1] <= (n + 1) * EPS


def test_gmres_ir_hard_case_stays_accurate():
    # Mode 1 with kappa 1e10: float32 rounding swamps all but one singular value, so
    # M^{-1} A has no clustered spectrum; whether GMRES-IR or its fallback finishes,
    # the answer must be accurate.
    n = 80
    A = gallery.randsvd(n, 1e10, mode=1, random_state=3)
    b = rhs(n, seed=3)
    x, rep = pv.refine(A, b, method="gmres", return_report=True)
    assert rep.converged
    assert forward_error(x, reference_solution(A, b)) <= 10 * 1e10 * EPS


@pytest.mark.parametrize("kappa", [1e12, 1e13, 1e14])
@pytest.mark.parametrize("mode", [2, 3, 5])
def test_extended_residual_recovers_full_accuracy_when_ill_conditioned(kappa, mode):
    n = 60
    A = gallery.randsvd(n, kappa, mode=mode, random_state=mode + 7)
    b = rhs(n, seed=mode)
    x_ref = reference_solution(A, b)
    fe_lu = forward_error(sl.solve(A, b, check_finite=False), x_ref)
    x, rep = pv.refine(A, b, precision="fixed", residual="extended", return_report=True)
    assert (rep.precision, rep.residual, rep.converged, rep.factor_dtype) == (
        "fixed",
        "extended",
        True,
        "float64",
    )
    assert rep.steps >= 1
    fe = forward_error(x, x_ref)
    # Moler (1967): extra-precise residuals give an error of order u, not kappa u.
    assert fe <= 4 * EPS
    assert fe_lu >= 1e-10 and fe_lu >= 1e3 * max(fe, EPS / 4)


def _row_scaled(n, decades, seed):
    """``A = D B`` (``D`` spanning ``decades`` orders of magnitude, shuffled) and ``b = A x``."""
    rng = np.random.default_rng(seed)
    D = np.logspace(0, decades, n)
    rng.shuffle(D)
    A = D[:, None] * rng.standard_normal((n, n))
    return A, A @ rng.standard_normal(n)


@pytest.mark.filterwarnings("ignore::scipy.linalg.LinAlgWarning")
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fixed_refinement_on_badly_row_scaled_matrices(seed):
    # A = D B with D spanning 14 orders of magnitude: kappa_inf(A) ~ 1e15-1e16 while
    # Skeel's cond(A) = || |A^{-1}| |A| || stays ~1e3.  GEPP is normwise but not
    # componentwise backward stable here (componentwise backward error ~20-60 u).
    A, b = _row_scaled(50, 14, seed)
    x_lu = sl.solve(A, b, check_finite=False)
    omega_lu = pv.backward_error(A, x_lu, b, "componentwise")
    assert omega_lu > 10 * U
    # Skeel (1980): refinement with working-precision residuals makes it componentwise
    # stable.  The default tol (a normwise target) is already met by x_lu, so ask for more.
    x_w, rep_w = pv.refine(A, b, precision="fixed", tol=0.0, return_report=True)
    assert rep_w.steps >= 1 and rep_w.converged
    omega_w = pv.backward_error(A, x_w, b, "componentwise")
    assert omega_w <= 4 * U and omega_lu >= 5 * omega_w
    # Extended residuals then give the correctly rounded solution, up to a few ulps.
    x_ref = reference_solution(A, b)
    x_e = pv.refine(A, b, precision="fixed", residual="extended")
    assert forward_error(x_e, x_ref) <= 2 * EPS
    assert forward_error(x_lu, x_ref) >= 50 * max(forward_error(x_e, x_ref), EPS / 8)


# ----------------------------------------------------------------------------- dtypes, backends, shapes


@pytest.mark.parametrize("method", ["classic", "gmres"])
def test_complex128_mixed(method):
    n = 70
    A = gallery.randsvd(n, 1e5, dtype=np.complex128, random_state=4)
    b = rhs(n, 1) + 1j * rhs(n, 2)
    x, rep = pv.refine(A, b, method=method, return_report=True)
    assert x.dtype == np.complex128 and rep.factor_dtype == "complex64" and rep.fallback is None
    assert forward_error(x, reference_solution(A, b)) <= 10 * 1e5 * EPS
    assert pv.backward_error(A, x, b) <= (n + 1) * EPS


def test_real_matrix_complex_rhs_uses_real_factors():
    n = 50
    A = gallery.randsvd(n, 1e4, random_state=5)
    b = rhs(n, 1) + 1j * rhs(n, 2)
    for method in ("classic", "gmres"):
        x, rep = pv.refine(A, b, method=method, return_report=True)
        assert x.dtype == np.complex128 and rep.factor_dtype == "float32"
        assert forward_error(x, reference_solution(A, b)) <= 10 * 1e4 * EPS


def test_float32_working_precision_with_fixed():
    n = 60
    u32 = 2.0**-24
    A = gallery.randsvd(n, 1e4, random_state=6).astype(np.float32)
    b = rhs(n, 3).astype(np.float32)
    x_ref = np.linalg.solve(
        A.astype(np.float64), b.astype(np.float64)
    )  # error ~1e-12: exact at float32 level
    x, rep = pv.refine(A, b, precision="fixed", return_report=True)
    assert x.dtype == np.float32 and rep.factor_dtype == "float32" and rep.converged
    assert pv.backward_error(A, x, b) <= (n + 1) * u32
    assert forward_error(x, x_ref) <= 10 * 1e4 * 2 * u32
    # Extended (float64) residuals: forward error of order u32 although kappa u32 ~ 6e-4.
    fe_lu = forward_error(sl.solve(A, b), x_ref)
    xe, rep = pv.refine(A, b, precision="fixed", residual="extended", return_report=True)
    assert xe.dtype == np.float32 and rep.steps >= 1
    assert forward_error(xe, x_ref) <= 4 * u32 < fe_lu / 10
    # Mixed precision needs a wider working precision.
    with pytest.raises(ValueError, match="precision='fixed'"):
        pv.refine(A, b)


def test_multiple_right_hand_sides_of_different_scales():
    n, kappa = 90, 1e5
    A = gallery.randsvd(n, kappa, mode=3, random_state=7)
    B = rhs(n, 4, k=4)
    B[:, 1] *= 1e40  # beyond float32's range: the residual is scaled before the cast
    B[:, 2] = 0.0
    B[:, 3] *= 1e-42  # below float32's subnormals
    for method in ("classic", "gmres"):
        X, rep = pv.refine(A, B, method=method, return_report=True)
        assert X.shape == (n, 4) and rep.converged and rep.fallback is None
        assert np.all(X[:, 2] == 0)
        X_ref = reference_solution(A, B)
        for j in (0, 1, 3):
            assert forward_error(X[:, j], X_ref[:, j]) <= 10 * kappa * EPS
        assert np.all(pv.backward_error(A, X, B) <= (n + 1) * EPS)


def test_torch_cpu_float64():
    torch = pytest.importorskip("torch")
    n, kappa = 80, 1e5
    A = gallery.randsvd(n, kappa, random_state=8)
    b = rhs(n, 5, k=2)
    At, bt = to_backend(A, "torch"), to_backend(b, "torch")
    x_ref = reference_solution(A, b)
    for method in ("classic", "gmres"):
        for residual in ("working", "extended"):
            x, rep = pv.refine(At, bt, method=method, residual=residual, return_report=True)
            assert isinstance(x, torch.Tensor) and x.dtype == torch.float64 and tuple(x.shape) == (n, 2)
            assert rep.factor_dtype == "float32" and rep.fallback is None and rep.converged
            assert forward_error(x, x_ref) <= 10 * kappa * EPS
    xv = pv.refine(At, bt[:, 0])
    assert tuple(xv.shape) == (n,)
    # Extended torch residuals (compensated) on an ill-conditioned matrix: error ~u.
    A = gallery.randsvd(50, 1e12, random_state=9)
    b = rhs(50, 6)
    x = pv.refine(to_backend(A, "torch"), to_backend(b, "torch"), precision="fixed", residual="extended")
    assert forward_error(x, reference_solution(A, b)) <= 4 * EPS


def test_torch_complex_and_real_matrix_complex_rhs():
    torch = pytest.importorskip("torch")
    n = 40
    A = gallery.randsvd(n, 1e4, dtype=np.complex128, random_state=10)
    b = rhs(n, 1) + 1j * rhs(n, 2)
    x = pv.refine(torch.from_numpy(A), torch.from_numpy(b), method="gmres", residual="extended")
    assert x.dtype == torch.complex128
    assert forward_error(x, reference_solution(A, b)) <= 10 * 1e4 * EPS
    Ar = gallery.randsvd(n, 1e4, random_state=11)
    x = pv.refine(torch.from_numpy(Ar), torch.from_numpy(b))
    assert x.dtype == torch.complex128
    assert forward_error(x, reference_solution(Ar, b)) <= 10 * 1e4 * EPS


def test_x0_is_the_starting_point():
    n = 60
    A = gallery.randsvd(n, 1e3, random_state=12)
    b = rhs(n, 7)
    x0 = np.linalg.solve(A, b) + 1e-3 * rhs(n, 8)
    keep = x0.copy()
    x, rep = pv.refine(A, b, x0, return_report=True)
    # Two evaluations of ||b - A x0|| / (||A|| ||x0|| + ||b||): each residual entry carries
    # gamma_{n+1} (|b| + |A||x0|), i.e. (n + 1) u / eta relative to eta itself.
    eta0 = pv.backward_error(A, x0, b)
    assert rep.backward_errors[0] == pytest.approx(eta0, rel=2 * (n + 1) * EPS / eta0)
    assert rep.backward_errors[0] > 1e-8 and rep.converged and rep.steps >= 1
    assert forward_error(x, reference_solution(A, b)) <= 10 * 1e3 * EPS
    # x0 is not modified, and is validated.
    assert np.array_equal(x0, keep)
    with pytest.raises(ValueError, match="shape of b"):
        pv.refine(A, b, x0[:, None])


def test_given_factorization():
    n, kappa = 70, 1e5
    A = gallery.randsvd(n, kappa, random_state=13)
    b = rhs(n, 8)
    x_ref = reference_solution(A, b)
    F32 = pv.LU(A.astype(np.float32))
    x, rep = pv.refine(A, b, factorization=F32, return_report=True)
    assert rep.precision == "mixed" and rep.factor_dtype == "float32" and rep.factorization is F32
    assert forward_error(x, x_ref) <= 10 * kappa * EPS
    x, rep = pv.refine(A, b, factorization=F32, method="gmres", return_report=True)
    assert rep.factorization is F32 and forward_error(x, x_ref) <= 10 * kappa * EPS
    F64 = pv.factorize(A)
    x, rep = pv.refine(A, b, factorization=F64, return_report=True)
    assert rep.precision == "fixed" and rep.factor_dtype == "float64" and rep.factorization is F64
    with pytest.raises(ValueError, match="precision='fixed'"):
        pv.refine(A, b, factorization=F32, precision="fixed")
    with pytest.raises(ValueError, match="conflicts"):
        pv.refine(A, b, factorization=F32, low_dtype=np.complex64)
    with pytest.raises(ValueError, match="factorization is of a"):
        pv.refine(A[:10, :10], b[:10], factorization=F32)
    with pytest.raises(TypeError, match="Factorization"):
        pv.refine(A, b, factorization=sl.lu_factor(A))


def test_factorization_of_a_wrong_matrix_does_not_converge_and_warns():
    # Fixed precision with the factors of A + E, ||A^{-1} E|| >> 1: the iteration diverges.
    n = 40
    A = gallery.randsvd(n, 1e8, mode=2, random_state=14)
    b = rhs(n, 9)
    F = pv.factorize(A + 1e-3 * np.eye(n))
    with pytest.warns(LinAlgWarning, match="did not converge"):
        x, rep = pv.refine(A, b, factorization=F, return_report=True)
    assert rep.precision == "fixed" and not rep.converged and rep.fallback is None
    # The best iterate is returned, and the report says how far it got.
    best = min(rep.backward_errors)  # the same quantity, to the rounding of the residual
    assert pv.backward_error(A, x, b) == pytest.approx(best, rel=2 * (n + 1) * EPS / best)
    assert min(rep.backward_errors) > (n + 1) * EPS


def test_spd_uses_float32_cholesky_and_symmetric_indefinite_ldl():
    n = 80
    S = gallery.random_spd(n, 1e5, random_state=15)
    K = gallery.random_symmetric_indefinite(n, 1e5, random_state=16)
    b = rhs(n, 10)
    for M, kind in ((S, pv.Cholesky), (K, pv.LDL)):
        x_ref = reference_solution(M, b)
        for method in ("classic", "gmres"):
            x, rep = pv.refine(M, b, method=method, return_report=True)
            assert isinstance(rep.factorization, kind) and rep.factor_dtype == "float32"
            assert rep.fallback is None and rep.converged
            assert forward_error(x, x_ref) <= 10 * 1e5 * EPS


def test_banded_matrix_through_factorize():
    n = 64
    rng = np.random.default_rng(17)
    T = (
        np.diag(rng.standard_normal(n) + 4)
        + np.diag(rng.standard_normal(n - 1), 1)
        + np.diag(rng.standard_normal(n - 1), -1)
    )
    b = rhs(n, 11)
    for method in ("classic", "gmres"):
        x, rep = pv.refine(T, b, method=method, return_report=True)
        assert isinstance(rep.factorization, pv.Banded) and rep.factor_dtype == "float32"
        assert forward_error(x, reference_solution(T, b)) <= 10 * np.linalg.cond(T) * EPS


def test_dense_general_matrix_skips_structure_detection():
    A = gallery.randsvd(50, 10.0, random_state=18)
    _, rep = pv.refine(A, rhs(50), return_report=True)
    F = rep.factorization
    assert isinstance(F, pv.LU) and "quick check" in F.path[0] and "getrf" in F.algorithm
    # A symmetric matrix is not mistaken for a general one.
    assert not R._surely_general((A + A.T).astype(np.float32))
    Z = A.copy()
    Z[-1, 0] = 0.0  # could be banded/triangular: let factorize decide
    assert not R._surely_general(Z)


# ----------------------------------------------------------------------------- report


def test_report_fields_and_to_dict():
    n = 60
    A = gallery.randsvd(n, 1e4, random_state=19)
    b = rhs(n, 12)
    x, rep = pv.refine(A, b, method="gmres", residual="extended", return_report=True)
    assert isinstance(rep, pv.RefinementReport)
    assert (rep.method, rep.precision, rep.residual, rep.factor_dtype) == (
        "gmres",
        "mixed",
        "extended",
        "float32",
    )
    assert len(rep.backward_errors) == rep.steps + 1 and len(rep.gmres_iterations) == rep.steps
    assert all(isinstance(v, float) for v in rep.backward_errors)
    assert rep.backward_errors[-1] < rep.backward_errors[0]
    d = rep.to_dict()
    assert set(d) == {f.name for f in dataclasses.fields(rep)}
    assert d["factorization"].startswith("LU(") and json.loads(json.dumps(d))["steps"] == rep.steps
    with pytest.raises(dataclasses.FrozenInstanceError):
        rep.steps = 0
    assert "factorization" not in repr(rep)
    xc, rep = pv.refine(A, b, return_report=True)
    assert rep.gmres_iterations == [] and rep.method == "classic" and rep.residual == "working"
    # both within the refined forward-error bound 10 kappa u of the solution (kappa = 1e4)
    assert np.allclose(x, xc, rtol=0, atol=2 * 10 * 1e4 * EPS * np.max(np.abs(x)))
    assert isinstance(pv.refine(A, b), np.ndarray)


def test_inputs_untouched_and_maxiter_and_tol_respected():
    n = 80
    A = gallery.randsvd(n, 1e6, mode=3, random_state=26)
    b = rhs(n, 17)
    A0, b0 = A.copy(), b.copy()
    _, rep = pv.refine(A, b, maxiter=2, return_report=True)
    assert np.array_equal(A, A0) and np.array_equal(b, b0)
    # Two float32 corrections are not enough at kappa 1e6: fallback, whose phase also has <= 2.
    assert rep.fallback is not None and "maxiter=2" in rep.fallback
    assert len(rep.backward_errors) == rep.steps + 2 and rep.steps <= 4
    # tol: a loose backward-error target stops early ...
    _, loose = pv.refine(A, b, tol=1e-10, return_report=True)
    _, tight = pv.refine(A, b, return_report=True)
    assert loose.backward_errors[-1] <= 1e-10 and loose.steps < tight.steps
    # ... and with extended residuals it bounds the relative correction instead.
    _, ext_loose = pv.refine(A, b, residual="extended", tol=1e-6, return_report=True)
    _, ext = pv.refine(A, b, residual="extended", return_report=True)
    assert 1 <= ext_loose.steps < ext.steps


def test_no_ill_conditioning_warning_from_internal_solves():
    A = gallery.randsvd(60, 1e9, mode=2, random_state=20)
    b = rhs(60, 13)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for method in ("classic", "gmres"):
            pv.refine(A, b, method=method)
        F = pv.LU(A.astype(np.float32))
        pv.refine(A, b, factorization=F, method="gmres")
    with pytest.warns(IllConditionedWarning):  # the same factors warn on a plain solve
        F.solve(b.astype(np.float32))


# ----------------------------------------------------------------------------- fallbacks and failures


@pytest.mark.parametrize("k", [133, -200, -1050])
def test_float32_factors_of_a_matrix_outside_float32s_range(k):
    """A float32 copy of A would overflow (2^133 ~ 1e40) or flush to zero: it is of 2^e A (exact scaling).

    The reference solves the exactly scaled-back system ``A0 x = 2^-k b``.
    For subnormal data the attainable backward error includes the
    gradual-underflow term ``(n+1) lambda / (||A|| ||x|| + ||b||)``.
    """
    n = 40
    A0 = gallery.randsvd(n, 1e3, random_state=21)
    A = np.ldexp(A0, k)
    b = A @ rhs(n, 14)
    with np.errstate(over="ignore", under="ignore"):
        a32 = A.astype(np.float32)
    assert np.isinf(a32).any() or np.count_nonzero(a32) == 0
    x, rep = pv.refine(A, b, return_report=True)
    assert rep.fallback is None and rep.factor_dtype == "float32" and rep.converged
    assert rep.factorization._scale != 0
    den = np.abs(A).sum(axis=1).max() * np.abs(x).max() + np.abs(b).max()
    floor = (n + 1) * (U + float(np.finfo(np.float64).smallest_subnormal) / den)
    assert min(rep.backward_errors) <= floor
    assert forward_error(x, reference_solution(A0, np.ldexp(b, -k))) <= 10 * 1e3 * (EPS + floor)


def test_float32_overflow_falls_back():
    """||A||_inf itself overflows (the entries do not): no scaling helps, float64 factors are used."""
    n = 40
    A = gallery.randsvd(n, 1e3, random_state=21)
    A = np.ldexp(A / np.abs(A).max(), 1023)  # largest entry 2^1023 ~ 9e307
    b = np.ldexp(rhs(n, 14), 1000)
    with np.errstate(over="ignore"):
        assert np.isinf(np.abs(A).sum(axis=1).max())
    x, rep = pv.refine(A, b, return_report=True)
    assert "overflow" in rep.fallback and rep.factor_dtype == "float64" and rep.converged
    assert rep.steps == 0 or len(rep.backward_errors) == rep.steps + 1
    assert forward_error(x, reference_solution(np.ldexp(A, -1023), np.ldexp(b, -1023))) <= 10 * 1e3 * EPS


def test_float32_singular_falls_back():
    # Singular in float32 (rows equal after rounding), nonsingular in float64.
    n = 30
    A = gallery.randsvd(n, 10.0, random_state=22)
    A[1] = A[0] + 1e-12
    b = rhs(n, 15)
    x, rep = pv.refine(A, b, return_report=True)
    assert rep.fallback is not None and rep.factor_dtype == "float64" and rep.converged
    assert pv.backward_error(A, x, b) <= (n + 1) * EPS


@pytest.mark.parametrize("precision", ["mixed", "fixed"])
def test_singular_matrix_raises(precision):
    A = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 7.0], [1.0, 2.0, 3.0]])  # equal rows: an exactly zero pivot
    with pytest.raises(pv.SingularMatrixError):
        pv.refine(A, np.ones(3), precision=precision)
    F = pv.LU(A, check=False)
    with pytest.raises(pv.SingularMatrixError):
        pv.refine(A, np.ones(3), factorization=F)


def test_empty_inputs():
    x, rep = pv.refine(np.zeros((0, 0)), np.zeros(0), return_report=True)
    assert x.shape == (0,) and x.dtype == np.float64 and rep.converged and rep.steps == 0
    x = pv.refine(np.zeros((0, 0)), np.zeros((0, 3)))
    assert x.shape == (0, 3)
    x = pv.refine(np.eye(4), np.zeros((4, 0)), method="gmres")
    assert x.shape == (4, 0)
    x = pv.refine(np.eye(3), np.zeros(3))
    assert np.array_equal(x, np.zeros(3))


def test_bad_arguments():
    A = gallery.randsvd(6, 10.0, random_state=23)
    b = np.ones(6)
    cases = [
        ({"precision": "half"}, "precision"),
        ({"method": "cg"}, "method"),
        ({"residual": "quad"}, "residual"),
        ({"assume": "sparse"}, "assume"),
        ({"low_dtype": np.float16}, "low_dtype"),
        ({"low_dtype": np.float64}, "not lower"),
        ({"low_dtype": np.complex64}, "real"),
        ({"low_dtype": "nonsense"}, "low_dtype"),
        ({"precision": "fixed", "low_dtype": np.float32}, "mixed"),
        ({"tol": -1.0}, "tol"),
        ({"tol": math.inf}, "tol"),
        ({"maxiter": 0}, "maxiter"),
        ({"maxiter": 2.5}, "maxiter"),
    ]
    for kwargs, match in cases:
        with pytest.raises(ValueError, match=match):
            pv.refine(A, b, **kwargs)
    with pytest.raises(ValueError, match="square"):
        pv.refine(np.ones((3, 4)), np.ones(3))
    with pytest.raises(ValueError, match="batches"):
        pv.refine(np.ones((2, 3, 3)), np.ones(3))
    with pytest.raises(ValueError, match="2-D"):
        pv.refine(np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match="incompatible"):
        pv.refine(A, np.ones(5))
    with pytest.raises(ValueError, match=r"\(N,\) or \(N, K\)"):
        pv.refine(A, np.ones((2, 6, 1)))
    bad = A.copy()
    bad[2, 3] = np.nan
    with pytest.raises(ValueError, match="infs or NaNs"):
        pv.refine(bad, b)
    with pytest.raises(ValueError, match="infs or NaNs"):
        pv.refine(A, np.array([1, 2, np.inf, 4, 5, 6.0]))
    with pytest.raises(ValueError, match="infs or NaNs"):
        pv.refine(A, b, np.full(6, np.nan))
    # check_finite=False skips the check: NaN input gives a NaN answer, reported as such.
    with pytest.warns(LinAlgWarning):
        _, rep = pv.refine(bad, b, check_finite=False, return_report=True)
    assert not rep.converged
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match="backends"):
        pv.refine(torch.from_numpy(A), b)
    with pytest.raises(TypeError):
        pv.refine(A, b, factorization=pv.LU(torch.from_numpy(A).float()))


def test_low_dtype_explicit_and_integer_input():
    A = np.array([[4, 1, 0], [1, 5, 2], [0, 2, 6]])  # integers: working float64
    b = np.array([1, 2, 3])
    x, rep = pv.refine(A, b, low_dtype="float32", return_report=True)
    assert x.dtype == np.float64 and rep.factor_dtype == "float32"
    assert np.allclose(A @ x, b, rtol=0, atol=4 * EPS * 6)


# ----------------------------------------------------------------------------- internals


@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_compensated_residual_is_nearly_correctly_rounded(backend, dtype):
    if backend == "torch":
        pytest.importorskip("torch")
    rng = np.random.default_rng(24)
    n = 37
    A = rng.standard_normal((n, n)) * np.exp(rng.uniform(-20, 20, (n, n)))
    x = rng.standard_normal((n, 2))
    if dtype == np.complex128:
        A = A + 1j * rng.standard_normal((n, n))
        x = x + 1j * rng.standard_normal((n, 2))
    b = (A @ x) * (1 + 1e-13 * rng.standard_normal((n, 2)))  # heavy cancellation in b - A x
    r = to_np(R._compensated_residual(to_backend(A, backend), to_backend(x, backend), to_backend(b, backend)))
    Ar, Ai = np.real(A).astype(float), np.imag(A).astype(float)
    for j in range(2):
        xr, xi = np.real(x[:, j]).astype(float), np.imag(x[:, j]).astype(float)
        if dtype == np.complex128:
            # Re: br - Ar xr + Ai xi ; Im: bi - Ar xi - Ai xr (each an exactly summed residual)
            exact_re = exact_residual(
                np.hstack([Ar, Ai]), np.concatenate([xr, -xi]), np.zeros(2 * n), np.real(b[:, j])
            )
            exact_im = exact_residual(
                np.hstack([Ar, Ai]), np.concatenate([xi, xr]), np.zeros(2 * n), np.imag(b[:, j])
            )
            got = [np.real(r[:, j]), np.imag(r[:, j])]
            want = [exact_re, exact_im]
        else:
            got, want = [r[:, j]], [exact_residual(A, x[:, j], np.zeros(n), b[:, j])]
        for g, w in zip(got, want, strict=True):
            # Dot2: |r - r_exact| <= u |r_exact| + gamma_{2n}^2 sum|terms|, the second term negligible here.
            scale = np.abs(A) @ np.abs(x[:, j]) + np.abs(b[:, j])
            assert np.all(np.abs(g - w) <= 2 * U * np.abs(w) + 1e-28 * scale)
    # ... while the working-precision residual has no correct digits in places.
    rw = b - A @ x
    assert np.max(np.abs(rw - r) / np.abs(r)) > 1e-3


def test_promoted_factors_apply_the_same_operator():
    # GMRES-IR applies the float32 factors in float64: the float64 copy must be the
    # same operator M^{-1} (M = the product of the float32 factors), applied with
    # float64 rounding (relative residual ~u64 instead of ~u32).
    n = 30
    A = gallery.randsvd(n, 1e3, random_state=25)
    S = A @ A.T
    b = rhs(n, 16, k=2)

    def product(F):
        def f(t):
            return np.asarray(t, dtype=np.float64)  # exact: float32 -> float64

        M = np.empty((n, n))
        if isinstance(F, pv.LU):
            M[to_np(F.p)] = f(F.L) @ f(F.U)
        elif isinstance(F, pv.Cholesky):
            M = f(F.L) @ f(F.L).T
        else:
            p = to_np(F.p)
            M[np.ix_(p, p)] = f(F.L) @ f(F.D) @ f(F.L).T
        return M

    for F in (pv.LU(A.astype(np.float32)), pv.Cholesky(S.astype(np.float32)), pv.LDL(S.astype(np.float32))):
        P = R._promote(F, np.dtype(np.float64))
        assert P.dtype == np.float64 and F.dtype == np.float32  # F itself untouched
        M = product(F)
        y = R._apply_inverse(P, b.copy(), np.float64)
        z = F.solve(b.astype(np.float32)).astype(np.float64)
        assert np.max(pv.backward_error(M, y, b)) <= 4 * n * U
        assert np.max(pv.backward_error(M, z, b)) > 1e-10


# ----------------------------------------------------------------------------- the error policy (issue #11)


def _exact_solution(A, b):
    """The exact solution of the (float) system, by Gaussian elimination in rationals."""
    from fractions import Fraction

    n = A.shape[0]
    M = [[Fraction(float(v)) for v in row] + [Fraction(float(bi))] for row, bi in zip(A, b, strict=True)]
    for k in range(n):
        p = next(i for i in range(k, n) if M[i][k] != 0)
        M[k], M[p] = M[p], M[k]
        for i in range(k + 1, n):
            f = M[i][k] / M[k][k]
            M[i] = [vi - f * vk for vi, vk in zip(M[i], M[k], strict=True)]
    x = [Fraction(0)] * n
    for i in reversed(range(n)):
        x[i] = (M[i][n] - sum(M[i][j] * x[j] for j in range(i + 1, n))) / M[i][i]
    return np.array([float(v) for v in x])


@pytest.mark.parametrize(
    "options",
    [{}, {"method": "gmres"}, {"precision": "fixed"}, {"precision": "fixed", "residual": "extended"}],
    ids=["mixed", "gmres", "fixed", "extended"],
)
def test_hilbert_14_warns_and_does_not_claim_convergence(options):
    """Issue #11: refine(H, b) gave forward error 17 with converged=True and no warning."""
    A = gallery.hilbert(14)
    b = np.ones(14)
    with pytest.warns(IllConditionedWarning) as rec:
        x, rep = pv.refine(A, b, return_report=True, **options)
    assert len([w for w in rec if issubclass(w.category, LinAlgWarning)]) == 1  # one warning, the policy's
    w = rec[0].message
    assert w.rcond == rep.rcond < EPS and "forward error bound" in str(w)
    assert not rep.converged
    # The backward error is tiny all the same: only the condition number defeats refinement ...
    assert rep.backward_errors[-1] <= 15 * U or options.get("residual") == "extended"
    # ... and the warning is right: x has no correct digit.
    assert forward_error(x, _exact_solution(A, b)) > 0.1
    with pytest.warns(IllConditionedWarning):  # the policy solve() applies to the same input
        pv.solve(A, b)


@pytest.mark.parametrize("mode", [2, 3])
def test_gmres_ir_estimates_rcond_in_working_precision(mode):
    """Float32 factors cannot see kappa = 1e17 (their rcond stays near u_32): GMRES solves can."""
    n = 60
    A = gallery.randsvd(n, 1e17, mode=mode, random_state=1)
    b = rhs(n, seed=0)
    with pytest.warns(IllConditionedWarning):
        _, rep = pv.refine(A, b, method="gmres", return_report=True)
    # GMRES-IR itself reached a backward error at the rounding level: only rcond tells.
    assert rep.factor_dtype == "float32" and rep.fallback is None
    assert rep.backward_errors[-1] <= (n + 1) * U
    assert rep.rcond < EPS and not rep.converged


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_badly_scaled_rows_are_certified_without_warning(seed):
    """rcond < eps, but a modest componentwise condition: FERR < 1 certifies x, so no warning."""
    A, b = _row_scaled(50, 16, seed)  # kappa_1 ~ 1e17, Skeel's condition ~ 1e3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x, rep = pv.refine(A, b, precision="fixed", return_report=True)
    assert rep.converged and 0 < rep.rcond < EPS
    assert forward_error(x, reference_solution(A, b)) < 1e-8


@pytest.mark.parametrize("kappa", [1e2, 1e8, 1e13])
def test_report_rcond_tracks_kappa_and_no_false_alarm(kappa):
    n = 50
    A = gallery.randsvd(n, kappa, mode=3, random_state=4)
    b = rhs(n, seed=4)
    for options in ({}, {"method": "gmres"}, {"precision": "fixed"}):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            _, rep = pv.refine(A, b, return_report=True, **options)
        assert rep.converged
        # The 1-norm estimate is a lower bound of ||A^-1||_1, off by at most a modest factor:
        # rcond_1 lies in [1 / kappa_1, ~ 10 n / kappa_1] (Higham, sec. 15.3).
        k1 = np.linalg.cond(A, 1)
        assert 1 / k1 <= 2 * rep.rcond and rep.rcond <= 10 * n / k1  # 2: GMRES solves are inexact


# ----------------------------------------------------------------------------- the certificate's cost (issue #11 sec. 5)


def _count_rcond_paths(monkeypatch):
    """Wrap the probe and the GMRES-based estimate; return the log of what ran (probe results, "gmres")."""
    log = []
    probe, gmres = R._probe_contraction, R._gmres_solvers

    def counted_probe(prob, F):
        log.append(probe(prob, F))
        return log[-1]

    def counted_gmres(prob, F, *args):
        log.append("gmres")
        return gmres(prob, F, *args)

    monkeypatch.setattr(R, "_probe_contraction", counted_probe)
    monkeypatch.setattr(R, "_gmres_solvers", counted_gmres)
    return log


@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize(
    ("kappa", "mode", "dtype"), [(1e5, 3, np.float64), (1e6, 2, np.float64), (1e5, 3, np.complex128)]
)
def test_mixed_certificate_is_cheap_on_moderately_conditioned_systems(
    monkeypatch, backend, kappa, mode, dtype
):
    """kappa_1 above 1 / (2 n u_32): the float32 rcond alone proves nothing, the probe certifies, no GMRES."""
    if backend == "torch":
        pytest.importorskip("torch")
    n = 80
    A = gallery.randsvd(n, kappa, mode=mode, random_state=2)
    if dtype == np.complex128:
        A = A * np.exp(2j * np.pi * np.random.default_rng(3).random(n))  # times a unitary diagonal
    b = A @ rhs(n, seed=2)
    rc32 = pv.LU(A.astype(np.complex64 if dtype == np.complex128 else np.float32)).rcond()
    assert n * 2.0**-24 / rc32 >= 0.5  # theta: the float32 rcond is not a proof here
    log = _count_rcond_paths(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x, rep = pv.refine(to_backend(A, backend), to_backend(b, backend), return_report=True)
    assert rep.converged and rep.fallback is None and rep.factor_dtype in ("float32", "complex64")
    assert len(log) == 1 and log[0] is not None and 0 <= log[0] <= 0.5  # the probe ran, contracted
    # rcond(A) within (1 -+ rho) / (1 +- rho) of the float32 factors' estimate, itself a 1-norm estimate:
    # between 1 / kappa_1 and ~ 10 n / kappa_1 (Higham, sec. 15.3).
    k1 = np.linalg.cond(A, 1)
    assert 1 / k1 <= 3 * rep.rcond and rep.rcond <= 10 * n / k1
    assert forward_error(to_np(x), reference_solution(A, b)) <= 10 * n * U * k1


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_near_null_vector_invisible_to_refinement_still_warns(monkeypatch, seed):
    """A near-null vector of A is a fixed point of refinement's error operator that no residual shows.

    With b = A x (in the range of A), float32 refinement converges in backward error, and the
    float32 factors' rcond (~1e-9) suggests a well-posed problem; A is singular to working
    precision all the same.  The probe (refining A v = 0) does not contract, and the GMRES-based
    estimate finds rcond(A) < eps.
    """
    n = 40
    A = gallery.randsvd(n, 1e16, mode=2, random_state=seed)
    b = A @ rhs(n, seed=seed)
    log = _count_rcond_paths(monkeypatch)
    with pytest.warns(IllConditionedWarning):
        _, rep = pv.refine(A, b, return_report=True)
    assert rep.fallback is None and rep.factor_dtype == "float32"
    assert rep.backward_errors[-1] <= (n + 1) * U  # refinement itself saw nothing wrong ...
    assert pv.LU(A.astype(np.float32)).rcond() > 1e-10  # ... and neither did the float32 rcond
    assert log[0] is None and "gmres" in log  # the probe did not contract
    assert rep.rcond < EPS and not rep.converged


def test_probe_skipped_when_float32_rcond_proves_enough(monkeypatch):
    """theta = n u_32 / rcond(M) < 1/2: the factorization's backward error bound suffices."""
    n = 50
    A = gallery.randsvd(n, 10.0, mode=3, random_state=5)
    log = _count_rcond_paths(monkeypatch)
    _, rep = pv.refine(A, rhs(n, seed=5), return_report=True)
    assert rep.converged and log == []
    assert rep.rcond == rep.factorization.rcond()
