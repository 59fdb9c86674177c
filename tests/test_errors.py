"""pivotal's exceptions and warnings: indices, messages, and the SciPy/NumPy base classes."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as sl

import pivotal as pv


@pytest.mark.parametrize(
    "cls,words",
    [(pv.SingularMatrixError, "pivot at index 3 is exactly zero"), (pv.NotPositiveDefiniteError, "order 4")],
)
def test_indexed_errors(cls, words):
    err = cls(np.int64(3))
    assert err.index == 3 and type(err.index) is int
    assert words in str(err)
    assert isinstance(err, pv.LinAlgError) and isinstance(err, np.linalg.LinAlgError)
    custom = cls(5, "custom text")
    assert custom.index == 5 and str(custom) == "custom text"
    with pytest.raises(np.linalg.LinAlgError):
        raise cls(0)


def test_warnings_are_scipy_linalg_warnings():
    ill = pv.IllConditionedWarning(1e-20)
    assert ill.rcond == 1e-20 and "1e-20" in str(ill)
    growth = pv.PivotGrowthWarning(2.0**59)
    assert growth.growth == 2.0**59 and growth.index is None and "5.76e+17" in str(growth)
    tiny = pv.PivotGrowthWarning(1e16, index=2, multiplier=1e16)
    assert (tiny.index, tiny.multiplier) == (2, 1e16) and "index 2" in str(tiny)
    for w in (ill, growth, tiny):
        assert isinstance(w, pv.LinAlgWarning) and isinstance(w, sl.LinAlgWarning)
    assert str(pv.PivotGrowthWarning(3.0, "mine")) == "mine"
