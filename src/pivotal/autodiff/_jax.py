"""JAX adapter: a ``jax.custom_vjp`` per (rule, primal, options), built on first use and cached.

The forward runs the primal on the (possibly traced) arguments: the primals
given for JAX are traceable (``jax.scipy.linalg``) or call pivotal's host
code through ``jax.pure_callback`` with explicit result shapes, so
``jit``, ``grad`` and ``vmap`` all trace them.  The residuals are the
arguments and outputs, all JAX arrays (constants such as factors are
pytrees of arrays).  JAX differentiates ``fwd`` itself for a second order
(``check_grads(order=2)``, ``jax.hessian``); its primal reads factors that
are constants, so a traced ``fwd`` computes the output through the rule
again (one level down), which makes it depend on the arguments.  The backward converts JAX's cotangents to the rule's
convention and back: ``vjp_jax(c) = conj(vjp_torch(conj c))``.  Integer
constants (pivots) get ``None`` cotangents.  Forward mode (``jax.jvp``,
``jacfwd``) is not available through ``custom_vjp``.

A rule with a ``jvp`` is a ``jax.custom_jvp`` instead (JAX cannot combine
the two on one function): forward mode is the rule's JVP, and reverse mode
(``grad``, ``jacrev``) is JAX's transpose of it, so ``jvp``, ``jacfwd``,
``grad``, ``jit`` and ``hessian`` all work (see :mod:`.jvp_ops`).  A rule
without one raises a ``TypeError`` naming its functions under forward mode.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .._tracing import is_tracer
from ._rule import no_forward_mode_message

__all__ = ["apply_jax"]

# Least recently used first.  Bounded: options that are opaque objects (a callable operator,
# a preconditioner) make a new key per call, and an unbounded cache would keep each one
# alive.  An evicted entry costs only a rebuild (and a retrace under jax.jit).
_FUNCTIONS: OrderedDict[tuple, Any] = OrderedDict()
_CACHE_SIZE = 256


def _conj(x: Any) -> Any:
    if x is None or not hasattr(x, "dtype") or not jnp.iscomplexobj(x):
        return x
    return jnp.conj(x)


def _zero_cotangent(ct: Any, out: Any) -> Any:
    """A symbolic zero cotangent (JAX passes ``None``-free zeros, but a float0 for integer outputs)."""
    if ct is None or getattr(ct, "dtype", None) == jax.dtypes.float0:
        return jnp.zeros(out.shape, out.dtype)
    return ct


def _float0_or_zero(out: Any) -> Any:
    """The zero tangent of an output: ``float0`` for integer outputs (pivots, permutations)."""
    if jnp.issubdtype(out.dtype, jnp.inexact):
        return jnp.zeros(out.shape, out.dtype)
    return np.zeros(out.shape, dtype=jax.dtypes.float0)


def _out_tangent(t: Any, out: Any) -> Any:
    if t is None or not jnp.issubdtype(out.dtype, jnp.inexact):
        return _float0_or_zero(out)
    if jnp.iscomplexobj(t) and not jnp.iscomplexobj(out):  # a real output's tangent is real
        t = jnp.real(t)
    return jnp.broadcast_to(t.astype(out.dtype), out.shape)


def _custom_jvp(rule: Any, primal, static: dict):
    """``primal`` as a ``jax.custom_jvp`` with the rule's JVP (see the module docs)."""

    @jax.custom_jvp
    def fn(*args):
        return primal(*args, **static)

    def fn_jvp(primals, tangents):
        # JAX may hand over primals it folded to NumPy constants (numerical checks, residuals).
        primals = jax.tree_util.tree_map(jnp.asarray, primals)
        if any(is_tracer(x) for x in jax.tree_util.tree_leaves(primals)):
            out = fn(*primals)  # differentiable in the primals at the next order (jax.hessian)
        else:
            out = primal(*primals, **static)
        out = jax.tree_util.tree_map(jnp.asarray, out)
        tans = tuple(
            t if i in rule.argnums and primals[i] is not None else None for i, t in enumerate(tangents)
        )
        t_out = rule.jvp(static, primals, out, tans, primal)
        if isinstance(out, tuple):
            return out, tuple(_out_tangent(t, o) for t, o in zip(t_out, out, strict=True))
        return out, _out_tangent(t_out, out)

    fn.defjvp(fn_jvp)
    return fn


def _function(rule: Any, primal, static_items: tuple):
    key = (rule.name, primal, static_items)
    fn = _FUNCTIONS.get(key)
    if fn is not None:
        _FUNCTIONS.move_to_end(key)
        return fn
    static = dict(static_items)
    if rule.jvp is not None:
        fn = _FUNCTIONS[key] = _custom_jvp(rule, primal, static)
        if len(_FUNCTIONS) > _CACHE_SIZE:
            _FUNCTIONS.popitem(last=False)
        return fn

    @jax.custom_vjp
    def fn(*args):
        return primal(*args, **static)

    def fwd(*args):
        if any(is_tracer(x) for x in jax.tree_util.tree_leaves(args)):
            # JAX differentiates fwd itself at the next order; its primal reads constant factors, so
            # the output goes through the rule again (one level down each time) to depend on args.
            out = fn(*args)
        else:
            out = primal(*args, **static)
        return out, (args, out)

    def bwd(res, cts):
        # JAX may hand back residuals it folded to NumPy constants: the rules expect JAX arrays.
        args, out = jax.tree_util.tree_map(jnp.asarray, res)
        if isinstance(out, tuple):
            cts = tuple(_conj(_zero_cotangent(c, o)) for c, o in zip(cts, out, strict=True))
        else:
            cts = _conj(_zero_cotangent(cts, out))
        needs = tuple(i in rule.argnums for i in range(len(args)))
        grads = rule.vjp(static, args, out, cts, needs, primal)
        return tuple(_conj(g) if n and g is not None else None for g, n in zip(grads, needs, strict=True))

    fn.defvjp(fwd, bwd)
    _FUNCTIONS[key] = fn
    if len(_FUNCTIONS) > _CACHE_SIZE:
        _FUNCTIONS.popitem(last=False)
    return fn


def apply_jax(rule: Any, primal, args: tuple, static: dict) -> Any:
    """Run ``primal`` on ``args`` through the rule's ``custom_jvp`` or ``custom_vjp``."""
    fn = _function(rule, primal, tuple(sorted(static.items())))
    if rule.jvp is not None:
        return fn(*args)
    try:
        return fn(*args)
    except TypeError as exc:
        if "forward-mode" not in str(exc):
            raise
        raise TypeError(no_forward_mode_message(rule)) from exc
