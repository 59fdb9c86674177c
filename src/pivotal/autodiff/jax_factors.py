"""Factors of a JAX matrix as a pytree: the constants that JAX rules carry from forward to backward.

``JaxFactors("lu", (lu, piv))`` or ``JaxFactors("cholesky", (c,), lower)``
holds ``jax.scipy.linalg`` factors (traceable, on the array's device) and
offers what the rules need of a factorization: ``solve(b, trans)``,
``inverse()``, ``det()``, ``slogdet()`` and ``logdet()``.  Being a pytree of
arrays it can be a ``custom_vjp`` argument and residual (never a Python
object holding tracers).  ``factor(a, kind, lower)`` computes the factors of
a matrix with ``stop_gradient``: they are constants of the rules.

The module is public within the package because :mod:`pivotal.linsolve` and
:mod:`pivotal.gaussian` use ``factor`` too; it imports JAX at module level, so
callers import it inside the function that has a JAX array in hand.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import jax.scipy.linalg as jsl

__all__ = ["JaxFactors", "factor"]


@jax.tree_util.register_pytree_node_class
class JaxFactors:
    """``jax.scipy.linalg`` factors of a (batch of) square matrices; see the module docs."""

    def __init__(self, kind: str, arrays: tuple, lower: bool = False, host: Any = None):
        self.kind, self.arrays, self.lower, self.host = kind, tuple(arrays), bool(lower), host

    def tree_flatten(self):
        return self.arrays, (self.kind, self.lower, self.host)

    @classmethod
    def tree_unflatten(cls, aux, children):
        return cls(aux[0], tuple(children), aux[1], aux[2])

    def solve(self, b: Any, trans: int = 0, check_finite: bool = False) -> Any:
        if self.kind == "host":  # (m, lu, piv): the forward on the host, adjoint solves with lu
            m, lu, piv = self.arrays
            if trans == 0:
                dtype = jnp.result_type(m.dtype, b.dtype)
                shape = jax.ShapeDtypeStruct(
                    jnp.broadcast_shapes(m.shape[:-2], b.shape[:-2]) + b.shape[-2:], dtype
                )
                return jax.pure_callback(self.host, shape, m, b, vmap_method="sequential")
            return jsl.lu_solve((lu, piv), b, trans=trans, check_finite=False)
        if self.kind == "lu":
            lu, piv = self.arrays
            return jsl.lu_solve((lu, piv), b, trans=trans, check_finite=False)
        (c,) = self.arrays
        if trans == 1 and jnp.iscomplexobj(c):  # A^T = conj(A) for Hermitian A
            return jnp.conj(jsl.cho_solve((c, self.lower), jnp.conj(b), check_finite=False))
        return jsl.cho_solve((c, self.lower), b, check_finite=False)

    def inverse(self) -> Any:
        m = self.arrays[0]
        eye = jnp.broadcast_to(jnp.eye(m.shape[-1], dtype=m.dtype), m.shape)
        return self.solve(eye, 0)

    def slogdet(self) -> tuple[Any, Any]:
        m = self.arrays[0]
        d = jnp.diagonal(m, axis1=-2, axis2=-1)
        if self.kind == "cholesky":
            logabs = 2.0 * jnp.sum(jnp.log(jnp.abs(d)), axis=-1)
            return jnp.ones(logabs.shape, m.dtype), logabs
        piv = self.arrays[1]
        swaps = jnp.sum(piv != jnp.arange(piv.shape[-1], dtype=piv.dtype), axis=-1)
        parity = jnp.where(swaps % 2 == 1, -1.0, 1.0).astype(m.dtype)
        absd = jnp.abs(d)
        phase = jnp.prod(jnp.where(absd == 0, 0.0, d / jnp.where(absd == 0, 1.0, absd)), axis=-1)
        return parity * phase, jnp.sum(jnp.log(absd), axis=-1)

    def det(self) -> Any:
        m = self.arrays[0]
        d = jnp.diagonal(m, axis1=-2, axis2=-1)
        if self.kind == "cholesky":
            return jnp.prod(d * jnp.conj(d), axis=-1)
        piv = self.arrays[1]
        swaps = jnp.sum(piv != jnp.arange(piv.shape[-1], dtype=piv.dtype), axis=-1)
        return jnp.where(swaps % 2 == 1, -1.0, 1.0).astype(m.dtype) * jnp.prod(d, axis=-1)

    def logdet(self) -> Any:
        sign, logabs = self.slogdet()
        return logabs if self.kind == "cholesky" else logabs + jnp.log(sign)


def factor(a: Any, kind: str, lower: bool = False, host: Any = None) -> JaxFactors:
    """The factors of ``stop_gradient(a)`` (``kind`` ``"lu"``, ``"cholesky"`` or ``"host"``).

    ``"host"``: LU factors for the adjoint solves, and ``host(a, b)`` (NumPy
    in, NumPy out, through ``jax.pure_callback``) for the forward solve.
    """
    a = jax.lax.stop_gradient(a)
    if kind == "host":
        lu, piv = jsl.lu_factor(a, check_finite=False)
        return JaxFactors("host", (a, lu, piv), host=host)
    if kind == "cholesky":
        c = jsl.cholesky(a, lower=lower, check_finite=False)
        return JaxFactors("cholesky", (c,), lower)
    lu, piv = jsl.lu_factor(a, check_finite=False)
    return JaxFactors("lu", (lu, piv))
