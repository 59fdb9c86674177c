"""The ``pivotal lab`` command (click), with a rich progress bar and summary table.

Exit codes: 0 every claim passed; 1 a claim failed or an experiment raised;
2 bad options (an unknown ``--only`` name, a negative seed, an ``--out``
that is a file) or a missing ``lab`` extra.  ``python -m pivotal.lab`` runs the same command.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console

__all__ = ["command"]


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(2)


def _progress_bar(console):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("[bold]lab[/bold]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=console,
        transient=False,
    )


def _summary(result, console) -> None:
    from rich.table import Table

    table = Table(
        title=f"pivotal lab ({'quick' if result.settings.quick else 'full'}, seed {result.settings.seed})"
    )
    table.add_column("#", justify="right")
    table.add_column("experiment")
    table.add_column("claims", justify="right")
    table.add_column("status")
    table.add_column("time", justify="right")
    colour = {"passed": "green", "failed": "red", "error": "magenta"}
    for run in result.runs:
        claims = [] if run.outcome is None else run.outcome.claims
        passed = sum(c.passed for c in claims)
        status = run.status.upper() if run.status != "passed" else "PASS"
        table.add_row(
            str(run.experiment.order),
            run.experiment.name,
            f"{passed}/{len(claims)}",
            f"[{colour[run.status]}]{status}[/]",
            f"{run.wall_time_s:.1f} s",
        )
    console.print(table)
    for name, claim in result.failed_claims:
        console.print(f"[red]FAIL[/red] {name}: {claim.statement}\n     {claim.evidence}", highlight=False)
    for name, tb in result.errors:
        console.print(f"[magenta]ERROR[/magenta] {name}: {tb.strip().splitlines()[-1]}", highlight=False)
    for module, reason in result.unavailable.items():
        console.print(f"[yellow]not run[/yellow] {module}: {reason}", highlight=False)
    # soft_wrap: a long path stays on one line (copyable), whatever the console's width
    console.print(
        f"Report: {result.html_path}  ({result.wall_time_s:.1f} s in all)", highlight=False, soft_wrap=True
    )


@click.command("lab")
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("pivotal-lab"),
    show_default=True,
    help="Directory for index.html, results.json and the figures.",
)
@click.option("--quick", is_flag=True, help="Smaller sizes and fewer trials (under two minutes).")
@click.option(
    "--only", metavar="NAME,...", default=None, help="Run only these experiments (comma-separated)."
)
@click.option(
    "--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Seed of the random matrices."
)
@click.option("--open", "open_", is_flag=True, help="Open the report in the web browser when done.")
@click.option("--list", "list_", is_flag=True, help="List the experiments and exit.")
def command(out: Path, quick: bool, only: str | None, seed: int, open_: bool, list_: bool) -> None:
    """Run the course's stability experiments and write an HTML report with figures.

    Every claim on the page is computed from this run's data; the exit code is
    1 if any claim fails.
    """
    from ._runner import MISSING_MATPLOTLIB, all_experiments, run_lab, unavailable_experiments

    try:
        known = all_experiments()
    except ImportError:
        _fail(MISSING_MATPLOTLIB)
    if list_:
        for exp in known.values():
            click.echo(f"{exp.order:2d}  {exp.name:<20s} {exp.title}")
        for module, reason in unavailable_experiments().items():
            click.echo(f"--  {module:<20s} not available: {reason}")
        return
    if only is not None:
        names = [s.strip() for s in only.split(",") if s.strip()]
        unknown = [s for s in names if s not in known]
        if unknown or not names:
            what = f"unknown experiment(s) {', '.join(unknown)}" if unknown else "--only names no experiment"
            raise click.BadParameter(f"{what}; valid names: {', '.join(known)}.", param_hint="--only")

    console = Console(stderr=True)
    with _progress_bar(console) as bar:
        total = len(known) if only is None else len(names)
        task = bar.add_task("", total=total)

        def progress(event, index, total, exp):
            if event == "start":
                bar.update(task, description=f"{exp.order}. {exp.title}")
            else:
                bar.advance(task)

        result = run_lab(out, quick=quick, only=only, seed=seed, progress=progress)
        bar.update(task, description="report written")
    _summary(result, console)
    if open_:
        import webbrowser

        webbrowser.open(result.html_path.resolve().as_uri())
    sys.exit(0 if result.ok else 1)
