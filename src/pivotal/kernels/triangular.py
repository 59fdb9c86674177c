"""Triangular solves: forward and back substitution, blocked for BLAS-3.

The kernels work on NumPy arrays and PyTorch tensors alike (any array that
supports slicing assignment and ``@``).  ``block_size=1`` is the textbook
column-oriented substitution; a larger block size solves ``block_size``
unknowns at a time by substitution and updates the remaining right-hand
sides with one matrix product (BLAS-3).
"""

from __future__ import annotations

from typing import Any

from .._array import namespace
from ..errors import SingularMatrixError

__all__ = ["DEFAULT_TRSM_BLOCK", "first_zero_diagonal", "trsm_blocked", "trsv_unblocked"]

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
