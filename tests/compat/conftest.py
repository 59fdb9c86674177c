"""Pytest plumbing of the SciPy compatibility harness (see ``_harness.py``).

* SciPy's markers and fixtures (``xp``, ``num_parallel_threads``, ...) for
  its test modules, and SciPy's own per-test set-up (``xslow`` skips);
* the documented deviations of ``docs/compat.md`` become strict ``xfail``
  marks at collection;
* a failing rebound test is re-run from SciPy's untouched source: when that
  fails too, the failure is not pivotal's (reported as ``xfail``);
* a per-file summary of the outcomes at the end of the run.
"""

from __future__ import annotations

import collections

import numpy as np
import pytest
from scipy._lib._array_api import array_namespace

from . import _harness


# SciPy's fixtures, for the test modules that request them (SciPy's own are in scipy/conftest.py,
# which cannot be imported here: it uses its markers at import time, before ``pytest_configure``
# below registers them).  ``xp`` is NumPy only: pivotal is checked on what SciPy checks by default.
@pytest.fixture
def xp():
    return array_namespace(np.empty(0))


@pytest.fixture
def num_parallel_threads():
    return 1


_SCIPY_MARKERS = (
    "xslow: SciPy's extremely slow tests (run with SCIPY_XSLOW=1)",
    "xfail_on_32bit: SciPy test failing on 32-bit platforms",
    "array_api_backends: SciPy test iterating on array API backends",
    "skip_xp_backends: SciPy's array-API skip configuration",
    "xfail_xp_backends: SciPy's array-API xfail configuration",
    "timeout: SciPy test with a non-default timeout",
    "fail_slow: SciPy test with a non-default slowness limit",
    "parallel_threads_limit(n): SciPy test run by at most n threads under pytest-run-parallel",
    "thread_unsafe: SciPy test run single-threaded under pytest-run-parallel",
    "iterations(n): SciPy test repeated n times under pytest-run-parallel",
)

_STATE = pytest.StashKey["_State"]()


class _State:
    """What the harness saw: collected ids per SciPy file, deviation matches, outcomes."""

    def __init__(self):
        self.collected: dict[str, list[str]] = collections.defaultdict(list)  # SciPy file -> ids
        self.outcomes: dict[str, str] = {}  # nodeid -> outcome
        self.files: dict[str, str] = {}  # nodeid -> SciPy file
        self.whole = True  # every compat module was collected whole (no "::" selection)


_SESSION: list[_State] = []  # the state of this session, for hooks that get no config


def pytest_configure(config):
    for line in _SCIPY_MARKERS:
        config.addinivalue_line("markers", line)
    config.stash[_STATE] = _State()
    _SESSION[:] = [config.stash[_STATE]]


def _source(item) -> str | None:
    module = getattr(item, "module", None)
    return getattr(module, "SCIPY_SOURCE", None)


def scipy_file(source: str) -> str:
    return source.rpartition(".")[2] + ".py"


def compat_id(item) -> str:
    """``<SciPy test file>::<class>::<test>[<params>]`` of a harness item."""
    return scipy_file(_source(item)) + "::" + item.nodeid.split("::", 1)[1]


@pytest.hookimpl(tryfirst=True)  # before -k/-m deselection: the matches are those of the whole module
def pytest_collection_modifyitems(config, items):
    state = config.stash[_STATE]
    state.whole = not any("::" in str(arg) for arg in config.args)
    rows = _harness.deviations()
    kept, unreached = [], []
    for item in items:
        if _source(item) is None:
            kept.append(item)
            continue
        if not _reaches_pivotal(item):
            unreached.append(item)
            continue
        kept.append(item)
        test_id = compat_id(item)
        state.collected[scipy_file(_source(item))].append(test_id)
        state.files[item.nodeid] = scipy_file(_source(item))
        for row in rows:
            if row.matches(test_id):
                item.add_marker(
                    pytest.mark.xfail(
                        reason=f"{_DOCUMENTED}, docs/compat.md: {row.pattern}",
                        strict=True,
                    )
                )
                break
    if unreached:
        config.hook.pytest_deselected(items=unreached)
        items[:] = kept


