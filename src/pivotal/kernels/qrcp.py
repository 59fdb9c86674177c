"""QR with column pivoting (QRCP, Businger-Golub): ``A[:, perm] = Q R``.

At step ``j`` the remaining column of largest norm (in rows ``j:``) is moved
to position ``j`` before its Householder reflector is computed, so that

``|R[j, j]| >= ||R[j:i+1, i]||``  for all ``i > j``

and in particular ``|R[0, 0]| >= |R[1, 1]| >= ...``: a small trailing block
``R22`` reveals (in practice, not in theory -- see :mod:`.rrqr`) the
numerical rank.  The kernels work on NumPy arrays and PyTorch tensors, real
or complex, any shape, and overwrite their argument with the compact factors
in LAPACK's ``?geqp3`` layout (that of :mod:`.householder`: ``R`` on and
above the diagonal, the Householder vectors below it, ``tau`` apart), so
:func:`~pivotal.kernels.householder.form_q` and
:func:`~pivotal.kernels.householder.apply_q` work on the result.  ``perm`` is
a host NumPy integer array.

Column norms
------------
The norms of the partially reduced columns are not recomputed at each step
but *downdated*: after step ``j``, ``||a_i^{(j+1)}||^2 = ||a_i^{(j)}||^2 -
|r_ji|^2``.  Computed naively this cancels catastrophically once a column
has lost most of its norm, and the pivot choice then rests on noise.
LAPACK's safeguard (``xLAQP2``/``xLAQPS``, Drmač and Bujanović 2008) is
used: ``vn1`` holds the downdated norms and ``vn2`` the norm at the last
exact computation; with

``temp = max(0, 1 - (|r_ji| / vn1_i)^2)`` and ``temp2 = temp (vn1_i / vn2_i)^2``,

the norm is recomputed from scratch whenever ``temp2 <= tol3z = sqrt(u)``
(``u`` the unit roundoff of the working precision; LAPACK's
``sqrt(dlamch('E'))``), since then the downdated value would have lost at
least half of its digits; otherwise ``vn1_i *= sqrt(temp)``.
The number of recomputations is reported in
:attr:`QRCPKernelResult.norm_recomputations`, and
``norm_safeguard=False`` (:func:`qrcp_unblocked`) reproduces the naive
downdating, for experiments.

Algorithms
----------
* :func:`qrcp_unblocked`: one column at a time, the reflector applied to
  the trailing matrix by a matrix-vector product and a rank-1 update
  (LAPACK ``xLAQP2``).  This is ``block_size=1``.
* :func:`qrcp_blocked`: LAPACK ``xGEQP3``/``xLAQPS``.  Within a block of
  ``nb`` columns only the pivot column and the pivot row are brought up to
  date; the updates of the trailing matrix are accumulated in
  ``A_22 -= V F^H`` (``F`` is ``(n - j) x nb``) and applied by one matrix
  product per block.  Half of the flops stay in matrix-vector products
  (each step needs ``A^H v`` for the next pivot row), as in LAPACK.  A block
  also ends early when a norm needs recomputing, which requires the
  updated trailing matrix.  The last ``< 2 nb`` columns are done unblocked.
* :func:`qrcp` dispatches; ``block_size=None`` is the unblocked algorithm
  for small matrices (``m n <= 512^2``) and the blocked one with
  ``nb =`` :data:`DEFAULT_BLOCK_SIZE` beyond, where it is about twice as
  fast (NumPy, 2-core x86 VM: ``n = 2000`` in 1.9x the time of LAPACK's
  ``dgeqp3`` through ``scipy.linalg.qr(pivoting=True)``, the unblocked
  kernel in 4.8x).

Ties in the pivot search go to the first (leftmost) column, as LAPACK's
``idamax``; the two kernels then choose the same pivots up to rounding.

References
----------
.. [1] P. Businger and G. H. Golub, "Linear least squares solutions by
   Householder transformations", Numer. Math. 7, 1965.
.. [2] G. Quintana-Ortí, X. Sun and C. H. Bischof, "A BLAS-3 version of the
   QR factorization with column pivoting", SIAM J. Sci. Comput. 19(5), 1998
   (``xGEQP3``).
.. [3] Z. Drmač and Z. Bujanović, "On the failure of rank-revealing QR
   factorization software -- a case study", ACM Trans. Math. Softw. 35(2),
   2008 (the norm-downdating safeguard).
.. [4] N. J. Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd
   ed., SIAM 2002, sec. 19.8 and 20.x.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._array import finfo, is_complex, namespace, new_zeros, to_numpy, unit_roundoff
from .._backends import get_backend
from .householder import _check_block_size, _ct, _larfg, _nrm2

__all__ = [
    "DEFAULT_BLOCK_SIZE",
    "UNBLOCKED_MAX_SIZE",
    "QRCPKernelResult",
    "column_norms",
    "incremental_rank",
    "numerical_rank",
    "qrcp",
    "qrcp_blocked",
    "qrcp_unblocked",
]

DEFAULT_BLOCK_SIZE = 32
"""Block size of the blocked QRCP by default, LAPACK's ``ilaenv`` value for ``xGEQP3``."""

