"""The thresholds doctor's advice uses, and how its numbers are formatted (text and JSON)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

#: unit roundoff of IEEE single precision, ``2**-24``
U32 = 2.0**-24
#: ``kappa * u32`` at or below this: float32 is safe (two or more correct digits).
FLOAT32_SAFE = 1e-2
#: classic mixed-precision IR (float32 LU, float64 residual) converges for kappa up to about this.
IR_LIMIT = 1e6
#: GMRES-IR with float32 LU factors converges for kappa up to about this (Carson & Higham 2018).
GMRES_IR_LIMIT = 1e12
#: max/min row (column) scale ratio from which a matrix is reported as badly scaled.
SCALE_RATIO = 1e4
#: the finding levels, most severe first
LEVELS = ("error", "warning", "info")


def jsonable(value: Any) -> Any:
    """``value`` with only JSON types: non-finite floats as ``"inf"``, ``"-inf"``, ``"nan"``.

    Examples
    --------
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


def single_name(dt: np.dtype) -> str:
    """``"complex64"`` for a complex dtype, else ``"float32"``."""
    return "complex64" if dt.kind == "c" else "float32"


def is_single(dt: np.dtype) -> bool:
    """``dt`` is single precision (float32 or complex64) or lower."""
    return dt.itemsize <= (8 if dt.kind == "c" else 4)
