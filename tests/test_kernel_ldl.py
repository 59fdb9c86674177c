"""Bunch-Kaufman LDL^T / LDL^H kernel: LAPACK-style ratios, pivoting facts, conventions.

Ratios (LAPACK's ``xSYT01``/``xSYT02`` style, threshold 30):

* reconstruction ``||A - L D L^H||_1 / (n ||A||_1 u)``;
* solve residual ``||b - A x||_1 / (n ||A||_1 ||x||_1 u)``;

with ``u`` the unit roundoff of the working dtype.  Pivoting is checked
against its definition (the Bunch-Kaufman inequalities at every step,
recomputed from the factors), against LAPACK's own pivot sequence, and
against the bounds of Higham, *Accuracy and Stability of Numerical
Algorithms*, 2nd ed., ch. 11 (growth factor ``<= (1 + 1/alpha)^(n-1)``,
2x2 pivots with ``|det E| >= (1 - alpha^2) e21^2``).  Note that Bunch-Kaufman
*partial* pivoting does not bound the entries of ``L``: ``|l_ij| <= 1/(1-alpha)``
(~2.78) is Higham's bound for rook ("bounded Bunch-Kaufman") pivoting
(section 11.1.3).  ``test_multipliers_are_unbounded`` shows a counterexample
that LAPACK factors identically; the bounds that do hold are asserted in
``test_bunch_kaufman_conditions``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.linalg as sla
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import lapack

from pivotal._array import unit_roundoff
from pivotal.errors import LinAlgError, SingularMatrixError
from pivotal.kernels.ldl import (
    ALPHA,
    LDLKernelResult,
    ldl_abs_product_norm,
    ldl_inertia,
    ldl_kernel,
    ldl_slogdet,
    ldl_solve,
    ldl_unpack,
    sytf2,
    sytrf_blocked,
)

from .helpers import BACKENDS, THRESH, reconstruction_ratio, solve_residual_ratio, to_backend, to_np, widen

torch = pytest.importorskip("torch")

SIZES = [0, 1, 2, 3, 5, 10, 50]
BLOCK_SIZES = [1, 3, None]
# (dtype, hermitian): real dtypes have a single meaning; complex ones both.
KINDS = [
    (np.float32, True),
    (np.float64, True),
    (np.complex64, True),
    (np.complex64, False),
    (np.complex128, True),
    (np.complex128, False),
]
KIND_IDS = ["f32", "f64", "c64-herm", "c64-sym", "c128-herm", "c128-sym"]


# --------------------------------------------------------------------------- generators


def _gauss(rng, shape, dtype):
    x = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    return x


def _t(x, hermitian):
    return x.conj().T if hermitian else x.T


def _unitary(rng, n, complex_):
    q, r = np.linalg.qr(_gauss(rng, (n, n), np.complex128 if complex_ else np.float64))
    return q * (np.diag(r) / np.abs(np.diag(r)))


def make_matrix(kind, n, dtype, hermitian, rng):
    """Symmetric/Hermitian (or complex symmetric) test matrix of ``dtype``."""
    cplx = np.dtype(dtype).kind == "c"
    herm = hermitian or not cplx
    if kind == "gauss":
        g = _gauss(rng, (n, n), dtype)
        a = g + _t(g, herm)
    elif kind == "zero_diag":  # every 1x1 pivot fails: forces 2x2 pivots
        g = _gauss(rng, (n, n), dtype)
        a = g + _t(g, herm)
        a[np.diag_indices(n)] = 0
    elif kind == "ill":  # Q diag(lam) Q^{H,T}, mixed signs, cond ~ u^(-1/2)
        kappa = 1e3 if np.dtype(dtype) in (np.float32, np.complex64) else 1e7
        lam = np.geomspace(1.0, 1.0 / kappa, n) * rng.choice([-1.0, 1.0], n) if n else np.zeros(0)
        q = _unitary(rng, n, cplx)
        a = (q * lam) @ _t(q, herm)
        if herm:
            a = (a + _t(a, True)) / 2
        else:
            a = (a + a.T) / 2
    elif kind == "graded":  # small diagonal, graded: exercises every pivoting case
        g = _gauss(rng, (n, n), dtype)
        s = np.geomspace(1.0, 1e-3, n) if n else np.zeros(0)
        a = (g + _t(g, herm)) * np.sqrt(np.outer(s, s))
        a[np.diag_indices(n)] *= 1e-2
    else:  # pragma: no cover
        raise ValueError(kind)
    if herm and cplx:
        a[np.diag_indices(n)] = a.diagonal().real
    return np.ascontiguousarray(a.astype(dtype))


def _norm1(x):
    return float(np.abs(x).sum(axis=0).max()) if x.size else 0.0


def recon_ratio(a, lu, d, hermitian, dtype):
    a, lu, d = widen(a), widen(lu), widen(d)
    n = a.shape[0]
    if n == 0:
        return 0.0
    r = _norm1(a - lu @ d @ _t(lu, hermitian))
    an = _norm1(a)
    return r / (n * an * unit_roundoff(np.dtype(dtype))) if an else (0.0 if r == 0 else np.inf)


def _herm(dtype, hermitian):
    return hermitian or np.dtype(dtype).kind != "c"


def _factor(a_np, backend, *, lower=True, hermitian=True, block_size=None):
    work = to_backend(a_np.copy(), backend)
    return work, ldl_kernel(work, lower=lower, hermitian=hermitian, block_size=block_size)


# --------------------------------------------------------------------------- ratios


@pytest.mark.parametrize("block_size", BLOCK_SIZES)
@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("dtype,hermitian", KINDS, ids=KIND_IDS)
@pytest.mark.parametrize("backend", BACKENDS)
def test_ratios(backend, dtype, hermitian, lower, block_size):
    rng = np.random.default_rng(
        abs(hash((backend, np.dtype(dtype).str, hermitian, lower, block_size))) % 2**32
    )
    herm = _herm(dtype, hermitian)
    for kind in ("gauss", "zero_diag", "ill", "graded"):
        for n in SIZES:
            a = make_matrix(kind, n, dtype, hermitian, rng)
            work, res = _factor(a, backend, lower=lower, hermitian=hermitian, block_size=block_size)
            assert res.factors is work  # in place
            assert res.ipiv.dtype == np.int64 and res.ipiv.shape == (n,)
            singular = kind == "zero_diag" and n == 1  # the 1x1 zero matrix
            assert res.info == (1 if singular else 0), (kind, n)
            lu, d, _perm = ldl_unpack(res)
            assert type(lu) is type(work) and type(d) is type(work)
            ratio = recon_ratio(a, to_np(lu), to_np(d), herm, dtype)
            assert ratio < THRESH, (kind, n, ratio)
            if n and not singular:
                b = _gauss(rng, (n, 2), dtype).astype(dtype)
                x = ldl_solve(res, to_backend(b, backend))
                assert tuple(x.shape) == (n, 2)
                assert solve_residual_ratio(a, to_np(x), b, dtype) < THRESH, (kind, n)


@pytest.mark.parametrize(
    "dtype,hermitian", [(np.float64, True), (np.complex128, True), (np.complex64, False)]
)
@pytest.mark.parametrize(
    "backend,block_size", [("numpy", None), ("numpy", 1), ("torch", None), ("numpy", 16)]
)
def test_ratios_n200(backend, block_size, dtype, hermitian):
    rng = np.random.default_rng(200)
    n = 200
    for lower in (True, False):
        a = make_matrix("gauss", n, dtype, hermitian, rng)
        _, res = _factor(a, backend, lower=lower, hermitian=hermitian, block_size=block_size)
        lu, d, _ = ldl_unpack(res)
        assert recon_ratio(a, to_np(lu), to_np(d), _herm(dtype, hermitian), dtype) < THRESH
        b = _gauss(rng, (n, 3), dtype).astype(dtype)
        x = to_np(ldl_solve(res, to_backend(b, backend)))
        assert solve_residual_ratio(a, x, b, dtype) < THRESH


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("dtype,hermitian", KINDS, ids=KIND_IDS)
def test_other_triangle_is_neither_read_nor_written(backend, dtype, hermitian, lower):
    rng = np.random.default_rng(3)
    for n, block_size in [(10, 1), (10, 3), (70, None), (50, 3)]:
        a = make_matrix("gauss", n, dtype, hermitian, rng)
        other = np.triu_indices(n, 1) if lower else np.tril_indices(n, -1)
        poisoned = a.copy()
        poisoned[other] = np.nan
        _, clean = _factor(a, backend, lower=lower, hermitian=hermitian, block_size=block_size)
        _, dirty = _factor(poisoned, backend, lower=lower, hermitian=hermitian, block_size=block_size)
        fc, fd = to_np(clean.factors), to_np(dirty.factors)
        assert np.isnan(fd[other]).all()  # untouched
        np.testing.assert_array_equal(fc[other], a[other])  # untouched
        used = np.tril_indices(n) if lower else np.triu_indices(n)
        np.testing.assert_array_equal(fd[used], fc[used])
        np.testing.assert_array_equal(dirty.ipiv, clean.ipiv)


def test_hermitian_diagonal_imaginary_part_is_ignored():
    rng = np.random.default_rng(4)
    for block_size in (1, 3, None):
        for lower in (True, False):
            a = make_matrix("gauss", 80, np.complex128, True, rng)
            junk = a.copy()
            junk[np.diag_indices(80)] += 1j * rng.standard_normal(80)
            _, r1 = _factor(a, "numpy", lower=lower, block_size=block_size)
            _, r2 = _factor(junk, "numpy", lower=lower, block_size=block_size)
            np.testing.assert_array_equal(r1.ipiv, r2.ipiv)
            used = np.tril_indices(80) if lower else np.triu_indices(80)
            # the imaginary parts are never read: the same operations on the same numbers
            np.testing.assert_array_equal(r1.factors[used], r2.factors[used])
            assert np.all(r2.factors.diagonal().imag == 0)


# --------------------------------------------------------------------------- LAPACK equivalence


def _lapack_factor(a, lower, hermitian):
    kind = "hetrf" if hermitian and np.iscomplexobj(a) else "sytrf"
    fn, lwork_fn = lapack.get_lapack_funcs((kind, kind + "_lwork"), (a,))
    lwork = lapack._compute_lwork(lwork_fn, a.shape[0], lower=int(lower))
    factors, ipiv, info = fn(a, lower=int(lower), lwork=lwork)
    assert info >= 0
    return factors, np.asarray(ipiv, dtype=np.int64), int(info)


@pytest.mark.parametrize("block_size", [1, 2, 3, None])
@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("dtype,hermitian", KINDS, ids=KIND_IDS)
def test_same_pivots_as_lapack_and_interchangeable_factors(dtype, hermitian, lower, block_size):
    """Pivot decisions equal LAPACK's; our compact factors work with ?sytrs and vice versa."""
    rng = np.random.default_rng(5)
    herm = _herm(dtype, hermitian)
    trs = "hetrs" if herm and np.dtype(dtype).kind == "c" else "sytrs"
    for kind in ("gauss", "zero_diag", "graded"):
        for n in (1, 2, 5, 10, 40):
            a = make_matrix(kind, n, dtype, hermitian, rng)
            _, res = _factor(a, "numpy", lower=lower, hermitian=hermitian, block_size=block_size)
            lf, lipiv, linfo = _lapack_factor(a, lower, herm)
            np.testing.assert_array_equal(res.lapack_ipiv(), lipiv, err_msg=f"{kind} n={n}")
            assert res.info == linfo
            if linfo:
                continue
            b = _gauss(rng, (n, 2), dtype).astype(dtype)
            # our factors -> LAPACK ?sytrs / ?hetrs
            solve = lapack.get_lapack_funcs(trs, (a,))
            x, info = solve(res.factors, res.lapack_ipiv(), b, lower=int(lower))
            assert info == 0
            assert solve_residual_ratio(a, x, b, dtype) < THRESH
            # LAPACK's factors -> our helpers
            theirs = LDLKernelResult(lf, np.where(lipiv > 0, lipiv - 1, lipiv), linfo, lower, hermitian)
            assert solve_residual_ratio(a, ldl_solve(theirs, b), b, dtype) < THRESH
            lu, d, _ = ldl_unpack(theirs)
            assert recon_ratio(a, lu, d, herm, dtype) < THRESH


