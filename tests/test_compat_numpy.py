"""Functions NumPy has and SciPy lacks follow ``numpy.linalg``; ndarray subclasses round-trip as in NumPy.

Each test compares with ``numpy.linalg`` on the same input (see docs/compat.md).
"""

from __future__ import annotations

import numpy as np
import pytest

import pivotal as pv

from .helpers import THRESH, solve_residual_ratio, torch

DTYPES = [np.float32, np.float64, np.complex64, np.complex128, np.int64]


def _matrix(dtype, n=5, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n, n)) + n * np.eye(n)
    if np.dtype(dtype).kind == "c":
        a = a + 1j * rng.standard_normal((n, n))
    if np.dtype(dtype).kind == "i":
        a = np.round(4 * a)
    return a.astype(dtype)


# --------------------------------------------------------------------------- cond


@pytest.mark.parametrize("p", [None, 1, -1, 2, -2, np.inf, -np.inf, "fro", "nuc"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_cond_returns_a_numpy_scalar_of_the_real_dtype(dtype, p):
    a = _matrix(dtype)
    ours, ref = pv.cond(a, p), np.linalg.cond(a, p)
    assert type(ours) is type(ref)
    assert ours.dtype == ref.dtype
    # Both evaluate the same SVD or inverse of the same matrix (NumPy's own routines): the
    # values agree to the rounding of that one computation, a few units of its precision.
    np.testing.assert_allclose(ours, ref, rtol=50 * np.finfo(ref.dtype).eps)


@pytest.mark.parametrize("shape", [(0, 0), (3, 0), (0, 3), (2, 0, 0)])
def test_cond_of_an_empty_matrix_raises_like_numpy(shape):
    with pytest.raises(np.linalg.LinAlgError):
        np.linalg.cond(np.empty(shape))
    with pytest.raises(np.linalg.LinAlgError, match="empty"):
        pv.cond(np.empty(shape))


def test_cond_of_an_empty_batch_is_empty_like_numpy():
    a = np.empty((0, 3, 3))
    assert pv.cond(a).shape == np.linalg.cond(a).shape == (0,)


# --------------------------------------------------------------------------- matrix_rank


@pytest.mark.parametrize(
    "x",
    [
        np.float64(2.0),
        np.float64(0.0),
        3,
        0.0,
        np.zeros(3),
        np.ones(3),
        np.array([]),
        np.array([0.0, 1e-300]),
    ],
    ids=repr,
)
def test_matrix_rank_of_scalars_and_vectors(x):
    assert pv.matrix_rank(x) == np.linalg.matrix_rank(x)


def test_matrix_rank_of_a_float64_scalar_is_one():
    assert pv.matrix_rank(np.float64(2.0)) == 1


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("method", ["svd", "qrcp"])
@pytest.mark.parametrize("hermitian", [False, True])
def test_matrix_rank_refuses_nan_and_inf(bad, method, hermitian):
    """A documented deviation: NumPy raises LinAlgError('SVD did not converge') for NaN, 0 for [[inf]]."""
    if hermitian and method == "qrcp":
        pytest.skip("hermitian applies to method='svd' only")
    a = np.eye(4)
    a[1, 2] = a[2, 1] = bad
    tensors = () if torch is None else (torch.from_numpy(a),)
    for x in (a, a.astype(np.complex64), *tensors, a[None], a[1], np.float64(bad)):
        with pytest.raises(ValueError, match="NaN or Inf"):
            pv.matrix_rank(x, hermitian=hermitian, method=method)
    with pytest.raises(ValueError, match="NaN or Inf"):
        pv.matrix_rank(np.array([[bad]]), tol=1.0)
    assert pv.matrix_rank(np.where(np.isfinite(a), a, 0.0), hermitian=hermitian, method=method) == 4


@pytest.mark.parametrize("method", ["svd", "qrcp"])
@pytest.mark.parametrize("k", [-1070, -1060, -1000, -600, 600, 1000])
def test_matrix_rank_threshold_does_not_underflow(method, k):
    """S.max() * max(M, N) * eps underflowed to 0 for subnormal data, so rounding errors counted as rank."""
    rng = np.random.default_rng(3)
    a0 = rng.integers(-4, 5, (9, 3)).astype(float) @ rng.integers(-4, 5, (3, 7))  # exact rank 3
    a = np.ldexp(a0, k)
    assert np.array_equal(np.ldexp(a, -k), a0)  # exactly representable
    assert pv.matrix_rank(a, method=method) == 3
    assert pv.matrix_rank(a, rtol=1e-8, method=method) == 3
    assert pv.matrix_rank(a, hermitian=False, tol=0.0, method=method) >= 3
    assert pv.null_space(a, method=method).shape == (7, 4)  # the same relative rule
    assert pv.orth(a, method=method).shape == (9, 3)


# --------------------------------------------------------------------------- det


@pytest.mark.parametrize("dtype", [np.float32, np.complex64, np.float64, np.complex128])
def test_det_with_exact_pivots_is_exact(dtype):
    """[[2, 1], [4, -6]]: partial pivoting gives the pivots 4 and 4 with one interchange.

    Every step is exact in binary floating point, so det = -(4 * 4) = -16 exactly; the
    product is formed in double precision without logarithms (exp(log 16) in single
    precision gives -16.000002).
    """
    a = np.array([[2, 1], [4, -6]], dtype=dtype)
    d = pv.det(a)
    assert d == -16
    assert d.dtype == (np.complex128 if np.dtype(dtype).kind == "c" else np.float64)  # SciPy's rule


def test_det_neither_overflows_nor_underflows_in_between():
    """Pivots 2**-600, 2**-600, 2**600, 3 * 2**600: det = 3 exactly (a naive product underflows to 0)."""
    d = np.array([2.0**-600, 2.0**-600, 2.0**600, 3 * 2.0**600])
    assert pv.det(np.diag(d)) == 3.0
    assert pv.det(np.diag(d[::-1])) == 3.0  # overflow first, for a naive product
    sign, logabs = pv.slogdet(np.diag(d))
    assert sign == 1.0 and logabs == pytest.approx(np.log(3.0), rel=1e-15)
    big = np.diag(np.full(4, 2.0**300))  # det = 2**1200: beyond float64, as it should be
    with np.errstate(over="ignore"):
        assert np.isinf(pv.det(big))


_EXACT = np.array([[2.0, 1.0], [4.0, -6.0]])  # det -16; every step of its LU is exact (see above)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
@pytest.mark.parametrize("overwrite", [False, True])
def test_det_of_subnormal_and_huge_rows_is_exact(dtype, overwrite):
    """Rows scaled by 2**-1060 (subnormal) and 2**1000: det = -16 * 2**-60 exactly.

    Unscaled, the elimination computes on subnormal numbers (and some getrf kernels flush
    their multipliers); with each row brought to [1/2, 1) by a power of two every step is
    exact again, and the exponents are folded into the product.
    """
    a = np.asfortranarray((_EXACT * np.array([[2.0**-1060], [2.0**1000]])).astype(dtype))
    assert np.abs(a[0]).max() < np.finfo(np.float64).smallest_normal  # really subnormal
    assert pv.det(a[::-1].copy()) == 16 * 2.0**-60
    assert pv.det(a, overwrite_a=overwrite) == -16 * 2.0**-60


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.complex128])
def test_det_of_a_subnormal_matrix(dtype):
    """det(2**-k A) = -16 * 2**(-2k): 0 in float64 (it was inf), exact for float32 input (det is float64)."""
    k = 1060 if np.dtype(dtype) in (np.float64, np.complex128) else 140
    a = (_EXACT * 2.0**-k).astype(dtype)
    assert 0 < np.abs(a).max() < np.finfo(dtype).smallest_normal
    assert pv.det(a) == -16 * 2.0 ** (-2 * k)
    sign, logabs = pv.slogdet(a)
    assert sign == -1
    assert logabs == pytest.approx(np.log(16.0) - 2 * k * np.log(2.0), rel=4 * float(np.finfo(dtype).eps))


