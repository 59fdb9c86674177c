"""Test-session set-up shared by tests/ and the doctests under src/.

NumPy's and SciPy's wheels each bundle an OpenBLAS with its own thread pool,
and torch adds OpenMP threads that busy-wait; on small shared machines the
pools fight over the cores and make the (small-matrix) tests 5-10x slower.
The suite checks mathematics, not speed, so it runs each library single
threaded unless the caller chose otherwise.  Benchmarks live in benchmarks/
and are unaffected.
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")


def pytest_configure(config):
    # The ratio tests solve deliberately ill-conditioned systems (kappa up to 4.5e14).
    # Added here rather than in pyproject.toml: resolving the class imports pivotal
    # and numpy, which must happen after the thread variables above are set.
    config.addinivalue_line("filterwarnings", "ignore::pivotal.errors.IllConditionedWarning")
