"""``norm``: vector and matrix norms with ``scipy.linalg.norm``'s signature and semantics.

A module of its own (not in :mod:`pivotal.matfun`): a norm is not a matrix
function, and the lower layers (diagnostics, reports) may use it.

* NumPy: ``scipy.linalg.norm`` (BLAS ``nrm2`` for vectors: no overflow for
  huge entries; LAPACK ``lange`` for 1- and inf-norms of Fortran-ordered
  matrices; NumPy otherwise).
* ``scipy.sparse`` input: ``scipy.sparse.linalg.norm`` (the same ``ord`` and ``axis``).
* PyTorch: ``torch.linalg.norm``; JAX: ``jax.numpy.linalg.norm``: the same
  ``ord``/``axis`` semantics as NumPy, differentiable by the backend, and the
  result stays a tensor / JAX array.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.linalg
import scipy.sparse.linalg

from ._array import as_array, backend_name, check_finite_or_raise, working_dtype
from ._tracing import refuse_functorch

__all__ = ["norm"]


def norm(a: Any, ord: Any = None, axis: Any = None, keepdims: bool = False, check_finite: bool = True):
    """Matrix or vector norm (``scipy.linalg.norm``-compatible).

    Parameters
    ----------
    a : array_like
        NumPy array, PyTorch tensor, JAX array or ``scipy.sparse`` array.
        With ``axis=None`` it must be 1-D or 2-D unless ``ord`` is None (the
        2-norm of the flattened array).
    ord : {None, 'fro', 'nuc', inf, -inf, int, float}, optional
        As NumPy: vector norms for 1-D (or an int ``axis``), matrix norms for
        2-D (or a 2-tuple ``axis``): 1, -1, 2, -2 (singular values), inf, -inf, 'fro', 'nuc'.
    axis : None, int or 2-tuple of ints, optional
    keepdims : bool, optional
        Keep the reduced axes with size one.
    check_finite : bool, optional
        Raise ``ValueError`` on NaN or Inf (SciPy's default).

    Returns
    -------
    float or array
        A NumPy scalar or array (NumPy and sparse input); a tensor / JAX array otherwise.

    Raises
    ------
    ValueError
        NaN/Inf with ``check_finite``; an invalid ``ord`` for the dimension (NumPy's messages).

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> a = np.arange(9.0).reshape(3, 3) - 4
    >>> float(pv.norm(a))
    7.745966692414834
    >>> float(pv.norm(a, 1)), float(pv.norm(a, np.inf))
    (7.0, 9.0)
    """
    if hasattr(a, "toarray") and hasattr(a, "nnz"):
        if keepdims:
            raise ValueError("keepdims=True is not supported for scipy.sparse input; pass a.toarray().")
        if check_finite and not np.isfinite(a.data).all():
            check_finite_or_raise(a.data, "a")
        return scipy.sparse.linalg.norm(a, ord=ord, axis=axis)
    a = as_array(a, "a")
    name = backend_name(a)
    if name == "numpy":
        if check_finite:
            check_finite_or_raise(a, "a")
        if a.dtype.kind == "b" or a.dtype == np.float16:
            a = a.astype(
                working_dtype(a)
            )  # pivotal's rule: float32 (NumPy computes bool as float64, float16 in half)
        if ord in (None, "fro", 2) and a.dtype.kind in "fc" and a.size:
            # Frobenius and vector 2-norms: NumPy's sqrt(sum |x|^2) over/underflows beyond 1e154 / below
            # 1e-154 (BLAS nrm2 only serves 1-D input); scale by an exact power of two first.
            m = float(np.max(np.abs(a)))
            if m != 0.0 and np.isfinite(m) and not 2.0**-300 < m < 2.0**300:
                e = int(np.frexp(m)[1])
                out = scipy.linalg.norm(
                    _ldexp(a, -e), ord=ord, axis=axis, keepdims=bool(keepdims), check_finite=False
                )
                return _ldexp(np.asarray(out), e)[()]
        return scipy.linalg.norm(a, ord=ord, axis=axis, keepdims=bool(keepdims), check_finite=False)
    if name == "torch":
        refuse_functorch(a)
    if check_finite:
        check_finite_or_raise(a, "a")
    x = a
    dtype = working_dtype(a)
    if a.dtype != dtype:
        x = a.to(dtype) if name == "torch" else a.astype(dtype)
    if name == "torch":
        import torch

        if ord is None and axis is None:  # NumPy's rule: the flattened 2-norm, whatever the dimension
            out = torch.linalg.vector_norm(x)
            return out.reshape((1,) * x.ndim) if keepdims else out
        return torch.linalg.norm(x, ord=ord, dim=axis, keepdim=bool(keepdims))
    import jax.numpy as jnp

    return jnp.linalg.norm(x, ord=ord, axis=axis, keepdims=bool(keepdims))


def _ldexp(x: np.ndarray, k: int) -> np.ndarray:
    """``x * 2^k`` exactly, real or complex (``2.0**k`` itself may overflow)."""
    return np.ldexp(x.real, k) + 1j * np.ldexp(x.imag, k) if x.dtype.kind == "c" else np.ldexp(x, k)
