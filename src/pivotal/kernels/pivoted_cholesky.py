"""Pivoted (rank-revealing) Cholesky of Hermitian positive semidefinite matrices.

For a Hermitian positive semidefinite ``A`` of order ``n`` the kernels
compute a permutation ``perm`` and a lower trapezoidal ``L`` of shape
``(n, r)`` such that::

    A[perm][:, perm] ~= L @ L^H

choosing at each step the largest remaining diagonal entry of the Schur
complement as the pivot (diagonal, or "complete", pivoting), as LAPACK's
``DPSTRF``/``ZPSTRF`` do.  The diagonal of ``L`` is then non-increasing, the
factorization stops as soon as the remaining diagonal is negligible, and
``r`` is the numerical rank.

Algorithm
---------
The left-looking variant that keeps the updated diagonal (``DPSTF2``): at
step ``k`` with pivot ``p`` (the largest entry of the updated diagonal
``d``), swap ``k`` and ``p``, then::

    L[k, k]    = sqrt(d[k])
    L[k+1:, k] = (A[perm[k+1:], perm[k]] - L[k+1:, :k] @ conj(L[k, :k])) / L[k, k]
    d[k+1:]   -= |L[k+1:, k]|^2

It reads one column of ``A`` per step, so it needs ``O(n r)`` memory and
``O(n r^2)`` flops and never forms the trailing matrix: ``A`` may be given
implicitly, by its diagonal and a function returning its columns
(:func:`pivoted_cholesky_columns`; kernel matrices in Gaussian processes).
As in ``DPSTF2`` the updated diagonal is ``diag(A) - (accumulated |L|^2)``,
which makes the pivots non-increasing in floating point too.  The dense
kernel :func:`pivoted_cholesky_kernel` is this algorithm with the columns
read from the lower triangle.

There is no blocked variant: LAPACK's blocked ``DPSTRF`` is right-looking
and updates the whole trailing matrix (``O(n^2 r)`` flops, the full matrix
in memory), which is what the left-looking form avoids; each pivot depends
on the column just computed, so the column updates cannot be aggregated
into matrix products without that trailing matrix.

Stopping and status
-------------------
The factorization stops at the first of:

* ``"complete"``: all ``n`` columns factored (``rank == n``); ``info = 0``.
* ``"rank"``: the requested ``rank`` columns factored (``rank < n``) and
  the checks below found nothing; ``info = 0``.
* ``"tol"``: the largest remaining diagonal entry is at most ``tol`` and
  the checks below found nothing: ``A`` is numerically rank deficient with
  numerical rank ``r``; ``info = 1``.
* ``"not_psd"``: a check below found evidence that ``A`` is not positive
  semidefinite (or holds NaN) beyond the ``r`` factored columns; it is in
  ``failure``; ``info = 1``.

Every early stop (``"rank"`` or ``"tol"``, ``r < n``) checks what it can
afford.  After ``r`` pivots the Schur complement ``S`` of a positive
semidefinite ``A`` is positive semidefinite, so each of these is proof of
the contrary, up to the tolerance ``tau = max(tol, n u max(diag A))`` and
the rounding allowance ``e = 4 (r + 1) u max|a_ii|`` of an entry of ``S``:

* a remaining diagonal entry ``S_ii < -(tau + e)``, or NaN (free: the
  updated diagonal is at hand);
* in the column of ``S`` at the would-be next pivot ``j`` (one more
  ``column`` call and ``O(n r)`` flops, skipped only for ``rank=0``), an
  entry ``|S_ij| > max(sqrt((S_ii+ + e)(S_jj+ + e)), tau + e)``: the 2x2
  minor test that the next step would make;
* when the stop claims ``S ~= 0`` (``"tol"``), the dense
  :func:`pivoted_cholesky_kernel` forms all of ``S`` (``O((n - r)^2 r)``
  flops, at most one Cholesky's) and applies the bound to every entry.
  Pivots alone cannot see ``[[0, 1], [1, 0]]``.

What stays unchecked: the entries of ``S`` outside that column in the
matrix-free form (reading them would cost ``(n - r)^2`` entries of ``A``,
which that form exists to avoid), and the same at a ``"rank"`` stop of the
dense form (``O((n - r)^2 r)`` flops against the ``O(n r^2)`` of the
truncated factorization).  A ``tol`` below ``n u max(diag A)`` (LAPACK's
rounding level) lets the factorization go on through pivots that are
rounding noise; their Schur complements prove nothing, so the checks are
then made after the first such pivot (and a ``"not_psd"`` result keeps only
the columns before it).

``info`` mirrors ``DPSTRF``: 0 when the factorization ran to completion
(here also when it reached the requested rank), 1 when it stopped early
because ``A`` is rank deficient or not positive semidefinite.  The default
``tol`` is ``DPSTRF``'s, ``n * u * max(diag(A))`` with ``u`` the unit
roundoff (0 when no diagonal entry is positive); a negative ``tol`` also
selects the default, as in LAPACK.  Unlike ``DPSTRF``, which skips the
tolerance test at the first step, ``tol`` is applied at every step, so a
``tol >= max(diag(A))`` gives rank 0.

Error of the low-rank approximation
-----------------------------------
For positive semidefinite ``A`` the residual ``R = A[perm][:, perm] - L L^H``
is the Schur complement, itself positive semidefinite and zero in its
first ``r`` rows and columns.  Its diagonal is returned
(``residual_diag``, in pivoted order); its maximum ``residual_max`` bounds
every entry, ``|R_ij| <= sqrt(R_ii R_jj)``, and its sum ``residual_trace`` is
the nuclear (trace) norm of ``R``.  The trace is at least the optimal
``sum(lambda_{r+1:})`` of the eigenvalues of ``A``; for fast decaying
eigenvalues it is usually close to it (Harbrecht, Peters and Schneider 2012
bound it by a factor that grows with ``r``).

References
----------
N. J. Higham, "Analysis of the Cholesky decomposition of a semi-definite
matrix", in *Reliable Numerical Computation*, Oxford University Press, 1990.

C. Lucas, "LAPACK-style codes for level 2 and 3 pivoted Cholesky
factorizations", LAPACK Working Note 161, 2004.

H. Harbrecht, M. Peters and R. Schneider, "On the low-rank approximation by
the pivoted Cholesky decomposition", Appl. Numer. Math. 62(4), 428-440, 2012.

J. R. Gardner, G. Pleiss, D. Bindel, K. Q. Weinberger and A. G. Wilson,
"GPyTorch: blackbox matrix-matrix Gaussian process inference with GPU
acceleration", NeurIPS 2018 (pivoted Cholesky as a preconditioner).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import array_api_compat
import numpy as np

from .._array import (
    backend_name,
    check_int,
    is_complex,
    namespace,
    real_dtype,
    to_numpy,
    unit_roundoff,
    validate_matrix,
    working_dtype,
)

__all__ = [
    "STOP_REASONS",
    "PivotedCholeskyResult",
    "pivoted_cholesky_columns",
    "pivoted_cholesky_kernel",
]

STOP_REASONS = ("complete", "rank", "tol", "not_psd")


@dataclass
class PivotedCholeskyResult:
    """Factor, permutation and status of a pivoted Cholesky factorization.

    Attributes
    ----------
    L : (n, rank) array
        Lower trapezoidal factor, same backend and device as the input:
        ``A[perm][:, perm] ~= L @ L^H``, with a real, positive and
        non-increasing diagonal.
    perm : (n,) numpy.ndarray of int
        The full permutation (host memory); ``perm[:rank]`` are the pivots in
        the order they were chosen.
    rank : int
        Number of columns factored (the numerical rank when ``info == 1``
        with ``stop_reason == "tol"``).
    info : int
        ``DPSTRF``'s convention: 0 when all columns, or the requested
        ``rank``, were factored; 1 when the factorization stopped early
        (rank deficient or not positive semidefinite).
    stop_reason : str
        ``"complete"``, ``"rank"``, ``"tol"`` or ``"not_psd"`` (see the module
        notes).
    tol : float
        The tolerance used.
    residual_diag : (n - rank,) array
        Diagonal of the Schur complement ``A[perm][:, perm] - L L^H`` in rows
        ``rank:`` (the first ``rank`` are zero), real, in the backend of ``L``.
    residual_max : float
        ``max(residual_diag)`` (0 when empty): for positive semidefinite
        ``A`` a bound on every entry of the residual.
    residual_trace : float
        ``sum(residual_diag)``: for positive semidefinite ``A`` the trace
        (nuclear) norm of the residual.
    failure : str or None
        With ``stop_reason == "not_psd"``: the evidence, e.g. which entry of
        the Schur complement violates positive semidefiniteness.
    """

    L: Any
    perm: np.ndarray
    rank: int
    info: int
    stop_reason: str
    tol: float
    residual_diag: Any
    residual_max: float
    residual_trace: float
    failure: str | None = None


def _swap(x: Any, i: int, j: int) -> None:
    """Swap entries (or rows) ``i`` and ``j`` of ``x`` in place."""
    x[[i, j], ...] = x[[j, i], ...]


def pivoted_cholesky_columns(
    diag: Any,
    column: Callable[[int], Any],
    n: int,
    *,
    rank: int | None = None,
    tol: float | None = None,
    like: Any = None,
    dtype: Any = None,
) -> PivotedCholeskyResult:
    """Pivoted Cholesky of a Hermitian PSD matrix given by its diagonal and columns.

    The matrix-free form: ``A`` is never formed, and ``column`` is called
    once per factored column, with the pivot's index (not for the last
    column of a complete factorization, which needs no entries below the
    diagonal), and once more when the factorization stops early, for the
    column of the would-be next pivot: it checks that the rest of ``A`` is
    consistent with positive semidefiniteness (module notes).  Never when
    ``rank == 0``.

    Parameters
    ----------
    diag : (n,) array
        The diagonal of ``A`` (its real part is used).
    column : callable
        ``column(i)`` returns column ``i`` of ``A`` (0-based, original
        order) as an array of shape ``(n,)``, of the backend and device of
        ``like``.  Only the entries in rows not yet pivoted are used.
    n : int
        Order of ``A``.
    rank : int, optional
        Largest number of columns to compute (default ``n``).
    tol : float, optional
        Stop when the largest remaining diagonal entry is ``<= tol``
        (absolute).  Default (and for negative ``tol``):
        ``n * u * max(diag)``, LAPACK ``DPSTRF``'s, with ``u`` the unit
        roundoff of ``dtype`` (of ``diag`` if ``dtype`` is not given).
    like : array, optional
        An array whose backend and device ``L`` uses; default: ``diag``'s.
        ``diag`` is converted to it.
    dtype : dtype, optional
        dtype of ``L`` (of the backend of ``like``).  Default: the working
        dtype of the first column and ``diag`` promoted together.

    Returns
    -------
    PivotedCholeskyResult
        See the module notes for ``info`` and ``stop_reason``.

    Raises
    ------
    ValueError
        Negative ``n`` or ``rank``, NaN ``tol``, ``diag`` of the wrong shape,
        or ``column`` returning the wrong shape.

    References
    ----------
    .. [1] C. Lucas, "LAPACK-style codes for level 2 and 3 pivoted Cholesky
       factorizations", LAPACK Working Note 161, 2004.
    .. [2] H. Harbrecht, M. Peters and R. Schneider, "On the low-rank
       approximation by the pivoted Cholesky decomposition", Appl. Numer.
       Math. 62(4), 428-440, 2012.

    Examples
    --------
    A rank-4 approximation of a Gaussian kernel matrix whose entries are
    computed on demand:

    >>> import numpy as np
    >>> from pivotal.kernels.pivoted_cholesky import pivoted_cholesky_columns
    >>> x = np.linspace(0.0, 1.0, 50)
    >>> col = lambda i: np.exp(-((x - x[i]) ** 2))
    >>> res = pivoted_cholesky_columns(np.ones(50), col, 50, rank=4)
    >>> res.L.shape, res.rank, res.info, res.stop_reason
    ((50, 4), 4, 0, 'rank')
    >>> K = np.exp(-((x[:, None] - x[None, :]) ** 2))
    >>> p = res.perm
    >>> err = np.abs(K[p][:, p] - res.L @ res.L.T).max()
    >>> bool(err < 1e-3), bool(res.residual_max < 1e-3)  # residual_max bounds err
    (True, True)
    """
    return _pivoted_cholesky(diag, column, n, rank=rank, tol=tol, like=like, dtype=dtype)


def _pivoted_cholesky(
    diag: Any,
    column: Callable[[int], Any],
    n: int,
    *,
    rank: int | None,
    tol: float | None,
    like: Any,
    dtype: Any,
    schur_check: Callable[..., str | None] | None = None,
) -> PivotedCholeskyResult:
    """:func:`pivoted_cholesky_columns`; ``schur_check`` is the dense kernel's full Schur complement test."""
    n = check_int(n, "n")
    rmax = check_int(rank, "rank", allow_none=True)
    rmax = n if rmax is None else min(rmax, n)
    if tol is not None:
        tol = float(tol)
        if math.isnan(tol):
            raise ValueError("tol must be a number, got NaN; pass tol=None for the default")

    # Backend, device and the diagonal in it.
    ref = like if like is not None else diag
    if backend_name(ref) == "jax":
        raise TypeError("JAX arrays are immutable; pivoted Cholesky needs NumPy or PyTorch.")
    xp = namespace(ref)
    device = array_api_compat.device(ref) if backend_name(ref) != "numpy" else None
    if backend_name(diag) != backend_name(ref):
        diag = to_numpy(diag)
    if backend_name(diag) == "numpy":
        diag = np.asarray(diag)
    if backend_name(ref) == "torch":
        import torch

        diag = torch.as_tensor(diag, device=ref.device)
    if tuple(diag.shape) != (n,):
        raise ValueError(f"diag must have shape ({n},), got {tuple(diag.shape)}")
    if is_complex(diag.dtype):
        diag = xp.real(diag)
    ddtype = working_dtype(diag) if dtype is None else real_dtype(dtype)
    # Working copies in pivoted order: the diagonal and the accumulated |L|^2.
    dpos = xp.astype(diag, ddtype, copy=True)
    work = xp.zeros((n,), dtype=ddtype, device=device)
    perm = np.arange(n)
    # A device copy of perm for the gathers (torch.asarray would share perm's memory).
    perm_dev = perm
    if backend_name(ref) != "numpy":
        perm_dev = xp.asarray(perm, device=device, copy=True)

    # LAPACK's default tolerance n u max(diag A): the rounding level of the pivots.
    dmax0 = float(xp.max(dpos)) if n else 0.0
    tol_round = n * unit_roundoff(dtype if dtype is not None else ddtype) * dmax0 if dmax0 > 0 else 0.0
    if tol is None or tol < 0:
        tol = tol_round

    L = None
    if dtype is not None:
        L = xp.zeros((n, rmax), dtype=dtype, device=device)
    cplx = dtype is not None and is_complex(dtype)

    r = 0
    reason = "complete" if rmax == n else "rank"
    k_round = None  # the first step whose pivot candidate is at the rounding level
    while r < rmax:
        k = r
        d = dpos[k:] - work[k:]
        rel = int(xp.argmax(d))  # NaN is selected (and then stops) by NumPy and PyTorch
        ajj = float(d[rel])
        if k_round is None and not ajj > tol_round:
            k_round = k
        if not ajj > tol:
            reason = "tol"
            break
        p = k + rel
        if p != k:
            _swap(dpos, k, p)
            _swap(work, k, p)
            perm[[k, p]] = perm[[p, k]]
            if perm_dev is not perm:
                _swap(perm_dev, k, p)
            if k and L is not None:
                _swap(L[:, :k], k, p)
        ajj = math.sqrt(ajj)
        if L is None or k + 1 < n:
            col = column(int(perm[k]))
            if tuple(col.shape) not in ((n,), (n, 1)):
                raise ValueError(
                    f"column({int(perm[k])}) returned shape {tuple(col.shape)}; "
                    f"it must return column {int(perm[k])} of A with shape ({n},)."
                )
            col = xp.reshape(col, (n,))
            if L is None:
                dt = working_dtype(xp.empty((0,), dtype=xp.result_type(col.dtype, ddtype)))
                L = xp.zeros((n, rmax), dtype=dt, device=device)
                cplx = is_complex(dt)
                if real_dtype(dt) != ddtype:
                    dpos = xp.astype(dpos, real_dtype(dt))
                    work = xp.astype(work, real_dtype(dt))
        L[k, k] = ajj
        if k + 1 < n:
            c = xp.take(col, perm_dev[k + 1 :], axis=0)
            if c.dtype != L.dtype:
                c = xp.astype(c, L.dtype)
            if k:
                lk = L[k, :k]
                c = c - L[k + 1 :, :k] @ (xp.conj(lk) if cplx else lk)
            c = c / ajj
            L[k + 1 :, k] = c
            work[k + 1 :] += (xp.real(c) ** 2 + xp.imag(c) ** 2) if cplx else c * c
        r += 1

    if L is None:
        L = xp.zeros((n, rmax), dtype=ddtype, device=device)
    residual = dpos[r:] - work[r:]
    failure = None
    if r < n:  # an early stop: is the rest of A consistent with positive semidefiniteness?
        check = _PSDCheck(dpos, work, L, perm, perm_dev, max(tol, tol_round), float(xp.max(xp.abs(dpos))), r)
        kc = r if k_round is None else min(r, k_round)
        failure = check.verdict(
            kc,
            column if rmax > 0 else None,  # rank=0 asks for no column at all
            schur_check if (reason == "tol" or kc < r) else None,
        )
        if failure is not None:
            reason = "not_psd"
            if kc < r:  # the pivots after kc were rounding noise: report what was sound
                r, residual = kc, check.diagonal_after(kc)
    if r < rmax:
        L = xp.asarray(L[:, :r], copy=True)
    if r < n:
        residual_max = float(xp.max(residual))
        residual_trace = float(xp.sum(residual))
    else:
        residual_max = residual_trace = 0.0
    info = 0 if reason in ("complete", "rank") else 1
    return PivotedCholeskyResult(
        L=L,
        perm=perm,
        rank=r,
        info=info,
        stop_reason=reason,
        tol=float(tol),
        residual_diag=residual,
        residual_max=residual_max,
        residual_trace=residual_trace,
        failure=failure,
    )


