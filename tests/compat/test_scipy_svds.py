"""SciPy's ``scipy/sparse/linalg/_eigen/tests/test_svds.py``, run against pivotal's functions (see ``_harness.py``)."""

from ._harness import load

globals().update(load(__name__))