UNBLOCKED_MAX_SIZE = 512 * 512
"""``block_size=None`` uses the unblocked algorithm when ``m * n`` is at most this."""


@dataclass
class QRCPKernelResult:
    """Result of a QRCP kernel; the compact factors overwrite the input.

    Attributes
    ----------
    tau : array
        ``(min(m, n),)`` reflector scalars, backend and dtype of the input.
    perm : numpy.ndarray
        Host ``int64`` column permutation: ``A[:, perm] = Q R``.
    norm_recomputations : int
        How many partial column norms were recomputed from scratch because
        the downdating safeguard fired.
    """

    tau: Any
    perm: np.ndarray
    norm_recomputations: int


# --------------------------------------------------------------------------- norms


_NORM_CHUNK = 256


def column_norms(a: Any) -> np.ndarray:
    """2-norms of the columns of ``a`` as a host ``float64`` array, safe from overflow.

    Sums of squares are accumulated over row blocks (no temporary of the
    size of ``a``); columns whose result is outside the range where a plain
    sum of squares is exact to rounding (near under- or overflow) are
    recomputed with scaling.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.kernels.qrcp import column_norms
    >>> column_norms(np.array([[3.0, 1e200], [4.0, 1e200]]))
    array([5.00000000e+000, 1.41421356e+200])
    """
    xp = namespace(a)
    m, n = a.shape
    if n == 0:
        return np.zeros(0)
    if m == 0:
        return np.zeros(n)
    cplx = is_complex(a.dtype)
    sumsq = None
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        for i0 in range(0, m, _NORM_CHUNK):
            blk = a[i0 : i0 + _NORM_CHUNK, :]
            sq = xp.real(blk * xp.conj(blk)) if cplx else blk * blk
            part = xp.sum(sq, axis=0)
            sumsq = part if sumsq is None else sumsq + part
    norms = np.sqrt(to_numpy(sumsq).astype(np.float64))
    fi = finfo(a.dtype)
    lo = math.sqrt(float(fi.tiny)) / float(fi.eps)
    hi = math.sqrt(float(fi.max)) * float(fi.eps)
    suspicious = ~((norms > lo) & (norms < hi))
    for j in np.nonzero(suspicious)[0]:
        norms[j] = _nrm2(a[:, int(j)], xp)
    return norms


def _colnorms_of(a: Any, rows: slice, cols: np.ndarray, xp) -> np.ndarray:
    """Norms of ``a[rows, c]`` for the columns ``c`` in ``cols`` (host float64)."""
    return np.array([_nrm2(a[rows, int(c)], xp) for c in cols], dtype=np.float64)


# --------------------------------------------------------------------------- helpers


def _swap_columns(a: Any, i: int, j: int) -> None:
    if i != j:
        if isinstance(a, np.ndarray):
            a[:, [i, j]] = a[:, [j, i]]
        else:
            tmp = a[:, i].clone()
            a[:, i] = a[:, j]
            a[:, j] = tmp


