"""Gaussian elimination: LU with partial, rook, complete or no pivoting.

All kernels overwrite their input with the compact factors (``L`` strictly
below the diagonal with an implicit unit diagonal, ``U`` on and above it)
and return host-side permutation vectors ``perm`` and ``cperm`` such that::

    A[perm][:, cperm] == L @ U        (cperm is the identity unless rook/complete)

Algorithms
----------
* ``getf2``: the textbook right-looking algorithm, one column at a time with
  a rank-1 update (BLAS-2).  This is ``block_size=1``.
* ``getrf_blocked``: LAPACK's right-looking blocked algorithm; each panel of
  ``block_size`` columns is factored by ``getf2``, then a triangular solve
  and one matrix product update the trailing matrix (BLAS-3).
* ``getrf_recursive``: Toledo's recursive LU, which splits the columns in
  half; nearly all flops land in large matrix products.  The default.
* rook and complete pivoting are inherently unblocked: each pivot search
  needs the fully updated Schur complement.

A zero pivot does not stop partial, rook or complete pivoting (the column
is already eliminated); its 1-based index is returned as ``info`` the way
LAPACK's ``getrf`` does.  Without pivoting a zero pivot above a nonzero
column is a breakdown: elimination of that column is skipped and ``info``
records it.

References
----------
S. Toledo, "Locality of reference in LU decomposition with partial pivoting",
SIAM J. Matrix Anal. Appl. 18(4), 1997.
N. J. Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed.,
SIAM 2002, ch. 9 (pivoting strategies and growth).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._array import backend_name, namespace
from .._backends import get_backend
from .._permutations import ipiv_to_perm, perm_to_ipiv

__all__ = [
    "PIVOTING",
    "RECURSIVE_LEAF",
    "LUKernelResult",
    "getf2",
    "getrf_blocked",
    "getrf_recursive",
    "ipiv_to_perm",
    "lu_kernel",
    "perm_to_ipiv",
]

PIVOTING = ("partial", "rook", "complete", "none")
RECURSIVE_LEAF = 32


@dataclass
class LUKernelResult:
    """Compact LU factors and permutations (host NumPy integer arrays)."""

    lu: Any
    perm: np.ndarray
    cperm: np.ndarray | None
    info: int


def _index(a: Any, idx: np.ndarray):
    """An index array usable with ``a``'s backend."""
    if backend_name(a) == "torch":
        import torch

        return torch.as_tensor(idx, device=a.device)
    return idx


_PERMUTE_CHUNK = 128


def _permute_rows(block: Any, local_perm: np.ndarray) -> None:
    """Reorder the rows of ``block`` in place: new row i = old row local_perm[i].

    Only the rows that move are touched, a slab of columns at a time, so the
    gather's temporary stays small (large fresh temporaries cost page faults).
    """
    moved = np.nonzero(local_perm != np.arange(local_perm.shape[0]))[0]
    if not moved.shape[0]:
        return
    dst, src = _index(block, moved), _index(block, local_perm[moved])
    ncols = block.shape[1]
    for c0 in range(0, ncols, _PERMUTE_CHUNK):
        c1 = min(c0 + _PERMUTE_CHUNK, ncols)
        block[dst, c0:c1] = block[src, c0:c1]


def _swap_rows(a: Any, i: int, j: int) -> None:
    """Interchange rows ``i`` and ``j`` by two slice copies (fancy indexing costs several times more)."""
    if i != j:
        tmp = a[i, :].copy() if isinstance(a, np.ndarray) else a[i, :].clone()
        a[i, :] = a[j, :]
        a[j, :] = tmp


def _swap_cols(a: Any, i: int, j: int) -> None:
    if i != j:
        a[:, [i, j]] = a[:, [j, i]]


