"""``pivotal bench``: the benchmark suite against the installed peers, as a click command.

Needs the ``cli`` extra (click and rich).  Until the ``pivotal`` command
group wires it in, run it as ``python -m pivotal.bench``.

Exit codes: 0 when every comparison ran (missing peers are skipped with a
message, not failures), 1 when a case raised, 2 for bad usage (an unknown
``--only`` name, a bad option).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable

import click

from . import render, runner, suite


def _progress_runner(cases, quick: bool, repeats: int | None, quiet: bool) -> runner.BenchRun:
    """Run the suite with a rich progress bar on stderr (none when ``quiet``)."""
    if quiet:
        return runner.run_suite(cases, quick=quick, repeats=repeats)
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    total = sum(len(c.sizes(quick)) for c in cases)
    console = Console(stderr=True)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("bench", total=total)
        seen: list[int] = []

        def progress(case, params) -> None:
            if seen:
                bar.advance(task)
            seen.append(1)
            bar.update(task, description=f"{case.name} {case.label(params)}")

        return runner.run_suite(cases, quick=quick, repeats=repeats, progress=progress)


def _to_stdout(write: Callable[[], None]) -> None:
    """Run ``write``; a reader that went away (``| head``) ends the command quietly with code 0."""
    try:
        write()
        sys.stdout.flush()
    except BrokenPipeError:
        try:  # point stdout at /dev/null so that the interpreter's final flush cannot fail
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
        except (OSError, ValueError):  # stdout without a file descriptor (a test's capture)
            pass
        sys.exit(0)


@click.command(name="bench")
@click.option("--quick", is_flag=True, help="Small sizes and 3 repeats: under a minute on 2 cores.")
@click.option("--only", metavar="NAME,...", default=None, help="Run only these cases (comma-separated).")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON (bench.schema.json).")
@click.option(
    "--repeats",
    type=click.IntRange(min=1),
    default=None,
    help="Timed repetitions per contender (default 3 with --quick, else 5).",
)
@click.option("--list", "list_cases", is_flag=True, help="List the cases and their peers, then exit.")
def command(quick: bool, only: str | None, as_json: bool, repeats: int | None, list_cases: bool) -> None:
    """Time pivotal against SciPy, NumPy, scikit-learn, PyTorch and JAX, with both accuracies.

    Ours and every installed peer run in the same process, alternately, after
    a warm-up; the table gives the median times, the ratio ours/peer (below 1:
    pivotal is faster) and each side's accuracy.  A peer that is not installed
    is skipped with a message.
    """
    try:
        cases = suite.select(only)
    except KeyError as exc:
        click.echo(f"pivotal bench: error: {exc.args[0]}", err=True)
        sys.exit(2)
    if list_cases:
        for case in cases:
            peers = ", ".join(sorted({p.library for p in case.peers}))
            click.echo(f"{case.name:16s} [{peers}] {case.description}")
        return
    run = _progress_runner(cases, quick, repeats, quiet=as_json or not sys.stderr.isatty())
    if as_json:
        doc = json.dumps(render.to_json(run, cases), indent=2)
        _to_stdout(lambda: click.echo(doc))
    else:
        from rich.console import Console

        console = Console()
        if not console.is_terminal:  # a pipe or a file: do not wrap the table at 80 columns
            console = Console(width=200)
        _to_stdout(lambda: console.print(render.rich_table(run)))
    for skip in run.skipped:  # on stderr, after the table or the JSON
        click.echo(f"{'error' if skip.error else 'skipped'}: {skip.reason}", err=True)
    if run.errors:
        sys.exit(1)
