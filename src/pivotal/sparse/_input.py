"""Validation of ``scipy.sparse`` input shared by the sparse factorizations and orderings."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

__all__ = ["hermitian_defect", "is_sparse", "one_norm", "sparse_matrix"]

_DTYPES = (np.float32, np.float64, np.complex64, np.complex128)


def is_sparse(a: Any) -> bool:
    """True for a ``scipy.sparse`` matrix or array."""
    return sp.issparse(a)


def sparse_matrix(a: Any, owner: str, *, square: bool = True, check_finite: bool = True) -> sp.csc_array:
    """``a`` as a CSC array with sorted indices, no duplicates and a SuperLU dtype (a copy).

    Integer and boolean matrices become float64.  Raises ``TypeError`` for a
    dense ``a``, ``ValueError`` for NaN/Inf (with ``check_finite``) and,
    with ``square``, for a rectangular matrix.
    """
    if not sp.issparse(a):
        raise TypeError(
            f"pivotal.{owner} needs a scipy.sparse matrix, got {type(a).__name__}; "
            "wrap it with scipy.sparse.csc_array(a), or use the dense factorizations."
        )
    if len(a.shape) != 2:
        raise ValueError(f"pivotal.{owner} needs a 2-D sparse matrix, got shape {a.shape}.")
    m, n = a.shape
    if square and m != n:
        raise ValueError(
            f"pivotal.{owner} needs a square matrix, got {m}x{n}; for a rectangular system "
            "use pivotal.lstsq, which solves sparse least-squares problems."
        )
    kind = np.dtype(a.dtype).kind
    if kind in "biu":
        dtype = np.dtype(np.float64)
    elif kind not in "fc":
        raise TypeError(f"pivotal.{owner} needs a numeric sparse matrix, got dtype {a.dtype}.")
    elif a.dtype in _DTYPES:
        dtype = np.dtype(a.dtype)
    else:  # long double: SuperLU works in double at most
        dtype = np.dtype(np.complex128 if kind == "c" else np.float64)
    c = sp.csc_array(a, dtype=dtype, copy=True)
    c.sum_duplicates()
    c.sort_indices()
    if check_finite and not np.isfinite(c.data).all():
        bad = np.flatnonzero(~np.isfinite(c.data))[0]
        col = int(np.searchsorted(c.indptr, bad, side="right") - 1)
        raise ValueError(
            f"pivotal.{owner}: the matrix contains NaN or Inf (first at row {int(c.indices[bad])}, "
            f"column {col}); remove or replace the non-finite entries (e.g. A.data = "
            "np.nan_to_num(A.data)) before factoring."
        )
    return c


def one_norm(a: sp.sparray) -> float:
    """``||A||_1``, the largest absolute column sum, from the stored entries."""
    if a.shape[0] == 0 or a.shape[1] == 0:
        return 0.0
    return float(np.max(abs(a).sum(axis=0)))


def hermitian_defect(a: sp.sparray) -> float:
    """``max |A - A^H|`` relative to ``max |A|`` (0 for an exactly Hermitian matrix)."""
    if a.nnz == 0:
        return 0.0
    d = a - a.conj().T
    top = float(abs(a).max())
    return float(abs(d).max()) / top if d.nnz else 0.0
