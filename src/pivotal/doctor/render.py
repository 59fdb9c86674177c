"""Rendering a :class:`DoctorReport`: the plain-text report, an HTML fragment and JSON.

:func:`report_sections` turns a report into titled rows of strings; the
plain text (:func:`render_text`, what ``print(report)`` shows), the command
line's rich tables and the HTML fragment (:func:`render_html`, for the lab's
report) all draw these same rows, so every front end says the same thing.  :func:`render_json` is
:meth:`DoctorReport.to_json`, whose document the schema
``pivotal/schemas/doctor.schema.json`` describes.
"""

from __future__ import annotations

import html
import textwrap
from typing import Any

import numpy as np

from .._report_values import fmt
from ._values import U32, single_name

#: width of the text report
TEXT_WIDTH = 100

Rows = list[tuple[str, str]]


def render_json(report: Any, indent: int | None = 2) -> str:
    """The report as strict JSON (``report.to_json``)."""
    return report.to_json(indent=indent)


def title(r: Any) -> str:
    """``"pivotal doctor: M x N dtype matrix"``."""
    m, n = r.shape
    return f"pivotal doctor: {m} x {n} {r.dtype} matrix"


def wrap(prefix: str, text: str) -> str:
    """``prefix + text`` wrapped at :data:`TEXT_WIDTH`, continuation lines aligned under ``text``."""
    return textwrap.fill(
        str(text),
        width=max(TEXT_WIDTH, len(prefix) + 30),
        initial_indent=prefix,
        subsequent_indent=" " * len(prefix),
        break_on_hyphens=False,
        break_long_words=False,
    )


def report_sections(r: Any) -> list[tuple[str, Rows]]:
    """``[(section title, [(label, value), ...]), ...]``: every section but the findings, in order.

    Sections with no rows are left out.
    """
    sections = [
        ("Matrix", _matrix_rows(r)),
        ("Norms", _norm_rows(r)),
        ("Conditioning", _conditioning_rows(r)),
        ("Recommendation", _recommendation_rows(r)),
        ("Precision", _precision_rows(r)),
        ("Trial solve (random b)", _trial_rows(r)),
        ("Certified solve", _solve_rows(r)),
    ]
    return [(name, [(k, v) for k, v in rows if v is not None]) for name, rows in sections if rows]


def cost_rows(r: Any) -> Rows:
    """Seconds spent per item, then the items skipped and why."""
    return [(name, f"{secs:.3g} s") for name, secs in r.timings.items()] + [
        (name, f"skipped: {why}") for name, why in r.skipped.items()
    ]


def render_text(r: Any) -> str:
    """The plain-text report (``str(report)``)."""
    head = title(r)
    lines = [head, "=" * len(head)]
    for name, rows in report_sections(r):
        lines.extend(_section(name, rows))
    lines += ["", "Findings"]
    if r.findings:
        width = max(len(f.level) for f in r.findings) + 2
        lines.extend(wrap(f"  {'[' + f.level + ']':<{width}}  ", f.message) for f in r.findings)
    else:
        lines.append("  none: nothing to worry about")
    lines.extend(_section("Cost", cost_rows(r)))
    return "\n".join(lines)


def _section(name: str, rows: Rows) -> list[str]:
    rows = [(k, v) for k, v in rows if v is not None]
    if not rows:
        return []
    width = max(len(k) for k, _ in rows)
    return ["", name] + [wrap(f"  {k:<{width}}  ", v) for k, v in rows]


# ---------------------------------------------------------------------------- sections


def _matrix_rows(r: Any) -> Rows:
    m, n = r.shape
    nonzeros = f"{r.nnz} of {m * n} (density {fmt(r.density, '.3g')})"
    if r.nan_count or r.inf_count:
        nonzeros += f"; {r.nan_count} NaN, {r.inf_count} Inf"
    dtype = r.dtype if r.dtype == r.working_dtype else f"{r.dtype} (analysed as {r.working_dtype})"
    return [
        ("shape", f"{m} x {n}"),
        ("dtype", dtype),
        ("storage", f"{r.backend}, {r.device}, {r.layout}"),
        ("nonzeros", nonzeros),
        ("structure", ", ".join(r.structure) if r.structure else "n/a"),
    ]


def _optional(value: Any) -> str | None:
    return fmt(value) if value is not None else None


def _norm_rows(r: Any) -> Rows:
    if not r.norms:
        return []
    return [
        ("1-norm", fmt(r.norms.get("1"))),
        ("inf-norm", fmt(r.norms.get("inf"))),
        ("Frobenius", fmt(r.norms.get("fro"))),
        ("max |a_ij|", fmt(r.norms.get("max"))),
        ("row scale ratio", _optional(r.row_scale_ratio)),
        ("col scale ratio", _optional(r.col_scale_ratio)),
        ("asymmetry", _optional(r.asymmetry)),
    ]


