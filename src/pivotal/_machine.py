"""The machine a measurement ran on: the CPU's model and the BLAS libraries in use.

Shared by the lab's provenance block and the benchmark harness, so that both
describe a run the same way.
"""

from __future__ import annotations

import os
import platform
from typing import Any

__all__ = ["blas_info", "cpu_model"]


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux, else ``platform.processor()``)."""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def blas_info() -> list[dict[str, Any]]:
    """The BLAS libraries loaded: threadpoolctl's view where installed, else NumPy's build configuration."""
    import numpy as np
    import scipy.linalg  # noqa: F401  (loads SciPy's own BLAS, so that threadpoolctl lists it)

    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        threadpool_info = None
    if threadpool_info is not None:
        found = [
            {
                "library": os.path.basename(str(info.get("filepath", "?"))).split("-")[0],
                "api": str(info.get("internal_api")),
                "version": str(info.get("version")),
                "kernel": str(info.get("architecture")),
                "threads": int(info.get("num_threads") or 0),
            }
            for info in threadpool_info()
            if info.get("user_api") == "blas"
        ]
        if found:
            return found
    try:
        deps = np.show_config(mode="dicts").get("Build Dependencies", {})
        blas = deps.get("blas", {})
        config = str(blas.get("openblas configuration", ""))
        kernel = next((w for w in config.split() if w[:1].isupper() and w.isalpha()), "unknown")
        return [
            {
                "library": f"numpy: {blas.get('name', '?')}",
                "api": str(blas.get("name", "?")),
                "version": str(blas.get("version", "?")),
                "kernel": f"{kernel} (build configuration; install threadpoolctl for the kernel in use)",
                "threads": 0,
            }
        ]
    except Exception:  # noqa: BLE001  (show_config's layout varies between NumPy versions)
        return [{"library": "unknown", "api": "?", "version": "?", "kernel": "?", "threads": 0}]