def _rounding_allowance(r: int, dtype: Any, diag_scale: float) -> float:
    """``4 (r + 1) u max|a_ii|``: the rounding error of a Schur complement entry after ``r`` pivots.

    ``S_ij = a_ij - sum_k l_ik conj(l_jk)`` sums ``r + 1`` terms, and for a
    positive semidefinite ``A`` the rows of ``L`` have norms at most
    ``sqrt(a_ii)``, so every term is at most ``max|a_ii|``.
    """
    return 4.0 * (r + 1) * unit_roundoff(dtype) * diag_scale


def _negative_diagonal(d: Any, r: int, tol: float, eta: float) -> str | None:
    """Why the remaining diagonal ``d`` of the Schur complement after ``r`` pivots is not PSD, or None.

    A positive semidefinite Schur complement has a nonnegative diagonal; an
    entry below ``-(tol + eta)`` (``eta`` the rounding allowance), or NaN,
    is proof that ``A`` is not positive semidefinite (or holds NaN).
    """
    xp = namespace(d)
    if not d.shape[0]:
        return None
    dmin = float(xp.min(d))
    if math.isnan(dmin) or bool(xp.any(xp.isnan(d))):
        return f"the Schur complement has a NaN diagonal entry after {r} pivots"
    if dmin < -(tol + eta):
        return (
            f"the Schur complement has the diagonal entry {dmin:.3g} < -(tol + rounding) = "
            f"{-(tol + eta):.3g} after {r} pivots; a positive semidefinite matrix has none below 0"
        )
    return None


