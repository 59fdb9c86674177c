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
    assert namespace["info"].backward_error <= 10 * 2.0**-52
    assert namespace["s"].shape == (10,)
    assert "condition" in capsys.readouterr().out.lower()  # the doctor report was printed
