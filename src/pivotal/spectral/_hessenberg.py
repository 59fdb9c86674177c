"""``hessenberg``: reduction to upper Hessenberg form with SciPy's signature, LAPACK's or our Householder kernel.

``method`` (keyword-only) picks the implementation:

=============  ===========================================  ==========================================
``method``     NumPy                                        PyTorch / JAX
=============  ===========================================  ==========================================
``"auto"``     ``scipy.linalg.hessenberg`` (``gehrd``)      torch: our kernel (torch has no
                                                            Hessenberg routine), on the tensor's
                                                            device; JAX: ``jax.scipy.linalg.
                                                            hessenberg`` (``gehrd``; CPU only in JAX)
``"lapack"``   ``scipy.linalg.hessenberg``                  torch: SciPy's on the host, copied back;
                                                            JAX: ``jax.scipy.linalg.hessenberg``
``"kernel"``   :mod:`pivotal.kernels.hessenberg`            torch: the kernel on the tensor; JAX
                                                            (immutable arrays): the kernel on a host
                                                            copy, copied back (not traceable)
=============  ===========================================  ==========================================

The kernel is blocked (LAPACK's ``gehrd``/``lahr2`` scheme) above order
``HESSENBERG_UNBLOCKED_MAX`` and the textbook ``gehd2`` below it.  Both
paths give ``H`` with exact zeros below the first subdiagonal; they agree
to rounding except that LAPACK leaves matrices of order at most 2 as they
are, while the kernel makes the (complex) subdiagonal real.

No derivative rule: a torch tensor that requires grad is refused.
"""

from __future__ import annotations

from typing import Any

import scipy.linalg

from .._array import apply_over_batch, backend_name, check_flag, namespace, on_host, working
from ..kernels.hessenberg import form_hessenberg_q, householder_hessenberg
from ._common import refuse_traced, validated

__all__ = ["HESSENBERG_METHODS", "hessenberg"]

#: The values of ``hessenberg(method=...)``.
HESSENBERG_METHODS = ("auto", "lapack", "kernel")


def hessenberg(
    a: Any,
    calc_q: bool = False,
    overwrite_a: bool = False,
    check_finite: bool = True,
    *,
    method: str = "auto",
):
    """Hessenberg form ``a = Q H Q^H`` (SciPy-compatible; ``method`` selects LAPACK or our kernel).

    Parameters
    ----------
    a : (..., M, M) array_like
        NumPy array, PyTorch tensor or JAX array; leading dimensions are a batch.
    calc_q : bool, optional
        Also return the unitary ``Q`` (default False).
    overwrite_a : bool, optional
        Permission to destroy a NumPy ``a`` (as SciPy); torch and JAX input is never overwritten.
    check_finite : bool, optional
        Raise ``ValueError`` on NaN or Inf (pass False under ``jax.jit``).
    method : {"auto", "lapack", "kernel"}, optional
        ``"lapack"``: the vendor routine (``gehrd``); ``"kernel"``: pivotal's
        Householder reduction (:mod:`pivotal.kernels.hessenberg`);
        ``"auto"``: the vendor routine where the backend has one (NumPy,
        JAX), the kernel on torch.

    Returns
    -------
    H : (..., M, M) array
        Upper Hessenberg: exactly zero below the first subdiagonal.
    Q : (..., M, M) array
        Unitary (orthogonal); only with ``calc_q``.

    Raises
    ------
    ValueError
        Non-square input, NaN/Inf with ``check_finite``, an unknown
        ``method``, or a torch tensor that requires grad.

    Notes
    -----
    Householder reduction is backward stable: ``H`` is the Hessenberg form
    of ``a + E``, ``||E||_F <= c n^2 u ||a||_F``, and
    ``||Q^H Q - I|| <= c n^2 u`` (Higham, ch. 19).

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> A = np.array([[2.0, 5.0, 8.0, 7.0], [5.0, 2.0, 2.0, 8.0],
    ...               [7.0, 5.0, 6.0, 6.0], [5.0, 4.0, 4.0, 8.0]])
    >>> H, Q = pv.hessenberg(A, calc_q=True)
    >>> np.allclose(Q @ H @ Q.T, A), bool(np.all(np.tril(H, -2) == 0))
    (True, True)
    >>> Hk, Qk = pv.hessenberg(A, calc_q=True, method="kernel")
    >>> bool(np.allclose(Qk @ Hk @ Qk.T, A)), bool(np.allclose(np.abs(Hk), np.abs(H)))
    (True, True)
    """
    if not isinstance(method, str) or method not in HESSENBERG_METHODS:
        raise ValueError(
            f"method must be one of {HESSENBERG_METHODS}, got {method!r}: 'lapack' runs the vendor's "
            "gehrd, 'kernel' pivotal's Householder reduction, 'auto' the vendor's where there is one."
        )
    check_flag(calc_q, "calc_q")
    check_flag(overwrite_a, "overwrite_a")
    a = validated(a, "a", check_finite=check_finite, square=True, differentiable=False)
    calc_q = bool(calc_q)
    name = backend_name(a)
    if name == "numpy":
        if method == "kernel":
            x = working(a)
            return _kernel(x, calc_q, in_place=bool(overwrite_a) or x is not a)
        return _numpy_lapack(a, calc_q, bool(overwrite_a))
    x = working(a)
    if name == "torch":
        if method == "lapack":
            return on_host(lambda h: _numpy_lapack(h, calc_q, True), x)
        return _kernel(x, calc_q, in_place=False)
    if method == "kernel":
        refuse_traced("hessenberg(method='kernel') on JAX", x)
        return on_host(lambda h: _kernel(h, calc_q, in_place=True), x)
    import jax.scipy.linalg as jsl

    return jsl.hessenberg(x, calc_q=calc_q, check_finite=False)


def _numpy_lapack(a, calc_q: bool, overwrite_a: bool):
    x = working(a)
    ow = overwrite_a or x is not a

    def core(a2):
        return scipy.linalg.hessenberg(a2, calc_q=calc_q, overwrite_a=ow, check_finite=False)

    return apply_over_batch(core, [(x, 2)])


def _kernel(x, calc_q: bool, *, in_place: bool):
    """Our Householder reduction of each matrix of the batch ``x`` (NumPy or torch)."""
    xp = namespace(x)
    writable = backend_name(x) != "numpy" or x.flags.writeable
    work = x if (in_place and writable) else _copy(x)

    def core(h):
        tau = householder_hessenberg(h)
        q = form_hessenberg_q(h, tau) if calc_q else None
        hh = xp.triu(h, k=-1)
        return (hh, q) if calc_q else hh

    return apply_over_batch(core, [(work, 2)])


def _copy(x):
    if backend_name(x) == "torch":
        return x.clone()
    return x.copy()