def _next_column_violation(
    column: Callable[[int], Any],
    d: Any,
    lr: Any,
    perm: np.ndarray,
    perm_dev: Any,
    tol: float,
    eta: float,
) -> str | None:
    """Check the Schur complement column of the next pivot after an early stop; the evidence or None.

    After ``r`` pivots (``lr = L[:, :r]``, ``d`` the remaining diagonal), the
    column ``s`` of ``S`` at the largest remaining diagonal entry ``j`` is
    ``A[perm[r:], perm[r + j]] - L[r:, :r] conj(L[r + j, :r])``.  Positive
    semidefiniteness bounds ``|s_i| <= sqrt(S_ii S_jj)``; allowing ``eta``
    for the rounding errors of ``S`` and the tolerance (entries up to ``tol``
    count as zero, as at a ``"tol"`` stop), an entry with
    ``|s_i| > max(sqrt((d_i+ + eta)(d_j+ + eta)), tol + eta)`` (``d+`` the
    positive part) is proof that ``A`` is not positive semidefinite.  The
    column is the one the next step would read: this is the 2x2 minor test
    that step would make on its diagonal update, made without factoring.
    """
    xp = namespace(d)
    n, r = perm.shape[0], lr.shape[1]
    j = int(xp.argmax(d))
    pj = int(perm[r + j])
    col = xp.reshape(column(pj), (n,))
    s = xp.take(col, perm_dev[r:], axis=0)
    if r:
        lj = lr[r + j, :]
        s = s - lr[r:, :] @ (xp.conj(lj) if is_complex(lr.dtype) else lj)
    dpos = xp.where(d > 0, d, xp.zeros_like(d))
    limit = xp.sqrt(dpos + eta) * xp.sqrt(dpos[j] + eta)  # no overflow for huge diagonals
    limit = xp.where(limit > tol + eta, limit, xp.zeros_like(limit) + (tol + eta))
    bad = ~(xp.abs(s) <= limit)  # NaN too
    bad[j] = False  # the diagonal entry itself
    if not bool(xp.any(bad)):
        return None
    i = int(xp.argmax(xp.astype(bad, xp.int8)))
    pi = int(perm[r + i])
    first, second = sorted((pi, pj))
    return (
        f"after {r} pivots the Schur complement entry for rows/columns ({first}, {second}) of A is "
        f"{float(xp.abs(s[i])):.3g} > max(sqrt((S_ii + e)(S_jj + e)), tol + e) = {float(limit[i]):.3g} "
        f"(e = {eta:.2g} allows for rounding); a positive semidefinite matrix has |S_ij| <= sqrt(S_ii S_jj)"
    )


