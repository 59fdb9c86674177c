"""Operators and preconditioners of the Krylov solvers, seen as block products ``X -> A X``.

Every solver touches ``A`` (and ``M``) only through a function of an
``(n, k)`` block in the right-hand side's namespace and device, so one
iteration serves all ``k`` columns.  :func:`as_operator` accepts

* a dense array of the right-hand side's backend (NumPy, PyTorch, also
  sparse PyTorch tensors, JAX): ``A @ X``;
* a ``scipy.sparse`` matrix or array (NumPy right-hand sides): ``A @ X``;
* a ``scipy.sparse.linalg.LinearOperator`` (NumPy right-hand sides):
  ``A.matmat(X)``, and ``A.rmatmat(X)`` for the adjoint;
* any object with a ``matmat`` method (``rmatmat`` for the adjoint), which
  receives the backend's ``(n, k)`` block: the batched matrix-free form for
  PyTorch and JAX;
* a callable ``v -> A v`` of one vector ``(n,)``, called once per column
  (wrap it in an object with ``matmat`` to apply it to a block at once);
* for the adjoint of :func:`~pivotal.krylov.lsqr`, a pair ``(matvec,
  rmatvec)`` of such callables, or an object with ``rmatvec``/``adjoint``.

:func:`as_preconditioner` accepts the same, plus a pivotal
:class:`~pivotal.factorizations.Factorization`, applied through its
``solve``.  Following SciPy, ``M`` stands for an approximation of
``A^{-1}``: the solvers apply ``M`` (``M @ r``), so a factorization of a
matrix near ``A`` is applied as its inverse (``F.solve(r)``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse
import scipy.sparse.linalg

from .._array import backend_name, promote_dtypes, refuse_masked, working_dtype
from ..factorizations.base import Factorization

__all__ = ["BlockOperator", "as_operator", "as_preconditioner", "is_torch_sparse", "stored_values"]

Product = Callable[[Any], Any]


@dataclass(frozen=True)
class BlockOperator:
    """``A`` as block products: ``matmat(X) = A X`` and ``rmatmat(X) = A^H X`` (None when unknown).

    ``shape`` is ``(m, n)``; ``dtype`` the operator's dtype when it declares
    one (None for callables); ``kind`` names how it was given, for error
    messages.
    """

    matmat: Product
    rmatmat: Product | None
    shape: tuple[int, int]
    dtype: Any
    kind: str


def _per_column(f: Callable[[Any], Any], name: str, xp) -> Product:
    """A block product from a callable of one vector: one call per column."""

    def matmat(X):
        k = X.shape[1]
        cols = []
        for j in range(k):
            y = f(X[:, j])
            if not hasattr(y, "shape") or backend_name(y) != backend_name(X):
                y = xp.asarray(y)
            if len(y.shape) == 2 and y.shape[1] == 1:
                y = y[:, 0]
            if len(y.shape) != 1:
                raise ValueError(
                    f"{name} returned shape {tuple(y.shape)} for a vector of shape {tuple(X[:, j].shape)}; "
                    f"a callable {name} must map a vector (n,) to a vector."
                )
            cols.append(y)
        if k == 0:
            return f_empty(X)
        return xp.stack(cols, axis=1)

    def f_empty(X):
        return X[:0, :] if X.shape[0] else X

    return matmat


def _numpy_only(kind: str, name: str, backend: str) -> None:
    if backend != "numpy":
        raise TypeError(
            f"{name} is a {kind}, which works on NumPy arrays, but the right-hand side is a {backend} "
            f"array; pass {name} as a {backend} array, or as an object whose matmat method takes a "
            f"{backend} block (or a callable v -> {name} v)."
        )


def _declared_dtype(obj: Any):
    dt = getattr(obj, "dtype", None)
    if dt is None:
        return None
    try:
        return working_dtype(np.empty(0, dtype=dt)) if not hasattr(dt, "is_complex") else dt
    except TypeError:
        return None


def as_operator(a: Any, name: str, *, backend: str, xp, n_rows: int, adjoint: bool = False) -> BlockOperator:
    """``a`` as a :class:`BlockOperator` for right-hand sides of ``backend`` with ``n_rows`` rows.

    ``adjoint`` asks for ``A^H`` products too (LSQR); the error names what
    is missing when ``a`` cannot provide them.  Shapes are checked against
    ``n_rows`` (``A`` must have as many rows as ``b``).
    """
    refuse_masked(a, name)
    if isinstance(a, tuple) and len(a) == 2 and all(callable(f) for f in a):
        mv, rmv = a
        op = BlockOperator(
            _per_column(mv, name, xp), _per_column(rmv, f"{name}^H", xp), (n_rows, -1), None, "callable pair"
        )
    elif isinstance(a, scipy.sparse.linalg.LinearOperator):
        _numpy_only("scipy.sparse.linalg.LinearOperator", name, backend)
        op = BlockOperator(a.matmat, a.rmatmat, _shape2(a, name), _declared_dtype(a), "LinearOperator")
    elif scipy.sparse.issparse(a):
        _numpy_only("scipy.sparse matrix", name, backend)
        ah = a.conj().T if np.iscomplexobj(a.dtype.type(0)) else a.T
        op = BlockOperator(lambda X: a @ X, lambda X: ah @ X, _shape2(a, name), _declared_dtype(a), "sparse")
    elif hasattr(a, "shape") and hasattr(a, "dtype") and not hasattr(a, "matmat") and not callable(a):
        a = np.asarray(a) if isinstance(a, np.ndarray) else a
        if backend_name(a) != backend:
            raise TypeError(
                f"{name} is a {backend_name(a)} array but the right-hand side is a {backend} array; "
                "convert both to one backend (for example torch.as_tensor or numpy.asarray) first."
            )
        if a.dtype == object or (isinstance(a, np.ndarray) and a.dtype.kind not in "biufc"):
            raise TypeError(f"{name} has dtype {a.dtype}; pass a numeric array.")
        ah = _conj_t(a)
        op = BlockOperator(lambda X: a @ X, lambda X: ah @ X, _shape2(a, name), working_dtype(a), "array")
    elif hasattr(a, "matmat") or hasattr(a, "matvec"):
        mm = a.matmat if hasattr(a, "matmat") else _per_column(a.matvec, name, xp)
        rmm = None
        if hasattr(a, "rmatmat"):
            rmm = a.rmatmat
        elif hasattr(a, "rmatvec"):
            rmm = _per_column(a.rmatvec, f"{name}^H", xp)
        elif hasattr(a, "adjoint") and callable(a.adjoint):
            adj = a.adjoint()
            rmm = adj.matmat if hasattr(adj, "matmat") else None
        shape = _shape2(a, name) if hasattr(a, "shape") else (n_rows, -1)
        op = BlockOperator(mm, rmm, shape, _declared_dtype(a), "operator object")
    elif callable(a):
        op = BlockOperator(_per_column(a, name, xp), None, (n_rows, -1), None, "callable")
    else:
        a = xp.asarray(a)
        return as_operator(a, name, backend=backend, xp=xp, n_rows=n_rows, adjoint=adjoint)
    if op.shape[0] != n_rows:
        raise ValueError(
            f"{name} has shape {op.shape} but b has {n_rows} rows; A must have as many rows as b "
            "(A x = b with A of shape (m, n) and b of shape (m,) or (m, k))."
        )
    if adjoint and op.rmatmat is None:
        raise TypeError(
            f"lsqr needs products with {name}^H, but {name} is a {op.kind} without them; pass a "
            "pair (matvec, rmatvec), a LinearOperator, or an object with rmatmat or rmatvec."
        )
    return op


def is_torch_sparse(a: Any) -> bool:
    """A sparse PyTorch tensor (COO, CSR, CSC, BSR, BSC)."""
    if backend_name(a) != "torch":
        return False
    import torch

    return a.layout != torch.strided


def stored_values(a: Any) -> Any:
    """The stored entries of a sparse PyTorch tensor (what a finiteness scan must read)."""
    import torch

    return a._values() if a.layout == torch.sparse_coo else a.values()


def _conj_t(a: Any) -> Any:
    if backend_name(a) == "torch":
        if is_torch_sparse(a):
            return a.t().conj() if a.is_complex() else a.t()
        return a.mH if a.is_complex() else a.mT
    if np.iscomplexobj(np.empty(0, dtype=a.dtype)):
        return a.conj().T
    return a.T


def _shape2(a: Any, name: str) -> tuple[int, int]:
    shape = tuple(int(s) for s in a.shape)
    if len(shape) != 2:
        raise ValueError(f"{name} must be two-dimensional (an operator of shape (m, n)), got shape {shape}.")
    return shape


def require_square(op: BlockOperator, name: str, solver: str) -> None:
    """``ValueError`` unless ``op`` is square (its column count unknown counts as square)."""
    m, n = op.shape
    if n != -1 and m != n:
        raise ValueError(
            f"{solver} needs a square {name}, got shape {op.shape}; use lsqr for rectangular "
            "(least-squares) problems."
        )


def as_preconditioner(m: Any, n: int, *, backend: str, xp) -> BlockOperator | None:
    """The preconditioner ``M`` (an approximation of ``A^{-1}``) as block products, or None for none."""
    if m is None:
        return None
    if isinstance(m, Factorization):
        if m.shape != (n, n):
            raise ValueError(f"M factors a matrix of shape {m.shape}, but A is ({n}, {n}).")
        return BlockOperator(lambda X: m.solve(X, check_finite=False), None, (n, n), m.dtype, "factorization")
    op = as_operator(m, "M", backend=backend, xp=xp, n_rows=n)
    require_square(op, "M", "the preconditioner")
    return op


def operator_dtype(op: BlockOperator | None, base: Any):
    """``base`` promoted with the dtype ``op`` declares."""
    if op is None or op.dtype is None:
        return base
    try:
        return promote_dtypes(base, op.dtype)
    except TypeError:
        return base
