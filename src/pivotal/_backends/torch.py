"""PyTorch backend: ``torch.linalg`` on CPU or CUDA."""

from __future__ import annotations

import math

import torch

from .._permutations import ipiv_to_perm

name = "torch"


def _op(t, trans):
    if trans == 1:
        return t.mT
    if trans == 2:
        return t.mH
    return t


def _trsm(t, b, *, lower, trans=0, unit_diagonal=False, side="left"):
    """Triangular solve with several right-hand sides; returns a new tensor."""
    if t.shape[0] == 0 or b.numel() == 0:
        return b.clone()
    upper = (not lower) if trans == 0 else bool(lower)
    return torch.linalg.solve_triangular(
        _op(t, trans), b, upper=upper, left=(side == "left"), unitriangular=bool(unit_diagonal)
    )


def trsm_inplace(t, b, *, lower, trans=0, unit_diagonal=False, side="left"):
    """Overwrite ``b`` with the solution of ``op(t) x = b`` (or ``x op(t) = b``)."""
    b.copy_(_trsm(t, b, lower=lower, trans=trans, unit_diagonal=unit_diagonal, side=side))
    return b


def gemm_update(c, a, b):
    """``c <- c - a @ b`` in place."""
    c.sub_(a @ b)
    return c


def ger_update(c, x, y):
    """``c <- c - outer(x, y)`` in place (rank-1 update, no conjugation)."""
    c.sub_(torch.outer(x, y))
    return c


def herk_update(c, a):
    """``c <- c - a @ a^H`` in place (the whole block)."""
    c.sub_(a @ a.mH)
    return c


def vendor_getrf(a):
    """``torch.linalg.lu_factor_ex``: ``(lu, perm, info)`` with ``a[perm] = L U`` (perm on the host)."""
    lu, pivots, info = torch.linalg.lu_factor_ex(a)
    return lu, ipiv_to_perm((pivots - 1).cpu().numpy(), a.shape[0]), int(info)


def vendor_potrf(a, lower):
    """``torch.linalg.cholesky_ex``; returns ``(factor, info)``."""
    c, info = torch.linalg.cholesky_ex(a, upper=not lower)
    return c, int(info)


def vendor_sytrf(a, lower, hermitian):
    """``torch.linalg.ldl_factor_ex`` (lower triangle only).

    Returns ``(factors, ipiv, info, name)`` with LAPACK's 1-based ``ipiv`` on the host.
    Raises ``NotImplementedError`` for the upper triangle, which torch does not offer.
    """
    if not lower:
        raise NotImplementedError("torch.linalg.ldl_factor factors the lower triangle only")
    factors, pivots, info = torch.linalg.ldl_factor_ex(a, hermitian=bool(hermitian))
    return factors, pivots.cpu().numpy().astype("int64"), int(info), "torch.linalg.ldl_factor"


def vendor_geqrf(a):
    """``torch.geqrf``: ``(qr, tau)`` in LAPACK's compact Householder layout."""
    qr, tau = torch.geqrf(a)
    return qr, tau


def vendor_orgqr(qr, tau, ncols):
    """``torch.linalg.householder_product``: the first ``ncols`` columns of ``Q`` (``ncols <= m``)."""
    m, n = qr.shape
    k = min(int(tau.shape[0]), ncols)
    if k == 0:
        return torch.eye(m, ncols, dtype=qr.dtype, device=qr.device)
    if ncols <= n:
        a = qr[:, :ncols]
    else:
        a = torch.zeros((m, ncols), dtype=qr.dtype, device=qr.device)
        a[:, :n] = qr
    return torch.linalg.householder_product(a, tau[:k])


def vendor_ormqr(qr, tau, c, *, side="left", trans=False):
    """``torch.ormqr``: ``Q C``, ``Q^H C``, ``C Q`` or ``C Q^H`` as a new tensor."""
    k = int(tau.shape[0])
    if k == 0 or c.numel() == 0:
        return c.clone()
    return torch.ormqr(qr[:, :k], tau, c, left=(side == "left"), transpose=bool(trans))


def vendor_geqp3(a):
    """Not available: PyTorch has no QR with column pivoting."""
    raise NotImplementedError("torch has no QR with column pivoting (LAPACK geqp3); use pivotal.kernels.qrcp")


def matvec(a, x, trans=0):
    """``op(a) @ x`` as a new vector, ``op`` = identity (0), ``^T`` (1) or ``^H`` (2)."""
    return _op(a, trans) @ x


def matmul(a, b):
    """``a @ b`` as a new tensor."""
    return a @ b


def nrm2(x):
    """2-norm of the 1-D tensor ``x`` as a float, without harmful over/underflow.

    The plain ``torch.linalg.vector_norm`` is used when its value is safely
    inside the range where no square can have overflowed or lost accuracy to
    underflow; otherwise ``x`` is rescaled by its largest magnitude first.
    """
    if x.shape[0] == 0:
        return 0.0
    fi = torch.finfo(x.dtype)
    v = float(torch.linalg.vector_norm(x))
    if (fi.tiny**0.5) / fi.eps < v < (fi.max**0.5) * fi.eps:
        return v
    scale = float(x.abs().max())
    if scale == 0.0 or not math.isfinite(scale):
        return scale
    return scale * float(torch.linalg.vector_norm(x / scale))


def iamax(x):
    """Index of the entry of largest modulus of the 1-D ``x`` (the first such; a host int)."""
    return int(torch.argmax(torch.abs(x)))


def cholesky_inverse(l, lower=True):
    """``A^{-1}`` from the Cholesky factor (``A = L L^H``, or ``U^H U``): one ``trsm`` and one GEMM.

    Measured faster than ``torch.cholesky_inverse`` on OpenBLAS CPUs (at n = 2000).
    """
    eye = torch.eye(l.shape[0], dtype=l.dtype, device=l.device)
    inv = torch.linalg.solve_triangular(l, eye, upper=not lower)  # L^{-1} or U^{-1}
    return inv.mH @ inv if lower else inv @ inv.mH


def cholesky_inverse_inplace(f, lower=True):
    """Overwrite the Cholesky factor ``f`` with ``A^{-1}`` and return it (:func:`cholesky_inverse`, copied in)."""
    f.copy_(cholesky_inverse(f, lower=lower))
    return f
