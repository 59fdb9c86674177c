"""Derivative rules of the solves: with given factors, ``lu_solve``, ``cho_solve``, ``solve_triangular``.

Derivation (Giles 2008, "Collected matrix derivative results for forward
and reverse mode algorithmic differentiation", section 2.2.3).  For
``x = M^{-1} b``, ``dx = M^{-1} (db - dM x)``; with conjugate-Wirtinger
cotangents (PyTorch's convention, see :mod:`._rule`)

    b_bar = M^{-H} x_bar,        M_bar = -b_bar x^H.

For ``op(A) = A^T`` (``trans=1``): ``M = A^T``, ``b_bar = conj(A)^{-1} x_bar
= conj(A^{-1} conj(x_bar))`` and ``A_bar = M_bar^T = -conj(x) b_bar^T``; for
``op(A) = A^H`` (``trans=2``): ``b_bar = A^{-1} x_bar`` and ``A_bar =
-x b_bar^H``.  In each case ``A_bar = -w z^H`` for a pair ``(w, z)`` of
``(n, k)`` blocks, and ``b_bar`` is a solve with the *same factors*
(``trans`` switched): the backward never refactors.  Pivots and
permutations are constants (they are piecewise constant functions of ``A``).

The factors' own gradients follow from ``A_bar`` by the chain rule through
``A = P L U`` (``lu_solve``: ``L_bar = tril(P^T A_bar U^H, -1)``, ``U_bar =
triu(L^H P^T A_bar)``) and ``A = L L^H`` (``cho_solve``: ``L_bar =
tril((A_bar + A_bar^H) L)``; ``A = U^H U``: ``U_bar = triu(U (A_bar +
A_bar^H))``), each formed from ``(w, z)`` in ``O(n^2 k)`` without the
``n x n`` matrix ``A_bar``.
"""

from __future__ import annotations

from typing import Any

from .._array import backend_name, namespace
from .._effective import swap_last
from ._apply import apply
from ._ops import conj, eye_like, inverse_permutation, lu_row_permutation, mH, take_rows
from ._rule import Rule, register
from .jvp_ops import jax_tangent_solve

__all__ = [
    "CHO_SOLVE",
    "FACTOR_SOLVE",
    "LU_SOLVE",
    "SOLVE_TRIANGULAR",
    "adjoint_pair",
    "factor_solve",
    "solver_inverse",
    "tangent_solve",
    "tangent_trace_solve",
]


def _adjoint(solve_fn, g: Any, trans: int) -> Any:
    """``op(A)^{-H} g`` through ``solve_fn(rhs, trans)``, which solves with ``A`` (``trans`` 0, 1, 2)."""
    if trans == 0:
        return solve_fn(g, 2)
    if trans == 2:
        return solve_fn(g, 0)
    return conj(solve_fn(conj(g), 0))  # (A^T)^{-H} = conj(A)^{-1}


def adjoint_pair(x: Any, b_bar: Any, trans: int) -> tuple[Any, Any]:
    """``(w, z)`` with ``A_bar = -w z^H`` for ``x = op(A)^{-1} b`` (see the module docs)."""
    if trans == 0:
        return b_bar, x
    if trans == 2:
        return x, b_bar
    return conj(x), conj(b_bar)


# ----------------------------------------------------------------------------- solve with given factors
def _factor_solve_primal(a: Any, b: Any, solver: Any, *, trans: int) -> Any:
    return solver.solve(b, trans, check_finite=False)


def factor_solve(a: Any, b: Any, solver: Any, trans: int = 0) -> Any:
    """``op(a)^{-1} b`` for a 2-D-per-matrix ``b`` ``(..., n, k)``, solved by ``solver`` (factors of ``a``).

    ``a`` is only a graph node (``None`` when it is a constant): the values
    come from ``solver.solve(b, trans, check_finite=False)``.  Differentiable
    in ``a`` and ``b``; the factors are constants and are never recomputed.
    """
    return apply(FACTOR_SOLVE, _factor_solve_primal, a, b, solver, trans=trans)


def _factor_solve_vjp(static, args, x, x_bar, needs, primal):
    a, _b, solver = args
    t = static["trans"]
    b_bar = _adjoint(lambda g, tt: factor_solve(a, g, solver, tt), x_bar, t)
    a_bar = None
    if needs[0] and a is not None:
        w, z = adjoint_pair(x, b_bar, t)
        a_bar = (-w) @ mH(z)  # negate the (n, k) block, not the (n, n) product
        xp = namespace(a_bar)
        while len(a_bar.shape) > len(a.shape):  # one matrix, a batch of right-hand sides
            a_bar = xp.sum(a_bar, axis=0)
    return a_bar, b_bar, None


