"""The ``pivotal`` console script."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest
import scipy.io
import scipy.sparse

from pivotal import gallery
from pivotal.cli import CLIError, demo_report, load_matrix, main
from pivotal.schemas import validator

jsonschema = pytest.importorskip("jsonschema")
pytest.importorskip("click")


def test_demo_report_content():
    text = demo_report(n=40, seed=1)
    for needle in (
        "LU vendor",
        "LU kernel",
        "Cholesky",
        "LDL",
        "gfpp(60)",
        "rook",
        "complete",
        "detected rank 10",
        "GFLOP/s",
        "cholqr2",
        "lstsq",
    ):
        assert needle in text


def test_demo_statements_hold():
    """What the demo prints about gfpp(60) and the certified solves is true on any BLAS kernel."""
    text = demo_report(n=40, seed=1)
    # "partial pivoting doubles the last column 59 times": growth 2**59 = 5.76e17 (gfpp is exact)
    assert re.search(r"^partial\s+5\.76e\+17\s", text, re.MULTILINE), text
    rows = re.findall(
        r"^  (.+?)\s{2,}(?:LU|Cholesky|LDL)\s+\S+\s+([0-9.e+-]+)\s+([0-9.e+-]+)\s+([0-9.e+-]+)$",
        text,
        re.MULTILINE,
    )
    assert len(rows) == 4, text
    for name, _backward, bound, err in rows:  # "the true error never exceeds the bound"
        assert float(err) <= float(bound), name


def test_main_demo_and_help(capsys):
    assert main(["demo", "--n", "30"]) == 0
    assert "Wilkinson" in capsys.readouterr().out
    assert main([]) == 0
    assert "demo" in capsys.readouterr().out


def _validate(document, name):
    validator(name).validate(document)


def test_console_entry_point_runs():
    out = subprocess.run(
        [sys.executable, "-m", "pivotal.cli", "demo", "--n", "20"], capture_output=True, text=True, check=True
    )
    assert "backward stable" in out.stdout


# --------------------------------------------------------------------------- pivotal doctor


def _doctor_json(capsys, *args):
    assert main(["doctor", *args, "--json"]) in (0, 1)
    d = json.loads(capsys.readouterr().out)
    _validate(d, "doctor")
    return d


def test_doctor_gallery_text(capsys):
    assert main(["doctor", "gallery:hilbert:12"]) == 1  # numerically singular: an error-level finding
    out = capsys.readouterr().out
    assert out.startswith("pivotal doctor: 12 x 12 float64 matrix")
    for section in ("Matrix", "Norms", "Conditioning", "Recommendation", "Precision", "Findings", "Cost"):
        assert f"\n{section}\n" in out
    assert "digits lost" in out and "singular to working precision" in out


def test_doctor_gallery_json(capsys):
    d = _doctor_json(capsys, "gallery:gfpp:40")
    assert d["shape"] == [40, 40] and d["growth_factor"] == 2.0**39
    assert "large_growth" in [f["code"] for f in d["findings"]]
    d = _doctor_json(capsys, "gallery:kahan:30")
    assert d["structure"][0] == "upper triangular" and d["recommendation"] == "Triangular"
    d = _doctor_json(capsys, "gallery:randsvd:30:1e6", "--seed", "3")
    # achieved to (n**2 + 2 THRESH n) u kappa: the product's rounding and the SVD's (n = 30)
    assert d["cond2"] == pytest.approx(1e6, rel=(30**2 + 2 * 30 * 30) * 2.0**-53 * 1e6)
    d = _doctor_json(capsys, "gallery:minij")  # default size
    assert d["shape"] == [10, 10]


def test_doctor_npy_with_rhs_and_exact_limit(tmp_path, capsys):
    A = gallery.randsvd(20, 1e4, 3, random_state=0)
    np.save(tmp_path / "a.npy", A)
    np.save(tmp_path / "b.npy", A @ np.ones(20))
    assert main(["doctor", str(tmp_path / "a.npy"), "--rhs", str(tmp_path / "b.npy")]) == 0
    out = capsys.readouterr().out
    assert "Certified solve" in out and "forward bound" in out
    d = _doctor_json(capsys, str(tmp_path / "a.npy"), "--rhs", str(tmp_path / "b.npy"), "--exact-limit", "5")
    # the bound is about kappa_1 times the backward error, itself below THRESH n u
    assert d["solve"]["method"] == "LU"
    assert d["solve"]["forward_error_bound"] < 30 * 20 * 2.0**-53 * np.linalg.cond(A, 1)
    assert "exact_limit = 5" in d["skipped"]["svd"] and d["cond2"] is None


def test_doctor_npz_keys_and_sparse_npz(tmp_path, capsys):
    np.savez(tmp_path / "m.npz", first=np.eye(3), second=2 * np.ones((4, 2)))
    assert _doctor_json(capsys, str(tmp_path / "m.npz"))["shape"] == [3, 3]
    d = _doctor_json(capsys, str(tmp_path / "m.npz"), "--key", "second")
    assert d["shape"] == [4, 2] and d["rank_svd"] == 1
    S = scipy.sparse.random(30, 30, density=0.1, random_state=0, format="csr") + scipy.sparse.eye(30)
    scipy.sparse.save_npz(tmp_path / "s.npz", S.tocsr())
    d = _doctor_json(capsys, str(tmp_path / "s.npz"))
    assert d["backend"] == "scipy.sparse" and d["sparse_format"] == "csr" and d["nnz"] == S.count_nonzero()


def test_doctor_matrix_market(tmp_path, capsys):
    T = scipy.sparse.diags([-np.ones(49), 4 * np.ones(50), -np.ones(49)], [-1, 0, 1])
    scipy.io.mmwrite(tmp_path / "t.mtx", T)
    d = _doctor_json(capsys, str(tmp_path / "t.mtx"))
    assert d["backend"] == "scipy.sparse" and d["nnz"] == 148
    assert d["structure"] == ["tridiagonal", "symmetric", "positive diagonal"]
    d = _doctor_json(capsys, str(tmp_path / "t.mtx"), "--exact-limit", "10")
    assert d["recommendation"] == "pivotal.SparseCholesky" and "svd" in d["skipped"]


def test_doctor_csv_and_txt(tmp_path, capsys):
    (tmp_path / "a.csv").write_text("# a comment\n4, 1, 0\n1, 4, 1\n0, 1, 4\n")
    (tmp_path / "a.txt").write_text("4 1 0\n1 4 1\n0 1 4\n")
    (tmp_path / "b.txt").write_text("1\n2\n3\n")
    (tmp_path / "row.csv").write_text("1, 2, 3\n")
    for name in ("a.csv", "a.txt"):
        d = _doctor_json(capsys, str(tmp_path / name), "--rhs", str(tmp_path / "b.txt"))
        assert d["shape"] == [3, 3] and d["recommendation"] == "Cholesky"
        assert d["solve"]["backward_error"] < 30 * 3 * 2.0**-53  # LAPACK's ratio: THRESH n u
    assert _doctor_json(capsys, str(tmp_path / "row.csv"))["shape"] == [1, 3]
    d = _doctor_json(capsys, str(tmp_path / "a.csv"), "--rhs", str(tmp_path / "row.csv"))
    assert d["solve"] is not None  # a one-row file is a vector


def _saved(tmp_path, save, value, suffix):
    path = tmp_path / f"whole{suffix}"
    save(path, value)
    return path.read_bytes()


_BINARY = {  # files a new user meets: cut off by a full disk or a killed job, or holding objects
    "TRUNCATED_NPY": lambda d: _saved(d, np.save, np.eye(50), ".npy")[:300],
    "TRUNCATED_NPZ": lambda d: _saved(d, np.savez, np.eye(50), ".npz")[:300],
    "OBJECT_NPY": lambda d: _saved(
        d, lambda p, v: np.save(p, v, allow_pickle=True), np.array([{}, 1], dtype=object), ".npy"
    ),
}


@pytest.mark.parametrize(
    ("files", "args", "message"),
    [
        ({}, ["missing.npy"], "no such file"),
        ({"m.xyz": "1 2"}, ["m.xyz"], "unsupported file type"),
        ({"bad.csv": "1, 2\n3, x\n"}, ["bad.csv"], "cannot read"),
        ({"bad.npy": "not numpy"}, ["bad.npy"], "cannot read"),
        ({}, ["gallery:nosuch:3"], "unknown gallery matrix"),
        ({}, ["gallery:hilbert:2.5"], "non-negative integer"),
        ({}, ["gallery:randsvd:5"], "gallery:randsvd:n:kappa"),
        ({"b.txt": "1\n2\n"}, ["gallery:hilbert:4", "--rhs", "b.txt"], "shape"),
        ({}, ["gallery:hilbert:100000"], "up to n = 11585"),
        ({"x.npy/keep": ""}, ["x.npy"], "is a directory"),
        ({"empty.csv": ""}, ["empty.csv"], "holds no numbers"),
        ({"comments.csv": "# nothing\n\n"}, ["comments.csv"], "holds no numbers"),
        (
            {"bad.mtx": "%%MatrixMarket matrix bogus real general\n2 2 1\n1 1 1.0\n"},
            ["bad.mtx"],
            "cannot read",
        ),
        ({"short.mtx": "%%MatrixMarket matrix coordinate real general\n2 2\n"}, ["short.mtx"], "cannot read"),
        ({}, ["gallery:hilbert:0"], "empty 0 x 0"),
        ({"trunc.npy": "TRUNCATED_NPY"}, ["trunc.npy"], "cannot read"),
        ({"trunc.npz": "TRUNCATED_NPZ"}, ["trunc.npz"], "cannot read"),
        ({"objects.npy": "OBJECT_NPY"}, ["objects.npy"], "cannot read"),
    ],
)
def test_doctor_errors_exit_2(tmp_path, capsys, monkeypatch, files, args, message):
    monkeypatch.chdir(tmp_path)
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        if text in _BINARY:
            (tmp_path / name).write_bytes(_BINARY[text](tmp_path))
        else:
            (tmp_path / name).write_text(text)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no raw warning escapes either
        assert main(["doctor", *args]) == 2
    captured = capsys.readouterr()
    err = captured.err
    assert err.startswith("pivotal doctor: error:") and message in err, err
    assert err.count("\n") == 1 and "Traceback" not in err and captured.out == ""


def test_doctor_npz_errors_and_argparse(tmp_path, capsys):
    np.savez(tmp_path / "m.npz", first=np.eye(2))
    assert main(["doctor", str(tmp_path / "m.npz"), "--key", "nope"]) == 2
    assert "has no array 'nope'" in capsys.readouterr().err
    np.save(tmp_path / "v.npy", np.ones(3))
    assert main(["doctor", str(tmp_path / "v.npy")]) == 2
    assert "not a matrix" in capsys.readouterr().err
    assert main(["doctor", "gallery:hilbert:3", "--exact-limit", "many"]) == 2
    assert main(["doctor"]) == 2
    with pytest.raises(CLIError):
        load_matrix(str(tmp_path / "absent.mtx"))