def _eliminate(a: Any, j: int, backend, pad: Any = None) -> bool:
    """Scale column ``j`` below the pivot and apply the rank-1 update.

    Returns False when the pivot is zero; then the column is left as it is
    (it must already be zero below the pivot for a valid factorization).

    ``pad`` (NumPy, length ``m``, zero in its first ``j`` entries) makes the
    update full height: ``a[:, j+1:] -= pad y^T`` with ``pad`` holding the
    multipliers below row ``j`` and zeros above, so that BLAS receives
    whole columns of a column-major ``a`` (the backend's cheap ``ger``
    path) instead of a strided sub-block.  The rows above add ``0 * y`` and
    stay as they are, which needs ``y`` finite: otherwise (``||y||_2^2``
    not finite) the sub-block is updated.
    """
    m, n = a.shape
    if pad is not None:
        pad[j] = 0  # keeps pad[:j+1] zero for the next column, whatever happens here
    piv = a[j, j]
    if not bool(piv != 0):
        return False
    if j + 1 < m:
        a[j + 1 :, j] /= piv
        if j + 1 < n:
            y = a[j, j + 1 :]
            if pad is not None and math.isfinite(abs(np.vdot(y, y))):
                pad[j + 1 :] = a[j + 1 :, j]
                backend.ger_update(a[:, j + 1 :], pad, y)
            else:
                backend.ger_update(a[j + 1 :, j + 1 :], a[j + 1 :, j], y)
    return True


def _rook_pivot(s: Any, xp) -> tuple[int, int, float]:
    """Rook search in the Schur complement ``s``: an entry maximal in its row and column."""
    c = 0
    colabs = xp.abs(s[:, c])
    r = int(xp.argmax(colabs))
    best = float(colabs[r])
    if best == 0.0:
        return _complete_pivot(s, xp)
    while True:
        rowabs = xp.abs(s[r, :])
        c2 = int(xp.argmax(rowabs))
        if float(rowabs[c2]) <= best:
            return r, c, best
        c, best = c2, float(rowabs[c2])
        colabs = xp.abs(s[:, c])
        r2 = int(xp.argmax(colabs))
        if float(colabs[r2]) <= best:
            return r, c, best
        r, best = r2, float(colabs[r2])


def _complete_pivot(s: Any, xp) -> tuple[int, int, float]:
    absval = xp.abs(s)
    flat = int(xp.argmax(xp.reshape(absval, (-1,))))
    r, c = divmod(flat, s.shape[1])
    return r, c, float(absval[r, c])


def getf2(a: Any, pivoting: str = "partial") -> LUKernelResult:
    """Unblocked right-looking LU (the textbook algorithm), in place.

    Parameters
    ----------
    a : (m, n) array
        Overwritten with the compact factors.
    pivoting : {"partial", "rook", "complete", "none"}

    Returns
    -------
    LUKernelResult
    """
    return _getf2(a, pivoting, full_height=False)


def _getf2(a: Any, pivoting: str, full_height: bool) -> LUKernelResult:
    """:func:`getf2`; ``full_height`` (a column-major NumPy panel) updates whole columns (see :func:`_eliminate`)."""
    xp = namespace(a)
    backend = get_backend(a)
    m, n = a.shape
    k = min(m, n)
    perm = np.arange(m)
    cperm = np.arange(n) if pivoting in ("rook", "complete") else None
    pad = np.zeros(m, dtype=a.dtype) if full_height else None
    iamax = backend.iamax
    partial = pivoting == "partial"
    info = 0
    for j in range(k):
        if partial:
            p = j + iamax(a[j:, j])
            if p != j:
                _swap_rows(a, j, p)
                perm[j], perm[p] = perm[p], perm[j]
        elif pivoting in ("rook", "complete"):
            search = _rook_pivot if pivoting == "rook" else _complete_pivot
            r, c, best = search(a[j:, j:], xp)
            if best == 0.0:
                # The whole Schur complement is zero: the rest of U is zero.
                return LUKernelResult(a, perm, cperm, info or j + 1)
            _swap_rows(a, j, j + r)
            perm[[j, j + r]] = perm[[j + r, j]]
            _swap_cols(a, j, j + c)
            cperm[[j, j + c]] = cperm[[j + c, j]]
        if not _eliminate(a, j, backend, pad) and info == 0:
            info = j + 1
    return LUKernelResult(a, perm, cperm, info)


def _panel_update(a: Any, j: int, jb: int, backend) -> None:
    """U12 <- L11^{-1} A12 and A22 <- A22 - L21 U12 for the panel at column j."""
    m, n = a.shape
    if j + jb >= n:
        return
    backend.trsm_inplace(a[j : j + jb, j : j + jb], a[j : j + jb, j + jb :], lower=True, unit_diagonal=True)
    if j + jb < m:
        backend.gemm_update(a[j + jb :, j + jb :], a[j + jb :, j : j + jb], a[j : j + jb, j + jb :])


