"""Pivot growth on reuse for LDL (Bunch-Kaufman) and Banded (gbtrf) factors (issue #11, §3).

LDL: Bunch-Kaufman factors are exact for ``P A P^T + dA`` with
``|dA| <= p(n) u (|A| + |L||D||L^T|)`` (Higham, ch. 11).  pivotal measures
``g = || |L||D||L^H| ||_inf / ||A||_inf`` (``O(n^2)``) and warns when a
single rounding per term, ``u (1 + g)``, reaches 1/2.

The test matrix: ``M`` of order ``2n`` with ``M[2i, 2j+1] = M[2j+1, 2i] =
W[j, i]`` (``W`` Wilkinson's GEPP growth matrix), zero elsewhere.  Every
diagonal entry of every Schur complement is zero, so Bunch-Kaufman takes
2x2 pivots on rows ``(2t, 2t+1)`` without interchanges (the first largest
entry of column ``2t`` is on row ``2t+1``); each one is a step of Gaussian
elimination with partial pivoting on ``W^T``'s rows, so ``D``'s last block
holds ``2^(n-1)`` and ``g = (2^(n+1) - O(1)) / n``.  All entries are 0 and
+-1, and the factorization is exact while its entries stay below ``2^53``
(``1/u``), whatever the BLAS kernel.

Banded: GEPP on a band matrix is exact for ``A + dA`` with
``|dA| <= gamma_(kl+1) |L||U|``; the band's row length
``m = min(n, kl + ku + 1)`` takes the place of ``n`` in LU's policy,
``m rho u >= 1/2`` with ``rho = max|U| / max|A|``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import pivotal as pv
from pivotal.factorizations.banded import banded_growth_warning
from pivotal.factorizations.ldl import ldl_compute, ldl_growth, symmetric_norm1
from pivotal.kernels.ldl import ldl_unpack

from .helpers import THRESH, random_matrix, solve_residual_ratio, to_backend, to_np, u_of

torch = pytest.importorskip("torch")


def wilkinson(n: int, dtype=np.float64) -> np.ndarray:
    """Wilkinson's GEPP growth matrix, built entry by entry (no BLAS product)."""
    a = np.eye(n, dtype=dtype) - np.tril(np.ones((n, n), dtype=dtype), -1)
    a[:, -1] = 1
    return a


def bunch_kaufman_growth(n: int, dtype=np.float64) -> np.ndarray:
    """Order ``2n``, entries 0 and +-1: Bunch-Kaufman's ``D`` reaches ``2^(n-1)`` (module docstring)."""
    w = wilkinson(n, dtype)
    m = np.zeros((2 * n, 2 * n), dtype=dtype)
    m[0::2, 1::2] = w.T
    m[1::2, 0::2] = w
    return m


def _growth_warning(record) -> pv.PivotGrowthWarning:
    found = [w.message for w in record if isinstance(w.message, pv.PivotGrowthWarning)]
    assert len(found) == 1, [str(w.message) for w in record]
    return found[0]


def _direct_growth(a: np.ndarray, res) -> float:
    """``|| |L||D||L^H| ||_inf / ||A||_inf`` from the unpacked factors, in float64/complex128."""
    lu, d, _ = ldl_unpack(res)
    lu, d = np.abs(to_np(lu)).astype(np.float64), np.abs(to_np(d)).astype(np.float64)
    return float((lu @ d @ lu.T).sum(axis=1).max() / np.abs(a).astype(np.float64).sum(axis=1).max())


# --------------------------------------------------------------------------- LDL: the growth measure


def test_bunch_kaufman_growth_matrix_is_what_the_docstring_says():
    n = 20
    a = bunch_kaufman_growth(n)
    assert np.array_equal(a, a.T) and set(np.unique(a)) == {-1.0, 0.0, 1.0}
    F = pv.LDL(a)
    L, D, p = F
    np.testing.assert_array_equal(to_np(p), np.arange(2 * n))  # no interchanges
    # All 2x2 blocks [[0, c], [c, 0]]; the last one carries the growth 2^(n-1), exactly.
    assert np.all(np.diag(D) == 0) and np.abs(D).max() == 2.0 ** (n - 1)
    assert np.array_equal(L @ D @ L.T, a)  # exact: every entry is an integer below 2^53
    assert F.growth_factor() == pytest.approx((2.0 ** (n + 1)) / n, rel=1e-4)


