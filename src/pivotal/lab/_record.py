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

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "Claim",
    "Experiment",
    "Figure",
    "Outcome",
    "Settings",
    "Table",
    "experiment",
    "registered",
    "registry",
]


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


def _check_free(name: str) -> None:
    if name in _REGISTRY:
        raise ValueError(f"lab experiment {name!r} is registered twice")


def experiment(name: str, title: str, order: int) -> Callable[[Callable[[Settings], Outcome]], Callable]:
    """Register ``run(settings) -> Outcome`` under ``name`` (a short slug such as ``"growth"``)."""

    def register(run: Callable[[Settings], Outcome]) -> Callable[[Settings], Outcome]:
        _check_free(name)
        _REGISTRY[name] = Experiment(name=name, title=title, order=order, run=run)
        return run

    return register


@contextlib.contextmanager
def registered(*experiments: Experiment) -> Iterator[None]:
    """Register ``experiments`` for the ``with`` block only (a test's or a notebook's own experiments).

    Inside the block they are in :func:`registry`, so :func:`run_lab` and
    ``pivotal lab --only`` find them by name; on leaving it (also by an
    exception) they are removed again.  The course's experiments cannot be
    replaced: a name already registered raises ``ValueError`` and registers
    nothing.

    Parameters
    ----------
    *experiments : Experiment
        The experiments to add, each under a name not registered yet.

    Examples
    --------
    >>> from pivotal.lab import Claim, Experiment, Outcome, Settings, registered, registry
    >>> def sums(settings):
    ...     x = settings.rng().standard_normal(4)
    ...     gap = abs(sum(x) - sum(reversed(x)))
    ...     return Outcome(shows="Summation order.", claims=[Claim("order barely matters", gap < 1e-14, f"{gap}")])
    >>> with registered(Experiment("zz_sums", "Sums", 99, sums)):
    ...     registry()["zz_sums"].run(Settings(seed=1)).claims[0].passed
    True
    >>> "zz_sums" in registry()
    False
    """
    names = [e.name for e in experiments]
    if len(set(names)) != len(names):
        raise ValueError(f"registered() got one name twice: {names}")
    for name in names:
        _check_free(name)
    _REGISTRY.update((e.name, e) for e in experiments)
    try:
        yield
    finally:
        for name in names:
            _REGISTRY.pop(name, None)


def registry() -> dict[str, Experiment]:
    """The registered experiments by name, in course order."""
    return dict(sorted(_REGISTRY.items(), key=lambda item: item[1].order))
