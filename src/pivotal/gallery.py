"""Test matrices: random matrices of prescribed conditioning and the classics.

Two families live here.

* **Random matrices with known spectra**, in the style of LAPACK's test
  generator ``xLATMS``: :func:`randsvd` (prescribed singular values),
  :func:`random_spd` (Hermitian positive definite), and
  :func:`random_symmetric_indefinite`, with the five LAPACK ``MODE``
  distributions; plus :func:`rank_deficient`, :func:`zero_column`,
  :func:`near_overflow`, :func:`near_underflow` and :func:`scaled`.
* **Named matrices** from MATLAB's ``gallery`` and Higham's Matrix
  Computation Toolbox: :func:`gfpp`, :func:`kahan`, :func:`hilbert`,
  :func:`lotkin`, :func:`frank`, :func:`vandermonde`, :func:`wilkinson`,
  :func:`moler`, :func:`pascal`, :func:`minij`, :func:`kms`, :func:`lehmer`,
  :func:`clement`.

:data:`MATRIX_TYPES` and :data:`SPD_MATRIX_TYPES` map short names to
generators ``f(n, dtype, rng)``; the test-suite iterates over them the way
LAPACK's ``xCHKGE`` / ``xCHKPO`` iterate over their matrix types.

Every function returns a fresh NumPy array.  Matrices are built in float64 (or
complex128) and rounded once to the requested ``dtype``; the supported dtypes
are float32, float64, complex64 and complex128.  Random generators take
``random_state`` (``None``, an int seed or a :class:`numpy.random.Generator`):
the same seed gives the same matrix.

A named matrix defined by exact arithmetic (:func:`gfpp`, :func:`moler`,
:func:`pascal`, ...) is formed entry by entry and rounded once, never through
a BLAS product, whose rounding varies with the kernel OpenBLAS picks for the
CPU; transcendental entries (:func:`kahan`, :func:`kms`) use scalar ``pow``.
The random matrices are products of random orthogonal factors: their
documented properties hold up to rounding, as each one's Notes quantify.

References
----------
.. [1] N. J. Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed.,
   SIAM, 2002, Chapter 28 ("A Gallery of Test Matrices").
.. [2] N. J. Higham, *The Matrix Computation Toolbox*,
   https://www.maths.manchester.ac.uk/~higham/mctoolbox/
.. [3] MATLAB ``gallery`` documentation,
   https://www.mathworks.com/help/matlab/ref/gallery.html
.. [4] LAPACK test matrix generator ``DLATMS`` and ``DLATB4``; E. Anderson et
   al., *Installation guide for LAPACK*, LAPACK Working Note 41, 1992.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from ._seeding import as_generator

__all__ = [
    "MATRIX_TYPES",
    "SPD_MATRIX_TYPES",
    "clement",
    "frank",
    "gfpp",
    "hilbert",
    "kahan",
    "kms",
    "lehmer",
    "lotkin",
    "minij",
    "moler",
    "near_overflow",
    "near_underflow",
    "pascal",
    "random_spd",
    "random_symmetric_indefinite",
    "randsvd",
    "rank_deficient",
    "scaled",
    "vandermonde",
    "wilkinson",
    "zero_column",
]

RandomState = int | np.random.Generator | None

_SUPPORTED_DTYPES = (
    np.dtype(np.float32),
    np.dtype(np.float64),
    np.dtype(np.complex64),
    np.dtype(np.complex128),
)


# --------------------------------------------------------------------------- validation


def _check_order(n: Any, name: str = "n") -> int:
    """A non-negative Python int, or ``ValueError`` saying what to pass."""
    if isinstance(n, (bool, np.bool_)):
        raise ValueError(f"{name} must be a non-negative integer, got {n!r}.")
    try:
        value = operator.index(n)
    except TypeError:
        raise ValueError(
            f"{name} must be a non-negative integer (the matrix order), got {n!r}; "
            f"pass for example {name}=10."
        ) from None
    if value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value}; pass {name} >= 0.")
    return value


def _plain_array(a: Any, name: str) -> np.ndarray:
    """``np.asarray(a)``, refusing masked arrays (as SciPy does: their mask would be ignored)."""
    if isinstance(a, np.ma.MaskedArray):
        raise ValueError(
            f"{name} is a masked array; masked arrays are not supported (the mask would be ignored). "
            f"Pass {name}.filled(value) or a plain array."
        )
    return np.asarray(a)


def _check_dtype(dtype: DTypeLike) -> np.dtype:
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise ValueError(
            f"dtype={dtype!r} is not a NumPy dtype; pass one of float32, float64, complex64 or complex128."
        ) from None
    if dt not in _SUPPORTED_DTYPES:
        raise ValueError(
            f"unsupported dtype {dt}: gallery matrices are float32, float64, complex64 "
            "or complex128; pass one of those (convert afterwards with .astype if needed)."
        )
    return dt


def _work_dtype(dt: np.dtype) -> np.dtype:
    """float64 or complex128: the precision in which matrices are built."""
    return np.dtype(np.complex128) if dt.kind == "c" else np.dtype(np.float64)


def _check_kappa(kappa: Any, name: str = "kappa") -> float:
    try:
        value = float(kappa)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be a real number >= 1 (the 2-norm condition number), got {kappa!r}."
        ) from None
    if not math.isfinite(value) or value < 1.0:
        raise ValueError(
            f"{name} must be a finite real number >= 1 (the 2-norm condition number), got "
            f"{kappa!r}; pass for example {name}=1e6 (for an exactly singular matrix use "
            "gallery.rank_deficient or gallery.zero_column)."
        )
    return value


def _check_mode(mode: Any) -> int:
    if isinstance(mode, (bool, np.bool_)) or not isinstance(mode, (int, np.integer)):
        raise ValueError(f"mode must be an integer 1, 2, 3, 4 or 5 (LAPACK xLATMS MODE), got {mode!r}.")
    mode = int(mode)
    if mode not in (1, 2, 3, 4, 5):
        raise ValueError(
            f"mode must be 1, 2, 3, 4 or 5 (LAPACK xLATMS MODE), got {mode}: 1 one large "
            "value, 2 one small value, 3 geometric, 4 arithmetic, 5 random log-uniform."
        )
    return mode


def _finish(a: np.ndarray, dt: np.dtype) -> np.ndarray:
    """Round once to the requested dtype and return a C-ordered fresh array."""
    return np.array(a, dtype=dt, order="C", copy=True)


# --------------------------------------------------------------------------- random helpers


def _spectrum(k: int, kappa: float, mode: int, rng: np.random.Generator) -> np.ndarray:
    """``k`` values in ``[1/kappa, 1]``, descending, distributed as LAPACK MODE 1-5.

    The largest is exactly 1 and, for ``k >= 2``, the smallest exactly
    ``1/kappa`` (so the ratio is ``kappa`` in exact arithmetic).
    """
    if k == 0:
        return np.zeros(0)
    if k == 1:
        return np.ones(1)
    small = 1.0 / kappa
    t = np.arange(k) / (k - 1)
    if mode == 1:
        s = np.full(k, small)
        s[0] = 1.0
    elif mode == 2:
        s = np.ones(k)
        s[-1] = small
    elif mode == 3:
        s = kappa ** (-t)
    elif mode == 4:
        s = 1.0 - t * (1.0 - small)
    else:  # mode 5: log-uniform in [1/kappa, 1] with both ends included
        inner = np.exp(rng.uniform(math.log(small), 0.0, size=k - 2))
        s = np.concatenate(([1.0], np.sort(inner)[::-1], [small]))
    s[0] = 1.0
    s[-1] = small
    return s


def _haar(rng: np.random.Generator, m: int, k: int, complex_: bool) -> np.ndarray:
    """``m x k`` (``m >= k``) matrix with orthonormal columns, Haar distributed.

    QR of a Gaussian matrix with the signs (phases) of ``diag(R)`` moved into
    ``Q`` (Stewart 1980; Mezzadri 2007); without that fix the distribution is
    not Haar.
    """
    if complex_:
        z = (rng.standard_normal((m, k)) + 1j * rng.standard_normal((m, k))) / math.sqrt(2.0)
    else:
        z = rng.standard_normal((m, k))
    if k == 0:
        return np.zeros((m, 0), dtype=z.dtype)
    q, r = np.linalg.qr(z)
    d = np.diagonal(r).copy()
    mag = np.abs(d)
    d = np.where(mag == 0, 1.0, d / np.where(mag == 0, 1.0, mag))
    return q * d[None, :]


def _hermitian_from_eigs(eigs: np.ndarray, rng: np.random.Generator, complex_: bool) -> np.ndarray:
    n = eigs.shape[0]
    q = _haar(rng, n, n, complex_)
    a = (q * eigs[None, :]) @ q.conj().T
    return (a + a.conj().T) / 2.0


# --------------------------------------------------------------------------- random matrices


def randsvd(
    n: int,
    kappa: float,
    mode: int = 3,
    *,
    m: int | None = None,
    dtype: DTypeLike = np.float64,
    random_state: RandomState = None,
) -> np.ndarray:
    r"""Random matrix with prescribed singular values and 2-norm condition number.

    ``A = U @ diag(sigma) @ V^H`` with Haar-distributed orthogonal (unitary
    for complex ``dtype``) ``U`` and ``V``, and ``sigma`` distributed as in
    LAPACK's ``xLATMS`` ``MODE``.  With ``k = min(m, n)`` values and
    ``i = 1, ..., k``:

    ======  ===============================================================
    mode    singular values
    ======  ===============================================================
    1       one large: ``sigma_1 = 1``, the rest ``1/kappa``
    2       one small: all ``1`` except ``sigma_k = 1/kappa``
    3       geometric: ``sigma_i = kappa**(-(i-1)/(k-1))``
    4       arithmetic: ``sigma_i = 1 - (i-1)/(k-1) * (1 - 1/kappa)``
    5       random, log-uniform in ``[1/kappa, 1]``; ``1`` and ``1/kappa``
            are always included so the condition number is exactly ``kappa``
    ======  ===============================================================

    so ``||A||_2 = 1`` and ``cond_2(A) = kappa`` in exact arithmetic.

    Parameters
    ----------
    n : int
        Number of columns (and of rows when ``m`` is not given); ``n >= 0``.
    kappa : float
        The 2-norm condition number, ``1 <= kappa < inf``.
    mode : {1, 2, 3, 4, 5}, optional
        Distribution of the singular values (default 3, geometric).
    m : int, optional
        Number of rows, for an ``(m, n)`` rectangular matrix.
    dtype : dtype, optional
        float32, float64 (default), complex64 or complex128.
    random_state : None, int or numpy.random.Generator, optional
        Seed or generator; the same seed gives the same matrix.

    Returns
    -------
    A : ndarray, shape (m, n) or (n, n)

    Raises
    ------
    ValueError
        For ``n < 0``, ``m < 0``, ``kappa < 1`` (or not finite), a mode
        other than 1-5 or an unsupported dtype.

    Notes
    -----
    The matrix is formed in float64 (complex128) and rounded once to
    ``dtype``.  Rounding is a perturbation ``E`` with ``||E||_2 <~ sqrt(n) u``
    (``u`` the unit roundoff of ``dtype``), so by Weyl's inequality every
    singular value moves by at most that much and the *achieved* condition
    number is guaranteed only to relative accuracy ``sqrt(n) u kappa``.  In
    practice the perturbation of ``sigma_min`` is much smaller than the bound
    (about ``u / sqrt(n)``): in float64, ``kappa = 4.5e14 = 0.1/eps``
    (LAPACK's "badly conditioned" type) is achieved to within a few percent.
    In float32 (``u = 6e-8``) a ``kappa = 4.5e14`` matrix is
    *rounding-limited*: its computed condition number is around
    ``1e9``-``1e11`` (growing with ``n``, varying with the seed), not
    ``4.5e14``, because ``sigma_min`` is swamped by the rounding of the
    entries; ``kappa = 2e7`` still comes out within a few percent.  When
    ``min(m, n) == 1`` the only singular value is 1 and ``kappa`` has no
    effect on the result.

    References
    ----------
    .. [1] LAPACK ``DLATMS`` (MODE argument) and LAPACK Working Note 41.
    .. [2] N. J. Higham, *Accuracy and Stability of Numerical Algorithms*,
       2nd ed., SIAM, 2002, Sec. 28.3 (``randsvd``).
    .. [3] G. W. Stewart, The efficient generation of random orthogonal
       matrices with an application to condition estimators, SIAM J. Numer.
       Anal., 17 (1980), pp. 403-409.
    .. [4] F. Mezzadri, How to generate random matrices from the classical
       compact groups, Notices Amer. Math. Soc., 54 (2007), pp. 592-604.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal import gallery
    >>> A = gallery.randsvd(50, 1e6, random_state=0)
    >>> bool(np.isclose(np.linalg.cond(A), 1e6, rtol=1e-6))
    True
    >>> s = np.linalg.svd(gallery.randsvd(4, 100.0, mode=2, m=6, random_state=1),
    ...                   compute_uv=False)
    >>> bool(np.allclose(s, [1, 1, 1, 0.01]))
    True
    """
    n = _check_order(n)
    m = n if m is None else _check_order(m, "m")
    kappa = _check_kappa(kappa)
    mode = _check_mode(mode)
    dt = _check_dtype(dtype)
    rng = as_generator(random_state)
    k = min(m, n)
    sigma = _spectrum(k, kappa, mode, rng)
    complex_ = dt.kind == "c"
    u = _haar(rng, m, k, complex_)
    v = _haar(rng, n, k, complex_)
    a = (u * sigma[None, :]) @ v.conj().T
    return _finish(a.reshape(m, n), dt)


def random_spd(
    n: int,
    kappa: float,
    mode: int = 3,
    *,
    dtype: DTypeLike = np.float64,
    random_state: RandomState = None,
) -> np.ndarray:
    r"""Random symmetric (Hermitian) positive definite matrix of condition ``kappa``.

    ``A = Q @ diag(lam) @ Q^H`` with Haar ``Q`` and eigenvalues ``lam`` in
    ``[1/kappa, 1]`` distributed as in :func:`randsvd` (LAPACK ``MODE``
    1-5), so ``||A||_2 = 1`` and ``cond_2(A) = kappa`` in exact arithmetic.
    The result is exactly symmetric (Hermitian, with a real diagonal).

    Parameters
    ----------
    n : int
        Order, ``n >= 0``.
    kappa : float
        The 2-norm condition number (ratio of extreme eigenvalues), ``>= 1``.
    mode : {1, 2, 3, 4, 5}, optional
        Eigenvalue distribution, as in :func:`randsvd` (default 3).
    dtype : dtype, optional
        float32, float64 (default), complex64 or complex128.
    random_state : None, int or numpy.random.Generator, optional
        Seed or generator.

    Returns
    -------
    A : ndarray, shape (n, n)

    Raises
    ------
    ValueError
        For ``n < 0``, ``kappa < 1``, a mode other than 1-5 or an unsupported
        dtype.

    Notes
    -----
    Rounding to ``dtype`` moves each eigenvalue by up to about ``n * u``.
    When ``kappa`` approaches ``1/(n u)`` (e.g. ``kappa = 4.5e14`` in float64
    for large ``n``, or ``kappa >= 1e7`` in float32) the rounded matrix need
    not be numerically positive definite, and Cholesky may legitimately fail.

    References
    ----------
    .. [1] LAPACK ``DLATMS`` (``SYM = 'P'``) and LAPACK Working Note 41.
    .. [2] N. J. Higham, *Accuracy and Stability of Numerical Algorithms*,
       2nd ed., SIAM, 2002, Chapter 28.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal import gallery
    >>> A = gallery.random_spd(30, 1e4, dtype=np.complex128, random_state=0)
    >>> bool(np.array_equal(A, A.conj().T))
    True
    >>> lam = np.linalg.eigvalsh(A)
    >>> bool(np.isclose(lam[0], 1e-4) and np.isclose(lam[-1], 1.0))
    True
    """
    n = _check_order(n)
    kappa = _check_kappa(kappa)
    mode = _check_mode(mode)
    dt = _check_dtype(dtype)
    rng = as_generator(random_state)
    lam = _spectrum(n, kappa, mode, rng)
    return _finish(_hermitian_from_eigs(lam, rng, dt.kind == "c"), dt)


def random_symmetric_indefinite(
    n: int,
    kappa: float,
    mode: int = 3,
    *,
    n_negative: int | None = None,
    dtype: DTypeLike = np.float64,
    random_state: RandomState = None,
) -> np.ndarray:
    r"""Random symmetric (Hermitian) indefinite matrix of condition ``kappa``.

    ``A = Q @ diag(lam) @ Q^H`` with Haar ``Q``.  The magnitudes ``|lam|``
    follow :func:`randsvd`'s ``mode`` in ``[1/kappa, 1]`` (so
    ``cond_2(A) = kappa``), and ``n_negative`` of them, at random positions,
    are negated.  The inertia is therefore known: ``n - n_negative`` positive
    and ``n_negative`` negative eigenvalues (useful to check ``LDL^T`` by
    Sylvester's law of inertia).

    Parameters
    ----------
    n : int
        Order, ``n >= 0``.
    kappa : float
        2-norm condition number ``max|lam| / min|lam|``, ``>= 1``.
    mode : {1, 2, 3, 4, 5}, optional
        Distribution of ``|lam|``, as in :func:`randsvd` (default 3).
    n_negative : int, optional
        Number of negative eigenvalues, default ``n // 2``.  For ``n >= 2``
        it must satisfy ``1 <= n_negative <= n - 1`` (use :func:`random_spd`
        for a definite matrix); for ``n < 2`` the matrix cannot be indefinite
        and ``0 <= n_negative <= n`` is accepted.
    dtype : dtype, optional
        float32, float64 (default), complex64 or complex128.
    random_state : None, int or numpy.random.Generator, optional
        Seed or generator.

    Returns
    -------
    A : ndarray, shape (n, n)
        Exactly symmetric (Hermitian).

    Raises
    ------
    ValueError
        For bad ``n``, ``kappa``, ``mode``, ``n_negative`` or ``dtype``.

    References
    ----------
    .. [1] LAPACK ``DLATMS`` (``SYM = 'S'``) and LAPACK Working Note 41.
    .. [2] N. J. Higham, *Accuracy and Stability of Numerical Algorithms*,
       2nd ed., SIAM, 2002, Chapter 11 (symmetric indefinite systems).

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal import gallery
    >>> A = gallery.random_symmetric_indefinite(20, 1e3, n_negative=5, random_state=0)
    >>> lam = np.linalg.eigvalsh(A)
    >>> int((lam < 0).sum()), bool(np.isclose(np.linalg.cond(A), 1e3))
    (5, True)
    """
    n = _check_order(n)
    kappa = _check_kappa(kappa)
    mode = _check_mode(mode)
    dt = _check_dtype(dtype)
    if n_negative is None:
        n_negative = n // 2
    else:
        n_negative = _check_order(n_negative, "n_negative")
        if n >= 2 and not 1 <= n_negative <= n - 1:
            raise ValueError(
                f"n_negative must be between 1 and n - 1 = {n - 1} for an indefinite "
                f"matrix, got {n_negative}; for a definite matrix use gallery.random_spd "
                "(negate it for a negative definite one)."
            )
        if n < 2 and n_negative > n:
            raise ValueError(f"n_negative must be at most n = {n}, got {n_negative}.")
    rng = as_generator(random_state)
    lam = _spectrum(n, kappa, mode, rng)
    negative = rng.permutation(n)[:n_negative]
    lam[negative] *= -1.0
    return _finish(_hermitian_from_eigs(lam, rng, dt.kind == "c"), dt)


def rank_deficient(
    m: int,
    n: int,
    rank: int,
    *,
    kappa: float = 1.0,
    mode: int = 3,
    dtype: DTypeLike = np.float64,
    random_state: RandomState = None,
) -> np.ndarray:
    r"""Random ``(m, n)`` matrix of exact rank ``rank``.

    ``A = U_r @ diag(sigma) @ V_r^H`` with ``U_r`` (``m x rank``) and ``V_r``
    (``n x rank``) Haar-distributed orthonormal columns and ``sigma`` the
    ``rank`` nonzero singular values, in ``[1/kappa, 1]`` and distributed as
    in :func:`randsvd`.  The remaining ``min(m, n) - rank`` singular values
    are zero in exact arithmetic and of order ``u * ||A||`` after rounding.

    Parameters
    ----------
    m, n : int
        Shape, ``>= 0``.
    rank : int
        ``0 <= rank <= min(m, n)``.
    kappa : float, optional
        Ratio of the largest to the smallest *nonzero* singular value
        (default 1: all nonzero singular values equal 1, the largest possible
        gap to the zero ones).
    mode : {1, 2, 3, 4, 5}, optional
        Distribution of the nonzero singular values (default 3).
    dtype : dtype, optional
        float32, float64 (default), complex64 or complex128.
    random_state : None, int or numpy.random.Generator, optional
        Seed or generator.

    Returns
    -------
    A : ndarray, shape (m, n)

    Raises
    ------
    ValueError
        For negative sizes, ``rank > min(m, n)`` or bad ``kappa``/``mode``/``dtype``.

    References
    ----------
    .. [1] LAPACK ``DQRT15`` (rank-deficient least-squares test matrices).

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal import gallery
    >>> A = gallery.rank_deficient(40, 25, 10, kappa=100.0, random_state=0)
    >>> int(np.linalg.matrix_rank(A))
    10
    """
    m = _check_order(m, "m")
    n = _check_order(n, "n")
    rank = _check_order(rank, "rank")
    if rank > min(m, n):
        raise ValueError(f"rank must be at most min(m, n) = {min(m, n)}, got {rank}; pass a smaller rank.")
    kappa = _check_kappa(kappa)
    mode = _check_mode(mode)
    dt = _check_dtype(dtype)
    rng = as_generator(random_state)
    sigma = _spectrum(rank, kappa, mode, rng)
    complex_ = dt.kind == "c"
    u = _haar(rng, m, rank, complex_)
    v = _haar(rng, n, rank, complex_)
    a = (u * sigma[None, :]) @ v.conj().T
    return _finish(a.reshape(m, n), dt)


def zero_column(
    n: int,
    j: int,
    *,
    m: int | None = None,
    kappa: float = 2.0,
    dtype: DTypeLike = np.float64,
    random_state: RandomState = None,
) -> np.ndarray:
    r"""Random matrix with column ``j`` set to zero (exactly singular / rank deficient).

    ``randsvd(n, kappa, m=m)`` with ``A[:, j] = 0``, as in LAPACK's matrix
    types 5-7 of ``xCHKGE``.  LU with partial pivoting meets an exactly zero
    pivot at step ``j`` (or earlier), which the test-suite uses to check that
    singularity is reported with the right index.

    Parameters
    ----------
    n : int
        Number of columns (and of rows unless ``m`` is given), ``>= 1``.
    j : int
        Column to zero, ``-n <= j < n`` (negative counts from the end).
    m : int, optional
        Number of rows.
    kappa : float, optional
        Condition number of the matrix before zeroing (default 2, as LAPACK).
    dtype : dtype, optional
        float32, float64 (default), complex64 or complex128.
    random_state : None, int or numpy.random.Generator, optional
        Seed or generator.

    Returns
    -------
    A : ndarray, shape (m, n) or (n, n)

    Raises
    ------
    ValueError
        For ``j`` out of range or the errors of :func:`randsvd`.

    References
    ----------
    .. [1] LAPACK ``DCHKGE`` matrix types 5-7 and ``DLATB4``.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal import gallery
    >>> A = gallery.zero_column(6, 2, random_state=0)
    >>> bool(np.all(A[:, 2] == 0)), int(np.linalg.matrix_rank(A))
    (True, 5)
    """
    n = _check_order(n)
    try:
        j = operator.index(j)
    except TypeError:
        raise ValueError(f"j must be an integer column index, got {j!r}.") from None
    if not -n <= j < n:
        raise ValueError(f"column index j={j} is out of range for n={n} columns; pass -n <= j < n.")
    a = randsvd(n, kappa, 3, m=m, dtype=dtype, random_state=random_state)
    a[:, j] = 0
    return a


# --------------------------------------------------------------------------- scaling


def scaled(a: ArrayLike, scale: float) -> np.ndarray:
    r"""Return ``a * scale`` as a new array, refusing to overflow.

    A helper for near-underflow / near-overflow tests: scaling a
    well-conditioned matrix does not change its condition number, but it
    exposes code that squares entries (naive norms, Gram matrices) or forms
    ``1/a_ij``.  Use a power of two for ``scale`` to make the scaling exact.

    Parameters
    ----------
    a : array_like
        Input matrix (any shape).  Integer and boolean input becomes float64.
    scale : float
        Finite real or complex factor.

    Returns
    -------
    ndarray
        ``a * scale`` in the dtype of ``a`` (float64 for integer input).

    Raises
    ------
    ValueError
        If ``scale`` is not finite, ``a`` is a masked array, or the product
        overflows to inf in the dtype of ``a`` (a smaller ``scale`` is
        suggested).

    Notes
    -----
    Entries that underflow become subnormal or zero silently; that is the
    point of near-underflow tests.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal import gallery
    >>> A = gallery.hilbert(4)
    >>> B = gallery.scaled(A, 2.0**-1000)
    >>> bool(np.isclose(np.linalg.cond(B), np.linalg.cond(A)))
    True
    """
    arr = _plain_array(a, "a")
    if arr.dtype.kind in "biu":
        arr = arr.astype(np.float64)
    elif arr.dtype.kind not in "fc":
        raise ValueError(f"a must be a numeric array, got dtype {arr.dtype}.")
    if not np.isscalar(scale) or isinstance(scale, (str, bytes)):
        raise ValueError(f"scale must be a finite scalar, got {scale!r}.")
    if not np.isfinite(scale):
        raise ValueError(f"scale must be finite, got {scale!r}.")
    if arr.dtype.kind == "f" and np.iscomplexobj(scale):
        arr = arr.astype(np.result_type(arr.dtype, np.complex64))
    with np.errstate(over="ignore", under="ignore"):
        out = (arr * np.asarray(scale).astype(arr.dtype)).astype(arr.dtype, copy=False)
    if not np.all(np.isfinite(out)) and np.all(np.isfinite(arr)):
        finfo = np.finfo(arr.dtype)
        biggest = float(np.max(np.abs(arr)))
        raise ValueError(
            f"scaling by {scale!r} overflows {arr.dtype} (largest entry {biggest:.3g}, "
            f"largest finite {float(finfo.max):.3g}); pass |scale| below "
            f"{float(finfo.max) / biggest:.3g}."
        )
    return np.array(out, copy=True)


def _power_of_two_scale(a: np.ndarray, target: float, *, at_least: bool) -> float:
    """Power of two ``p`` putting ``max|a| * p`` in ``[target/2, target)``.

    With ``at_least`` the interval is ``[target, 2 * target)`` instead.
    """
    amax = float(np.max(np.abs(a))) if a.size else 1.0
    if amax == 0.0:
        return 1.0
    e = math.floor(math.log2(target / amax))
    while amax * math.ldexp(1.0, e) >= target:
        e -= 1
    while amax * math.ldexp(1.0, e + 1) < target:
        e += 1
    # now amax * 2**e < target <= amax * 2**(e+1)
    return math.ldexp(1.0, e + 1 if at_least else e)


def _scaled_base(n: int, dt: np.dtype, rng: RandomState, positive_definite: bool) -> np.ndarray:
    work = _work_dtype(dt)
    if positive_definite:
        return random_spd(n, 2.0, 3, dtype=work, random_state=rng)
    return randsvd(n, 2.0, 3, dtype=work, random_state=rng)


def near_overflow(
    n: int,
    *,
    positive_definite: bool = False,
    dtype: DTypeLike = np.float64,
    random_state: RandomState = None,
) -> np.ndarray:
    r"""Well-conditioned matrix with entries close to ``sqrt(finfo(dtype).max) / n``.

    ``randsvd(n, 2)`` (or ``random_spd(n, 2)`` with ``positive_definite``)
    multiplied by a power of two so that ``max|a_ij|`` lies in
    ``[t/2, t)`` with ``t = sqrt(finfo(dtype).max) / max(n, 1)``:
    about ``1.3e154 / n`` in float64 and ``1.8e19 / n`` in float32.

    At this scale LU with partial pivoting, Cholesky and Householder QR
    cannot overflow (their intermediate quantities are bounded by a small
    multiple of ``n * max|a_ij|``, and even a naive sum of squares of a row,
    a column, or the whole matrix stays below ``finfo.max``), yet any code
    that multiplies two entries without care -- ``A @ A.T``, ``a_ij**2``
    summed without scaling, ``||A||_1 * ||A||_inf`` -- is within a factor ``n``
    of overflow.  The scaling is exact, so ``cond_2(A) = 2`` as for the
    unscaled matrix.

    LAPACK's own "scaled near overflow" type (``DLATB4``) is much harsher,
    ``||A|| ~ 4 eps / safmin`` (``4e292`` in float64); build it with
    ``scaled(randsvd(n, 2.0), 2.0**970)`` when testing code that must
    survive it.

    Parameters
    ----------
    n : int
        Order, ``>= 0``.
    positive_definite : bool, optional
        Scale a Hermitian positive definite matrix instead (for Cholesky).
    dtype : dtype, optional
        float32, float64 (default), complex64 or complex128.
    random_state : None, int or numpy.random.Generator, optional
        Seed or generator.

    Returns
    -------
    A : ndarray, shape (n, n)

    References
    ----------
    .. [1] LAPACK ``DLATB4`` and ``DCHKGE`` matrix type 11 ("scaled near
       overflow").

    Examples
    --------
    >>> import numpy as np, scipy.linalg
    >>> from pivotal import gallery
    >>> A = gallery.near_overflow(50, dtype=np.float32, random_state=0)
    >>> t = np.sqrt(np.finfo(np.float32).max) / 50
    >>> bool(t / 2 <= abs(A).max() < t)
    True
    >>> P, L, U = scipy.linalg.lu(A)
    >>> bool(np.isfinite(U).all())
    True
    """
    n = _check_order(n)
    dt = _check_dtype(dtype)
    base = _scaled_base(n, dt, random_state, positive_definite)
    target = math.sqrt(float(np.finfo(dt).max)) / max(n, 1)
    p = _power_of_two_scale(base, target, at_least=False)
    return _finish(base * p, dt)


def near_underflow(
    n: int,
    *,
    positive_definite: bool = False,
    dtype: DTypeLike = np.float64,
    random_state: RandomState = None,
) -> np.ndarray:
    r"""Well-conditioned matrix with entries close to ``sqrt(finfo(dtype).tiny) * n``.

    ``randsvd(n, 2)`` (or ``random_spd(n, 2)``) multiplied by a power of two
    so that ``max|a_ij|`` lies in ``[t, 2t)`` with
    ``t = sqrt(finfo(dtype).tiny) * max(n, 1)``: about ``1.5e-154 * n`` in
    float64 and ``1.1e-19 * n`` in float32.

    LU, Cholesky and QR of this matrix involve no underflow of significance
    (multipliers are ratios, pivots are of the size of the entries), but the
    product of two entries is near the underflow threshold, so careless
    squaring (unscaled norms, ``A^H A``) loses accuracy or flushes to zero.
    The scaling is exact (subnormal entries aside), so ``cond_2(A) = 2``.
    LAPACK's harsher version (``DLATB4``, ``||A|| ~ safmin / (4 eps)``) is
    ``scaled(randsvd(n, 2.0), 2.0**-970)``.

    Parameters
    ----------
    n : int
        Order, ``>= 0``.
    positive_definite : bool, optional
        Scale a Hermitian positive definite matrix instead (for Cholesky).
    dtype : dtype, optional
        float32, float64 (default), complex64 or complex128.
    random_state : None, int or numpy.random.Generator, optional
        Seed or generator.

    Returns
    -------
    A : ndarray, shape (n, n)

    References
    ----------
    .. [1] LAPACK ``DLATB4`` and ``DCHKGE`` matrix type 10 ("scaled near
       underflow").

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal import gallery
    >>> A = gallery.near_underflow(20, positive_definite=True, random_state=0)
    >>> bool(abs(A).max() < 1e-150)
    True
    >>> L = np.linalg.cholesky(A)
    >>> bool(np.allclose(L @ L.T, A, rtol=0, atol=1e-15 * abs(A).max()))
    True
    """
    n = _check_order(n)
    dt = _check_dtype(dtype)
    base = _scaled_base(n, dt, random_state, positive_definite)
    target = math.sqrt(float(np.finfo(dt).tiny)) * max(n, 1)
    p = _power_of_two_scale(base, target, at_least=True)
    return _finish(base * p, dt)


def _powers(x: complex, n: int) -> np.ndarray:
    """``[x**0, ..., x**(n-1)]``, each by Python's scalar ``pow`` (libm for real ``x``).

    Not ``x ** np.arange(n)``: NumPy's vectorised ``power`` may use an
    ISA-specific SIMD routine whose last bits differ from one CPU to another.
    """
    return np.array([x**k for k in range(n)], dtype=np.complex128 if isinstance(x, complex) else np.float64)


# --------------------------------------------------------------------------- named matrices


def gfpp(
    n: int,
    *,
    theta: float = 1.0,
    T: ArrayLike | None = None,
    dtype: DTypeLike = np.float64,
) -> np.ndarray:
    r"""Matrix of maximal growth for Gaussian elimination with partial pivoting.

    With the default ``theta = 1`` and ``T = None`` this is Wilkinson's
    matrix: 1 on the diagonal, -1 below it, 1 in the last column, 0
    elsewhere.  Partial pivoting performs no interchanges and the last
    column doubles at every step, so the growth factor
    ``max|U| / max|A|`` is ``2**(n-1)``, the largest possible.

    The general form is Higham & Higham's (MATLAB ``gallery('gfpp', T, c)``
    with ``c = theta``): ``A = L @ U`` with

    * ``L = I - theta * (strictly lower triangular ones)``, so all
      multipliers equal ``-theta``;
    * ``U = [[T, d], [0, (1+theta)**(n-1)]]`` with ``T`` the given
      ``(n-1, n-1)`` nonsingular upper triangular matrix (default identity)
      and ``d = [(1+theta)**0, ..., (1+theta)**(n-2)]``;

    after which the last column is rescaled so that its largest entry has
    the magnitude of the largest entry of the rest of ``A`` (the last column
    of ``L @ U`` is all ones, so for ``T = I`` nothing changes).
    GEPP then has growth factor ``(1+theta)**(n-1)``.

    The matrix is built entry by entry from this definition in exact
    arithmetic and rounded once, never as a floating-point product ``L @ U``
    (whose rounding depends on the BLAS kernel: at ``n = 60`` the exact last
    column ``2**i - (2**i - 1) = 1`` needs 60-bit partial sums).  With
    ``T = None`` every entry is exact: 1, ``-theta`` or 0, and ones in the
    last column.

    Parameters
    ----------
    n : int
        Order, ``>= 1``.
    theta : float, optional
        Magnitude of the multipliers, ``0 <= theta <= 1`` (MATLAB's ``c``);
        default 1 gives growth ``2**(n-1)``.
    T : array_like, optional
        ``(n-1, n-1)`` nonsingular upper triangular matrix (default identity).
        Higham's note: for ``T != I`` prefer ``theta < 1``, else rounding
        errors may make the computed growth smaller than predicted.
    dtype : dtype, optional
        float32, float64 (default), complex64 or complex128.

    Returns
    -------
    A : ndarray, shape (n, n)

    Raises
    ------
    ValueError
        For ``n < 1``, ``theta`` outside ``[0, 1]``, or ``T`` of the wrong
        shape, not upper triangular or singular.

    References
    ----------
    .. [1] J. H. Wilkinson, Error analysis of direct methods of matrix
       inversion, J. ACM, 8 (1961), pp. 281-330.
    .. [2] N. J. Higham and D. J. Higham, Large growth factors in Gaussian
       elimination with pivoting, SIAM J. Matrix Anal. Appl., 10 (1989),
       pp. 155-164.
    .. [3] N. J. Higham, *Accuracy and Stability of Numerical Algorithms*,
       2nd ed., SIAM, 2002, Sec. 9.4; MATLAB ``gallery('gfpp')``.

    Examples
    --------
    >>> import numpy as np, scipy.linalg
    >>> from pivotal import gallery
    >>> A = gallery.gfpp(4)
    >>> A
    array([[ 1.,  0.,  0.,  1.],
           [-1.,  1.,  0.,  1.],
           [-1., -1.,  1.,  1.],
           [-1., -1., -1.,  1.]])
    >>> P, L, U = scipy.linalg.lu(gallery.gfpp(20))
    >>> float(abs(U).max() / abs(gallery.gfpp(20)).max()) == 2.0**19
    True
    """
    n = _check_order(n)
    if n < 1:
        raise ValueError(f"n must be at least 1 for gfpp, got {n}.")
    try:
        theta = float(theta)
    except (TypeError, ValueError):
        raise ValueError(f"theta must be a real number in [0, 1], got {theta!r}.") from None
    if not 0.0 <= theta <= 1.0:
        raise ValueError(
            f"theta must be in [0, 1] (the size of the multipliers), got {theta}; "
            "theta = 1 gives the maximal growth 2**(n-1)."
        )
    dt = _check_dtype(dtype)
    work = _work_dtype(dt)
    if T is not None:
        t = np.asarray(T)
        if t.shape != (n - 1, n - 1):
            raise ValueError(f"T must have shape (n-1, n-1) = ({n - 1}, {n - 1}), got {t.shape}.")
        if np.any(np.tril(t, -1) != 0) or np.any(np.diagonal(t) == 0):
            raise ValueError(
                "T must be a nonsingular upper triangular matrix (zeros below the "
                "diagonal, nonzero diagonal); pass for example np.triu(B) + n*np.eye(n-1)."
            )
        t = t.astype(np.result_type(t.dtype, work))
        work = t.dtype
        if not np.all(np.isfinite(t)):
            raise ValueError("T must be finite (no NaN or inf entries).")
    a = np.zeros((n, n), dtype=work)
    if T is None:
        # L @ [[I, d], [0, d_n]]: the left block is L's, the last column is all ones.
        a[:, : n - 1] = np.eye(n, n - 1) - theta * np.tril(np.ones((n, n - 1)), -1)
        a[:, n - 1] = 1.0
    elif n > 1:
        a[:, : n - 1] = _gfpp_left_block(t, theta)
        a[:, n - 1] = max(1.0, float(np.max(np.abs(a[:, : n - 1]))))
    else:
        a[0, 0] = 1.0
    return _finish(a, dt)


def _exact_round(numerators: np.ndarray, denominator: int) -> np.ndarray:
    """``numerators / denominator`` (Python ints) each rounded once to float64 (CPython's int ``/``)."""
    try:
        values = [v / denominator for v in numerators.ravel().tolist()]
    except OverflowError:
        raise ValueError(
            "gfpp's entries overflow float64 for this T; pass a T with smaller entries."
        ) from None
    return np.array(values, dtype=np.float64).reshape(numerators.shape)


def _gfpp_left_block(t: np.ndarray, theta: float) -> np.ndarray:
    """The first ``n - 1`` columns of ``L @ U`` in exact arithmetic, each entry rounded once.

    With ``L = I - theta * tril(ones, -1)`` and ``T`` upper triangular,
    ``A[i, j] = T[i, j] - theta * sum(T[k, j] for k < i)`` (``T[n-1, :] = 0``).
    Every float is an integer times a power of two, so the sums are formed
    exactly in Python integers over a common denominator; no BLAS product
    (whose rounding depends on the kernel) defines the matrix.
    """
    if np.iscomplexobj(t):  # theta is real: the real and imaginary parts are independent
        out = np.empty((t.shape[0] + 1, t.shape[1]), dtype=np.complex128)
        out.real = _gfpp_left_block(t.real, theta)
        out.imag = _gfpp_left_block(t.imag, theta)
        return out
    ratios = [float(v).as_integer_ratio() for v in t.ravel().tolist()]
    den = max(q for _, q in ratios)
    num = np.array([p * (den // q) for p, q in ratios], dtype=object).reshape(t.shape)
    zero_row = np.zeros((1, t.shape[1]), dtype=object)
    above = np.vstack([zero_row, np.cumsum(num, axis=0)])  # above[i, j] = sum_{k < i} T[k, j]
    own = np.vstack([num, zero_row])
    tp, tq = float(theta).as_integer_ratio()
    return _exact_round(own * tq - above * tp, den * tq)


def kahan(
    n: int,
    *,
    theta: float = 1.2,
    pert: float = 25.0,
    m: int | None = None,
    dtype: DTypeLike = np.float64,
) -> np.ndarray:
    r"""Kahan's upper triangular matrix: QR with column pivoting misjudges its rank.

    With ``s = sin(theta)`` and ``c = cos(theta)``,

    ``A = diag(1, s, ..., s**(n-1)) @ (I - c * triu(ones, 1)) + pert * eps * diag(n, n-1, ..., 1)``

    (MATLAB ``gallery('kahan', n, theta, pert)``).  Every column of the
    unperturbed matrix has 2-norm exactly 1, so the tiny diagonal perturbation
    (suggested by Bischof) decides the pivot order: QR with column pivoting
    (``scipy.linalg.qr(A, pivoting=True)``, LAPACK ``xGEQP3``) makes no
    interchanges and returns ``R = A`` up to signs.  ``|R[-1, -1]| ~ s**(n-1)``
    then badly overestimates the smallest singular value.

    Measured with the defaults (float64; float32, complex64 and complex128
    agree to 3 digits), ``|R[n-1, n-1]| / sigma_min``:

    ====  ==================  =============  =======
    n     ``|R[n-1, n-1]|``   ``sigma_min``  ratio
    ====  ==================  =============  =======
    10    0.531               6.05e-2        8.8
    20    0.263               1.37e-3        1.9e2
    30    0.130               3.08e-5        4.2e3
    40    0.0643              6.93e-7        9.3e4
    ====  ==================  =============  =======

    so for ``n = 30`` plain QRCP's estimate is more than 1000x (about 4200x)
    too large, and QRCP fails to reveal the numerical rank.  Pivoting stays
    the identity up to at least ``n = 100`` in float64.

    Parameters
    ----------
    n : int
        Number of columns (and rows unless ``m`` is given), ``>= 0``.
    theta : float, optional
        Angle, useful range ``0 < theta < pi``; default 1.2.
    pert : float, optional
        Size of the diagonal perturbation in units of ``eps`` of ``dtype``
        (default 25, as in Higham's toolbox; MATLAB's current ``gallery``
        uses 1e3).  ``pert = 0`` gives Kahan's original matrix.
    m : int, optional
        Number of rows: the first ``m`` rows if ``m < n``, zero rows appended
        if ``m > n`` (MATLAB's ``kahan([m n])``).
    dtype : dtype, optional
        float32, float64 (default), complex64 or complex128.  ``eps`` in the
        perturbation is the machine epsilon of ``dtype`` (MATLAB always uses
        double ``eps``, which would vanish in single precision).

    Returns
    -------
    A : ndarray, shape (m, n) or (n, n)

    Raises
    ------
    ValueError
        For negative sizes or non-finite ``theta``/``pert``.

    References
    ----------
    .. [1] W. Kahan, Numerical linear algebra, Canad. Math. Bull., 9 (1966),
       pp. 757-801.
    .. [2] M. Gu and S. C. Eisenstat, Efficient algorithms for computing a
       strong rank-revealing QR factorization, SIAM J. Sci. Comput., 17
       (1996), pp. 848-869.
    .. [3] N. J. Higham, *Accuracy and Stability of Numerical Algorithms*,
       2nd ed., SIAM, 2002, Sec. 8.3 and Chapter 28; MATLAB
       ``gallery('kahan')``.

    Examples
    --------
    >>> import numpy as np, scipy.linalg
    >>> from pivotal import gallery
    >>> A = gallery.kahan(30)
    >>> Q, R, piv = scipy.linalg.qr(A, pivoting=True)
    >>> bool(np.all(piv == np.arange(30)))
    True
    >>> ratio = abs(R[-1, -1]) / np.linalg.svd(A, compute_uv=False)[-1]
    >>> bool(4000 < ratio < 4500)
    True
    """
    n = _check_order(n)
    m = n if m is None else _check_order(m, "m")
    try:
        theta = float(theta)
        pert = float(pert)
    except (TypeError, ValueError):
        raise ValueError("theta and pert must be real numbers.") from None
    if not (math.isfinite(theta) and math.isfinite(pert)):
        raise ValueError(f"theta and pert must be finite, got theta={theta}, pert={pert}.")
    dt = _check_dtype(dtype)
    s, c = math.sin(theta), math.cos(theta)
    a = np.eye(n) - c * np.triu(np.ones((n, n)), 1)
    a *= _powers(s, n)[:, None]
    a += pert * float(np.finfo(dt).eps) * np.diag(np.arange(n, 0, -1, dtype=np.float64))
    if m <= n:
        a = a[:m]
    else:
        a = np.vstack([a, np.zeros((m - n, n))])
    return _finish(a, dt)


def hilbert(n: int, *, dtype: DTypeLike = np.float64) -> np.ndarray:
    r"""Hilbert matrix ``H[i, j] = 1 / (i + j + 1)`` (zero-based indices).

    Symmetric positive definite, totally positive and notoriously ill
    conditioned: ``cond_2(H_n)`` grows like ``exp(3.5 n)`` (about 1.6e13 for
    ``n = 10``).  Its inverse has integer entries
    (:func:`scipy.linalg.invhilbert`); note that the *stored* matrix differs
    from the true Hilbert matrix by rounding, so for ``n >~ 12`` the
    computed inverse says little about ``invhilbert(n)``.

    Parameters
    ----------
    n : int
        Order, ``>= 0``.
    dtype : dtype, optional
        float32, float64 (default), complex64 or complex128.

    Returns
    -------
    H : ndarray, shape (n, n)

    References
    ----------
    .. [1] M.-D. Choi, Tricks or treats with the Hilbert matrix, Amer. Math.
       Monthly, 90 (1983), pp. 301-312.
    .. [2] MATLAB ``hilb``; N. J. Higham, *Accuracy and Stability of
       Numerical Algorithms*, 2nd ed., SIAM, 2002, Sec. 28.1.

    Examples
    --------
    >>> import numpy as np, scipy.linalg
    >>> from pivotal import gallery
    >>> H = gallery.hilbert(6)
    >>> bool(np.allclose(np.linalg.inv(H), scipy.linalg.invhilbert(6), rtol=1e-6))
    True
    """
    n = _check_order(n)
    dt = _check_dtype(dtype)
    i = np.arange(n, dtype=np.float64)
    return _finish(1.0 / (i[:, None] + i[None, :] + 1.0), dt)


def lotkin(n: int, *, dtype: DTypeLike = np.float64) -> np.ndarray:
    r"""Lotkin matrix: the Hilbert matrix with its first row replaced by ones.

    Unsymmetric, ill conditioned, with many negative eigenvalues of small
    magnitude; its inverse has integer entries.

    Parameters
    ----------
    n : int
        Order, ``>= 0``.
    dtype : dtype, optional
        float32, float64 (default), complex64 or complex128.

    Returns
    -------
    A : ndarray, shape (n, n)

    References
    ----------
    .. [1] M. Lotkin, A set of test matrices, MTAC, 9 (1955), pp. 153-161.
    .. [2] MATLAB ``gallery('lotkin')``; Higham's Matrix Computation Toolbox.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal import gallery
    >>> X = np.linalg.inv(gallery.lotkin(5))
    >>> bool(np.allclose(X, np.round(X), rtol=0, atol=1e-6))
    True
    """
    a = hilbert(n, dtype=np.float64)
    if n:
        a[0, :] = 1.0
    return _finish(a, _check_dtype(dtype))


def frank(n: int, *, reflect: bool = False, dtype: DTypeLike = np.float64) -> np.ndarray:
    r"""Frank matrix: upper Hessenberg, determinant 1, ill-conditioned eigenvalues.

    ``F[i, j] = n - max(i, j)`` for ``j >= i - 1`` and 0 below the
    subdiagonal (zero-based), e.g. ``[[3, 2, 1], [2, 2, 1], [0, 1, 1]]``.
    The eigenvalues are positive and come in reciprocal pairs; the
    ``n // 2`` smallest are ill conditioned.

    Parameters
    ----------
    n : int
        Order, ``>= 0``.
    reflect : bool, optional
        Reflect about the anti-diagonal (MATLAB ``gallery('frank', n, 1)``):
        ``F[::-1, ::-1].T``, still upper Hessenberg with determinant 1.
    dtype : dtype, optional
        float32, float64 (default), complex64 or complex128.

    Returns
    -------
    F : ndarray, shape (n, n)

    References
    ----------
    .. [1] W. L. Frank, Computing eigenvalues of complex matrices by
       determinant evaluation and by methods of Danilewski and Wielandt,
       J. SIAM, 6 (1958), pp. 378-392.
    .. [2] G. H. Golub and J. H. Wilkinson, Ill-conditioned eigensystems and
       the computation of the Jordan canonical form, SIAM Rev., 18 (1976),
       pp. 578-619.
    .. [3] MATLAB ``gallery('frank')``; Higham's Matrix Computation Toolbox.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal import gallery
    >>> gallery.frank(3)
    array([[3., 2., 1.],
           [2., 2., 1.],
           [0., 1., 1.]])
    >>> bool(np.isclose(np.linalg.det(gallery.frank(8)), 1.0))
    True
    """
    n = _check_order(n)
    dt = _check_dtype(dtype)
    i = np.arange(n)
    f = (n - np.maximum(i[:, None], i[None, :])).astype(np.float64)
    f[i[:, None] > i[None, :] + 1] = 0.0
    if reflect:
        f = f[::-1, ::-1].T
    return _finish(f, dt)


def vandermonde(
    x: ArrayLike | int,
    *,
    increasing: bool = False,
    dtype: DTypeLike | None = None,
) -> np.ndarray:
    r"""Square Vandermonde matrix of the points ``x``.

    ``V[i, j] = x[i] ** (n - 1 - j)`` (decreasing powers, as MATLAB's
    ``vander`` and :func:`numpy.vander`), or ``x[i] ** j`` with
    ``increasing=True``.  An integer ``x = n`` means ``n`` equispaced points
    ``linspace(0, 1, n)`` (the special case of Higham's toolbox ``vand``),
    for which ``cond_2(V)`` grows exponentially in ``n``.

    Parameters
    ----------
    x : array_like or int
        1-D points, or the order ``n``.
    increasing : bool, optional
        Increasing powers (first column all ones).
    dtype : dtype, optional
        Default float64, or complex128 when ``x`` is complex.

    Returns
    -------
    V : ndarray, shape (n, n)

    Raises
    ------
    ValueError
        If ``x`` is neither 1-D nor a non-negative integer, is not finite,
        or is a masked array.

    References
    ----------
    .. [1] N. J. Higham, *Accuracy and Stability of Numerical Algorithms*,
       2nd ed., SIAM, 2002, Chapter 22 (Vandermonde systems).
    .. [2] MATLAB ``vander`` and ``gallery('vander')``; Higham's Matrix
       Computation Toolbox ``vand``.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal import gallery
    >>> gallery.vandermonde([1, 2, 3])
    array([[1., 1., 1.],
           [4., 2., 1.],
           [9., 3., 1.]])
    >>> bool(np.linalg.cond(gallery.vandermonde(12)) > 1e8)
    True
    """
    if np.ndim(x) == 0:
        pts = np.linspace(0.0, 1.0, _check_order(x, "x (the order)"))
    else:
        pts = _plain_array(x, "x")
        if pts.ndim != 1:
            raise ValueError(f"x must be a 1-D array of points or an integer order, got shape {pts.shape}.")
        if pts.dtype.kind not in "biufc":
            raise ValueError(f"x must be numeric, got dtype {pts.dtype}.")
    if dtype is None:
        dtype = np.complex128 if np.iscomplexobj(pts) else np.float64
    dt = _check_dtype(dtype)
    if np.iscomplexobj(pts) and dt.kind != "c":
        raise ValueError(f"x is complex but dtype={dt}; pass a complex dtype such as np.complex128.")
    pts = pts.astype(_work_dtype(dt))
    if not np.all(np.isfinite(pts)):
        raise ValueError("x must be finite.")
    return _finish(np.vander(pts, increasing=bool(increasing)), dt)


def wilkinson(n: int, *, dtype: DTypeLike = np.float64) -> np.ndarray:
    r"""Wilkinson's eigenvalue test matrix ``W_n^+``.

    Symmetric tridiagonal with ones on the off-diagonals and diagonal
    ``|(n-1)/2 - i|``, ``i = 0, ..., n-1`` (MATLAB ``wilkinson(n)``).  For
    odd ``n`` its largest eigenvalues come in pairs that agree to many
    digits (for ``W_21^+`` the top two differ by about ``1e-14``), a test of
    eigensolvers' ability to separate close eigenvalues.

    Parameters
    ----------
    n : int
        Order, ``>= 0``; the classic choice is 21.
    dtype : dtype, optional
        float32, float64 (default), complex64 or complex128.

    Returns
    -------
    W : ndarray, shape (n, n)

    References
    ----------
    .. [1] J. H. Wilkinson, *The Algebraic Eigenvalue Problem*, Oxford
       University Press, 1965, pp. 308-311.
    .. [2] MATLAB ``wilkinson``.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal import gallery
    >>> lam = np.linalg.eigvalsh(gallery.wilkinson(21))
    >>> err = 30 * 21 * 2**-53 * np.linalg.norm(gallery.wilkinson(21), 2)  # eigvalsh: THRESH n u ||W||
    >>> bool(np.isclose(lam[-1], 10.746194182903393)), bool(lam[-1] - lam[-2] < 1e-13 + 2 * err)
    (True, True)
    """
    n = _check_order(n)
    dt = _check_dtype(dtype)
    w = np.diag(np.abs((n - 1) / 2.0 - np.arange(n)))
    if n > 1:
        idx = np.arange(n - 1)
        w[idx, idx + 1] = 1.0
        w[idx + 1, idx] = 1.0
    return _finish(w, dt)


def moler(n: int, *, alpha: float = -1.0, dtype: DTypeLike = np.float64) -> np.ndarray:
    r"""Moler matrix ``U^T U`` with ``U`` unit upper triangular, ``alpha`` above the diagonal.

    Symmetric positive definite.  For ``alpha = -1`` (default)
    ``A[i, j] = min(i, j) - 1`` off the diagonal and ``A[i, i] = i + 1``
    (zero-based), and ``A`` has one tiny eigenvalue; its Cholesky factor is
    exactly ``U`` (integers), which makes it a classic Cholesky test.  The
    entries ``alpha**2 * min(i, j) + (1 if i == j else alpha)`` are formed in
    exact arithmetic and rounded once (not by a floating-point product).

    Parameters
    ----------
    n : int
        Order, ``>= 0``.
    alpha : float, optional
        Off-diagonal value of ``U`` (default -1).
    dtype : dtype, optional
        float32, float64 (default), complex64 or complex128.

    Returns
    -------
    A : ndarray, shape (n, n)

    References
    ----------
    .. [1] J. C. Nash, *Compact Numerical Methods for Computers: Linear
       Algebra and Function Minimisation*, 2nd ed., Adam Hilger, 1990,
       Appendix 1.
    .. [2] MATLAB ``gallery('moler')``; Higham's Matrix Computation Toolbox.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal import gallery
    >>> A = gallery.moler(5)
    >>> U = np.triu(-np.ones((5, 5)), 1) + np.eye(5)
    >>> bool(np.allclose(np.linalg.cholesky(A).T, U))
    True
    """
    n = _check_order(n)
    try:
        alpha = float(alpha)
    except (TypeError, ValueError):
        raise ValueError(f"alpha must be a real number, got {alpha!r}.") from None
    if not math.isfinite(alpha):
        raise ValueError(f"alpha must be finite, got {alpha!r}.")
    dt = _check_dtype(dtype)
    # (U^T U)[i, j] = alpha**2 * min(i, j) + (1 if i == j else alpha), formed exactly and
    # rounded once (a BLAS product's rounding would depend on the kernel).
    al = Fraction(alpha)
    on = [float(al * al * k + 1) for k in range(n)]
    off = [float(al * al * k + al) for k in range(n)]
    i = np.arange(n)
    low = np.minimum(i[:, None], i[None, :])
    a = np.where(
        i[:, None] == i[None, :], np.array(on, dtype=np.float64)[low], np.array(off, dtype=np.float64)[low]
    )
    return _finish(a, dt)


def pascal(n: int, *, kind: str = "symmetric", dtype: DTypeLike = np.float64) -> np.ndarray:
    r"""Pascal matrix of binomial coefficients.

    ``kind="symmetric"``: ``P[i, j] = C(i + j, i)``, symmetric positive
    definite with determinant 1 and integer inverse; ``P = L @ L.T`` with
    ``kind="lower"``: ``L[i, j] = C(i, j)``; ``kind="upper"`` is ``L.T``.
    Same convention as :func:`scipy.linalg.pascal` (MATLAB's
    ``pascal(n, 1)`` instead has alternating signs).  Entries above ``2**53``
    are rounded (``n >~ 30`` for the symmetric kind in float64).

    Parameters
    ----------
    n : int
        Order, ``>= 0``.
    kind : {"symmetric", "lower", "upper"}, optional
    dtype : dtype, optional
        float32, float64 (default), complex64 or complex128.

    Returns
    -------
    P : ndarray, shape (n, n)

    References
    ----------
    .. [1] A. Edelman and G. Strang, Pascal matrices, Amer. Math. Monthly,
       111 (2004), pp. 189-197.
    .. [2] MATLAB ``pascal``; :func:`scipy.linalg.pascal`.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal import gallery
    >>> P = gallery.pascal(6)
    >>> bool(np.isclose(np.linalg.det(P), 1.0))
    True
    >>> L = gallery.pascal(6, kind="lower")
    >>> bool(np.array_equal(L @ L.T, P))
    True
    """
    n = _check_order(n)
    if kind not in ("symmetric", "lower", "upper"):
        raise ValueError(f"kind must be 'symmetric', 'lower' or 'upper', got {kind!r}.")
    dt = _check_dtype(dtype)
    # Exact integers, rounded once at the end.
    low = [[0] * n for _ in range(n)]
    for i in range(n):
        low[i][0] = 1
        for j in range(1, i + 1):
            low[i][j] = low[i - 1][j - 1] + low[i - 1][j]
    if kind == "symmetric":
        mat = [[math.comb(i + j, i) for j in range(n)] for i in range(n)]
    elif kind == "lower":
        mat = low
    else:
        mat = [list(row) for row in zip(*low, strict=True)]
    out = np.array([[float(v) for v in row] for row in mat], dtype=np.float64).reshape(n, n)
    return _finish(out, dt)


def minij(n: int, *, dtype: DTypeLike = np.float64) -> np.ndarray:
    r"""``A[i, j] = min(i, j) + 1`` (``min(i, j)`` with one-based indices).

    Symmetric positive definite; the covariance of Brownian motion at times
    ``1, ..., n``.  Its inverse is tridiagonal: minus the second-difference
    matrix, ``2`` on the diagonal except ``1`` at ``(n-1, n-1)``, ``-1`` off
    the diagonal.  Eigenvalues ``1 / (4 sin^2((2k-1) pi / (4n+2)))``,
    ``k = 1, ..., n``.

    Parameters
    ----------
    n : int
        Order, ``>= 0``.
    dtype : dtype, optional
        float32, float64 (default), complex64 or complex128.

    Returns
    -------
    A : ndarray, shape (n, n)

    References
    ----------
    .. [1] J. Fortiana and C. M. Cuadras, A family of matrices, the
       discretized Brownian bridge, and distance-based regression, Linear
       Algebra Appl., 264 (1997), pp. 173-188.
    .. [2] MATLAB ``gallery('minij')``; Higham's Matrix Computation Toolbox.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal import gallery
    >>> n = 7
    >>> k = np.arange(1, n + 1)
    >>> lam = 1 / (4 * np.sin((2 * k - 1) * np.pi / (4 * n + 2)) ** 2)
    >>> bool(np.allclose(np.linalg.eigvalsh(gallery.minij(n)), np.sort(lam)))
    True
    """
    n = _check_order(n)
    dt = _check_dtype(dtype)
    i = np.arange(1, n + 1, dtype=np.float64)
    return _finish(np.minimum(i[:, None], i[None, :]), dt)


def kms(n: int, rho: complex = 0.5, *, dtype: DTypeLike | None = None) -> np.ndarray:
    r"""Kac-Murdock-Szegő Toeplitz matrix ``A[i, j] = rho ** |i - j|``.

    For complex ``rho`` the entries below the diagonal are conjugated, so
    ``A`` is Hermitian.  ``A`` is positive definite iff ``0 < |rho| < 1``;
    its inverse is tridiagonal and ``A = L D L^H`` with
    ``D = diag(1, 1 - |rho|^2, ..., 1 - |rho|^2)``.

    Parameters
    ----------
    n : int
        Order, ``>= 0``.
    rho : float or complex, optional
        Default 0.5.
    dtype : dtype, optional
        Default float64, or complex128 for complex ``rho``.

    Returns
    -------
    A : ndarray, shape (n, n)

    References
    ----------
    .. [1] M. Kac, W. L. Murdock and G. Szegő, On the eigenvalues of certain
       Hermitian forms, J. Rational Mech. Anal., 2 (1953), pp. 767-800.
    .. [2] W. F. Trench, Numerical solution of the eigenvalue problem for
       Hermitian Toeplitz matrices, SIAM J. Matrix Anal. Appl., 10 (1989),
       pp. 135-146.
    .. [3] MATLAB ``gallery('kms')``; Higham's Matrix Computation Toolbox.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal import gallery
    >>> X = np.linalg.inv(gallery.kms(6, 0.3))
    >>> bool(np.allclose(np.triu(X, 2), 0) and np.allclose(np.tril(X, -2), 0))
    True
    """
    n = _check_order(n)
    if not np.isscalar(rho) or isinstance(rho, (str, bytes)) or not np.isfinite(rho):
        raise ValueError(f"rho must be a finite real or complex number, got {rho!r}.")
    is_c = np.iscomplexobj(rho)
    if dtype is None:
        dtype = np.complex128 if is_c else np.float64
    dt = _check_dtype(dtype)
    if is_c and dt.kind != "c":
        raise ValueError(
            f"rho={rho!r} is complex but dtype={dt}; pass a complex dtype such as "
            "np.complex128 (or a real rho)."
        )
    i = np.arange(n)
    p = np.abs(i[:, None] - i[None, :])
    a = _powers(complex(rho) if is_c else float(rho), n).astype(_work_dtype(dt))[p]
    if is_c:
        a = np.triu(a) + np.conj(np.tril(a, -1))
    return _finish(a, dt)


def lehmer(n: int, *, dtype: DTypeLike = np.float64) -> np.ndarray:
    r"""Lehmer matrix ``A[i, j] = min(i, j) / max(i, j)`` (one-based indices).

    Symmetric positive definite and totally nonnegative; its inverse is
    tridiagonal (with explicitly known entries) and ``n <= cond_2(A) <= 4 n^2``.

    Parameters
    ----------
    n : int
        Order, ``>= 0``.
    dtype : dtype, optional
        float32, float64 (default), complex64 or complex128.

    Returns
    -------
    A : ndarray, shape (n, n)

    References
    ----------
    .. [1] M. Newman and J. Todd, The evaluation of matrix inversion
       programs, J. SIAM, 6 (1958), pp. 466-476.
    .. [2] MATLAB ``gallery('lehmer')``; Higham's Matrix Computation Toolbox.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal import gallery
    >>> A = gallery.lehmer(8)
    >>> X = np.linalg.inv(A)
    >>> bool(np.allclose(np.triu(X, 2), 0)), bool(8 <= np.linalg.cond(A) <= 4 * 64)
    (True, True)
    """
    n = _check_order(n)
    dt = _check_dtype(dtype)
    i = np.arange(1, n + 1, dtype=np.float64)
    a = np.minimum(i[:, None], i[None, :]) / np.maximum(i[:, None], i[None, :])
    return _finish(a, dt)


def clement(n: int, *, symmetric: bool = False, dtype: DTypeLike = np.float64) -> np.ndarray:
    r"""Clement matrix: tridiagonal, zero diagonal, eigenvalues ``±(n-1), ±(n-3), ...``.

    ``A[i+1, i] = n - 1 - i`` and ``A[i, i+1] = i + 1`` (zero-based) -- MATLAB
    ``gallery('clement', n, 0)``; with ``symmetric=True`` both off-diagonals
    are ``sqrt((n - 1 - i) (i + 1))`` (``gallery('clement', n, 1)``), a
    diagonally similar symmetric matrix.  The eigenvalues are the integers
    ``±(n-1), ±(n-3), ...`` down to ``±1`` or ``0``; ``A`` is singular for odd
    ``n``.

    Parameters
    ----------
    n : int
        Order, ``>= 0``.
    symmetric : bool, optional
        Return the symmetric version.
    dtype : dtype, optional
        float32, float64 (default), complex64 or complex128.

    Returns
    -------
    A : ndarray, shape (n, n)

    References
    ----------
    .. [1] P. A. Clement, A class of triple-diagonal matrices for test
       purposes, SIAM Rev., 1 (1959), pp. 50-52.
    .. [2] MATLAB ``gallery('clement')``; Higham's Matrix Computation Toolbox.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal import gallery
    >>> lam = np.linalg.eigvalsh(gallery.clement(6, symmetric=True))
    >>> bool(np.allclose(lam, [-5, -3, -1, 1, 3, 5]))
    True
    """
    n = _check_order(n)
    dt = _check_dtype(dtype)
    a = np.zeros((n, n))
    if n > 1:
        i = np.arange(n - 1)
        sub = (n - 1 - i).astype(np.float64)
        sup = (i + 1).astype(np.float64)
        if symmetric:
            sub = sup = np.sqrt(sub * sup)
        a[i + 1, i] = sub
        a[i, i + 1] = sup
    return _finish(a, dt)


# --------------------------------------------------------------------------- matrix types

MatrixType = Callable[[int, DTypeLike, RandomState], np.ndarray]

# LAPACK's xCHKGE uses cond = 2, BADC1 = sqrt(0.1/eps) ~ 2e7 and
# BADC2 = 0.1/eps ~ 4.5e14 (double precision values).
_KAPPAS = {"k2": 2.0, "k2e7": 2e7, "k4.5e14": 4.5e14}


def _randsvd_type(mode: int, kappa: float) -> MatrixType:
    def make(n: int, dtype: DTypeLike = np.float64, rng: RandomState = None) -> np.ndarray:
        return randsvd(n, kappa, mode, dtype=dtype, random_state=rng)

    make.__doc__ = f"randsvd(n, {kappa:g}, mode={mode})"
    return make


def _spd_type(mode: int, kappa: float) -> MatrixType:
    def make(n: int, dtype: DTypeLike = np.float64, rng: RandomState = None) -> np.ndarray:
        return random_spd(n, kappa, mode, dtype=dtype, random_state=rng)

    make.__doc__ = f"random_spd(n, {kappa:g}, mode={mode})"
    return make


def _diagonal(
    n: int, dtype: DTypeLike = np.float64, rng: RandomState = None, *, positive: bool = False
) -> np.ndarray:
    """Diagonal, cond 2 (mode 3), random order and random signs/phases."""
    dt = _check_dtype(dtype)
    gen = as_generator(rng)
    d = _spectrum(_check_order(n), 2.0, 3, gen)[gen.permutation(n)]
    if not positive:
        if dt.kind == "c":
            d = d * np.exp(2j * np.pi * gen.uniform(size=n))
        else:
            d = d * gen.choice([-1.0, 1.0], size=n)
    return _finish(np.diag(d), dt)


def _triangular(
    n: int, dtype: DTypeLike = np.float64, rng: RandomState = None, *, lower: bool = False
) -> np.ndarray:
    """Triangular with the singular values of randsvd(n, 2) (up to rounding): R of its QR."""
    dt = _check_dtype(dtype)
    a = randsvd(n, 2.0, 3, dtype=_work_dtype(dt), random_state=rng)
    r = np.linalg.qr(a, mode="r") if n else a
    r = np.triu(r)
    return _finish(r.conj().T if lower else r, dt)


def _zero_column_type(where: str) -> MatrixType:
    def make(n: int, dtype: DTypeLike = np.float64, rng: RandomState = None) -> np.ndarray:
        if n == 0:
            return randsvd(0, 2.0, dtype=dtype, random_state=rng)
        j = {"first": 0, "mid": n // 2, "last": n - 1}[where]
        return zero_column(n, j, dtype=dtype, random_state=rng)

    make.__doc__ = f"zero_column(n, {where} column), cond 2 before zeroing"
    return make


def _build_matrix_types() -> dict[str, MatrixType]:
    types: dict[str, MatrixType] = {
        "diag": _diagonal,
        "upper": _triangular,
        "lower": lambda n, dtype=np.float64, rng=None: _triangular(n, dtype, rng, lower=True),
    }
    for mode in range(1, 6):
        for tag, kappa in _KAPPAS.items():
            types[f"randsvd{mode}_{tag}"] = _randsvd_type(mode, kappa)
    for where in ("first", "mid", "last"):
        types[f"zerocol_{where}"] = _zero_column_type(where)
    types["near_underflow"] = lambda n, dtype=np.float64, rng=None: near_underflow(
        n, dtype=dtype, random_state=rng
    )
    types["near_overflow"] = lambda n, dtype=np.float64, rng=None: near_overflow(
        n, dtype=dtype, random_state=rng
    )
    return types


def _build_spd_types() -> dict[str, MatrixType]:
    types: dict[str, MatrixType] = {
        "diag": lambda n, dtype=np.float64, rng=None: _diagonal(n, dtype, rng, positive=True),
    }
    for mode in range(1, 6):
        for tag, kappa in _KAPPAS.items():
            types[f"spd{mode}_{tag}"] = _spd_type(mode, kappa)
    types["near_underflow"] = lambda n, dtype=np.float64, rng=None: near_underflow(
        n, positive_definite=True, dtype=dtype, random_state=rng
    )
    types["near_overflow"] = lambda n, dtype=np.float64, rng=None: near_overflow(
        n, positive_definite=True, dtype=dtype, random_state=rng
    )
    return types


MATRIX_TYPES: dict[str, MatrixType] = _build_matrix_types()
"""LAPACK-style general (square) test matrix types: ``name -> f(n, dtype, rng)``.

Modelled on LAPACK ``xCHKGE`` / ``xLATB4``:

* ``"diag"``: diagonal, cond 2, random signs (phases) and order;
* ``"upper"``, ``"lower"``: triangular, with the singular values of
  ``randsvd(n, 2)`` up to rounding (the computed ``R`` factor of its QR);
* ``"randsvd{mode}_{k}"`` for ``mode`` in 1-5 and ``k`` in ``k2``, ``k2e7``,
  ``k4.5e14`` (``kappa = 2, 2e7, 4.5e14``; LAPACK's double-precision
  ``2``, ``sqrt(0.1/eps)`` and ``0.1/eps``; in float32 the last two are beyond
  ``1/u``: ``k2e7`` is still achieved to a few percent but ``k4.5e14`` is
  rounding-limited to a condition number of about ``1e9``-``1e11``, see
  :func:`randsvd`);
* ``"zerocol_first"``, ``"zerocol_mid"``, ``"zerocol_last"``: column ``0``,
  ``n // 2`` or ``n - 1`` zeroed (exactly singular for ``n >= 1``);
* ``"near_underflow"``, ``"near_overflow"``: :func:`near_underflow`,
  :func:`near_overflow` (cond 2).

``rng`` is anything ``random_state`` accepts (``None``, int, Generator).
"""

SPD_MATRIX_TYPES: dict[str, MatrixType] = _build_spd_types()
"""Hermitian positive definite test matrix types (LAPACK ``xCHKPO``-style).

``"diag"`` (positive diagonal, cond 2), ``"spd{mode}_{k}"`` (:func:`random_spd`
with the same modes and kappas as :data:`MATRIX_TYPES`), ``"near_underflow"``
and ``"near_overflow"`` (positive definite versions).  In float64 Cholesky
succeeds on all of them in practice (``spd*_k4.5e14`` is near the edge of
numerical definiteness, ``kappa u ~ 0.05``); in float32 the ``k2e7`` and
``k4.5e14`` types exceed ``1/u`` and are often *not* numerically positive
definite, so Cholesky may legitimately fail on them.
"""
