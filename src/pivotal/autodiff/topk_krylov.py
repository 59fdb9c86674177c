"""The operators of the top-k backward and the one function through which they are solved.

:class:`ProductOperator` sees ``A`` through ``A @ X`` and ``A^H @ X`` whatever
its type (dense NumPy / PyTorch / JAX, ``scipy.sparse``, ``LinearOperator``).
:class:`ShiftedOperator` is the batched, column-shifted operator of the
complement solves, ``X -> Pr(X diag(c) - B X)``, where ``B`` is ``A^H A``,
``A A^H`` or ``A`` (Hermitian) and ``Pr`` the projector onto the complement
of the computed vectors.  :func:`solve_columns` solves one such system per
column with CG or MINRES (:mod:`pivotal.krylov`, all columns in one batched
iteration).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse
import scipy.sparse.linalg

from .._array import backend_name, from_numpy, is_complex, namespace, to_numpy, unit_roundoff
from ..krylov import block_cg, cg, minres

__all__ = ["ProductOperator", "ShiftedOperator", "SolveReport", "solve_columns"]


def _ct(xp, x: Any) -> Any:
    return xp.conj(x.T) if is_complex(x.dtype) else x.T


class ProductOperator:
    """``A`` through its products; ``n_products`` counts columns multiplied by ``A`` or ``A^H``.

    ``hermitian=True`` uses ``A @ X`` for ``A^H @ X`` (a ``LinearOperator``
    need not define ``rmatmat`` then).  Vectors live in the backend of
    ``like`` (NumPy for sparse and ``LinearOperator`` input).
    """

    def __init__(self, A: Any, *, hermitian: bool = False):
        self.hermitian = hermitian
        self.n_products = 0
        if isinstance(A, scipy.sparse.linalg.LinearOperator):
            self.kind = "linop"
        elif scipy.sparse.issparse(A):
            self.kind = "sparse"
            A = scipy.sparse.csr_matrix(A)
            self.ah = A if hermitian else (A.T.conj() if is_complex(A.dtype) else A.T)
        else:
            self.kind = "dense"
            xp = namespace(A)
            self.ah = A if hermitian else _ct(xp, A)
        self.a = A
        self.shape = (int(A.shape[0]), int(A.shape[1]))
        self.backend = backend_name(A) if self.kind == "dense" else "numpy"
        # NumPy (OpenBLAS) multiplies a large matrix by a block of a few columns faster as the
        # transposed product with the block on the left, X^T A^T, whose few rows are GEMM's small
        # dimension: measured on 2000 x 2000 with 8 columns (one thread), A^H X as (X^H A)^H took
        # 3.4 ms against 5.5 ms, A X as (X^T A^T)^T 4.4 ms against 5.3 ms.  Same products, same
        # rounding model (each entry an inner product of length n).
        self._rows_first = self.kind == "dense" and self.backend == "numpy" and isinstance(A, np.ndarray)
        self._complex = is_complex(A.dtype)

    def matmat(self, X: Any) -> Any:
        self.n_products += int(X.shape[1])
        if self.kind == "linop":
            return np.asarray(self.a.matmat(X))
        if self._rows_first and X.ndim == 2:
            return (X.T @ self.a.T).T
        return self.a @ X

    def rmatmat(self, X: Any) -> Any:
        self.n_products += int(X.shape[1])
        if self.kind == "linop":
            return np.asarray(self.a.matmat(X) if self.hermitian else self.a.rmatmat(X))
        if self._rows_first and X.ndim == 2:
            if self.hermitian:
                return (X.T @ self.a.T).T  # A^H = A
            if self._complex:
                return (X.conj().T @ self.a).conj().T
            return (X.T @ self.a).T
        return self.ah @ X

    def dense(self, like: Any) -> Any:
        """``A`` as a dense array in ``like``'s backend (the dense reference backward options)."""
        if self.kind == "dense":
            return self.a
        if self.kind == "sparse":
            d = self.a.toarray()
        else:
            d = np.asarray(self.a.matmat(np.eye(self.shape[1], dtype=self.a.dtype or np.float64)))
        return from_numpy(d, like)


class ShiftedOperator:
    """``X -> Pr(X diag(shift * sign) - sign * B X)`` with ``Pr X = X - W (W^H X)``; Hermitian.

    ``B`` is ``A^H A`` (``gram="right"``), ``A A^H`` (``gram="left"``) or
    ``A`` itself (``gram="none"``, Hermitian ``A``).  ``shift`` and ``sign``
    hold one value per column: column ``i`` of a block is column ``i``'s
    system (``sign = -1`` makes a negative definite system positive definite
    for CG).
    """

    def __init__(self, op: ProductOperator, gram: str, W: Any, shift: Any, sign: Any):
        self.op, self.gram, self.W, self.shift, self.sign = op, gram, W, shift, sign
        self.xp = namespace(W)
        n = int(W.shape[0])
        self.shape = (n, n)
        self.dtype = W.dtype

    def project(self, X: Any) -> Any:
        return X - self.W @ (_ct(self.xp, self.W) @ X)

    def _b(self, X: Any) -> Any:
        if self.gram == "right":
            return self.op.rmatmat(self.op.matmat(X))
        if self.gram == "left":
            return self.op.matmat(self.op.rmatmat(X))
        return self.op.matmat(X)

    def matmat(self, X: Any) -> Any:
        return self.project((X * self.shift[None, :] - self._b(X)) * self.sign[None, :])


