"""Regression tests for the bugs the sweep found outside the other parts of issue #11.

Each was a silently wrong (or non-finite) result on well-posed input:

* ``condest`` returned NaN for a well-conditioned matrix scaled to subnormal
  size (``||A^{-1}||`` overflows, and the vendor LU flushes subnormals);
* ``growth_factor`` of such a matrix was off by 30%;
* ``forward_error_bound`` returned NaN for it;
* ``orthogonality_error`` computed ``Q^H Q`` in float16 for float16 input,
  and overflowed to inf for a basis scaled by 1e150 whose error is 5e300;
* ``gallery.scaled`` and ``gallery.vandermonde`` dropped the mask of a
  masked array silently.
"""

from __future__ import annotations

import numpy as np
import pytest

import pivotal as pv
from pivotal import gallery

from .matrices import general, rng_for

TINY = [2.0**-996, 2.0**-1050]  # about 1e-300, and subnormal


def _scaled(a, s):
    return (a * np.sqrt(s)) * np.sqrt(s)  # exact: s is an even power of two


@pytest.fixture(scope="module")
def a():
    return general(rng_for("regressions"), "real")


@pytest.mark.parametrize("s", TINY + [2.0**996])
@pytest.mark.parametrize("norm", [1, np.inf])
def test_condest_is_scale_invariant(a, s, norm):
    # kappa(s A) = kappa(A); the estimator's arithmetic commutes with a power-of-two scaling.
    want = pv.condest(a, norm)
    got = pv.condest(_scaled(a, s), norm)
    assert abs(got - want) <= 1e-12 * want
    assert 1 <= got <= np.linalg.cond(a, norm) * (1 + 1e-12)


@pytest.mark.parametrize("s", TINY + [2.0**996])
def test_growth_factor_is_scale_invariant(a, s):
    want = pv.growth_factor(a)
    assert abs(pv.growth_factor(_scaled(a, s)) - want) <= 1e-12 * want


@pytest.mark.parametrize("s", TINY)
def test_forward_error_bound_of_a_tiny_system(a, s):
    x_true = np.arange(1.0, 7.0)
    b = a @ x_true  # integer data: exact
    x = x_true.copy()
    x[0] += 1.0
    actual = np.max(np.abs(x - x_true)) / np.max(np.abs(x))
    want = pv.forward_error_bound(a, x, b)
    got = pv.forward_error_bound(_scaled(a, s), x, _scaled(b, s))
    assert np.isfinite(got) and got >= actual
    assert abs(got - want) <= 1e-12 * want


def test_orthogonality_error_promotes_float16():
    q = (np.eye(6)[:, :4] + np.arange(24).reshape(6, 4) / 64).astype(np.float16)
    want = np.linalg.norm(q.astype(np.float32).T @ q.astype(np.float32) - np.eye(4))
    assert abs(pv.orthogonality_error(q) - want) <= 1e-6 * want


@pytest.mark.parametrize("norm", ["fro", 2, 1])
def test_orthogonality_error_does_not_overflow(norm):
    q, _ = np.linalg.qr(np.arange(1.0, 25.0).reshape(6, 4) ** 0.5)
    s = 2.0**498  # Q^H Q - I has entries ~ 2^996: its norm is finite, its squares are not
    got = pv.orthogonality_error(q * s, norm)
    want = np.linalg.norm((q.T @ q) - np.eye(4) / s**2, norm) * s**2
    assert np.isfinite(got) and abs(got - want) <= 1e-12 * want


def test_gallery_refuses_masked_arrays():
    m = np.ma.masked_array(np.eye(3), mask=np.eye(3, dtype=bool))
    with pytest.raises(ValueError, match="masked array"):
        gallery.scaled(m, 2.0)
    with pytest.raises(ValueError, match="masked array"):
        gallery.vandermonde(m[0])


# Gram-Schmidt took the column norms as sqrt(sum |a_ij|^2): inf at 1e+-160 and beyond, 0 below,
# so every column looked dependent and Q came back as the identity's columns (A != Q R).
@pytest.mark.parametrize("method", ["cgs", "mgs", "cgs2"])
@pytest.mark.parametrize("s", [2.0**996, 2.0**-996, 2.0**-1050])
def test_gram_schmidt_at_extreme_scales(method, s):
    a = np.arange(1.0, 41.0).reshape(8, 5) % 7 + np.eye(8, 5)
    q0, r0 = pv.qr(a, mode="economic", method=method)
    q, r = pv.qr(_scaled(a, s), mode="economic", method=method)
    tol = 1e-12 if s > 2.0**-1000 else 1e-6  # subnormal data keep about 25 bits
    assert np.abs(q - q0).max() <= tol
    assert np.abs(r / np.sqrt(s) / np.sqrt(s) - r0).max() <= tol * np.abs(r0).max()


# The LDL^T kernel scaled by 1/d (LAPACK's xSYTF2 before its SFMIN test): for a subnormal
# pivot 1/d overflows and the multipliers came back inf/NaN; the 2x2 pivots divided by a
# subnormal off-diagonal entry in the same way.
@pytest.mark.parametrize("block_size", [1, 2])
@pytest.mark.parametrize(
    "a",
    [
        np.array([[4.0, 1, 2, 0], [1, -3, 1, 2], [2, 1, 5, 1], [0, 2, 1, -6]]),  # 1x1 pivots
        np.array([[0.0, 3, 1, 2], [3, 0, 2, 1], [1, 2, 0, 3], [2, 1, 3, 1]]),  # a 2x2 pivot first
    ],
)
def test_ldl_kernel_with_subnormal_pivots(a, block_size):
    s = 2.0**-1050
    lu0, d0, p0 = pv.ldl(a, method="kernel", block_size=block_size)
    lu, d, p = pv.ldl(_scaled(a, s), method="kernel", block_size=block_size)
    assert np.array_equal(p, p0)
    assert np.isfinite(lu).all() and np.abs(lu - lu0).max() <= 1e-6
    assert np.abs(d / np.sqrt(s) / np.sqrt(s) - d0).max() <= 1e-6 * np.abs(d0).max()


def test_orthogonality_error_overflow_is_inf_not_nan():
    # Entries of size 2^996: Q^H Q overflows; some BLAS kernels (Prescott, Sandybridge) return NaN
    # (inf - inf inside the dot products), others inf.  The true norm overflows: inf.
    q = np.array([[1.0, 1.0], [1.0, -1.0], [0.5, 0.25]]) * 2.0**996
    assert pv.orthogonality_error(q) == np.inf
    q[0, 0] = np.nan
    assert np.isnan(pv.orthogonality_error(q))
