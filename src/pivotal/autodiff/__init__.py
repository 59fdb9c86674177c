"""Automatic differentiation of pivotal's public functions on PyTorch and JAX.

The user writes nothing new: a public function that sees a tensor requiring
grad (with grad mode on) or a JAX tracer routes through its rule.  Each rule
is written once, backend-neutral, in one module per family
(:mod:`.solve_rules`, :mod:`.det_rules`, :mod:`.inv_rules`), and
:mod:`._torch` / :mod:`._jax` turn it into a ``torch.autograd.Function`` and
a ``jax.custom_vjp``.  See ``docs/autodiff.md``.
"""

from ._apply import apply
from ._dispatch import needs_rule
from ._rule import Rule
from ._table import registry

__all__ = ["Rule", "apply", "needs_rule", "registry"]
