"""The suite: every registered benchmark case, and the selection ``--only`` makes."""

from __future__ import annotations

from . import cases_autodiff, cases_dense, cases_lstsq, cases_ml, cases_sparse
from .registry import Case


def all_cases() -> dict[str, Case]:
    """Every registered case by name, in the order the suite runs them.

    Examples
    --------
    >>> cases = all_cases()
    >>> "solve" in cases and all(c.name == n for n, c in cases.items())
    True
    """
    out: dict[str, Case] = {}
    for module in (cases_dense, cases_lstsq, cases_sparse, cases_ml, cases_autodiff):
        for case in module.CASES:
            if case.name in out:
                raise RuntimeError(f"two benchmark cases are named {case.name!r}")
            out[case.name] = case
    return out


def select(only: str | None) -> list[Case]:
    """The cases ``--only`` names (comma-separated, in that order), all of them for None.

    Raises
    ------
    KeyError
        Naming the unknown names (or saying that none was given) and listing the valid ones.

    Examples
    --------
    >>> [c.name for c in select("lu,solve")]
    ['lu', 'solve']
    """
    cases = all_cases()
    if only is None:
        return list(cases.values())
    names = [n.strip() for n in only.split(",") if n.strip()]
    if not names:
        raise KeyError(f"--only names no benchmark case; valid names: {', '.join(cases)}")
    unknown = [n for n in names if n not in cases]
    if unknown:
        raise KeyError(
            f"unknown benchmark case{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
            f"valid names: {', '.join(cases)}"
        )
    return [cases[n] for n in dict.fromkeys(names)]