def _swap_rows(a: Any, i: int, j: int) -> None:
    if i != j:
        if isinstance(a, np.ndarray):
            a[[i, j], :] = a[[j, i], :]
        else:
            tmp = a[i, :].clone()
            a[i, :] = a[j, :]
            a[j, :] = tmp


def _host_abs(x: Any) -> np.ndarray:
    return np.abs(to_numpy(x)).astype(np.float64)


def _downdate(
    vn1: np.ndarray, vn2: np.ndarray, row_abs: np.ndarray, cols: slice, tol3z: float, safeguard: bool
) -> np.ndarray:
    """Downdate ``vn1[cols]`` by the new row entries; return the columns to recompute.

    The returned indices are relative to ``cols.start``.
    """
    v1 = vn1[cols]
    v2 = vn2[cols]
    nz = v1 != 0
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(nz, row_abs / np.where(nz, v1, 1.0), 0.0)
        temp = np.maximum((1.0 + ratio) * (1.0 - ratio), 0.0)
        temp2 = temp * np.where(nz, (v1 / np.where(v2 != 0, v2, 1.0)) ** 2, 0.0)
    if safeguard:
        redo = nz & (temp2 <= tol3z)
    else:
        redo = np.zeros_like(nz)
    keep = nz & ~redo
    v1[keep] *= np.sqrt(temp[keep])
    return np.nonzero(redo)[0]


def _pivot(a: Any, j: int, vn1: np.ndarray, vn2: np.ndarray, perm: np.ndarray) -> int:
    """Bring the column of largest ``vn1[j:]`` to position ``j`` (first one on ties)."""
    p = j + int(np.argmax(vn1[j:]))
    if p != j:
        _swap_columns(a, j, p)
        perm[[j, p]] = perm[[p, j]]
        vn1[p] = vn1[j]
        vn2[p] = vn2[j]
    return p


def _init(a: Any):
    xp = namespace(a)
    m, n = a.shape
    tau = new_zeros((min(m, n),), a)
    vn1 = column_norms(a)
    vn2 = vn1.copy()
    perm = np.arange(n, dtype=np.int64)
    tol3z = math.sqrt(unit_roundoff(a.dtype))
    return xp, tau, vn1, vn2, perm, tol3z


# --------------------------------------------------------------------------- unblocked


def _laqp2(
    a: Any,
    j0: int,
    tau: Any,
    perm: np.ndarray,
    vn1: np.ndarray,
    vn2: np.ndarray,
    tol3z: float,
    safeguard: bool,
    xp,
    backend,
) -> int:
    """Unblocked QRCP of ``a[j0:, j0:]`` (``xLAQP2`` with ``offset = j0``); returns #recomputations."""
    m, n = a.shape
    k = min(m, n)
    cplx = is_complex(a.dtype)
    recomputed = 0
    for i in range(j0, k):
        _pivot(a, i, vn1, vn2, perm)
        beta, t = _larfg(a[i, i], a[i + 1 :, i], backend)
        tau[i] = t
        if i + 1 < n:
            if t != 0:
                a[i, i] = 1
                v = a[i:, i]
                c = a[i:, i + 1 :]
                w = backend.matvec(c, xp.conj(v) if cplx else v, 1)  # (v^H C)^T
                backend.ger_update(c, v * (t.conjugate() if cplx else t), w)
            a[i, i] = beta
            redo = _downdate(vn1, vn2, _host_abs(a[i, i + 1 :]), slice(i + 1, n), tol3z, safeguard)
            if redo.shape[0]:
                cols = redo + (i + 1)
                if i + 1 < m:
                    vn1[cols] = _colnorms_of(a, slice(i + 1, m), cols, xp)
                else:
                    vn1[cols] = 0.0
                vn2[cols] = vn1[cols]
                recomputed += int(redo.shape[0])
        else:
            a[i, i] = beta
    return recomputed


