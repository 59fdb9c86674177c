"""Derivative rules of determinants: ``det``, ``slogdet`` (and ``logdet``), ``inv_quad_logdet``.

Derivations (Giles 2008, sec. 2.2.4; conjugate-Wirtinger cotangents, see
:mod:`._rule`).  With ``d log det A = tr(A^{-1} dA)`` (Jacobi's formula):

``det``
    ``d det = det tr(A^{-1} dA)``, so ``A_bar = conj(det) g A^{-H}``.
``slogdet``
    ``logabsdet = Re log det A`` and ``sign = exp(i Im log det A)``; a real
    cotangent ``g`` of ``logabsdet`` and ``s_bar`` of ``sign`` give
    ``A_bar = (g + i c) A^{-H}`` with ``c = Im(s_bar conj(sign))`` (zero for
    real matrices, whose sign is piecewise constant).
``inv_quad_logdet``
    For Hermitian positive definite ``A`` and ``y = A^{-1} b``:
    ``q = sum_j b_j^H A^{-1} b_j`` has ``dq = 2 Re tr(y^H db) - tr(y^H dA y)``,
    so ``b_bar = 2 g1 y`` and ``A_bar = -g1 y y^H + g2 A^{-1}`` (GPyTorch's
    ``inv_quad_logdet``; Rasmussen & Williams 2006, eq. 5.9).

``A^{-H}`` is a solve with the forward's factors (``trans`` switched), so
no rule refactors; for a singular ``A`` (``det = 0``) the backward raises
``SingularMatrixError`` (the adjugate formula is not implemented).
"""

from __future__ import annotations

from typing import Any

from .._array import is_complex, namespace
from ._ops import conj, real, scaled_eye
from ._rule import Rule, register
from .solve_rules import factor_solve, solver_inverse, tangent_trace_solve

__all__ = ["DET", "INV_QUAD_LOGDET", "SLOGDET"]


def _inverse_h_times(a: Any, s: Any, solver: Any) -> Any:
    """``s A^{-H}`` for per-matrix scalars ``s``: a solve of ``A^H X = s I`` with the factors."""
    return factor_solve(a, scaled_eye(s, a), solver, 2)


def _det_vjp(static, args, det, g, needs, primal):
    a, solver = args
    return _inverse_h_times(a, conj(det) * g, solver), None


def _det_jvp(static, args, det, tangents, primal):
    # Jacobi: d det = det tr(A^{-1} dA); the trace from one solve with the forward's factors.
    a, solver = args
    da = tangents[0]
    return None if da is None else det * tangent_trace_solve(a, da, solver)


DET = register(
    Rule(
        name="det",
        functions=("det", "Factorization.det"),
        argnums=(0,),
        vjp=_det_vjp,
        jvp=_det_jvp,
        caveats="singular A: the backward raises SingularMatrixError (no adjugate formula)",
        reference="Jacobi's formula; Giles (2008), sec. 2.2.4",
    )
)


def _slogdet_vjp(static, args, out, cts, needs, primal):
    a, solver = args
    sign, _logabs = out
    s_bar, g = cts
    xp = namespace(a)
    if is_complex(a.dtype):
        s = xp.astype(g, a.dtype) + 1j * xp.imag(s_bar * conj(sign))
    else:
        s = g
    return _inverse_h_times(a, s, solver), None


def _slogdet_jvp(static, args, out, tangents, primal):
    # d log det A = t = tr(A^{-1} dA): d logabsdet = Re t, d sign = i Im(t) sign (zero for real A).
    a, solver = args
    sign, _logabs = out
    da = tangents[0]
    if da is None:
        return None, None
    xp = namespace(da)
    t = tangent_trace_solve(a, da, solver)
    if not is_complex(a.dtype):
        return None, t
    return sign * (1j * xp.imag(t)), real(t)


SLOGDET = register(
    Rule(
        name="slogdet",
        functions=("slogdet", "Factorization.slogdet", "Factorization.logdet"),
        argnums=(0,),
        vjp=_slogdet_vjp,
        jvp=_slogdet_jvp,
        caveats="the sign of a real matrix is a constant; singular A: the backward raises",
        reference="Jacobi's formula; Giles (2008), sec. 2.2.4",
    )
)


def _inv_quad_logdet_vjp(static, args, out, cts, needs, primal):
    a, b, solver = args
    g1, g2 = cts
    xp = namespace(a)
    y = factor_solve(a, b, solver, 0)  # A^{-1} b with the forward's Cholesky factor
    g1m = xp.astype(g1, y.dtype)[..., None, None]
    a_bar = b_bar = None
    if needs[0]:
        ainv = solver_inverse(a, solver)
        a_bar = (
            -(y * g1m) @ conj(xp.permute_dims(y, _swap(y))) + xp.astype(g2, a.dtype)[..., None, None] * ainv
        )
    if needs[1]:
        b_bar = 2 * g1m * y
    return a_bar, b_bar, None


def _swap(x: Any) -> tuple[int, ...]:
    axes = list(range(len(x.shape)))
    axes[-1], axes[-2] = axes[-2], axes[-1]
    return tuple(axes)


def _inv_quad_logdet_jvp(static, args, out, tangents, primal):
    # y = A^{-1} b: dq = 2 Re tr(y^H db) - Re tr(y^H dA y), d logdet = Re tr(A^{-1} dA)
    # (the transpose of the vjp above; A Hermitian).
    a, b, solver = args
    da, db = tangents[0], tangents[1]
    xp = namespace(a)
    y = factor_solve(a, b, solver, 0)
    dq = dl = None
    if db is not None:
        dq = 2 * real(xp.sum(conj(y) * db, axis=(-2, -1)))
    if da is not None:
        quad = -real(xp.sum(conj(y) * (da @ y), axis=(-2, -1)))
        dq = quad if dq is None else dq + quad
        dl = real(tangent_trace_solve(a, da, solver))
    return dq, dl


INV_QUAD_LOGDET = register(
    Rule(
        name="inv_quad_logdet",
        functions=("inv_quad_logdet",),
        argnums=(0, 1),
        vjp=_inv_quad_logdet_vjp,
        jvp=_inv_quad_logdet_jvp,
        caveats="A Hermitian positive definite (one triangle read); A^{-1} from the forward's factor",
        reference="Rasmussen & Williams (2006), eq. 5.9; GPyTorch inv_quad_logdet",
    )
)
