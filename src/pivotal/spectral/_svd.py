"""``svd`` and ``svdvals``: SciPy's signatures on NumPy, PyTorch and JAX (vendor LAPACK does the work).

* NumPy: ``scipy.linalg.svd`` (LAPACK ``gesdd`` or ``gesvd``), over the batch.
* PyTorch: ``torch.linalg.svd`` / ``svdvals`` (LAPACK ``gesdd`` on the CPU,
  cuSOLVER on CUDA, where ``lapack_driver="gesvd"`` is passed on as
  ``driver="gesvd"``); ``lapack_driver="gesvd"`` on the CPU runs SciPy's
  ``gesvd`` on the host, since torch has no CPU ``gesvd``.
* JAX: ``jax.numpy.linalg.svd`` (traceable; ``gesdd`` on the CPU);
  ``lapack_driver="gesvd"`` runs SciPy's on the host (not traceable).

``overwrite_a`` is a permission, as in SciPy: a writable NumPy ``a`` of a
LAPACK dtype may be destroyed; torch and JAX never overwrite their input.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.linalg

from .._array import apply_over_batch, backend_name, check_flag, on_host, working
from .._tracing import needs_rule
from ._common import refuse_traced, validated
from ._options import check_svd_driver

__all__ = ["svd", "svdvals"]


def svd(
    a: Any,
    full_matrices: bool = True,
    compute_uv: bool = True,
    overwrite_a: bool = False,
    check_finite: bool = True,
    lapack_driver: str = "gesdd",
):
    """Singular value decomposition ``a = U @ diag(s) @ Vh`` (SciPy-compatible).

    Parameters
    ----------
    a : (..., M, N) array_like
        NumPy array, PyTorch tensor or JAX array; leading dimensions are a batch.
    full_matrices : bool, optional
        ``U`` of shape ``(M, M)`` and ``Vh`` of shape ``(N, N)`` (default);
        with False ``(M, K)`` and ``(K, N)``, ``K = min(M, N)``.
    compute_uv : bool, optional
        With False only ``s`` is returned.
    overwrite_a : bool, optional
        Permission to destroy a NumPy ``a`` (as SciPy); torch and JAX input is never overwritten.
    check_finite : bool, optional
        Raise ``ValueError`` on NaN or Inf (needs concrete values: pass False under ``jax.jit``).
    lapack_driver : {"gesdd", "gesvd"}, optional
        LAPACK's divide-and-conquer (default, faster) or QR-iteration (more
        robust) driver.  torch on the CPU and JAX have ``gesdd`` only, so
        ``"gesvd"`` runs SciPy's on the host and copies back (JAX: not
        traceable); torch on CUDA passes it to cuSOLVER (``driver="gesvd"``).

    Returns
    -------
    U : (..., M, M) or (..., M, K) array
        Left singular vectors (columns), of the working dtype.
    s : (..., K) array
        Singular values in descending order, of the real dtype.
    Vh : (..., N, N) or (..., K, N) array
        Right singular vectors (rows).

    Raises
    ------
    LinAlgError
        If the iteration does not converge.
    ValueError
        NaN/Inf with ``check_finite``, a bad ``lapack_driver``, fewer than two dimensions,
        or a ``scipy.sparse`` input.
    TypeError
        ``lapack_driver`` is not a string.

    Notes
    -----
    Dtypes follow SciPy: integers are computed in float64, float16 and bool
    in float32, complex64/complex128 and float32/float64 are kept.  Empty
    matrices give identity ``U`` and ``Vh`` of the right sizes (with
    ``full_matrices``) and an empty ``s``; empty batches give empty stacks
    (SciPy raises there).

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> A = np.array([[3.0, 2.0, 2.0], [2.0, 3.0, -2.0]])
    >>> U, s, Vh = pv.svd(A, full_matrices=False)
    >>> np.allclose(s, [5.0, 3.0])
    True
    >>> np.allclose(U @ np.diag(s) @ Vh, A)
    True
    """
    check_svd_driver(lapack_driver)
    check_flag(full_matrices, "full_matrices")
    check_flag(compute_uv, "compute_uv")
    a = validated(a, "a", check_finite=check_finite)
    name = backend_name(a)
    if name == "numpy":
        return _numpy_svd(a, bool(full_matrices), bool(compute_uv), bool(overwrite_a), lapack_driver)
    x = working(a)
    if needs_rule(x):
        return _svd_routed(x, bool(full_matrices), bool(compute_uv), lapack_driver)
    return _backend_svd(
        x, full_matrices=bool(full_matrices), compute_uv=bool(compute_uv), driver=lapack_driver
    )


def svdvals(a: Any, overwrite_a: bool = False, check_finite: bool = True):
    """Singular values of ``a``, in descending order (SciPy-compatible).

    Parameters
    ----------
    a : (..., M, N) array_like
    overwrite_a, check_finite : bool, optional
        As in :func:`svd`.

    Returns
    -------
    s : (..., min(M, N)) array of the real dtype.

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> s = pv.svdvals(np.array([[3.0, 2.0, 2.0], [2.0, 3.0, -2.0]]))
    >>> np.allclose(s, [5.0, 3.0])
    True
    """
    return svd(a, full_matrices=False, compute_uv=False, overwrite_a=overwrite_a, check_finite=check_finite)


def _backend_svd(x: Any, *, full_matrices: bool, compute_uv: bool, driver: str):
    """torch / JAX ``svd`` of the working-dtype ``x`` (no graph: the rule's primal, and the plain path)."""
    if backend_name(x) == "torch":
        return _torch_svd(x, full_matrices, compute_uv, driver)
    if driver == "gesvd":
        refuse_traced("svd(lapack_driver='gesvd') on JAX", x)
        return on_host(lambda h: _numpy_svd(h, full_matrices, compute_uv, True, "gesvd"), x)
    import jax.numpy as jnp

    return jnp.linalg.svd(x, full_matrices=full_matrices, compute_uv=compute_uv)


def _svd_routed(x: Any, full_matrices: bool, compute_uv: bool, driver: str):
    """:func:`svd` through the ``svd`` rule; ``compute_uv=False`` records the thin vectors too (the backward needs them)."""
    from ..autodiff import apply
    from ..autodiff.spectral_rules import SVD

    full = full_matrices and compute_uv
    u, s, vh = apply(SVD, _backend_svd, x, full_matrices=full, compute_uv=True, driver=driver)
    return (u, s, vh) if compute_uv else s


def _numpy_svd(a: np.ndarray, full_matrices: bool, compute_uv: bool, overwrite_a: bool, driver: str):
    work = working(a)
    overwrite = overwrite_a or work is not a  # a converted copy is ours to destroy

    def core(m):
        return scipy.linalg.svd(
            m,
            full_matrices=full_matrices,
            compute_uv=compute_uv,
            overwrite_a=overwrite,
            check_finite=False,
            lapack_driver=driver,
        )

    return apply_over_batch(core, [(work, 2)])


def _torch_svd(x: Any, full_matrices: bool, compute_uv: bool, driver: str):
    import torch

    if driver == "gesvd" and x.device.type == "cpu":
        return on_host(lambda h: _numpy_svd(h, full_matrices, compute_uv, True, "gesvd"), x)
    cuda_driver = "gesvd" if driver == "gesvd" else None
    if not compute_uv:
        if cuda_driver is None:
            return torch.linalg.svdvals(x)
        return torch.linalg.svdvals(x, driver=cuda_driver)
    u, s, vh = torch.linalg.svd(x, full_matrices=full_matrices, driver=cuda_driver)
    return u, s, vh