def qrcp_unblocked(a: Any, *, norm_safeguard: bool = True) -> QRCPKernelResult:
    """Unblocked QRCP in place (LAPACK ``xLAQP2`` over the whole matrix).

    Parameters
    ----------
    a : (m, n) array, NumPy or PyTorch
        Overwritten with the compact factors of ``A[:, perm]``.
    norm_safeguard : bool, optional
        ``True`` (default): recompute a partial column norm when downdating
        would have lost half of its digits (LAPACK's rule, see the module
        notes).  ``False``: always downdate, the naive textbook formula,
        which can choose wrong pivots; for demonstrations only.

    Returns
    -------
    QRCPKernelResult

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.kernels.qrcp import qrcp_unblocked
    >>> A = np.array([[1.0, 3.0], [0.0, 4.0]])
    >>> res = qrcp_unblocked(A)
    >>> res.perm.tolist(), float(abs(A[0, 0]))
    ([1, 0], 5.0)
    """
    xp, tau, vn1, vn2, perm, tol3z = _init(a)
    redo = _laqp2(a, 0, tau, perm, vn1, vn2, tol3z, bool(norm_safeguard), xp, get_backend(a))
    return QRCPKernelResult(tau, perm, redo)


# --------------------------------------------------------------------------- blocked


def _laqps(
    a: Any,
    j0: int,
    nb: int,
    tau: Any,
    perm: np.ndarray,
    vn1: np.ndarray,
    vn2: np.ndarray,
    tol3z: float,
    xp,
    backend,
) -> tuple[int, int]:
    """One block of ``xLAQPS`` on ``a[:, j0:]`` (offset ``j0``); returns ``(kb, #recomputed)``."""
    m, n = a.shape
    cplx = is_complex(a.dtype)
    nt = n - j0  # columns of the trailing matrix
    f = new_zeros((nt, nb), a)
    lastrk = min(m, n)
    sticky: list[np.ndarray] = []
    kk = 0
    while kk < nb and not sticky:
        g = j0 + kk  # global pivot column
        rk = g  # pivot row
        # pivot: swap columns of A (all rows), rows of F, norms and perm
        p = _pivot(a, g, vn1, vn2, perm)
        if p != g and kk:
            _swap_rows(f[:, :kk], kk, p - j0)
        # apply the previous reflectors of the block to column g:
        # a[rk:, g] -= A[rk:, j0:g] F[kk, :kk]^H
        if kk:
            fk = xp.conj(f[kk, :kk]) if cplx else f[kk, :kk]
            a[rk:, g] -= backend.matvec(a[rk:, j0:g], fk, 0)
        beta, t = _larfg(a[rk, g], a[rk + 1 :, g], backend)
        tau[g] = t
        a[rk, g] = 1
        v = a[rk:, g]
        # F[kk+1:, kk] = tau A[rk:, g+1:]^H v
        if kk + 1 < nt:
            f[kk + 1 :, kk] = backend.matvec(a[rk:, g + 1 :], v, 2) * t
        # F[:, kk] -= tau F[:, :kk] A[rk:, j0:g]^H v
        if kk:
            aux = backend.matvec(a[rk:, j0:g], v, 2) * (-t)
            f[:, kk] += backend.matvec(f[:, :kk], aux, 0)
        # update the pivot row: A[rk, g+1:] -= A[rk, j0:g+1] F[kk+1:, :kk+1]^H
        #                                    = conj(F[kk+1:, :kk+1] conj(A[rk, j0:g+1]))
        if kk + 1 < nt:
            arow = a[rk, j0 : g + 1]
            upd = backend.matvec(f[kk + 1 :, : kk + 1], xp.conj(arow) if cplx else arow, 0)
            a[rk, g + 1 :] -= xp.conj(upd) if cplx else upd
        # downdate the partial norms
        if rk + 1 < lastrk:
            redo = _downdate(vn1, vn2, _host_abs(a[rk, g + 1 :]), slice(g + 1, n), tol3z, True)
            if redo.shape[0]:
                sticky.append(redo + (g + 1))
        a[rk, g] = beta
        kk += 1
    kb = kk
    rk = j0 + kb
    if kb < min(nt, m - j0):
        fh = _ct(f[kb:, :kb])
        backend.gemm_update(a[rk:, j0 + kb :], a[rk:, j0 : j0 + kb], fh)
    recomputed = 0
    if sticky:
        cols = np.concatenate(sticky)
        if rk < m:
            vn1[cols] = _colnorms_of(a, slice(rk, m), cols, xp)
        else:
            vn1[cols] = 0.0
        vn2[cols] = vn1[cols]
        recomputed = int(cols.shape[0])
    return kb, recomputed


