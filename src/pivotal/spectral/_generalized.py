"""The vendor's standard Hermitian eigensolver on torch and JAX, and the Cholesky reduction of ``a v = w b v``.

Neither torch nor JAX has a generalized symmetric-definite eigensolver, so
the problem is reduced as LAPACK's ``sygst`` does (Golub & Van Loan,
*Matrix Computations*, 4th ed., sec. 8.7.2), with ``b = L L^H`` from
pivotal's :func:`~pivotal.cholesky` and pivotal's
:func:`~pivotal.solve_triangular`:

========  =================  ============================  ===================
type      problem            standard matrix ``C``         eigenvectors ``v``
========  =================  ============================  ===================
1         ``a v = w b v``    ``L^-1 a L^-H``               ``L^-H y``
2         ``a b v = w v``    ``L^H a L``                   ``L^-H y``
3         ``b a v = w v``    ``L^H a L``                   ``L y``
========  =================  ============================  ===================

where ``C y = w y`` with orthonormal ``y``; so ``v^H b v = I`` for types
1 and 2 and ``v^H b^-1 v = I`` for type 3, LAPACK's normalizations.  The
error of type 1 grows with the condition number of ``b`` (the reduction
divides by ``L`` twice), as LAPACK's does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._array import backend_name, device_of, is_complex, namespace

__all__ = ["hermitian_from_triangle", "reduce_generalized", "standard_eigh"]


def _h(x: Any) -> Any:
    """Conjugate transpose of the last two axes."""
    xp = namespace(x)
    t = xp.matrix_transpose(x) if hasattr(xp, "matrix_transpose") else xp.swapaxes(x, -1, -2)
    return xp.conj(t) if is_complex(x.dtype) else t


def hermitian_from_triangle(a: Any, lower: bool) -> Any:
    """The Hermitian matrix stored in the ``lower`` (or upper) triangle of ``a``; the diagonal's real part."""
    xp = namespace(a)
    tri = xp.tril(a, k=-1) if lower else xp.triu(a, k=1)
    d = xp.linalg.diagonal(a)
    d = xp.astype(xp.real(d), a.dtype) if is_complex(a.dtype) else d
    diag = d[..., None, :] * xp.eye(a.shape[-1], dtype=a.dtype, device=device_of(a))
    return tri + _h(tri) + diag


def standard_eigh(x: Any, lower: bool, eigvals_only: bool) -> tuple[Any, Any]:
    """``(w, v)`` (``v`` None with ``eigvals_only``) from torch's or JAX's Hermitian eigensolver.

    Only the ``lower`` (or upper) triangle of ``x`` is read: torch's
    ``UPLO`` and ``jax.lax.linalg.eigh(symmetrize_input=False)``.
    """
    if backend_name(x) == "torch":
        import torch

        uplo = "L" if lower else "U"
        if eigvals_only:
            return torch.linalg.eigvalsh(x, UPLO=uplo), None
        w, v = torch.linalg.eigh(x, UPLO=uplo)
        return w, v
    import jax

    v, w = jax.lax.linalg.eigh(x, lower=bool(lower), symmetrize_input=False)
    return w, (None if eigvals_only else v)


def reduce_generalized(a: Any, b: Any, lower: bool, itype: int) -> tuple[Any, Callable[[Any], Any]]:
    """``(C, back)``: the standard matrix of the generalized problem, and ``y -> v``.

    Raises :class:`~pivotal.NotPositiveDefiniteError` when ``b`` is not
    positive definite.  Batches of ``a`` and ``b`` broadcast.
    """
    # Imported here: the factorization objects (a layer below decompositions) import this package.
    from ..decompositions import cholesky, solve_triangular

    xp = namespace(a)
    batch = tuple(_broadcast(a.shape[:-2], b.shape[:-2]))
    n = a.shape[-1]
    a = xp.broadcast_to(a, (*batch, n, n))
    b = xp.broadcast_to(b, (*batch, n, n))
    full = hermitian_from_triangle(a, lower)
    c = cholesky(b, lower=lower, check_finite=False)
    low = c if lower else _h(c)  # b = L L^H
    if itype == 1:
        x = solve_triangular(low, full, lower=True, check_finite=False)  # L^-1 A
        std = solve_triangular(low, _h(x), lower=True, check_finite=False)  # L^-1 (L^-1 A)^H = L^-1 A L^-H
    else:
        std = _h(low) @ full @ low
    if itype in (1, 2):
        return std, lambda y: solve_triangular(low, y, trans=2, lower=True, check_finite=False)
    return std, lambda y: low @ y


def _broadcast(s1: tuple, s2: tuple) -> tuple:
    import numpy as np

    return np.broadcast_shapes(tuple(s1), tuple(s2))
