"""The doctor report as rich tables, from the same rows as the plain text (:mod:`pivotal.doctor.render`)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..doctor.render import cost_rows, report_sections, title

#: colour of each finding level
LEVEL_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def _table(rows: list[tuple[str, str]]) -> Table:
    table = Table(show_header=False, box=None, padding=(0, 1))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for label, value in rows:
        table.add_row(label, value)
    return table


def print_report(report: Any, console: Console) -> None:
    """Print ``report`` on ``console``: a rule, one table per section, coloured findings."""
    console.rule(Text(title(report), style="bold"))
    for name, rows in report_sections(report):
        console.print()
        console.print(Text(name, style="bold underline"))
        console.print(_table(rows))
    console.print()
    console.print(Text("Findings", style="bold underline"))
    findings = Table(show_header=False, box=None, padding=(0, 1))
    findings.add_column(no_wrap=True)
    findings.add_column(overflow="fold")
    for f in report.findings:
        findings.add_row(Text(f"[{f.level}]", style=LEVEL_STYLE.get(f.level, "")), f.message)
    if not report.findings:
        findings.add_row(Text("none", style="green"), "nothing to worry about")
    console.print(findings)
    console.print()
    console.print(Text("Cost", style="bold underline"))
    console.print(_table(cost_rows(report)))
