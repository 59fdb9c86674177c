"""Pivot growth on reuse: no silent wrong answer from LU factors with huge growth (issue #11, §3).

GEPP on Wilkinson's matrix (1 on the diagonal, -1 below it, 1 in the last
column) doubles the last column at every step: growth ``rho = 2^(n-1)``,
computed exactly (every entry is a small power of two, whatever the BLAS
kernel).  The factors are those of ``A + dA`` with ``||dA|| ~ n rho u ||A||``,
so at n = 60 (``n rho u ~ 4e3``) a solve returns ``x`` with error of order 1.
pivotal warns (``PivotGrowthWarning``, carrying ``rho``) once
``n rho u >= 1/2``: the backward-error bound then certifies nothing.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import pivotal as pv
from pivotal.factorizations.lu import GROWTH_BOUND_LIMIT, growth_destroys_accuracy

from .helpers import THRESH, solve_residual_ratio, to_backend, to_np, u_of

torch = pytest.importorskip("torch")


def wilkinson(n: int, dtype=np.float64) -> np.ndarray:
    """Wilkinson's GEPP growth matrix, built entry by entry (no BLAS product)."""
    a = np.eye(n, dtype=dtype) - np.tril(np.ones((n, n), dtype=dtype), -1)
    a[:, -1] = 1
    return a


@pytest.fixture
def system():
    n = 60
    a = wilkinson(n)
    x_true = np.random.default_rng(0).standard_normal(n)
    return a, x_true, a @ x_true  # a @ x_true: the reference x is x_true up to rounding in b


def _growth_warning(record) -> pv.PivotGrowthWarning:
    found = [w.message for w in record if isinstance(w.message, pv.PivotGrowthWarning)]
    assert len(found) == 1, [str(w.message) for w in record]
    return found[0]


def test_growth_is_exactly_two_to_the_n_minus_one():
    for n in (10, 47, 48, 60):
        assert pv.LU(wilkinson(n)).growth_factor() == 2.0 ** (n - 1)


def test_lu_object_solve_warns_with_the_growth(system):
    a, x_true, b = system
    F = pv.LU(a)
    with pytest.warns(pv.PivotGrowthWarning) as rec:
        x = F.solve(b)
    w = _growth_warning(rec)
    assert w.growth == 2.0**59 and w.index is None and "growth factor 5.76e+17" in str(w)
    assert isinstance(w, pv.LinAlgWarning) and pv.PivotGrowthWarning is pv.errors.PivotGrowthWarning
    # What the warning is about: the answer is wrong by O(1), the residual is far from u.
    assert np.abs(x - x_true).max() > 1e-2 and solve_residual_ratio(a, x, b) > 1e10
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once per factorization, like the rcond warning
        F.solve(b, trans=1)
    with pytest.warns(pv.PivotGrowthWarning):
        pv.LU(a).inv()


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_factorize_and_inv_warn(system, backend):
    a, _, b = system
    with pytest.warns(pv.PivotGrowthWarning) as rec:
        pv.factorize(to_backend(a, backend)).solve(to_backend(b, backend))
    assert _growth_warning(rec).growth == 2.0**59
    with pytest.warns(pv.PivotGrowthWarning):
        pv.inv(to_backend(a, backend))


def test_lu_factor_warns_at_factor_time_and_lu_solve_cannot_know(system):
    """``(lu, piv)`` carries no ``max|A|``, so lu_factor warns when it still knows it."""
    a, _, b = system
    with pytest.warns(pv.PivotGrowthWarning) as rec:
        lu_piv = pv.lu_factor(a)
    assert _growth_warning(rec).growth == 2.0**59
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pv.lu_solve(lu_piv, b)
    with pytest.warns(pv.PivotGrowthWarning):
        pv.lu(a)
    with pytest.warns(pv.PivotGrowthWarning):  # a batch: each matrix is checked
        pv.lu_factor(np.stack([np.eye(60), a]))


