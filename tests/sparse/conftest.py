import sys

import pytest


@pytest.fixture
def no_binding(monkeypatch):
    """Pretend the sparse extra's CHOLMOD binding (cholespy) is not installed: its import fails."""
    monkeypatch.setitem(sys.modules, "cholespy", None)