class _Unshifted:
    """``X -> -Pr(B X)``: the operator that :class:`ShiftedOperator` shifts, for a block of any width."""

    def __init__(self, M: ShiftedOperator):
        self.M, self.shape, self.dtype = M, M.shape, M.dtype

    def matmat(self, X: Any) -> Any:
        return -self.M.project(self.M._b(self.M.project(X)))


@dataclass
class SolveReport:
    """Per column: Krylov iterations, final relative residual ``||b - M x|| / ||b||``, convergence."""

    method: str
    iterations: list[int] = field(default_factory=list)
    residuals: list[float] = field(default_factory=list)
    converged: list[bool] = field(default_factory=list)


def _block_cg(M: ShiftedOperator, B: Any, rtol: float, maxiter: int) -> tuple[Any, Any]:
    """:func:`pivotal.krylov.block_cg` on ``(c_i I - Pr B Pr) x_i = b_i``, the recurrence's residuals."""
    return block_cg(
        _Unshifted(M), B, shifts=to_numpy(M.shift).real, rtol=rtol, atol=0.0,
        maxiter=maxiter, return_info=True, check_finite=False, true_residual=False,
    )  # fmt: skip


@dataclass
class _Iterations:
    iterations: list[int]


def _merged(first: Any, second: Any) -> _Iterations:
    """The iterations of a solve and of its refinement, added per column."""
    return _Iterations([int(a) + int(b) for a, b in zip(first.iterations, second.iterations, strict=True)])


def _column_norms(X: Any) -> np.ndarray:
    """The 2-norm of each column of ``X``, on the host as float64."""
    return np.asarray(to_numpy(namespace(X).linalg.vector_norm(X, axis=0)), dtype=float)


def solve_columns(
    method: str, M: ShiftedOperator, B: Any, *, rtol: float, maxiter: int
) -> tuple[Any, SolveReport]:
    """Solve ``M x_i = b_i`` for every column, batched: :func:`pivotal.krylov.cg` or :func:`~pivotal.krylov.minres`.

    The one place that names the Krylov implementation; the iteration runs
    in ``B``'s namespace and device.  ``"cg"`` on the Gram systems of
    :func:`~.topk_vjp.svds_vjp` (``sign = 1``: ``(c_i I - Pr B) x_i = b_i``)
    is :func:`pivotal.krylov.block_cg`: the ``k`` systems differ only by
    their shifts, so they share one block Krylov space of ``Pr B``, and each
    column converges in fewer block products than its own CG run would take
    (its space also holds the other columns' directions); the reported
    residuals are then the recurrence's (no extra block product: full
    reorthogonalisation keeps them within rounding of the true ones) while
    the space is smaller than the complement.  Once it fills the complement
    (``k (steps + 1) >= n - k``: small problems) its last blocks are rounding
    noise, the recurrence's residuals no longer bound the true ones; nor do
    they when ``u c_i ||x_i|| / ||b_i||`` (their difference, about
    ``u ||M|| ||x||``, relative) exceeds ``rtol / 10``: an ill-conditioned
    column.  Then the true residuals are computed (one more block product),
    and in a filled space refined once (to ``rtol`` relative to ``b``) when
    they are above ``rtol``.  Otherwise each
    column is an independent batched CG or MINRES iteration (per-column
    scalars), which honours column-dependent signs.
    """
    bnorm = _column_norms(B)
    bnorm = np.where(bnorm > 0, bnorm, 1.0)
    if method == "cg" and M.gram != "none" and bool(np.all(to_numpy(M.sign) == 1)):
        X, info = _block_cg(M, B, rtol, maxiter)
        res = np.asarray(info.residual_norms, dtype=float) / bnorm
        conv = np.asarray(info.converged, dtype=bool) & ~np.asarray(info.breakdown, dtype=bool)
        filled = int(B.shape[1]) * (max(info.iterations, default=0) + 1) >= M.shape[0] - int(M.W.shape[1])
        xnorm = _column_norms(X)
        floor = unit_roundoff(B.dtype) * np.abs(to_numpy(M.shift)) * xnorm / bnorm
        if filled or np.any(floor > rtol / 10):
            # The recurrence's residuals are no longer the true ones: when the block space filled the
            # complement its last blocks are rounding noise (A^H A X carries m u ||A||_F^2 ||X||, above
            # the deflation threshold); and the two differ by about u ||M|| ||x|| (||M|| <= the shift c_i),
            # which an ill-conditioned column (s_k near s_(k+1)) lifts above rtol.  The true residuals are
            # computed instead (2 k products), refined once if above rtol.
            R = B - M.matmat(X)
            res = _column_norms(R) / bnorm
            if filled and np.any(res > rtol):  # the noise directions' error; an ill-conditioned floor stays
                # R's columns need to drop by rtol / res_i only.
                D, more = _block_cg(M, R, min(0.5, float(np.min(rtol / res[res > rtol]))), maxiter)
                X = X + D
                R = B - M.matmat(X)
                res = _column_norms(R) / bnorm
                info = _merged(info, more)
            conv = res <= rtol
    else:
        solver = cg if method == "cg" else minres
        X, info = solver(M, B, rtol=rtol, atol=0.0, maxiter=maxiter, return_info=True, check_finite=False)
        res = np.asarray(info.residual_norms, dtype=float) / bnorm  # true residuals
        # The solvers' flags come from their recurrences, which can drift from the true residual.
        conv = (
            np.asarray(info.converged, dtype=bool) & ~np.asarray(info.breakdown, dtype=bool) & (res <= rtol)
        )
    report = SolveReport(
        method, [int(i) for i in info.iterations], [float(r) for r in res], [bool(c) for c in conv]
    )
    return X, report
