"""NumPy backend: BLAS/LAPACK through SciPy.

The in-place updates go through :mod:`._blas` (SciPy's BLAS called on
strided views, no copies) and fall back to NumPy expressions when a view's
layout cannot be handed to BLAS.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import blas, lapack

from .._permutations import ipiv_to_perm
from . import _blas

name = "numpy"


def trsm_inplace(t, b, *, lower, trans=0, unit_diagonal=False, side="left"):
    """Overwrite ``b`` with the solution of ``op(t) x = b`` (or ``x op(t) = b``)."""
    if t.shape[0] == 0 or b.size == 0:
        return b
    if _blas.trsm(t, b, lower=lower, trans=trans, unit_diagonal=unit_diagonal, side=side):
        return b
    fn = blas.get_blas_funcs("trsm", (t, b))
    b[...] = fn(
        1.0,
        t,
        b,
        side=0 if side == "left" else 1,
        lower=int(bool(lower)),
        trans_a=int(trans),
        diag=int(bool(unit_diagonal)),
    )
    return b


def gemm_update(c, a, b):
    """``c <- c - a @ b`` in place."""
    if not _blas.gemm(c, a, b):
        c -= a @ b
    return c


def ger_update(c, x, y):
    """``c <- c - outer(x, y)`` in place (rank-1 update, no conjugation)."""
    if not _blas.ger(c, x, y):
        c -= x[:, None] * y[None, :]
    return c


def herk_update(c, a):
    """``c <- c - a @ a^H`` on (at least) the lower triangle of ``c``, in place."""
    if not _blas.herk(c, a):
        c -= a @ a.conj().T
    return c


def vendor_getrf(a):
    """LAPACK ``?getrf``: ``(lu, perm, info)`` with ``a[perm] = L U``."""
    fn = lapack.get_lapack_funcs("getrf", (a,))
    lu, ipiv, info = fn(a, overwrite_a=False)
    if info < 0:  # pragma: no cover - argument errors are ours
        raise ValueError(f"illegal value in argument {-info} of internal getrf")
    return lu, ipiv_to_perm(ipiv, a.shape[0]), int(info)


def vendor_potrf(a, lower):
    """LAPACK ``?potrf``; returns ``(factor, info)`` with the other triangle zeroed."""
    fn = lapack.get_lapack_funcs("potrf", (a,))
    c, info = fn(a, lower=int(bool(lower)), clean=1, overwrite_a=False)
    if info < 0:  # pragma: no cover
        raise ValueError(f"illegal value in argument {-info} of internal potrf")
    return c, int(info)


def vendor_sytrf(a, lower, hermitian):
    """LAPACK ``?sytrf``/``?hetrf`` (Bunch-Kaufman).

    Returns ``(factors, ipiv, info, name)`` with LAPACK's 1-based ``ipiv``.
    """
    kind = "hetrf" if hermitian and np.iscomplexobj(a) else "sytrf"
    fn, lwork_fn = lapack.get_lapack_funcs((kind, kind + "_lwork"), (a,))
    lwork = lapack._compute_lwork(lwork_fn, a.shape[0], lower=int(bool(lower)))
    factors, ipiv, info = fn(a, lower=int(bool(lower)), lwork=lwork, overwrite_a=False)
    if info < 0:  # pragma: no cover
        raise ValueError(f"illegal value in argument {-info} of internal {kind}")
    return factors, np.asarray(ipiv, dtype=np.int64), int(info), f"LAPACK {kind}"
