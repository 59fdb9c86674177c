"""``eig`` and ``eigvals``: the non-symmetric eigenproblem with SciPy's signatures (vendor LAPACK does the work).

* NumPy: ``scipy.linalg.eig`` / ``eigvals`` (LAPACK ``geev``, or ``ggev``
  with ``b``) with every option, over the batch: SciPy's conventions
  exactly, including real eigenvectors when every eigenvalue of a real
  matrix is real.
* PyTorch and JAX, the standard problem with right eigenvectors (or none):
  ``torch.linalg.eig`` / ``eigvals`` (LAPACK ``geev`` on the CPU, also on
  CUDA) and ``jax.numpy.linalg.eig`` / ``eigvals`` (``geev``; CPU only in
  JAX, traceable).  Eigenvalues and eigenvectors are always complex there
  (the vendors' convention: a dtype that depended on the values could not
  be traced).
* PyTorch and JAX with ``b`` (the generalized problem) or ``left=True``:
  neither library has ``ggev`` nor left eigenvectors, so SciPy's LAPACK
  runs on the host and the result is copied back, as ``eigh`` does for the
  drivers those libraries lack; the eigenvectors are made complex as on the
  native path.  JAX arrays being traced (``jax.jit``) are refused there.

No derivative rule: a torch tensor that requires grad is refused (use
``torch.linalg.eig`` for its gradient).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.linalg

from .._array import (
    apply_over_batch,
    astype,
    backend_name,
    check_flag,
    device_of,
    namespace,
    on_host,
    result_dtype,
    working,
)
from .._scaling import times_power_of_two
from ._common import (
    geev_exponent,
    refuse_traced,
    same_backend,
    validated,
)

__all__ = ["eig", "eigvals"]


def eig(
    a: Any,
    b: Any = None,
    left: bool = False,
    right: bool = True,
    overwrite_a: bool = False,
    overwrite_b: bool = False,
    check_finite: bool = True,
    homogeneous_eigvals: bool = False,
):
    """Eigenvalues and eigenvectors of a general square matrix (SciPy-compatible).

    Solves ``a vr[:, i] = w[i] b vr[:, i]`` and
    ``a^H vl[:, i] = conj(w[i]) b^H vl[:, i]`` (``b = I`` when omitted).

    Parameters
    ----------
    a : (..., M, M) array_like
        NumPy array, PyTorch tensor or JAX array; leading dimensions are a batch.
    b : (..., M, M) array_like, optional
        The right-hand matrix of the generalized problem (same backend).
    left : bool, optional
        Return the left eigenvectors ``vl`` (default False).
    right : bool, optional
        Return the right eigenvectors ``vr`` (default True).
    overwrite_a, overwrite_b : bool, optional
        Permission to destroy NumPy input (as SciPy); torch and JAX input is never overwritten.
    check_finite : bool, optional
        Raise ``ValueError`` on NaN or Inf (pass False under ``jax.jit``).
    homogeneous_eigvals : bool, optional
        Return ``w`` as ``(..., 2, M)`` homogeneous coordinates ``(alpha, beta)``
        with ``beta a vr = alpha b vr`` (``beta = 1`` without ``b``).

    Returns
    -------
    w : (..., M) or (..., 2, M) complex array
        The eigenvalues, each repeated by its algebraic multiplicity, in
        LAPACK's order (not sorted).  With ``b``, ``alpha / beta``: ``inf``
        for ``beta = 0``, ``nan`` for ``alpha = beta = 0``.
    vl : (..., M, M) array
        Left eigenvectors (columns), each of unit 2-norm with its largest
        entry real; only with ``left=True``.
    vr : (..., M, M) array
        Right eigenvectors (columns), each of unit 2-norm; only with ``right=True``.
        On NumPy real when ``a`` (and ``b``) are real and every eigenvalue
        is real (SciPy), complex otherwise; always complex on torch and JAX.

    Raises
    ------
    LinAlgError
        If the QR (or QZ) algorithm does not converge.
    ValueError
        Non-square or mismatched inputs, NaN/Inf with ``check_finite``, a
        ``scipy.sparse`` input, or a torch tensor that requires grad.

    Notes
    -----
    The eigenvalues are backward stable (those of ``a + E`` with
    ``||E|| = O(u ||a||)``); their error is about ``u ||a|| / s_i``, where
    ``s_i = |vl_i^H vr_i|`` (unit vectors) is the reciprocal condition number
    of eigenvalue ``i`` (Golub & Van Loan, sec. 7.2.2).  ``eig(a, left=True)``
    gives ``vl`` and ``vr`` from one run, and so these condition numbers.

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> A = np.array([[0.0, -1.0], [1.0, 0.0]])
    >>> w, v = pv.eig(A)
    >>> np.allclose(sorted(w, key=np.imag), [-1j, 1j]), np.allclose(A @ v, v * w)
    (True, True)
    >>> B = np.array([[0.0, 1.0], [1.0, 1.0]])
    >>> w, vl, vr = pv.eig(A, B, left=True)
    >>> np.allclose(A @ vr, B @ vr * w), np.allclose(A.T @ vl, B.T @ vl * w.conj())
    (True, True)
    """
    for flag, name in (
        (left, "left"),
        (right, "right"),
        (overwrite_a, "overwrite_a"),
        (overwrite_b, "overwrite_b"),
        (homogeneous_eigvals, "homogeneous_eigvals"),
    ):
        check_flag(flag, name)
    a, b = _validated_pair(a, b, check_finite)
    opts = (bool(left), bool(right), bool(homogeneous_eigvals))
    if backend_name(a) == "numpy":
        return _numpy_eig(a, b, *opts, bool(overwrite_a), bool(overwrite_b))
    dtype = result_dtype(a) if b is None else result_dtype(a, b)
    x, y = working(a, dtype), None if b is None else working(b, dtype)
    if y is not None or left:
        what = "eig(a, b)" if y is not None else "eig(left=True)"
        refuse_traced(f"{what} on {backend_name(x)}", x, y)
        out = on_host(lambda h, g: _numpy_eig(h, g, *opts, True, True), x, y)
        return _complex_vectors(out)
    return _vendor_eig(x, right=opts[1], homogeneous=opts[2])


def eigvals(
    a: Any,
    b: Any = None,
    overwrite_a: bool = False,
    check_finite: bool = True,
    homogeneous_eigvals: bool = False,
):
    """Eigenvalues of a general square matrix (SciPy-compatible).

    ``eig(a, b, left=False, right=False, ...)``; see :func:`eig` for the
    parameters and the conventions.

    Returns
    -------
    w : (..., M) or (..., 2, M) complex array
        The eigenvalues, in LAPACK's order.

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> w = pv.eigvals(np.array([[2.0, 1.0], [0.0, 3.0]]))
    >>> np.allclose(np.sort(w.real), [2.0, 3.0]), bool(np.all(w.imag == 0))
    (True, True)
    """
    return eig(
        a,
        b,
        left=False,
        right=False,
        overwrite_a=overwrite_a,
        check_finite=check_finite,
        homogeneous_eigvals=homogeneous_eigvals,
    )


def _validated_pair(a: Any, b: Any, check_finite: bool):
    a = validated(a, "a", check_finite=check_finite, square=True, differentiable=False)
    if b is None:
        return a, None
    b = validated(b, "b", check_finite=check_finite, square=True, differentiable=False)
    same_backend(a, b)
    if b.shape[-1] != a.shape[-1]:
        raise ValueError(
            f"a and b must have the same shape: a is {tuple(a.shape)}, b is {tuple(b.shape)} "
            "(the generalized problem a v = w b v needs matrices of one order)."
        )
    return a, b


def _numpy_eig(a, b, left: bool, right: bool, homogeneous: bool, overwrite_a: bool, overwrite_b: bool):
    dtype = result_dtype(a) if b is None else result_dtype(a, b)
    x = working(a, dtype)
    y = None if b is None else working(b, dtype)
    ow_a = overwrite_a or x is not a  # a converted copy is ours to destroy
    ow_b = b is not None and (overwrite_b or y is not b)

    def core(a2, b2=None):
        k = geev_exponent(a2) if b2 is None else 0
        if k:
            a2 = times_power_of_two(a2, k)
        out = scipy.linalg.eig(
            a2,
            b2,
            left=left,
            right=right,
            overwrite_a=ow_a or bool(k),
            overwrite_b=ow_b,
            check_finite=False,
            homogeneous_eigvals=homogeneous,
        )
        if not k:
            return out
        w = out[0] if isinstance(out, tuple) else out
        if homogeneous:
            w[0] = times_power_of_two(w[0], -k)
        else:
            w = times_power_of_two(w, -k)
        return (w, *out[1:]) if isinstance(out, tuple) else w

    arrays = [(x, 2)] if y is None else [(x, 2), (y, 2)]
    return apply_over_batch(core, arrays)


def _complex_vectors(out):
    """Host results with every eigenvector array complex (the torch/JAX convention)."""
    if not isinstance(out, tuple):
        return out
    w, vecs = out[0], out[1:]
    return (w, *(astype(v, w.dtype) for v in vecs))


def _vendor_eig(x, *, right: bool, homogeneous: bool):
    """torch / JAX: the vendor's ``geev`` (``eig`` or ``eigvals``)."""
    n = x.shape[-1]
    if n == 0:
        w, v = _empty(x)
    elif backend_name(x) == "torch":
        import torch

        w, v = torch.linalg.eig(x) if right else (torch.linalg.eigvals(x), None)
    else:
        w, v = _jax_eig(x, right)
    if homogeneous:
        xp = namespace(w)
        w = xp.stack([w, xp.ones_like(w)], axis=-2)
    return (w, v) if right else w


