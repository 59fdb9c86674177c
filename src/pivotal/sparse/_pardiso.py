"""MKL PARDISO's supernodal Cholesky through pypardiso: the fast engine of :class:`SparseCholesky`.

pypardiso (the ``sparse`` extra, x86-64 only: it needs Intel's ``mkl`` wheel) is a thin ctypes
binding of ``pardiso``.  This module sets PARDISO's control array explicitly (``iparm[0] = 1``, so
that no default silently overrides a choice made here) and adds the two calls pypardiso lacks:
the elimination order PARDISO chose (``iparm[4] = 2``) and the diagonal of the factor
(``pardiso_getdiag`` with ``iparm[55] = 1``), from which the log-determinant follows without a
second factorization.

Indices in MKL's conventions are 1-based here (pypardiso passes ``indptr + 1``).  PARDISO's ``perm``
lists, 1-based, the original index eliminated at each step: ``A[perm - 1][:, perm - 1]`` is
factored (checked in the tests by comparing ``nnz(L)`` with a dense Cholesky of that matrix).
"""

from __future__ import annotations

import contextlib
import copy
import ctypes
import functools
import warnings
import weakref
from typing import Any

import numpy as np
import scipy.sparse as sp

__all__ = ["PARDISO_ORDERINGS", "PardisoCholesky", "pardiso_binding"]

#: iparm[1] for the orderings PARDISO computes itself; the others are passed as a user permutation.
PARDISO_ORDERINGS = {"amd": 0, "nested_dissection": 2}
_NOT_POSITIVE_DEFINITE = -4  # "zero pivot, numerical factorization" for mtype = 2
#: Below this many unknowns PARDISO runs on one thread (see ``_threads``).
SERIAL_BELOW = 100_000


def pardiso_binding() -> Any:
    """The pypardiso module when it imports and finds MKL's runtime library, else None.

    :class:`~pivotal.sparse.SparseCholesky` tries this engine first for real float64 matrices
    (``engine="auto"``) and uses it when asked for with ``engine="pardiso"``.  The first call with
    the package present locates MKL (about half a second); later calls reuse what it found.

    Returns
    -------
    module or None
        ``pypardiso``, whose ``PyPardisoSolver`` drives MKL PARDISO; None when the package does not
        import (the ``sparse`` extra is absent, or not on x86-64) or MKL's runtime library is not
        found.

    See Also
    --------
    pivotal.sparse.cholmod_binding : the engine tried next.

    Examples
    --------
    >>> from pivotal.sparse import pardiso_binding
    >>> binding = pardiso_binding()
    >>> binding is None or hasattr(binding, "PyPardisoSolver")
    True
    """
    try:
        import pypardiso
    except ImportError:
        return None
    return pypardiso if _template_solver(pypardiso) is not None else None


@functools.lru_cache(maxsize=4)
def _template_solver(binding: Any) -> Any:
    """One solver per process: pypardiso locates ``mkl_rt`` on every construction (subprocesses and a
    recursive glob of ``sys.prefix``, about half a second), so new solvers are copies of this one."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=UserWarning)
            return binding.PyPardisoSolver(mtype=2)
    except (ImportError, OSError):  # mkl_rt not found or not loadable
        return None


def _new_solver(binding: Any, n: int) -> Any:
    """A fresh PARDISO handle (its own ``pt``, ``iparm`` and ``perm``) sharing the loaded library."""
    solver = copy.copy(_template_solver(binding))
    solver.pt = np.zeros_like(solver.pt)
    solver.iparm = np.zeros(64, dtype=np.int32)
    solver.perm = np.zeros(n, dtype=np.int32)
    solver.mtype = 2
    return solver


@contextlib.contextmanager
def _threads(solver: Any, n: int):
    """MKL threads for one PARDISO call: one below ``SERIAL_BELOW`` unknowns, MKL's setting above.

    PARDISO's parallel factorization synchronizes its threads level by level in the elimination
    tree.  On small matrices that costs more than it gains, and on a machine with other work the
    waits grow to scheduler time slices: a 3600-unknown Laplacian in natural order took 12 s with
    two threads under load against 0.05 s with one.
    """
    if n >= SERIAL_BELOW:
        yield
        return
    set_local = solver.libmkl.MKL_Set_Num_Threads_Local
    set_local.argtypes = [ctypes.c_int]
    set_local.restype = ctypes.c_int
    previous = set_local(1)
    try:
        yield
    finally:
        set_local(previous)


def _release(solver: Any) -> None:
    """Free PARDISO's memory for the factor (pypardiso does not, when its solver is collected)."""
    with contextlib.suppress(Exception):
        solver.free_memory()


