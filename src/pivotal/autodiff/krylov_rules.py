"""Derivative rules of the Krylov solvers: ``krylov.cg``, ``minres``, ``gmres`` and ``lsqr``.

The rules differentiate the *exact* solution the iteration approximates,
not the iteration (whose steps depend on the data through its stopping
decisions); the backward is one more Krylov solve with the adjoint
operator, run with the same tolerances (Giles 2008, sec. 2.2.3, for the
solve; the adjoint method of iterative solvers, e.g. Johnson's notes on
adjoint methods):

``cg``, ``minres`` (``A`` Hermitian; ``minres``: ``A - shift I``), ``gmres``
    ``x = A^{-1} b``: ``b_bar = A^{-H} x_bar`` -- a solve with the same
    operator and preconditioner for ``cg``/``minres``, with ``A^H`` (and
    ``M^H``) for ``gmres`` -- and, for a dense ``A``, ``A_bar = -b_bar x^H``.
    As for :func:`pivotal.solve`, ``A_bar`` is the gradient with respect to
    every entry of ``A`` (not symmetrized).
``lsqr`` (``damp = 0``, any rank)
    ``x = A^+ b`` (LSQR from ``x0 = 0`` converges to the minimum-norm
    least-squares solution): the least-squares rule of :mod:`.lstsq_rules`
    at fixed rank, with ``A^{+H} g`` the minimum-norm LSQR solution of
    ``A^H y = g`` (from ``y_0 = 0``) and ``A^+ g`` the LSQR solution with
    ``A``.  The rank of a Krylov problem is not known, so ``A_bar`` keeps
    all three projector terms; at full rank the two extra ones are zero up
    to the solves' tolerance, and cost one more adjoint solve.
``lsqr`` (``damp = d > 0``)
    ``x = N^{-1} A^H b`` with ``N = A^H A + d^2 I``: ``dx = N^{-1} (dA^H r -
    A^H dA x)``, ``r = b - A x``, so with ``y = N^{-1} x_bar``

        b_bar = A y = (A A^H + d^2 I)^{-1} A x_bar,    A_bar = r y^H - b_bar x^H;

    ``b_bar`` is LSQR on ``(A^H, x_bar)`` with the same ``damp`` (its
    solution is ``(A A^H + d^2 I)^{-1} A x_bar``), and ``y = (x_bar - A^H
    b_bar) / d^2`` (from ``N y = x_bar``), whose relative error is that of
    ``b_bar`` times ``||A||^2 / d^2``.

A sparse or matrix-free ``A`` is a constant (``b`` alone gets a
gradient); ``x0`` and ``M`` are constants (the solution does not depend on
them).  The adjoint solve's outcome goes to the forward's ``KrylovInfo``
(``info.extra["adjoint"]``, with ``return_info=True``); when it does not
converge the backward warns (:class:`~pivotal.LinAlgWarning`).  The
gradient's error is that of the two solves: ``||x - x*|| <= rtol kappa
||x*||`` for each (``kappa`` the condition number of ``A``), so the
gradients agree with a direct solve's to about ``2 rtol kappa`` relative.
"""

from __future__ import annotations

from typing import Any

from .._array import backend_name, namespace, to_float
from .._tracing import concrete_value
from ..errors import LinAlgWarning, warn_user
from ._apply import apply
from ._ops import mH
from ._rule import Rule, register
from .lstsq_rules import pinv_solution_vjp

__all__ = ["KRYLOV_LSQR", "KRYLOV_SOLVE"]


def _like(g: Any, x: Any) -> Any:
    """The cotangent ``g`` in ``x``'s namespace (JAX may hand NumPy cotangents to a ``custom_vjp``)."""
    return g if backend_name(g) == backend_name(x) else namespace(x).asarray(g)


def _block(v: Any) -> Any:
    return v[:, None] if len(v.shape) == 1 else v


def _refuse_other_cotangents(cts: tuple, what: str) -> None:
    for c in cts:
        if c is None or not hasattr(c, "dtype"):
            continue
        value = concrete_value(c)
        if value is None or not hasattr(value, "shape"):
            continue
        xp = namespace(value)
        if not (xp.isdtype(value.dtype, ("real floating", "complex floating"))):
            continue
        if value.shape != (0,) and to_float(xp.max(xp.abs(xp.reshape(value, (-1,))))) != 0:
            raise ValueError(
                f"the loss depends on {what}, which has no derivative rule; only the solution x of a "
                "pivotal.krylov solve is differentiable (detach the other outputs)."
            )


def _adjoint_solve(static, primal, a_node, g, a_op, a_adj, m_op, m_adj, traced: bool):
    """The adjoint solve through the rule itself (differentiable again); returns ``(y, info)``."""
    rule = KRYLOV_LSQR if static["solver"] == "lsqr" else KRYLOV_SOLVE
    opts = dict(static, return_info=not traced)
    out = apply(rule, primal, a_node, g, a_op, a_adj, None, m_op, m_adj, None, **opts)
    return out[0], (out[1] if not traced else None)


