"""The direct least-squares solvers behind :func:`pivotal.lstsq` and the sketch solver's fallbacks.

Each solver takes a 2-D ``a`` (m, n) and ``b`` (m, k) of one working dtype,
already scaled into the safe range by the caller (:mod:`pivotal._scaling`),
and returns an :class:`LstsqSolution`.  They sit below both
:mod:`pivotal.least_squares` and :mod:`pivotal.randomized`, which share
them (the minimum-norm fallback of the sketch solver is the ``"qr_svd"``
solver here).

=============== ==========================================================
``svd``         SVD of ``A``: minimum norm, rank by ``cond``.
``qr_svd``      Householder QR, then the SVD of the small ``R`` (Chan's
                R-SVD, for ``m >= n``): the same answer as ``svd``.
``qr``          Householder QR; assumes full rank (warns when ``R`` says
                otherwise).
``qrcp``        QR with column pivoting, rank by incremental condition
                estimation (LAPACK ``xGELSY``'s rule), complete orthogonal
                decomposition: minimum norm.
``normal``      Cholesky of ``A^H A``, for comparison (warns when squaring
                the condition number loses half the digits).
=============== ==========================================================
"""

from __future__ import annotations

import warnings
from typing import Any, NamedTuple

from ._array import (
    backend_name,
    conj_transpose,
    namespace,
    to_float,
    unit_roundoff,
    working_copy,
)
from ._backends import get_backend
from .errors import IllConditionedWarning, LinAlgWarning, NotPositiveDefiniteError, SingularMatrixError

__all__ = [
    "LstsqSolution",
    "rank_from_s",
    "solve_normal",
    "solve_qr",
    "solve_qr_svd",
    "solve_qrcp",
    "solve_svd",
    "svd_solve",
]


class LstsqSolution(NamedTuple):
    """``x`` (n, k), the rank, the singular values (or None) and the squared residual norms.

    ``residues`` is None when the solver did not get them for free; the
    caller then computes them from ``b - A x`` where they are defined.
    """

    x: Any
    rank: int
    s: Any = None
    residues: Any = None


def _vendor_or_householder(a: Any) -> str:
    return "vendor" if backend_name(a) == "numpy" else "householder"


def svd_solve(u: Any, s: Any, vh: Any, b: Any, rank: int) -> Any:
    """``x = V_r diag(1/s_r) U_r^H b`` for the leading ``rank`` singular triplets."""
    xp = namespace(b)
    c = conj_transpose(u[:, :rank]) @ b
    c = c / xp.reshape(xp.astype(s[:rank], c.dtype), (rank, 1))
    return conj_transpose(vh[:rank, :]) @ c


def rank_from_s(s: Any, cond: float) -> int:
    """The number of singular values ``s_i > cond * s_0`` (``s`` descending)."""
    xp = namespace(s)
    if s.shape[0] == 0:
        return 0
    smax = to_float(s[0])
    return int(to_float(xp.sum(xp.astype(s > cond * smax, xp.int64)))) if smax > 0 else 0


def solve_svd(a: Any, b: Any, cond: float) -> LstsqSolution:
    """Minimum-norm solution from the SVD of ``a``."""
    u, s, vh = namespace(a).linalg.svd(a, full_matrices=False)
    rank = rank_from_s(s, cond)
    return LstsqSolution(svd_solve(u, s, vh, b, rank), rank, s)


def solve_qr_svd(a: Any, b: Any, cond: float) -> LstsqSolution:
    """``A = Q R`` (Householder), then the SVD of the small ``R`` (Chan 1982); ``m >= n``.

    The residues come free when ``A`` has full rank: ``||b - A x||^2 =
    ||(Q^H b)[n:]||^2``, without forming the residual.
    """
    from .factorizations.qr import qr_compute
    from .kernels.householder import apply_q

    xp = namespace(a)
    n = a.shape[1]
    comp = qr_compute(a, _vendor_or_householder(a))
    y = working_copy(b, dtype=a.dtype)
    apply_q(comp.qr, comp.tau, y, side="left", trans=True)  # the full Q^H b
    u, s, vh = xp.linalg.svd(xp.triu(comp.qr[:n, :]), full_matrices=False)
    rank = rank_from_s(s, cond)
    x = svd_solve(u, s, vh, y[:n, :], rank)
    residues = xp.sum(xp.abs(y[n:, :]) ** 2, axis=0) if rank == n else None
    return LstsqSolution(x, rank, s, residues)


