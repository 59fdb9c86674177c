"""Running benchmark cases: time ours and every installed peer together, then measure accuracy.

For each size of a case the problem is built once; our callable and those of
the peers whose library is installed are timed in alternating order in the
same run (:func:`pivotal.bench.timing.time_alternating`), then each runs once
more, untimed, for the accuracy measure.  Each peer gives one
:class:`Comparison` row; a missing peer gives one :class:`Skip` per case.
"""

from __future__ import annotations

import datetime
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import peers as peer_lib
from .registry import Case, Side
from .timing import Timing, machine_info, time_alternating

QUICK_REPEATS = 3
FULL_REPEATS = 5


@dataclass(frozen=True)
class Comparison:
    """Our time and accuracy against one peer's, on one size of one case."""

    case: str
    size: str
    params: Mapping[str, Any]
    ours_label: str
    peer_library: str
    peer_label: str
    ours: Timing
    peer: Timing
    ours_accuracy: Mapping[str, float | None]
    peer_accuracy: Mapping[str, float | None]

    @property
    def ratio(self) -> float:
        """Our median time over the peer's: below 1 means pivotal is faster.

        Examples
        --------
        >>> c = Comparison("x", "n=1", {}, "a", "scipy", "b", Timing((2.0,)), Timing((4.0,)), {}, {})
        >>> c.ratio
        0.5
        """
        return self.ours.median / self.peer.median if self.peer.median > 0 else float("inf")


@dataclass(frozen=True)
class Skip:
    """A comparison that did not run, and why (a missing library, or an error)."""

    case: str
    peer_library: str
    reason: str
    error: bool = False


@dataclass
class BenchRun:
    """Everything one suite run produced."""

    quick: bool
    repeats: int
    comparisons: list[Comparison] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    started: str = ""
    finished: str = ""
    machine: dict[str, Any] = field(default_factory=dict)
    peers: dict[str, str | None] = field(default_factory=dict)

    @property
    def errors(self) -> list[Skip]:
        """The skips caused by an exception (a failed run, not a missing library)."""
        return [s for s in self.skipped if s.error]


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def available_peers(case: Case) -> tuple[list[Side], list[Skip]]:
    """The peers of ``case`` whose library is installed, and a skip for each missing one.

    Examples
    --------
    >>> from pivotal.bench.suite import all_cases
    >>> sides, skips = available_peers(all_cases()["solve"])
    >>> [s.library for s in sides], skips
    (['scipy'], [])
    """
    sides, skips = [], []
    for side in case.peers:
        if peer_lib.is_installed(side.library):
            sides.append(side)
        else:
            skips.append(
                Skip(
                    case.name,
                    side.library,
                    f"{peer_lib.display_name(side.library)} is not installed: skipped "
                    f"{case.name} against {side.label}",
                )
            )
    return sides, skips


def run_case(case: Case, params: Mapping[str, Any], sides: list[Side], repeats: int) -> list[Comparison]:
    """Time ours and ``sides`` on one size of ``case`` and measure every result's accuracy."""
    problem = case.setup(params)
    repeats = min(repeats, case.max_repeats) if case.max_repeats else repeats
    contenders = [case.ours, *sides]
    timings = time_alternating([lambda s=s: s.run(problem) for s in contenders], repeats, case.warmup)
    accuracies = [case.accuracy(problem, s.outcome(problem)) for s in contenders]
    label = case.label(params)
    return [
        Comparison(
            case=case.name,
            size=label,
            params=dict(params),
            ours_label=case.ours.label,
            peer_library=side.library,
            peer_label=side.label,
            ours=timings[0],
            peer=timings[i],
            ours_accuracy=accuracies[0],
            peer_accuracy=accuracies[i],
        )
        for i, side in enumerate(sides, start=1)
    ]


def run_suite(
    cases: Iterable[Case],
    quick: bool = False,
    repeats: int | None = None,
    progress: Callable[[Case, Mapping[str, Any]], None] | None = None,
    sizes: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
) -> BenchRun:
    """Run every size of every case against its installed peers.

    Parameters
    ----------
    cases : iterable of Case
        From :func:`pivotal.bench.suite.select`.
    quick : bool
        The quick sizes (seconds in all) instead of the full ones.
    repeats : int, optional
        Timed repetitions per contender (default 3 quick, 5 full).
    progress : callable, optional
        Called as ``progress(case, params)`` before each size runs.
    sizes : mapping, optional
        Case name -> the sizes (parameters) to run instead of the quick or
        full ones (how the ``benchmarks/`` scripts pass their options).

    Returns
    -------
    BenchRun
        The comparisons, the skipped peers (missing libraries) and the
        failures (a case that raised: recorded with its message, the suite
        goes on).
    """
    repeats = repeats if repeats is not None else (QUICK_REPEATS if quick else FULL_REPEATS)
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}.")
    run = BenchRun(quick=quick, repeats=repeats, started=_now(), machine=machine_info())
    run.peers = peer_lib.installed_peers()
    for case in cases:
        missing = [lib for lib in case.requires if not peer_lib.is_installed(lib)]
        if missing:
            names = ", ".join(peer_lib.display_name(m) for m in missing)
            run.skipped.append(Skip(case.name, missing[0], f"{names} not installed: skipped {case.name}"))
            continue
        sides, skips = available_peers(case)
        run.skipped.extend(skips)
        if not sides:
            continue
        todo = sizes[case.name] if sizes and case.name in sizes else case.sizes(quick)
        for params in todo:
            if progress is not None:
                progress(case, params)
            try:
                run.comparisons.extend(run_case(case, params, sides, repeats))
            except Exception as exc:  # noqa: BLE001  (one failing case must not end the suite)
                last = traceback.extract_tb(exc.__traceback__)[-1]
                run.skipped.append(
                    Skip(
                        case.name,
                        ",".join(s.library for s in sides),
                        f"{case.name} {case.label(params)} failed: {type(exc).__name__}: {exc} "
                        f"({last.filename.rsplit('/', 1)[-1]}:{last.lineno})",
                        error=True,
                    )
                )
    run.finished = _now()
    return run