@pytest.mark.parametrize("method", ["auto", "kernel"])
def test_lu_solve_of_an_lu_object_warns_like_its_solve(system, method):
    """An LU object knows max|A|: lu_solve(F, b) issues F's growth warning, once per factorization."""
    a, _, b = system
    F = pv.LU(a)
    with pytest.warns(pv.PivotGrowthWarning) as rec:
        x = pv.lu_solve(F, b, method=method)
    assert _growth_warning(rec).growth == 2.0**59
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # already said, by F.solve or lu_solve alike
        assert np.array_equal(pv.lu_solve(F, b, method=method), x)
        F.solve(b)
    assert np.array_equal(F.solve(b, method=method), x)


def test_solve_warns_without_refinement_and_refines_otherwise(system):
    a, x_true, b = system
    with pytest.warns(pv.PivotGrowthWarning):
        pv.solve(a, b, refine=False)
    for refine in ("auto", True):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # refinement measured and repaired the backward error
            x = pv.solve(a, b, refine=refine)
        assert solve_residual_ratio(a, x, b) < THRESH
        # forward error <= kappa * (n + 1) u (refinement reached the rounding level of the residual)
        bound = 10 * np.linalg.cond(a, np.inf) * 61 * u_of(np.float64)
        assert np.abs(x - x_true).max() <= bound * np.abs(x_true).max()


@pytest.mark.parametrize("pivoting", ["rook", "complete"])
def test_rook_and_complete_pivoting_do_not_grow(system, pivoting):
    a, _, b = system
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = pv.LU(a, pivoting=pivoting).solve(b)
    assert solve_residual_ratio(a, x, b) < THRESH


def test_threshold_is_n_rho_u_at_one_half():
    """n = 47: 47 * 2^46 * 2^-53 = 0.37 (no warning); n = 48: 0.75 (warning). Exact arithmetic."""
    u = u_of(np.float64)
    assert 47 * 2.0**46 * u < GROWTH_BOUND_LIMIT <= 48 * 2.0**47 * u
    assert not growth_destroys_accuracy(2.0**46, 47, np.float64)
    assert growth_destroys_accuracy(2.0**47, 48, np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pv.LU(wilkinson(47)).solve(np.ones(47))
        pv.lu_factor(wilkinson(47))
    with pytest.warns(pv.PivotGrowthWarning):
        pv.LU(wilkinson(48)).solve(np.ones(48))
    # float32: u = 2^-24, so already n = 20 (20 * 2^19 * 2^-24 = 0.625) warns, n = 19 (0.30) does not.
    with pytest.warns(pv.PivotGrowthWarning):
        pv.LU(wilkinson(20, np.float32)).solve(np.ones(20, np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pv.LU(wilkinson(19, np.float32)).solve(np.ones(19, np.float32))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.complex128])
def test_no_false_alarm_on_random_matrices(dtype):
    """Random matrices have modest growth (about n^(2/3)): no warning."""
    rng = np.random.default_rng(7)
    n = 300
    a = rng.standard_normal((n, n)).astype(dtype)
    if np.dtype(dtype).kind == "c":
        a = a + 1j * rng.standard_normal((n, n)).astype(dtype)
    b = np.ones(n, dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F = pv.LU(a)
        x = F.solve(b)
        pv.lu_factor(a)
        pv.solve(a, b, refine=False)
    assert F.growth_factor() < n
    assert solve_residual_ratio(a, x, b, dtype) < THRESH


def test_no_pivoting_tiny_pivot_carries_growth_and_index():
    a = np.array([[1e-16, 1.0], [1.0, 2.0]])
    with pytest.warns(pv.PivotGrowthWarning, match="index 0") as rec:
        F = pv.LU(a, pivoting="none")
    w = _growth_warning(rec)
    assert (w.index, w.multiplier) == (0, 1e16)
    assert w.growth == pytest.approx(F.growth_factor()) and w.growth > 1e15
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # already warned at factor time: the solve does not repeat it
        F.solve(np.ones(2))


def test_torch_lu_object(system):
    a, _, b = system
    F = pv.LU(torch.from_numpy(a))
    with pytest.warns(pv.PivotGrowthWarning) as rec:
        x = F.solve(torch.from_numpy(b))
    assert _growth_warning(rec).growth == 2.0**59
    assert solve_residual_ratio(a, to_np(x), b) > 1e10
