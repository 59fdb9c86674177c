"""Write a lab run to disk: one PNG per figure, ``results.json`` and the self-contained ``index.html``."""

from __future__ import annotations

import io
import json
import re
from typing import Any

from .._report_values import jsonable
from ._html import render_html

__all__ = ["SCHEMA_ID", "results_document", "results_schema", "write_report"]

#: The ``schema`` field of ``results.json`` (bumped on an incompatible change).
SCHEMA_ID = "pivotal-lab-results/1"

#: How ``results.json`` writes values (its schema): complex numbers as ``{"re", "im"}``, and an object
#: that is not a number, string, list or dict is an error, never silently a string.
LAB_JSON = {"complex_as": "parts", "strict": True, "name": "lab data"}


def results_schema() -> dict[str, Any]:
    """The JSON Schema of ``results.json`` (``pivotal/schemas/lab-results.schema.json``)."""
    from importlib.resources import files

    return json.loads(
        files("pivotal").joinpath("schemas", "lab-results.schema.json").read_text(encoding="utf-8")
    )


def _stem(text: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-") or "figure"


def _write_figures(run: Any, out_dir) -> list[bytes]:
    """Save each figure of ``run`` as PNG; returns the bytes (inlined in the page)."""
    pngs = []
    run.figure_files = []
    if run.outcome is None:
        return pngs
    for fig in run.outcome.figures:
        buf = io.BytesIO()
        # No Software tag: the page (and its inlined images) must carry no external URL at all.
        fig.figure.savefig(buf, format="png", dpi=110, metadata={"Software": None})
        data = buf.getvalue()
        name = f"{run.experiment.order:02d}-{_stem(run.experiment.name)}-{_stem(fig.name)}.png"
        (out_dir / name).write_bytes(data)
        run.figure_files.append(name)
        pngs.append(data)
    return pngs


def _run_document(run: Any) -> dict[str, Any]:
    exp, out = run.experiment, run.outcome
    doc: dict[str, Any] = {
        "name": exp.name,
        "title": exp.title,
        "order": exp.order,
        "status": run.status,
        "wall_time_s": run.wall_time_s,
        "error": run.error,
        "warnings": list(run.warnings),
        "shows": "" if out is None else out.shows,
        "claims": [],
        "tables": [],
        "figures": [],
        "data": {},
    }
    if out is not None:
        doc["claims"] = [
            {"statement": c.statement, "passed": c.passed, "evidence": c.evidence} for c in out.claims
        ]
        doc["tables"] = [{"title": t.title, "columns": list(t.columns), "rows": t.rows} for t in out.tables]
        doc["figures"] = [
            {"name": f.name, "caption": f.caption, "file": path}
            for f, path in zip(out.figures, run.figure_files, strict=True)
        ]
        doc["data"] = out.data
    return jsonable(doc, **LAB_JSON)


def results_document(result: Any) -> dict[str, Any]:
    """The content of ``results.json`` (schema ``pivotal/schemas/lab-results.schema.json``)."""
    claims = [c for r in result.runs if r.outcome is not None for c in r.outcome.claims]
    return jsonable(
        {
            "schema": SCHEMA_ID,
            "settings": {"quick": result.settings.quick, "seed": result.settings.seed},
            "provenance": result.provenance,
            "summary": {
                "passed": result.ok,
                "experiments": len(result.runs),
                "errors": len(result.errors),
                "claims": len(claims),
                "failed_claims": len(result.failed_claims),
                "wall_time_s": result.wall_time_s,
                "unavailable": [{"module": m, "reason": r} for m, r in result.unavailable.items()],
            },
            "experiments": [_run_document(r) for r in result.runs],
        },
        **LAB_JSON,
    )


def write_report(result: Any) -> None:
    """Write the figures, ``results.json`` and ``index.html`` of ``result`` into ``result.out_dir``."""
    out_dir = result.out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    images = [_write_figures(run, out_dir) for run in result.runs]
    doc = results_document(result)
    result.json_path.write_text(json.dumps(doc, indent=1, allow_nan=False) + "\n", encoding="utf-8")
    result.html_path.write_text(render_html(doc, images), encoding="utf-8")
