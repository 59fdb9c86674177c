"""How report values become text and JSON: shared by the doctor, the solve command and their schemas.

``jsonable`` keeps only JSON types (non-finite floats as ``"inf"``, ``"-inf"``,
``"nan"``) and ``fmt`` formats a number for a text report.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["fmt", "jsonable"]


def jsonable(value: Any) -> Any:
    """``value`` with only JSON types: non-finite floats as ``"inf"``, ``"-inf"``, ``"nan"``.

    Examples
    --------
    >>> import numpy as np
    >>> jsonable({"a": float("inf"), "b": (1, np.float32(0.5))})
    {'a': 'inf', 'b': [1, 0.5]}
    """
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return _json_float(float(value))
    if isinstance(value, (complex, np.complexfloating)):
        return str(complex(value))
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    return str(value)


def _json_float(v: float) -> float | str:
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def fmt(x: Any, spec: str = ".3g") -> str:
    """A number for the text report: ``"n/a"`` for ``None``, ``yes``/``no`` for booleans.

    Examples
    --------
    >>> fmt(None), fmt(True), fmt(3), fmt(1234567.0), fmt(float("-inf"))
    ('n/a', 'yes', '3', '1.23e+06', '-inf')
    """
    if x is None:
        return "n/a"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return format(x, spec)
