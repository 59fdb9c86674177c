"""The lab's HTML page: one self-contained file (inline CSS, figures as base64 PNG, no script, no URL)."""

from __future__ import annotations

import base64
from html import escape
from typing import Any

__all__ = ["render_html"]

_CSS = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d232a;
       max-width: 1060px; margin: 0 auto; padding: 1.5em 1.2em 4em; background: #fbfbfa; }
h1 { font-size: 1.7em; margin-bottom: .2em; }
h2 { font-size: 1.3em; margin-top: 2.2em; padding-top: .6em; border-top: 1px solid #d8dbe0; }
h3 { font-size: 1.02em; margin: 1.2em 0 .4em; }
.lead { color: #4a5360; margin-top: 0; }
.badge { display: inline-block; padding: 0 .55em; border-radius: .6em; font-size: .8em; font-weight: 600;
         color: #fff; vertical-align: middle; }
.passed { background: #2f7d32; } .failed { background: #c62828; } .error { background: #6a1b9a; }
.summary { display: flex; gap: 1.2em; flex-wrap: wrap; margin: 1em 0; }
.summary div { background: #fff; border: 1px solid #d8dbe0; border-radius: 6px; padding: .5em .9em; }
.summary b { display: block; font-size: 1.35em; }
nav ol { columns: 2; padding-left: 1.4em; }
table { border-collapse: collapse; margin: .4em 0 1em; font-size: .88em; background: #fff; }
th, td { border: 1px solid #d8dbe0; padding: .22em .6em; text-align: right; }
th { background: #eef0f3; } td.text, th.text { text-align: left; }
figure { margin: 1em 0; } figure img { max-width: 100%; height: auto; border: 1px solid #e3e5e8; background: #fff; }
figcaption { font-size: .88em; color: #4a5360; margin-top: .3em; }
ul.claims { list-style: none; padding-left: 0; }
ul.claims li { margin: .45em 0; padding: .4em .7em; background: #fff; border-left: 4px solid #2f7d32; }
ul.claims li.fail { border-left-color: #c62828; }
.evidence { display: block; font-size: .85em; color: #4a5360; font-family: ui-monospace, monospace; }
pre { background: #fff; border: 1px solid #d8dbe0; padding: .6em; overflow-x: auto; font-size: .82em; }
dl.prov { display: grid; grid-template-columns: max-content auto; gap: .15em 1em; font-size: .88em; }
dl.prov dt { font-weight: 600; } dl.prov dd { margin: 0; }
.meta { font-size: .82em; color: #6b7480; }
"""


def _fmt(value: Any) -> str:
    """A table cell: floats to 3 significant digits, the JSON spellings of non-finite floats kept."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.3g}"
    if value is None:
        return "-"
    return str(value)


def _badge(status: str) -> str:
    label = {"passed": "PASS", "failed": "FAIL", "error": "ERROR"}[status]
    return f'<span class="badge {status}">{label}</span>'


def _table(t: dict[str, Any]) -> str:
    def cls(v: Any) -> str:
        return ' class="text"' if isinstance(v, str) and v not in ("inf", "-inf", "nan") else ""

    head = "".join(f"<th{cls(c)}>{escape(str(c))}</th>" for c in t["columns"])
    body = "".join(
        "<tr>" + "".join(f"<td{cls(v)}>{escape(_fmt(v))}</td>" for v in row) + "</tr>" for row in t["rows"]
    )
    return (
        f"<h3>{escape(t['title'])}</h3>\n<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def _figure(f: dict[str, Any], png: bytes) -> str:
    src = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return (
        f'<figure><img src="{src}" alt="{escape(f["caption"], quote=True)}">'
        f'<figcaption>{escape(f["caption"])} <span class="meta">({escape(f["file"])})</span>'
        "</figcaption></figure>"
    )


def _claims(claims: list[dict[str, Any]]) -> str:
    items = "".join(
        f'<li class="{"pass" if c["passed"] else "fail"}">{_badge("passed" if c["passed"] else "failed")} '
        f'{escape(c["statement"])}<span class="evidence">{escape(c["evidence"])}</span></li>'
        for c in claims
    )
    return f'<h3>Claims</h3>\n<ul class="claims">{items}</ul>'


def _section(e: dict[str, Any], pngs: list[bytes]) -> str:
    parts = [
        f'<section id="{escape(e["name"], quote=True)}">',
        f"<h2>{e['order']}. {escape(e['title'])} {_badge(e['status'])}</h2>",
        f'<p class="meta">name <code>{escape(e["name"])}</code> · {e["wall_time_s"]:.2f} s</p>',
    ]
    if e["shows"]:
        parts.append(f"<p>{escape(e['shows'])}</p>")
    if e["error"]:
        parts.append(f"<h3>The experiment raised</h3><pre>{escape(e['error'])}</pre>")
    parts += [_figure(f, png) for f, png in zip(e["figures"], pngs, strict=True)]
    parts += [_table(t) for t in e["tables"]]
    if e["claims"]:
        parts.append(_claims(e["claims"]))
    if e["warnings"]:
        items = "".join(f"<li>{escape(w)}</li>" for w in e["warnings"])
        parts.append(
            f'<details><summary class="meta">Warnings raised ({len(e["warnings"])})</summary>'
            f'<ul class="meta">{items}</ul></details>'
        )
    parts.append("</section>")
    return "\n".join(parts)


def _provenance(p: dict[str, Any]) -> str:
    blas = "; ".join(
        f"{b['library']} ({b['api']} {b['version']}, kernel {b['kernel']}, {b['threads']} threads)"
        for b in p["blas"]
    )
    rows = [
        ("pivotal", p["pivotal"]),
        ("NumPy / SciPy / matplotlib", f"{p['numpy']} / {p['scipy']} / {p['matplotlib']}"),
        ("Python", f"{p['python']} on {p['platform']}"),
        ("CPU", f"{p['cpu']} ({p['cpu_count']} logical CPUs)"),
        ("BLAS", blas),
        ("Thread settings", ", ".join(f"{k}={v}" for k, v in p["thread_env"].items()) or "none set"),
        ("Seed", str(p["seed"])),
        ("Mode", p["mode"]),
        ("Date (UTC)", p["date"]),
        ("Command", p["command"]),
    ]
    items = "".join(f"<dt>{escape(k)}</dt><dd>{escape(str(v))}</dd>" for k, v in rows)
    return f'<h2 id="provenance">Provenance</h2>\n<dl class="prov">{items}</dl>'


def render_html(doc: dict[str, Any], images: list[list[bytes]]) -> str:
    """The page for ``doc`` (the ``results.json`` document) with ``images[i]`` the PNGs of experiment ``i``."""
    s = doc["summary"]
    status = "passed" if s["passed"] else ("error" if s["errors"] else "failed")
    nav = "".join(
        f'<li><a href="#{escape(e["name"], quote=True)}">{escape(e["title"])}</a> {_badge(e["status"])}</li>'
        for e in doc["experiments"]
    )
    summary = (
        '<div class="summary">'
        f"<div><b>{s['experiments']}</b>experiments</div>"
        f"<div><b>{s['claims'] - s['failed_claims']} / {s['claims']}</b>claims passed</div>"
        f"<div><b>{s['errors']}</b>errors</div>"
        f"<div><b>{s['wall_time_s']:.1f} s</b>{escape(doc['provenance']['mode'])} run</div>"
        "</div>"
    )
    missing = "".join(
        f"<li><code>{escape(u['module'])}</code>: {escape(u['reason'])}</li>"
        for u in s.get("unavailable", [])
    )
    if missing:
        summary += (
            f'<p class="meta">Not run, for a missing optional package:</p><ul class="meta">{missing}</ul>'
        )
    sections = "\n".join(_section(e, pngs) for e, pngs in zip(doc["experiments"], images, strict=True))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>pivotal lab</title>
<style>{_CSS}</style>
</head>
<body>
<h1>pivotal lab {_badge(status)}</h1>
<p class="lead">The course's stability experiments, measured on this machine with pivotal's own code.
Every conclusion below is computed from the data of this run; the numbers are in <code>results.json</code>.</p>
{summary}
<nav><ol>{nav}</ol></nav>
{_provenance(doc["provenance"])}
{sections}
</body>
</html>
"""
