"""``pivotal demo``."""

from __future__ import annotations

import click

from .console import echo, error


@click.command(name="demo")
@click.option("--n", "n", type=int, default=200, show_default=True, help="Size of the sample systems.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
def command(n: int, seed: int) -> int:
    """Factor and solve sample systems and print the error report."""
    from .demo import demo_report

    if n < 2:
        raise error("demo", f"--n must be at least 2, got {n}")
    echo(demo_report(n=n, seed=seed))
    return 0
