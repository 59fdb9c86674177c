"""How report values become text and JSON: shared by the doctor, the solve command, the lab and their schemas.

``jsonable`` keeps only JSON types (non-finite floats as ``"inf"``, ``"-inf"``,
``"nan"``; complex numbers as a string, or as ``{re, im}`` for the lab) and
``fmt`` formats a number for a text report.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["fmt", "jsonable"]


def jsonable(
    value: Any, *, complex_as: str = "string", strict: bool = False, name: str = "report data"
) -> Any:
    """``value`` with only JSON types: non-finite floats as ``"inf"``, ``"-inf"``, ``"nan"``.

    Dicts (keys as strings), lists, tuples and NumPy arrays become dicts and
    lists of their converted entries; NumPy scalars become Python numbers and
    NumPy booleans JSON booleans.

    Parameters
    ----------
    value : Any
        What to convert.
    complex_as : {"string", "parts"}
        A complex number as ``str(complex(z))`` (``"(1+2j)"``: the doctor's and
        the solve command's JSON) or as ``{"re": ..., "im": ...}`` (the lab's
        ``results.json`` schema).
    strict : bool
        ``False``: any other object is written as ``str(value)``.  ``True``:
        any other object raises ``TypeError`` naming ``name``.
    name : str
        What the data is called in that ``TypeError``.

    Examples
    --------
    >>> import numpy as np
    >>> jsonable({"a": float("inf"), "b": (1, np.float32(0.5))})
    {'a': 'inf', 'b': [1, 0.5]}
    >>> jsonable([1 + 2j]), jsonable([1 + 2j], complex_as="parts")
    (['(1+2j)'], [{'re': 1.0, 'im': 2.0}])
    >>> jsonable(np.True_), jsonable([np.False_], strict=True)
    (True, [False])
    >>> jsonable(object(), strict=True, name="lab data")
    Traceback (most recent call last):
    TypeError: lab data must be numbers, strings, lists or dicts; got object.
    """
    if complex_as not in ("string", "parts"):
        raise ValueError(f"complex_as must be 'string' or 'parts', got {complex_as!r}.")
    return _jsonable(value, complex_as == "parts", strict, name)


def _jsonable(value: Any, parts: bool, strict: bool, name: str) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return _json_float(float(value))
    if isinstance(value, (complex, np.complexfloating)):
        if parts:
            return {"re": _json_float(float(value.real)), "im": _json_float(float(value.imag))}
        return str(complex(value))
    if isinstance(value, dict):
        return {str(k): _jsonable(v, parts, strict, name) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v, parts, strict, name) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist(), parts, strict, name)
    if strict:
        raise TypeError(f"{name} must be numbers, strings, lists or dicts; got {type(value).__name__}.")
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
