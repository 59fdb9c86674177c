"""Sparse Cholesky: :class:`SparseCholesky` (MKL PARDISO, CHOLMOD through cholespy, or SuperLU in symmetric mode)."""

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
from ._pardiso import PardisoCholesky, pardiso_binding
from .fill import FillReport, SparseFactorization
from .lu import singular_column
from .ordering import nested_dissection, symmetric_pattern

__all__ = ["ORDERINGS", "SparseCholesky", "cholmod_binding", "quiet_c_output"]

ORDERINGS = ("amd", "nested_dissection", "rcm", "natural")
ENGINES = ("auto", "pardiso", "cholmod", "superlu")
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
    """The CHOLMOD binding module (cholespy) when the ``sparse`` extra is installed, else None.

    :class:`SparseCholesky` uses it for real float64 matrices with ``ordering="amd"`` when PARDISO
    is absent (``engine="auto"``), or when asked for with ``engine="cholmod"``.

    Returns
    -------
    module or None
        ``cholespy``, whose ``CholeskySolverD`` factors a matrix given in COO form; None when the
        package does not import.

    See Also
    --------
    pardiso_binding : the engine tried first.

    Examples
    --------
    >>> from pivotal.sparse import cholmod_binding
    >>> binding = cholmod_binding()
    >>> binding is None or hasattr(binding, "CholeskySolverD")
    True
    """
    try:
        import cholespy
    except ImportError:
        return None
    return cholespy