def _reaches_pivotal(item) -> bool:
    """Whether the test can call a pivotal function: through its code, its class, or a parameter."""
    ns = item.module.SCIPY_NAMESPACE
    memo = item.config.stash.setdefault(_MEMO, {})
    params = getattr(getattr(item, "callspec", None), "params", {})
    if any(_harness._is_pivotal(v) for v in params.values()):
        return True
    fixtures = [ns[name] for name in item.fixturenames if name in ns]
    if any(not isinstance(f, type(_harness.reaches_pivotal)) for f in fixtures):
        return True  # a fixture of SciPy's module (pytest wraps it): keep the test, to be safe
    return any(
        _harness.reaches_pivotal(obj, ns, memo)
        for obj in (item.cls or item.function, *fixtures)
        if obj is not None
    )


_MEMO = pytest.StashKey[dict]()


def collected_ids(config) -> dict[str, list[str]] | None:
    """The harness ids collected in this session per SciPy file (``None`` if a module was collected in part)."""
    state = config.stash[_STATE]
    return dict(state.collected) if state.whole else None


def pytest_runtest_setup(item):
    if _source(item) is not None:  # SciPy's per-test set-up: skips "xslow" tests, xfails "xfail_on_32bit"
        import scipy.conftest

        scipy.conftest.pytest_runtest_setup(item)


@pytest.hookimpl(wrapper=True)
def pytest_pyfunc_call(pyfuncitem):
    try:
        return (yield)
    except Exception as exc:
        source = _source(pyfuncitem)
        if source is None:
            raise
        kwargs = {arg: pyfuncitem.funcargs[arg] for arg in pyfuncitem._fixtureinfo.argnames}
        twin = _harness.untouched_twin(source, pyfuncitem.function, pyfuncitem.cls, kwargs)
        if twin is None:
            raise
        try:
            twin()
        except Exception as twin_exc:  # noqa: BLE001 - any failure of SciPy's own run
            pytest.xfail(
                f"{_SCIPY_TOO}: {type(twin_exc).__name__}: {str(twin_exc)[:200]}; not a deviation of pivotal"
            )
        raise exc from None


_SCIPY_TOO = "fails with SciPy's own functions too"
_DOCUMENTED = "documented deviation"


def _outcome(report) -> str | None:
    if report.when == "call" or (report.when == "setup" and not report.passed):
        if hasattr(report, "wasxfail"):
            if report.passed:
                return "xpassed"
            if _SCIPY_TOO in report.wasxfail:
                return "scipy-too"
            return "deviation" if report.wasxfail.startswith(_DOCUMENTED) else "xfailed"
        return report.outcome
    if report.when == "teardown" and report.failed:
        return "failed"
    return None


def pytest_runtest_logreport(report):
    state = _SESSION[0] if _SESSION else None
    if state is None or report.nodeid not in state.files:
        return
    outcome = _outcome(report)
    if outcome is not None and state.outcomes.get(report.nodeid) != "failed":
        state.outcomes[report.nodeid] = outcome


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    state = config.stash[_STATE]
    if not state.outcomes:
        return
    tr = terminalreporter
    tr.section("SciPy compatibility harness (tests/compat)")
    per_file: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for nodeid, outcome in state.outcomes.items():
        per_file[state.files[nodeid]][outcome] += 1
    for file in sorted(per_file):
        c = per_file[file]
        tr.write_line(
            f"{file}: {sum(c.values())} run, {c['passed']} passed, {c['deviation']} documented deviations, "
            f"{c['scipy-too']} failing with SciPy too, {c['xfailed']} xfail by SciPy, {c['skipped']} skipped, "
            f"{c['failed']} failed" + (f", {c['xpassed']} documented but passing" if c["xpassed"] else "")
        )