@pytest.mark.parametrize("block_size", [2, 3, 5, 8])
@pytest.mark.parametrize(
    "dtype,hermitian", [(np.float64, True), (np.complex128, True), (np.complex128, False)]
)
def test_blocked_equals_unblocked(dtype, hermitian, block_size):
    """dlasyf's delayed updates make the same decisions and (to roundoff) the same factors."""
    rng = np.random.default_rng(6)
    for kind in ("gauss", "zero_diag", "graded"):
        a = make_matrix(kind, 37, dtype, hermitian, rng)
        r1 = sytf2(a.copy(), hermitian=hermitian)
        r2 = sytrf_blocked(a.copy(), block_size, hermitian=hermitian)
        np.testing.assert_array_equal(r1.ipiv, r2.ipiv)
        low = np.tril_indices(37)
        # Same pivots, so the factors of one matrix, each backward stable (THRESH n u): they
        # differ by the factorization's condition (at most kappa_1(A)) times that.
        u = unit_roundoff(np.dtype(dtype))
        scale = 2 * THRESH * 37 * u * np.linalg.cond(widen(a), 1) * np.abs(a).max()
        np.testing.assert_allclose(r1.factors[low], r2.factors[low], rtol=0, atol=scale)


@pytest.mark.parametrize("dtype,hermitian", KINDS, ids=KIND_IDS)
def test_numpy_and_torch_agree(dtype, hermitian):
    rng = np.random.default_rng(8)
    for lower in (True, False):
        for block_size in (1, 4, None):
            a = make_matrix("zero_diag", 90, dtype, hermitian, rng)
            _, rn = _factor(a, "numpy", lower=lower, hermitian=hermitian, block_size=block_size)
            _, rt = _factor(a, "torch", lower=lower, hermitian=hermitian, block_size=block_size)
            np.testing.assert_array_equal(rn.ipiv, rt.ipiv)
            assert isinstance(rt.factors, torch.Tensor) and rt.factors.dtype == torch.from_numpy(a).dtype


