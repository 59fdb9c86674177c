"""Sparse Cholesky: :class:`SparseCholesky` (CHOLMOD through cholespy, or SuperLU in symmetric mode)."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from typing import Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as sla

from ..errors import NotPositiveDefiniteError
from ..factorizations.base import det_parts
from ._input import hermitian_defect, one_norm, sparse_matrix
from .fill import FillReport, SparseFactorization
from .lu import singular_column
from .ordering import nested_dissection, symmetric_pattern

__all__ = ["ORDERINGS", "SparseCholesky", "cholmod_binding", "quiet_c_output"]

ORDERINGS = ("amd", "nested_dissection", "rcm", "natural")
_SYMMETRIC = {"SymmetricMode": True}


@contextlib.contextmanager
def quiet_c_output():
    """Silence what C libraries print to the process's stdout/stderr (CHOLMOD's warnings) for a block."""
    try:
        fds = [(fd, os.dup(fd)) for fd in (1, 2)]
    except OSError:  # pragma: no cover - no file descriptors to redirect
        yield
        return
    sys.stdout.flush()
    sys.stderr.flush()
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        for fd, _ in fds:
            os.dup2(devnull, fd)
        yield
    finally:
        for fd, saved in fds:
            os.dup2(saved, fd)
            os.close(saved)
        os.close(devnull)


def cholmod_binding() -> Any:
    """The CHOLMOD binding module (cholespy) when the ``sparse`` extra is installed, else None."""
    try:
        import cholespy
    except ImportError:
        return None
    return cholespy


class SparseCholesky(SparseFactorization):
    """``P A P^T = L L^H`` of a sparse Hermitian positive definite matrix.

    Two engines:

    * **CHOLMOD** (supernodal, through cholespy, the ``sparse`` extra) for real float64 matrices with
      ``ordering="amd"``: CHOLMOD orders with AMD itself.  cholespy returns neither the factor nor the
      permutation, so ``logdet``/``slogdet``/``det`` and the failing index of a matrix that is not
      positive definite are computed, on first use, by the SuperLU route below (one more
      factorization; ``path`` records it), and ``fill.nnz_factors`` is ``None``.
    * **SuperLU in symmetric mode** otherwise (and whenever the binding is absent): diagonal pivots
      only (``diag_pivot_thresh=0``) after a symmetric ordering, so ``U = D L^H`` is the Cholesky
      factor up to the diagonal scaling and ``D > 0`` certifies positive definiteness.
      ``"amd"`` then becomes SuperLU's multiple minimum degree on ``A + A^T`` (``path`` says so);
      ``"nested_dissection"`` (pymetis), ``"rcm"`` and ``"natural"`` are applied as ``P A P^T``.

    Parameters
    ----------
    A : (n, n) scipy.sparse matrix
        Hermitian positive definite; both triangles are read (an asymmetry beyond rounding raises
        ``ValueError``).
    ordering : {"amd", "nested_dissection", "rcm", "natural"}
    engine : {"auto", "cholmod", "superlu"}
        ``"auto"`` takes CHOLMOD where it applies (see above), else SuperLU.
    check : bool
        Raise :class:`~pivotal.NotPositiveDefiniteError` (with the index, in the original numbering,
        of the column whose pivot was not positive); with False return the failed factorization.
    check_finite : bool
        Raise ``ValueError`` for NaN/Inf.

    Attributes
    ----------
    fill : FillReport
    path : list of str
    perm : (n,) int ndarray
        The elimination order of the SuperLU route (``A[perm][:, perm]`` is factored).

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp, pivotal as pv
    >>> T = sp.diags_array([-1.0, 2.0, -1.0], offsets=[-1, 0, 1], shape=(50, 50), format="csc")
    >>> F = pv.SparseCholesky(T, engine="superlu")
    >>> bool(np.isclose(F.logdet(), np.log(51.0)))        # det of the 1-D Laplacian is n + 1
    True
    >>> bool(np.allclose(T @ F.solve(np.ones(50)), 1.0))
    True
    """

    def __init__(
        self,
        A: Any,
        *,
        ordering: str = "amd",
        engine: str = "auto",
        check: bool = True,
        check_finite: bool = True,
    ):
        if ordering not in ORDERINGS:
            raise ValueError(f"ordering={ordering!r} is not one of {ORDERINGS}.")
        if engine not in ("auto", "cholmod", "superlu"):
            raise ValueError(f"engine={engine!r} is not 'auto', 'cholmod' or 'superlu'.")
        a = sparse_matrix(A, "SparseCholesky", check_finite=check_finite)
        defect = hermitian_defect(a)
        if defect > 64 * np.finfo(a.dtype).eps:
            raise ValueError(
                f"SparseCholesky needs a Hermitian matrix, but max|A - A^H| / max|A| = {defect:.3g}; "
                "use SparseLU for a general matrix (or factor (A + A^H) / 2 if the asymmetry is noise)."
            )
        self._init_common(a, [])
        self._a = a
        self._anorm = one_norm(a)
        self._ordering = ordering
        self.info = 0
        self._lu = None
        self._cholmod = None
        self.perm = np.arange(self.shape[0], dtype=np.int64)
        binding = cholmod_binding()
        usable = a.dtype == np.float64 and ordering == "amd"
        if engine == "cholmod" and (binding is None or not usable):
            raise ValueError(
                "engine='cholmod' needs the sparse extra (pip install 'pivotal[sparse]', which brings "
                "cholespy), a real float64 matrix and ordering='amd' (CHOLMOD orders internally)."
                + (" cholespy is not installed." if binding is None else "")
            )
        if engine != "superlu" and binding is not None and usable and self.shape[0] > 0:
            self._factor_cholmod(binding)
        else:
            if engine == "auto" and ordering == "amd" and binding is None:
                self.path.append("no CHOLMOD binding (pip install 'pivotal[sparse]'): SuperLU fallback")
            self._factor_superlu()
        if check and self.info:
            self._raise_if_failed("factor the matrix")

    # ------------------------------------------------------------------ engines
    def _factor_cholmod(self, binding: Any) -> None:
        a = self._a
        n = self.shape[0]
        # CHOLMOD reads the lower triangle of a symmetric matrix; hand it the whole matrix.
        t0 = time.perf_counter()
        try:
            with quiet_c_output():  # CHOLMOD prints "not positive definite" before cholespy raises
                self._cholmod = binding.CholeskySolverD(
                    n,
                    a.indptr.astype(np.int32),
                    a.indices.astype(np.int32),
                    np.ascontiguousarray(a.data, dtype=np.float64),
                    binding.MatrixType.CSC,
                )
        except ValueError:  # "Matrix is not positive definite!"
            self.path.append("CHOLMOD (cholespy): not positive definite; locating the pivot with SuperLU")
            self._factor_superlu()
            if not self.info:  # pragma: no cover - CHOLMOD and SuperLU disagree only at rounding level
                self.info = 1
            return
        self.path.append("CHOLMOD supernodal Cholesky (cholespy), AMD ordering inside CHOLMOD")
        self.fill = FillReport(
            nnz_a=self.nnz,
            nnz_factors=None,
            fill_ratio=None,
            ordering="amd",
            ordering_time=0.0,
            factor_time=time.perf_counter() - t0,
            engine="cholmod (cholespy)",
        )

    def _factor_superlu(self) -> None:
        a = self._a
        n = self.shape[0]
        ordering = self._ordering
        t0 = time.perf_counter()
        q = np.arange(n, dtype=np.int64)
        if ordering == "amd":
            spec, used = "MMD_AT_PLUS_A", "mmd_at_plus_a"
            self.path.append("ordering amd -> SuperLU's multiple minimum degree on A + A^T (mmd_at_plus_a)")
        else:
            spec, used = "NATURAL", ordering
            if ordering == "nested_dissection":
                q = nested_dissection(a)
            elif ordering == "rcm":
                import scipy.sparse.csgraph as csgraph

                q = np.asarray(
                    csgraph.reverse_cuthill_mckee(symmetric_pattern(a), symmetric_mode=True), np.int64
                )
        b = a if ordering in ("amd", "natural") else sp.csc_array(a[q][:, q])
        self._q = q
        t_order = time.perf_counter() - t0
        t1 = time.perf_counter()
        self.path.append(f"SuperLU symmetric mode (diagonal pivots), ordering {used}")
        nnz_f = 0
        if n:
            try:
                lu = sla.splu(b, permc_spec=spec, diag_pivot_thresh=0.0, options=_SYMMETRIC)
            except RuntimeError:
                lu = None
                k = singular_column(b, spec, diag_pivot_thresh=0.0, options=_SYMMETRIC)
                self.info = int(q[k]) + 1
                self.path.append(f"zero pivot: not positive definite at column {self.info - 1}")
            if lu is not None:
                nnz_f = int(lu.L.nnz + lu.U.nnz)
                self._lu = lu
                perm_c = np.asarray(lu.perm_c)
                order = np.empty_like(perm_c)
                order[perm_c] = np.arange(n)  # order[k]: the column of b eliminated at step k
                self.perm = q[order]
                self.info = self._first_bad_pivot(lu)
        self.fill = FillReport(
            nnz_a=self.nnz,
            nnz_factors=nnz_f if self._lu is not None or n == 0 else None,
            fill_ratio=(nnz_f / self.nnz) if self._lu is not None and self.nnz else None,
            ordering=used,
            ordering_time=t_order,
            factor_time=time.perf_counter() - t1,
            engine="superlu",
        )

    def _first_bad_pivot(self, lu: Any) -> int:
        """``info``: 1 + the original index of the first non-positive (or off-diagonal) pivot, else 0."""
        perm_c = np.asarray(lu.perm_c)
        d = lu.U.diagonal()  # d[k]: the pivot of elimination step k
        bad = (d.real <= 0) | ~np.isfinite(d.real)
        if np.iscomplexobj(d):
            bad |= abs(d.imag) > 64 * np.finfo(d.real.dtype).eps * abs(d.real)
        off = np.asarray(lu.perm_r) != perm_c  # SuperLU left the diagonal for column i
        bad[perm_c[off]] = True
        steps = np.flatnonzero(bad)
        return 0 if steps.size == 0 else int(self.perm[int(steps[0])]) + 1

    def _ensure_superlu(self) -> None:
        """The SuperLU factor for logdet / failing index when CHOLMOD did the solves."""
        if self._lu is None and self._cholmod is not None:
            self.path.append("logdet: SuperLU symmetric refactorization (cholespy exposes no factor)")
            keep = self.fill
            self._factor_superlu()
            self.fill = keep

    # ------------------------------------------------------------------ errors
    def _failure_index(self) -> int | None:
        return self.info - 1 if self.info > 0 else None

    def _raise_if_failed(self, what: str) -> None:
        idx = self._failure_index()
        if idx is not None:
            raise NotPositiveDefiniteError(
                idx,
                f"cannot {what}: the sparse matrix is not positive definite; the pivot of column {idx} "
                "(original numbering) is not positive. Use SparseLU (or pivotal.factorize, which falls "
                "back to it) for an indefinite matrix, or check=False to inspect the failure.",
            )

    # ------------------------------------------------------------------ Factorization API
    def _solve_core(self, b: Any, trans: int) -> Any:
        if self._cholmod is not None:
            rhs = np.ascontiguousarray(b, dtype=np.float64)
            x = np.zeros_like(rhs)
            self._cholmod.solve(rhs, x)
            return np.asarray(x, dtype=b.dtype, order="F")
        # A is Hermitian: A^T = conj(A), so A^T x = b  <=>  A conj(x) = conj(b).
        rhs = np.ascontiguousarray(b, dtype=self.dtype)
        if trans == 1 and np.iscomplexobj(rhs):
            rhs = rhs.conj()
        if self._ordering in ("amd", "natural"):
            x = self._lu.solve(rhs)
        else:
            q = self._q
            x = np.empty_like(rhs)
            x[q] = self._lu.solve(rhs[q])
        if trans == 1 and np.iscomplexobj(x):
            x = x.conj()
        return np.asarray(x, dtype=b.dtype)

    def _det_parts(self) -> tuple[np.ndarray, int]:
        self._ensure_superlu()
        if self.shape[0] == 0:
            return np.ones(0), 0
        if self._lu is None or self.info:
            return np.zeros(1), 0
        return det_parts(self._lu.U.diagonal().real), 0
