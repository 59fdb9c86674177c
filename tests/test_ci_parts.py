"""``pytest --part K/N`` (conftest.py): the split .ci/run uses to give each extra OpenBLAS kernel half the tests."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
TARGET = "tests/test_report_values.py"  # ~90 quick tests: enough for both parts to be non-empty


def _collect(*extra: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", TARGET, *extra],
        check=False,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _ids(out: subprocess.CompletedProcess) -> set[str]:
    assert out.returncode == 0, out.stdout + out.stderr
    return {line for line in out.stdout.splitlines() if "::" in line}


def test_the_two_halves_are_disjoint_and_cover_every_test():
    every = _ids(_collect())
    first, second = _ids(_collect("--part", "1/2")), _ids(_collect("--part", "2/2"))
    assert len(every) > 20 and first and second
    assert first.isdisjoint(second)
    assert first | second == every


def test_a_bad_part_is_a_usage_error():
    out = _collect("--part", "3/2")
    assert out.returncode == 4  # pytest's ExitCode.USAGE_ERROR
    assert "--part takes K/N with 1 <= K <= N" in out.stderr
