"""The ``pivotal`` command line: ``demo``, ``doctor``, ``solve`` (and the commands other modules add).

:func:`main` is the console script.  It needs the ``cli`` extra (click and
rich); without it, it says so on one line and exits with status 2.  This
module and :mod:`pivotal.cli.reader` import neither, so ``load_matrix`` and
``demo_report`` work in a core install.  Exit status: 0 success, 1 a
problem found in the matrix (doctor: an error-level finding; solve: a
singular matrix), 2 unusable input or a bad option.  docs/cli.md documents
the commands and the JSON schemas of ``--json``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from .demo import demo_report
from .reader import CLIError, load_matrix

__all__ = ["CLIError", "demo_report", "load_matrix", "main"]

#: what to install when click or rich is missing
INSTALL_HINT = 'pip install "pivotal[cli]"'


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``pivotal`` console script: returns the exit status."""
    try:
        import click  # noqa: F401
        import rich  # noqa: F401
    except ImportError as exc:
        print(
            f"pivotal: the command line needs {exc.name}, which is not installed: {INSTALL_HINT}",
            file=sys.stderr,
        )
        return 2
    from .app import run

    return run(argv)
