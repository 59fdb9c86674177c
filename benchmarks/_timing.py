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


def machine_line() -> str:
    """One line describing the machine and library versions."""
    import os

    return (
        f"machine: {platform.machine()} {os.cpu_count()} cpus, python {platform.python_version()}, "
        f"numpy {np.__version__}, scipy {scipy.__version__}"
    )
