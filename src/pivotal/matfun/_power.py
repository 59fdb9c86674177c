"""``matrix_power`` (NumPy's semantics) and ``fractional_matrix_power`` (SciPy's).

``matrix_power(a, n)``: repeated squaring (``numpy.linalg.matrix_power``,
``torch.linalg.matrix_power``, ``jax.numpy.linalg.matrix_power``, each
differentiable by its backend's autograd); a negative ``n`` inverts first
with :func:`pivotal.inv`, so that a singular ``a`` raises pivotal's
``SingularMatrixError`` with the index of the zero pivot, and the inverse is
differentiated by pivotal's ``inv`` rule.

``fractional_matrix_power(A, t)``: ``scipy.linalg.fractional_matrix_power``
(Schur-Padé, Higham & Lin 2011); PyTorch and JAX input runs it on the host.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np
import scipy.linalg

from .._array import backend_name
from ..linsolve import inv
from ._common import binary_exponent, host_only, ldexp, square_matrix, working

__all__ = ["fractional_matrix_power", "matrix_power"]


def matrix_power(a: Any, n: int, *, check_finite: bool = True):
    """``a`` raised to the integer power ``n`` (``numpy.linalg.matrix_power``'s semantics).

    Parameters
    ----------
    a : (..., M, M) array_like
        NumPy array, PyTorch tensor or JAX array; leading dimensions are a batch.
    n : int
        Exponent.  ``0`` gives the identity (of ``a``'s dtype), a negative
        ``n`` the power of the inverse.
    check_finite : bool, optional, keyword-only
        Raise ``ValueError`` on NaN or Inf (NumPy has no check).

    Returns
    -------
    (..., M, M) array
        Of ``a``'s dtype for ``n >= 0`` (integers stay integers, as NumPy);
        of the inverse's dtype (float) for ``n < 0``.

    Raises
    ------
    TypeError
        ``n`` is not an integer.
    SingularMatrixError
        ``n < 0`` and ``a`` is exactly singular (the error carries the index).
    ValueError
        Fewer than two dimensions, non-square, NaN/Inf.

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> A = np.array([[2.0, 1.0], [0.0, 1.0]])
    >>> np.allclose(pv.matrix_power(A, 3), A @ A @ A)
    True
    >>> np.allclose(pv.matrix_power(A, -2) @ A @ A, np.eye(2))
    True
    """
    try:
        n = operator.index(n)
    except TypeError:
        raise TypeError(f"exponent must be an integer, got {type(n).__name__} {n!r}.") from None
    a = square_matrix(a, "a", check_finite=check_finite)
    if backend_name(a) != "jax" and str(a.dtype).rsplit(".", 1)[-1] in ("bool", "float16"):
        a = working(a)  # pivotal's rule: bool and float16 are computed in float32 (NumPy: logical / half)
    if n < 0:
        a = inv(a, check_finite=False)
        n = -n
    name = backend_name(a)
    if name == "torch":
        import torch

        return torch.linalg.matrix_power(a, n)
    if name == "jax":
        import jax.numpy as jnp

        return jnp.linalg.matrix_power(a, n)
    return np.linalg.matrix_power(a, n)


def fractional_matrix_power(A: Any, t: float, *, check_finite: bool = True):
    """``A^t`` for real ``t`` (SciPy-compatible): the principal fractional power.

    Parameters
    ----------
    A : (..., N, N) array_like
        NumPy array, PyTorch tensor or JAX array; leading dimensions are a batch.
    t : float
        The power.  An integer ``t`` uses ``matrix_power`` (as SciPy).
    check_finite : bool, optional, keyword-only
        Raise ``ValueError`` on NaN or Inf.

    Returns
    -------
    (..., N, N) array
        Complex when ``A`` has eigenvalues on the negative real axis (as SciPy).

    Raises
    ------
    ValueError
        Bad shapes, NaN/Inf, a tensor that requires grad (no derivative rule).

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> A = np.array([[1.0, 3.0], [1.0, 4.0]])
    >>> X = pv.fractional_matrix_power(A, 0.5)
    >>> np.allclose(X @ X, A)
    True
    """
    a = square_matrix(A, "A", check_finite=check_finite)
    x = working(a)
    if 0 in x.shape:
        return x.copy() if backend_name(x) == "numpy" else x * 0
    if backend_name(x) == "numpy":
        return _scaled_power(x, t)
    return host_only(lambda h: _scaled_power(h, t), x, "A")


def _scaled_power(x: np.ndarray, t: float) -> np.ndarray:
    """SciPy's ``A^t``; beyond ``2^+-64``, SciPy's ``(2^-e A)^t`` (unit scale) times ``2^(e t)``.

    SciPy loses accuracy far from unit scale (a residual 7x its unit-scale one at ``||A|| = 2^498``)
    and fails on subnormal data; inside the range it runs unchanged.
    """
    e = binary_exponent(x)
    if abs(e) <= 64:
        return scipy.linalg.fractional_matrix_power(x, t)
    return scipy.linalg.fractional_matrix_power(ldexp(x, -e), t) * np.exp2(e * float(t))
