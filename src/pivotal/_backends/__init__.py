"""Backend layer: the few operations the array API lacks.

Each backend module (``numpy``, ``torch``) offers the same functions; the
in-place ones overwrite their first argument, which may be a strided view
of a larger matrix.  The ``vendor_*`` factorizations may overwrite theirs
(NumPy: when it is a writable Fortran-ordered array of a LAPACK dtype, where
SciPy's ``overwrite_a=True`` works in place), so callers pass an array they
no longer need:

``trsm_inplace(t, b, *, lower, trans=0, unit_diagonal=False, side="left")``
    Overwrite ``b`` with the solution of ``op(t) x = b`` (``side="left"``) or
    ``x op(t) = b`` (``"right"``), ``trans`` 0 (``t``), 1 (``t.T``) or 2
    (``t.conj().T``).  Only the ``lower`` (or upper) triangle of ``t`` is read.
``gemm_update(c, a, b)``
    ``c <- c - a @ b``.
``ger_update(c, x, y)``
    ``c <- c - outer(x, y)`` (no conjugation).
``herk_update(c, a)``
    ``c <- c - a @ a^H`` on at least the lower triangle of ``c``.
``vendor_getrf(a)``
    LU with partial pivoting: ``(lu, perm, info)`` where ``a[perm] = L @ U``
    (``perm`` on the host) and ``info`` is the 1-based index of the first
    zero pivot (0 if none).
``vendor_potrf(a, lower)``
    Cholesky of the ``lower`` (or upper) triangle: ``(factor, info)``.
``matmul(a, b)``
    ``a @ b`` as a new array (NumPy: through SciPy's BLAS, like the updates).
``cholesky_inverse(l, lower=True)``
    ``A^{-1}`` from the Cholesky factor of ``A`` (``L L^H``, or ``U^H U`` with
    ``lower=False``), without refactoring; a new array.
``cholesky_inverse_inplace(f, lower=True)``
    The same, overwriting the factor ``f`` (NumPy: LAPACK ``potri``, then the other triangle
    mirrored); returns ``f``.
``vendor_sytrf(a, lower, hermitian)``
    Bunch-Kaufman: ``(factors, ipiv, info, name)`` in LAPACK's compact format
    with its 1-based ``ipiv``; raises ``NotImplementedError`` when the
    backend lacks the variant.

The ``jax`` module instead wraps ``jax.scipy.linalg`` for the SciPy-compatible
functions (JAX arrays are immutable, so the kernels cannot run on them).

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
