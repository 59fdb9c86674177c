"""JSON Schemas of the command line's ``--json`` documents (``doctor``, ``solve``); see docs/cli.md.

The schemas are data files of the package (draft 2020-12).  ``doctor``
refers to ``solve``'s ``$defs/solve_report`` by ``$id``, so
:func:`validator` registers both.

Examples
--------
>>> sorted(schema("solve")["required"])
['matrix', 'output', 'report', 'rhs', 'solution_shape']
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

__all__ = ["NAMES", "schema", "validator"]

#: the schemas shipped: ``NAME.schema.json``
NAMES = ("doctor", "solve")


def schema(name: str) -> dict[str, Any]:
    """The schema ``NAME.schema.json`` as a dict (``name`` in :data:`NAMES`)."""
    if name not in NAMES:
        raise ValueError(f"no schema {name!r}; the schemas are {', '.join(NAMES)}")
    return json.loads(resources.files(__name__).joinpath(f"{name}.schema.json").read_text(encoding="utf-8"))


def validator(name: str) -> Any:
    """A ``jsonschema.Draft202012Validator`` for ``name``, with every schema registered (needs jsonschema)."""
    try:
        import jsonschema
        from referencing import Registry, Resource
    except ImportError as exc:  # pragma: no cover - jsonschema is in the test extra
        raise ImportError('validating needs jsonschema: pip install "jsonschema>=4.18"') from exc
    schemas = {n: schema(n) for n in NAMES}
    registry = Registry().with_resources((s["$id"], Resource.from_contents(s)) for s in schemas.values())
    return jsonschema.Draft202012Validator(schemas[name], registry=registry)
