"""Open a lab report in headless Chromium: every image must load, and the console must stay clean.

No browser driver is needed.  A copy of the page gets a first ``<script>``
that records ``console.error``, uncaught errors and failed resource loads,
and, on ``load``, writes a JSON verdict into a ``<pre id="__verdict">``
element; ``chromium --headless --dump-dom`` prints the DOM after the page
ran, and the verdict is read back from it.  A second run takes a screenshot
of the untouched page.

Usage: ``python tests/lab/browser_check.py DIR/index.html [--screenshot shot.png]``
(exit 0 when the page passes; the verdict is printed as JSON).
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

#: Runs before anything else on the page.
PROBE = """<script>
(function () {
  var errors = [];
  var original = console.error;
  console.error = function () {
    errors.push("console.error: " + Array.prototype.map.call(arguments, String).join(" "));
    return original.apply(console, arguments);
  };
  window.addEventListener("error", function (e) {
    if (e.target && e.target !== window) {
      errors.push("failed to load: " + (e.target.src || e.target.href || e.target.tagName));
    } else {
      errors.push("uncaught: " + e.message);
    }
  }, true);
  window.addEventListener("unhandledrejection", function (e) { errors.push("unhandled rejection: " + e.reason); });
  window.addEventListener("load", function () {
    var images = Array.prototype.slice.call(document.images);
    var verdict = {
      images: images.length,
      broken: images.filter(function (i) { return !(i.complete && i.naturalWidth > 0); })
                    .map(function (i) { return (i.alt || i.src).slice(0, 80); }),
      widths: images.map(function (i) { return i.naturalWidth; }),
      errors: errors,
      external: performance.getEntriesByType("resource").map(function (r) { return r.name; })
                           .filter(function (n) { return n.indexOf("data:") !== 0; }),
      sections: document.querySelectorAll("section").length,
      title: document.title
    };
    var pre = document.createElement("pre");
    pre.id = "__verdict";
    pre.textContent = JSON.stringify(verdict);
    document.body.appendChild(pre);
  });
})();
</script>"""

_VERDICT = re.compile(r'<pre id="__verdict">(.*?)</pre>', re.S)


def find_chromium() -> str | None:
    """The Chromium executable (``$CHROMIUM``, else ``chromium`` / ``chromium-browser`` / ``google-chrome`` on PATH)."""
    if os.environ.get("CHROMIUM"):
        return os.environ["CHROMIUM"]
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _chromium(exe: str, profile: str, *args: str, timeout: float) -> subprocess.CompletedProcess:
    cmd = [
        exe,
        "--headless",
        "--disable-gpu",
        "--no-sandbox",
        "--no-first-run",
        "--disable-extensions",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)


def check_page(index_html: str | Path, screenshot: str | Path | None = None, *, timeout: float = 120) -> dict:
    """Load ``index_html`` in headless Chromium; return the verdict (``ok`` True when the page passes).

    Raises ``FileNotFoundError`` when no Chromium is installed.
    """
    exe = find_chromium()
    if exe is None:
        raise FileNotFoundError("Chromium is not installed (apt-get install chromium, or set $CHROMIUM).")
    page = Path(index_html).resolve()
    text = page.read_text(encoding="utf-8")
    probed = re.sub(r"<head>", "<head>\n" + PROBE, text, count=1)
    with tempfile.TemporaryDirectory(prefix="pivotal-lab-browser-") as tmp:
        copy = Path(tmp) / "probed.html"
        copy.write_text(probed, encoding="utf-8")
        run = _chromium(
            exe,
            str(Path(tmp) / "profile"),
            "--virtual-time-budget=5000",
            "--dump-dom",
            copy.as_uri(),
            timeout=timeout,
        )
        found = _VERDICT.search(run.stdout)
        if found is None:
            return {"ok": False, "problem": "no verdict in the dumped DOM", "stderr": run.stderr[-2000:]}
        verdict = json.loads(html.unescape(found.group(1)))
        if screenshot is not None:
            shot = Path(screenshot).resolve()
            _chromium(
                exe,
                str(Path(tmp) / "profile2"),
                f"--screenshot={shot}",
                "--window-size=1280,2400",
                "--hide-scrollbars",
                page.as_uri(),
                timeout=timeout,
            )
            verdict["screenshot"] = str(shot) if shot.is_file() and shot.stat().st_size > 0 else None
    verdict["ok"] = (
        verdict["images"] > 0
        and not verdict["broken"]
        and not verdict["errors"]
        and not verdict["external"]
        and (screenshot is None or verdict.get("screenshot") is not None)
    )
    return verdict


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    shot = None
    if "--screenshot" in argv:
        i = argv.index("--screenshot")
        shot = argv[i + 1]
        argv = argv[:i] + argv[i + 2 :]
    verdict = check_page(argv[0], shot)
    print(json.dumps(verdict, indent=1))
    return 0 if verdict["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
