"""``logm``: the principal matrix logarithm (SciPy 1.17's signature and warnings).

* NumPy: ``scipy.linalg.logm`` (inverse scaling and squaring, Al-Mohy &
  Higham 2012).  It warns ``RuntimeWarning`` when ``||e^X - A||_1 /
  ||A||_1 >= 1000 eps`` and ``LogmExactlySingularWarning`` /
  ``LogmNearlySingularWarning`` for a (nearly) singular ``A``, exactly as
  SciPy; ``disp`` is deprecated there (1.16) and is passed on only when given.
* PyTorch and JAX have no matrix logarithm: SciPy runs on a host copy and
  the result comes back in the input's type and device (no gradient: a
  tensor that requires grad, or a traced JAX array, is refused).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.linalg

from .._array import backend_name
from ._common import binary_exponent, host_only, ldexp, square_matrix, working

__all__ = ["logm"]

_NoValue = object()


def logm(A: Any, disp: Any = _NoValue, *, check_finite: bool = True):
    """Principal matrix logarithm ``X`` with ``e^X = A`` (SciPy-compatible).

    Parameters
    ----------
    A : (..., N, N) array_like
        NumPy array, PyTorch tensor or JAX array; leading dimensions are a batch.
    disp : bool, optional
        SciPy's deprecated flag (passed on when given, with SciPy's
        ``DeprecationWarning``): False returns ``(X, errest)``.
    check_finite : bool, optional, keyword-only
        Raise ``ValueError`` on NaN or Inf.

    Returns
    -------
    X : (..., N, N) array
        Complex when ``A`` has eigenvalues on the closed negative real axis
        (and for complex ``A``); real otherwise, as SciPy.
    errest : float
        Only with ``disp=False``: ``||e^X - A||_1 / ||A||_1``.

    Raises
    ------
    ValueError
        Fewer than two dimensions, non-square, NaN/Inf, sparse input, or a
        torch tensor that requires grad (there is no derivative rule).
    TypeError
        A traced JAX array (the host path needs values).

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> A = np.array([[1.0, 3.0], [1.0, 4.0]])
    >>> X = pv.logm(A)
    >>> np.allclose(pv.expm(X), A)
    True
    """
    a = square_matrix(A, "A", check_finite=check_finite)
    x = working(a)
    kwargs = {} if disp is _NoValue else {"disp": disp}
    if 0 in x.shape:
        out = _empty(x)
        return (out, 0.0) if kwargs.get("disp", True) is False else out
    if backend_name(x) == "numpy":
        return _scaled_logm(x, kwargs)
    if kwargs.get("disp", True) is False:
        raise ValueError("logm(disp=False) (deprecated in SciPy) is supported for NumPy input only.")
    return host_only(lambda h: _scaled_logm(h, kwargs), x, "A")


def _scaled_logm(x: np.ndarray, kwargs: dict) -> Any:
    """SciPy's ``logm``; beyond ``2^+-900`` that of ``2^-e A`` (unit scale) plus ``e log(2) I`` (exact rescaling).

    On subnormal data SciPy's inverse scaling and squaring fails ("R is not upper triangular").  Inside
    the range SciPy runs unchanged, so that its absolute "nearly singular" warning (``logm([[1e-100]])``)
    is kept.
    """
    e = binary_exponent(x)
    if abs(e) <= 900:
        return scipy.linalg.logm(x, **kwargs)
    out = scipy.linalg.logm(ldexp(x, -e), **kwargs)
    f, rest = (out[0], out[1:]) if isinstance(out, tuple) else (out, None)
    f = np.array(f, copy=True)
    idx = np.arange(x.shape[-1])
    f[..., idx, idx] += e * np.log(2.0)
    return (f, *rest) if rest is not None else f


def _empty(x: Any) -> Any:
    return x.copy() if backend_name(x) == "numpy" else x * 0
