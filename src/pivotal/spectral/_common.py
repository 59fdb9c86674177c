"""What the spectral functions share: input validation, the traced-input refusal and ``geev``'s scaling.

The host path for requests a backend lacks (:func:`pivotal._array.on_host`) and the working-dtype
conversion (:func:`pivotal._array.working`) live in :mod:`pivotal._array`, shared with :mod:`pivotal.matfun`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._array import as_array, backend_name, is_traced, validate_matrix
from ._options import refuse_sparse

__all__ = [
    "geev_exponent",
    "refuse_traced",
    "same_backend",
    "validated",
]


def validated(
    a: Any, name: str, *, check_finite: bool, square: bool = False, differentiable: bool = True
) -> Any:
    """``a`` as an array of at least two dimensions (``(..., M, N)``), checked as SciPy checks it.

    Sparse input raises ``ValueError`` (as SciPy's dense decompositions do),
    masked arrays ``ValueError``, unsupported dtypes ``UnsupportedDTypeError``.
    A torch tensor that requires grad is accepted (the callers route it
    through their derivative rule, :mod:`pivotal.autodiff.spectral_rules`)
    unless ``differentiable=False``: functions without a rule refuse it.
    """
    refuse_sparse(a, name)
    a = as_array(a, name)
    return validate_matrix(a, name, square=square, check_finite=check_finite, differentiable=differentiable)


def same_backend(a: Any, b: Any, names: str = "a b") -> None:
    """``TypeError`` unless ``a`` and ``b`` are arrays of one backend (``names``: how the caller calls them)."""
    if backend_name(a) != backend_name(b):
        first, second = names.split()
        raise TypeError(
            f"{first} is a {backend_name(a)} array but {second} is a {backend_name(b)} array; convert them "
            "to one type."
        )


def refuse_traced(what: str, *arrays: Any) -> None:
    """``ValueError`` when a JAX array is being traced and ``what`` needs concrete values on the host."""
    if any(is_traced(x) for x in arrays if x is not None):
        raise ValueError(
            f"{what} runs SciPy's LAPACK on the host, which needs concrete values, but a JAX array "
            "is being traced (jax.jit/vmap/grad); use the default options inside traced functions."
        )


def geev_exponent(a: np.ndarray) -> int:
    """``k`` with ``2**k max|a|`` in ``[1/2, 1)`` when ``max|a|`` is outside LAPACK ``geev``'s safe range, else 0.

    ``geev`` scales a matrix whose largest entry lies outside
    ``[sqrt(safmin) / eps, eps / sqrt(safmin)]`` into that range, and the
    ``geev`` of the LAPACK that SciPy 1.17.1 ships does not undo the scaling
    of the eigenvalues (``eigvals(diag([1e-150, 2e-150]))`` is off by a factor
    3e11; ``ggev`` and ``gees`` are right).  Scaling by a power of two first
    is exact and leaves the eigenvectors as they are (``docs/compat.md``).
    ``rsf2csf`` needs it too: SciPy's computes the eigenvalues of each 2x2
    block with that ``geev``.
    """
    if a.size == 0:
        return 0
    amax = float(np.max(np.abs(a)))
    finfo = np.finfo(a.dtype)
    small = np.sqrt(float(finfo.tiny)) / float(finfo.eps)
    if amax == 0.0 or not np.isfinite(amax) or small <= amax <= 1.0 / small:
        return 0
    return -int(np.frexp(amax)[1])