# --------------------------------------------------------------------------- pivoting facts


def _mag(x, cplx):
    return np.abs(x.real) + np.abs(x.imag) if cplx else np.abs(x)


def _blocks(ipiv):
    k, out = 0, []
    while k < len(ipiv):
        s = 1 if ipiv[k] >= 0 else 2
        out.append((k, s))
        k += s
    return out


def _check_bunch_kaufman(a, res, hermitian):
    """Recompute the Schur complements from the factors and check every pivot decision.

    LAPACK measures complex entries with |Re| + |Im| (cabs1) and Hermitian
    diagonals with |Re|; so does the kernel, and so does this check.
    Returns ``(growth factor, max over L of |l_ij|)``.
    """
    cplx = np.iscomplexobj(a)
    herm = hermitian or not cplx
    n = a.shape[0]
    lu, d, perm = ldl_unpack(res)
    lt, d = widen(lu)[perm], widen(d)
    s = widen(a)[perm][:, perm]
    amax = np.abs(s).max()
    tol = 100 * n * unit_roundoff(a.dtype) * amax
    growth = amax
    dmag = (lambda z: abs(z.real)) if (herm and cplx) else (lambda z: _mag(np.asarray(z), cplx))
    for k, size in _blocks(res.ipiv):
        growth = max(growth, np.abs(s[k:, k:]).max())
        col = _mag(s[k + 1 :, k], cplx)
        colmax = col.max() if col.size else 0.0
        akk = dmag(s[k, k])
        if size == 1:
            if colmax == 0 or akk >= ALPHA * colmax - tol:
                if akk > tol:  # |l| <= colmax / |a_kk| <= 1 / alpha (Higham 11.1.1, cases 1 and 3)
                    bound = 1 / ALPHA if (herm or not cplx) else 2 / ALPHA  # cabs1 is not multiplicative
                    assert np.all(_mag(lt[k + 1 :, k], cplx) <= bound + 2 * tol / akk)
            else:  # case 2: no interchange although |a_kk| < alpha colmax
                r = k + 1 + int(np.argmax(col))
                row = np.concatenate([s[r, k:r], s[r + 1 :, r]])
                rowmax = _mag(row, cplx).max()
                assert akk >= ALPHA * colmax * colmax / rowmax - tol
        else:
            e11, e21, e22 = s[k, k], s[k + 1, k], s[k + 1, k + 1]
            assert _mag(e21, cplx) >= colmax - tol  # the 2x2 pivot holds colmax
            row = np.concatenate([s[k + 1, k : k + 1], s[k + 2 :, k + 1]])
            rowmax = _mag(row, cplx).max()
            assert dmag(e11) <= ALPHA * colmax * colmax / rowmax + tol
            assert dmag(e22) <= ALPHA * rowmax + tol
            if not cplx:
                # Higham 11.1.1: det E <= -(1 - alpha^2) e21^2 < 0, and the multipliers
                # of the pivot's second column are bounded by 1 / (1 - alpha).
                det = e11 * e22 - e21 * e21
                assert det <= -(1 - ALPHA**2) * e21 * e21 + tol * amax
                assert np.all(np.abs(lt[k + 2 :, k + 1]) <= 1 / (1 - ALPHA) + tol / abs(e21))
        blk = slice(k, k + size)
        l2 = lt[k + size :, blk]
        s[k + size :, k + size :] -= l2 @ d[blk, blk] @ _t(l2, herm)
    if n:
        assert growth <= (1 + 1 / ALPHA) ** (n - 1) * amax * (1 + 1e-6)
        # Higham (1997): || |L| |D| |L^T| ||_M <= 36 n rho_n ||A||_M
        ldl_abs = np.abs(lt) @ np.abs(d) @ np.abs(lt).T
        assert ldl_abs.max() <= 36 * n * growth
    return growth / amax if n else 1.0, (np.abs(lt).max() if n else 0.0)


