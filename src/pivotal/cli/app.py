"""The ``pivotal`` click group: subcommands are imported only when they run.

``pivotal --help`` lists every command from :data:`COMMANDS` without
importing one, so it stays fast and does not load SciPy or matplotlib.
Another command joins with one line, e.g.
``cli.add_lazy_command("lab", "pivotal.lab.command:command", "Run the stability experiments ...", extra="lab")``.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

import click

from .. import __version__
from .console import Exit, error

#: name -> (``"module:attribute"`` of the click command, one-line help for ``pivotal --help``[, extra])
COMMANDS: dict[str, tuple[str, ...]] = {
    "demo": (
        "pivotal.cli.demo_command:command",
        "Factor and solve sample systems and print the error report.",
    ),
    "doctor": (
        "pivotal.cli.doctor_command:command",
        "Examine a matrix: structure, conditioning, rank, growth, how to solve with it.",
    ),
    "solve": ("pivotal.cli.solve_command:command", "Solve A x = B and print the certificate (SolveReport)."),
    "bench": (
        "pivotal.bench.command:command",
        "Time pivotal against SciPy, NumPy, scikit-learn, PyTorch and JAX, with both accuracies.",
    ),
    "lab": (
        "pivotal.lab.command:command",
        "Run the course's stability experiments and write an HTML report with figures.",
        "lab",
    ),
}


class LazyGroup(click.Group):
    """A group whose commands are ``"module:attribute"`` strings, imported on first use."""

    def __init__(self, *args, lazy: dict[str, tuple[str, ...]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def add_lazy_command(self, name: str, target: str, help: str, extra: str = "cli") -> None:
        """Register ``target`` (``"module:attribute"``) as the command ``name``.

        ``help`` is the line ``pivotal --help`` shows; ``extra`` the optional
        dependencies the command needs (``pip install "pivotal[EXTRA]"``).
        """
        self.lazy[name] = (target, help, extra)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.commands or name not in self.lazy:
            return super().get_command(ctx, name)
        target, _, *extra = self.lazy[name]
        module, _, attribute = target.partition(":")
        try:
            command = getattr(importlib.import_module(module), attribute)
        except ImportError as exc:
            missing = exc.name or "a dependency"
            if missing.startswith("pivotal."):  # a module of ours failed: a bug, not a missing extra
                raise
            hint = f'pip install "pivotal[{extra[0] if extra else "cli"}]"'
            raise error(name, f"needs {missing}, which is not installed: {hint}") from None
        self.commands[name] = command
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, self.lazy[name][1]) for name in sorted(self.lazy) if name not in self.commands]
        rows += [(name, cmd.get_short_help_str(80)) for name, cmd in self.commands.items()]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(sorted(rows))


@click.group(
    cls=LazyGroup,
    lazy=COMMANDS,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, "-V", "--version", prog_name="pivotal", message="%(prog)s %(version)s")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """pivotal: numerically sound matrix decompositions.

    Exit status: 0 success (doctor: no error-level finding), 1 doctor found
    an error-level problem or solve met a singular matrix, 2 unusable input
    or a bad option.  See docs/cli.md.
    """
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


def run(argv: Sequence[str] | None = None) -> int:
    """Run the group on ``argv`` and return the exit status (never raises for user errors)."""
    try:
        result = cli.main(
            args=list(argv) if argv is not None else None, prog_name="pivotal", standalone_mode=False
        )
    except Exit as exc:
        return exc.code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        print("Aborted!", file=sys.stderr)
        return 1
    return result if isinstance(result, int) else 0
