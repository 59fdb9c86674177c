"""The ``Rule`` type, the registry of rules, and ``apply``, which runs a rule on any backend.

A rule is the derivative of one operation, written once on the array API:

``vjp(static, args, outputs, cotangents, needs, primal)``
    Returns one cotangent per positional argument (``None`` for constants
    and for arguments whose ``needs`` entry is false), in PyTorch's
    convention: for a real loss ``L`` the cotangent of a complex ``z`` is
    ``dL/d(conj z)`` (conjugate Wirtinger), so that ``x_bar`` and the
    adjoint ``A^H`` go together.  The JAX adapter converts (JAX's cotangents
    are the conjugates of PyTorch's: ``vjp_jax(c) = conj(vjp_torch(conj c))``
    for every R-linear map).  A ``vjp`` computes with differentiable
    operations only (array-API operations and other rules through
    :func:`apply`), so that it can itself be differentiated (double backward).

The primal (the forward computation) is passed to :func:`apply` by the
module that owns the public function (:func:`pivotal.autodiff.apply`): it is that function's ordinary code
running on values without a graph, so the forward is exactly what runs
without gradients.  Constants (factors, pivots, a factorization object)
are positional arguments that are not in ``argnums``; hashable options are
keyword arguments (``static``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Rule", "register", "registered"]


@dataclass(frozen=True)
class Rule:
    """One derivative rule.

    Attributes
    ----------
    name : str
        Registry key.
    functions : tuple of str
        The public functions and methods that route through the rule
        (documentation and the rule table of ``docs/autodiff.md``).
    argnums : tuple of int
        Positions of the differentiable arguments.
    vjp : callable
        See the module docs.
    caveats : str
        What the rule does not cover (one line, for the rule table).
    reference : str
        Derivation or citation.
    """

    name: str
    functions: tuple[str, ...]
    argnums: tuple[int, ...]
    vjp: Callable[..., tuple]
    caveats: str
    reference: str

    def __repr__(self) -> str:
        return f"Rule({self.name!r}, functions={self.functions})"


_REGISTRY: dict[str, Rule] = {}


def register(rule: Rule) -> Rule:
    """Add ``rule`` to the registry (its name must be new)."""
    if rule.name in _REGISTRY:
        raise ValueError(f"a rule named {rule.name!r} is already registered.")
    _REGISTRY[rule.name] = rule
    return rule


def registered() -> dict[str, Rule]:
    """The rules registered so far (see :func:`pivotal.autodiff.registry` for all of them)."""
    return dict(_REGISTRY)
