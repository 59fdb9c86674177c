"""Run the registered experiments and write the report: :func:`run_lab` and its :class:`LabResult`."""

from __future__ import annotations

import importlib
import time
import traceback
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._record import Claim, Experiment, Outcome, Settings, registry

__all__ = [
    "MISSING_MATPLOTLIB",
    "ExperimentRun",
    "LabResult",
    "all_experiments",
    "require_matplotlib",
    "run_lab",
]

#: The one-line message for a missing ``lab`` extra.
MISSING_MATPLOTLIB = 'pivotal lab needs matplotlib for its figures: pip install "pivotal[lab]"'

#: ``progress(event, index, total, experiment)`` with event "start" or "done"; ``index`` counts from 0.
ProgressCallback = Callable[[str, int, int, Experiment], None]


def require_matplotlib() -> None:
    """Raise ``ImportError`` with :data:`MISSING_MATPLOTLIB` when matplotlib cannot be imported."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ImportError(MISSING_MATPLOTLIB) from None


def all_experiments() -> dict[str, Experiment]:
    """Every experiment, by name, in course order (imports the experiment modules, which register themselves)."""
    require_matplotlib()
    importlib.import_module(f"{__package__}.experiments")
    return registry()


def unavailable_experiments() -> dict[str, str]:
    """``{module: "needs <package>"}`` for the experiment modules left out for a missing optional package."""
    require_matplotlib()
    return dict(importlib.import_module(f"{__package__}.experiments").UNAVAILABLE)


@dataclass
class ExperimentRun:
    """One experiment's run: its outcome (``None`` if it raised), wall time, warnings and files."""

    experiment: Experiment
    outcome: Outcome | None
    wall_time_s: float
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    figure_files: list[str] = field(default_factory=list)

    @property
    def failed_claims(self) -> list[Claim]:
        return [] if self.outcome is None else [c for c in self.outcome.claims if not c.passed]

    @property
    def status(self) -> str:
        """``"error"`` (it raised), ``"failed"`` (a claim failed) or ``"passed"``."""
        if self.error is not None:
            return "error"
        return "failed" if self.failed_claims else "passed"


@dataclass
class LabResult:
    """What :func:`run_lab` ran and wrote."""

    out_dir: Path
    settings: Settings
    runs: list[ExperimentRun]
    provenance: dict[str, Any]
    wall_time_s: float
    html_path: Path
    json_path: Path
    unavailable: dict[str, str] = field(default_factory=dict)

    @property
    def failed_claims(self) -> list[tuple[str, Claim]]:
        """``(experiment name, claim)`` for every claim that failed."""
        return [(r.experiment.name, c) for r in self.runs for c in r.failed_claims]

    @property
    def errors(self) -> list[tuple[str, str]]:
        """``(experiment name, traceback)`` for every experiment that raised."""
        return [(r.experiment.name, r.error) for r in self.runs if r.error is not None]

    @property
    def ok(self) -> bool:
        """True when every experiment ran and every claim passed."""
        return not self.failed_claims and not self.errors


def _select(only: Sequence[str] | str | None, known: dict[str, Experiment]) -> list[Experiment]:
    if only is None:
        return list(known.values())
    names = [s.strip() for s in only.split(",")] if isinstance(only, str) else [str(s).strip() for s in only]
    names = [s for s in names if s]
    unknown = [s for s in names if s not in known]
    if unknown or not names:
        what = (
            f"unknown lab experiment(s) {', '.join(map(repr, unknown))}" if unknown else "no experiment named"
        )
        raise ValueError(f"{what}; valid names: {', '.join(known)}.")
    return [e for e in known.values() if e.name in names]


def _run_one(exp: Experiment, settings: Settings) -> ExperimentRun:
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            outcome = exp.run(settings)
            if not isinstance(outcome, Outcome):
                raise TypeError(f"experiment {exp.name!r} returned {type(outcome).__name__}, not an Outcome.")
            error = None
        except Exception:  # noqa: BLE001  (reported in the page and the exit code, like a test error)
            outcome, error = None, traceback.format_exc()
    seen: dict[str, None] = {}
    for w in caught:
        seen.setdefault(f"{w.category.__name__}: {str(w.message).splitlines()[0]}", None)
    return ExperimentRun(exp, outcome, time.perf_counter() - start, error, list(seen))


def _plain_progress() -> ProgressCallback:
    import sys

    def report(event: str, index: int, total: int, exp: Experiment) -> None:
        if event == "start":
            print(f"[{index + 1}/{total}] {exp.name}: {exp.title} ...", file=sys.stderr, flush=True)

    return report


def run_lab(
    out_dir: str | Path,
    *,
    quick: bool = False,
    only: Sequence[str] | str | None = None,
    seed: int = 0,
    progress: bool | ProgressCallback = True,
) -> LabResult:
    """Run the lab's experiments and write ``index.html``, ``results.json`` and the figures into ``out_dir``.

    Parameters
    ----------
    out_dir : path
        Created if missing; files of an earlier run there are overwritten.
    quick : bool
        Smaller sizes and fewer trials (all experiments in under two minutes on two cores).
    only : sequence of str or comma-separated str, optional
        Names of the experiments to run (default all).
    seed : int
        Seed of every random matrix: the same seed gives the same matrices.
    progress : bool or callable
        True prints one line per experiment to stderr; a callable
        ``progress(event, index, total, experiment)`` (event ``"start"`` or
        ``"done"``) is called instead; False is silent.

    Returns
    -------
    LabResult

    Raises
    ------
    ValueError
        For a name in ``only`` that is not an experiment (the message lists the valid names).
    ImportError
        When matplotlib (the ``lab`` extra) is missing.

    Examples
    --------
    >>> import tempfile
    >>> from pivotal.lab import run_lab
    >>> result = run_lab(tempfile.mkdtemp(), quick=True, only="pivoting", progress=False)
    >>> result.ok, [run.experiment.name for run in result.runs]
    (True, ['pivoting'])
    >>> sorted(p.name for p in result.out_dir.iterdir())
    ['02-pivoting-epsilon-sweep.png', 'index.html', 'results.json']
    """
    from ._report import write_report

    known = all_experiments()
    chosen = _select(only, known)
    if isinstance(seed, bool) or int(seed) != seed or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}.")
    settings = Settings(quick=bool(quick), seed=int(seed))
    report = _plain_progress() if progress is True else (progress or None)
    start = time.perf_counter()
    runs = []
    for i, exp in enumerate(chosen):
        if report:
            report("start", i, len(chosen), exp)
        runs.append(_run_one(exp, settings))
        if report:
            report("done", i, len(chosen), exp)
    from ._provenance import provenance

    out = Path(out_dir)
    result = LabResult(
        out_dir=out,
        settings=settings,
        runs=runs,
        provenance=provenance(seed=settings.seed, quick=settings.quick),
        wall_time_s=time.perf_counter() - start,
        html_path=out / "index.html",
        json_path=out / "results.json",
        unavailable=unavailable_experiments() if only is None else {},
    )
    write_report(result)
    return result
