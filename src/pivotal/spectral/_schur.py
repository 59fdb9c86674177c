"""``schur`` and ``rsf2csf``: the Schur decomposition with SciPy's signatures (vendor LAPACK does the work).

* NumPy: ``scipy.linalg.schur`` (LAPACK ``gees``, with eigenvalue
  reordering for ``sort``) and ``scipy.linalg.rsf2csf``, over the batch.
* JAX without ``sort`` (and ``lwork``): ``jax.scipy.linalg.schur``
  (``gees``; CPU only in JAX, traceable).
* PyTorch (which has no Schur decomposition), and JAX with ``sort`` (which
  ``jax.scipy.linalg.schur`` lacks) or ``lwork``: SciPy's LAPACK runs on
  the host and the result is copied back, as ``eigh`` does for the drivers
  those libraries lack.  JAX arrays being traced (``jax.jit``) are refused
  there.  ``rsf2csf`` always runs SciPy's on the host for torch and JAX.

No derivative rule: a torch tensor that requires grad is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.linalg

from .._array import (
    apply_over_batch,
    backend_name,
    check_flag,
    from_numpy,
    is_complex,
    on_host,
    result_dtype,
    to_numpy,
    working,
)
from .._scaling import times_power_of_two
from ._common import (
    geev_exponent,
    refuse_traced,
    same_backend,
    validated,
)

__all__ = ["SCHUR_SORTS", "rsf2csf", "schur"]

#: The named eigenvalue selections of ``schur(sort=...)``.
SCHUR_SORTS = ("lhp", "rhp", "iuc", "ouc")
_OUTPUTS = ("real", "complex", "r", "c")


def schur(
    a: Any,
    output: str = "real",
    lwork: int | None = None,
    overwrite_a: bool = False,
    sort: str | Callable[..., bool] | None = None,
    check_finite: bool = True,
):
    """Schur decomposition ``a = Z T Z^H`` (SciPy-compatible).

    Parameters
    ----------
    a : (..., M, M) array_like
        NumPy array, PyTorch tensor or JAX array; leading dimensions are a batch.
    output : {"real", "complex"}, optional
        ``"real"`` (default): for real ``a``, the real Schur form, quasi upper
        triangular with 2x2 diagonal blocks for complex conjugate pairs;
        ``"complex"``: upper triangular ``T`` (complex).  ``"r"`` and ``"c"``
        are accepted too.  Complex ``a`` always gives the complex form.
    lwork : int, optional
        LAPACK's work array size (``None`` or ``-1``: the optimal one).
    overwrite_a : bool, optional
        Permission to destroy a NumPy ``a`` (as SciPy); torch and JAX input is never overwritten.
    sort : {None, callable, "lhp", "rhp", "iuc", "ouc"}, optional
        Move the selected eigenvalues to the leading block of ``T``:
        ``"lhp"`` real part < 0, ``"rhp"`` real part >= 0, ``"iuc"``
        ``|w| <= 1``, ``"ouc"`` ``|w| > 1``; a callable receives the real and
        imaginary parts (real Schur form) or the complex eigenvalue (complex
        form) and returns True to select.
    check_finite : bool, optional
        Raise ``ValueError`` on NaN or Inf (pass False under ``jax.jit``).

    Returns
    -------
    T : (..., M, M) array
        Schur form of ``a``.
    Z : (..., M, M) array
        Unitary (orthogonal) Schur vectors.
    sdim : int (or integer array of the batch shape)
        The number of eigenvalues that satisfy ``sort`` (a complex conjugate
        pair counts 2); returned only when ``sort`` is given.

    Raises
    ------
    LinAlgError
        If the QR algorithm does not converge, or the reordering fails.
    ValueError
        Non-square input, NaN/Inf with ``check_finite``, a bad ``output`` or
        ``sort``, or a torch tensor that requires grad.

    Notes
    -----
    Backward stable: ``T`` is the Schur form of ``a + E`` with
    ``||E|| = O(u ||a||)`` under the computed, unitary to working precision,
    ``Z`` (Golub & Van Loan, sec. 7.5.6).

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> A = np.array([[1.0, 2.0, 0.0], [-2.0, 1.0, 3.0], [0.0, 0.0, -4.0]])
    >>> T, Z = pv.schur(A)
    >>> np.allclose(Z @ T @ Z.T, A), np.allclose(Z.T @ Z, np.eye(3))
    (True, True)
    >>> T, Z, sdim = pv.schur(A, sort="lhp")
    >>> sdim, bool(np.isclose(T[0, 0], -4.0))
    (1, True)
    >>> T, Z = pv.schur(A, output="complex")
    >>> bool(np.allclose(np.tril(T, -1), 0))
    True
    """
    _check_output(output)
    _check_sort(sort)
    check_flag(overwrite_a, "overwrite_a")
    a = validated(a, "a", check_finite=check_finite, square=True, differentiable=False)
    complex_out = output in ("complex", "c")
    if backend_name(a) == "numpy":
        return _numpy_schur(a, complex_out, lwork, bool(overwrite_a), sort)
    x = working(a, _schur_dtype(a, complex_out))
    if backend_name(x) == "jax" and sort is None and lwork is None:
        import jax.scipy.linalg as jsl

        return jsl.schur(x, output="complex" if complex_out else "real")
    why = "sort" if sort is not None else "lwork" if backend_name(x) == "jax" else "torch"
    refuse_traced(f"schur with {why}", x)
    out = _numpy_schur(to_numpy(x), complex_out, lwork, True, sort)
    # T, Z (and a batch's sdim array) back to the input's type and device; a single sdim stays an int
    return tuple(o if isinstance(o, int) else from_numpy(np.ascontiguousarray(o), x) for o in out)


def rsf2csf(T: Any, Z: Any, check_finite: bool = True):
    """Convert a real Schur form to the complex Schur form (SciPy-compatible).

    Given ``a = Z T Z^T`` with ``T`` quasi upper triangular (from
    ``schur(a)``), returns unitary ``Z2`` and upper triangular ``T2`` with
    ``a = Z2 T2 Z2^H``, by a Givens rotation per 2x2 block.

    Parameters
    ----------
    T : (..., M, M) array_like
        Real Schur form.
    Z : (..., M, M) array_like
        Its Schur vectors (same backend).
    check_finite : bool, optional
        Raise ``ValueError`` on NaN or Inf.

    Returns
    -------
    T2 : (..., M, M) complex array
        Upper triangular.
    Z2 : (..., M, M) complex array
        Unitary.

    Raises
    ------
    ValueError
        Non-square or mismatched inputs, NaN/Inf with ``check_finite``.

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> A = np.array([[0.0, -2.0], [2.0, 0.0]])
    >>> T2, Z2 = pv.rsf2csf(*pv.schur(A))
    >>> np.allclose(Z2 @ T2 @ Z2.conj().T, A), bool(T2[1, 0] == 0)
    (True, True)
    """
    t = validated(T, "T", check_finite=check_finite, square=True, differentiable=False)
    z = validated(Z, "Z", check_finite=check_finite, square=True, differentiable=False)
    same_backend(t, z, "T Z")
    if t.shape[-1] != z.shape[-1]:
        raise ValueError(
            f"Input array shapes must match: Z: {tuple(z.shape)} vs. T: {tuple(t.shape)} (pass the T and "
            "Z of one schur call)."
        )
    if backend_name(t) == "numpy":
        return _numpy_rsf2csf(t, z)
    refuse_traced("rsf2csf", t, z)
    return on_host(_numpy_rsf2csf, t, z)


def _check_output(output: Any) -> None:
    if not isinstance(output, str) or output not in _OUTPUTS:
        raise ValueError(
            f"argument must be 'real', or 'complex', got output={output!r}: 'real' gives the real "
            "(quasi-triangular) Schur form of a real matrix, 'complex' the triangular one."
        )


def _check_sort(sort: Any) -> None:
    if sort is None or callable(sort):
        return
    if not isinstance(sort, str) or sort not in SCHUR_SORTS:
        raise ValueError(
            "'sort' parameter must either be 'None', or a callable, or one of ('lhp','rhp','iuc','ouc'), "
            f"got {sort!r}."
        )


def _schur_dtype(a: Any, complex_out: bool):
    """The working dtype, complex for ``output="complex"`` (SciPy's rule)."""
    dtype = result_dtype(a)
    if not complex_out or is_complex(dtype):
        return dtype
    name = backend_name(a)
    if name == "torch":
        import torch

        return torch.complex64 if dtype == torch.float32 else torch.complex128
    return np.complex64 if np.dtype(dtype) == np.float32 else np.complex128


def _numpy_schur(a, complex_out: bool, lwork, overwrite_a: bool, sort):
    x = working(a, _schur_dtype(a, complex_out))
    ow = overwrite_a or x is not a
    batched = a.ndim > 2

    def core(a2):
        out = scipy.linalg.schur(
            a2,
            output="complex" if complex_out else "real",
            lwork=lwork,
            overwrite_a=ow,
            sort=sort,
            check_finite=False,
        )
        if sort is None:
            return out
        return out[0], out[1], np.asarray(out[2], dtype=np.int64)  # an array: one per batch member

    out = apply_over_batch(core, [(x, 2)])
    if sort is not None and not batched:
        out = (out[0], out[1], int(out[2]))
    return out


def _numpy_rsf2csf(t, z):
    dtype = result_dtype(t, z)

    def core(t2, z2):
        k = geev_exponent(t2)  # SciPy's rsf2csf calls geev on 2x2 blocks: keep them in its safe range
        if not k:
            return scipy.linalg.rsf2csf(t2, z2, check_finite=False)
        r, q = scipy.linalg.rsf2csf(times_power_of_two(t2, k), z2, check_finite=False)
        return times_power_of_two(r, -k), q

    return apply_over_batch(core, [(working(t, dtype), 2), (working(z, dtype), 2)])
