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
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import jax
import jax.numpy as jnp

from .._tracing import is_tracer

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


def _function(rule: Any, primal, static_items: tuple):
    key = (rule.name, primal, static_items)
    fn = _FUNCTIONS.get(key)
    if fn is not None:
        _FUNCTIONS.move_to_end(key)
        return fn
    static = dict(static_items)

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
    """Run ``primal`` on ``args`` through the rule's ``custom_vjp``."""
    return _function(rule, primal, tuple(sorted(static.items())))(*args)
