"""What the matrix functions share: validation (SciPy's rules, pivotal's errors) and the host path.

Backends that lack a matrix function (``logm``, ``fractional_matrix_power``
and ``funm`` on PyTorch and JAX, ``sqrtm`` on PyTorch) run SciPy on a host
copy and return the result in the input's array type and device, as
:mod:`pivotal.spectral` does for the LAPACK drivers a backend lacks.  That
path has no derivative: a tensor that requires grad is refused with an
error naming the function, a JAX tracer with a ``TypeError`` (no silent
detaching).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._array import as_array, backend_name, is_complex, on_host, validate_matrix, working, working_dtype
from .._tracing import refuse_gradient

__all__ = [
    "binary_exponent",
    "host_only",
    "ldexp",
    "scalar_matrix",
    "square_matrix",
    "working",
    "working_complex",
]


def scalar_matrix(a: Any) -> Any:
    """SciPy's ``expm``/``sqrtm`` convention for a size-1 argument of fewer than two dimensions (a scalar,
    ``np.float64(2)``, ``[2.0]``): the ``1 x 1`` matrix; ``None`` for anything else."""
    if backend_name(a) != "numpy" or (hasattr(a, "toarray") and hasattr(a, "nnz")) or np.ma.isMaskedArray(a):
        return None
    if hasattr(a, "shape") and len(a.shape) >= 2:
        return None
    arr = np.asarray(a)
    if arr.size == 1 and arr.ndim < 2 and arr.dtype.kind in "biufc":
        return arr.reshape(1, 1)
    return None


def square_matrix(a: Any, name: str, *, check_finite: bool) -> Any:
    """``a`` as a backend array of shape ``(..., N, N)``, checked (``ValueError`` naming the problem)."""
    if hasattr(a, "toarray") and hasattr(a, "nnz"):
        raise ValueError(
            f"{name} is a scipy.sparse array, but this matrix function needs a dense one: pass "
            f"{name}.toarray(), or use scipy.sparse.linalg.expm / expm_multiply for sparse matrices."
        )
    a = as_array(a, name)
    return validate_matrix(a, name, square=True, check_finite=check_finite, differentiable=True)


def working_complex(a: Any) -> bool:
    """Whether ``a``'s working dtype is complex."""
    return is_complex(working_dtype(a))


def host_only(fn: Callable[[np.ndarray], Any], a: Any, name: str) -> Any:
    """Run the NumPy implementation ``fn`` on a host copy of a torch/JAX ``a``; refuse a graph (no rule)."""
    refuse_gradient(a, name)
    return on_host(fn, a)


def binary_exponent(x: np.ndarray) -> int:
    """``e`` with ``max|x_ij| * 2^-e`` in ``[1/2, 1)`` (0 for a zero or non-finite ``x``).

    ``logm(2^e A') = logm(A') + e log(2) I`` and ``(2^e A')^t = 2^(e t) A'^t``:
    SciPy's algorithms lose accuracy (or fail: "R is not upper triangular" for
    subnormal data) far from unit scale, so the callers scale by this exact
    power of two first.
    """
    if x.size == 0:
        return 0
    m = float(np.max(np.abs(x)))
    if m == 0.0 or not np.isfinite(m):
        return 0
    return int(np.frexp(m)[1])


def ldexp(x: np.ndarray, k: int) -> np.ndarray:
    """``x * 2^k`` exactly (no intermediate overflow of ``2.0**k``), for real and complex ``x``."""
    if x.dtype.kind == "c":
        return (np.ldexp(x.real, k) + 1j * np.ldexp(x.imag, k)).astype(x.dtype)
    return np.ldexp(x, k)