def _item(r: Any, value: Any, key: str, extra: str = "") -> str:
    if value is None:
        return "skipped (see Cost)" if key in r.skipped else "n/a"
    return fmt(value) + extra


def _conditioning_rows(r: Any) -> Rows:
    m, n = r.shape
    k = min(m, n)
    kappa1 = f"  (kappa_1 ~ {fmt(r.condest)})" if r.condest is not None else ""
    sigmas = f"  (sigma {fmt(r.sigma_max)} .. {fmt(r.sigma_min)})" if r.sigma_max is not None else ""
    return [
        ("rcond (1-norm est.)", _item(r, r.rcond, "condition estimate", kappa1)),
        ("kappa_2 (SVD)", _item(r, r.cond2, "svd", sigmas)),
        ("rank (SVD)", _item(r, r.rank_svd, "svd", f" of {k}")),
        ("rank (QRCP)", _item(r, r.rank_qrcp, "qrcp", f" of {k}")),
        ("GEPP growth", _item(r, r.growth_factor, "growth") if m == n else None),
        ("rook growth", _item(r, r.growth_rook, "growth (rook)") if r.growth_rook is not None else None),
    ]


def _recommendation_rows(r: Any) -> Rows:
    return (
        [("factorization", r.recommendation or "n/a")]
        + [("why" if i == 0 else "", why) for i, why in enumerate(r.reasons)]
        + [("alternatives" if i == 0 else "", alt) for i, alt in enumerate(r.alternatives)]
    )


def _precision_rows(r: Any) -> Rows:
    if r.kappa is None:
        return []
    single = single_name(np.dtype(r.working_dtype))
    return [
        ("kappa used", f"{fmt(r.kappa)} ({r.kappa_source})"),
        (
            "digits lost",
            f"{fmt(r.digits_lost, '.1f')} of {fmt(r.digits_available, '.1f')} ({r.working_dtype})",
        ),
        (f"{single} safe", f"{fmt(r.float32_safe)} (kappa * u_32 = {fmt(r.kappa * U32)})"),
        ("refinement", f"{r.refinement}: {r.refinement_advice}" if r.refinement else None),
    ]


def _trial_rows(r: Any) -> Rows:
    t = r.trial
    if t is None:
        return []
    return [
        ("backward error", fmt(t.get("backward_error"))),
        ("componentwise", _optional(t.get("componentwise_backward_error"))),
        ("forward bound", _optional(t.get("forward_error_bound"))),
    ]


def _solve_rows(r: Any) -> Rows:
    s = r.solve
    if s is None:
        return []
    digits = f"  (>= {fmt(s['correct_digits'], '.1f')} correct digits)" if "correct_digits" in s else ""
    return [
        ("method", str(s.get("method"))),
        ("path", " -> ".join(s.get("path", []))),
        ("rcond", fmt(s.get("rcond"))),
        (
            "backward error",
            f"{fmt(s.get('backward_error'))} (normwise), {fmt(s.get('componentwise_backward_error'))} (componentwise)",
        ),
        ("forward bound", fmt(s.get("forward_error_bound")) + digits),
        ("refinement", f"{s.get('refinement') or 'none'} ({s.get('refinement_steps', 0)} steps)"),
        ("residual norm", fmt(s.get("residual_norm"))),
    ]


# ---------------------------------------------------------------------------- HTML


def _html_table(rows: Rows) -> str:
    body = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows)
    return f"<table>{body}</table>"


def render_html(r: Any) -> str:
    """The report as a self-contained HTML fragment (``<section class="pivotal-doctor">``).

    Findings are ``<li class="error|warning|info">``; every text is escaped.

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> page = render_html(pv.doctor(np.array([[1.0, np.nan], [0.0, 1.0]])))
    >>> page.startswith('<section class="pivotal-doctor">') and '<li class="error">' in page
    True
    """
    parts = [f'<section class="pivotal-doctor"><h2>{html.escape(title(r))}</h2>']
    for name, rows in report_sections(r):
        parts.append(f"<h3>{html.escape(name)}</h3>{_html_table(rows)}")
    items = "".join(
        f'<li class="{html.escape(f.level)}"><strong>{html.escape(f.level)}</strong> {html.escape(f.message)}</li>'
        for f in r.findings
    )
    parts.append(f"<h3>Findings</h3><ul>{items or '<li>none: nothing to worry about</li>'}</ul>")
    parts.append(f"<h3>Cost</h3>{_html_table(cost_rows(r))}</section>")
    return "".join(parts)
