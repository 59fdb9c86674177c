"""SciPy's ``scipy/linalg/tests/test_matfuncs.py``, run against pivotal's functions (see ``_harness.py``)."""

from ._harness import load

globals().update(load(__name__))
