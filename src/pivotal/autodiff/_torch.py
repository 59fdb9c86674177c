"""PyTorch adapter: one ``torch.autograd.Function`` per rule, built on first use and cached.

``forward`` runs the primal (autograd runs it without grad mode, so the
public functions inside take their ordinary path); ``setup_context`` saves
the tensor arguments and outputs with ``save_for_backward`` (so that a
double backward sees them as graph nodes) and keeps the constants on
``ctx``; ``backward`` calls the rule's ``vjp``.  Under
``backward(create_graph=True)`` grad mode is on inside ``backward``, the
operations of the ``vjp`` are recorded, and the rules it calls route through
their own ``Function``: gradients of gradients work to any order.

Forward mode (``torch.autograd.forward_ad``): ``jvp`` calls the rule's
``jvp`` on the arguments and outputs saved with ``save_for_forward``; a rule
without one raises a ``RuntimeError`` naming its functions.

``torch.func``: the class uses the ``setup_context`` form that
``torch.func.grad``/``vjp`` need, but the primal runs pivotal's host code
(LAPACK through NumPy for CPU tensors), which functorch's wrapped tensors
cannot enter, and there is no vmap rule: ``torch.func`` transforms and
``vmap`` are not supported (use ``torch.autograd``).
"""

from __future__ import annotations

from typing import Any

import torch

from ._rule import no_forward_mode_message

__all__ = ["apply_torch"]

_FUNCTIONS: dict[str, type] = {}


def _function(rule: Any) -> type:
    fn = _FUNCTIONS.get(rule.name)
    if fn is not None:
        return fn

    class RuleFunction(torch.autograd.Function):
        @staticmethod
        def forward(primal, static, *args):
            return primal(*args, **dict(static))

        @staticmethod
        def setup_context(ctx, inputs, output):
            _, static, *args = inputs
            outs = output if isinstance(output, tuple) else (output,)
            slots, tensors, consts = [], [], []
            for x in (*args, *outs):
                if isinstance(x, torch.Tensor):
                    slots.append(("t", len(tensors)))
                    tensors.append(x)
                else:
                    slots.append(("c", len(consts)))
                    consts.append(x)
            ctx.save_for_backward(*tensors)
            ctx.save_for_forward(*tensors)
            ctx.slots, ctx.consts, ctx.static, ctx.nargs = slots, consts, dict(static), len(args)
            ctx.tuple_out = isinstance(output, tuple)
            ctx.primal = inputs[0]
            for x in outs:  # integer outputs (none today) and real signs carry no gradient
                if isinstance(x, torch.Tensor) and not (x.is_floating_point() or x.is_complex()):
                    ctx.mark_non_differentiable(x)

        @staticmethod
        def backward(ctx, *grads):
            saved = ctx.saved_tensors
            values = [saved[i] if kind == "t" else ctx.consts[i] for kind, i in ctx.slots]
            args, outs = tuple(values[: ctx.nargs]), tuple(values[ctx.nargs :])
            needs = tuple(ctx.needs_input_grad[2:])
            cts = grads if ctx.tuple_out else grads[0]
            out = outs if ctx.tuple_out else outs[0]
            result = rule.vjp(ctx.static, args, out, cts, needs, ctx.primal)
            return (None, None, *(g if n else None for g, n in zip(result, needs, strict=True)))

        @staticmethod
        def jvp(ctx, *tangents):
            if rule.jvp is None:
                raise RuntimeError(no_forward_mode_message(rule))
            saved = ctx.saved_tensors
            values = [saved[i] if kind == "t" else ctx.consts[i] for kind, i in ctx.slots]
            args, outs = tuple(values[: ctx.nargs]), tuple(values[ctx.nargs :])
            tans = tuple(
                t if i in rule.argnums and isinstance(t, torch.Tensor) else None
                for i, t in enumerate(tangents[2:])
            )
            out = outs if ctx.tuple_out else outs[0]
            t_out = rule.jvp(ctx.static, args, out, tans, ctx.primal)
            if not ctx.tuple_out:
                return _out_tangent(t_out, out)
            return tuple(_out_tangent(t, o) for t, o in zip(t_out, outs, strict=True))

    RuleFunction.__name__ = RuleFunction.__qualname__ = f"{rule.name}_rule"
    _FUNCTIONS[rule.name] = RuleFunction
    return RuleFunction


def _out_tangent(t: Any, out: Any) -> Any:
    """The tangent of one output: ``None`` for integer outputs, real for real outputs, zeros for ``None``."""
    if not isinstance(out, torch.Tensor) or not (out.is_floating_point() or out.is_complex()):
        return None
    if t is None:
        return torch.zeros_like(out)
    if t.is_complex() and not out.is_complex():
        t = t.real
    return t.to(out.dtype).expand(out.shape)


def apply_torch(rule: Any, primal, args: tuple, static: dict) -> Any:
    """Run ``primal`` on ``args`` through the rule's ``autograd.Function``."""
    return _function(rule).apply(primal, tuple(sorted(static.items())), *args)
