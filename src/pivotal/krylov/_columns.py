"""Column-wise arithmetic on ``(n, k)`` blocks: each column is one independent Krylov iteration.

The solvers keep one scalar per column (a ``(k,)`` array in the block's
namespace and device) and advance all columns together; a column that has
converged (or broken down) is frozen by :func:`where` masks, not by leaving
the loop, so the block products stay batched.  Nothing here writes into
its arguments.
"""

from __future__ import annotations

from typing import Any

__all__ = ["cdot", "cnorm", "sdiv", "update"]


def cdot(xp, a: Any, b: Any, cplx: bool) -> Any:
    """``a[:, j]^H b[:, j]`` for every column ``j`` (a ``(k,)`` array)."""
    return xp.sum((xp.conj(a) if cplx else a) * b, axis=0)


def cnorm(xp, a: Any) -> Any:
    """The 2-norm of every column of ``a`` (a real ``(k,)`` array)."""
    return xp.linalg.vector_norm(a, axis=0)


def sdiv(xp, num: Any, den: Any, ok: Any = None) -> Any:
    """``num / den`` where ``den != 0`` (and ``ok``), zero elsewhere: no Inf/NaN from idle columns."""
    good = den != 0 if ok is None else ok & (den != 0)
    one = xp.ones_like(den)
    return xp.where(good, num / xp.where(good, den, one), xp.zeros_like(num))


def update(xp, mask: Any, new: Any, old: Any) -> Any:
    """``new`` in the columns where ``mask`` (a ``(k,)`` bool array) holds, ``old`` elsewhere."""
    return xp.where(mask[None, :], new, old)
