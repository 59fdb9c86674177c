"""Krylov solves with a PyTorch tensor that requires grad or a JAX tracer: routed through a derivative rule.

The rules (:mod:`pivotal.autodiff.krylov_rules`) differentiate the exact
solution: the backward is one more Krylov solve with the adjoint operator.
This module builds the rule's arguments -- ``(A_node, b, A_op, A_op_adj,
x0, M, M_adj, callback)``: a dense ``A`` is the graph node ``A_node``; any
other ``A`` (sparse, ``LinearOperator``, callable, object with ``matmat``)
is a constant ``A_op`` with its adjoint ``A_op_adj`` made here, so that the
backward needs nothing from this package -- and holds the forwards:
:func:`forward` runs the solver on values without a graph, and under
``jax.jit`` (no values: the loops decide convergence on them) on the host
through ``jax.pure_callback`` with the result's shapes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse
import scipy.sparse.linalg

from .._array import backend_name, namespace, real_dtype, working_dtype
from .._tracing import is_tracer
from ._operators import as_operator, is_torch_sparse

__all__ = ["forward", "route"]


def _is_dense(a: Any) -> bool:
    return (
        hasattr(a, "shape")
        and hasattr(a, "dtype")
        and not hasattr(a, "matmat")
        and not callable(a)
        and not scipy.sparse.issparse(a)
        and not is_torch_sparse(a)
    )


def _mh(a: Any) -> Any:
    if backend_name(a) == "torch":
        return a.mH
    import jax.numpy as jnp

    return jnp.conj(a).T if jnp.iscomplexobj(a) else a.T


class _Adjoint:
    """``A^H`` of a matrix-free operator as an object with ``matmat`` and ``rmatmat``."""

    def __init__(self, op: Any) -> None:
        self.matmat, self.rmatmat = op.rmatmat, op.matmat
        if op.shape[1] != -1:
            self.shape = (op.shape[1], op.shape[0])
        if op.dtype is not None:
            self.dtype = op.dtype


def _adjoint_operator(a: Any, b: Any, solver: str) -> Any:
    """``A^H`` of a non-dense ``A`` (for the backward of gmres and lsqr); ``TypeError`` when ``A`` has none."""
    if isinstance(a, scipy.sparse.linalg.LinearOperator):
        return a.H
    if scipy.sparse.issparse(a):
        return a.conj().T
    if is_torch_sparse(a):
        return a.t().conj() if a.is_complex() else a.t()
    if isinstance(a, tuple) and len(a) == 2:
        return (a[1], a[0])
    try:
        op = as_operator(
            a, "A", backend=backend_name(b), xp=namespace(b), n_rows=int(b.shape[0]), adjoint=True
        )
    except TypeError:
        raise TypeError(
            f"the gradient of pivotal.krylov.{solver} with respect to b needs a solve with A^H, but A is "
            "a callable without an adjoint; pass a LinearOperator, a pair (matvec, rmatvec), or an "
            "object with matmat and rmatmat."
        ) from None
    return _Adjoint(op)


def route(fn: Any, A: Any, b: Any, x0: Any, M: Any, callback: Any, return_info: bool, options: dict):
    """The solve of the solver ``fn`` (``cg``, ...) through its derivative rule (see the module docs)."""
    solver = fn.__name__
    from ..autodiff import apply
    from ..autodiff.krylov_rules import KRYLOV_LSQR, KRYLOV_SOLVE

    dense = _is_dense(A)
    if not dense and getattr(A, "requires_grad", False):
        raise ValueError(
            f"A requires grad, but pivotal.krylov.{solver} differentiates only a dense A (a sparse or "
            "matrix-free A is a constant: b alone gets a gradient); pass A.detach(), or a dense A."
        )
    for arr, name in ((x0, "x0"), (M, "M")):
        if getattr(arr, "requires_grad", False):
            raise ValueError(
                f"{name} requires grad, but the solution of pivotal.krylov.{solver} does not depend on "
                f"{name} (it only changes the iteration): pass {name}.detach()."
            )
    needs_adjoint = solver in ("gmres", "lsqr")
    A_node, A_op = (A, None) if dense else (None, A)
    A_adj = _adjoint_operator(A, b, solver) if needs_adjoint and not dense else None
    M_adj = None
    if solver == "gmres" and M is not None:
        if not _is_dense(M):
            raise TypeError(
                "the gradient of pivotal.krylov.gmres needs the adjoint of the preconditioner M for the "
                "adjoint solve: pass M as a dense array (or no M)."
            )
        M_adj = _mh(M)
    if backend_name(b) == "jax":
        _check_jax(solver, dense, M, callback, return_info)
    rule = KRYLOV_LSQR if solver == "lsqr" else KRYLOV_SOLVE
    static = {
        "solver": solver,
        "fn": fn,
        "return_info": return_info,
        "options": tuple(sorted(options.items())),
    }
    return apply(rule, forward, A_node, b, A_op, A_adj, x0, M, M_adj, callback, **static)


def _check_jax(solver: str, dense: bool, M: Any, callback: Any, return_info: bool) -> None:
    bad = []
    if not dense:
        bad.append("A must be a dense JAX array")
    if M is not None and not _is_dense(M):
        bad.append("M must be a dense JAX array or None")
    if callback is not None:
        bad.append("callback is not supported")
    if return_info:
        bad.append("return_info=True is not supported (KrylovInfo holds host values)")
    if bad:
        raise TypeError(
            f"pivotal.krylov.{solver} under jax.grad/jax.jit: {'; '.join(bad)}. Call it outside the "
            "transformation for these options."
        )


def _call(fn: Any, A: Any, b: Any, x0: Any, M: Any, callback: Any, return_info: bool, options: tuple):
    kwargs = dict(options)
    if fn.__name__ != "lsqr":
        kwargs.update(M=M, callback=callback)
    return fn(A, b, x0=x0, return_info=return_info, **kwargs)


def forward(A_node, b, A_op, A_adj, x0, M, M_adj, callback, *, solver, fn, return_info, options):
    """The rules' forward: the solver on values without a graph; under ``jax.jit`` a host callback."""
    A = A_node if A_node is not None else A_op
    if not any(is_tracer(v) for v in (A_node, b, x0, M)):
        return _call(fn, A, b, x0, M, callback, return_info, options)
    import jax

    dtype = working_dtype(b)
    for v in (A_node, x0, M):
        if v is not None:
            dtype = np.promote_types(dtype, working_dtype(v))
    rdtype = real_dtype(dtype)
    n = int(A_node.shape[1])
    xshape = (n, *tuple(b.shape[1:]))
    scalar = tuple(b.shape[1:])
    out = [jax.ShapeDtypeStruct(xshape, dtype), jax.ShapeDtypeStruct((), np.int32)]
    if solver == "lsqr":  # x, istop, itn, r1norm, r2norm, anorm, acond, arnorm, xnorm, var
        out = [out[0], jax.ShapeDtypeStruct(scalar, np.int32), jax.ShapeDtypeStruct(scalar, np.int32)]
        out += [jax.ShapeDtypeStruct(scalar, rdtype) for _ in range(6)]
        out.append(jax.ShapeDtypeStruct(xshape, rdtype))

    def host(a, rhs, guess, m):
        res = _call(fn, np.asarray(a), np.asarray(rhs), _np(guess), _np(m), None, False, options)
        cast = [np.asarray(r, dtype=s.dtype).reshape(s.shape) for r, s in zip(res, out, strict=True)]
        return tuple(cast)

    return tuple(jax.pure_callback(host, tuple(out), A_node, b, x0, M, vmap_method="sequential"))


def _np(v: Any) -> Any:
    return None if v is None else np.asarray(v)
