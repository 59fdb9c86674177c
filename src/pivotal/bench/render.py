"""Rendering a benchmark run: JSON (``bench.schema.json``), plain text, and a rich table.

:func:`to_json` and :func:`format_text` need nothing beyond the standard
library; :func:`rich_table` imports ``rich`` (the ``cli`` extra) when called.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from .registry import Case
from .runner import BenchRun, Comparison
from .timing import Timing

SCHEMA_VERSION = 1
RATIO_NOTE = "ratio = our median time / the peer's: below 1 means pivotal is faster"


def _number(x: float | None) -> float | None:
    """JSON has no NaN or infinity: those become null."""
    if x is None or not math.isfinite(x):
        return None
    return float(x)


def _param(v: Any) -> Any:
    """A size parameter as JSON: numbers, strings, booleans and None as they are, anything else as text."""
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        return _number(v)
    return str(v)


def _timing_json(t: Timing) -> dict[str, Any]:
    return {
        "median_s": t.median,
        "iqr_s": t.iqr,
        "min_s": t.min,
        "max_s": t.max,
        "times_s": list(t.times),
    }


def _accuracy_json(a: Mapping[str, float | None]) -> dict[str, float | None]:
    return {k: _number(v) for k, v in a.items()}


def comparison_json(c: Comparison) -> dict[str, Any]:
    """One result row as the schema's ``results`` item."""
    return {
        "case": c.case,
        "size": c.size,
        "params": {k: _param(v) for k, v in c.params.items()},
        "ours": {
            "library": "pivotal",
            "label": c.ours_label,
            "time": _timing_json(c.ours),
            "accuracy": _accuracy_json(c.ours_accuracy),
        },
        "peer": {
            "library": c.peer_library,
            "label": c.peer_label,
            "time": _timing_json(c.peer),
            "accuracy": _accuracy_json(c.peer_accuracy),
        },
        "ratio": _number(c.ratio),
    }


def to_json(run: BenchRun, cases: Iterable[Case] = ()) -> dict[str, Any]:
    """The run as a JSON-ready dictionary that validates against ``pivotal/schemas/bench.schema.json``.

    ``cases`` adds each case's description and metric definitions.
    """
    return {
        "schema_version": SCHEMA_VERSION,
        "quick": run.quick,
        "repeats": run.repeats,
        "started": run.started,
        "finished": run.finished,
        "ratio": RATIO_NOTE,
        "machine": run.machine,
        "peers": run.peers,
        "cases": {
            c.name: {"description": c.description, "metrics": dict(c.metrics), "requires": list(c.requires)}
            for c in cases
        },
        "results": [comparison_json(c) for c in run.comparisons],
        "skipped": [
            {"case": s.case, "peer": s.peer_library, "reason": s.reason, "error": s.error}
            for s in run.skipped
        ],
    }


def format_seconds(t: float) -> str:
    """A time with a unit that keeps three significant figures.

    Examples
    --------
    >>> format_seconds(0.01234), format_seconds(2.5), format_seconds(3.21e-5)
    ('12.3 ms', '2.50 s', '32.1 µs')
    """
    if t >= 1:
        return f"{t:.3g} s" if t >= 100 else f"{t:.2f} s"
    if t >= 1e-3:
        return f"{t * 1e3:.3g} ms"
    return f"{t * 1e6:.3g} µs"


NEAR_ONE = ("err_opt", "variance_captured")  # metrics that are ratios to an optimum of 1


def format_accuracy(a: Mapping[str, float | None]) -> str:
    """Metrics as ``name value`` pairs, three significant figures.

    Examples
    --------
    Ratios to an optimum (``err_opt*``, ``variance_captured``) near 1 show their distance from 1.

    >>> format_accuracy({"forward_error": 1.234e-13, "rank": 100.0, "err_opt_2": 1.0000002563})
    'forward_error 1.23e-13, rank 100, err_opt_2 1+2.56e-07'
    >>> format_accuracy({"log_marginal_likelihood": 124.86404162, "backward_error_u": 0.998})
    'log_marginal_likelihood 124.864, backward_error_u 0.998'
    """
    parts = []
    for k, v in a.items():
        if v is None or not math.isfinite(v):
            parts.append(f"{k} n/a")
        elif float(v).is_integer() and abs(v) < 1e6:
            parts.append(f"{k} {int(v)}")
        elif k.startswith(NEAR_ONE) and 0.9 < v < 1.1:
            parts.append(f"{k} 1{v - 1:+.3g}")
        elif abs(v) >= 1:  # likelihoods, losses: more digits tell two close values apart
            parts.append(f"{k} {v:.6g}")
        else:
            parts.append(f"{k} {v:.3g}")
    return ", ".join(parts)


def _timing_cell(t: Timing) -> str:
    return format_seconds(t.median) + (f" ±{format_seconds(t.iqr / 2)}" if len(t.times) > 1 else "")


def rows(run: BenchRun, sep: str = ", ") -> list[tuple[str, ...]]:
    """The table's rows: case, size, peer, ours, peer's time, ratio, our accuracy, peer's accuracy."""
    return [
        (
            c.case,
            c.size,
            c.peer_label,
            _timing_cell(c.ours),
            _timing_cell(c.peer),
            f"{c.ratio:.2f}",
            format_accuracy(c.ours_accuracy).replace(", ", sep),
            format_accuracy(c.peer_accuracy).replace(", ", sep),
        )
        for c in run.comparisons
    ]


HEADER = ("case", "size", "peer", "ours", "peer time", "ratio", "our accuracy", "peer accuracy")


def format_text(run: BenchRun) -> str:
    """The table as aligned plain text (what ``benchmarks/`` scripts print), then the skip messages.

    Times are medians ± half the interquartile range.
    """
    table = [HEADER, *rows(run)]
    widths = [max(len(r[i]) for r in table) for i in range(len(HEADER))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in table]
    plural = "s" if run.repeats != 1 else ""
    lines.append(
        f"({RATIO_NOTE}; times are medians ± half the interquartile range of {run.repeats} repeat{plural})"
    )
    lines.extend(f"skipped: {s.reason}" if not s.error else f"error: {s.reason}" for s in run.skipped)
    return "\n".join(lines)


def rich_table(run: BenchRun) -> Any:
    """The table as a ``rich.table.Table`` (ratios below 1 in green, above 1 in yellow)."""
    from rich.table import Table

    plural = "s" if run.repeats != 1 else ""
    title = f"pivotal bench{' --quick' if run.quick else ''}: {run.repeats} repeat{plural}, medians ± IQR/2"
    table = Table(title=title, caption=RATIO_NOTE)
    for name in HEADER:
        justify = "right" if name in ("ours", "peer time", "ratio") else "left"
        table.add_column(name, justify=justify, overflow="fold")
    for c, row in zip(run.comparisons, rows(run, sep="\n"), strict=True):
        colour = "green" if c.ratio < 1 else "yellow"
        table.add_row(*row[:5], f"[{colour}]{row[5]}[/{colour}]", *row[6:])
    return table
