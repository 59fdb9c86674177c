"""Test-session set-up shared by tests/ and the doctests under src/.

NumPy's and SciPy's wheels each bundle an OpenBLAS with its own thread pool,
and torch adds OpenMP threads that busy-wait; pivotal's kernel passes have a
thread pool of their own (pivotal.ml.kernels.base.for_row_blocks).  On small
shared machines, and under pytest-xdist's one process per core, the pools
fight over the cores and make the (small-matrix) tests 5-10x slower.  The
suite checks mathematics, not speed, so it runs each library single threaded
unless the caller chose otherwise (tests/ml/test_ml_kernels.py checks that
the thread count does not change the kernels' results).  Benchmarks live in benchmarks/
and are unaffected.
"""

import os
import zlib

import pytest

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "PIVOTAL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")


def pytest_configure(config):
    # The ratio tests solve deliberately ill-conditioned systems (kappa up to 4.5e14).
    # Added here rather than in pyproject.toml: resolving the class imports pivotal
    # and numpy, which must happen after the thread variables above are set.
    config.addinivalue_line("filterwarnings", "ignore::pivotal.errors.IllConditionedWarning")


def pytest_addoption(parser):
    parser.addoption(
        "--part",
        metavar="K/N",
        default=None,
        help="run only part K of N of the collected tests: a test's part is crc32(node id) mod N, so the "
        "N parts are disjoint, together hold every test, and do not depend on the machine or on -n "
        "(.ci/run gives each extra OpenBLAS kernel one half of -m numerics)",
    )


def _part(spec: str) -> tuple[int, int]:
    try:
        k, n = (int(v) for v in spec.split("/"))
    except ValueError:
        k = n = 0
    if not 1 <= k <= n:
        raise pytest.UsageError(f"--part takes K/N with 1 <= K <= N (e.g. 1/2), got {spec!r}.")
    return k, n


def pytest_collection_modifyitems(config, items):
    spec = config.getoption("part")
    if spec is None:
        return
    k, n = _part(spec)
    keep, drop = [], []
    for item in items:
        (keep if zlib.crc32(item.nodeid.encode()) % n == k - 1 else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
