"""``funm``: a matrix function from a scalar callable (SciPy's Schur-Parlett method, Higham 2008 ch. 9).

NumPy: ``scipy.linalg.funm``.  PyTorch and JAX (which have no ``funm``):
SciPy on a host copy, ``func`` called on NumPy arrays; the result comes back
in the input's type (no gradient).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import scipy.linalg

from .._array import apply_over_batch, backend_name
from ._common import host_only, square_matrix, working

__all__ = ["funm"]


def funm(A: Any, func: Callable[[Any], Any], disp: bool = True, *, check_finite: bool = True):
    """``f(A)`` for the scalar function ``func`` (SciPy-compatible).

    Parameters
    ----------
    A : (..., N, N) array_like
        NumPy array, PyTorch tensor or JAX array.
    func : callable
        Vectorized scalar function, called on NumPy arrays (the diagonal of the Schur form).
    disp : bool, optional
        As SciPy: True returns ``F`` (SciPy prints a message when its error
        estimate is large); False returns ``(F, errest)``.
    check_finite : bool, optional, keyword-only
        Raise ``ValueError`` on NaN or Inf.

    Returns
    -------
    F : (..., N, N) array
    errest : float
        Only with ``disp=False``: SciPy's 1-norm error estimate.

    Raises
    ------
    TypeError
        ``func`` is not callable.
    ValueError
        Fewer than two dimensions, non-square, NaN/Inf, sparse input, or a tensor that requires grad.

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> A = np.array([[1.0, 2.0], [0.0, 3.0]])
    >>> np.allclose(pv.funm(A, np.exp), pv.expm(A))
    True
    """
    if not callable(func):
        raise TypeError(
            f"func must be a callable scalar function (e.g. numpy.exp), got {type(func).__name__}."
        )
    a = square_matrix(A, "A", check_finite=check_finite)
    x = working(a)

    def run(h):
        if 0 in h.shape:
            return (h.copy(), 0.0) if not disp else h.copy()
        return scipy.linalg.funm(h, func, disp=disp)

    if backend_name(x) == "numpy":
        return run(x)
    if not disp:
        raise ValueError("funm(disp=False) is supported for NumPy input only.")
    return host_only(lambda h: apply_over_batch(run, [(h, 2)]), x, "A")
