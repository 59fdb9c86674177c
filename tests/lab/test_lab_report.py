"""The lab's report: results.json against its schema, the figure files, the self-contained page, and run_lab's errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pivotal.lab import (
    MISSING_MATPLOTLIB,
    Claim,
    Experiment,
    Outcome,
    Settings,
    registered,
    registry,
    results_schema,
    run_lab,
)
from pivotal.lab._runner import require_matplotlib
from pivotal.lab.plotting import new_figure

pytest.importorskip("matplotlib")
jsonschema = pytest.importorskip("jsonschema")

ONLY = ["pivoting", "rank_revealing"]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    result = run_lab(out, quick=True, only=",".join(ONLY), seed=3, progress=False)
    return result, out


def validate(doc):
    jsonschema.validate(doc, results_schema(), cls=jsonschema.Draft202012Validator)


def test_results_json_is_valid(report):
    _, out = report
    doc = json.loads((out / "results.json").read_text())
    validate(doc)
    assert [e["name"] for e in doc["experiments"]] == ONLY
    assert doc["settings"] == {"quick": True, "seed": 3}
    assert doc["summary"]["passed"] is True and doc["summary"]["experiments"] == 2
    assert doc["summary"]["claims"] == sum(len(e["claims"]) for e in doc["experiments"])
    prov = doc["provenance"]
    assert prov["seed"] == 3 and prov["mode"] == "quick" and prov["blas"] and prov["cpu"]


def test_schema_rejects_a_bad_document(report):
    _, out = report
    doc = json.loads((out / "results.json").read_text())
    doc["experiments"][0]["status"] = "maybe"
    with pytest.raises(jsonschema.ValidationError):
        validate(doc)


def test_figure_files(report):
    result, out = report
    files = [f for r in result.runs for f in r.figure_files]
    assert files
    for name in files:
        data = (out / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000


def test_page_is_self_contained(report):
    result, out = report
    html = (out / "index.html").read_text()
    n_figures = sum(len(r.outcome.figures) for r in result.runs)
    assert html.count('src="data:image/png;base64,') == n_figures
    assert "http://" not in html and "https://" not in html and "<script" not in html
    assert html.count("<section") == len(ONLY)
    for name in ("NumPy", "SciPy", "BLAS", "CPU", "Seed", "Date"):
        assert name in html
    assert html.count("PASS") >= sum(len(r.outcome.claims) for r in result.runs)


def test_unknown_name_lists_the_valid_ones(tmp_path):
    with pytest.raises(ValueError, match=r"unknown lab experiment.*'nope'.*valid names: .*pivoting"):
        run_lab(tmp_path, only=["pivoting", "nope"], progress=False)
    with pytest.raises(ValueError, match="seed"):
        run_lab(tmp_path, only=["pivoting"], seed=-1, progress=False)
    assert not (tmp_path / "index.html").exists()


def _fake_experiments():
    """A failing and a raising experiment, registered for the ``with`` block."""

    def wrong(settings: Settings) -> Outcome:
        fig, (ax,) = new_figure()
        ax.plot([1, 2], [settings.seed, 1])
        from pivotal.lab import Figure, Table

        value = 1.0 + settings.seed
        return Outcome(
            shows="A claim that the data contradict.",
            figures=[Figure("line", "a line", fig)],
            tables=[Table("t", ("x",), ((value,),))],
            claims=[Claim("one equals two", value == 2.0, f"value = {value}")],
            data={"value": value, "big": float("inf")},
        )

    def broken(settings: Settings) -> Outcome:
        raise RuntimeError("this experiment is broken")

    return registered(
        Experiment("zz_wrong", "Wrong", 98, wrong), Experiment("zz_broken", "Broken", 99, broken)
    )


def test_failed_claim_and_error_are_reported(tmp_path):
    seen = []
    with _fake_experiments():
        result = run_lab(tmp_path, only=["zz_wrong", "zz_broken"], progress=lambda *a: seen.append(a[0]))
    assert seen == ["start", "done", "start", "done"]
    assert not result.ok
    assert [r.status for r in result.runs] == ["failed", "error"]
    assert [c.statement for _, c in result.failed_claims] == ["one equals two"]
    assert "this experiment is broken" in result.errors[0][1]
    doc = json.loads(result.json_path.read_text())
    validate(doc)
    assert doc["summary"]["passed"] is False and doc["summary"]["failed_claims"] == 1
    assert doc["experiments"][0]["data"]["big"] == "inf"
    html = result.html_path.read_text()
    assert "FAIL" in html and "ERROR" in html and "this experiment is broken" in html


def test_seed_reaches_the_experiment(tmp_path):
    with _fake_experiments():
        result = run_lab(tmp_path, only=["zz_wrong"], seed=1, progress=False)
    assert result.ok  # 1 + seed == 2: the claim is computed from the data, not fixed
    assert result.runs[0].outcome.data["value"] == 2.0


def test_registered_is_undone_and_refuses_a_taken_name():
    before = set(registry())

    def fail_inside():
        with _fake_experiments():
            assert {"zz_wrong", "zz_broken"} <= set(registry())
            raise RuntimeError("inside the block")

    with pytest.raises(RuntimeError, match="inside"):
        fail_inside()
    assert set(registry()) == before  # removed on leaving, also by an exception
    with _fake_experiments():
        with (
            pytest.raises(ValueError, match="registered twice"),
            registered(Experiment("zz_wrong", "W", 1, print)),
        ):
            pass  # pragma: no cover - entering raises
        assert registry()["zz_wrong"].title == "Wrong"  # the first registration is untouched
    one = Experiment("zz_one", "One", 1, print)
    with pytest.raises(ValueError, match="one name twice"), registered(one, one):
        pass  # pragma: no cover - entering raises
    assert set(registry()) == before


def test_missing_matplotlib_message(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError) as info:
        require_matplotlib()
    assert str(info.value) == MISSING_MATPLOTLIB and 'pip install "pivotal[lab]"' in MISSING_MATPLOTLIB


def test_importing_pivotal_imports_no_lab_dependency():
    code = (
        "import sys, pivotal, pivotal.lab; "
        "print(','.join(m for m in ('matplotlib', 'click', 'rich', 'jinja2') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_module_with_a_missing_optional_package_is_listed(tmp_path, monkeypatch):
    from pivotal.lab.experiments import load_modules

    pkg = tmp_path / "fake_lab_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "e01_fine.py").write_text("VALUE = 1\n")
    (pkg / "e02_optional.py").write_text("import not_a_real_package_xyz\n")
    (pkg / "helper.py").write_text("raise RuntimeError('not an eNN module: never imported')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert load_modules([str(pkg)], "fake_lab_pkg") == {"e02_optional": "needs not_a_real_package_xyz"}
    assert sys.modules["fake_lab_pkg.e01_fine"].VALUE == 1
    (pkg / "e03_broken.py").write_text("import pivotal.no_such_module\n")
    with pytest.raises(ImportError):
        load_modules([str(pkg)], "fake_lab_pkg")
