"""Symbolic factorization: the elimination tree and the nonzero pattern of a factor, without numbers."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from ._input import sparse_matrix
from .ordering import ordering as _ordering

__all__ = ["elimination_tree", "symbolic_fill"]


def _permutation(a: sp.csc_array, order: Any, *, columns: bool) -> np.ndarray:
    n = a.shape[1]
    if isinstance(order, str):
        return _ordering(a, order)
    p = np.asarray(order)
    if p.shape != (n,) or p.dtype.kind not in "iu" or not np.array_equal(np.sort(p), np.arange(n)):
        raise ValueError(
            f"ordering must be a method name or a permutation of 0..{n - 1} (an integer array of "
            f"length {n}); got {order!r:.80}."
        )
    return p.astype(np.int64)


def _upper_csc(a: sp.sparray) -> sp.csc_array:
    """The pattern of ``triu(|A| + |A|^T)`` (diagonal included) as CSC with sorted indices."""
    g = abs(a)
    g = sp.csc_array(sp.triu(g + g.T, format="csc"))
    g.sort_indices()
    return g


def _etree_upper(u: sp.csc_array) -> np.ndarray:
    """Liu's elimination tree from the upper triangle ``u`` (CSC), with path compression."""
    n = u.shape[0]
    parent = np.full(n, -1, dtype=np.int64)
    ancestor = np.full(n, -1, dtype=np.int64)
    indptr, indices = u.indptr, u.indices
    for j in range(n):
        for row in indices[indptr[j] : indptr[j + 1]].tolist():
            # climb from the row to the root of its current subtree, pointing every node at j
            i = row
            while i != -1 and i < j:
                nxt = ancestor[i]
                ancestor[i] = j
                if nxt == -1:
                    parent[i] = j
                i = nxt
    return parent


def elimination_tree(A: Any) -> np.ndarray:
    """The elimination tree of the Cholesky factor of ``A`` (its pattern is read as ``A + A^T``).

    Returns
    -------
    parent : (n,) int64 ndarray
        ``parent[j]`` is the row of the first off-diagonal nonzero of column ``j`` of ``L``
        (``-1`` for a root).

    Examples
    --------
    >>> import scipy.sparse as sp, pivotal.sparse as pvs
    >>> T = sp.diags_array([-1.0, 2.0, -1.0], offsets=[-1, 0, 1], shape=(4, 4))
    >>> pvs.elimination_tree(T).tolist()
    [1, 2, 3, -1]
    """
    a = sparse_matrix(A, "elimination_tree", check_finite=False)
    return _etree_upper(_upper_csc(a))


def symbolic_fill(A: Any, ordering: Any = "natural", *, kind: str = "cholesky") -> sp.csc_array:
    """The nonzero pattern of a factor of ``A`` under ``ordering``, computed without factoring.

    For ``kind="cholesky"`` the pattern of ``L`` in ``P (A + A^T) P^T = L L^T``: the elimination
    tree gives it column by column, ``struct(L[:, j]) = struct(A[j:, j]) + the union of the
    structures of its children's columns below row j`` (George and Liu), in time proportional to
    ``nnz(L)``.  It is exact when no numerical cancellation occurs.  For ``kind="qr"`` the pattern
    of ``R`` in ``A[:, q] = Q R``, the Cholesky pattern of ``(A q)^T (A q)``; by George and Ng's
    theorem it also contains the ``U`` of an LU factorization of ``A[:, q]`` with any row pivoting
    (so it bounds SuperLU's ``U``).

    Parameters
    ----------
    A : scipy.sparse matrix
        Square for ``"cholesky"``; any shape with ``M >= N`` for ``"qr"``.
    ordering : str or (n,) int array
        A method of :func:`pivotal.sparse.ordering`, or the permutation itself (symmetric for
        ``"cholesky"``, of the columns for ``"qr"``).
    kind : {"cholesky", "qr"}

    Returns
    -------
    pattern : (n, n) csc_array of bool
        Lower triangular (``L``) for ``"cholesky"``, upper triangular (``R``) for ``"qr"``, in the
        permuted numbering, diagonal included; ``pattern.nnz`` is the factor's nonzero count.

    Examples
    --------
    >>> import scipy.sparse as sp, pivotal.sparse as pvs
    >>> arrow = sp.lil_array((4, 4)); arrow[0, :] = 1; arrow[:, 0] = 1; arrow.setdiag(4)
    >>> int(symbolic_fill(arrow.tocsc()).nnz)          # the dense first column fills L completely
    10
    >>> int(symbolic_fill(arrow.tocsc(), [3, 2, 1, 0]).nnz)   # eliminated last: no fill
    7
    """
    if kind not in ("cholesky", "qr"):
        raise ValueError(f"kind={kind!r} is not 'cholesky' or 'qr'.")
    a = sparse_matrix(A, "symbolic_fill", square=kind == "cholesky", check_finite=False)
    if kind == "qr" and a.shape[0] < a.shape[1]:
        raise ValueError(f"symbolic_fill(kind='qr') needs M >= N, got {a.shape[0]}x{a.shape[1]}.")
    p = _permutation(a, ordering, columns=kind == "qr")
    if kind == "cholesky":
        b = a[p][:, p]
    else:
        b = a[:, p]
        b = abs(b).T @ abs(b)
    b = sp.csc_array(b)
    b.data[:] = 1
    return _cholesky_pattern(_upper_csc(b), upper=kind == "qr")


def _cholesky_pattern(u: sp.csc_array, *, upper: bool) -> sp.csc_array:
    n = u.shape[0]
    parent = _etree_upper(u)
    lower = sp.csc_array(u.T)  # pattern of the lower triangle, by column
    lower.sort_indices()
    children: list[list[int]] = [[] for _ in range(n)]
    for c in np.flatnonzero(parent >= 0).tolist():
        children[int(parent[c])].append(c)
    pats: list[np.ndarray] = [np.empty(0, np.int64)] * n  # rows below the diagonal of column j
    ip, ix = lower.indptr, lower.indices.astype(np.int64)
    for j in range(n):
        col = ix[ip[j] : ip[j + 1]]
        parts = [col[col > j]] + [pats[c][1:] for c in children[j]]
        pats[j] = np.unique(np.concatenate(parts)) if len(parts) > 1 else parts[0]
    counts = np.fromiter((len(q) + 1 for q in pats), dtype=np.int64, count=n)
    indptr = np.concatenate(([0], np.cumsum(counts)))
    indices = np.concatenate([np.concatenate(([j], q)) for j, q in enumerate(pats)]) if n else np.empty(0)
    L = sp.csc_array((np.ones(indptr[-1], dtype=bool), indices.astype(np.int64), indptr), shape=(n, n))
    return sp.csc_array(L.T) if upper else L