@pytest.mark.parametrize("block_size", BLOCK_SIZES)
@pytest.mark.parametrize("dtype,hermitian", KINDS, ids=KIND_IDS)
def test_bunch_kaufman_conditions(dtype, hermitian, block_size):
    rng = np.random.default_rng(9)
    for kind in ("gauss", "zero_diag", "graded", "ill"):
        for n in (2, 3, 10, 30):
            a = make_matrix(kind, n, dtype, hermitian, rng)
            _, res = _factor(a, "numpy", hermitian=hermitian, block_size=block_size)
            _check_bunch_kaufman(a, res, hermitian)


def test_multipliers_are_unbounded():
    """BK partial pivoting accepts |a_kk| >= alpha colmax^2 / rowmax: |l| can be huge.

    Here colmax = 1e-3, rowmax = 1 and a_kk = 1e-6 >= alpha * 1e-6 / 1, so no
    interchange is made and l_21 = 1e-3 / 1e-6 = 1000 >> 1 / (1 - alpha).  LAPACK
    makes the same choice; the factorization is still backward stable.
    """
    a = np.array([[1e-6, 1e-3, 0.0], [1e-3, 0.0, 1.0], [0.0, 1.0, 0.0]])
    _, res = _factor(a, "numpy", block_size=1)
    _, lipiv, _ = _lapack_factor(a, True, True)
    np.testing.assert_array_equal(res.lapack_ipiv(), lipiv)
    _growth, lmax = _check_bunch_kaufman(a, res, True)
    assert lmax == pytest.approx(1000.0)
    assert lmax > 1 / (1 - ALPHA)
    lu, d, _ = ldl_unpack(res)
    assert recon_ratio(a, lu, d, True, np.float64) < THRESH
    # A large |L| is not growth: |L||D||L^T| (what the backward error is proportional to; at most
    # 36 n rho_n ||A||_M, Higham ch. 11) stays of the size of A here.
    direct = (np.abs(lu) @ np.abs(d) @ np.abs(lu).T).sum(axis=1).max()
    assert ldl_abs_product_norm(res) == pytest.approx(direct, rel=1e-14)
    assert direct < 4 * np.abs(a).sum(axis=0).max()


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("block_size", BLOCK_SIZES)
def test_indefinite_matrices_that_need_pivoting(backend, block_size):
    # Plain LDL^T (no pivoting) breaks down at once on a zero diagonal.
    a = np.array([[0.0, 1.0], [1.0, 0.0]])
    _, res = _factor(a, backend, block_size=block_size)
    assert res.info == 0
    np.testing.assert_array_equal(res.ipiv, [-2, -2])  # one 2x2 block, no interchange
    lu, d, _ = ldl_unpack(res)
    np.testing.assert_array_equal(to_np(d), a)
    np.testing.assert_array_equal(to_np(lu), np.eye(2))
    x = to_np(ldl_solve(res, to_backend(np.array([[1.0], [2.0]]), backend)))
    np.testing.assert_allclose(x, [[2.0], [1.0]])
    assert ldl_inertia(res) == (1, 1, 0)
    sign, logdet = ldl_slogdet(res)
    assert sign == -1 and logdet == pytest.approx(0.0)
    # Zero diagonal, n = 3: a 2x2 pivot with an interchange.
    a3 = np.array([[0.0, 1.0, 2.0], [1.0, 0.0, 3.0], [2.0, 3.0, 0.0]])
    _, res3 = _factor(a3, backend, block_size=block_size)
    np.testing.assert_array_equal(res3.ipiv, [-3, -3, 2])
    lu, d, _perm = ldl_unpack(res3)
    assert recon_ratio(a3, to_np(lu), to_np(d), True, np.float64) < THRESH
    assert ldl_inertia(res3) == (1, 2, 0)


