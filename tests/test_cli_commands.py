"""``pivotal solve``, exit codes, ``--version``, ``python -m pivotal``, closed pipes and the JSON schemas."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pivotal import gallery
from pivotal.cli import main
from pivotal.schemas import validator

from .helpers import THRESH, u_of

jsonschema = pytest.importorskip("jsonschema")
click_testing = pytest.importorskip("click.testing")

SRC = str(Path(__file__).resolve().parents[1] / "src")


def _validate(document, name):
    validator(name).validate(document)


def _invoke(*args: str):
    """Run the click group in-process (CliRunner); returns (exit code, stdout, stderr)."""
    from pivotal.cli.app import cli

    result = click_testing.CliRunner().invoke(cli, list(args), prog_name="pivotal")
    return result.exit_code, result.stdout, result.stderr


def _run(*args: str, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env=env, timeout=300, check=False, **kwargs
    )


# --------------------------------------------------------------------------- solve


@pytest.fixture
def system(tmp_path):
    A = gallery.randsvd(12, 1e3, 3, random_state=0)
    x_true = np.random.default_rng(0).standard_normal(12)
    np.save(tmp_path / "a.npy", A)
    np.save(tmp_path / "b.npy", A @ x_true)
    np.savetxt(tmp_path / "a.csv", A, delimiter=",")
    np.savetxt(tmp_path / "b.csv", A @ x_true, delimiter=",")
    return tmp_path, A, x_true


def _check_solution(A, x, b, report):
    # LAPACK's ratio ||b - A x|| / (||A|| ||x|| n u) < THRESH, and the certificate bounds the true error
    n = A.shape[0]
    assert np.linalg.norm(b - A @ x, np.inf) / (
        np.linalg.norm(A, np.inf) * np.linalg.norm(x, np.inf)
    ) < THRESH * n * u_of(np.float64)
    assert report["backward_error"] < THRESH * n * u_of(np.float64)


def test_solve_writes_npy_and_prints_the_report(system, monkeypatch):
    tmp, A, x_true = system
    monkeypatch.chdir(tmp)
    code, out, _ = _invoke("solve", "a.npy", "b.npy", "-o", "x.npy", "--json")
    assert code == 0
    doc = json.loads(out)
    _validate(doc, "solve")
    x = np.load(tmp / "x.npy")
    _check_solution(A, x, A @ x_true, doc["report"])
    err = np.abs(x - x_true).max() / np.abs(x).max()
    assert err <= doc["report"]["forward_error_bound"]
    assert doc["output"] == "x.npy" and doc["solution_shape"] == [12] and doc["report"]["method"] == "LU"
    code, out, _ = _invoke("solve", "a.npy", "b.npy", "--refine", "mixed")
    assert code == 0 and "SolveReport" in out and "mixed" in out and "not written" in out


def test_solve_output_format_follows_the_input(system, monkeypatch):
    tmp, A, x_true = system
    monkeypatch.chdir(tmp)
    assert _invoke("solve", "a.csv", "b.csv", "-o", "x")[0] == 0
    x = np.loadtxt(tmp / "x.csv", delimiter=",")
    assert (
        np.abs(x - x_true).max() <= 1e3 * THRESH * 12 * u_of(np.float64) * np.abs(x_true).max()
    )  # kappa n u
    import scipy.io

    scipy.io.mmwrite(tmp / "a.mtx", A)
    assert _invoke("solve", "a.mtx", "b.npy", "-o", "y", "--assume", "general", "--refine", "none")[0] == 0
    y = np.asarray(scipy.io.mmread(tmp / "y.mtx")).ravel()
    assert np.abs(y - x_true).max() <= 1e3 * THRESH * 12 * u_of(np.float64) * np.abs(x_true).max()


def test_solve_keeps_sparse_input_sparse(tmp_path, monkeypatch, capsys):
    import scipy.io
    import scipy.sparse as sp

    T = sp.diags_array([-1.0, 2.0, -1.0], offsets=[-1, 0, 1], shape=(30, 30))
    A = sp.csc_array(sp.kron(sp.eye_array(30), T) + sp.kron(T, sp.eye_array(30)))  # 900 unknowns
    scipy.io.mmwrite(tmp_path / "lap.mtx", A)  # coordinate format: mmread gives a sparse matrix
    b = np.random.default_rng(2).standard_normal(900)
    np.save(tmp_path / "b.npy", b)
    monkeypatch.chdir(tmp_path)
    code, out, _ = _invoke("solve", "lap.mtx", "b.npy", "-o", "x.npy", "--json")
    assert code == 0
    doc = json.loads(out)
    _validate(doc, "solve")
    assert doc["report"]["method"] == "SparseCholesky"  # factored sparse, not densified and LU'd
    _check_solution(A.toarray(), np.load(tmp_path / "x.npy"), b, doc["report"])
    capsys.readouterr()
    for args, message in ((("--refine", "mixed"), "refine='mixed'"), (("--assume", "banded"), "assume")):
        assert main(["solve", "lap.mtx", "b.npy", *args]) == 2
        err = capsys.readouterr().err
        assert err.startswith("pivotal solve: error:") and message in err, err


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["solve", "gallery:kahan:5", "gallery:hilbert:3"], 2, "needs 5 rows"),
        (["solve", "rect.npy", "b.npy"], 2, "square matrix"),
        (["solve", "sing.npy", "b2.npy"], 1, "singular"),
        (["solve", "gallery:hilbert:4", "gallery:hilbert:4", "-o", "x.xyz"], 2, "cannot write x.xyz"),
        (["solve", "nan.npy", "b2.npy"], 2, "NaN"),
        (
            ["solve", "gallery:minij:3", "gallery:minij:3", "--assume", "pos", "-o", "nodir/x.npy"],
            2,
            "cannot write",
        ),
    ],
)
def test_solve_errors(tmp_path, monkeypatch, capsys, args, code, message):
    monkeypatch.chdir(tmp_path)
    np.save("rect.npy", np.ones((4, 2)))
    np.save("b.npy", np.ones(4))
    np.save("sing.npy", np.array([[1.0, 2.0], [2.0, 4.0]]))
    np.save("nan.npy", np.array([[1.0, np.nan], [0.0, 1.0]]))
    np.save("b2.npy", np.ones(2))
    assert main(args) == code
    err = capsys.readouterr().err
    assert err.startswith("pivotal solve: error:") and message in err and err.count("\n") == 1, err


# --------------------------------------------------------------------------- doctor exit codes and JSON


def test_doctor_exit_codes_and_schema(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    np.save("nan.npy", np.array([[1.0, np.nan], [0.0, 1.0]]))
    np.save("good.npy", gallery.randsvd(10, 10.0, 3, random_state=0))
    np.save("rect.npy", gallery.randsvd(5, 10.0, 3, m=9, random_state=0))
    for spec, expected in (("nan.npy", 1), ("good.npy", 0), ("rect.npy", 0), ("gallery:gfpp:30", 0)):
        assert main(["doctor", spec, "--json"]) == expected, spec
        doc = json.loads(capsys.readouterr().out)
        _validate(doc, "doctor")
        assert any(f["level"] == "error" for f in doc["findings"]) == (expected == 1)
    np.save("b.npy", np.ones(10))
    assert main(["doctor", "good.npy", "--rhs", "b.npy", "--json", "--exact"]) == 0
    doc = json.loads(capsys.readouterr().out)
    _validate(doc, "doctor")
    assert doc["solve"]["backward_error"] < THRESH * 10 * u_of(np.float64)


def test_doctor_rectangular_advice_never_says_solve_mixed(tmp_path, capsys):
    assert main(["doctor", "gallery:randsvd:6:100", "--json"]) == 0  # square: mixed refinement pays
    assert json.loads(capsys.readouterr().out)["refinement"] == "mixed"
    for shape in ((30, 6), (6, 30)):
        A = gallery.randsvd(min(shape), 100.0, 3, m=max(shape), random_state=1)
        np.save(tmp_path / "r.npy", A if shape[0] > shape[1] else A.T.copy())
        assert main(["doctor", str(tmp_path / "r.npy"), "--json"]) == 0
        doc = json.loads(capsys.readouterr().out)
        assert doc["shape"] == list(shape) and doc["refinement"] == "working precision"
        texts = [doc["refinement_advice"], *(f["message"] for f in doc["findings"]), *doc["alternatives"]]
        assert not any("refine='mixed'" in t for t in texts) and "pivotal.lstsq" in doc["refinement_advice"]


def test_doctor_no_exact_and_exact_flags(capsys):
    assert main(["doctor", "gallery:randsvd:20:1e3", "--no-exact", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert (
        doc["cond2"] is None
        and "exact=False" in doc["skipped"]["svd"]
        and doc["kappa_source"] == "kappa_1 estimate"
    )
    assert main(["doctor", "gallery:randsvd:20:1e3", "--exact", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    # randsvd's kappa is achieved to sqrt(n) u kappa, measured by the SVD to THRESH n u kappa
    assert doc["cond2"] == pytest.approx(1e3, rel=2 * THRESH * 20 * u_of(np.float64) * 1e3)


# --------------------------------------------------------------------------- the program


def test_version_help_and_python_m():
    import pivotal

    code, out, _ = _invoke("--version")
    assert code == 0 and out.strip() == f"pivotal {pivotal.__version__}"
    code, out, _ = _invoke("--help")
    assert code == 0 and all(name in out for name in ("demo", "doctor", "solve"))
    proc = _run("-m", "pivotal", "--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"pivotal {pivotal.__version__}"
    proc = _run("-m", "pivotal", "doctor", "gallery:hilbert:100000")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1


def test_help_imports_no_command():
    code = (
        "import sys; from pivotal.cli import main; main(['--help']); "
        "print(sorted(m for m in sys.modules if m.startswith(('pivotal.cli.doctor_command', 'pivotal.cli.solve', 'matplotlib', 'rich.table'))))"
    )
    proc = _run("-c", code)
    assert proc.returncode == 0 and proc.stdout.strip().endswith("[]"), proc.stdout


def test_missing_click_is_one_line_and_exit_2():
    code = "import sys; sys.modules['click'] = None; from pivotal.cli import main; sys.exit(main(['--help']))"
    proc = _run("-c", code)
    assert proc.returncode == 2 and proc.stdout == ""
    assert (
        proc.stderr.strip()
        == 'pivotal: the command line needs click, which is not installed: pip install "pivotal[cli]"'
    )


def test_closed_pipe_is_quiet():
    """``pivotal doctor --json ... | head``: the reader goes away; no BrokenPipeError traceback."""
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pivotal", "doctor", "gallery:hilbert:40", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    proc.stdout.close()  # before the child writes: its write meets a closed pipe
    _, err = proc.communicate(timeout=300)
    assert b"Traceback" not in err and b"BrokenPipe" not in err, err.decode()
    assert proc.returncode in (0, 1)  # 1: Hilbert(40) is numerically singular; the pipe changes nothing
    shell = subprocess.run(
        f"{sys.executable} -m pivotal doctor gallery:hilbert:40 --json | head -n 2",
        shell=True,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert shell.stdout.splitlines() == ["{", '  "shape": ['] and "Traceback" not in shell.stderr


def test_lazy_group_reports_a_missing_dependency(capsys):
    from pivotal.cli.app import cli

    cli.add_lazy_command(
        "needsdep", "pivotal_no_such_module.command:command", "a command whose module is absent"
    )
    try:
        assert main(["--help"]) == 0
        assert "needsdep" in capsys.readouterr().out
        assert main(["needsdep"]) == 2
        err = capsys.readouterr().err
        assert (
            err.startswith("pivotal needsdep: error: needs pivotal_no_such_module") and err.count("\n") == 1
        )
    finally:
        cli.lazy.pop("needsdep")


def test_progress_reporter_shows_slow_steps_only():
    import io
    import time

    from rich.console import Console

    from pivotal.cli.console import progress_reporter

    assert progress_reporter(Console(file=io.StringIO(), force_terminal=False)) is None
    buf = io.StringIO()
    step = progress_reporter(Console(file=buf, force_terminal=True), delay=0.05)
    with step("fast"):
        pass
    assert "fast" not in buf.getvalue()
    with step("slow svd"):
        time.sleep(0.5)
    assert "slow svd" in buf.getvalue()


def test_rich_report_on_a_terminal_shows_every_section():
    import io

    from rich.console import Console

    import pivotal as pv
    from pivotal.cli.rich_report import print_report

    buf = io.StringIO()
    report = pv.doctor(gallery.gfpp(30), random_state=0)
    print_report(report, Console(file=buf, width=100, force_terminal=True, color_system=None))
    text = buf.getvalue()
    for section in ("Matrix", "Norms", "Conditioning", "Recommendation", "Precision", "Findings", "Cost"):
        assert f"\n{section}" in text
    assert (
        "pivotal doctor: 30 x 30 float64 matrix" in text
        and "[warning]" in text
        and "large_growth" not in text
    )


def test_demo_command_checks_its_size(capsys):
    assert main(["demo", "--n", "1"]) == 2
    assert capsys.readouterr().err == "pivotal demo: error: --n must be at least 2, got 1\n"
