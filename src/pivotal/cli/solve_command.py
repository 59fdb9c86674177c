"""``pivotal solve A B``: :func:`pivotal.solve` with its certificate, the solution written to a file.

Exit status 0: solved; 1: the matrix is singular (or not positive definite
under ``--assume pos``); 2: unusable input.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import click
import numpy as np

from .console import echo, error, user_errors, warn
from .doctor_command import load_operand, load_rhs
from .reader import CLIError, output_format, save_matrix

#: --refine -> pivotal.solve's refine
REFINE = {"auto": "auto", "mixed": "mixed", "fixed": True, "none": False}
#: --assume choices: pivotal.solve's assume_a spellings without spaces
ASSUME = ["general", "diagonal", "tridiagonal", "banded", "upper", "lower", "sym", "her", "pos"]
_ASSUME_A = {"upper": "upper triangular", "lower": "lower triangular"}


def solve_document(matrix: str, rhs: str, output: str | None, x: np.ndarray, report: Any) -> dict[str, Any]:
    """The ``--json`` document (schema: ``solve.schema.json``)."""
    from .._report_values import jsonable

    return {
        "matrix": matrix,
        "rhs": rhs,
        "output": output,
        "solution_shape": list(x.shape),
        "report": jsonable(report.to_dict()),
    }


def _solve(a: Any, b: np.ndarray, assume: str | None, refine: str) -> tuple[np.ndarray, Any]:
    import pivotal as pv
    from pivotal.errors import LinAlgError, LinAlgWarning

    # a scipy.sparse A (.mtx, sparse .npz) stays sparse: pivotal.solve factors it with SparseCholesky
    # or SparseLU, and refuses the options with no sparse meaning (--refine mixed, banded structures)
    assume_a = _ASSUME_A.get(assume, assume) if assume is not None else None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LinAlgWarning)
        try:
            x, report = pv.solve(a, b, assume_a=assume_a, refine=REFINE[refine], return_report=True)
        except LinAlgError as exc:
            raise error("solve", str(exc), code=1) from None
        except (ValueError, TypeError) as exc:
            raise error("solve", str(exc)) from None
    for w in caught:
        warn("solve", str(w.message))
    return x, report


@click.command(name="solve")
@click.argument("a", metavar="A")
@click.argument("b", metavar="B")
@click.option(
    "-o",
    "--output",
    metavar="X",
    help="Write the solution here (.npy, .mtx, .csv, .txt; without a suffix, the format of A).",
)
@click.option("--assume", type=click.Choice(ASSUME), help="Structure of A (default: detected).")
@click.option(
    "--refine",
    type=click.Choice(list(REFINE)),
    default="auto",
    show_default=True,
    help="Iterative refinement: auto (when the solve was not backward stable), mixed "
    "(single-precision factors), fixed (always, working precision) or none.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (schema: solve.schema.json).")
@click.option("--key", help="Name of the array in a .npz file A (default: the first).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of random gallery matrices.")
def command(
    a: str,
    b: str,
    output: str | None,
    assume: str | None,
    refine: str,
    as_json: bool,
    key: str | None,
    seed: int,
) -> int:
    """Solve A X = B and print the certificate: method, backward error, forward error bound.

    A and B are files or gallery:NAME[:N] specs as for doctor.  Exit status: 0
    solved, 1 singular matrix, 2 unusable input.
    """
    with user_errors("solve"):
        A = load_operand(a, key=key, seed=seed)
        if A.shape[0] != A.shape[1]:
            raise CLIError(
                f"{a} is {A.shape[0]} x {A.shape[1]}: solve needs a square matrix (for least squares use "
                "pivotal.lstsq in Python)"
            )
        rhs = load_rhs(b, A.shape[0], seed=seed)
        if output is not None:
            output_format(output, a)
    x, report = _solve(A, rhs, assume, refine)
    written = None
    if output is not None:
        with user_errors("solve"):
            written = str(save_matrix(output, np.asarray(x), a))
    if as_json:
        echo(json.dumps(solve_document(a, b, written, np.asarray(x), report), indent=2, allow_nan=False))
    else:
        _show(report, written)
    return 0


def _show(report: Any, written: str | None) -> None:
    from rich.console import Console
    from rich.table import Table

    from .._report_values import fmt

    table = Table(title="pivotal solve: SolveReport", show_header=False, title_justify="left")
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    d = report.to_dict()
    for key, value in d.items():
        shown = (
            " -> ".join(value) if key == "path" else (fmt(value) if isinstance(value, float) else str(value))
        )
        table.add_row(key, shown)
    table.add_row("solution", written or "not written (use -o FILE)")
    console = Console(width=None if Console().is_terminal else 100)
    try:
        console.print(table)
    except BrokenPipeError:
        from .console import Exit, quiet_stdout

        quiet_stdout()
        raise Exit(0) from None
