"""What ``svd`` and ``eigh`` share: input validation and the host path for requests a backend lacks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._array import as_array, backend_name, from_numpy, is_traced, to_numpy, validate_matrix, working_dtype
from ._options import refuse_sparse

__all__ = ["on_host", "refuse_traced", "same_backend", "validated", "working"]


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


def working(a: Any, dtype: Any = None) -> Any:
    """``a`` in its working dtype (SciPy's rule: integers -> float64, float16 -> float32); no copy if it has it."""
    dtype = working_dtype(a) if dtype is None else dtype
    if a.dtype == dtype:
        return a
    if backend_name(a) == "torch":
        return a.to(dtype)
    if backend_name(a) == "jax":
        return a.astype(dtype)
    return np.asarray(a, dtype=dtype)


def refuse_traced(what: str, *arrays: Any) -> None:
    """``ValueError`` when a JAX array is being traced and ``what`` needs concrete values on the host."""
    if any(is_traced(x) for x in arrays if x is not None):
        raise ValueError(
            f"{what} runs SciPy's LAPACK on the host, which needs concrete values, but a JAX array "
            "is being traced (jax.jit/vmap/grad); use the default options inside traced functions."
        )


def on_host(fn: Callable[..., Any], *arrays: Any) -> Any:
    """Run the NumPy implementation ``fn`` on host copies of torch/JAX ``arrays``, results back on their device."""
    like = next(x for x in arrays if x is not None)
    out = fn(*(None if x is None else to_numpy(x) for x in arrays))
    if isinstance(out, tuple):
        return tuple(from_numpy(np.ascontiguousarray(o), like) for o in out)
    return from_numpy(np.ascontiguousarray(out), like)
