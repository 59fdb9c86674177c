"""The lab's record types: what an experiment receives, and what it returns for the report.

An experiment is a function ``run(settings) -> Outcome`` registered by name
with :func:`experiment`.  It measures with pivotal's own code, draws its
figures with matplotlib, and *computes* its claims from the data: a claim's
``passed`` is the result of a comparison, never a constant.  The report
(HTML, ``results.json`` and the figure files) is written from these records
alone, so that an experiment knows nothing about HTML and the report nothing
about linear algebra.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Claim", "Experiment", "Figure", "Outcome", "Settings", "Table", "experiment", "registry"]


@dataclass(frozen=True)
class Settings:
    """How to run: ``quick`` shrinks sizes and trials; ``seed`` makes every run reproducible."""

    quick: bool = False
    seed: int = 0

    def rng(self, stream: int = 0) -> np.random.Generator:
        """An independent generator per ``stream``, reproducible from ``seed``."""
        return np.random.default_rng([self.seed, stream])


@dataclass(frozen=True)
class Claim:
    """A statement checked against the data: ``passed`` is computed, ``evidence`` says from what numbers."""

    statement: str
    passed: bool
    evidence: str

    def __post_init__(self) -> None:
        # numpy booleans are accepted, and stored as plain bool for the JSON file.
        object.__setattr__(self, "passed", bool(self.passed))


@dataclass(frozen=True)
class Table:
    """A table of numbers: ``rows`` hold plain Python scalars or strings."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


@dataclass(frozen=True)
class Figure:
    """A matplotlib figure with a file stem (``name``) and a caption naming its theory lines."""

    name: str
    caption: str
    figure: Any  # matplotlib.figure.Figure; typed loosely so that importing this module needs no matplotlib


@dataclass
class Outcome:
    """What one experiment returns.

    ``shows`` is a short paragraph: what the experiment shows and why it
    matters.  ``data`` holds the measured numbers (JSON-serialisable: lists
    of floats, ints, strings) that ``results.json`` records and the claims
    were computed from.
    """

    shows: str
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Experiment:
    """A registered experiment: ``order`` is its number in the course (1-17)."""

    name: str
    title: str
    order: int
    run: Callable[[Settings], Outcome]


_REGISTRY: dict[str, Experiment] = {}


def experiment(name: str, title: str, order: int) -> Callable[[Callable[[Settings], Outcome]], Callable]:
    """Register ``run(settings) -> Outcome`` under ``name`` (a short slug such as ``"growth"``)."""

    def register(run: Callable[[Settings], Outcome]) -> Callable[[Settings], Outcome]:
        if name in _REGISTRY:
            raise ValueError(f"lab experiment {name!r} is registered twice")
        _REGISTRY[name] = Experiment(name=name, title=title, order=order, run=run)
        return run

    return register


def registry() -> dict[str, Experiment]:
    """The registered experiments by name, in course order."""
    return dict(sorted(_REGISTRY.items(), key=lambda item: item[1].order))