def qrcp_blocked(a: Any, block_size: int = DEFAULT_BLOCK_SIZE) -> QRCPKernelResult:
    """Blocked QRCP in place (LAPACK ``xGEQP3`` with ``xLAQPS``).

    Parameters
    ----------
    a : (m, n) array, NumPy or PyTorch
        Overwritten with the compact factors of ``A[:, perm]``.
    block_size : int, optional
        Columns per block; ``1`` is :func:`qrcp_unblocked`.  The final
        ``min(m, n) - j < 2 * block_size`` columns are factored unblocked.

    Returns
    -------
    QRCPKernelResult

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.kernels.qrcp import qrcp_blocked
    >>> A = np.random.default_rng(0).standard_normal((8, 6))
    >>> qr = A.copy()
    >>> res = qrcp_blocked(qr, block_size=2)
    >>> d = np.abs(np.diag(qr))
    >>> bool(np.all(d[:-1] >= d[1:])), sorted(res.perm.tolist()) == list(range(6))
    (True, True)
    """
    nb = _check_block_size(block_size) or DEFAULT_BLOCK_SIZE
    xp, tau, vn1, vn2, perm, tol3z = _init(a)
    backend = get_backend(a)
    m, n = a.shape
    k = min(m, n)
    j = 0
    recomputed = 0
    if nb > 1:
        while k - j >= 2 * nb:
            kb, r = _laqps(a, j, nb, tau, perm, vn1, vn2, tol3z, xp, backend)
            j += kb
            recomputed += r
    recomputed += _laqp2(a, j, tau, perm, vn1, vn2, tol3z, True, xp, backend)
    return QRCPKernelResult(tau, perm, recomputed)


def qrcp(a: Any, *, block_size: int | None = None) -> tuple[Any, np.ndarray]:
    """QR with column pivoting in place: ``A[:, perm] = Q R``.

    Parameters
    ----------
    a : (m, n) array, NumPy or PyTorch, real or complex
        Overwritten with the compact factors (LAPACK ``?geqp3`` layout:
        ``R`` on and above the diagonal, Householder vectors below).
    block_size : int or None, optional
        ``None`` (default): the faster variant for the shape, the unblocked
        algorithm when ``m * n <=`` :data:`UNBLOCKED_MAX_SIZE` (``512^2``;
        Python's per-column overhead dominates there), else
        :func:`qrcp_blocked` with :data:`DEFAULT_BLOCK_SIZE`.  ``1``: the
        unblocked algorithm (:func:`qrcp_unblocked`); ``nb > 1``: blocked
        with ``nb``.

    Returns
    -------
    tau : (min(m, n),) array
        Same backend and dtype as ``a``.
    perm : numpy.ndarray
        Host ``int64`` permutation with ``A[:, perm] = Q R``; ``|diag(R)|``
        is non-increasing.

    Raises
    ------
    ValueError
        If ``block_size`` is not a positive integer or None.

    References
    ----------
    .. [1] LAPACK ``DGEQP3``; see the module notes.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.kernels.qrcp import qrcp
    >>> from pivotal.kernels.householder import form_q
    >>> A = np.random.default_rng(0).standard_normal((6, 4))
    >>> qr = A.copy()
    >>> tau, perm = qrcp(qr)
    >>> Q, R = form_q(qr, tau), np.triu(qr[:4])
    >>> bool(np.allclose(Q @ R, A[:, perm]))
    True
    >>> d = np.abs(np.diag(R))
    >>> bool(np.all(d[:-1] >= d[1:]))
    True
    """
    nb = _check_block_size(block_size)
    if nb is None:
        nb = 1 if a.shape[0] * a.shape[1] <= UNBLOCKED_MAX_SIZE else DEFAULT_BLOCK_SIZE
    res = qrcp_unblocked(a) if nb == 1 else qrcp_blocked(a, nb)
    return res.tau, res.perm