def getrf_blocked(a: Any, block_size: int, pivoting: str = "partial") -> LUKernelResult:
    """LAPACK-style blocked right-looking LU (``dgetrf``), in place.

    Only ``pivoting`` "partial" and "none" can be blocked.
    """
    if pivoting not in ("partial", "none"):
        raise ValueError("only partial pivoting and no pivoting can be blocked")
    backend = get_backend(a)
    m, n = a.shape
    k = min(m, n)
    nb = max(1, int(block_size))
    if nb == 1 or nb >= k:
        return getf2(a, pivoting)
    perm = np.arange(m)
    info = 0
    for j in range(0, k, nb):
        jb = min(nb, k - j)
        panel = getf2(a[j:, j : j + jb], pivoting)
        if panel.info and not info:
            info = panel.info + j
        if pivoting == "partial":
            _permute_rows(a[j:, :j], panel.perm)
            _permute_rows(a[j:, j + jb :], panel.perm)
            perm[j:] = perm[j:][panel.perm]
        _panel_update(a, j, jb, backend)
    return LUKernelResult(a, perm, None, info)


def _leaf(a: Any, pivoting: str) -> LUKernelResult:
    """Unblocked LU of a tall, narrow panel.

    A NumPy panel is factored in a column-major copy: its column operations
    are then contiguous, which matters when the panel is a slice of a large
    row-major matrix (copying ``m x leaf`` entries twice is cheap), and each
    rank-1 update covers whole columns of the copy (at most ``leaf`` rows
    more than needed), which the NumPy backend hands to BLAS ``ger`` with
    little call overhead.
    """
    if isinstance(a, np.ndarray):
        work = a if a.flags.f_contiguous else np.asfortranarray(a)
        res = _getf2(work, pivoting, full_height=True)
        if work is not a:
            a[...] = work
            res.lu = a
        return res
    return getf2(a, pivoting)


def _getrf_rec(a: Any, pivoting: str, leaf: int, backend) -> LUKernelResult:
    n = a.shape[1]  # n <= m
    if n <= leaf:
        return _leaf(a, pivoting)
    n1 = n // 2
    left = _getrf_rec(a[:, :n1], pivoting, leaf, backend)
    if pivoting == "partial":
        _permute_rows(a[:, n1:], left.perm)
    _panel_update(a, 0, n1, backend)
    right = _getrf_rec(a[n1:, n1:], pivoting, leaf, backend)
    perm = left.perm
    if pivoting == "partial":
        _permute_rows(a[n1:, :n1], right.perm)
        perm = perm.copy()
        perm[n1:] = perm[n1:][right.perm]
    info = left.info or (right.info + n1 if right.info else 0)
    return LUKernelResult(a, perm, None, info)


def getrf_recursive(a: Any, pivoting: str = "partial", leaf: int = RECURSIVE_LEAF) -> LUKernelResult:
    """Recursive LU (Toledo 1997), in place; for partial or no pivoting."""
    if pivoting not in ("partial", "none"):
        raise ValueError("only partial pivoting and no pivoting can be recursive")
    backend = get_backend(a)
    m, n = a.shape
    k = min(m, n)
    res = _getrf_rec(a[:, :k], pivoting, max(1, leaf), backend)
    if n > k:  # wide matrix: finish the trailing columns with one triangular solve
        if pivoting == "partial":
            _permute_rows(a[:, k:], res.perm)
        _panel_update(a, 0, k, backend)
    return LUKernelResult(a, res.perm, None, res.info)


def lu_kernel(a: Any, pivoting: str = "partial", block_size: int | None = None) -> LUKernelResult:
    """Dispatch to the LU algorithm selected by ``pivoting`` and ``block_size``.

    ``block_size=None`` means the recursive algorithm for partial/no pivoting;
    rook and complete pivoting only exist unblocked.
    """
    if pivoting in ("rook", "complete"):
        return getf2(a, pivoting)
    if block_size is None:
        return getrf_recursive(a, pivoting)
    return getrf_blocked(a, block_size, pivoting)
