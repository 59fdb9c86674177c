"""``apply``: run a rule's primal, recorded on the backend whose arrays are differentiated or traced."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._tracing import is_tracer, torch_needs_grad
from ._rule import Rule

__all__ = ["apply"]


def _backend(args: tuple) -> str | None:
    for x in args:
        if x is None:
            continue
        mod = type(x).__module__
        if mod.startswith("torch") and torch_needs_grad(x):
            return "torch"
        if mod.startswith("jax") and is_tracer(x):
            return "jax"
    return None


def apply(rule: Rule, primal: Callable[..., Any], *args: Any, **static: Any) -> Any:
    """``primal(*args, **static)``, recorded with ``rule`` when an argument is differentiated or traced.

    Only the arguments at ``rule.argnums`` are inspected; constants never
    make a call differentiable.
    """
    backend = _backend(tuple(args[i] for i in rule.argnums))
    if backend is None:
        return primal(*args, **static)
    if backend == "torch":
        from ._torch import apply_torch

        return apply_torch(rule, primal, args, static)
    from ._jax import apply_jax

    return apply_jax(rule, primal, args, static)
