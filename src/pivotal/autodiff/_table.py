"""The registry of every rule (the rule modules are imported on demand)."""

from __future__ import annotations

from ._rule import Rule, registered

__all__ = ["registry"]


def registry() -> dict[str, Rule]:
    """Every rule, by name: what the tests and the rule table of ``docs/autodiff.md`` enumerate."""
    from . import (  # noqa: F401  (importing them registers their rules)
        det_rules,
        factor_rules,
        inv_rules,
        krylov_rules,
        lstsq_rules,
        qr_rules,
        solve_rules,
        spectral_rules,
        topk_rules,
    )

    return registered()