# --------------------------------------------------------------------------- singular matrices


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("block_size", BLOCK_SIZES)
@pytest.mark.parametrize("lower", [True, False])
def test_singular_matrices(backend, block_size, lower):
    cases = [
        (np.zeros((3, 3)), 1),
        (np.ones((2, 2)), 2),  # pivot 1, then an exactly zero Schur complement
        (np.array([[4.0, 0.0, 2.0], [0.0, 0.0, 0.0], [2.0, 0.0, 1.0]]), None),
    ]
    rng = np.random.default_rng(10)
    big = make_matrix("gauss", 70, np.float64, True, rng)
    big[33, :] = big[:, 33] = 0  # an exactly zero row and column
    cases.append((big, None))
    for a, expected in cases:
        _, res = _factor(a, backend, lower=lower, block_size=block_size)
        assert res.info > 0
        if expected is not None and lower:
            assert res.info == expected
        # D(info, info) is exactly zero (LAPACK's convention)
        lu, d, _perm = ldl_unpack(res)
        assert to_np(res.factors)[res.info - 1, res.info - 1] == 0
        assert recon_ratio(a, to_np(lu), to_np(d), True, np.float64) < THRESH  # still completed
        with pytest.raises(SingularMatrixError) as err:
            ldl_solve(res, to_backend(np.ones((a.shape[0], 1)), backend))
        assert err.value.index == res.info - 1
        assert isinstance(err.value, LinAlgError)
        sign, logdet = ldl_slogdet(res)
        assert sign == 0 and logdet == -np.inf
        assert ldl_inertia(res)[2] >= 1


