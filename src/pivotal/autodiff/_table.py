"""The registry of every rule (the rule modules are imported on demand)."""

from __future__ import annotations

from ._rule import Rule, registered

__all__ = ["registry"]


def registry() -> dict[str, Rule]:
    """Every rule, by name: what the tests and the rule table of ``docs/autodiff.md`` enumerate."""
    # importing the rule modules registers their rules
    from . import det_rules, factor_rules, inv_rules, qr_rules, solve_rules  # noqa: F401

    return registered()