def tangent_solve(a: Any, rhs: Any, solver: Any, trans: int = 0) -> Any:
    """``op(a)^{-1} rhs`` for a tangent ``rhs`` with the factors in ``solver``: the forward-mode rules' solve.

    Linear (on JAX transposable) in ``rhs`` and differentiable in ``a``
    (:mod:`.jvp_ops`); never refactors.
    """
    if backend_name(rhs) == "jax":
        return jax_tangent_solve(a, rhs, solver, trans)
    return factor_solve(a, rhs, solver, trans)


def tangent_trace_solve(a: Any, da: Any, solver: Any) -> Any:
    """``tr(A^{-1} dA)`` per matrix of a batch (Jacobi's formula), through :func:`tangent_solve`."""
    xp = namespace(da)
    return xp.sum(xp.linalg.diagonal(tangent_solve(a, da, solver, 0)), axis=-1)


def _op_times(da: Any, x: Any, trans: int) -> Any:
    """``op(dA) x``."""
    if trans == 0:
        return da @ x
    return (mH(da) if trans == 2 else swap_last(da)) @ x


def _solve_tangent(x: Any, da: Any, db: Any, trans: int) -> Any:
    """``db - op(dA) x``: the right-hand side of the tangent solve (``None`` when both are constant)."""
    rhs = db
    if da is not None:
        rhs = -_op_times(da, x, trans) if rhs is None else rhs - _op_times(da, x, trans)
    return rhs


def _factor_solve_jvp(static, args, x, tangents, primal):
    # Forward mode: dx = op(A)^{-1} (db - op(dA) x), one more solve with the same factors.
    a, _b, solver = args
    rhs = _solve_tangent(x, tangents[0], tangents[1], static["trans"])
    return None if rhs is None else tangent_solve(a, rhs, solver, static["trans"])


FACTOR_SOLVE = register(
    Rule(
        name="factor_solve",
        functions=("solve", "Factorization.solve"),
        argnums=(0, 1),
        vjp=_factor_solve_vjp,
        jvp=_factor_solve_jvp,
        caveats="pivots are constants; the adjoint solve reuses the factors (no refactoring); "
        "refine= differentiates as the exact solve",
        reference="Giles (2008), sec. 2.2.3",
    )
)


def solver_inverse(a: Any, solver: Any) -> Any:
    """``a^{-1}`` from the factors in ``solver``: differentiable (``n`` solves) when ``a`` is.

    Without a graph, the solver's own ``inverse()`` (for Cholesky factors
    ``L^{-H} L^{-1}``: one triangular inverse and one product) or ``inv()``.
    """
    from .._tracing import needs_rule

    if a is not None and needs_rule(a):
        eye = namespace(a).broadcast_to(eye_like(a), a.shape)
        return factor_solve(a, eye, solver, 0)
    inverse = getattr(solver, "inverse", None)
    return inverse() if inverse is not None else solver.inv()


# ----------------------------------------------------------------------------- solve_triangular
def _solve_triangular_vjp(static, args, x, x_bar, needs, primal):
    a, _b = args
    t, lower, unit = static["trans"], static["lower"], static["unit_diagonal"]

    def solve(g, tt):
        return apply(SOLVE_TRIANGULAR, primal, a, g, trans=tt, lower=lower, unit_diagonal=unit)

    b_bar = _adjoint(solve, x_bar, t)
    a_bar = None
    if needs[0]:
        xp = namespace(x)
        w, z = adjoint_pair(x, b_bar, t)
        full = -(w @ mH(z))
        k = -1 if unit else 0  # a unit diagonal is not read
        a_bar = xp.tril(full, k=k) if lower else xp.triu(full, k=-k)
    return a_bar, b_bar


def _solve_triangular_jvp(static, args, x, tangents, primal):
    # dx = op(T)^{-1} (db - op(dT) x) with dT restricted to the triangle read (no unit diagonal).
    a, _b = args
    t, lower, unit = static["trans"], static["lower"], static["unit_diagonal"]
    da, db = tangents
    if da is not None:
        xp = namespace(da)
        k = -1 if unit else 0
        da = xp.tril(da, k=k) if lower else xp.triu(da, k=-k)
    rhs = _solve_tangent(x, da, db, t)
    if rhs is None:
        return None
    return apply(SOLVE_TRIANGULAR, primal, a, rhs, trans=t, lower=lower, unit_diagonal=unit)


SOLVE_TRIANGULAR = register(
    Rule(
        name="solve_triangular",
        functions=("solve_triangular",),
        argnums=(0, 1),
        vjp=_solve_triangular_vjp,
        jvp=_solve_triangular_jvp,
        caveats="the gradient of a is zero outside the triangle read (and on a unit diagonal)",
        reference="Giles (2008), sec. 2.2.3, restricted to the triangle",
    )
)


