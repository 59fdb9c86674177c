"""The ``pivotal lab`` click command: outputs, exit codes (0 pass, 1 a claim failed, 2 bad options)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("rich")
click_testing = pytest.importorskip("click.testing")

from pivotal.lab import Experiment, registered  # noqa: E402
from pivotal.lab.command import command  # noqa: E402


def invoke(*args):
    return click_testing.CliRunner().invoke(command, list(args), prog_name="pivotal lab")


def test_quick_only_writes_the_report(tmp_path):
    out = tmp_path / "lab"
    res = invoke("--quick", "--only", "pivoting,householder_sign", "--out", str(out), "--seed", "2")
    assert res.exit_code == 0, res.output
    assert (out / "index.html").is_file()
    doc = json.loads((out / "results.json").read_text())
    assert [e["name"] for e in doc["experiments"]] == ["pivoting", "householder_sign"]
    assert doc["settings"]["seed"] == 2
    for e in doc["experiments"]:
        for f in e["figures"]:
            assert (out / f["file"]).is_file()
    assert "householder_sign" in res.output and "PASS" in res.output and "index.html" in res.output


def test_unknown_only_name(tmp_path):
    res = invoke("--only", "pivoting,nope", "--out", str(tmp_path / "x"))
    assert res.exit_code == 2
    assert "nope" in res.output and "valid names" in res.output and "pivoting" in res.output
    assert "Traceback" not in res.output
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("args", [("--seed", "-1"), ("--seed", "x"), ("--frobnicate",), ("--only", " , ")])
def test_bad_options_exit_2(args, tmp_path):
    res = invoke(*args, "--out", str(tmp_path / "x"))
    assert res.exit_code == 2 and "Traceback" not in res.output


def test_out_is_a_file(tmp_path):
    f = tmp_path / "file"
    f.write_text("")
    res = invoke("--only", "pivoting", "--out", str(f))
    assert res.exit_code == 2 and "is a file" in res.output


def test_failed_claim_exits_1(tmp_path):
    from pivotal.lab import Claim, Outcome

    def wrong(settings):
        return Outcome(shows="", claims=[Claim("false", 1 > 2, "1 <= 2")])

    with registered(Experiment("zz_wrong", "Wrong", 98, wrong)):
        res = invoke("--only", "zz_wrong", "--out", str(tmp_path / "x"))
    assert res.exit_code == 1
    assert "FAIL" in res.output and "zz_wrong" in res.output


def test_missing_matplotlib_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    res = invoke("--only", "pivoting", "--out", str(tmp_path / "x"))
    assert res.exit_code == 2
    assert (
        res.output.strip()
        == 'Error: pivotal lab needs matplotlib for its figures: pip install "pivotal[lab]"'
    )


def test_list():
    res = invoke("--list")
    assert res.exit_code == 0
    assert "substitution" in res.output and "cholesky" in res.output


def test_python_dash_m():
    out = subprocess.run(
        [sys.executable, "-m", "pivotal.lab", "--help"], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0 and "--quick" in out.stdout and "--only" in out.stdout


def test_open_shows_the_page(tmp_path, monkeypatch):
    import webbrowser

    opened = []
    monkeypatch.setattr(webbrowser, "open", opened.append)
    res = invoke("--quick", "--only", "pivoting", "--out", str(tmp_path / "lab"), "--open")
    assert res.exit_code == 0, res.output
    assert opened == [(tmp_path / "lab" / "index.html").resolve().as_uri()]