class PardisoCholesky:
    """``P A P^T = L L^T`` of a real symmetric positive definite CSC/CSR matrix by MKL PARDISO.

    Parameters
    ----------
    binding : module
        :func:`pardiso_binding`'s result.
    a : (n, n) float64 sparse array, n > 0, with a positive stored diagonal
    ordering : {"amd", "nested_dissection"} or (n,) int array
        ``"amd"`` runs PARDISO's minimum-degree ordering (``iparm[1] = 0``), ``"nested_dissection"``
        its METIS (``iparm[1] = 2``); an array is our convention's permutation (``A[q][:, q]`` is
        factored), handed to PARDISO as a user permutation.

    Attributes
    ----------
    failed : bool
        True when PARDISO met a non-positive pivot (error -4); nothing else is then usable.
    perm : (n,) int64 ndarray
        The elimination order (``A[perm][:, perm]`` was factored).
    nnz_l : int
        Nonzeros of ``L`` (diagonal included), PARDISO's ``iparm[17]``.
    """

    def __init__(self, binding: Any, a: Any, ordering: str | np.ndarray):
        n = int(a.shape[0])
        upper = sp.triu(sp.csr_array(a), format="csr")
        upper.sort_indices()
        self._upper = upper
        solver = _new_solver(binding, n)
        iparm = solver.iparm
        iparm[0] = 1  # every value below is ours: no defaults filled in behind our back
        iparm[17] = -1  # report nnz(L)
        iparm[55] = 1  # keep the factor's diagonal for pardiso_getdiag
        if isinstance(ordering, str):
            iparm[1] = PARDISO_ORDERINGS[ordering]
            iparm[4] = 2  # return the permutation PARDISO computed
        else:
            iparm[4] = 1  # use ours
            solver.perm = np.asarray(ordering, dtype=np.int32) + 1
        self._solver = solver
        self.failed = False
        weakref.finalize(self, _release, solver).atexit = False
        try:
            with _threads(solver, n):
                solver.factorize(upper)
        except binding.pardiso_wrapper.PyPardisoError as exc:
            if exc.value == _NOT_POSITIVE_DEFINITE:
                self.failed = True
                return
            if exc.value == -2:
                raise MemoryError("MKL PARDISO ran out of memory factoring the matrix (error -2).") from exc
            raise RuntimeError(f"MKL PARDISO failed with error code {exc.value}.") from exc
        self.perm = solver.perm.astype(np.int64) - 1
        self.nnz_l = int(iparm[17])

    def solve(self, b: np.ndarray) -> np.ndarray:
        """``A^{-1} b`` for real float64 ``b`` of shape (n,) or (n, k)."""
        with warnings.catch_warnings(), _threads(self._solver, self._upper.shape[0]):
            warnings.simplefilter("ignore", category=UserWarning)
            return np.asarray(self._solver.solve(self._upper, b))

    def factor_diagonal(self) -> np.ndarray:
        """``diag(L)**2`` in elimination order: the pivots, whose logs sum to ``log det A``."""
        n = self._upper.shape[0]
        df = np.zeros(n)
        da = np.zeros(n)
        error = ctypes.c_int32(0)
        solver = self._solver
        solver.libmkl.pardiso_getdiag(
            solver.pt.ctypes.data_as(ctypes.c_void_p),
            df.ctypes.data_as(ctypes.c_void_p),
            da.ctypes.data_as(ctypes.c_void_p),
            ctypes.byref(ctypes.c_int32(1)),
            ctypes.byref(error),
        )
        if error.value != 0:  # pragma: no cover - only when iparm[55] was not set before factoring
            raise RuntimeError(f"MKL pardiso_getdiag failed with error code {error.value}.")
        return df
