"""What the benchmark scripts share: everything lives in :mod:`pivotal.bench`, the implementation
``pivotal bench`` runs too.  The scripts only turn their options into sizes of the shared cases.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pivotal.bench import BenchRun, run_suite, select
from pivotal.bench.render import format_text
from pivotal.bench.timing import (  # noqa: F401  (re-exported for the scripts)
    blas_line,
    cpu_model,
    load_line,
    machine_line,
    paired_medians,
    time_alternating,
)


def run_cases(
    sizes: Mapping[str, Sequence[Mapping[str, Any]]], repeats: int, title: str | None = None
) -> BenchRun:
    """Run the named cases of :mod:`pivotal.bench` at the given sizes and print the table.

    ``sizes`` maps a case name to its list of parameter dictionaries.  The
    table has our time, the peer's, the ratio ours/peer and both accuracies.
    """
    run = run_suite(select(",".join(sizes)), repeats=repeats, sizes=sizes)
    if title:
        print(f"\n{title}")
    print(format_text(run), flush=True)
    return run
