"""The README's short tour runs as written."""

from __future__ import annotations

import pathlib
import re
import warnings

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def _tour() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("## A short tour", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match, "README.md: the short tour has no python block"
    return match.group(1)


def test_readme_tour_runs(capsys):
    code = _tour()
    assert "pv.rsvd" in code and "pv.solve" in code
    namespace: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tour deliberately shows ill-conditioned matrices
        exec(compile(code, str(README), "exec"), namespace)
    info = namespace["info"]
    # sketch_lstsq stops once its backward-error estimate is below tol (4u); a fallback to
    # Householder QR is backward stable to LAPACK's THRESH m u (m = 100000 rows here)
    assert info.backward_error <= (info.tol if info.converged else 30 * 100_000 * 2.0**-53)
    assert namespace["s"].shape == (10,)
    assert "condition" in capsys.readouterr().out.lower()  # the doctor report was printed


def test_readme_benchmark_table_matches_results():
    # The README's headline table is copied from benchmarks/RESULTS.md by benchmarks/readme_table.py.
    import importlib.util

    path = README.parent / "benchmarks" / "readme_table.py"
    spec = importlib.util.spec_from_file_location("readme_table", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.synced_readme() == README.read_text(encoding="utf-8"), (
        "README.md's benchmark table differs from benchmarks/RESULTS.md: run python benchmarks/readme_table.py"
    )


def test_readme_links_stay_inside_the_repository():
    text = README.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)]+)\)", text):
        assert "://" not in target and not target.startswith(".."), (
            f"README links outside the repository: {target}"
        )
        assert (README.parent / target.split("#")[0]).exists(), f"README links to a missing file: {target}"
