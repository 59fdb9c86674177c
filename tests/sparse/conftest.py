import sys

import pytest


@pytest.fixture
def no_binding(monkeypatch):
    """Pretend the sparse extra's bindings (pypardiso, cholespy) are not installed: their imports fail."""
    monkeypatch.setitem(sys.modules, "cholespy", None)
    monkeypatch.setitem(sys.modules, "pypardiso", None)


@pytest.fixture
def no_pardiso(monkeypatch):
    """Pretend pypardiso is not installed (the situation on ARM, where MKL has no wheels)."""
    monkeypatch.setitem(sys.modules, "pypardiso", None)
