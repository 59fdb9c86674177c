"""Validation shared by the Krylov solvers: ``b``, ``x0``, tolerances, dtype, and the returned outcome.

A right-hand side of shape ``(n,)`` is solved as the block ``(n, 1)`` and
returned as ``(n,)``; ``(n, k)`` is solved column by column in one batched
iteration and returned as ``(n, k)``.  ``x0`` has ``b``'s shape.  The
working dtype is that of ``b``, ``A``, ``M`` and ``x0`` promoted together
(integers and bools as floats, as SciPy: float16 -> float32, ints ->
float64), so float32 data are solved in float32.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse

from .._array import (
    astype,
    backend_name,
    check_finite_or_raise,
    is_complex,
    is_traced,
    namespace,
    promote_dtypes,
    real_dtype,
    refuse_masked,
    to_numpy,
    unit_roundoff,
    working_dtype,
)
from ..errors import LinAlgWarning, warn_user
from ._columns import cnorm, update
from ._operators import (
    BlockOperator,
    as_operator,
    as_preconditioner,
    is_torch_sparse,
    operator_dtype,
    require_square,
    stored_values,
)
from ._result import KrylovInfo

__all__ = ["System", "check_tolerance", "finish", "setup"]


@dataclass
class System:
    """A validated problem: ``A``, ``M``, ``b`` as an ``(n, k)`` block, and the per-column thresholds."""

    xp: Any
    A: BlockOperator
    M: BlockOperator | None
    b: Any  # (m, k) in dtype
    x0: Any  # (ncols, k) in dtype, or None
    vector: bool
    dtype: Any
    rdtype: Any
    cplx: bool
    bnorm: Any  # (k,) real, in xp
    tol: Any  # (k,) real: max(rtol * ||b_j||, atol)
    rtol: float
    atol: float
    maxiter: int
    eps: float

    @property
    def n(self) -> int:
        return int(self.b.shape[0])

    @property
    def k(self) -> int:
        return int(self.b.shape[1])

    def zeros(self, rows: int | None = None) -> Any:
        rows = self.n if rows is None else rows
        return self.xp.zeros((rows, self.k), dtype=self.dtype, device=_device(self.b))

    def matmat(self, X: Any) -> Any:
        return self._cast(self.A.matmat(X))

    def rmatmat(self, X: Any) -> Any:
        return self._cast(self.A.rmatmat(X))

    def psolve(self, X: Any) -> Any:
        return X if self.M is None else self._cast(self.M.matmat(X))

    def _cast(self, Y: Any) -> Any:
        if backend_name(Y) != backend_name(self.b):
            Y = self.xp.asarray(np.asarray(Y)) if backend_name(self.b) == "numpy" else self.xp.asarray(Y)
        if isinstance(Y, np.matrix):
            Y = np.asarray(Y)
        if len(Y.shape) == 1:
            Y = self.xp.reshape(Y, (Y.shape[0], 1))
        return astype(Y, self.dtype) if Y.dtype != self.dtype else Y

    def user(self, X: Any) -> Any:
        """``X`` in the caller's shape: ``(n,)`` for a vector ``b``."""
        return self.xp.reshape(X, (X.shape[0],)) if self.vector else X


def _device(x: Any):
    return x.device if backend_name(x) in ("torch",) else None


