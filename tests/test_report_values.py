"""``pivotal._report_values.jsonable``: one function for the doctor/solve JSON and the lab's ``results.json``.

The two styles must write exactly what the two functions they replaced wrote
(``pivotal._report_values.jsonable`` and ``pivotal.lab._report.jsonable`` at
commit ce64a08, copied below): the JSON text is compared byte for byte over a
sample of values of every kind each could meet.  One deliberate change: the
doctor/solve style wrote NumPy booleans as the strings ``"True"``/``"False"``;
it now writes JSON booleans, as the lab style always did (the reference below
has that one line added).
"""

from __future__ import annotations

import enum
import json
import math
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

from pivotal._report_values import jsonable
from pivotal.lab._report import LAB_JSON


def _before_report(value: Any) -> Any:  # pivotal._report_values.jsonable at ce64a08, with the bool fix
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, np.bool_):  # the fix: ce64a08 wrote str(value), "True" / "False"
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return v
    if isinstance(value, (complex, np.complexfloating)):
        return str(complex(value))
    if isinstance(value, dict):
        return {str(k): _before_report(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_before_report(v) for v in value]
    if isinstance(value, np.ndarray):
        return _before_report(value.tolist())
    return str(value)


def _before_lab(value: Any) -> Any:  # pivotal.lab._report.jsonable at ce64a08
    if isinstance(value, dict):
        return {str(k): _before_lab(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_before_lab(v) for v in value]
    if isinstance(value, np.ndarray):
        return _before_lab(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        x = float(value)
        if math.isfinite(x):
            return x
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (complex, np.complexfloating)):
        return {"re": _before_lab(value.real), "im": _before_lab(value.imag)}
    raise TypeError(f"lab data must be numbers, strings, lists or dicts; got {type(value).__name__}.")


class Color(enum.IntEnum):
    RED = 1


class Mode(str, enum.Enum):
    FAST = "fast"


NUMBERS = [
    0,
    -3,
    2**70,
    True,
    False,
    None,
    "text",
    np.str_("numpy text"),
    0.1,
    -0.0,
    5e-324,
    1.7976931348623157e308,
    float("inf"),
    float("-inf"),
    float("nan"),
    np.float16(0.1),
    np.float32(1 / 3),
    np.float64(-2.5),
    np.longdouble(1) / 3,
    np.float64("nan"),
    np.float32("-inf"),
    np.int8(-7),
    np.uint64(2**64 - 1),
    np.True_,
    np.False_,
    1 + 2j,
    complex(float("inf"), float("nan")),
    np.complex64(0.5 - 1j / 3),
    np.complex128(complex(-0.0, float("-inf"))),
    Color.RED,
    Mode.FAST,
]
CONTAINERS = [
    {"a": NUMBERS, 3: (1, 2.5, None), (1, 2): {"nested": [np.float64("inf")]}},
    np.array([[1.0, np.nan], [np.inf, -0.0]]),
    np.array([1 + 1j, np.nan * 1j], dtype=np.complex64),
    np.array([True, False]),
    np.array(3.5),
    np.arange(4, dtype=np.int16).reshape(2, 2),
    [],
    {},
    (),
]
SAMPLE = NUMBERS + CONTAINERS


def _text(doc: Any) -> str:
    return json.dumps(doc, indent=2, sort_keys=False)


@pytest.mark.parametrize("value", SAMPLE + [SAMPLE], ids=lambda v: type(v).__name__)
def test_doctor_and_solve_style_writes_what_it_wrote(value):
    assert _text(jsonable(value)) == _text(_before_report(value))


@pytest.mark.parametrize("value", SAMPLE + [SAMPLE], ids=lambda v: type(v).__name__)
def test_lab_style_writes_what_it_wrote(value):
    assert _text(jsonable(value, **LAB_JSON)) == _text(_before_lab(value))


@pytest.mark.parametrize("odd", [object(), Fraction(1, 3), {1, 2}, b"bytes", [1, [2, {"x": object()}]]])
def test_unknown_objects(odd):
    assert _text(jsonable(odd)) == _text(_before_report(odd))  # written as str()
    with pytest.raises(TypeError) as got:
        jsonable(odd, **LAB_JSON)
    with pytest.raises(TypeError) as want:
        _before_lab(odd)
    assert str(got.value) == str(want.value)


@pytest.mark.parametrize("style", [{}, LAB_JSON], ids=["doctor_solve", "lab"])
def test_numpy_booleans_are_json_booleans(style):
    doc = {"flag": np.True_, "flags": np.array([True, False]), "nested": [np.False_]}
    assert json.loads(json.dumps(jsonable(doc, **style))) == {
        "flag": True,
        "flags": [True, False],
        "nested": [False],
    }


def test_complex_style_is_checked():
    with pytest.raises(ValueError, match="complex_as must be 'string' or 'parts'"):
        jsonable(1j, complex_as="pair")