# --------------------------------------------------------------------------- rank


def numerical_rank(r_diag_abs: Any, m: int, n: int, tol: float | None = None) -> int:
    """Numerical rank from the diagonal of a column-pivoted (or rank-revealing) ``R``.

    Returns the number of *leading* entries of ``r_diag_abs`` that exceed the
    tolerance, i.e. the first ``k`` with ``r_diag_abs[k] <= tol``.

    The default tolerance is NumPy's ``matrix_rank`` rule applied to
    ``|diag(R)|`` instead of the singular values:

    ``tol = max(m, n) * eps * max_k |R_kk|``

    with ``eps`` the machine epsilon of ``r_diag_abs``'s dtype (float64
    if it is not floating).  For QRCP ``max_k |R_kk| = |R_00|``, which
    approximates ``sigma_max(A)`` within a factor ``sqrt(n)``.  The QRCP
    diagonal usually tracks the singular values closely, but it can
    overestimate the small ones (see :func:`pivotal.gallery.kahan`); use
    :func:`~pivotal.kernels.rrqr.strong_rrqr` for guaranteed bounds.

    Parameters
    ----------
    r_diag_abs : (k,) array-like
        ``|R_00|, |R_11|, ...`` (any backend), normally non-increasing.
    m, n : int
        Shape of the factored matrix (they scale the default tolerance).
    tol : float, optional
        Absolute threshold; entries ``<= tol`` count as zero.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        For a negative or non-finite ``tol``.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.kernels.qrcp import numerical_rank
    >>> numerical_rank(np.array([3.0, 1.0, 1e-17]), 3, 3)
    2
    >>> numerical_rank(np.array([3.0, 1.0, 1e-3]), 3, 3, tol=1e-2)
    2
    """
    d = to_numpy(r_diag_abs)
    d = np.abs(np.asarray(d).reshape(-1))
    if d.dtype.kind != "f":
        d = d.astype(np.float64)
    if d.shape[0] == 0:
        return 0
    if tol is None:
        dmax = float(np.max(np.where(np.isnan(d), 0, d)))
        tol = max(m, n) * float(np.finfo(d.dtype).eps) * dmax
    else:
        tol = float(tol)
        if not (tol >= 0 and math.isfinite(tol)):
            raise ValueError(f"tol must be a finite number >= 0, got {tol}.")
    small = ~(d > tol)  # NaN counts as small
    if not small.any():
        return int(d.shape[0])
    return int(np.argmax(small))


# --------------------------------------------------------------------------- incremental condition estimation