def test_singular_info_matches_lapack():
    a = np.array([[2.0, 1.0, 1.0], [1.0, 0.5, 0.5], [1.0, 0.5, 3.0]])  # zero pivot at step 2
    for block_size in BLOCK_SIZES:
        _, res = _factor(a, "numpy", block_size=block_size)
        _, lipiv, linfo = _lapack_factor(a, True, True)
        assert res.info == linfo == 2
        np.testing.assert_array_equal(res.lapack_ipiv(), lipiv)
        assert ldl_inertia(res) == (2, 0, 1)


# --------------------------------------------------------------------------- unpack: SciPy's conventions


@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("dtype,hermitian", KINDS, ids=KIND_IDS)
def test_unpack_follows_scipy_conventions(dtype, hermitian, lower):
    rng = np.random.default_rng(11)
    herm = _herm(dtype, hermitian)
    for backend in BACKENDS:
        for kind in ("gauss", "zero_diag"):
            for n in (0, 1, 4, 9, 70):
                a = make_matrix(kind, n, dtype, hermitian, rng)
                _, res = _factor(a, backend, lower=lower, hermitian=hermitian)
                lu, d, perm = ldl_unpack(res)
                slu, sd, sperm = sla.ldl(a, lower=lower, hermitian=hermitian)
                lu, d = to_np(lu), to_np(d)
                assert lu.shape == slu.shape and d.shape == sd.shape and perm.shape == sperm.shape
                assert lu.dtype == slu.dtype and d.dtype == sd.dtype
                assert perm.dtype.kind == sperm.dtype.kind == "i"
                assert sorted(perm.tolist()) == list(range(n))
                tri = lu[perm]
                assert np.array_equal(tri, np.tril(tri) if lower else np.triu(tri))
                assert np.all(tri.diagonal() == 1)
                assert recon_ratio(a, lu, d, herm, dtype) < THRESH
                # d: block diagonal, 1x1 and 2x2 blocks, Hermitian (symmetric) blocks
                assert np.array_equal(d, np.triu(np.tril(d, 1), -1))
                off = np.diagonal(d, -1)
                assert not np.any((off[:-1] != 0) & (off[1:] != 0))
                np.testing.assert_array_equal(d, _t(d, herm))


@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("dtype,hermitian", KINDS, ids=KIND_IDS)
def test_unpack_of_lapack_factors_equals_scipy_ldl(dtype, hermitian, lower):
    """Given the same compact factors (LAPACK's), ldl_unpack returns exactly scipy.linalg.ldl."""
    rng = np.random.default_rng(12)
    herm = _herm(dtype, hermitian)
    for n in (1, 2, 6, 30):
        a = make_matrix("zero_diag", n, dtype, hermitian, rng)
        lf, lipiv, linfo = _lapack_factor(a, lower, herm)
        res = LDLKernelResult(lf, np.where(lipiv > 0, lipiv - 1, lipiv), linfo, lower, hermitian)
        lu, d, perm = ldl_unpack(res)
        slu, sd, sperm = sla.ldl(a, lower=lower, hermitian=hermitian)
        np.testing.assert_array_equal(perm, sperm)
        np.testing.assert_allclose(lu, slu, rtol=0, atol=0)
        np.testing.assert_allclose(d, sd, rtol=0, atol=0)


def test_scipy_docstring_example_upper():
    a = np.array([[2, -1, 3], [0, 2, 0], [0, 0, 1]], dtype=float)  # upper triangle is read
    res = ldl_kernel(a.copy(), lower=False)
    lu, d, perm = ldl_unpack(res)
    full = np.triu(a) + np.triu(a, 1).T
    assert reconstruction_ratio(full, lu @ d @ lu.T) < THRESH
    np.testing.assert_array_equal(np.triu(lu[perm]), lu[perm])


