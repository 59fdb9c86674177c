"""The checkers can fail: each one rejects a slightly wrong result.

A sweep whose checkers accepted anything would pass vacuously.  For every
spec the base problem is solved, one number of the result is perturbed (the
largest entry of the first floating array by a relative 2**-8, or a scalar
made negative, or a field of a report object changed), and the checker must
then raise ``AssertionError``.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest

from .arith import is_torch
from .expected import KNOWN_BUGS
from .specs import SPECS
from .variants import VARIANTS


def _perturb_array(x) -> bool:
    """Perturb the largest entry of a floating array in place; False if ``x`` is not one."""
    if is_torch(x):
        x = x.detach().numpy()
    if not isinstance(x, np.ndarray) or x.dtype.kind not in "fc" or x.size == 0 or not x.flags.writeable:
        return False
    i = np.unravel_index(np.argmax(np.abs(x)), x.shape)
    x[i] = x[i] * (1 + 2.0**-8) if x[i] != 0 else 1.0
    return True


def _perturb_in_place(result) -> bool:
    if isinstance(result, (tuple, list)):
        return any(_perturb_in_place(r) for r in result)
    return _perturb_array(result)


def perturbed(result):
    """A slightly wrong copy of ``result`` (arrays are changed in place)."""
    if _perturb_in_place(result):
        return result
    if isinstance(result, bool):
        return not result
    if isinstance(result, (int, np.integer)):
        return result + 1
    if isinstance(result, (float, np.floating, complex, np.complexfloating)) or (
        isinstance(result, np.ndarray) and result.ndim == 0
    ):
        return -result - 1
    if hasattr(result, "_replace"):  # a named tuple: its first number, else its first name
        for field in result._fields:
            value = getattr(result, field)
            if isinstance(value, (int, float, complex, np.number)):
                return result._replace(**{field: perturbed(value)})
        return result._replace(**{result._fields[0]: "not what was chosen"})
    if dataclasses.is_dataclass(result):  # a report: every count and flag changed
        changes = {
            f.name: perturbed(getattr(result, f.name))
            for f in dataclasses.fields(result)
            if isinstance(getattr(result, f.name), (bool, int))
        }
        if changes:
            return dataclasses.replace(result, **changes)
    raise TypeError(f"no perturbation for a {type(result).__name__}")


@pytest.mark.parametrize("name", list(SPECS))
def test_checker_rejects_a_wrong_result(name):
    spec = SPECS[name]
    control = next(v for v in ("base", "float32", "one") if (name, v) not in KNOWN_BUGS)
    case = VARIANTS[control].case(spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = spec.call(case)
        spec.check(case, result)  # the control: the unperturbed result passes
        wrong = perturbed(result)
        with pytest.raises(AssertionError):
            spec.check(case, wrong)
