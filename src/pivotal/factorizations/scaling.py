"""Factoring out of LAPACK's safe range: ``2**e A`` is factored, and ``e`` undone on the results.

LAPACK's factorizations divide by their pivots through reciprocals
(``xGETF2`` scales a column by ``1 / a_kk``, ``xSYTF2`` forms ``1 / d_k``,
BLAS ``xTRSM`` inverts the diagonal), and these overflow once the pivots
are subnormal: ``getrf`` then flushes the multipliers to zero (``P L U !=
A``), ``sytrf`` returns ``-inf`` pivots and ``trsm`` NaN solutions.  A
matrix whose entries are all of order ``1e-300`` is in no way singular,
but its inverse, of order ``1e300``, overflows in the condition estimator.
A matrix whose largest entry lies outside the safe range ``[smlnum,
bignum]`` of :func:`pivotal._scaling.safe_range` (about ``[1e-146,
1e146]`` in float64, ``[3e-16, 3e15]`` in float32) is therefore factored
as ``2**e A``, with ``e`` even (so that ``2**(e/2)``, the scale of a
Cholesky factor, is a power of two too) and chosen by
:func:`pivotal._scaling.scale_exponent` to bring ``max |a_ij|`` just inside
the range.  Power-of-two scaling is exact unless entries enter or leave the
subnormal range: a subnormal matrix scaled up loses nothing, and scaling a
huge matrix down rounds only entries below ``2**-e`` times the smallest
normal number, which lie far below ``u max |a_ij|`` and do not change a
normwise backward error.  Scaling to the edge of the range (not to 1) keeps
the solutions of the scaled systems in range too: for ``A`` of order ``t``
with ``t < smlnum`` and ``b`` of order ``t |x|``, the scaled solve returns
``x 2**-e``, of order ``smlnum |x| / t``.

The factorization objects (:class:`pivotal.factorizations.base.Factorization`)
record ``e`` and undo it once, in the base class: ``x = 2**e (2**e
A)^{-1} b``, ``log|det A| = log|det 2**e A| - n e log 2``, and ``rcond``
needs nothing (it is scale invariant).  The properties that expose the
factors return them in the scale of ``A``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._scaling import ldexp, scale_exponent

__all__ = ["factor_exponent", "scale_into_range", "scale_upper"]


def factor_exponent(amax: float, dtype: Any) -> int:
    """The even ``e`` with ``2**e amax`` inside the safe range of ``dtype``; 0 when ``amax`` already is.

    0 too for a zero or non-finite ``amax`` (nothing to scale; NaN and Inf
    are the caller's to report).

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.factorizations.scaling import factor_exponent
    >>> factor_exponent(1.0, np.float64), factor_exponent(np.inf, np.float64)
    (0, 0)
    >>> e = factor_exponent(2.0**-1050, np.float64)
    >>> e % 2, 1e-150 < 2.0**(e - 1050) < 1e-140
    (0, True)
    >>> factor_exponent(1e-20, np.float32) > 0     # float32's range is narrower
    True
    """
    e = scale_exponent(amax, dtype)
    return e + e % 2 if e > 0 else e - e % 2  # one more step inwards when odd (e % 2 is 0 or 1)


def scale_into_range(work: Any, norms: Callable[[Any], tuple[float, float]]) -> tuple[int, float, float]:
    """Scale the working copy ``work`` in place into the safe range: ``(e, ||2**e A||_1, max|2**e A|)``.

    ``norms(work)`` returns ``(||A||_1, max |a_ij|)`` (or whatever norm the
    caller records, and the largest entry it reads): the pass over the
    matrix that a factorization makes anyway, so finding ``e`` costs
    nothing extra.  Only when ``e != 0`` is ``work`` multiplied by ``2**e``
    and measured again (the norm of a huge matrix may have overflowed).
    NaN or Inf entries give ``e = 0``: nothing is scaled.
    """
    with np.errstate(over="ignore"):  # the norm of a huge matrix may overflow: it is measured again below
        anorm, amax = norms(work)
    e = factor_exponent(amax, work.dtype)
    if e:
        ldexp(work, e, inplace=True)
        anorm, amax = norms(work)
    return e, anorm, amax


def scale_upper(a: Any, e: int) -> Any:
    """Multiply the upper triangle (trapezoid) of ``a``, diagonal included, by ``2**e`` in place.

    The compact LU factors keep ``U`` there and the multipliers of ``L``
    (which are scale free) below.  Column by column, so nothing of the size
    of ``a`` is allocated.
    """
    if e:
        for j in range(a.shape[1]):
            ldexp(a[: j + 1, j], e, inplace=True)
    return a
