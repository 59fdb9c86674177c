"""Operations the forward-mode rules (``Rule.jvp``) are written with, one per backend.

A JVP is linear in the tangents.  On JAX a rule with a ``jvp`` is a
``jax.custom_jvp`` whose reverse mode JAX derives by transposing the
tangent computation, and whose second order (``jax.hessian`` =
``jacfwd(jacrev)``) differentiates the JVP in the primals.  A solve with
constant factors (``stop_gradient``) is transposable but has no derivative
in the matrix, so :func:`jax_tangent_solve` uses ``jax.lax.custom_linear_solve``:
the factors solve, and the matrix-vector product ``op(A) x`` carries the
dependence on ``A`` (implicit differentiation).  On PyTorch the tangent
solve goes through the ``factor_solve`` rule
(:func:`.solve_rules.tangent_solve` dispatches), so a forward-mode tangent
of the tangent (forward over forward) also works.
"""

from __future__ import annotations

from typing import Any

from .._effective import swap_last
from ._ops import conj, mH

__all__ = ["jax_tangent_solve"]


def _jax_factor_solve(solver: Any, y: Any, trans: int) -> Any:
    """``op(A)^{-1} y`` with ``solver``'s factors, by traceable and transposable JAX operations only."""
    if getattr(solver, "kind", None) == "host":  # the forward solves on the host: the LU factors here
        import jax.scipy.linalg as jsl

        _m, lu, piv = solver.arrays
        return jsl.lu_solve((lu, piv), y, trans=trans, check_finite=False)
    return solver.solve(y, trans, check_finite=False)


def _op(a: Any, trans: int) -> Any:
    if trans == 0:
        return a
    return mH(a) if trans == 2 else swap_last(a)


def jax_tangent_solve(a: Any, rhs: Any, solver: Any, trans: int = 0) -> Any:
    """``op(a)^{-1} rhs`` for a JAX tangent ``rhs``, with the factors in ``solver`` (never refactors).

    Linear and transposable in ``rhs``, and differentiable in ``a``
    (``None``: a constant matrix), see the module docs.
    """
    import jax

    if a is None:
        return _jax_factor_solve(solver, rhs, trans)
    m = _op(a, trans)
    # The transpose of op(A) is op'(A) with trans 0 <-> 1; (A^H)^T = conj(A): conj(A^{-1} conj(y)).
    if trans == 0:

        def tsolve(_mv, y):
            return _jax_factor_solve(solver, y, 1)
    elif trans == 1:

        def tsolve(_mv, y):
            return _jax_factor_solve(solver, y, 0)
    else:

        def tsolve(_mv, y):
            return conj(_jax_factor_solve(solver, conj(y), 0))

    return jax.lax.custom_linear_solve(
        lambda x: m @ x,
        rhs,
        solve=lambda _mv, y: _jax_factor_solve(solver, y, trans),
        transpose_solve=tsolve,
    )
