"""Cholesky factorization ``A = L L^H`` of a Hermitian positive definite matrix.

The kernels read and write only the lower triangle of their argument; the
strict upper triangle may hold anything (including NaN) and is left as is.
Callers that want ``U`` factor the conjugate transpose.

Algorithms
----------
* ``potf2``: left-looking, one column at a time (``dpotf2``, BLAS-2).  This
  is ``block_size=1``.
* ``potrf_blocked``: right-looking blocked algorithm (``dpotrf``): factor a
  diagonal block, one triangular solve for the panel below it, one
  Hermitian rank-k update of the trailing matrix.
* ``potrf_recursive``: split in halves (Gustavson / Ahmed-Pingali
  recursive Cholesky); the default.

A non-positive (or NaN) pivot stops the factorization; the 1-based index of
the failing column is returned as ``info``, LAPACK's convention.

References
----------
F. G. Gustavson and I. Jonsson, "Minimal-storage high-performance Cholesky
factorization via blocking and recursion", IBM J. Res. Dev. 44(6), 2000.
"""

from __future__ import annotations

from typing import Any

from .._array import namespace
from .._backends import get_backend

__all__ = ["RECURSIVE_LEAF", "cholesky_kernel", "potf2", "potrf_blocked", "potrf_recursive"]

RECURSIVE_LEAF = 32


def _is_complex(a, xp) -> bool:
    return xp.isdtype(a.dtype, "complex floating")


def potf2(a: Any) -> int:
    """Unblocked left-looking Cholesky of the lower triangle of ``a``, in place.

    Returns ``info``: 0 on success, else the 1-based index of the column
    whose pivot was not positive.
    """
    xp = namespace(a)
    n = a.shape[0]
    cplx = _is_complex(a, xp)
    for j in range(n):
        row = a[j, :j]
        rowc = xp.conj(row) if cplx else row
        d = xp.real(a[j, j]) if cplx else a[j, j]
        if j:
            d = d - xp.real(xp.sum(row * rowc)) if cplx else d - xp.sum(row * row)
        d = float(d)
        if not d > 0.0:  # also catches NaN
            return j + 1
        piv = d**0.5
        a[j, j] = piv
        if j + 1 < n:
            if j:
                a[j + 1 :, j] -= a[j + 1 :, :j] @ rowc
            a[j + 1 :, j] /= piv
    return 0


def _trailing_update(a: Any, j: int, jb: int, backend) -> None:
    """Panel solve and Hermitian update after the diagonal block at ``j`` is factored."""
    n = a.shape[0]
    if j + jb >= n:
        return
    l11 = a[j : j + jb, j : j + jb]
    l21 = a[j + jb :, j : j + jb]
    # L21 L11^H = A21  ->  L21 = A21 L11^{-H}
    backend.trsm_inplace(l11, l21, lower=True, trans=2, side="right")
    backend.herk_update(a[j + jb :, j + jb :], l21)


def potrf_blocked(a: Any, block_size: int) -> int:
    """Right-looking blocked Cholesky (LAPACK ``dpotrf``) of the lower triangle, in place."""
    backend = get_backend(a)
    n = a.shape[0]
    nb = max(1, int(block_size))
    if nb == 1 or nb >= n:
        return potf2(a)
    for j in range(0, n, nb):
        jb = min(nb, n - j)
        info = potf2(a[j : j + jb, j : j + jb])
        if info:
            return info + j
        _trailing_update(a, j, jb, backend)
    return 0


def _potrf_rec(a: Any, leaf: int, backend) -> int:
    n = a.shape[0]
    if n <= leaf:
        return potf2(a)
    n1 = n // 2
    info = _potrf_rec(a[:n1, :n1], leaf, backend)
    if info:
        return info
    _trailing_update(a, 0, n1, backend)
    info = _potrf_rec(a[n1:, n1:], leaf, backend)
    return info + n1 if info else 0


def potrf_recursive(a: Any, leaf: int = RECURSIVE_LEAF) -> int:
    """Recursive Cholesky of the lower triangle of ``a``, in place."""
    return _potrf_rec(a, max(1, int(leaf)), get_backend(a))


def cholesky_kernel(a: Any, block_size: int | None = None) -> int:
    """Dispatch: ``None`` -> recursive, 1 -> unblocked, ``nb`` -> blocked."""
    if block_size is None:
        return potrf_recursive(a)
    return potrf_blocked(a, block_size)