def _jax_eig(x, right: bool):
    """``jnp.linalg.eig`` (SciPy's LAPACK), with :func:`~._common.geev_exponent`'s power-of-two scaling, traceably."""
    import jax.numpy as jnp

    amax = jnp.max(jnp.abs(x), axis=(-2, -1))
    finfo = jnp.finfo(x.dtype)
    small = float(np.sqrt(float(finfo.tiny)) / float(finfo.eps))
    outside = (amax > 0) & jnp.isfinite(amax) & ((amax < small) | (amax > 1.0 / small))
    k = jnp.where(outside, -jnp.frexp(amax)[1], 0)
    h = k // 2
    rdt = jnp.finfo(x.dtype).dtype

    def times(y, k1, k2):  # y * 2**(k1 + k2), exact
        one = jnp.ones((), dtype=rdt)
        return y * jnp.ldexp(one, k1).astype(y.dtype) * jnp.ldexp(one, k2).astype(y.dtype)

    xs = times(x, h[..., None, None], (k - h)[..., None, None])
    w, v = jnp.linalg.eig(xs) if right else (jnp.linalg.eigvals(xs), None)
    return times(w, -h[..., None], -(k - h)[..., None]), v


def _empty(x):
    """``(w, v)`` of order 0 for the batch of ``x``, in the complex dtype the vendors return."""
    xp = namespace(x)
    cdtype = xp.complex64 if x.dtype in (xp.float32, xp.complex64) else xp.complex128
    batch = tuple(x.shape[:-2])
    dev = device_of(x)
    return xp.zeros((*batch, 0), dtype=cdtype, device=dev), xp.zeros((*batch, 0, 0), dtype=cdtype, device=dev)
