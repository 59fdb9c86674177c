"""Run one (spec, variant) pair and judge it: correct result, documented error, or a violation."""

from __future__ import annotations

import warnings

import numpy as np

import pivotal as pv

from . import checks as ck
from .expected import expected
from .variants import NotApplicable, same

# Outcome codes of the report matrix.
OK, ERROR, NONFINITE, NA = "ok", "error", "nonfinite", "n/a"


def run_case(spec, variant) -> tuple[str, str]:
    """``(outcome, detail)``; raises ``AssertionError`` when the pair violates the contract.

    Raises :class:`NotApplicable` (re-raised) when the variant does not apply.
    """
    case = variant.case(spec)
    expect = expected(spec, variant)
    before = case.snapshot()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = spec.call(case)
        except AssertionError:
            raise
        except Exception as exc:  # noqa: BLE001 - any error is judged against the expected-error table
            _unmodified(case, before)
            if expect.kind == "correct":
                ck.fail(f"raised {type(exc).__name__}: {exc}")
            if not expect.accepts(exc):
                want = expect.error.__name__ if expect.error else "ValueError"
                ck.fail(
                    f"raised {type(exc).__name__}: {exc!s:.200}; expected {want} matching {expect.match!r}"
                )
            return ERROR, f"{type(exc).__name__}: {exc!s:.120}"
    _unmodified(case, before)
    if expect.kind == "raises":
        ck.fail(f"expected {expect.error.__name__} ({expect.why}), got a result")
    if expect.kind == "nonfinite":
        if not ck.any_nonfinite(result):
            ck.fail("NaN/Inf input gave a finite result and no error")
        return NONFINITE, ""
    with np.errstate(all="ignore"):  # the wide reference arithmetic meets the NaN/Inf it must reject
        spec.check(case, result)
    ck.backend_preserved(case, result)
    ck.precision_kept(case, result)
    false_alarms = [w for w in caught if issubclass(w.category, pv.LinAlgWarning)]
    if false_alarms:
        ck.fail(f"warned on a well-conditioned problem: {false_alarms[0].message}")
    return OK, ""


def _unmodified(case, before) -> None:
    for i, (a, b) in enumerate(zip(before, case.args, strict=True)):
        if not same(a, b):
            ck.fail(f"argument {i} was modified in place (overwrite_* not requested)")


__all__ = ["ERROR", "NA", "NONFINITE", "OK", "NotApplicable", "run_case"]