@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.complex128])
def test_growth_matches_the_unpacked_product(backend, dtype):
    """The O(n^2) evaluation equals |L||D||L^H| formed explicitly (interchanges, 2x2 blocks, both triangles).

    Both sum nonnegative terms: they agree to a relative ``O(n u)``.
    """
    rng = np.random.default_rng(3)
    cplx = np.dtype(dtype).kind == "c"
    for trial in range(12):
        n = int(rng.integers(1, 40))
        g = random_matrix(rng, (n, n), dtype)
        if trial % 3 == 0:
            g[rng.random((n, n)) < 0.6] = 0  # zero pivots and 1x1/2x2 mixtures
        hermitian = bool(trial % 2) or not cplx
        a = (g + (g.conj().T if hermitian else g.T)).astype(dtype)
        lower = trial % 4 < 2
        for method, block_size in (("auto", None), ("kernel", 1), ("kernel", 3)):
            if backend == "torch" and not lower and method == "auto":
                continue  # torch.linalg.ldl_factor has no upper form; the kernel covers it
            work = to_backend(a.copy(), backend)
            res, _ = ldl_compute(work, lower, hermitian, block_size, method)
            growth = ldl_growth(res, symmetric_norm1(to_backend(a, backend), lower, hermitian))
            direct = _direct_growth(a, res) if np.abs(a).max() else 1.0
            assert growth == pytest.approx(direct, rel=8 * n * u_of(dtype))
            # |L||D||L^T| >= |L D L^T| = |P (A + dA) P^T| entrywise, ||dA|| <= p(n) u (1 + g) ||A||
            assert growth * (1 + 2 * n * u_of(dtype)) >= 1 - 2 * n * u_of(dtype)


# --------------------------------------------------------------------------- LDL: the warning


@pytest.fixture
def system():
    n = 60  # order 120: u (1 + g) = 2^61 / 60 * 2^-53 = 4.3
    a = bunch_kaufman_growth(n)
    x_true = np.random.default_rng(0).standard_normal(2 * n)
    return a, x_true, a @ x_true  # a @ x_true: the reference x is x_true up to rounding in b


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_ldl_solve_warns_once_with_the_growth(system, backend):
    a, _, b = system
    F = pv.LDL(to_backend(a, backend))
    with pytest.warns(pv.PivotGrowthWarning) as rec:
        x = to_np(F.solve(to_backend(b, backend)))
    w = _growth_warning(rec)
    assert w.factorization == "LDL" and w.index is None
    assert w.growth == pytest.approx(F.growth_factor()) and w.growth > 2.0**55 / 60
    assert "LDL factors" in str(w) and "|L||D||L^H|" in str(w) and isinstance(w, pv.LinAlgWarning)
    # What the warning is about: the factors are those of a matrix far from A.
    assert solve_residual_ratio(a, x, b) > 1e10
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once per factorization
        F.solve(to_backend(b, backend), trans=1)
    with pytest.warns(pv.PivotGrowthWarning):
        pv.LDL(to_backend(a, backend)).inv()


def test_factorize_and_solve_without_refinement_warn(system):
    a, _, b = system
    F = pv.factorize(a)
    assert type(F).__name__ == "LDL"
    with pytest.warns(pv.PivotGrowthWarning) as rec:
        F.solve(b)
    assert _growth_warning(rec).factorization == "LDL"
    for assume in (None, "sym"):
        with pytest.warns(pv.PivotGrowthWarning):
            pv.solve(a, b, assume_a=assume, lower=True, refine=False)


def test_solve_with_refinement_repairs_and_does_not_warn(system):
    a, _, b = system
    for refine in ("auto", True):
        with warnings.catch_warnings():
            warnings.simplefilter("error", pv.PivotGrowthWarning)  # refinement measured the backward error
            x = pv.solve(a, b, assume_a="sym", lower=True, refine=refine)
        assert solve_residual_ratio(a, x, b) < THRESH


