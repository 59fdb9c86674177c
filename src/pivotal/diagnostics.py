"""Diagnostics: measures of how well a factorization did its job."""

from __future__ import annotations

from typing import Any

from .factorizations.lu import LU

__all__ = ["growth_factor"]


def growth_factor(a: Any, pivoting: str = "partial", *, block_size: int | None = None, method: str = "auto") -> float:
    """Element growth ``rho = max|U| / max|A|`` of Gaussian elimination on ``a``.

    Wilkinson's backward error bound for LU grows with ``rho``; partial
    pivoting keeps ``rho <= 2^(n-1)`` (attained by :func:`pivotal.gallery.gfpp`),
    rook pivoting and complete pivoting keep it small in practice.  This is
    the growth of the final factor ``U`` (Higham, §9.3), the quantity LAPACK's
    ``xGESVX`` reports as reciprocal pivot growth.

    Parameters
    ----------
    a : (M, N) array_like
        Matrix to factor (NumPy or PyTorch).
    pivoting : {"partial", "rook", "complete", "none"}
    block_size, method
        Passed to :class:`pivotal.LU`.

    Returns
    -------
    float
        ``max|U| / max|A|``; 1.0 for a zero matrix.

    Examples
    --------
    >>> import pivotal as pv
    >>> A = pv.gallery.gfpp(10)
    >>> pv.growth_factor(A)
    512.0
    >>> pv.growth_factor(A, pivoting="complete") < 3
    True
    """
    import warnings

    from .errors import PivotGrowthWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PivotGrowthWarning)
        F = LU(a, pivoting=pivoting, block_size=block_size, method=method, check=False)
    return F.growth_factor()