# --------------------------------------------------------------------------- slogdet, inertia


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype,hermitian", KINDS, ids=KIND_IDS)
def test_slogdet_matches_numpy(backend, dtype, hermitian):
    rng = np.random.default_rng(13)
    for lower in (True, False):
        for kind in ("gauss", "zero_diag", "ill"):
            for n in (0, 1, 2, 7, 40):
                a = make_matrix(kind, n, dtype, hermitian, rng)
                _, res = _factor(a, backend, lower=lower, hermitian=hermitian)
                sign, logdet = ldl_slogdet(res)
                esign, elog = np.linalg.slogdet(widen(a))
                assert isinstance(sign, np.generic) and isinstance(logdet, np.generic)
                assert np.dtype(type(sign)) == np.dtype(dtype)
                assert np.dtype(type(logdet)) == np.finfo(np.dtype(dtype)).dtype
                if elog == -np.inf:  # the 1x1 zero matrix
                    assert sign == 0 and logdet == -np.inf
                    continue
                # first-order perturbation: |d log det| = |tr(A^{-1} dA)| <= n cond(A) |dA|/|A|
                cond = np.linalg.cond(widen(a), 1) if n else 1.0
                tol = 100 * max(n, 1) * unit_roundoff(np.dtype(dtype)) * cond
                assert abs(float(logdet) - elog) <= tol * max(1.0, abs(elog))
                assert abs(complex(sign) - complex(esign)) <= tol


def test_slogdet_does_not_overflow():
    rng = np.random.default_rng(14)
    for scale in (1e200, 1e-200):
        for kind in ("gauss", "zero_diag"):
            a = make_matrix(kind, 12, np.float64, True, rng) * scale
            for block_size in (1, 3):
                _, res = _factor(a, "numpy", block_size=block_size)
                sign, logdet = ldl_slogdet(res)
                esign, elog = np.linalg.slogdet(a)
                assert np.isfinite(logdet) and sign == esign
                # |d log det| = |tr(A^{-1} dA)| <= n kappa THRESH n u for each factorization
                tol = 2 * 12 * np.linalg.cond(a, 1) * THRESH * 12 * unit_roundoff(a.dtype)
                assert logdet == pytest.approx(elog, rel=0, abs=tol)
    # 2x2 blocks with extreme, unbalanced entries
    a = np.zeros((4, 4))
    a[0, 1] = a[1, 0] = 1e-300
    a[1, 1] = 1e-301
    a[2, 3] = a[3, 2] = 3e300
    a[2, 2] = -1e299
    _, res = _factor(a, "numpy")
    assert (res.ipiv < 0).all()
    sign, logdet = ldl_slogdet(res)
    esign, elog = np.linalg.slogdet(a)
    assert sign == esign == 1.0
    # block diagonal: two 2x2 determinants and logs, a few roundings each (|log det| ~ 10)
    assert logdet == pytest.approx(elog, rel=0, abs=16 * unit_roundoff(a.dtype) * abs(elog))
    # det of the 2x2 block [[0, 1e300], [1e300, 0]] overflows; its log does not
    _, res = _factor(np.array([[0.0, 1e300], [1e300, 0.0]]), "numpy")
    sign, logdet = ldl_slogdet(res)
    assert sign == -1 and logdet == pytest.approx(600 * math.log(10))


def _known_spectrum_matrix(lam, rng, dtype, hermitian):
    n = lam.shape[0]
    q = _unitary(rng, n, np.dtype(dtype).kind == "c")
    a = (q * lam) @ _t(q, True)
    return ((a + _t(a, True)) / 2).astype(dtype)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("block_size", BLOCK_SIZES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.complex128])
def test_inertia_matches_eigenvalue_signs(backend, block_size, dtype):
    rng = np.random.default_rng(15)
    for lower in (True, False):
        for n in (0, 1, 2, 5, 40) + ((90,) if block_size is None else ()):
            npos = int(rng.integers(0, n + 1))
            lam = rng.uniform(0.5, 2.0, n) * np.r_[np.ones(npos), -np.ones(n - npos)]
            a = _known_spectrum_matrix(rng.permutation(lam), rng, dtype, True)
            _, res = _factor(a, backend, lower=lower, block_size=block_size)
            assert ldl_inertia(res) == (npos, n - npos, 0)


def test_inertia_rejects_complex_symmetric():
    a = make_matrix("gauss", 4, np.complex128, False, np.random.default_rng(16))
    _, res = _factor(a, "numpy", hermitian=False)
    with pytest.raises(ValueError, match="complex symmetric"):
        ldl_inertia(res)


