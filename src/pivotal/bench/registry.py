"""The benchmark case records and the registry of cases.

A :class:`Case` names one comparison: how to build a problem from a size's
parameters, our callable, the peers' callables (each tagged with its
library), how to measure the accuracy of any side's result, and the sizes of
the quick and the full suite.  The cases themselves live in the
``cases_*`` modules beside this one; :mod:`pivotal.bench.suite` collects them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Params = Mapping[str, Any]


@dataclass(frozen=True)
class Side:
    """One contender of a case: ours or a peer.

    Attributes
    ----------
    label : str
        What is called, e.g. ``"scipy.linalg.solve"``.
    run : callable
        ``run(problem) -> raw``: the timed call.
    library : str
        ``"pivotal"`` or a peer name of :data:`pivotal.bench.peers.PEERS`.
    result : callable, optional
        ``result(problem, raw) -> result``: brings the raw output into the
        form the case's accuracy measure reads (untimed).  Identity if None.
    """

    label: str
    run: Callable[[Any], Any]
    library: str = "pivotal"
    result: Callable[[Any, Any], Any] | None = None

    def outcome(self, problem: Any) -> Any:
        """Run once (untimed) and return the result in the case's common form."""
        raw = self.run(problem)
        return raw if self.result is None else self.result(problem, raw)


def size_label(params: Params) -> str:
    """The default label of a size: ``key=value`` pairs joined by spaces.

    Examples
    --------
    >>> size_label({"n": 200, "kappa": 1e3})
    'n=200 kappa=1000'
    """
    return " ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items())


@dataclass(frozen=True)
class Case:
    """One benchmark comparison.

    Attributes
    ----------
    name : str
        The name ``--only`` selects (lower case, ``_`` separated).
    description : str
        One sentence: what is compared.
    setup : callable
        ``setup(params) -> problem`` (untimed).
    ours : Side
        pivotal's contender.
    peers : tuple of Side
        The peers' contenders; a peer whose library is missing is skipped.
    accuracy : callable
        ``accuracy(problem, result) -> {metric: value}`` for any side's result.
    metrics : mapping
        Metric name -> what it measures (and which way is better).
    quick, full : tuple of mappings
        The sizes (parameters of ``setup``) of the quick and the full suite.
    requires : tuple of str
        Peer libraries our own side needs (e.g. ``"torch"`` for gradients
        through PyTorch tensors); the case is skipped without them.
    max_repeats : int, optional
        A cap on the repetitions (for long runs such as training loops).
    warmup : int
        Untimed calls of each contender before the timed ones.
    label : callable
        ``label(params) -> str``: the size column.
    """

    name: str
    description: str
    setup: Callable[[Params], Any]
    ours: Side
    peers: tuple[Side, ...]
    accuracy: Callable[[Any, Any], dict[str, float | None]]
    metrics: Mapping[str, str]
    quick: tuple[Params, ...]
    full: tuple[Params, ...]
    requires: tuple[str, ...] = ()
    max_repeats: int | None = None
    warmup: int = 1
    label: Callable[[Params], str] = field(default=size_label)

    def sizes(self, quick: bool) -> tuple[Params, ...]:
        """The sizes of the quick or the full suite."""
        return self.quick if quick else self.full