def test_det_whose_factors_would_overflow_is_finite():
    """[[M, M, 0], [-M, M, 0], [0, 0, t]] with M = 2**1020, t = 2**-1040: det = 2 M**2 t = 2**1001.

    Unscaled, the second pivot M + M overflows (det inf); the row-scaled elimination is exact.
    """
    m, t = 2.0**1020, 2.0**-1040
    a = np.array([[m, m, 0], [-m, m, 0], [0, 0, t]])
    assert pv.det(a) == 2.0**1001
    sign, logabs = pv.slogdet(a)
    assert sign == 1 and logabs == pytest.approx(1001 * np.log(2.0), rel=4 * np.finfo(float).eps)


def test_det_does_not_scale_the_whole_matrix():
    """A global factor into the safe range would flush 1e-300 * 2**-500 to 0 and give det 0."""
    assert pv.det(np.diag([1e300, 1e-300])) == pytest.approx(1.0, rel=4 * np.finfo(float).eps)


def test_det_of_a_subnormal_torch_matrix():
    torch = pytest.importorskip("torch")
    a = torch.tensor(_EXACT * np.array([[2.0**-1060], [2.0**1000]]), dtype=torch.float64)
    d = pv.det(a)
    assert isinstance(d, torch.Tensor) and float(d) == -16 * 2.0**-60


def test_det_of_a_singular_matrix_is_zero():
    d = pv.det(np.ones((3, 3)))
    assert d == 0.0 and isinstance(d, np.float64)


# --------------------------------------------------------------------------- subclasses


class Tagged(np.ndarray):
    """A minimal ndarray subclass (no arithmetic of its own)."""


@pytest.mark.filterwarnings("ignore:the matrix subclass:PendingDeprecationWarning")
def test_matrix_round_trips_through_solve_and_inv():
    a = np.asmatrix(_matrix(np.float64))
    b = np.asmatrix(np.arange(5.0)).T
    for ours, ref in ((pv.solve(a, b), np.linalg.solve(a, b)), (pv.inv(a), np.linalg.inv(a))):
        assert type(ours) is type(ref) is np.matrix
        assert ours.shape == ref.shape
    assert solve_residual_ratio(np.asarray(a), np.asarray(pv.solve(a, b)), np.asarray(b)) < THRESH


def test_subclass_round_trips_through_solve_and_inv():
    a = _matrix(np.float64).view(Tagged)
    b = np.arange(5.0).view(Tagged)
    assert type(pv.inv(a)) is type(np.linalg.inv(a)) is Tagged
    # NumPy wraps solve's result in the class of b.
    assert type(pv.solve(a, b)) is type(np.linalg.solve(a, b)) is Tagged
    assert type(pv.solve(a, np.arange(5.0))) is type(np.linalg.solve(a, np.arange(5.0))) is np.ndarray
    x = pv.solve(a, b)
    assert solve_residual_ratio(np.asarray(a), np.asarray(x), np.asarray(b)) < THRESH