def check_tolerance(value: Any, name: str) -> float:
    """A finite non-negative float, or ``ValueError`` saying what is wrong."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}.")
    v = float(value)
    if not (math.isfinite(v) and v >= 0):
        raise ValueError(f"{name} must be finite and non-negative, got {value!r}.")
    return v


def check_maxiter(maxiter: Any, default: int, name: str = "maxiter") -> int:
    if maxiter is None:
        return default
    if isinstance(maxiter, bool) or not isinstance(maxiter, numbers.Integral):
        raise TypeError(f"{name} must be a positive integer or None, got {maxiter!r}.")
    if maxiter < 1:
        raise ValueError(f"{name} must be a positive integer or None, got {maxiter}.")
    return int(maxiter)


def refuse_untracked(x: Any, name: str, solver: str) -> None:
    """Refuse what reaches the iteration with a graph: a torch tensor needing gradients, a JAX tracer.

    A dense ``A`` and ``b`` with a graph were routed through the derivative
    rule before (:mod:`pivotal.krylov._differentiable`); what arrives here
    is ``x0`` or ``M`` (or a matrix-free ``A``'s arrays) alone.  The loops
    decide convergence on concrete values and combine the Krylov basis with
    host scalars, so a gradient through them would be silently wrong, and
    under ``jax.jit`` there are no values to decide on.
    """
    if backend_name(x) == "torch" and getattr(x, "requires_grad", False):
        import torch

        if torch.is_grad_enabled():
            raise ValueError(
                f"{name} requires grad, but pivotal.krylov.{solver} differentiates with respect to a dense A "
                f"and b only (the solution does not depend on x0 or M); pass {name}.detach() or wrap the "
                "call in torch.no_grad()."
            )
    if is_traced(x):
        raise ValueError(
            f"{name} is being traced (jax.jit, grad or vmap), but pivotal.krylov.{solver} traces only a "
            "dense A and b (through its derivative rule); pass x0 and M as concrete arrays, or call it "
            "outside the traced function."
        )


def _as_rhs(b: Any):
    refuse_masked(b, "b")
    if scipy.sparse.issparse(b):
        raise TypeError("b is a scipy.sparse matrix; pass a dense array (b.toarray()).")
    if backend_name(b) == "numpy":
        b = np.asarray(b)
        if b.dtype == object or b.dtype.kind not in "biufc":
            raise TypeError(f"b has dtype {b.dtype}; pass a numeric array.")
    return b


def setup(
    solver: str,
    A: Any,
    b: Any,
    x0: Any,
    *,
    rtol: Any,
    atol: Any,
    maxiter: Any,
    M: Any,
    maxiter_per_n: int,
    check_finite: bool,
    square: bool = True,
    adjoint: bool = False,
    rtol_name: str = "rtol",
    atol_name: str = "atol",
) -> System:
    """Validate the arguments of ``solver`` and build its :class:`System`."""
    b = _as_rhs(b)
    for arr, name in ((b, "b"), (x0, "x0"), (A, "A"), (M, "M")):
        if arr is not None and hasattr(arr, "shape") and hasattr(arr, "dtype"):
            refuse_untracked(arr, name, solver)
    xp = namespace(b)
    backend = backend_name(b)
    if len(b.shape) not in (1, 2):
        raise ValueError(
            f"b must have shape (n,) or (n, k) (k right-hand sides), got shape {tuple(b.shape)}; reshape it."
        )
    vector = len(b.shape) == 1
    m = int(b.shape[0])
    op = as_operator(A, "A", backend=backend, xp=xp, n_rows=m, adjoint=adjoint)
    if square:
        require_square(op, "A", solver)
    if op.shape[1] != -1:
        ncols = op.shape[1]
    else:  # a callable: square, or (lsqr) as many rows as x0, if given
        ncols = m if square or x0 is None else int(getattr(x0, "shape", (m,))[0])
    Mop = as_preconditioner(M, ncols, backend=backend, xp=xp) if square else None
    rtol_v = check_tolerance(rtol, rtol_name)
    atol_v = check_tolerance(atol, atol_name)
    if x0 is not None:
        x0 = _as_rhs(x0)
        if backend_name(x0) != backend:
            raise TypeError(f"x0 is a {backend_name(x0)} array but b is a {backend} array; use one backend.")
        want = (ncols,) if vector else (ncols, int(b.shape[1]))
        if tuple(x0.shape) != want:
            raise ValueError(
                f"x0 must have shape {want} (one initial guess per column of b), got {tuple(x0.shape)}."
            )
    dtype = working_dtype(b)
    if x0 is not None:
        dtype = promote_dtypes(dtype, working_dtype(x0))
    dtype = operator_dtype(op, dtype)
    dtype = operator_dtype(Mop, dtype)
    if check_finite:
        for arr, name in ((b, "b"), (x0, "x0")):
            if arr is not None:
                check_finite_or_raise(arr, name)
        if op.kind == "array":
            check_finite_or_raise(stored_values(A) if is_torch_sparse(A) else A, "A")
        elif op.kind == "sparse":
            check_finite_or_raise(A.data, "A")
    b2 = astype(b, dtype)
    if vector:
        b2 = xp.reshape(b2, (m, 1))
    if x0 is not None:
        x0 = astype(x0, dtype)
        if vector:
            x0 = xp.reshape(x0, (ncols, 1))
    rdt = real_dtype(dtype)
    eps = 2.0 * unit_roundoff(rdt)
    bnorm = cnorm(xp, b2)
    tol = xp.maximum(bnorm * rtol_v, xp.full_like(bnorm, atol_v))
    return System(
        xp=xp,
        A=op,
        M=Mop,
        b=b2,
        x0=x0,
        vector=vector,
        dtype=dtype,
        rdtype=rdt,
        cplx=is_complex(dtype),
        bnorm=bnorm,
        tol=tol,
        rtol=rtol_v,
        atol=atol_v,
        maxiter=check_maxiter(maxiter, maxiter_per_n * max(ncols, 1)),
        eps=eps,
    )


def start(sys: System, op: Any = None) -> tuple[Any, Any]:
    """The initial ``x`` and residual ``b - op(x)`` (``op`` defaults to ``A``).

    ``x0`` or zeros; a column with ``b_j = 0`` starts (and stays) at
    ``x_j = 0``, SciPy's rule.
    """
    if sys.x0 is None:
        return sys.zeros(), sys.b
    xp, zero = sys.xp, sys.zeros()
    live = sys.bnorm > 0
    op = sys.matmat if op is None else op
    x = update(xp, live, sys.x0, zero)
    return x, update(xp, live, sys.b - op(x), zero)


def host(x: Any) -> np.ndarray:
    """A small ``(k,)`` array on the host (for the outcome report)."""
    return np.asarray(to_numpy(x))


def finish(
    sys: System,
    method: str,
    x: Any,
    iterations: Any,
    converged: Any,
    breakdown: Any,
    maxiter: int,
    return_info: bool,
    residual_op: Any = None,
    residuals: Any = None,
):
    """``(x, info)`` as SciPy returns it, or ``(x, KrylovInfo)`` with ``return_info``; warns on breakdown.

    ``residual_norms`` are the true residuals ``||b - op(x)||`` (one more product with ``residual_op``,
    ``A`` by default) unless the solver passes its own ``residuals``.
    """
    conv = host(converged).astype(bool)
    brk = host(breakdown).astype(bool)
    if brk.any():
        info = -1
    elif conv.all():
        info = 0
    else:
        info = int(maxiter)
    if not return_info:
        return sys.user(x), info
    its = host(iterations).astype(np.int64)
    op = sys.matmat if residual_op is None else residual_op
    if residuals is not None:
        res = np.asarray(host(residuals), dtype=np.float64)
    else:
        res = host(cnorm(sys.xp, sys.b - op(x)) if sys.k and sys.n else sys.bnorm * 0).astype(np.float64)
    if info == 0:
        msg = f"all {conv.size} column(s) converged"
    elif info < 0:
        msg = f"breakdown in column(s) {np.flatnonzero(brk).tolist()}"
    else:
        msg = f"column(s) {np.flatnonzero(~conv).tolist()} did not converge in {maxiter} iterations"
    return sys.user(x), KrylovInfo(
        method=method,
        info=info,
        iterations=its,
        residual_norms=res,
        converged=conv,
        breakdown=brk,
        tolerance=host(sys.tol).astype(np.float64),
        rtol=sys.rtol,
        atol=sys.atol,
        message=msg,
    )


def warn_breakdown(method: str, what: str) -> None:
    """A :class:`~pivotal.LinAlgWarning` naming the breakdown (the solve returns ``info = -1``)."""
    warn_user(LinAlgWarning(f"{method}: {what}"))
