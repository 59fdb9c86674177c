"""Permutation helpers: LAPACK interchange vectors versus permutation vectors."""

from __future__ import annotations

import numpy as np

__all__ = ["invert_perm", "ipiv_to_perm", "perm_sign", "perm_to_ipiv"]


def perm_to_ipiv(perm: np.ndarray) -> np.ndarray:
    """LAPACK-style (0-based) sequential interchanges equivalent to ``perm``.

    ``ipiv[i] = j`` means rows ``i`` and ``j`` were swapped at step ``i``;
    applying the swaps in order to ``arange(m)`` gives ``perm``.
    """
    perm = np.asarray(perm)
    m = perm.shape[0]
    current = np.arange(m)  # current[i] = original row now at position i
    where = np.arange(m)  # where[r] = position of original row r
    ipiv = np.empty(m, dtype=np.int32)
    for i in range(m):
        j = where[perm[i]]
        ipiv[i] = j
        if j != i:
            ri, rj = current[i], current[j]
            current[i], current[j] = rj, ri
            where[ri], where[rj] = j, i
    return ipiv


def ipiv_to_perm(ipiv, m: int | None = None) -> np.ndarray:
    """Apply 0-based LAPACK interchanges ``ipiv`` to ``arange(m)``: the row order with ``A[perm] = L U``.

    ``m`` (default ``len(ipiv)``) is the number of rows; a rectangular factorization's ``ipiv`` has
    ``min(m, n)`` entries, and only its first ``m`` interchanges are applied.

    Examples
    --------
    >>> ipiv_to_perm(np.array([2, 2, 2]), 3).tolist()
    [2, 0, 1]
    >>> ipiv_to_perm(np.array([1, 1]), 4).tolist()   # a tall (4, 2) factorization
    [1, 0, 2, 3]
    """
    ipiv = np.asarray(ipiv)
    m = ipiv.shape[0] if m is None else m
    perm = np.arange(m)
    for i, j in enumerate(ipiv[:m].tolist()):
        if i != j:
            perm[i], perm[j] = perm[j], perm[i]
    return perm


def invert_perm(perm: np.ndarray) -> np.ndarray:
    """The inverse permutation: ``invert_perm(p)[p] == arange(len(p))``."""
    perm = np.asarray(perm)
    inv = np.empty_like(perm)
    inv[perm] = np.arange(perm.shape[0])
    return inv


def perm_sign(perm: np.ndarray) -> int:
    """Sign (+1/-1) of a permutation, from its cycle decomposition."""
    perm = np.asarray(perm)
    seen = np.zeros(perm.shape[0], dtype=bool)
    sign = 1
    for i in range(perm.shape[0]):
        if not seen[i]:
            j, length = i, 0
            while not seen[j]:
                seen[j] = True
                j = perm[j]
                length += 1
            if length % 2 == 0:
                sign = -sign
    return sign
