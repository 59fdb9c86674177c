"""Fixtures and markers shared by the test modules under tests/ (the root conftest.py sets up the session)."""

from __future__ import annotations

import pathlib

import pytest

# Modules whose assertions do not depend on rounding, so that re-running them under
# another BLAS kernel checks nothing new: the command line and the README tour (their
# numerics are the library's, tested below them), the CI split of the tests (test_ci_parts),
# scikit-learn's estimator API checks, exact structure detection, and the
# Dask-cluster modules (their numerics are the in-memory algorithms' on row blocks, tested
# in test_rsvd, test_sketch_lstsq and test_kernel_tsqr; starting clusters costs a quarter
# of the suite's time).  SciPy's own test files (tests/compat/) are left out too: their
# tolerances are SciPy's, chosen and checked by SciPy across BLAS kernels, and re-running
# them twice would cost more than a third of CI.  Every other test module, and every doctest under src/, is marked
# ``numerics``: .ci/run runs ``pytest -m numerics`` again, one half (``--part 1/2``, see the
# root conftest.py) under OPENBLAS_CORETYPE=Prescott and the other under =Sandybridge (see the
# README's test section).
NOT_NUMERICS = frozenset(
    {
        "test_cli.py",
        "test_cli_commands.py",
        "test_ci_parts.py",
        "test_lab_command.py",
        "test_lab_report.py",
        "test_browser.py",
        "test_ml_estimator_checks.py",
        "test_readme.py",
        "test_structure.py",
        "test_randomized_dask.py",
        "test_randomized_dask_lstsq.py",
    }
)


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "numerics: the assertion depends on floating-point rounding; CI reruns these tests under "
        "other OpenBLAS kernels (tests/conftest.py lists the modules left out)",
    )


def pytest_collection_modifyitems(config, items):
    for item in items:
        path = pathlib.Path(str(item.fspath))
        if path.name not in NOT_NUMERICS and path.parent.name != "compat":
            item.add_marker(pytest.mark.numerics)


@pytest.fixture
def x64():
    """JAX in double precision for the test, restored afterwards; skips the test where JAX is absent."""
    pytest.importorskip("jax")
    from ._autodiff_helpers import jax_x64

    with jax_x64():
        yield


@pytest.fixture(scope="module")
def client():
    """A small in-process dask.distributed cluster: 2 workers, 1 thread each, no dashboard.

    While it lives, its client is dask's default scheduler, so the tests that
    request it compute on the cluster.  Module scoped: one cluster per test
    module that asks for it, closed at the end of that module, so it never
    leaks into other modules (they keep dask's default scheduler).  Skips
    the test when dask.distributed is not installed.
    """
    distributed = pytest.importorskip("dask.distributed")
    cluster = distributed.LocalCluster(
        processes=False, n_workers=2, threads_per_worker=1, dashboard_address=None
    )
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()
