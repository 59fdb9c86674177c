"""``pivotal doctor MATRIX``: :func:`pivotal.doctor` on a file or a gallery matrix.

Exit status 0: no error-level finding; 1: at least one (NaN/Inf, singular,
numerically singular, a failed solve, ...); 2: unusable input.
"""

from __future__ import annotations

from typing import Any

import click
import numpy as np

from .console import echo, error, progress_reporter, user_errors
from .reader import CLIError, load_matrix


def load_operand(spec: str, *, key: str | None, seed: int) -> Any:
    """A non-empty 2-D matrix from ``spec`` (:func:`load_matrix`), or a :class:`CLIError`."""
    a = load_matrix(spec, key=key, seed=seed)
    shape = tuple(getattr(a, "shape", ()))
    if len(shape) != 2:
        raise CLIError(f"{spec} holds an array of shape {shape}, not a matrix")
    if 0 in shape:
        raise CLIError(f"{spec} holds an empty {shape[0]} x {shape[1]} matrix")
    return a


def load_rhs(spec: str, rows: int, *, seed: int) -> np.ndarray:
    """A right-hand side with ``rows`` rows (a one-row or one-column file is a vector)."""
    b = load_matrix(spec, seed=seed)
    b = np.asarray(b.toarray() if hasattr(b, "toarray") else b)
    if b.ndim == 2 and 1 in b.shape and b.shape[0] != rows:
        b = b.reshape(-1)
    if b.size == 0:
        raise CLIError(f"{spec} holds an empty right-hand side")
    if b.ndim not in (1, 2) or b.shape[0] != rows:
        raise CLIError(
            f"the right-hand side {spec} has shape {b.shape}; it needs {rows} rows to match the matrix"
        )
    return b


@click.command(name="doctor")
@click.argument("matrix")
@click.option("--rhs", metavar="B", help="Right-hand side file: also run a certified solve.")
@click.option(
    "--json", "as_json", is_flag=True, help="Print the report as JSON (schema: doctor.schema.json)."
)
@click.option(
    "--exact/--no-exact",
    default=None,
    help="Always (--exact) or never (--no-exact) compute the O(n^3) SVD and QRCP; "
    "by default only when cheap (about a second), else kappa is estimated.",
)
@click.option(
    "--exact-limit",
    type=click.IntRange(min=0),
    default=2000,
    show_default=True,
    metavar="N",
    help="Largest dimension for the O(n^3) items, even with --exact.",
)
@click.option("--key", help="Name of the array in a .npz file (default: the first).")
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Seed of random gallery matrices and the trial solve.",
)
def command(
    matrix: str,
    rhs: str | None,
    as_json: bool,
    exact: bool | None,
    exact_limit: int,
    key: str | None,
    seed: int,
) -> int:
    """Examine MATRIX: structure, conditioning, rank, growth, and how to solve with it.

    Exit status: 0 no error-level finding, 1 an error-level finding (NaN/Inf,
    singular, ...), 2 unusable input.
    """
    import pivotal as pv

    with user_errors("doctor"):
        a = load_operand(matrix, key=key, seed=seed)
        b = load_rhs(rhs, a.shape[0], seed=seed) if rhs is not None else None
    try:
        report = pv.doctor(
            a, b, exact_limit=exact_limit, exact=exact, random_state=seed, progress=progress_reporter()
        )
    except (ValueError, TypeError) as exc:
        raise error("doctor", str(exc)) from None
    if as_json:
        echo(report.to_json())
    else:
        show_report(report)
    return 1 if report.worst_level == "error" else 0


def show_report(report: Any) -> None:
    """The text report: rich tables on a terminal, the plain text otherwise (pipes, files)."""
    from rich.console import Console

    console = Console()
    if not console.is_terminal:
        echo(str(report))
        return
    from .rich_report import print_report

    print_report(report, console)
