"""Where and with what a lab run was measured: versions, BLAS library and kernel, CPU, threads, date."""

from __future__ import annotations

import datetime
import os
import platform
import sys
from typing import Any

__all__ = ["provenance"]


def _cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux, else ``platform.processor()``)."""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def _blas() -> list[dict[str, Any]]:
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
                "library": os.path.basename(str(info.get("filepath", "?"))),
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


def _command() -> str:
    """The command line of this process (``python -m pivotal.lab`` for the module's entry point)."""
    prog = os.path.basename(sys.argv[0] or "python")
    if prog in ("-c", "-m"):
        prog = f"python {prog}"
    elif prog == "__main__.py":
        prog = "python -m " + os.path.basename(os.path.dirname(sys.argv[0])).replace(os.sep, ".")
        prog = "python -m pivotal.lab" if prog == "python -m lab" else prog
    return " ".join([prog, *sys.argv[1:]])


def provenance(*, seed: int, quick: bool) -> dict[str, Any]:
    """The provenance block of a lab run (the ``provenance`` object of ``results.json``)."""
    import matplotlib
    import numpy as np
    import scipy

    from .. import __version__

    return {
        "pivotal": __version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "matplotlib": matplotlib.__version__,
        "python": platform.python_version(),
        "platform": f"{platform.system()} {platform.release()} {platform.machine()}",
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count() or 0,
        "blas": _blas(),
        "thread_env": {
            name: os.environ[name]
            for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_CORETYPE")
            if name in os.environ
        },
        "seed": int(seed),
        "mode": "quick" if quick else "full",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": _command(),
    }
