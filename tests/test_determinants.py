"""Determinants of the factorization objects: exactly scaled products of their factors (issue #11).

``Factorization.det()`` multiplies what the factors contribute (pivots, the
sign of a permutation, ``det Q``, the 2x2 blocks of Bunch-Kaufman's ``D``)
with exact power-of-two scaling (:func:`pivotal._scaling.scaled_product`),
and folds in the ``2**e`` of a matrix factored as ``2**e A``.  Before, it
was ``sign * exp(log|det|)``, which loses digits (-16.000002 for -16 in
single precision) and over- or underflows where the determinant does not.

* **Exactness.**  The test matrices are built so that every operation of
  the factorization is exact in binary: multipliers that are powers of two
  (or Gaussian integers over 4) of modulus at most ``1/sqrt(8)`` (so that
  partial pivoting recovers the intended rows), pivots that are powers of
  two except the last one (by which nothing is divided; LAPACK divides
  through reciprocals), block diagonal structure for LDL (no multiplier at
  all), integer triangular and diagonal matrices.  The computed factors are
  then the exact ones and the determinant, an integer (Gaussian integer)
  below ``2**24``, must come out exactly, in single precision too.  The
  expected value comes from the construction, not from a factorization.
* **Range.**  ``det(2**k A0) = 2**(n k) det(A0)``.  Multiplying by a power of
  two commutes with every operation as long as nothing leaves the normal
  range, and the factorizations work on ``2**e A`` inside LAPACK's safe
  range, so the computed determinant must be that value rounded once, for
  subnormal, tiny, huge and underflowing determinants alike.  Householder
  QR is not exact: its determinant is that of ``A + dA`` with ``||dA|| <= c
  n u ||A||``, so its relative error is bounded by ``n kappa_2(A) c n u``
  (``d det / det = tr(A^{-1} dA)``), which the test uses with ``c = THRESH``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import pivotal as pv
from tests.helpers import THRESH, to_np, u_of

torch = pytest.importorskip("torch")

N = 6
DTYPES = (np.float32, np.float64, np.complex64, np.complex128)


def _cplx(dtype) -> bool:
    return np.dtype(dtype).kind == "c"


def _real(dtype):
    return np.float64 if np.dtype(dtype) in (np.float64, np.complex128) else np.float32


def _as(a, dtype) -> np.ndarray:
    """A complex construction as ``dtype`` (its imaginary part is zero for real dtypes)."""
    a = np.asarray(a)
    return (a if _cplx(dtype) else a.real).astype(dtype)


def _perm_sign(p) -> int:
    p, sign = list(p), 1
    for i in range(len(p)):
        while p[i] != i:
            j = p[i]
            p[i], p[j] = p[j], p[i]
            sign = -sign
    return sign


# --------------------------------------------------------------------------- exact test matrices


def lu_matrix(dtype, seed=0):
    """``(A, det)`` with ``A[p] = L U`` factored exactly by partial pivoting (see the module docstring)."""
    rng = np.random.default_rng(seed)
    mult = [0, 0.5, -0.5, 0.25, -0.25] + ([0.25j, -0.25j, 0.25 + 0.25j] if _cplx(dtype) else [])
    low = np.eye(N, dtype=complex) + np.tril(rng.choice(mult, (N, N)), -1)
    pivots = rng.choice([1, -1, 2, -2, 4] + ([1j, -2j] if _cplx(dtype) else []), N).astype(complex)
    pivots[-1] = 3 - 1j if _cplx(dtype) else 3
    up = np.triu(rng.integers(-3, 4, (N, N))).astype(complex)
    up[np.diag_indices(N)] = pivots
    p = rng.permutation(N)
    a = np.empty((N, N), dtype=complex)
    a[p] = low @ up
    det = _perm_sign(p) * np.prod(pivots)
    return _as(a, dtype), det


def chol_matrix(dtype, seed=1):
    """``(A, det)`` with ``A = L L^H``, ``L`` integer with power-of-two diagonal but the last entry, 3."""
    rng = np.random.default_rng(seed)
    low = np.tril(rng.integers(-3, 4, (N, N))).astype(complex)
    if _cplx(dtype):
        low += 1j * np.tril(rng.integers(-2, 3, (N, N)), -1)
    d = rng.choice([1, 2, 4], N).astype(float)
    d[-1] = 3
    low[np.diag_indices(N)] = d
    return _as(low @ low.conj().T, dtype), np.prod(d) ** 2


def pivoted_chol_matrix(dtype):
    """``L L^H`` with diagonal 32, 16, ..., 1 and off-diagonal entries of modulus 1 (or 1 + i).

    Diagonal pivoting chooses the rows in order (each ``L_jj^2`` exceeds the
    rest of its Schur complement's diagonal), and divides by powers of two only.
    """
    rng = np.random.default_rng(4)
    off = rng.choice([1, -1] + ([1j, -1j] if _cplx(dtype) else []), (N, N))
    low = np.diag(2.0 ** np.arange(N - 1, -1, -1)) + np.tril(off, -1)
    return _as(low @ low.conj().T, dtype), 2.0 ** (N * (N - 1))


def ldl_matrix(dtype, hermitian=True, seed=2):
    """``(A, det)``: a symmetric permutation of a block diagonal matrix whose 2x2 blocks are Bunch-Kaufman pivots.

    Each 2x2 block ``[[a, b'], [b, c]]`` has ``|a|, |c| < alpha |b|``, so the 2x2 pivot is chosen from
    either side, and no entry couples blocks: there are no multipliers, the factors are exact, and
    ``det(A)`` is the product of the blocks' determinants.
    """
    if not _cplx(dtype):
        blocks = [np.array([[0, 4], [4, 1]]), np.array([[1, 5], [5, -2]]), np.array([[3]]), np.array([[-5]])]
    elif hermitian:
        blocks = [np.array([[1, 2 + 2j], [2 - 2j, -1]]), np.array([[0, 4j], [-4j, 1]]), np.array([[3]])]
        blocks.append(np.array([[-5]]))
    else:
        blocks = [np.array([[1j, 3], [3, 1]]), np.array([[0, 2 + 2j], [2 + 2j, 1]]), np.array([[2 + 1j]])]
        blocks.append(np.array([[-3]]))
    n = sum(b.shape[0] for b in blocks)
    b = np.zeros((n, n), dtype=complex)
    i = 0
    for blk in blocks:
        k = blk.shape[0]
        b[i : i + k, i : i + k] = blk
        i += k
    p = np.random.default_rng(seed).permutation(n)
    det = np.prod([np.linalg.det(blk.astype(complex)).round() for blk in blocks])
    return _as(b[np.ix_(p, p)], dtype), det


def triangular_matrix(dtype, seed=3):
    rng = np.random.default_rng(seed)
    t = np.triu(rng.integers(-4, 5, (N, N))).astype(complex)
    d = np.array([3, -5, 2, 7, -1, 6], dtype=complex) * (1j if _cplx(dtype) else 1)
    t[np.diag_indices(N)] = d
    return _as(t, dtype), np.prod(d)


def banded_matrix(dtype, swaps: bool):
    """Tridiagonal ``L U`` with multipliers -+1/2 (no interchange), or one whose pivoting swaps twice."""
    if swaps:  # pivots 2, 4, -1/2 after two interchanges
        return np.array([[1, 1, 0], [2, 0, 1], [0, 4, 0]], dtype=dtype), -4
    low = np.eye(N) + np.diag(np.resize([0.5, -0.5], N - 1), -1)
    pivots = np.array([2, -1, 4, 2, -2, 5], dtype=float)
    up = np.diag(pivots) + np.diag(np.resize([3.0, -1.0, 2.0], N - 1), 1)
    return (low @ up).astype(dtype), np.prod(pivots)


def _exact(value, dtype):
    return np.dtype(dtype).type(value if _cplx(dtype) else np.real(value))


# Each: (name, make(a) -> factorization, matrix(dtype) -> (A, det)).
CASES = [
    ("LU", pv.LU, lu_matrix),
    ("LU-kernel", lambda a: pv.LU(a, method="kernel"), lu_matrix),
    ("LU-blocked", lambda a: pv.LU(a, block_size=2), lu_matrix),
    ("Cholesky", pv.Cholesky, chol_matrix),
    ("Cholesky-upper", lambda a: pv.Cholesky(a, lower=False, method="kernel"), chol_matrix),
    ("PivotedCholesky", pv.PivotedCholesky, pivoted_chol_matrix),
    ("LDL", pv.LDL, ldl_matrix),
    ("LDL-upper", lambda a: pv.LDL(a, lower=False), ldl_matrix),
    ("LDL-kernel", lambda a: pv.LDL(a, method="kernel"), ldl_matrix),
    ("LDL-upper-kernel", lambda a: pv.LDL(a, lower=False, method="kernel"), ldl_matrix),
    ("LDL-symmetric", lambda a: pv.LDL(a, hermitian=False), lambda dt: ldl_matrix(dt, hermitian=False)),
    (
        "LDL-symmetric-upper",
        lambda a: pv.LDL(a, hermitian=False, lower=False),
        lambda dt: ldl_matrix(dt, hermitian=False),
    ),
    ("Triangular", pv.Triangular, triangular_matrix),
    ("Triangular-permuted", pv.Triangular, lambda dt: _rows_permuted(*triangular_matrix(dt))),
    (
        "Diagonal",
        pv.Diagonal,
        lambda dt: (np.diag(np.diag(triangular_matrix(dt)[0])), triangular_matrix(dt)[1]),
    ),
    ("Banded", pv.Banded, lambda dt: banded_matrix(dt, swaps=False)),
    ("Banded-swaps", pv.Banded, lambda dt: banded_matrix(dt, swaps=True)),
    ("QR-diagonal", pv.QR, lambda dt: (np.diag([3.0, -5, 2, 7, -1, 6]).astype(dt), 3 * -5 * 2 * 7 * -1 * 6)),
    (
        "QRPivoted-diagonal",
        pv.QRPivoted,
        lambda dt: (np.diag([-7.0, 6, 5, -3, 2, 1]).astype(dt), -7 * 6 * 5 * -3 * 2),
    ),
    ("factorize", pv.factorize, lu_matrix),
]


def _rows_permuted(t, det):
    p = np.array([2, 0, 5, 1, 4, 3])
    a = np.empty_like(t)
    a[p] = t  # a[p] = T: det(a) = sign(p) det(T)
    return a, _perm_sign(p) * det


def _applies(name, dtype) -> bool:
    return not (name.startswith("LDL-symmetric") and not _cplx(dtype))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name,make,matrix", CASES, ids=[c[0] for c in CASES])
def test_det_of_exactly_factored_integer_matrices_is_exact(name, make, matrix, dtype):
    if not _applies(name, dtype):
        pytest.skip("complex symmetric LDL needs complex input")
    a, det = matrix(dtype)
    F = make(a)
    if name.startswith("LDL"):  # the 2x2 pivots the matrix was built for
        assert np.count_nonzero(np.tril(to_np(F.D), -1)) == 2
    got = F.det()
    assert isinstance(got, np.generic) and got.dtype == np.dtype(dtype)
    assert got == _exact(det, dtype), f"{name}: det {got!r}, expected {det}"
    sign, logabs = F.slogdet()
    want_sign = det / abs(det)
    assert abs(complex(sign) - want_sign) <= 4 * u_of(dtype)
    assert abs(float(logabs) - math.log(abs(det))) <= 4 * u_of(dtype) * max(1.0, math.log(abs(det)))


def test_det_of_the_examples_of_issue_11_is_exact():
    """-16, not -16.000002, in single precision (pv.det's docstring example through the objects too)."""
    a = np.array([[0, 4], [4, 0]], dtype=np.float32)
    for make in (pv.LU, pv.LDL, pv.QRPivoted, pv.factorize):
        assert make(a).det() == np.float32(-16)
    c = np.array([[2 + 2j, 0], [0, 2 - 2j]], dtype=np.complex64) * 2
    for make in (pv.LU, pv.Diagonal, pv.Triangular):  # (not QR: zgeqrf makes R's diagonal real)
        assert make(c).det() == np.complex64(32)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64])
@pytest.mark.parametrize("name,make,matrix", CASES[:14], ids=[c[0] for c in CASES[:14]])
def test_torch_det_is_exact_and_a_tensor(name, make, matrix, dtype):
    if not _applies(name, dtype):
        pytest.skip("complex symmetric LDL needs complex input")
    a, det = matrix(dtype)
    got = make(torch.from_numpy(a)).det()
    assert isinstance(got, torch.Tensor) and got.ndim == 0
    assert to_np(got)[()] == _exact(det, dtype)


# --------------------------------------------------------------------------- the range


#: 2**k with entries subnormal, below and inside the safe range, and above it (see tests/test_factor_scaling.py).
SCALES = {np.float64: (-1060, -540, -270, 270, 500), np.float32: (-140, -70, -33, 33, 60)}


def _ldexp(x, k: int, dtype):
    """``x 2**k`` for an exact Python number ``x``, rounded once to ``dtype`` (0 or inf beyond its range)."""
    with np.errstate(over="ignore", under="ignore"):
        if isinstance(x, complex) or _cplx(dtype):
            x = complex(x)
            re = np.ldexp(np.float64(x.real), k).astype(_real(dtype))
            im = np.ldexp(np.float64(x.imag), k).astype(_real(dtype))
            return np.dtype(dtype).type(complex(re, im)) if _cplx(dtype) else re
        return np.ldexp(np.float64(x), k).astype(dtype)


def _scaled(a, k):
    with np.errstate(over="ignore", under="ignore"):
        if np.iscomplexobj(a):
            return (np.ldexp(a.real, k) + 1j * np.ldexp(a.imag, k)).astype(a.dtype)
        return np.ldexp(a, k).astype(a.dtype)


def _scale_cases():
    return [pytest.param(dt, k, id=f"{np.dtype(dt).name}-2^{k}") for dt in DTYPES for k in SCALES[_real(dt)]]


@pytest.mark.parametrize("dtype,k", _scale_cases())
@pytest.mark.parametrize("name,make,matrix", CASES, ids=[c[0] for c in CASES])
def test_det_at_extreme_scales_is_the_exact_determinant_rounded_once(name, make, matrix, dtype, k):
    """Subnormal, tiny and huge determinants, and matrices factored as 2^e A: det(2^k A0) = 2^(n k) det(A0)."""
    if not _applies(name, dtype):
        pytest.skip("complex symmetric LDL needs complex input")
    a0, det0 = matrix(dtype)
    a = _scaled(a0, k)
    assert np.array_equal(_scaled(a, -k), a0), "the test matrix is not exactly representable at this scale"
    n = a.shape[0]
    got = make(a).det()
    want = _ldexp(complex(det0) if _cplx(dtype) else float(np.real(det0)), n * k, dtype)
    assert got == want, f"{name}: det {got!r}, expected {want!r}"


@pytest.mark.parametrize("dtype,k", _scale_cases())
@pytest.mark.parametrize("make", [pv.QR, pv.QRPivoted, lambda a: pv.QRPivoted(a, method="kernel")])
def test_householder_qr_det_at_extreme_scales(make, dtype, k):
    """Not exact, but within n kappa_2 * THRESH n u of 2^(n k) det(A0) (plus the subnormal spacing)."""
    a0, det0 = lu_matrix(dtype)
    got = complex(make(_scaled(a0, k)).det())
    want = complex(_ldexp(complex(det0), N * k, dtype))
    if not (math.isfinite(want.real) and math.isfinite(want.imag)):  # the determinant overflows the dtype
        assert got == want
        return
    bound = N * np.linalg.cond(a0.astype(np.complex128)) * THRESH * N * u_of(dtype)
    spacing = float(np.finfo(_real(dtype)).smallest_subnormal)
    assert abs(got - want) <= bound * abs(want) + 2 * spacing


def test_det_slogdet_agree_with_numpy_on_random_matrices():
    rng = np.random.default_rng(7)
    for dtype in DTYPES:
        a = rng.standard_normal((9, 9))
        if _cplx(dtype):
            a = a + 1j * rng.standard_normal((9, 9))
        a = a.astype(dtype)
        ref = np.linalg.det(a.astype(np.complex128))
        tol = 9 * np.linalg.cond(a.astype(np.complex128)) * THRESH * 9 * u_of(dtype) * abs(ref)
        for make in (pv.LU, pv.QR, pv.QRPivoted):
            F = make(a)
            assert abs(complex(F.det()) - ref) <= tol
            sign, logabs = F.slogdet()
            assert abs(complex(sign) * math.exp(float(logabs)) - ref) <= tol


def test_singular_and_empty_determinants():
    z = np.zeros((3, 3))
    assert pv.LU(z, check=False).det() == 0.0 and pv.LU(z, check=False).slogdet() == (0.0, -np.inf)
    assert pv.PivotedCholesky(np.diag([1.0, 0.0])).det() == 0.0
    e = np.zeros((0, 0), dtype=np.float32)
    for make in (pv.LU, pv.Cholesky, pv.LDL, pv.QR, pv.QRPivoted, pv.Triangular, pv.Diagonal):
        F = make(e)
        assert F.det() == np.float32(1) and F.det().dtype == np.float32
        assert F.slogdet() == (1.0, 0.0)
    with pytest.raises(ValueError, match="square"):
        pv.QR(np.ones((3, 2))).det()