def test_upper_triangle_warns_too(system):
    """lower=False: pivotal's kernel factors U D U^T as the lower factorization of the reversed
    matrix J A J, so J A J grows as A does.  (LAPACK's upper sytrf breaks the ties of this matrix
    the other way and does not grow; its growth measure is checked against the explicit product in
    test_growth_matches_the_unpacked_product.)"""
    a, _, b = system
    F = pv.LDL(a[::-1, ::-1].copy(), lower=False, method="kernel")
    assert F.growth_factor() == pytest.approx(pv.LDL(a).growth_factor(), rel=1e-12)
    with pytest.warns(pv.PivotGrowthWarning):
        F.solve(b[::-1].copy())


def test_ldl_compute_warns_at_factor_time_for_the_scipy_style_function(system):
    """pivotal.ldl returns SciPy's (lu, d, perm), which cannot carry ||A||: it must warn when factoring."""
    a, _, _ = system
    with pytest.warns(pv.PivotGrowthWarning) as rec:
        res, _ = ldl_compute(a.copy(), True, True, None, "auto", warn_growth=True)
    assert _growth_warning(rec).growth == pytest.approx(_direct_growth(a, res), rel=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ldl_compute(a.copy(), True, True, None, "auto")  # warn_growth=False: the object warns on use


def test_threshold_is_one_rounding_per_term():
    """u (1 + g) with g ~ 2^(n+1)/n: float64 warns at n = 60 (4.3), not at n = 54 (0.074); float32
    at n = 30 (4.3), not at n = 24 (0.083).  Each case is a factor > 6 away from 1/2."""
    for n, dtype, due in (
        (54, np.float64, False),
        (60, np.float64, True),
        (24, np.float32, False),
        (30, np.float32, True),
    ):
        a = bunch_kaufman_growth(n, dtype)
        F = pv.LDL(a)
        assert ((1 + F.growth_factor()) * u_of(dtype) >= 0.5) == due
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            F.solve(np.ones(2 * n, dtype))
        assert any(isinstance(w.message, pv.PivotGrowthWarning) for w in rec) == due


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.complex128])
@pytest.mark.parametrize("hermitian", [True, False])
def test_ldl_no_false_alarm_on_random_and_saddle_point_matrices(dtype, hermitian):
    """Random symmetric matrices have g ~ n (measured: g < 3n up to n = 1600) and u g far below 1/2."""
    rng = np.random.default_rng(7)
    n = 300
    g = random_matrix(rng, (n, n), dtype)
    a = (g + (g.conj().T if hermitian else g.T)).astype(dtype)
    m, k = 200, 80  # saddle point [[I, B], [B^T, 0]], Bunch-Kaufman's home ground
    bmat = random_matrix(rng, (m, k), np.float64)
    kkt = np.block([[np.eye(m), bmat], [bmat.T, np.zeros((k, k))]]).astype(dtype)
    for mat in (a, kkt):
        b = np.ones(mat.shape[0], dtype)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            F = pv.LDL(mat, hermitian=hermitian)
            x = F.solve(b)
            pv.solve(
                mat,
                b,
                assume_a="sym" if not hermitian or np.dtype(dtype).kind != "c" else "her",
                refine=False,
            )
            ldl_compute(mat.copy(), True, hermitian, None, "auto", warn_growth=True)
        assert F.growth_factor() < 10 * mat.shape[0]  # measured: below 3n for random matrices
        assert solve_residual_ratio(mat, x, b, dtype) < THRESH


# --------------------------------------------------------------------------- Banded


