"""Shared timing helpers for the benchmark scripts (not part of the package)."""

from __future__ import annotations

import platform
import statistics
import time

import numpy as np
import scipy


def paired_medians(fns, repeat: int) -> list[float]:
    """Median times of several functions timed in alternating order.

    Large temporary arrays make whichever call follows another's free pay for
    fresh page faults; alternating the order spreads that cost evenly.  One
    untimed warm-up call each.
    """
    for fn in fns:
        fn()
    times = [[] for _ in fns]
    for rep in range(repeat):
        order = range(len(fns)) if rep % 2 == 0 else reversed(range(len(fns)))
        for i in order:
            t0 = time.perf_counter()
            fns[i]()
            times[i].append(time.perf_counter() - t0)
    return [statistics.median(t) for t in times]


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux, else ``platform.processor()``)."""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def blas_line() -> str:
    """The BLAS libraries in use, their kernel (OpenBLAS ``architecture``) and threads (threadpoolctl)."""
    import os

    import scipy.linalg  # noqa: F401  (loads SciPy's own OpenBLAS, so that it is listed)

    try:
        from threadpoolctl import threadpool_info
    except ImportError:  # an optional benchmark extra
        return f"BLAS: threadpoolctl not installed; OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE')}"
    parts = []
    for info in threadpool_info():
        if info.get("user_api") != "blas":
            continue
        lib = os.path.basename(info.get("filepath", "?")).split("-")[0]
        parts.append(
            f"{lib} {info.get('internal_api')} {info.get('version')} "
            f"kernel {info.get('architecture')} threads {info.get('num_threads')}"
        )
    return "BLAS: " + "; ".join(parts)


def load_line() -> str:
    """The 1, 5 and 15 minute load averages (figures under load are indicative only)."""
    import os

    if not hasattr(os, "getloadavg"):
        return "load average: n/a"
    return "load average: " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def machine_line() -> str:
    """One line describing the machine, the library versions, the BLAS kernel and the load."""
    import os

    return (
        f"machine: {platform.machine()} {os.cpu_count()} cpus ({cpu_model()}), python "
        f"{platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}; "
        f"{blas_line()}; {load_line()}"
    )