# --------------------------------------------------------------------------- property test


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 14),
    seed=st.integers(0, 2**32 - 1),
    block_size=st.sampled_from([1, 2, 3, None]),
    lower=st.booleans(),
    complex_=st.booleans(),
    data=st.data(),
)
def test_property_known_spectrum(n, seed, block_size, lower, complex_, data):
    """A = Q diag(lam) Q^H with mixed-sign lam: factors, inertia, slogdet, solve."""
    mags = data.draw(st.lists(st.floats(0.1, 10.0), min_size=n, max_size=n))
    signs = data.draw(st.lists(st.sampled_from([-1.0, 1.0]), min_size=n, max_size=n))
    lam = np.array(mags) * np.array(signs)
    rng = np.random.default_rng(seed)
    dtype = np.complex128 if complex_ else np.float64
    a = _known_spectrum_matrix(lam, rng, dtype, True)
    _, res = _factor(a, "numpy", lower=lower, block_size=block_size)
    assert res.info == 0
    lu, d, _perm = ldl_unpack(res)
    assert recon_ratio(a, lu, d, True, dtype) < THRESH
    assert ldl_inertia(res) == (int((lam > 0).sum()), int((lam < 0).sum()), 0)
    sign, logdet = ldl_slogdet(res)
    # The rounded A moves each |lam| (>= 0.1, <= 10) by n u 10, and LDL's backward error moves
    # log|det| by n kappa THRESH n u (kappa <= 100): the bound on both sign and log|det|.
    u = unit_roundoff(np.dtype(dtype))
    tol = n * 100 * n * u + n * 100 * THRESH * n * u
    assert complex(sign) == pytest.approx(float(np.prod(np.sign(lam))), abs=tol)
    assert float(logdet) == pytest.approx(float(np.sum(np.log(np.abs(lam)))), abs=tol)
    b = rng.standard_normal((n, 2)).astype(dtype)
    assert solve_residual_ratio(a, ldl_solve(res, b), b, dtype) < THRESH


# --------------------------------------------------------------------------- API details


def test_ipiv_conventions():
    a = np.array([[0.0, 1.0, 2.0], [1.0, 0.0, 3.0], [2.0, 3.0, 0.0]])
    res = ldl_kernel(a.copy())
    # 2x2 block on rows 0, 1 after interchanging rows/columns 1 and 2; then 1x1 at 2.
    np.testing.assert_array_equal(res.ipiv, [-3, -3, 2])
    np.testing.assert_array_equal(res.lapack_ipiv(), [-3, -3, 3])
    up = ldl_kernel(a.copy(), lower=False)
    _, lipiv, _ = _lapack_factor(a, False, True)
    np.testing.assert_array_equal(up.lapack_ipiv(), lipiv)


@pytest.mark.parametrize("backend", BACKENDS)
def test_solve_shapes_and_dtypes(backend):
    rng = np.random.default_rng(17)
    a = make_matrix("gauss", 6, np.float64, True, rng)
    _, res = _factor(a, backend)
    b = rng.standard_normal(6)
    x = ldl_solve(res, to_backend(b, backend))
    assert tuple(x.shape) == (6,)
    assert solve_residual_ratio(a, to_np(x), b, np.float64) < THRESH
    assert tuple(ldl_solve(res, to_backend(np.zeros((6, 0)), backend)).shape) == (6, 0)
    bc = b + 1j * rng.standard_normal(6)
    xc = to_np(ldl_solve(res, to_backend(bc, backend)))
    assert np.iscomplexobj(xc)
    assert solve_residual_ratio(a, xc, bc, np.float64) < THRESH
    b_copy = b.copy()
    ldl_solve(res, to_backend(b, backend))
    np.testing.assert_array_equal(b, b_copy)  # b is not modified
    with pytest.raises(ValueError, match="shape"):
        ldl_solve(res, to_backend(np.ones((5, 1)), backend))


def test_empty():
    for backend in BACKENDS:
        work = to_backend(np.zeros((0, 0)), backend)
        res = ldl_kernel(work)
        assert res.info == 0 and res.ipiv.shape == (0,)
        lu, d, perm = ldl_unpack(res)
        assert tuple(lu.shape) == tuple(d.shape) == (0, 0) and perm.shape == (0,)
        assert tuple(ldl_solve(res, to_backend(np.zeros((0, 2)), backend)).shape) == (0, 2)
        assert ldl_inertia(res) == (0, 0, 0)
        sign, logdet = ldl_slogdet(res)
        assert sign == 1 and logdet == 0


def test_bad_arguments():
    a = np.eye(3)
    for bad in (0, -1, 2.5, "3", True):
        with pytest.raises((ValueError, TypeError)):
            ldl_kernel(a.copy(), block_size=bad)
    with pytest.raises(ValueError, match="square"):
        ldl_kernel(np.zeros((2, 3)))
    with pytest.raises(TypeError, match="floating"):
        ldl_kernel(np.eye(3, dtype=int))
    res = ldl_kernel(a.copy())
    with pytest.raises(TypeError):
        ldl_solve(res, torch.ones(3, 1, dtype=torch.float64))