def test_banded_wilkinson_warns_with_the_growth():
    n = 60
    a = wilkinson(n)
    x_true = np.random.default_rng(1).standard_normal(n)
    b = a @ x_true
    F = pv.Banded(a)  # detected: kl = ku = 59, the full band; m = n as for LU
    assert (F.lower_bandwidth, F.upper_bandwidth) == (59, 59)
    assert F.growth_factor() == 2.0**59  # exact: powers of two
    with pytest.warns(pv.PivotGrowthWarning) as rec:
        x = F.solve(b)
    w = _growth_warning(rec)
    assert (w.growth, w.factorization) == (2.0**59, "Banded") and "Banded factors" in str(w)
    assert solve_residual_ratio(a, x, b) > 1e10
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.solve(b, trans=1)
    with pytest.warns(pv.PivotGrowthWarning):
        pv.solve(a, b, assume_a="banded", refine=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", pv.PivotGrowthWarning)
        x = pv.solve(a, b, assume_a="banded")  # refine="auto" measures and repairs
    assert solve_residual_ratio(a, x, b) < THRESH


def _wilkinson_blocks(block: int, count: int, dtype=np.float32) -> np.ndarray:
    """Block diagonal of Wilkinson matrices: a band with kl = ku = block - 1 and growth 2^(block-1)."""
    n = block * count
    a = np.zeros((n, n), dtype=dtype)
    for k in range(count):
        a[k * block : (k + 1) * block, k * block : (k + 1) * block] = wilkinson(block, dtype)
    return a


def test_banded_threshold_uses_the_band_not_n():
    """float32, u = 2^-24.  Blocks of 20: m = 39, m rho u = 39 * 2^19 * 2^-24 = 1.2 (warns).
    Blocks of 17 (8 of them, n = 136): m = 33, m rho u = 33 * 2^16 * 2^-24 = 0.13 (no warning),
    although n rho u = 0.53: each row of the band sums 33 terms, not 136."""
    a = _wilkinson_blocks(20, 3)
    F = pv.Banded(a)
    assert (F.lower_bandwidth, F.upper_bandwidth, F.growth_factor()) == (19, 19, 2.0**19)
    with pytest.warns(pv.PivotGrowthWarning):
        F.solve(np.ones(60, np.float32))
    a = _wilkinson_blocks(17, 8)
    F = pv.Banded(a, lower_bandwidth=16, upper_bandwidth=16)
    assert F.growth_factor() == 2.0**16
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.solve(np.ones(136, np.float32))
    u = u_of(np.float32)
    assert banded_growth_warning(2.0**16, 136, 16, 16, np.float32) is None
    assert 33 * 2.0**16 * u < 0.5 <= 136 * 2.0**16 * u


def bohte_bound(p: int) -> float:
    """Bohte's bound on GEPP growth for a band matrix with both bandwidths p (Higham, sec. 9.5)."""
    return 2.0 ** (2 * p - 1) - (p - 1) * 2.0 ** (p - 2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128])
def test_banded_no_false_alarm_and_growth_within_bohte(dtype):
    rng = np.random.default_rng(11)
    for kl, ku in ((1, 1), (2, 1), (1, 3), (3, 3)):
        for n in (5, 40, 120):
            a = random_matrix(rng, (n, n), dtype)
            a = np.triu(np.tril(a, ku), -kl)
            b = np.ones(n, dtype)
            with warnings.catch_warnings():
                # Random bands are often ill-conditioned (their condition number grows exponentially
                # with n; at n = 500 float32 solves overflow): only growth is tested here.
                warnings.simplefilter("ignore", pv.IllConditionedWarning)
                warnings.simplefilter("error", pv.PivotGrowthWarning)
                F = pv.Banded(a, lower_bandwidth=kl, upper_bandwidth=ku)
                x = F.solve(b)
            assert 0.0 < F.growth_factor() <= bohte_bound(max(kl, ku))
            assert np.isfinite(x).all() and solve_residual_ratio(a, x, b, dtype) < THRESH


def test_scipy_style_ldl_warns_at_factor_time(system):
    """pivotal.ldl (SciPy's signature) warns when it factors a matrix of large Bunch-Kaufman growth."""
    a, _, _ = system
    with pytest.warns(pv.PivotGrowthWarning):
        pv.ldl(a, lower=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pv.ldl(bunch_kaufman_growth(8), lower=True)  # growth far below the threshold: no warning
