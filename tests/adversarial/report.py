"""Print the outcome matrix of the sweep: ``python -m tests.adversarial.report [--markdown]``.

Codes: ``.`` correct result, ``E`` documented error, ``N`` NaN/Inf propagated
(no ``check_finite``), ``B`` known bug (xfail), ``F`` violation not yet in the
tables, ``-`` not applicable.
"""

from __future__ import annotations

import sys
import warnings

from .expected import KNOWN_BUGS
from .specs import SPECS
from .sweep import ERROR, NONFINITE, NotApplicable, run_case
from .variants import VARIANTS

CODES = {"ok": ".", ERROR: "E", NONFINITE: "N"}


def outcomes():
    table, details = {}, []
    for s, spec in SPECS.items():
        for v, variant in VARIANTS.items():
            try:
                outcome, detail = run_case(spec, variant)
                code = CODES[outcome]
                if (s, v) in KNOWN_BUGS:
                    code = "!"  # xfail that passes: the bug is fixed
                    details.append((s, v, "XPASS: " + KNOWN_BUGS[(s, v)].description))
                elif detail:
                    details.append((s, v, detail))
            except NotApplicable:
                code = "-"
            except AssertionError as exc:
                code = "B" if (s, v) in KNOWN_BUGS else "F"
                details.append((s, v, str(exc)[:200]))
            except Exception as exc:  # noqa: BLE001 - a builder or checker crashed: report it
                code = "F"
                details.append((s, v, f"harness: {type(exc).__name__}: {exc}"[:200]))
            table[s, v] = code
    return table, details


def main(argv) -> int:
    warnings.simplefilter("ignore")
    table, details = outcomes()
    variants = list(VARIANTS)
    width = max(map(len, SPECS))
    md = "--markdown" in argv
    header = " " * width + "  " + " ".join(f"{i % 100:>2}" for i in range(len(variants)))
    lines = ["```"] if md else []
    lines += [f"{i:>2} {v}" for i, v in enumerate(variants)]
    lines += ["", header]
    lines += [f"{s:<{width}}  " + " ".join(f"{table[s, v]:>2}" for v in variants) for s in SPECS]
    lines += ["```"] if md else []
    print("\n".join(lines))
    print()
    for s, v, d in details:
        print(f"- {s} / {v}: {d}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
