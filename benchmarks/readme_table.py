"""Copy the headline table of benchmarks/RESULTS.md into README.md (between the same markers).

Run after editing the table in RESULTS.md::

    python benchmarks/readme_table.py          # rewrite README.md
    python benchmarks/readme_table.py --check  # exit 1 if README.md is out of date

``tests/test_readme.py`` runs the check, so the README cannot drift from the results.
"""

from __future__ import annotations

import argparse
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
README = ROOT / "README.md"
BLOCK = re.compile(r"<!-- headline:start -->\n.*?<!-- headline:end -->\n", re.DOTALL)


def headline_block(text: str) -> str:
    """The marked block (markers included) of ``text``; ``ValueError`` if it has none."""
    match = BLOCK.search(text)
    if match is None:
        raise ValueError("no <!-- headline:start --> ... <!-- headline:end --> block")
    return match.group(0)


def synced_readme() -> str:
    """README.md's text with its headline block replaced by RESULTS.md's."""
    block = headline_block(RESULTS.read_text(encoding="utf-8"))
    readme = README.read_text(encoding="utf-8")
    headline_block(readme)  # the README must have the markers
    return BLOCK.sub(lambda _: block, readme, count=1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check; exit 1 if README.md differs")
    args = parser.parse_args(argv)
    new = synced_readme()
    if args.check:
        if new != README.read_text(encoding="utf-8"):
            print(
                "README.md's benchmark table differs from benchmarks/RESULTS.md: run benchmarks/readme_table.py"
            )
            return 1
        return 0
    README.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