class _PSDCheck:
    """The evidence against positive semidefiniteness that an early stop gathers cheaply.

    After ``r`` pivots the Schur complement ``S`` of a positive semidefinite
    ``A`` is positive semidefinite.  Its diagonal is known (free); one more
    column of ``A`` gives the column of ``S`` at the would-be next pivot
    (``O(n r)``); the dense kernel can form all of ``S`` (``schur_check``,
    ``O((n - r)^2 r)``, only when ``S ~= 0`` is claimed).  The tolerance is
    ``max(tol, n u max(diag A))``: a ``tol`` below LAPACK's rounding level
    lets the factorization go on through pivots that are rounding noise,
    whose Schur complements prove nothing, so the verdict is then taken
    after ``kc`` pivots, the first of those (``kc < r``).
    """

    def __init__(self, dpos, work, L, perm, perm_dev, tol: float, diag_scale: float, r: int):
        self.dpos, self.work, self.L, self.perm, self.perm_dev = dpos, work, L, perm, perm_dev
        self.tol, self.diag_scale, self.r = tol, diag_scale, r

    def diagonal_after(self, k: int) -> Any:
        """Diagonal of the Schur complement after ``k <= r`` pivots, rows ``k:`` in pivoted order."""
        if k == self.r:
            return self.dpos[k:] - self.work[k:]
        xp = namespace(self.dpos)
        lk = self.L[k:, :k]
        sq = (xp.real(lk) ** 2 + xp.imag(lk) ** 2) if is_complex(lk.dtype) else lk * lk
        return self.dpos[k:] - xp.astype(xp.sum(sq, axis=1), self.dpos.dtype)

    def verdict(self, kc: int, column, schur_check) -> str | None:
        """The evidence after ``kc`` pivots, or None."""
        d = self.diagonal_after(kc)
        eta = _rounding_allowance(kc, self.L.dtype, self.diag_scale)
        failure = _negative_diagonal(d, kc, self.tol, eta)
        if failure is None and column is not None:
            failure = _next_column_violation(
                column, d, self.L[:, :kc], self.perm, self.perm_dev, self.tol, eta
            )
        if failure is None and schur_check is not None:
            failure = schur_check(self.L[:, :kc], self.perm, self.tol + eta, self.tol)
        return failure