def incremental_rank(r: Any, rcond: float) -> int:
    """The rank ``xGELSY`` assigns to an upper triangular ``R`` by incremental condition estimation.

    The largest ``k`` such that the leading ``k x k`` blocks ``R_1, ..., R_k``
    all have estimated condition number ``smax(R_j) / smin(R_j) < 1 /
    rcond``: the estimates of the extreme singular values are carried from
    one block to the next by :func:`_laic1` (Bischof's incremental condition
    estimation, LAPACK ``xLAIC1``), at ``O(k)`` cost per column.  Unlike a
    test on ``|R_kk| / |R_00|`` alone, which only bounds ``smin`` from above
    and so overestimates the rank of nearly rank-deficient matrices, it
    follows ``smin`` of the whole leading block.

    Parameters
    ----------
    r : (k, k) array
        Upper triangular, typically the leading block of ``R`` from QR with
        column pivoting (any backend; read on the host).
    rcond : float
        Reciprocal condition threshold in ``[0, 1)``.

    Returns
    -------
    int

    References
    ----------
    .. [1] C. H. Bischof, "Incremental condition estimation", SIAM J. Matrix
       Anal. Appl. 11(2), 312-322, 1990.
    .. [2] LAPACK ``xGELSY`` and ``xLAIC1``.

    Examples
    --------
    Kahan's matrix is upper triangular and nearly singular although no
    diagonal entry is small: the diagonal test counts all 90 columns; the
    incremental estimate stops at 62, where LAPACK's ``gelsy`` stops (the
    exact ``smin / smax`` of the leading blocks passes ``1e-10`` after 58
    columns: the estimate of ``smin`` is an upper bound).

    >>> import numpy as np, scipy.linalg
    >>> from pivotal import gallery
    >>> from pivotal.kernels.qrcp import incremental_rank
    >>> R = gallery.kahan(90)
    >>> d = np.abs(np.diag(R))
    >>> int(np.count_nonzero(d > 1e-10 * d[0])), incremental_rank(R, 1e-10)
    (90, 62)
    >>> int(scipy.linalg.lstsq(R, np.ones(90), cond=1e-10, lapack_driver="gelsy")[2])
    62
    """
    r = np.asarray(to_numpy(r))
    k = min(r.shape) if r.ndim == 2 else 0
    if k == 0 or r[0, 0] == 0:
        return 0
    eps = unit_roundoff(r.dtype)  # LAPACK's dlamch('Epsilon')
    smax = smin = abs(r[0, 0].item())
    xmax = np.ones(1, dtype=r.dtype)
    xmin = np.ones(1, dtype=r.dtype)
    rank = 1
    while rank < k:
        w, gamma = r[:rank, rank], r[rank, rank].item()
        sminpr, s1, c1 = _laic1(False, xmin, smin, w, gamma, eps)
        smaxpr, s2, c2 = _laic1(True, xmax, smax, w, gamma, eps)
        if not smaxpr * rcond <= sminpr:
            break
        xmin = np.append(s1 * xmin, c1).astype(r.dtype, copy=False)
        xmax = np.append(s2 * xmax, c2).astype(r.dtype, copy=False)
        smin, smax = sminpr, smaxpr
        rank += 1
    return rank


def _laic1(largest: bool, x: np.ndarray, sest: float, w: np.ndarray, gamma: float | complex, eps: float):
    """One step of incremental condition estimation (LAPACK ``xLAIC1``): ``(sestpr, s, c)``.

    ``x`` (unit norm) is an approximate singular vector of a lower triangular
    ``L`` with ``||L x|| = sest``; for ``Lhat = [[L, 0], [w^H, gamma]]``
    the vector ``[s x; c]`` (``|s|^2 + |c|^2 = 1``) is the approximate
    singular vector for the largest (``largest=True``) or smallest singular
    value, and ``sestpr = ||Lhat [s x; c]||``.  With ``alpha = x^H w`` this
    is the extreme singular value of the ``2 x 2`` matrix ``[[sest, 0],
    [alpha, gamma]]``, computed from its secular equation relative to
    ``sest`` (the special cases guard the ratios ``|alpha| / sest`` and
    ``|gamma| / sest`` against overflow and cancellation).
    """
    alpha = np.vdot(x, w).item()  # a Python float or complex
    absalp, absgam, absest = abs(alpha), abs(gamma), abs(sest)
    if largest:
        return _laic1_max(alpha, gamma, absalp, absgam, absest, eps)
    return _laic1_min(alpha, gamma, absalp, absgam, absest, eps)


def _normalised(s: complex, c: complex) -> tuple[complex, complex]:
    tmp = math.sqrt(abs(s) ** 2 + abs(c) ** 2)
    return s / tmp, c / tmp


