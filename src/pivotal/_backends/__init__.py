"""Backend layer: the few operations the array API lacks.

Each backend module offers the same functions:

``trsm(t, b, *, lower, trans=0, unit_diagonal=False, side="left")``
    Solve ``op(t) x = b`` (``side="left"``) or ``x op(t) = b`` (``"right"``),
    with ``trans`` 0 (``t``), 1 (``t.T``) or 2 (``t.conj().T``).  Returns a
    new array.
``herk_lower(c, a)``
    Return ``c - a @ a^H`` on and below the diagonal (the strict upper
    triangle of the result is unspecified).  ``syrk_lower`` is the complex
    symmetric variant ``c - a @ a^T``.
``vendor_getrf(a)``
    LAPACK-style LU with partial pivoting: ``(lu, perm, info)`` where
    ``a[perm] = L @ U`` and ``info`` is the 1-based index of the first zero
    pivot (0 if none).
``vendor_potrf(a, lower)``
    Cholesky of the ``lower`` (or upper) triangle: ``(factor, info)``.

Only this package imports backend libraries' linear algebra directly.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from .._array import backend_name


def get_backend(x: Any) -> ModuleType:
    """The backend module for the array ``x``."""
    name = backend_name(x)
    if name == "torch":
        from . import torch as mod
    elif name == "jax":
        from . import jax as mod
    else:
        from . import numpy as mod
    return mod
