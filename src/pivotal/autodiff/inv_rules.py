"""Derivative rule of the inverse.

``X = A^{-1}``: ``dX = -X dA X``, so with conjugate-Wirtinger cotangents
``A_bar = -X^H X_bar X^H`` (Giles 2008, sec. 2.2.3).  Written with the
output ``X`` only (two matrix products): no solve, no refactoring, and
differentiable again through ``X``.
"""

from __future__ import annotations

from ._ops import mH
from ._rule import Rule, register

__all__ = ["INV"]


def _inv_vjp(static, args, x, x_bar, needs, primal):
    xh = mH(x)
    return (-(xh @ x_bar @ xh), *(None for _ in args[1:]))


def _inv_jvp(static, args, x, tangents, primal):
    da = tangents[0]
    return None if da is None else -(x @ da @ x)  # dX = -X dA X


INV = register(
    Rule(
        name="inv",
        functions=("inv", "Factorization.inv"),
        argnums=(0,),
        vjp=_inv_vjp,
        jvp=_inv_jvp,
        caveats="structured assume_a: the gradient reaches the entries the structure reads",
        reference="Giles (2008), sec. 2.2.3",
    )
)
