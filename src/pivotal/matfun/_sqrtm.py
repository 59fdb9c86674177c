"""``sqrtm``: the principal matrix square root (SciPy 1.17's signature, warnings and ``disp`` semantics).

* NumPy: ``scipy.linalg.sqrtm`` (blocked Schur method, Deadman, Higham &
  Ralha 2013; real Schur form for real ``A``, Higham 1987).  As in SciPy
  1.17 it warns ``LinAlgWarning`` when ``A`` is singular or ill-conditioned
  ("the result might be inaccurate or the array might not have a square
  root"); ``disp`` and ``blocksize`` are deprecated there and are passed on
  only when given (``disp=False`` returns ``(X, ||X X - A||_F^2 / ||A||_F)``,
  1.17's estimate).
* PyTorch has no matrix square root: SciPy runs on a host copy (no
  gradient).  JAX: ``jax.scipy.linalg.sqrtm`` (traceable; CPU only; it does
  not warn).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.linalg

from .._array import backend_name
from ._common import host_only, scalar_matrix, square_matrix, working

__all__ = ["sqrtm"]

_NoValue = object()


def sqrtm(A: Any, disp: Any = _NoValue, blocksize: Any = _NoValue, *, check_finite: bool = True):
    """Principal square root ``X`` with ``X @ X = A`` (SciPy-compatible).

    Parameters
    ----------
    A : (..., N, N) array_like
        NumPy array, PyTorch tensor or JAX array; leading dimensions are a batch.
    disp, blocksize : optional
        SciPy's deprecated arguments, passed on (with SciPy's ``DeprecationWarning``) when given.
    check_finite : bool, optional, keyword-only
        Raise ``ValueError`` on NaN or Inf.

    Returns
    -------
    X : (..., N, N) array
        Complex when a real ``A`` has eigenvalues on the negative real axis.
    errest : float
        Only with ``disp=False`` (NumPy input).

    Warns
    -----
    LinAlgWarning
        ``A`` is singular or ill-conditioned (NumPy and PyTorch input).

    Raises
    ------
    ValueError
        Fewer than two dimensions, non-square, NaN/Inf, sparse input, or a
        torch tensor that requires grad (no derivative rule).

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> A = np.array([[1.0, 3.0], [1.0, 4.0]])
    >>> X = pv.sqrtm(A)
    >>> np.allclose(X @ X, A)
    True
    """
    scalar = scalar_matrix(A)
    a = square_matrix(A if scalar is None else scalar, "A", check_finite=check_finite)
    x = working(a)
    kwargs = {}
    if disp is not _NoValue:
        kwargs["disp"] = disp
    if blocksize is not _NoValue:
        kwargs["blocksize"] = blocksize
    name = backend_name(x)
    if name == "numpy":
        if scalar is not None:  # SciPy 1.17 returns [[exp(a)]] here (a bug): the square root is meant
            return np.emath.sqrt(x)
        return scipy.linalg.sqrtm(x, **kwargs)
    if kwargs.get("disp", True) is False:
        raise ValueError("sqrtm(disp=False) (deprecated in SciPy) is supported for NumPy input only.")
    if 0 in x.shape:
        return x * 0
    if name == "jax":
        import jax.scipy.linalg as jsl

        return jsl.sqrtm(x)
    return host_only(lambda h: scipy.linalg.sqrtm(h, **kwargs), x, "A")