def _dominant_pair(p: complex, q: complex, absp: float, absq: float) -> tuple[float, complex, complex]:
    """``(scl, p / big / scl, q / big / scl)`` with ``big = max(|p|, |q|)``, ``scl = sqrt(1 + (small / big)^2)``."""
    big, small = (absq, absp) if absp <= absq else (absp, absq)
    scl = math.sqrt(1.0 + (small / big) ** 2)
    return scl, (p / big) / scl, (q / big) / scl


def _laic1_max(alpha, gamma, absalp, absgam, absest, eps):
    if absest == 0:
        s1 = max(absgam, absalp)
        if s1 == 0:
            return 0.0, 0.0, 1.0
        s, c = alpha / s1, gamma / s1
        tmp = math.sqrt(abs(s) ** 2 + abs(c) ** 2)
        return s1 * tmp, s / tmp, c / tmp
    if absgam <= eps * absest:
        tmp = max(absest, absalp)
        return tmp * math.hypot(absest / tmp, absalp / tmp), 1.0, 0.0
    if absalp <= eps * absest:
        return (absest, 1.0, 0.0) if absgam <= absest else (absgam, 0.0, 1.0)
    if absest <= eps * absalp or absest <= eps * absgam:
        scl, s, c = _dominant_pair(alpha, gamma, absalp, absgam)
        return max(absgam, absalp) * scl, s, c
    zeta1, zeta2 = absalp / absest, absgam / absest
    b = (1.0 - zeta1 * zeta1 - zeta2 * zeta2) * 0.5
    cc = zeta1 * zeta1
    t = cc / (b + math.sqrt(b * b + cc)) if b > 0 else math.sqrt(b * b + cc) - b
    s, c = _normalised(-(alpha / absest) / t, -(gamma / absest) / (1.0 + t))
    return math.sqrt(t + 1.0) * absest, s, c


def _laic1_min(alpha, gamma, absalp, absgam, absest, eps):
    if absest == 0:
        if max(absgam, absalp) == 0:
            sine, cosine = 1.0, 0.0
        else:
            sine, cosine = -gamma.conjugate(), alpha.conjugate()
        s1 = max(abs(sine), abs(cosine))
        s, c = _normalised(sine / s1, cosine / s1)
        return 0.0, s, c
    if absgam <= eps * absest:
        return absgam, 0.0, 1.0
    if absalp <= eps * absest:
        return (absgam, 0.0, 1.0) if absgam <= absest else (absest, 1.0, 0.0)
    if absest <= eps * absalp or absest <= eps * absgam:
        scl, s, c = _dominant_pair(-gamma.conjugate(), alpha.conjugate(), absgam, absalp)
        ratio = min(absgam, absalp) / max(absgam, absalp)
        return (absest * (ratio / scl) if absgam <= absalp else absest / scl), s, c
    zeta1, zeta2 = absalp / absest, absgam / absest
    norma = max(1.0 + zeta1 * zeta1 + zeta1 * zeta2, zeta1 * zeta2 + zeta2 * zeta2)
    test = 1.0 + 2.0 * (zeta1 - zeta2) * (zeta1 + zeta2)
    if test >= 0:  # the root is close to zero: compute it directly
        b = (zeta1 * zeta1 + zeta2 * zeta2 + 1.0) * 0.5
        cc = zeta2 * zeta2
        t = cc / (b + math.sqrt(abs(b * b - cc)))
        sine, cosine = (alpha / absest) / (1.0 - t), -(gamma / absest) / t
        sestpr = math.sqrt(t + 4.0 * eps * eps * norma) * absest
    else:  # the root is closer to one: shift by it
        b = (zeta2 * zeta2 + zeta1 * zeta1 - 1.0) * 0.5
        cc = zeta1 * zeta1
        t = -cc / (b + math.sqrt(b * b + cc)) if b >= 0 else b - math.sqrt(b * b + cc)
        sine, cosine = -(alpha / absest) / t, -(gamma / absest) / (1.0 + t)
        sestpr = math.sqrt(1.0 + t + 4.0 * eps * eps * norma) * absest
    s, c = _normalised(sine, cosine)
    return sestpr, s, c