class SparseCholesky(SparseFactorization):
    """``P A P^T = L L^H`` of a sparse Hermitian positive definite matrix.

    Three engines, tried in this order by ``engine="auto"``:

    * **MKL PARDISO** (supernodal, multithreaded, through pypardiso: the ``sparse`` extra on
      x86-64) for real float64 matrices, under every ordering: ``"amd"`` becomes PARDISO's
      minimum-degree ordering and ``"nested_dissection"`` its built-in METIS (``path`` and
      ``fill.ordering`` say which ran); ``"rcm"`` and ``"natural"`` are handed to it as a user
      permutation.  The log-determinant comes from the factor's diagonal (no second
      factorization); the failing index of a matrix that is not positive definite is located
      by the SuperLU route below, as PARDISO reports only that a pivot was not positive.
    * **CHOLMOD** (supernodal, through cholespy, also in the extra) for real float64 matrices with
      ``ordering="amd"`` where PARDISO is absent (e.g. on ARM): CHOLMOD orders with AMD itself.
      cholespy returns neither the factor nor the permutation, so ``logdet``/``slogdet``/``det``
      and the failing index are computed, on first use, by the SuperLU route below (one more
      factorization; ``path`` records it), and ``fill.nnz_factors`` is ``None``.
    * **SuperLU in symmetric mode** otherwise (float32, complex Hermitian, or no extra): diagonal
      pivots only (``diag_pivot_thresh=0``) after a symmetric ordering, so ``U = D L^H`` is the
      Cholesky factor up to the diagonal scaling and ``D > 0`` certifies positive definiteness.
      ``"amd"`` then becomes SuperLU's multiple minimum degree on ``A + A^T`` (``path`` says so);
      ``"nested_dissection"`` (pymetis), ``"rcm"`` and ``"natural"`` are applied as ``P A P^T``.

    Parameters
    ----------
    A : (n, n) scipy.sparse matrix
        Hermitian positive definite; both triangles are read (an asymmetry beyond rounding raises
        ``ValueError``).
    ordering : {"amd", "nested_dissection", "rcm", "natural"}
    engine : {"auto", "pardiso", "cholmod", "superlu"}
        ``"auto"`` takes the first engine above that applies.
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
        The elimination order of the PARDISO and SuperLU routes (``A[perm][:, perm]`` is factored).

    Notes
    -----
    Pickling stores the matrix and the options, and unpickling factors it again: none of the
    engines' factor objects can be serialized.

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
        if engine not in ENGINES:
            raise ValueError(f"engine={engine!r} is not one of {ENGINES}.")
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
        self._options = {"ordering": ordering, "engine": engine, "check": check}
        self.info = 0
        self._lu = None
        self._cholmod = None
        self._pardiso = None
        self.perm = np.arange(self.shape[0], dtype=np.int64)
        real64 = a.dtype == np.float64 and self.shape[0] > 0
        chosen, binding = self._choose_engine(engine, real64)
        if chosen == "pardiso":
            self._factor_pardiso(binding)
        elif chosen == "cholmod":
            self._factor_cholmod(binding)
        else:
            self._factor_superlu()
        if check and self.info:
            self._raise_if_failed("factor the matrix")

    def _choose_engine(self, engine: str, real64: bool) -> tuple[str, Any]:
        """The engine that runs and its binding module (None for SuperLU): the one asked for (or a
        clear error why it cannot), else the first usable.  Each binding is looked up at most once."""
        ordering = self._ordering
        if engine == "pardiso":
            binding = pardiso_binding()
            if not real64 or binding is None:
                raise ValueError(
                    "engine='pardiso' needs the sparse extra (pip install 'pivotal[sparse]', which brings "
                    "pypardiso and MKL on x86-64) and a real float64 matrix."
                    + (" pypardiso (or MKL's runtime library) is not available." if binding is None else "")
                )
            return engine, binding
        if engine == "cholmod":
            binding = cholmod_binding()
            if binding is None or not real64 or ordering != "amd":
                raise ValueError(
                    "engine='cholmod' needs the sparse extra (pip install 'pivotal[sparse]', which brings "
                    "cholespy), a real float64 matrix and ordering='amd' (CHOLMOD orders internally)."
                    + (" cholespy is not installed." if binding is None else "")
                )
            return engine, binding
        if engine == "superlu" or not real64:
            return "superlu", None
        binding = pardiso_binding()
        if binding is not None:
            return "pardiso", binding
        if ordering == "amd":
            binding = cholmod_binding()
            if binding is not None:
                return "cholmod", binding
            self.path.append(
                "no PARDISO or CHOLMOD binding (pip install 'pivotal[sparse]'): SuperLU fallback"
            )
        return "superlu", None

    # ------------------------------------------------------------------ engines
    def _factor_pardiso(self, binding: Any) -> None:
        a = self._a
        ordering = self._ordering
        t0 = time.perf_counter()
        if ordering in ("amd", "nested_dissection"):
            order: str | np.ndarray = ordering
            used = "minimum_degree (PARDISO)" if ordering == "amd" else "nested_dissection (METIS in PARDISO)"
            t_order = 0.0
        else:
            order = self._symmetric_order(ordering)
            used = ordering
            t_order = time.perf_counter() - t0
        diagonal = a.diagonal()
        t1 = time.perf_counter()
        engine = None
        if np.all(diagonal > 0):  # PARDISO needs a stored, positive diagonal; without one A is not PD
            engine = PardisoCholesky(binding, a, order)
        if engine is None or engine.failed:
            self.path.append("MKL PARDISO: not positive definite; locating the pivot with SuperLU")
            self._factor_superlu()
            if not self.info:  # pragma: no cover - PARDISO and SuperLU disagree only at rounding level
                self.info = 1
            return
        self._pardiso = engine
        self.perm = engine.perm
        self.path.append(f"MKL PARDISO supernodal Cholesky (pypardiso), ordering {used}")
        self.fill = FillReport(
            nnz_a=self.nnz,
            nnz_factors=2 * engine.nnz_l,
            fill_ratio=2 * engine.nnz_l / self.nnz if self.nnz else None,
            ordering=used,
            ordering_time=t_order,
            factor_time=time.perf_counter() - t1,
            engine="pardiso (pypardiso)",
        )

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

    def _symmetric_order(self, ordering: str) -> np.ndarray:
        """``q`` with ``A[q][:, q]`` the reordered matrix, for the orderings computed outside the engine."""
        a = self._a
        if ordering == "nested_dissection":
            return nested_dissection(a)
        if ordering == "rcm":
            import scipy.sparse.csgraph as csgraph

            return np.asarray(
                csgraph.reverse_cuthill_mckee(symmetric_pattern(a), symmetric_mode=True), np.int64
            )
        return np.arange(self.shape[0], dtype=np.int64)

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
            q = self._symmetric_order(ordering)
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
        if self._pardiso is not None:  # real symmetric: A^T = A^H = A; complex b solved as [Re, Im]
            rhs = np.asarray(b)
            if np.iscomplexobj(rhs):
                parts = np.concatenate(
                    [rhs.real.reshape(rhs.shape[0], -1), rhs.imag.reshape(rhs.shape[0], -1)], 1
                )
                x = self._pardiso.solve(np.asfortranarray(parts, dtype=np.float64))
                k = x.shape[1] // 2
                x = (x[:, :k] + 1j * x[:, k:]).reshape(rhs.shape)
            else:
                x = self._pardiso.solve(np.asfortranarray(rhs, dtype=np.float64))
            return np.asarray(x, dtype=b.dtype, order="F")
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
        if self._pardiso is not None:
            return det_parts(self._pardiso.factor_diagonal()), 0
        self._ensure_superlu()
        if self.shape[0] == 0:
            return np.ones(0), 0
        if self._lu is None or self.info:
            return np.zeros(1), 0
        return det_parts(self._lu.U.diagonal().real), 0
