"""Where and with what a lab run was measured: versions, BLAS library and kernel, CPU, threads, date."""

from __future__ import annotations

import datetime
import os
import platform
import sys
from typing import Any

from .._machine import blas_info, cpu_model

__all__ = ["provenance"]


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
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count() or 0,
        "blas": blas_info(),
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
