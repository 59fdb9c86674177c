"""The thresholds doctor's advice uses (formatting is in :mod:`pivotal._report_values`)."""

from __future__ import annotations

import numpy as np

#: unit roundoff of IEEE single precision, ``2**-24``
U32 = 2.0**-24
#: ``kappa * u32`` at or below this: float32 is safe (two or more correct digits).
FLOAT32_SAFE = 1e-2
#: classic mixed-precision IR (float32 LU, float64 residual) converges for kappa up to about this.
IR_LIMIT = 1e6
#: GMRES-IR with float32 LU factors converges for kappa up to about this (Carson & Higham 2018).
GMRES_IR_LIMIT = 1e12
#: max/min row (column) scale ratio from which a matrix is reported as badly scaled.
SCALE_RATIO = 1e4
#: the finding levels, most severe first
LEVELS = ("error", "warning", "info")


def single_name(dt: np.dtype) -> str:
    """``"complex64"`` for a complex dtype, else ``"float32"``."""
    return "complex64" if dt.kind == "c" else "float32"


def is_single(dt: np.dtype) -> bool:
    """``dt`` is single precision (float32 or complex64) or lower."""
    return dt.itemsize <= (8 if dt.kind == "c" else 4)
