"""Fixtures shared by the test modules under tests/ (the root conftest.py sets up the session)."""

from __future__ import annotations

import pytest


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
