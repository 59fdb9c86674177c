"""Automatic differentiation of pivotal's public functions on PyTorch and JAX.

The user writes nothing new: a public function that sees a tensor requiring
grad (with grad mode on) or a JAX tracer routes through its rule.  Each rule
is written once, backend-neutral, in one module per family
(:mod:`.solve_rules`, :mod:`.det_rules`, :mod:`.inv_rules`), and
:mod:`._torch` / :mod:`._jax` turn it into a ``torch.autograd.Function`` and
a ``jax.custom_vjp``.  See ``docs/autodiff.md``.

The spectral backward formulas are pure functions on the array API
(:mod:`.spectral_vjp` for the full ``svd`` / ``eigh``, :mod:`.topk_vjp` for
the matrix-free top-k backward of ``svds`` / ``eigsh`` / ``rsvd`` /
``reigh`` / ``nystrom``, returning a :class:`LowRankGradient`); NumPy users
call them directly.  See ``docs/autodiff_spectral.md``.
"""

from .._tracing import needs_rule
from ._apply import apply
from ._rule import Rule
from ._table import registry

# The spectral formulas load on first use: the mechanism above (``apply``,
# ``needs_rule``) sits below ``factorizations`` (whose objects route through
# it), while the top-k formulas sit above ``krylov``, which sits above
# ``factorizations`` (any factorization is a preconditioner).
_LAZY = {
    "DegenerateSubspaceWarning": "spectral_vjp",
    "eigh_vjp": "spectral_vjp",
    "svd_vjp": "spectral_vjp",
    "LowRankGradient": "topk_gradient",
    "TopkBackwardInfo": "topk_vjp",
    "eigsh_vjp": "topk_vjp",
    "svds_vjp": "topk_vjp",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DegenerateSubspaceWarning",
    "LowRankGradient",
    "Rule",
    "TopkBackwardInfo",
    "apply",
    "eigh_vjp",
    "eigsh_vjp",
    "needs_rule",
    "registry",
    "svd_vjp",
    "svds_vjp",
]
