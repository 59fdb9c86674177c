"""Does a call need a derivative rule?  Cheap checks run at the top of every routed public function.

``needs_rule(*arrays)`` is true for a PyTorch tensor that requires grad while
grad mode is on, and for any JAX tracer (``jax.jit``, ``jax.grad``,
``jax.vmap``): a traced array has no values for pivotal's host code, and a
differentiated one needs the rule.  NumPy input costs one attribute read per
array.  The functions without a rule call :func:`refuse_gradient` (PyTorch)
or :func:`refuse_tracer` (JAX, where the computation would leave the
device for pivotal's host code), so that no result is silently detached
from the graph.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = [
    "caller_name",
    "concrete_value",
    "is_tracer",
    "needs_rule",
    "refuse_functorch",
    "refuse_gradient",
    "refuse_tracer",
    "torch_is_dual",
    "torch_needs_grad",
]


def torch_needs_grad(x: Any) -> bool:
    """True for a tensor that requires grad while grad mode is on, or that carries a forward-mode tangent."""
    if not getattr(x, "requires_grad", False):
        return torch_is_dual(x)
    torch = sys.modules.get("torch")
    return torch is not None and torch.is_grad_enabled()


def torch_is_dual(x: Any) -> bool:
    """True for a dual tensor of ``torch.autograd.forward_ad`` (inside a ``dual_level``, with a tangent)."""
    torch = sys.modules.get("torch")
    if torch is None or not isinstance(x, torch.Tensor):
        return False
    forward_ad = sys.modules.get("torch.autograd.forward_ad")
    if forward_ad is None or forward_ad._current_level < 0:
        return False
    return forward_ad.unpack_dual(x).tangent is not None


def is_tracer(x: Any) -> bool:
    """True for a JAX tracer (an array without values: under ``jit``, ``grad`` or ``vmap``)."""
    jax = sys.modules.get("jax")
    if jax is None or not type(x).__module__.startswith("jax"):
        return False
    return isinstance(x, jax.core.Tracer)


def refuse_functorch(x: Any) -> None:
    """``TypeError`` for a tensor wrapped by ``torch.func`` (``grad``, ``vmap``, ...): not supported."""
    torch = sys.modules.get("torch")
    if torch is not None and torch._C._functorch.is_functorch_wrapped_tensor(x):
        raise TypeError(
            f"{caller_name()} was called inside a torch.func transform (grad, vjp, jacrev, vmap): pivotal's "
            "forward runs host code that functorch's wrapped tensors cannot enter, so torch.func is not "
            "supported. Use torch.autograd (tensor.requires_grad_(), torch.autograd.grad) instead; see "
            "docs/autodiff.md."
        )


def needs_rule(*arrays: Any) -> bool:
    """True when one of ``arrays`` must go through a derivative rule (see the module docs).

    Tensors of a ``torch.func`` transform were refused earlier, by the validation of every public function
    (:func:`refuse_functorch`).
    """
    for x in arrays:
        if x is None:
            continue
        mod = type(x).__module__
        if mod.startswith("torch"):
            if torch_needs_grad(x):
                return True
        elif mod.startswith("jax") and is_tracer(x):
            return True
    return False


def concrete_value(x: Any) -> Any:
    """The concrete value under a JAX tracer (``jax.grad`` outside ``jit``), or ``None`` when it has none.

    A JVP tracer carries its primal; a tracer of ``jit`` (or of ``vmap``)
    carries only a shape and a dtype.  Non-tracers are returned unchanged.
    """
    while is_tracer(x):
        primal = getattr(x, "primal", None)
        if primal is None:
            return None
        x = primal
    return x


def caller_name() -> str:
    """The public pivotal function (or ``Class.method``) the user called, for error messages.

    The outermost frame of pivotal's code on the stack, outside this package.
    """
    frame = sys._getframe(1)
    name = None
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module.startswith("pivotal") and not module.startswith(("pivotal.autodiff", "pivotal._tracing")):
            code = frame.f_code.co_name
            if not code.startswith("_") or code == "__init__":
                owner = frame.f_locals.get("self")
                if code == "__init__" and owner is not None:
                    name = type(owner).__name__
                elif owner is not None:
                    name = f"{type(owner).__name__}.{code}"
                else:
                    name = code
        frame = frame.f_back
    return f"pivotal.{name}" if name else "this pivotal function"


def refuse_gradient(x: Any, name: str) -> None:
    """``ValueError`` for a tensor that requires grad, in a function that has no derivative rule yet."""
    if torch_needs_grad(x):
        func = caller_name()
        raise ValueError(
            f"{name} requires grad (or carries a forward-mode tangent), but {func} has no derivative rule yet (pivotal.autodiff.registry() "
            "and the rule table of docs/autodiff.md list the functions that have one). Pass "
            f"{name}.detach(), wrap the call in torch.no_grad(), or use "
            "torch.linalg where you need this gradient."
        )


def refuse_tracer(x: Any, name: str, what: str) -> None:
    """``TypeError`` for a JAX tracer reaching pivotal's host code (``what`` says which option needs it)."""
    if is_tracer(x):
        func = caller_name()
        raise TypeError(
            f"{func} with {what} runs pivotal's NumPy code on the host, which cannot see the values "
            f"of the traced JAX array {name} (under jax.jit, jax.grad or jax.vmap), and has no "
            "derivative rule there. Call it outside the transformation, or use the options that "
            "jax.scipy.linalg supports (see docs/autodiff.md)."
        )
