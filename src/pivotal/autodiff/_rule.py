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

``jvp(static, args, outputs, tangents, primal)`` (optional: forward mode)
    Returns the tangents of the outputs (same structure as ``outputs``;
    ``None`` for an integer output) from one tangent per positional
    argument (``None`` for constants).  The JVP is the plain (real-linear)
    derivative, the same for every backend: no convention to convert.  It
    must be linear in the tangents and written with operations that JAX can
    transpose (products, ``tril``/``triu``, ``conj``, triangular solves and
    :func:`~.solve_rules.tangent_solve`), because JAX derives the reverse mode of
    a rule with a ``jvp`` by transposing it (``jax.custom_jvp``), and with
    operations that are differentiable in the primals, for ``jax.hessian``.

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

__all__ = ["Rule", "no_forward_mode_message", "register", "registered"]


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
    jvp : callable or None
        See the module docs; ``None``: no forward mode (``jax.jvp``,
        ``torch.autograd.forward_ad`` raise an error naming the functions).
    """

    name: str
    functions: tuple[str, ...]
    argnums: tuple[int, ...]
    vjp: Callable[..., tuple]
    caveats: str
    reference: str
    jvp: Callable[..., object] | None = None

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


def no_forward_mode_message(rule: Rule) -> str:
    """The error of forward mode (``jax.jvp``, ``jacfwd``, ``forward_ad``) through a rule without a JVP."""
    names = ", ".join(f"pivotal.{f}" for f in rule.functions)
    return (
        f"{names} has a reverse-mode derivative rule ({rule.name!r}) but no forward-mode (JVP) rule: "
        "jax.jvp, jax.jacfwd, jax.hessian and torch.autograd.forward_ad cannot differentiate it. Use "
        "reverse mode (jax.grad, jax.jacrev, jax.jacrev(jax.jacrev(f)) for a Hessian, torch.autograd); "
        "docs/autodiff.md lists the rules with forward mode."
    )
