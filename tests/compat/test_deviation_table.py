"""The harness itself: the deviation table of docs/compat.md, the rebinding, the untouched run."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

import pivotal

from . import _harness
from .conftest import collected_ids


def test_every_row_names_a_known_scipy_file():
    files = {module.rpartition(".")[2] + ".py" for module in _harness.SCIPY_MODULES.values()}
    for row in _harness.deviations():
        assert row.pattern.split("::", 1)[0] in files, f"docs/compat.md: {row.pattern} names no harness file"
        assert row.reason.strip(), f"docs/compat.md: {row.pattern} gives no reason"


def test_every_row_matches_a_collected_test(request):
    """A row whose tests were renamed or removed in SciPy is stale: it must go (or be rewritten)."""
    ids = collected_ids(request.config)
    if ids is None:
        pytest.skip("the SciPy modules were collected in part (a '::' selection): nothing to judge")
    judged = 0
    for row in _harness.deviations():
        file = row.pattern.split("::", 1)[0]
        if file not in ids:
            continue  # that SciPy module is not part of this run
        judged += 1
        assert any(row.matches(i) for i in ids[file]), f"docs/compat.md: {row.pattern} matches no test"
    if not judged:
        pytest.skip("no SciPy test module was collected in this run")


@pytest.mark.parametrize(
    "pattern, matches, misses",
    [
        ("f.py::T::t[a-b]", ["f.py::T::t[a-b]"], ["f.py::T::t[a-bc]", "f.py::T::t[a-c]"]),
        ("f.py::T::t[*-True]", ["f.py::T::t[x-y-True]"], ["f.py::T::t[True-x]"]),
        (
            "f.py::T::t[{S,U}-{?,d}]",
            ["f.py::T::t[S-?]", "f.py::T::t[U-d]"],
            ["f.py::T::t[S-f]", "f.py::T::t[V-d]"],
        ),
        ("f.py::t", ["f.py::t"], ["f.py::t[0]", "f.py::tt"]),
    ],
)
def test_patterns_are_literal_but_for_stars_and_braces(pattern, matches, misses):
    regex = _harness.compile_pattern(pattern)
    assert all(regex.fullmatch(m) for m in matches)
    assert not any(regex.fullmatch(m) for m in misses)


def test_table_parsing():
    text = "\n".join(
        [
            "prose | not a row |",
            _harness.START,
            "| SciPy test (pattern) | why |",
            "|---|---|",
            "| `a.py::t[*]` | because of `x` |",
            _harness.END,
            "| `b.py::t` | after the end |",
        ]
    )
    rows = _harness.parse_deviations(text)
    assert [(r.pattern, r.reason) for r in rows] == [("a.py::t[*]", "because of `x`")]
    with pytest.raises(ValueError, match="lacks"):
        _harness.parse_deviations("no table")


def test_rebinding_replaces_scipy_functions_by_pivotals():
    ns = _harness.rebound_namespace("scipy.linalg.tests.test_decomp_lu")
    assert ns["lu"] is pivotal.lu and ns["lu_solve"] is pivotal.lu_solve
    assert ns["get_lapack_funcs"] is scipy.linalg.get_lapack_funcs  # SciPy's own helpers stay
    assert set(ns["__pivotal_rebound__"]) >= {"lu", "lu_factor", "lu_solve", "solve"}
    untouched = _harness._untouched("scipy.linalg.tests.test_decomp_lu")
    assert untouched["lu"] is scipy.linalg.lu
    assert untouched is not ns


def test_the_untouched_twin_runs_scipys_functions():
    """The twin of a test method runs on SciPy's functions, with fresh copies of the arguments."""
    ns = _harness.rebound_namespace("scipy.linalg.tests.test_decomp_lu")
    cls = ns["TestLUSolve"]
    twin = _harness.untouched_twin("scipy.linalg.tests.test_decomp_lu", cls.test_lu, cls, {})
    twin()  # passes with SciPy's lu_factor/lu_solve
    args = {"a": np.ones(3)}
    assert _harness._copied(args["a"]) is not args["a"]
    assert _harness.untouched_twin("scipy.linalg.tests.test_decomp_lu", _nonexistent, None, {}) is None


def _nonexistent():
    """A test function SciPy's module does not have."""


def test_tests_that_cannot_reach_pivotal_are_recognised():
    ns = _harness.rebound_namespace("scipy.linalg.tests.test_decomp")
    assert _harness.reaches_pivotal(ns["TestQR"], ns)  # calls qr
    assert _harness.reaches_pivotal(ns["test_orth"], ns)  # through the helper _check_orth
    assert _harness.reaches_pivotal(ns["TestEigh"], ns)  # eigh and eigvalsh are pivotal's
    assert _harness.reaches_pivotal(ns["TestSVD_GESVD"], ns)  # svd, through the inherited methods
    assert _harness.reaches_pivotal(ns["TestSchur"], ns)  # schur and rsf2csf are pivotal's
    assert not _harness.reaches_pivotal(ns["TestQZ"], ns)  # SciPy's qz only