def pivoted_cholesky_kernel(
    a: Any,
    *,
    rank: int | None = None,
    tol: float | None = None,
) -> PivotedCholeskyResult:
    """Pivoted Cholesky of the Hermitian PSD matrix stored in the lower triangle of ``a``.

    Only the lower triangle (diagonal included; the imaginary part of the
    diagonal is ignored) is read, so the strict upper triangle may hold
    anything, NaN included.  ``a`` is not modified: each step reads one
    column (``O(n r)`` memory besides ``a``).  Integer and half-precision
    input is promoted to the working dtype (a copy of ``a``).

    Parameters
    ----------
    a : (n, n) array
        NumPy array or PyTorch tensor.
    rank : int, optional
        Largest number of columns to compute (default ``n``).
    tol : float, optional
        Absolute stopping tolerance on the largest remaining diagonal entry.
        Default (and for negative ``tol``): ``n * u * max(diag(a))``, as in
        LAPACK ``DPSTRF``.

    Returns
    -------
    PivotedCholeskyResult
        ``L`` (``(n, rank)``, dtype of ``a``'s working dtype, same backend
        and device), ``perm``, ``rank``, ``info`` (0: complete or requested
        rank reached; 1: stopped by ``tol`` or not positive semidefinite),
        ``stop_reason`` and the residual diagonal; see the module notes.

    Raises
    ------
    ValueError
        ``a`` not a square 2-D array, negative ``rank`` or NaN ``tol``.

    See Also
    --------
    pivoted_cholesky_columns : the matrix-free form this kernel calls.

    References
    ----------
    .. [1] N. J. Higham, "Analysis of the Cholesky decomposition of a
       semi-definite matrix", in *Reliable Numerical Computation*, Oxford
       University Press, 1990.
    .. [2] C. Lucas, "LAPACK-style codes for level 2 and 3 pivoted Cholesky
       factorizations", LAPACK Working Note 161, 2004.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.kernels.pivoted_cholesky import pivoted_cholesky_kernel
    >>> B = np.array([[1.0, 0.0], [2.0, 1.0], [0.0, 3.0], [1.0, 1.0]])
    >>> A = B @ B.T                      # 4 x 4, rank 2
    >>> res = pivoted_cholesky_kernel(A)
    >>> res.rank, res.info, res.stop_reason
    (2, 1, 'tol')
    >>> p = res.perm
    >>> bool(np.allclose(A[p][:, p], res.L @ res.L.T))
    True
    >>> np.diag(res.L)                   # non-increasing pivots
    array([3., 2.])
    """
    a = validate_matrix(a, square=True, check_finite=False, batch=False)
    if backend_name(a) == "jax":
        raise TypeError("JAX arrays are immutable; pivoted Cholesky needs NumPy or PyTorch.")
    xp = namespace(a)
    dt = working_dtype(a)
    if a.dtype != dt:
        a = xp.astype(a, dt)
    cplx = is_complex(dt)
    n = a.shape[0]
    diag = xp.linalg.diagonal(a)
    if cplx:
        diag = xp.real(diag)

    def column(j: int):
        # Column j of the Hermitian matrix from the lower triangle:
        # rows < j are conj(a[j, :j]), rows >= j are a[j:, j].
        upper = a[j, :j]
        return xp.concat((xp.conj(upper) if cplx else upper, a[j:, j]))

    def schur_check(lk: Any, perm: np.ndarray, limit: float, tol: float) -> str | None:
        return _schur_complement_violation(a, lk, perm, limit, tol)

    return _pivoted_cholesky(diag, column, n, rank=rank, tol=tol, like=a, dtype=dt, schur_check=schur_check)


