"""Fill-reducing orderings of sparse matrices: :func:`ordering`."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.csgraph as csgraph
import scipy.sparse.linalg as sla

from ._input import sparse_matrix

__all__ = ["METHODS", "ordering", "symmetric_pattern"]

#: The methods :func:`ordering` knows.
METHODS = ("natural", "rcm", "amd", "colamd", "mmd_ata", "mmd_at_plus_a", "nested_dissection")
_SUPERLU = {"colamd": "COLAMD", "mmd_ata": "MMD_ATA", "mmd_at_plus_a": "MMD_AT_PLUS_A"}


def symmetric_pattern(a: sp.sparray) -> sp.csr_array:
    """The pattern of ``|A| + |A|^T`` without the diagonal (the graph of a symmetric ordering), as 0/1."""
    g = abs(a)
    g = sp.csr_array(g + g.T)
    g.setdiag(0)
    g.eliminate_zeros()
    g.data[:] = 1
    return g


def ordering(A: Any, method: str = "amd") -> np.ndarray:
    """A fill-reducing permutation of the sparse matrix ``A``.

    Parameters
    ----------
    A : scipy.sparse matrix
        Square.
    method : str
        ``"natural"``
            The identity.
        ``"rcm"``
            Reverse Cuthill-McKee on the graph of ``A + A^T`` (``scipy.sparse.csgraph``): a small
            bandwidth/profile, not minimal fill.
        ``"amd"``
            Approximate minimum degree on ``A + A^T``, computed by CHOLMOD through the ``sparse``
            extra's binding.  That binding (cholespy) applies AMD inside its factorization but does
            not return the permutation, so this method raises ``ImportError`` naming the
            alternatives; ``"mmd_at_plus_a"`` is the minimum-degree ordering available everywhere
            (and PARDISO's minimum-degree order is ``SparseCholesky(A, engine="pardiso").perm``).
        ``"colamd"``, ``"mmd_ata"``, ``"mmd_at_plus_a"``
            SuperLU's column orderings (column approximate minimum degree; multiple minimum degree
            on ``A^T A``; on ``A + A^T``).  SuperLU computes them only while factoring, so this
            factors ``A`` once (``A`` must be square and nonsingular for that).
        ``"nested_dissection"``
            METIS multilevel nested dissection on ``A + A^T`` (pymetis, in the ``sparse`` extra).

    Returns
    -------
    perm : (n,) int64 ndarray
        ``A[perm][:, perm]`` (for column orderings ``A[:, perm]``) is the reordered matrix.

    Raises
    ------
    ImportError
        When the package a method needs is not installed (the message names the extra).
    ValueError
        For an unknown method, NaN/Inf, or a shape the method cannot order.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp, pivotal.sparse as pvs
    >>> T = sp.diags_array([-1.0, 2.0, -1.0], offsets=[-1, 0, 1], shape=(5, 5))
    >>> pvs.ordering(T, "natural")
    array([0, 1, 2, 3, 4])
    >>> p = pvs.ordering(sp.kron(T, sp.eye_array(5)) + sp.kron(sp.eye_array(5), T), "rcm")
    >>> sorted(p.tolist()) == list(range(25))
    True
    """
    if method not in METHODS:
        raise ValueError(f"method={method!r} is not one of {METHODS}.")
    a = sparse_matrix(A, "ordering")
    n = a.shape[1]
    if method == "natural" or n == 0:
        return np.arange(n, dtype=np.int64)
    if method == "rcm":
        return np.asarray(csgraph.reverse_cuthill_mckee(symmetric_pattern(a), symmetric_mode=True), np.int64)
    if method == "nested_dissection":
        return nested_dissection(a)
    if method == "amd":
        raise ImportError(
            "ordering(A, 'amd') needs a CHOLMOD binding that returns its permutation; the sparse "
            "extra's binding (cholespy) applies AMD inside SparseCholesky without returning it. Use "
            "'mmd_at_plus_a' (SuperLU's minimum degree on A + A^T) or 'nested_dissection' "
            "(pip install 'pivotal[sparse]'); with that extra on x86-64, "
            "SparseCholesky(A, engine='pardiso').perm is PARDISO's minimum-degree order."
        )
    return _superlu_ordering(a, method)


def _superlu_ordering(a: sp.csc_array, method: str) -> np.ndarray:
    try:
        lu = sla.splu(a, permc_spec=_SUPERLU[method])
    except RuntimeError as err:
        raise ValueError(
            f"ordering(A, {method!r}): SuperLU computes this ordering while factoring, and A is "
            f"singular ({err}); use 'rcm' or 'nested_dissection', which read only the pattern."
        ) from None
    return np.asarray(lu.perm_c, dtype=np.int64)


def nested_dissection(a: sp.sparray) -> np.ndarray:
    """METIS nested dissection of the graph of ``A + A^T`` through pymetis (the ``sparse`` extra)."""
    try:
        import pymetis
    except ImportError:
        raise ImportError(
            "ordering(A, 'nested_dissection') needs pymetis: pip install 'pivotal[sparse]' "
            "(or pip install pymetis)."
        ) from None
    g = symmetric_pattern(a)
    n = g.shape[0]
    if g.nnz == 0:  # a diagonal matrix: METIS needs at least one edge
        return np.arange(n, dtype=np.int64)
    adjacency = pymetis.CSRAdjacency(g.indptr.astype(np.int64), g.indices.astype(np.int64))
    perm, _ = pymetis.nested_dissection(adjacency=adjacency)
    return np.asarray(perm, dtype=np.int64)