# ----------------------------------------------------------------------------- lu_solve
def _lu_solve_vjp(static, args, x, x_bar, needs, primal):
    lu, piv, _b = args
    t = static["trans"]

    def solve(g, tt):
        return apply(LU_SOLVE, primal, lu, piv, g, trans=tt)

    b_bar = _adjoint(solve, x_bar, t)
    lu_bar = None
    if needs[0]:
        xp = namespace(lu)
        w, z = adjoint_pair(x, b_bar, t)
        pw = take_rows(w, lu_row_permutation(piv, lu.shape[-1]))  # P^T w
        low = xp.tril(lu, k=-1) + eye_like(lu)
        up = xp.triu(lu)
        # A_bar = -w z^H:  L_bar = tril(P^T A_bar U^H, -1),  U_bar = triu(L^H P^T A_bar).
        lu_bar = -xp.tril(pw @ mH(up @ z), k=-1) - xp.triu((mH(low) @ pw) @ mH(z))
    return lu_bar, None, b_bar


def _lu_times(lu: Any, dlu: Any, perm: Any, x: Any, trans: int) -> Any:
    """``op(dA) x`` for ``A = P L U`` and the tangent ``dA = P (dL U + L dU)`` of the packed factors."""
    xp = namespace(lu)
    low = xp.tril(lu, k=-1) + eye_like(lu)
    up = xp.triu(lu)
    dlow, dup = xp.tril(dlu, k=-1), xp.triu(dlu)
    if trans == 0:
        y = dlow @ (up @ x) + low @ (dup @ x)
        return take_rows(y, inverse_permutation(perm))  # P y
    f = mH if trans == 2 else swap_last
    px = take_rows(x, perm)  # P^T x
    return f(up) @ (f(dlow) @ px) + f(dup) @ (f(low) @ px)


def _lu_solve_jvp(static, args, x, tangents, primal):
    # A = P L U: dx = op(A)^{-1} (db - op(dA) x), dA = P (dL U + L dU), solved with the same factors.
    lu, piv, _b = args
    t = static["trans"]
    dlu, db = tangents[0], tangents[2]
    da_x = None if dlu is None else _lu_times(lu, dlu, lu_row_permutation(piv, lu.shape[-1]), x, t)
    rhs = db if da_x is None else (-da_x if db is None else db - da_x)
    if rhs is None:
        return None
    return apply(LU_SOLVE, primal, lu, piv, rhs, trans=t)


LU_SOLVE = register(
    Rule(
        name="lu_solve",
        functions=("lu_solve",),
        argnums=(0, 2),
        vjp=_lu_solve_vjp,
        jvp=_lu_solve_jvp,
        caveats="gradient with respect to the packed factors lu and b; piv is a constant; "
        "rook/complete pivoting (jpiv) has no rule",
        reference="Giles (2008) sec. 2.2.3 and the chain rule through A = P L U",
    )
)


# ----------------------------------------------------------------------------- cho_solve
def _cho_solve_vjp(static, args, x, x_bar, needs, primal):
    c, _b = args
    lower = static["lower"]
    b_bar = apply(CHO_SOLVE, primal, c, x_bar, lower=lower)  # A is Hermitian: A^{-H} = A^{-1}
    c_bar = None
    if needs[0]:
        xp = namespace(c)
        w, z = b_bar, x  # A_bar = -w z^H
        if lower:  # L_bar = tril((A_bar + A_bar^H) L); the other triangle of c is not read
            tri = xp.tril(c)
            c_bar = -xp.tril(w @ mH(mH(tri) @ z) + z @ mH(mH(tri) @ w))
        else:  # U_bar = triu(U (A_bar + A_bar^H))
            tri = xp.triu(c)
            c_bar = -xp.triu((tri @ w) @ mH(z) + (tri @ z) @ mH(w))
    return c_bar, b_bar


def _cho_solve_jvp(static, args, x, tangents, primal):
    # A = L L^H (A = U^H U): dA = dL L^H + L dL^H on the triangle read; dx = A^{-1} (db - dA x).
    c, _b = args
    lower = static["lower"]
    dc, db = tangents
    rhs = db
    if dc is not None:
        xp = namespace(c)
        tri, dtri = (xp.tril(c), xp.tril(dc)) if lower else (mH(xp.triu(c)), mH(xp.triu(dc)))
        da_x = dtri @ (mH(tri) @ x) + tri @ (mH(dtri) @ x)
        rhs = -da_x if rhs is None else rhs - da_x
    if rhs is None:
        return None
    return apply(CHO_SOLVE, primal, c, rhs, lower=lower)


CHO_SOLVE = register(
    Rule(
        name="cho_solve",
        functions=("cho_solve",),
        argnums=(0, 1),
        vjp=_cho_solve_vjp,
        jvp=_cho_solve_jvp,
        caveats="gradient with respect to the triangle of c that is read, and b",
        reference="Giles (2008) sec. 2.2.3 and the chain rule through A = L L^H (Murray 2016, eq. 8)",
    )
)
