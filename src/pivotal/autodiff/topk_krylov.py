"""The operators of the top-k backward and the one function through which they are solved.

:class:`ProductOperator` sees ``A`` through ``A @ X`` and ``A^H @ X`` whatever
its type (dense NumPy / PyTorch / JAX, ``scipy.sparse``, ``LinearOperator``).
:class:`ShiftedOperator` is the batched, column-shifted operator of the
complement solves, ``X -> Pr(X diag(c) - B X)``, where ``B`` is ``A^H A``,
``A A^H`` or ``A`` (Hermitian) and ``Pr`` the projector onto the complement
of the computed vectors.  :func:`solve_columns` solves one such system per
column with CG or MINRES (pivotal.krylov when it is present; SciPy's
``cg`` / ``minres``, column by column on the host, until then).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse
import scipy.sparse.linalg

from .._array import backend_name, from_numpy, is_complex, namespace, to_numpy

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

    def matmat(self, X: Any) -> Any:
        self.n_products += int(X.shape[1])
        if self.kind == "linop":
            return np.asarray(self.a.matmat(X))
        return self.a @ X

    def rmatmat(self, X: Any) -> Any:
        self.n_products += int(X.shape[1])
        if self.kind == "linop":
            return np.asarray(self.a.matmat(X) if self.hermitian else self.a.rmatmat(X))
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

    def column(self, i: int) -> ShiftedOperator:
        """The operator of column ``i`` alone."""
        return ShiftedOperator(self.op, self.gram, self.W, self.shift[i : i + 1], self.sign[i : i + 1])


@dataclass
class SolveReport:
    """Per column: Krylov iterations, final relative residual ``||b - M x|| / ||b||``, convergence."""

    method: str
    iterations: list[int] = field(default_factory=list)
    residuals: list[float] = field(default_factory=list)
    converged: list[bool] = field(default_factory=list)


def solve_columns(
    method: str, M: ShiftedOperator, B: Any, *, rtol: float, maxiter: int
) -> tuple[Any, SolveReport]:
    """Solve ``M x_i = b_i`` for every column (CG for ``"cg"``, MINRES for ``"minres"``).

    The one place that names the Krylov implementation: switching to
    :mod:`pivotal.krylov` changes only this function.
    """
    k = int(B.shape[1])
    report = SolveReport(method)
    host = backend_name(B) != "numpy"
    Bn = to_numpy(B)
    X = np.zeros_like(Bn)
    for i in range(k):
        Mi = M.column(i)
        b = Bn[:, i]
        nb = float(np.linalg.norm(b))
        if nb == 0.0:
            report.iterations.append(0)
            report.residuals.append(0.0)
            report.converged.append(True)
            continue

        def mv(x, Mi=Mi):
            xb = x.reshape(-1, 1)
            y = Mi.matmat(from_numpy(xb, B) if host else xb)
            return to_numpy(y).reshape(-1)

        x, info, count = _scipy_solve(method, mv, b, rtol, maxiter)
        res = float(np.linalg.norm(b - mv(x))) / nb
        X[:, i] = x
        report.iterations.append(count)
        report.residuals.append(res)
        report.converged.append(info == 0)
    return (from_numpy(X, B) if host else X), report


def _scipy_solve(
    method: str, mv: Any, b: np.ndarray, rtol: float, maxiter: int
) -> tuple[np.ndarray, int, int]:
    """One column by SciPy's ``cg`` / ``minres``; ``(x, info, iterations)``.

    SciPy's MINRES takes real symmetric operators only: a complex Hermitian
    system runs as its real symmetric form ``[[Re M, -Im M], [Im M, Re M]]``
    on ``[Re x; Im x]``.
    """
    n = b.shape[0]
    count = [0]

    def cb(_x):
        count[0] += 1

    if method == "cg":
        lin = scipy.sparse.linalg.LinearOperator((n, n), matvec=mv, dtype=b.dtype)
        x, info = scipy.sparse.linalg.cg(lin, b, rtol=rtol, atol=0.0, maxiter=maxiter, callback=cb)
        return x, info, count[0]
    if np.iscomplexobj(b):

        def mv_real(z):
            y = mv(z[:n] + 1j * z[n:])
            return np.concatenate([y.real, y.imag])

        lin = scipy.sparse.linalg.LinearOperator((2 * n, 2 * n), matvec=mv_real, dtype=b.real.dtype)
        z, info = scipy.sparse.linalg.minres(
            lin, np.concatenate([b.real, b.imag]), rtol=rtol, maxiter=maxiter, callback=cb
        )
        return z[:n] + 1j * z[n:], info, count[0]
    lin = scipy.sparse.linalg.LinearOperator((n, n), matvec=mv, dtype=b.dtype)
    x, info = scipy.sparse.linalg.minres(lin, b, rtol=rtol, maxiter=maxiter, callback=cb)
    return x, info, count[0]