def solve_qr(a: Any, b: Any, cond: float, *, stacklevel: int = 2) -> LstsqSolution:
    """Householder QR of ``A`` (``m >= n``) or of ``A^H`` (minimum norm, ``m < n``); full rank assumed.

    Raises :class:`SingularMatrixError` when ``R`` has an exactly zero
    diagonal entry, and warns (:class:`IllConditionedWarning`) when its
    condition estimate is below ``cond``.
    """
    from .factorizations.qr import QR
    from .kernels.triangular import first_zero_diagonal

    m, n = a.shape
    tall = m >= n
    F = QR(a if tall else conj_transpose(a), method=_vendor_or_householder(a), check_finite=False)
    r = F.R[:, : min(m, n)]
    zero = first_zero_diagonal(r)
    if zero is not None:
        raise SingularMatrixError(
            zero,
            f"cannot solve the least-squares problem: R[{zero}, {zero}] is exactly zero, so A is "
            "rank deficient. Use method='qrcp' or 'svd' for the minimum-norm solution.",
        )
    if tall:
        y = working_copy(F.apply_q(b, trans=True), dtype=a.dtype)
        get_backend(y).trsm_inplace(r, y, lower=False)
        x = y
    else:  # A = R^H Q^H: x = Q R^{-H} b
        y = working_copy(b, dtype=a.dtype)
        get_backend(y).trsm_inplace(r, y, lower=False, trans=2)
        x = F.apply_q(y)
    rc = F.rcond()
    if rc < cond:
        warnings.warn(
            IllConditionedWarning(
                rc,
                f"R is (nearly) rank deficient (rcond={rc:.3g} < cond={cond:.3g}); the QR "
                "solution is not the minimum-norm one. Use method='qrcp' or 'svd'.",
            ),
            stacklevel=stacklevel + 1,
        )
    return LstsqSolution(x, min(m, n))


def solve_qrcp(a: Any, b: Any, cond: float) -> LstsqSolution:
    """QR with column pivoting and a complete orthogonal decomposition (LAPACK ``xGELSY``).

    The rank is the largest ``k`` whose leading block ``R_11`` has an
    estimated condition number below ``1 / cond`` (incremental condition
    estimation, :func:`pivotal.kernels.qrcp.incremental_rank`), not the
    count of ``|R_kk| > cond |R_00|``, which overestimates it.
    """
    from .factorizations.qr import QRPivoted
    from .kernels.qrcp import incremental_rank

    m, n = a.shape
    k = min(m, n)
    F = QRPivoted(a, check_finite=False)
    F.rank = incremental_rank(F.R[:k, :k], cond)
    return LstsqSolution(F.lstsq(b), F.rank)


def solve_normal(a: Any, b: Any, cond: float, *, stacklevel: int = 2) -> LstsqSolution:
    """Cholesky of the normal equations ``A^H A x = A^H b`` (squares the condition number)."""
    from .factorizations.cholesky import Cholesky

    ah = conj_transpose(a)
    G = Cholesky(ah @ a, lower=True, check=False, check_finite=False)
    if not G.issuccess():
        raise NotPositiveDefiniteError(
            G.info - 1,
            "the normal equations A^H A are not numerically positive definite (A is "
            "rank deficient or kappa(A)^2 exceeds 1/eps); use method='qrcp' or 'svd'.",
        )
    eps = 2 * unit_roundoff(a.dtype)
    rc = G.rcond()
    if rc < eps**0.5:
        warnings.warn(
            LinAlgWarning(
                f"normal equations square the condition number: rcond(A^H A) = {rc:.3g}, "
                f"so expect a relative error near {eps / max(rc, 1e-300):.1g}; use method='qr'."
            ),
            stacklevel=stacklevel + 1,
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IllConditionedWarning)
        x = G.solve(ah @ b, check_finite=False)
    return LstsqSolution(x, a.shape[1])
