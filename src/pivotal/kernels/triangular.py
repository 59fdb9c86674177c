"""Triangular solves: forward and back substitution, blocked for BLAS-3.

The kernels work on NumPy arrays and PyTorch tensors alike (any array that
supports slicing assignment and ``@``).  ``block_size=1`` is the textbook
column-oriented substitution; a larger block size solves ``block_size``
unknowns at a time by substitution and updates the remaining right-hand
sides with one matrix product (BLAS-3).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._array import namespace, real_dtype, to_float
from .._scaling import ldexp, max_abs, scale_exponent
from ..errors import SingularMatrixError

__all__ = [
    "DEFAULT_TRSM_BLOCK",
    "first_zero_diagonal",
    "solve_in_range",
    "trsm_blocked",
    "trsv_unblocked",
]

DEFAULT_TRSM_BLOCK = 64


def first_zero_diagonal(t: Any) -> int | None:
    """Index of the first exactly-zero diagonal entry of ``t``, or ``None``."""
    xp = namespace(t)
    n = min(t.shape[-2], t.shape[-1])
    if n == 0:
        return None
    d = xp.linalg.diagonal(t)
    zero = xp.nonzero(d == 0)[0]
    if zero.shape[0] == 0:
        return None
    return int(zero[0])


def _conj(x, xp):
    return xp.conj(x) if xp.isdtype(x.dtype, "complex floating") else x


def _as_lower_problem(t, trans, lower, xp):
    """Rewrite ``op(t) x = b`` as a plain triangular solve: returns ``(T, lower)``."""
    if trans == 0:
        return t, lower
    tt = t.T
    if trans == 2:
        tt = _conj(tt, xp)
    return tt, not lower


def trsv_unblocked(t: Any, b: Any, *, lower: bool, unit_diagonal: bool = False) -> Any:
    """Textbook substitution, one unknown at a time, overwriting ``b`` (n, k).

    Column-oriented ("axpy") form: after ``x_j`` is known it is eliminated
    from the remaining equations.  The diagonal must be nonzero.
    """
    n = t.shape[0]
    order = range(n) if lower else range(n - 1, -1, -1)
    for j in order:
        if not unit_diagonal:
            b[j, :] = b[j, :] / t[j, j]
        if lower:
            if j + 1 < n:
                b[j + 1 :, :] -= t[j + 1 :, j : j + 1] * b[j : j + 1, :]
        elif j > 0:
            b[:j, :] -= t[:j, j : j + 1] * b[j : j + 1, :]
    return b


def trsm_blocked(
    t: Any,
    b: Any,
    *,
    lower: bool,
    trans: int = 0,
    unit_diagonal: bool = False,
    block_size: int | None = None,
) -> Any:
    """Solve ``op(t) @ x = b`` by blocked substitution, overwriting ``b``.

    Parameters
    ----------
    t : (n, n) array
        Triangular matrix; only the ``lower`` (or upper) triangle is read.
    b : (n, k) array
        Right-hand sides, overwritten by the solution.
    lower : bool
        Whether ``t`` is lower triangular.
    trans : {0, 1, 2}
        Solve with ``t`` (0), ``t.T`` (1) or ``t.conj().T`` (2).
    unit_diagonal : bool
        Treat the diagonal as ones without reading it.
    block_size : int, optional
        Number of unknowns solved per step; 1 is the unblocked algorithm.

    Raises
    ------
    SingularMatrixError
        If a diagonal entry is exactly zero (and ``unit_diagonal`` is false).
    """
    xp = namespace(t, b)
    n = t.shape[0]
    if not unit_diagonal:
        idx = first_zero_diagonal(t)
        if idx is not None:
            raise SingularMatrixError(
                idx,
                f"singular matrix: diagonal entry {idx} of the triangular matrix is "
                "exactly zero, so the system has no unique solution. Use lstsq for a "
                "least-squares solution.",
            )
    tt, low = _as_lower_problem(t, trans, lower, xp)
    nb = DEFAULT_TRSM_BLOCK if block_size is None else int(block_size)
    if nb <= 1 or n <= nb:
        return trsv_unblocked(tt, b, lower=low, unit_diagonal=unit_diagonal)
    starts = list(range(0, n, nb))
    if not low:
        starts.reverse()
    for j0 in starts:
        j1 = min(j0 + nb, n)
        trsv_unblocked(tt[j0:j1, j0:j1], b[j0:j1, :], lower=low, unit_diagonal=unit_diagonal)
        if low:
            if j1 < n:
                b[j1:, :] -= tt[j1:, j0:j1] @ b[j0:j1, :]
        elif j0 > 0:
            b[:j0, :] -= tt[:j0, j0:j1] @ b[j0:j1, :]
    return b


def _smallest_normal(dtype: Any) -> float:
    dtype = real_dtype(dtype)
    if hasattr(dtype, "is_floating_point"):  # a torch dtype
        import torch

        return float(torch.finfo(dtype).tiny)
    return float(np.finfo(np.dtype(dtype)).tiny)


def solve_in_range(
    solver: Callable[..., Any], t: Any, b: Any, *, lower: bool, trans: int = 0, unit_diagonal: bool = False
) -> Any:
    """``solver(t, b, ...)``, done on ``2**e t`` when the diagonal of ``t`` is subnormal; overwrites ``b``.

    BLAS ``xTRSM`` (and LAPACK's ``xGETRS``/``xGBTRS``, which call it)
    multiplies by the reciprocals of the diagonal entries; for a subnormal
    entry the reciprocal overflows and the solution is NaN, although the
    system may be perfectly well conditioned (``t`` of order ``1e-310``).
    When a diagonal entry is nonzero and below the smallest normal number,
    the triangle is copied and scaled by ``2**e``
    (:func:`pivotal._scaling.scale_exponent`: ``max |t_ij|`` just inside the
    safe range, an exact scaling for such a ``t``), the system
    ``op(2**e t) y = b`` is solved and ``x = 2**e y``, which is in range
    whenever ``x`` is (see :mod:`pivotal.factorizations.scaling`).  A
    diagonal in the normal range costs one pass over the diagonal and
    nothing else.

    ``solver(t, b, *, lower, trans, unit_diagonal)`` is an in-place
    triangular solver (BLAS ``trsm`` or :func:`trsm_blocked`); only the
    ``lower`` (or upper) triangle of ``t`` is read, so ``t`` may hold other
    data in the other triangle (compact LU factors).

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.linalg import solve_triangular
    >>> from pivotal.kernels.triangular import solve_in_range
    >>> def blas(t, b, *, lower, trans=0, unit_diagonal=False):
    ...     b[...] = solve_triangular(t, b, lower=lower, trans=trans, unit_diagonal=unit_diagonal)
    ...     return b
    >>> t = np.array([[2.0, 1.0], [0.0, 4.0]]) * 2.0**-1060
    >>> b = t.T @ np.ones((2, 1))
    >>> solve_in_range(blas, t, b, lower=False, trans=1).ravel()
    array([1., 1.])
    """
    n = t.shape[0]
    if unit_diagonal or n == 0 or 0 in b.shape:
        return solver(t, b, lower=lower, trans=trans, unit_diagonal=unit_diagonal)
    xp = namespace(t)
    dmin = to_float(xp.min(xp.abs(xp.linalg.diagonal(t))))
    if not 0 < dmin < _smallest_normal(t.dtype):  # also NaN: nothing to rescue
        return solver(t, b, lower=lower, trans=trans)
    tri = xp.tril(t) if lower else xp.triu(t)  # a new array, the other triangle zero
    e = scale_exponent(max_abs(tri), t.dtype)
    if e == 0:  # max |t_ij| in range, a pivot below it by 1e162 or more: nothing scaling can do
        return solver(t, b, lower=lower, trans=trans)
    solver(ldexp(tri, e, inplace=True), b, lower=lower, trans=trans)
    return ldexp(b, e, inplace=True)
