"""The ``pivotal`` console script."""

from __future__ import annotations

import subprocess
import sys

from pivotal.cli import demo_report, main


def test_demo_report_content():
    text = demo_report(n=40, seed=1)
    for needle in ("LU vendor", "LU kernel", "Cholesky", "LDL", "gfpp(60)", "rook", "complete", "detected rank 10", "GFLOP/s", "cholqr2", "lstsq"):
        assert needle in text


def test_main_demo_and_help(capsys):
    assert main(["demo", "--n", "30"]) == 0
    assert "Wilkinson" in capsys.readouterr().out
    assert main([]) == 0
    assert "demo" in capsys.readouterr().out


def test_console_entry_point_runs():
    out = subprocess.run(
        [sys.executable, "-m", "pivotal.cli", "demo", "--n", "20"], capture_output=True, text=True, check=True
    )
    assert "backward stable" in out.stdout