def _report(info: Any, forward_info: Any, solver: str) -> None:
    if info is None:
        return
    if not bool(info.converged.all()):
        warn_user(
            LinAlgWarning(
                f"pivotal.krylov.{solver}: the adjoint solve of the backward did not converge "
                f"({info.message}); the gradient is only as accurate as its residual."
            )
        )
    extra = getattr(forward_info, "extra", None)
    if isinstance(extra, dict):
        extra["adjoint"] = info


def _traced(x: Any) -> bool:
    return backend_name(x) == "jax" and concrete_value(x) is None


def _solve_vjp(static, args, outs, cts, needs, primal):
    a_node, _b, a_op, a_adj, _x0, m, m_adj, _cb = args
    x, forward_info = outs[0], outs[1]
    x_bar = _like(cts[0], x)
    solver = static["solver"]
    traced = _traced(x_bar)
    if solver == "gmres":  # A^{-H}: solve with A^H (and M^H)
        adj_node = mH(a_node) if a_node is not None else None
        y, info = _adjoint_solve(static, primal, adj_node, x_bar, a_adj, a_op, m_adj, m, traced)
    else:  # Hermitian A (and M): the same operator
        y, info = _adjoint_solve(static, primal, a_node, x_bar, a_op, a_adj, m, m_adj, traced)
    _report(info, forward_info, solver)
    a_bar = None
    if needs[0] and a_node is not None:
        a_bar = -(_block(y) @ mH(_block(x)))
    return a_bar, y, None, None, None, None, None, None


KRYLOV_SOLVE = register(
    Rule(
        name="krylov_solve",
        functions=("krylov.cg", "krylov.minres", "krylov.gmres"),
        argnums=(0, 1),
        vjp=_solve_vjp,
        caveats="the exact solution's derivative: one adjoint Krylov solve (same tolerances); a sparse or "
        "matrix-free A, x0 and M are constants; JAX: dense A, no return_info or callback",
        reference="Giles (2008), sec. 2.2.3; adjoint solve with A^H",
    )
)


def _lsqr_vjp(static, args, outs, cts, needs, primal):
    a_node, b, a_op, a_adj, _x0, _m, _m_adj, _cb = args
    x, x_bar = outs[0], _like(cts[0], outs[0])
    forward_info = outs[1] if static["return_info"] else None
    _refuse_other_cotangents(tuple(cts[1:]), "an output of lsqr other than x (var, the norms)")
    opts = dict(static["options"])
    damp = float(opts.get("damp", 0.0))
    traced = _traced(x_bar)
    a_h = mH(a_node) if a_node is not None else None
    infos = []

    def solve(g, forward: bool, damped: bool = False):
        st = dict(static, options=tuple(sorted({**opts, "damp": damp if damped else 0.0}.items())))
        node, op, adj = (a_node, a_op, a_adj) if forward else (a_h, a_adj, a_op)
        y, info = _adjoint_solve(st, primal, node, g, op, adj, None, None, traced)
        infos.append(info)
        return y

    vector = len(b.shape) == 1
    bb, xb, xbar = _block(b), _block(x), _block(x_bar)
    if damp == 0.0:
        m, n = int(bb.shape[0]), int(xb.shape[0])
        b_bar, a_bar = pinv_solution_vjp(
            lambda g: solve(g, True),
            lambda g: solve(g, False),
            a_node if a_node is not None else _Shape(m, n),
            bb,
            xb,
            xbar,
            0,  # the rank is unknown: keep every projector term (they vanish at full rank)
            needs[0] and a_node is not None,
        )
    else:
        b_bar = solve(xbar, False, damped=True)  # (A A^H + d^2 I)^{-1} A x_bar
        a_bar = None
        if needs[0] and a_node is not None:
            y = (xbar - a_h @ b_bar) / (damp * damp)
            a_bar = (bb - a_node @ xb) @ mH(y) - b_bar @ mH(xb)
    for info in infos:
        _report(info, forward_info, "lsqr")
    if vector:
        b_bar = b_bar[:, 0]
    return a_bar, b_bar, None, None, None, None, None, None


class _Shape:
    """The shape of a matrix-free ``A`` (``pinv_solution_vjp`` reads only the shape when ``A_bar`` is not needed)."""

    def __init__(self, m: int, n: int) -> None:
        self.shape = (m, n)


KRYLOV_LSQR = register(
    Rule(
        name="krylov_lsqr",
        functions=("krylov.lsqr",),
        argnums=(0, 1),
        vjp=_lsqr_vjp,
        caveats="at fixed rank when damp = 0 (the minimum-norm least-squares solution); adjoint LSQR solves "
        "with the same tolerances; var and the norms carry no gradient (refused); a matrix-free A is a "
        "constant",
        reference="Golub & Pereyra (1973) for damp = 0; the normal equations' derivative for damp > 0",
    )
)
