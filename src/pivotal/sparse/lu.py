"""Sparse LU with partial pivoting (SuperLU through SciPy): :class:`SparseLU`."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as sla

from ..errors import SingularMatrixError
from ..factorizations.base import det_parts
from ._input import one_norm, sparse_matrix
from .fill import FillReport, SparseFactorization, permutation_sign

__all__ = ["SparseLU", "singular_column"]

_SPECS = {"colamd": "COLAMD", "mmd_ata": "MMD_ATA", "mmd_at_plus_a": "MMD_AT_PLUS_A", "natural": "NATURAL"}
_TRANS = {0: "N", 1: "T", 2: "H"}


def singular_column(a: sp.csc_array, permc_spec: str, **options: Any) -> int:
    """The column at which SuperLU's LU of the singular ``a`` breaks down (SciPy does not return it).

    A structurally singular matrix gives the first column a maximum matching leaves unmatched.
    Otherwise ``a + s I`` with ``s = 2**-20 ||A||_1`` is factored the same way and the column of its
    smallest pivot in modulus is returned: the pivot the shift kept from being zero.
    """
    import scipy.sparse.csgraph as csgraph

    n = a.shape[0]
    match = csgraph.maximum_bipartite_matching(sp.csr_array(a), perm_type="row")  # row of each column
    unmatched = np.flatnonzero(match < 0)
    if unmatched.size:
        return int(unmatched[0])
    shift = np.ldexp(max(one_norm(a), np.finfo(np.float64).tiny), -20)
    try:
        lu = sla.splu(
            sp.csc_array(a + shift * sp.eye_array(n, format="csc")), permc_spec=permc_spec, **options
        )
    except RuntimeError:  # pragma: no cover - the shift failed too: name the first column
        return 0
    return int(lu.perm_c[int(np.argmin(abs(lu.U.diagonal())))])


class SparseLU(SparseFactorization):
    """``Pr A Pc = L U`` of a sparse matrix: SuperLU (``scipy.sparse.linalg.splu``) behind pivotal's interface.

    Parameters
    ----------
    A : (n, n) scipy.sparse matrix
        float32/float64/complex64/complex128 (integers are converted to float64).
    ordering : {"colamd", "mmd_ata", "mmd_at_plus_a", "natural"}
        SuperLU's column ordering ``Pc``: column approximate minimum degree (SciPy's default),
        multiple minimum degree on ``A^T A`` or on ``A + A^T`` (for nearly symmetric matrices),
        or none.
    diag_pivot_thresh : float, optional
        Threshold partial pivoting: a diagonal entry is kept as pivot when it is at least this
        fraction of the column's largest (1 = classical partial pivoting, SuperLU's default).
    check : bool
        Raise :class:`~pivotal.SingularMatrixError` when the matrix is singular; with False keep
        the unsuccessful factorization (``issuccess()`` is False, ``solve`` raises).
    check_finite : bool
        Raise ``ValueError`` for NaN/Inf in ``A``.

    Attributes
    ----------
    L, U : csc_array
        The factors (``L`` unit lower triangular).
    perm_r, perm_c : (n,) int ndarray
        SuperLU's permutations: ``Pr A Pc = L U`` with ``Pr[perm_r[i], i] = 1`` and
        ``Pc[i, perm_c[i]] = 1`` (SciPy's convention).
    fill : FillReport
        nnz(A), nnz(L) + nnz(U), their ratio, the ordering and the time taken.
    path : list of str
        What was done.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp, pivotal as pv
    >>> A = sp.csc_array(np.array([[4.0, 1.0, 0.0], [1.0, 0.0, 2.0], [0.0, 3.0, 5.0]]))
    >>> F = pv.SparseLU(A)
    >>> x = F.solve(np.ones(3))
    >>> bool(np.allclose(A @ x, 1.0)), bool(np.isclose(F.det(), np.linalg.det(A.toarray())))
    (True, True)
    >>> F.fill.ordering
    'colamd'
    """

    def __init__(
        self,
        A: Any,
        *,
        ordering: str = "colamd",
        diag_pivot_thresh: float | None = None,
        check: bool = True,
        check_finite: bool = True,
    ):
        if ordering not in _SPECS:
            raise ValueError(
                f"ordering={ordering!r} is not one of {tuple(_SPECS)} (SuperLU's column orderings); "
                "for a symmetric ordering of an SPD matrix use SparseCholesky."
            )
        a = sparse_matrix(A, "SparseLU", check_finite=check_finite)
        self._init_common(a, [f"SuperLU LU with ordering {ordering}"])
        self._a = a
        self._options = {"ordering": ordering, "diag_pivot_thresh": diag_pivot_thresh, "check": check}
        self._anorm = one_norm(a)
        options: dict[str, Any] = {}
        if diag_pivot_thresh is not None:
            if not 0.0 <= diag_pivot_thresh <= 1.0:
                raise ValueError(f"diag_pivot_thresh must lie in [0, 1], got {diag_pivot_thresh!r}.")
            options["diag_pivot_thresh"] = float(diag_pivot_thresh)
        n = self.shape[0]
        self.info = 0
        self._lu = None
        t0 = time.perf_counter()
        if n:
            try:
                self._lu = sla.splu(a, permc_spec=_SPECS[ordering], **options)
            except RuntimeError:
                self.info = singular_column(a, _SPECS[ordering], **options) + 1
                self.path.append(f"singular: zero pivot in column {self.info - 1}")
        elapsed = time.perf_counter() - t0
        nnz_f = None if self._lu is None else int(self._lu.L.nnz + self._lu.U.nnz)
        if n == 0:
            nnz_f = 0
        self.fill = FillReport(
            nnz_a=self.nnz,
            nnz_factors=nnz_f,
            fill_ratio=None if nnz_f is None or self.nnz == 0 else nnz_f / self.nnz,
            ordering=ordering,
            ordering_time=0.0,
            factor_time=elapsed,
            engine="superlu",
        )
        if check and self.info:
            self._raise_if_failed("factor the matrix")

    # ------------------------------------------------------------------ factors
    @property
    def L(self) -> sp.csc_array:
        """Unit lower triangular factor."""
        self._raise_if_failed("return the factors")
        return sp.csc_array(self._lu.L) if self._lu is not None else sp.csc_array((0, 0), dtype=self.dtype)

    @property
    def U(self) -> sp.csc_array:
        """Upper triangular factor."""
        self._raise_if_failed("return the factors")
        return sp.csc_array(self._lu.U) if self._lu is not None else sp.csc_array((0, 0), dtype=self.dtype)

    @property
    def perm_r(self) -> np.ndarray:
        """Row permutation (SuperLU's convention)."""
        return np.arange(0) if self._lu is None else np.asarray(self._lu.perm_r)

    @property
    def perm_c(self) -> np.ndarray:
        """Column permutation: ``A[:, perm_c]`` is what was factored, rows permuted."""
        return np.arange(0) if self._lu is None else np.asarray(self._lu.perm_c)

    def _raise_if_failed(self, what: str) -> None:
        idx = self._failure_index()
        if idx is not None:
            raise SingularMatrixError(
                idx,
                f"cannot {what}: the sparse matrix is singular, SuperLU's pivot vanished at column "
                f"{idx}. Use pivotal.lstsq for a least-squares solution, or pass check=False to "
                "inspect the failed factorization.",
            )

    # ------------------------------------------------------------------ Factorization API
    def _solve_core(self, b: Any, trans: int) -> Any:
        x = self._lu.solve(np.ascontiguousarray(b, dtype=self.dtype), trans=_TRANS[trans])
        return np.asarray(x, dtype=b.dtype)

    def _det_parts(self) -> tuple[np.ndarray, int]:
        if self._lu is None:
            return (np.zeros(1) if self.shape[0] else np.ones(0)), 0
        sign = permutation_sign(self._lu.perm_r) * permutation_sign(self._lu.perm_c)
        return det_parts(self._lu.U.diagonal(), sign=sign), 0