def _schur_complement_violation(a: Any, lk: Any, perm: np.ndarray, limit: float, tol: float) -> str | None:
    """Why the Schur complement ``S`` after the pivots of ``lk`` is not positive semidefinite, or None.

    Called when the factorization claims ``S ~= 0``: every diagonal entry is
    at most ``tol``.  For a positive semidefinite ``S`` that bounds every
    entry, ``|S_ij| <= sqrt(S_ii S_jj) <= tol``, so an entry with
    ``|S_ij| > limit = tol + 4 (r + 1) u max_i |a_ii|`` proves ``A``
    indefinite (the second term covers the rounding errors in
    ``S = A_22 - L_2 L_2^H``, whose rows of ``L`` have norms at most
    ``sqrt(a_ii)``).  Diagonal pivoting alone cannot see this:
    ``[[0, 1], [1, 0]]`` has no positive pivot and no negative one.  ``S``
    is formed by panels of about 2M entries, reading the lower triangle of
    ``a`` only: ``O((n - r)^2 r)`` flops, at most those of one Cholesky
    factorization, and one pass over ``a``.  ``lk`` is ``L[:, :r]`` with its
    rows in the order of ``perm``.
    """
    xp = namespace(a)
    n, r = a.shape[0], lk.shape[1]
    cplx = is_complex(a.dtype)
    device = array_api_compat.device(a) if backend_name(a) != "numpy" else None
    q = xp.asarray(perm[r:].copy(), device=device)
    rows = xp.arange(n, device=device)[:, None]
    l2 = lk[r:, :]
    nb = max(1, (1 << 21) // max(n, 1))
    for j0 in range(0, n - r, nb):
        cols = q[j0 : j0 + nb]
        lower = xp.take(a, cols, axis=1)  # a[i, c], right for i >= c
        upper = xp.take(a, cols, axis=0).T  # a[c, i], to conjugate for i < c
        panel = xp.where(rows >= cols[None, :], lower, xp.conj(upper) if cplx else upper)
        s = xp.take(panel, q, axis=0)  # the Hermitian A[q][:, cols]
        if r:
            lc = l2[j0 : j0 + nb, :]
            s = s - l2 @ (xp.conj(lc).T if cplx else lc.T)
        worst = xp.max(xp.abs(s))
        if not float(worst) <= limit:  # also NaN
            flat = int(xp.argmax(xp.reshape(xp.abs(s), (-1,))))
            i, c = divmod(flat, s.shape[1])
            pi, pc = int(perm[r + i]), int(perm[r + j0 + c])
            return (
                f"after {r} pivots every remaining diagonal entry is at most tol = {tol:.3g}, but the "
                f"Schur complement entry for rows/columns ({pi}, {pc}) of A is {float(worst):.3g} > "
                f"{limit:.3g}; a positive semidefinite matrix has |S_ij| <= sqrt(S_ii S_jj)"
            )
    return None
