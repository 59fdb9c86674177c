"""The lab report in a real browser (headless Chromium): every image loads, no console error, a screenshot.

Skips where Chromium is absent (Debian: ``apt-get install chromium``; or
point ``$CHROMIUM`` at a Chrome/Chromium executable).
"""

from __future__ import annotations

import pytest

pytest.importorskip("matplotlib")

from pivotal.lab import run_lab

from .browser_check import check_page, find_chromium


def test_report_in_headless_chromium(tmp_path):
    if find_chromium() is None:
        pytest.skip(
            "Chromium is not installed (apt-get install chromium, or set $CHROMIUM): browser check skipped"
        )
    result = run_lab(tmp_path / "lab", quick=True, only=["pivoting", "orthogonality"], progress=False)
    shot = tmp_path / "screenshot.png"
    verdict = check_page(result.html_path, shot)
    n_figures = sum(len(r.outcome.figures) for r in result.runs)
    assert verdict["images"] == n_figures
    assert verdict["broken"] == [] and all(w > 0 for w in verdict["widths"])
    assert verdict["errors"] == []
    assert verdict["external"] == []
    assert verdict["sections"] == 2
    assert verdict["ok"]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_probe_catches_a_broken_page(tmp_path):
    """The check can fail: a page with a missing image and a console error is rejected."""
    if find_chromium() is None:
        pytest.skip(
            "Chromium is not installed (apt-get install chromium, or set $CHROMIUM): browser check skipped"
        )
    page = tmp_path / "index.html"
    page.write_text(
        "<!DOCTYPE html><html><head><title>t</title></head><body>"
        '<img src="missing.png" alt="missing"><script>console.error("boom")</script></body></html>'
    )
    verdict = check_page(page)
    assert not verdict["ok"]
    assert verdict["broken"] == ["missing"]
    assert any("boom" in e for e in verdict["errors"])
