r"""Randomized QR with column pivoting: ``A[:, P] = Q R`` with pivots chosen from a sketch.

Classical QRCP (LAPACK ``?geqp3``, :mod:`pivotal.kernels.qrcp`) must bring
the trailing matrix up to date before it can choose each next pivot, so half
of its flops are matrix-vector products (BLAS-2) and it runs several times
slower than unpivoted Householder QR.  Randomized pivoting chooses the
pivots from a small random *sketch* ``Y = G A`` (``G`` Gaussian, ``d x m``,
``d << m``) instead: the column norms and correlations of ``Y`` are those of
``A`` up to a modest distortion, with high probability, so QRCP on ``Y``
picks columns that QRCP on ``A`` would rate nearly as well.

Two algorithms, chosen by ``k``:

**Full factorization** (``k=None``): HQRRP, the blocked algorithm of
Martinsson, Quintana-Ortí, Heavner and van de Geijn (2017).  With block
size ``b`` and sketch size ``d = b + p`` (``p`` the oversampling):

1. ``Y = G A`` once (``d x n``, one matrix product).
2. For each block of ``b`` columns, at column ``j``:

   a. QRCP of the ``d x (n - j)`` sketch of the trailing matrix chooses
      ``b`` pivots, which are swapped to the front of the trailing matrix
      (and of ``Y``);
   b. the panel ``A[j:, j:j+b]`` is factored by QRCP, which only reorders
      the ``b`` chosen columns among themselves (so ``|diag(R)|`` does not
      increase inside a block) and costs ``O(m b^2)``;
   c. its block reflector ``H = I - V T V^H`` updates the trailing matrix,
      ``A_22 <- H^H A_22`` (:func:`~pivotal.kernels.householder.larfb`,
      BLAS-3), as in blocked Householder QR;
   d. the sketch is *downdated* rather than recomputed.  With
      ``G' = G H`` (``d x (m - j)``, costing ``O(d m b)``),
      ``Y = G' [R11 R12; 0 A22]``, so the sketch of the new trailing matrix
      under the operator ``G'[:, b:]`` is
      ``Y_2 <- Y_2 - G'[:, :b] R12``, a ``d x b`` times ``b x (n - j - b)``
      product.  ``G'`` is an orthogonal transform of a Gaussian matrix, so
      it sketches as well as a fresh one (HQRRP, section 4), and no
      ``R11^{-1}`` is ever formed, so the update is stable on rank-deficient
      matrices too.

3. The last ``<= 2 b`` columns (or rows) are factored by plain QRCP.

All the work on the ``m x n`` matrix is then the BLAS-3 trailing update of
blocked Householder QR, plus ``O((m + n) n d)`` for the sketch, which is
why HQRRP approaches the speed of unpivoted QR.  ``|diag(R)|`` is
non-increasing within each block and, with high probability, close to
non-increasing across blocks; the numerical rank is read from it exactly as
for QRCP.  For ``min(m, n) <= 2 b`` there is nothing to block, and the
result is plain QRCP (deterministic).

**Truncated factorization** (``k`` given): one sketch ``Y = G A`` with
``d = k + p`` rows; QRCP of ``Y`` selects the ``k`` pivot columns; then a
QR of the selected columns ``A[:, P[:k]] = Q R11`` (CholeskyQR2 for tall
selections, checked and falling back to shifted CholeskyQR3 and to
Householder QR as :func:`pivotal.qr` does; Householder for
``mode="raw"`` or ``"r"``) and ``R12 = Q^H A[:, P[k:]]``.  Cost
``O(m n d)``; the error ``||A[:, P] - Q R|| = ||(I - Q Q^H) A[:, P[k:]]||``
is within a modest factor (polynomial in ``k`` and ``n``, with high
probability) of ``sigma_{k+1}(A)``.

Not implemented: CQRRPT (Melnichenko et al. 2023), which for very tall
matrices preconditions CholeskyQR with the sketch's ``R`` instead of running
Householder updates; HQRRP handles tall matrices at the cost of blocked
Householder QR.

Speed.  On one core of a shared x86 VM (NumPy, OpenBLAS Haswell kernels,
``benchmarks/bench_rqrcp.py`` and ``bench_overheads.py``) the full
factorization of a 4000 x 4000 Gaussian matrix (``mode="r"``) took
0.34-0.40x the time of ``scipy.linalg.qr(A, pivoting=True, mode="r")``
(LAPACK ``dgeqp3``) and, under three OpenBLAS kernels, 0.93-1.11x that of
unpivoted ``dgeqrf`` (the natural lower bound for a pivoted Householder
QR); with ``mode="economic"`` both also form ``Q`` (``?orgqr``), and the
ratio was 0.5-0.6x.  About 77% of the time is BLAS-3 (72% the trailing
update) and 14% LAPACK's QRCP of the sketch and of the panels (BLAS-2 on
small operands), which does not speed up with more cores or wider SIMD as
``dgeqrf`` does: the ratio to ``dgeqrf`` grows on such machines
(``benchmarks/RESULTS.md``, issue 11).

Backends: NumPy arrays and PyTorch tensors (CPU or GPU) are computed in
place; JAX arrays are computed on the host and converted back.  The small
QRCPs (sketch, panels, final block) use LAPACK ``?geqp3`` on NumPy and
pivotal's QRCP kernel on PyTorch: the same algorithm, so a fixed integer
``random_state`` gives the same pivots on both up to rounding.

References
----------
.. [1] P.-G. Martinsson, G. Quintana-Ortí, N. Heavner and R. van de Geijn,
   "Householder QR factorization with randomization for column pivoting
   (HQRRP)", SIAM J. Sci. Comput. 39(2), C96-C115, 2017.
.. [2] J. A. Duersch and M. Gu, "Randomized QR with column pivoting", SIAM
   J. Sci. Comput. 39(4), C263-C291, 2017.
.. [3] M. Melnichenko, O. Balabanov, R. Murray, J. Demmel, M. W. Mahoney and
   P. Luszczek, "CholeskyQR with randomization and pivoting for tall
   matrices (CQRRPT)", arXiv:2311.08316, 2023.
"""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np

from .._array import (
    backend_name,
    conj_transpose,
    from_numpy,
    namespace,
    new_zeros,
    validate_matrix,
    working_copy,
    working_dtype,
)
from .._backends import get_backend
from .._scaling import ldexp, safe_scale
from ..kernels import householder
from ..kernels.qrcp import numerical_rank, qrcp
from ._random import _kind as _check_random_state
from ._random import standard_normal

__all__ = ["DEFAULT_BLOCK_SIZE", "DEFAULT_OVERSAMPLES", "RQRCPResult", "rqrcp"]

DEFAULT_BLOCK_SIZE = 64
"""Columns per block of the full (HQRRP) factorization."""

DEFAULT_OVERSAMPLES = 10
"""Sketch rows beyond the block size (full) or the rank ``k`` (truncated)."""

_MODES = ("economic", "raw", "r")


# --------------------------------------------------------------------------- result


class RQRCPResult(tuple):
    """Result of :func:`rqrcp`: a tuple that unpacks like ``scipy.linalg.qr(..., pivoting=True)``.

    ``mode="economic"``: ``(Q, R, P)``; ``mode="raw"``: ``((qr, tau), R, P)``;
    ``mode="r"``: ``(R, P)``.  The numerical rank and the other fields are
    attributes.

    Attributes
    ----------
    Q : array or None
        ``(m, K)`` orthonormal columns (None unless ``mode="economic"``).
    R : array
        Upper trapezoidal, ``(K, n)`` (``(m, n)`` for a full ``mode="r"``).
    P : array of int32
        Column permutation, ``A[:, P] ~ Q @ R``, in the input's backend.
    rank : int
        Numerical rank: the number of leading ``|R_jj|`` above the tolerance
        (:func:`pivotal.kernels.qrcp.numerical_rank`).
    qr, tau : array or None
        Compact Householder factors (LAPACK layout) for ``mode="raw"``:
        of ``A[:, P]`` (``m x n``) for the full factorization, of the
        selected columns ``A[:, P[:k]]`` (``m x k``) for the truncated one.
    algorithm : str
        What ran, for example ``"hqrrp (block_size=64, sketch_size=74)"``.
    """

    Q: Any
    R: Any
    P: Any
    rank: int
    qr: Any
    tau: Any
    algorithm: str

    def __new__(cls, items, *, Q, R, P, rank, qr=None, tau=None, algorithm=""):
        obj = super().__new__(cls, items)
        obj.Q, obj.R, obj.P, obj.rank = Q, R, P, int(rank)
        obj.qr, obj.tau, obj.algorithm = qr, tau, algorithm
        return obj

    def __reduce__(self):
        return (_rebuild, (type(self), tuple(self), dict(self.__dict__)))

    def __repr__(self) -> str:
        shape = tuple(int(s) for s in self.R.shape)
        return f"RQRCPResult(R.shape={shape}, rank={self.rank}, algorithm={self.algorithm!r})"


def _rebuild(cls, items, attrs):
    return cls(items, **attrs)


# --------------------------------------------------------------------------- helpers


def _check_int(value: Any, name: str, low: int, high: int | None = None) -> int:
    """``value`` as an int in ``[low, high]``; ValueError naming ``name`` otherwise (bools refused)."""
    try:
        v = operator.index(value)  # int and NumPy integers; not floats or strings
    except TypeError:
        v = None
    if v is None or isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be an integer, got {value!r}.")
    if v < low or (high is not None and v > high):
        rng = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise ValueError(f"{name} must be an integer {rng}, got {v}.")
    return v


def _qrcp_of(x: Any, backend) -> tuple[Any, Any, np.ndarray]:
    """QRCP of a (small) matrix without touching it: ``(qr, tau, perm)``.

    LAPACK ``?geqp3`` on NumPy (a Fortran-ordered result), pivotal's QRCP
    kernel on PyTorch (a column-major copy, which its column swaps prefer).
    """
    try:
        qr_, tau, perm = backend.vendor_geqp3(x)
    except NotImplementedError:
        qr_ = householder.colmajor_copy(x)
        tau, perm = qrcp(qr_)
    return qr_, tau, np.asarray(perm, dtype=np.int64)


def _index(idx: np.ndarray, like: Any) -> Any:
    if backend_name(like) == "torch":
        import torch

        return torch.as_tensor(idx, dtype=torch.int64, device=like.device)
    return idx


def _permute_columns(a: Any, cols: np.ndarray, src: np.ndarray) -> None:
    """``a[:, cols] = a[:, src]`` (the right-hand side is gathered first)."""
    if cols.shape[0]:
        a[:, _index(cols, a)] = a[:, _index(src, a)]


def _swap_to_front(sel: np.ndarray, size: int) -> np.ndarray:
    """Local source positions after swapping the columns ``sel`` to positions ``0..len(sel)-1``.

    LAPACK-style interchanges (the displaced columns move to the vacated
    places), so at most ``2 len(sel)`` columns move.  Returns ``src`` with
    ``new[:, i] = old[:, src[i]]``.
    """
    src = np.arange(size)
    where = np.arange(size)
    for t, s in enumerate(sel.tolist()):
        cur = where[s]
        if cur != t:
            other = src[t]
            src[t], src[cur] = s, other
            where[s], where[other] = t, cur
    return src


def _abs_diag(r: Any, k: int) -> Any:
    xp = namespace(r)
    if k == 0:
        return np.zeros(0)
    return xp.abs(xp.linalg.diagonal(r[:k, :k]))


# --------------------------------------------------------------------------- full: HQRRP


def _hqrrp(work: Any, b: int, d: int, random_state: Any) -> tuple[Any, np.ndarray, str]:
    """Blocked randomized QRCP of ``work`` in place; returns ``(tau, perm, algorithm)``."""
    backend = get_backend(work)
    m, n = work.shape
    kmax = min(m, n)
    tau = new_zeros((kmax,), work)
    perm = np.arange(n, dtype=np.int64)
    j = 0
    blocked = kmax > 2 * b
    if blocked:
        g = standard_normal((d, m), like=work, dtype=work.dtype, random_state=random_state)
        y = _sketch(g, work, backend)  # d x n
        while kmax - j > 2 * b:
            # (a) b pivots from QRCP of the trailing sketch, swapped to the front
            _, _, piv = _qrcp_of(y[:, j:], backend)
            src = _swap_to_front(piv[:b], n - j)
            moved = np.nonzero(src != np.arange(n - j))[0]
            cols, from_ = moved + j, src[moved] + j
            _permute_columns(work, cols, from_)
            _permute_columns(y, cols, from_)
            perm[cols] = perm[from_]
            # (b) the panel, by QRCP (reorders the b columns among themselves)
            panel = work[j:, j : j + b]
            pq, ptau, ppiv = _qrcp_of(panel, backend)
            if not np.array_equal(ppiv, np.arange(b)):
                block = work[:j, j : j + b]
                if j:
                    block[...] = block[:, _index(ppiv, block)]
                perm[j : j + b] = perm[j : j + b][ppiv]
            householder.copy_into(panel, pq)
            tau[j : j + b] = ptau
            t = householder.larft(pq, ptau)
            # (c) trailing update A22 <- H^H A22
            householder.larfb(pq, t, work[j:, j + b :], side="left", trans=True)
            # (d) downdate the sketch: G <- G H, Y2 <- Y2 - G[:, :b] R12, G <- G[:, b:]
            householder.larfb(pq, t, g, side="right", trans=False)
            backend.gemm_update(y[:, j + b :], g[:, :b], work[j : j + b, j + b :])
            g = g[:, b:]
            j += b
    if j < kmax:
        tail = work[j:, j:]
        tq, ttau, tpiv = _qrcp_of(tail, backend)
        if not np.array_equal(tpiv, np.arange(n - j)):
            if j:
                top = work[:j, j:]
                top[...] = top[:, _index(tpiv, top)]
            perm[j:] = perm[j:][tpiv]
        householder.copy_into(tail, tq)
        tau[j:] = ttau
    if blocked:
        algorithm = f"hqrrp (block_size={b}, sketch_size={d})"
    else:
        algorithm = f"qrcp (min(m, n) = {kmax} <= 2 * block_size = {2 * b}: nothing to block)"
    return tau, perm, algorithm


def _sketch(g: Any, work: Any, backend) -> Any:
    """``Y = G A``; column-major on NumPy, so that LAPACK's QRCP of ``Y[:, j:]`` reads it in place."""
    if isinstance(work, np.ndarray):
        y = np.zeros((g.shape[0], work.shape[1]), dtype=work.dtype, order="F")
        backend.gemm_update(y, g, work)  # y = -G A
        np.negative(y, out=y)
        return y
    return householder.product(g, work, namespace(work), backend)


def _scale_into_safe_range(work: Any) -> int:
    """Scale the working copy in place by ``2**e`` into LAPACK's safe range; returns ``e``.

    Householder QR itself copes with any finite scale, but not the sketch's
    products or a subnormal ``A``, whose every operation loses digits
    (:mod:`pivotal._scaling`); ``R`` is unscaled at the end, ``Q`` and the
    pivots do not depend on the scaling.
    """
    e, _ = safe_scale(work)
    ldexp(work, e, inplace=True)
    return e


def _unscale_upper(x: Any, e: int, block: int = 256) -> None:
    """``2**-e`` times the upper trapezoid (``R``) of compact factors, in place; the reflectors stay."""
    if e == 0:
        return
    xp = namespace(x)
    k = min(x.shape)
    for i0 in range(0, k, block):
        i1 = min(i0 + block, k)
        diag = x[i0:i1, i0:i1]
        x[i0:i1, i0:i1] = ldexp(xp.triu(diag), -e) + xp.tril(diag, k=-1)
        x[i0:i1, i1:] = ldexp(x[i0:i1, i1:], -e)


def _zero_below_diagonal(x: Any, block: int = 256) -> None:
    """Zero the strictly lower trapezoid of ``x`` in place, by column blocks (no full-size temporary)."""
    xp = namespace(x)
    m, n = x.shape
    for j0 in range(0, n, block):
        j1 = min(j0 + block, n)
        if j0 < m:
            x[j0:j1, j0:j1] = xp.triu(x[j0:j1, j0:j1])
        x[j1:, j0:j1] = 0


def _form_q(qr_: Any, tau: Any, ncols: int) -> Any:
    """Thin ``Q`` from compact factors: LAPACK ``?orgqr`` / ``torch.linalg.householder_product``."""
    if ncols == 0 or qr_.shape[0] == 0:
        return householder.form_q(qr_, tau, ncols)
    return get_backend(qr_).vendor_orgqr(qr_, tau, ncols)


# --------------------------------------------------------------------------- truncated


def _truncated(a: Any, k: int, d: int, mode: str, random_state: Any):
    """Sketch, choose ``k`` pivots, QR of the chosen columns; returns ``(Q, qr, tau, R, perm, algorithm)``."""
    from ..factorizations.qr import qr_compute

    xp = namespace(a)
    backend = get_backend(a)
    m = a.shape[0]
    if d >= m:
        y, what = a, f"pivots from QRCP of A itself (sketch_size {d} >= m = {m})"
    else:
        g = standard_normal((d, m), like=a, dtype=a.dtype, random_state=random_state)
        y, what = householder.product(g, a, xp, backend), f"pivots from QRCP of a {d}-row Gaussian sketch"
    _, _, perm = _qrcp_of(y, backend)
    sel, rest = perm[:k], perm[k:]
    c = working_copy(a[:, _index(sel, a)])
    a2 = a[:, _index(rest, a)]
    if mode == "economic":
        comp = qr_compute(c, "auto", overwrite_a=True)
        if comp.kind == "compact":
            q = _form_q(comp.qr, comp.tau, k)
            r11 = xp.triu(comp.qr[:k, :])
        else:
            q, r11 = comp.q, comp.r
        r12 = householder.product(conj_transpose(q), a2, xp, backend)
        qr_ = tau = None
        method = comp.algorithm
    else:
        comp = qr_compute(c, "vendor", overwrite_a=True)
        qr_, tau = comp.qr, comp.tau
        r11 = xp.triu(qr_[:k, :])
        c2 = working_copy(a2)
        householder.apply_q(qr_, tau, c2, side="left", trans=True)
        r12 = c2[:k, :]
        q = None
        method = comp.algorithm
    r = xp.concat([r11, r12], axis=1)
    return q, qr_, tau, r, perm, f"truncated rqrcp (k={k}; {what}; QR of the selection: {method})"


# --------------------------------------------------------------------------- public


def rqrcp(
    a: Any,
    k: int | None = None,
    *,
    tol: float | None = None,
    sketch_size: int | None = None,
    n_oversamples: int | None = None,
    block_size: int | None = None,
    mode: str = "economic",
    random_state: Any = None,
    check_finite: bool = True,
) -> RQRCPResult:
    r"""Randomized QR with column pivoting, full (HQRRP) or truncated to rank ``k``.

    ``A[:, P] = Q R`` with pivots chosen from a Gaussian sketch ``G A``
    (see the module notes for the algorithms).  SciPy's conventions of
    ``scipy.linalg.qr(A, pivoting=True)``: ``P`` is an index array and the
    result unpacks as ``(Q, R, P)`` (``mode="economic"``), ``((qr, tau), R,
    P)`` (``"raw"``) or ``(R, P)`` (``"r"``); it also carries the numerical
    ``rank``.

    Parameters
    ----------
    a : (m, n) array_like
        NumPy array, PyTorch tensor (CPU or GPU) or JAX array; real or
        complex.  Not modified.  Integer and half-precision input is
        computed in float64 / float32.
    k : int, optional
        Target rank, ``0 <= k <= min(m, n)``: truncated factorization with
        ``Q`` ``(m, k)`` and ``R`` ``(k, n)``, so that
        ``A[:, P] ~ Q @ R`` up to about ``sigma_{k+1}(A)``.  ``None``
        (default): the full factorization (HQRRP), exact to rounding.
    tol : float, optional
        Absolute tolerance of the numerical rank: ``rank`` is the number of
        leading ``|R_jj| > tol``.  Default, as for QRCP and NumPy's
        ``matrix_rank``: ``max(m, n) * eps * max_j |R_jj|``.
    sketch_size : int, optional
        Rows ``d`` of the Gaussian sketch.  Truncated: ``d >= k``, default
        ``k + n_oversamples`` (with ``d >= m`` QRCP runs on ``A`` itself).
        Full: ``d >= block_size``, default ``block_size + n_oversamples``.
        Give ``sketch_size`` or ``n_oversamples``, not both.
    n_oversamples : int, optional
        ``p >= 0``, default :data:`DEFAULT_OVERSAMPLES` (10).
    block_size : int, optional
        Columns per block of the full factorization, default
        :data:`DEFAULT_BLOCK_SIZE` (64); ``min(m, n) <= 2 * block_size``
        runs plain QRCP.  Not allowed with ``k``.
    mode : {"economic", "raw", "r"}, optional
        What to return, as in SciPy.  ``"r"`` gives the ``(m, n)`` ``R`` of
        SciPy for the full factorization, and ``(k, n)`` when truncated.
    random_state : None, int, numpy.random.Generator, torch.Generator or JAX key, optional
        Seed of the sketch.  An int or a NumPy generator gives identical
        sketches on NumPy and PyTorch.
    check_finite : bool, optional
        Raise ``ValueError`` for NaN or Inf in ``a`` (default True).

    Returns
    -------
    RQRCPResult
        A tuple (see above) with attributes ``Q``, ``R``, ``P``, ``rank``,
        ``qr``, ``tau`` and ``algorithm``.  ``P`` is int32 in ``a``'s
        backend, ``Q`` and ``R`` have ``a``'s backend, device and working
        dtype, and ``|diag(R)|`` is non-increasing within each block of the
        full factorization (and in the truncated one up to the sketch's
        distortion).

    Raises
    ------
    ValueError
        Not a 2-D array, NaN/Inf with ``check_finite``, ``k`` out of range,
        a bad ``mode``, ``tol``, ``sketch_size``, ``n_oversamples`` or
        ``block_size``, or ``block_size`` together with ``k``.
    TypeError
        An unsupported ``random_state``.

    Notes
    -----
    The full factorization is backward stable like Householder QR:
    ``||A[:, P] - Q R|| = O(m n u ||A||)`` and ``||I - Q^H Q|| = O(m n u)``.
    Its pivots usually differ from classical QRCP's, but reveal the same
    numerical rank when ``A`` has a gap in its singular values (QRCP's own
    rank revealing is only "in practice" too; see
    :func:`pivotal.kernels.rrqr.strong_rrqr` for guarantees).

    References
    ----------
    .. [1] P.-G. Martinsson, G. Quintana-Ortí, N. Heavner and R. van de
       Geijn, "Householder QR factorization with randomization for column
       pivoting (HQRRP)", SIAM J. Sci. Comput. 39(2), C96-C115, 2017.
    .. [2] J. A. Duersch and M. Gu, "Randomized QR with column pivoting",
       SIAM J. Sci. Comput. 39(4), C263-C291, 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal import gallery
    >>> from pivotal.randomized import rqrcp
    >>> A = gallery.rank_deficient(300, 300, 40, random_state=0)
    >>> Q, R, P = res = rqrcp(A, block_size=32, random_state=0)
    >>> res.rank
    40
    >>> bool(np.allclose(A[:, P], Q @ R)), bool(np.allclose(Q.T @ Q, np.eye(300)))
    (True, True)

    Truncated to rank ``k``, the error is close to ``sigma_{k+1}``:

    >>> A = gallery.randsvd(200, 1e8, 3, random_state=1)
    >>> Q, R, P = rqrcp(A, 20, random_state=0)
    >>> Q.shape, R.shape
    ((200, 20), (20, 200))
    >>> s = np.linalg.svd(A, compute_uv=False)
    >>> bool(np.linalg.norm(A[:, P] - Q @ R, 2) < 10 * s[20])
    True
    """
    a = validate_matrix(a, check_finite=check_finite, batch=False)
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {list(_MODES)}, got {mode!r}.")
    if backend_name(a) == "jax":
        host = rqrcp(
            np.asarray(a),
            k,
            tol=tol,
            sketch_size=sketch_size,
            n_oversamples=n_oversamples,
            block_size=block_size,
            mode=mode,
            random_state=random_state,
            check_finite=False,
        )
        return _convert(host, a)
    m, n = (int(s) for s in a.shape)
    kmax = min(m, n)
    if k is not None:
        k = _check_int(k, "k", 0, kmax)
        if block_size is not None:
            raise ValueError(
                "block_size applies to the full factorization (k=None); the truncated one "
                "uses a single sketch of k + n_oversamples rows. Drop block_size or k."
            )
    if tol is not None:
        t = float(tol)
        if not (t >= 0 and math.isfinite(t)):
            raise ValueError(f"tol must be a finite number >= 0, got {tol!r}.")
    if sketch_size is not None and n_oversamples is not None:
        raise ValueError(
            "give sketch_size (the rows of the sketch) or n_oversamples (rows beyond the "
            "block size or k), not both."
        )
    p = DEFAULT_OVERSAMPLES if n_oversamples is None else _check_int(n_oversamples, "n_oversamples", 0)
    if k is None:
        b = DEFAULT_BLOCK_SIZE if block_size is None else _check_int(block_size, "block_size", 1)
        d = b + p if sketch_size is None else _check_int(sketch_size, "sketch_size", b)
    else:
        d = k + p if sketch_size is None else _check_int(sketch_size, "sketch_size", k)
    _check_random_state(random_state)  # also when no random number ends up being drawn
    xp = namespace(a)
    if k is None:
        # NumPy: a column-major working copy, so that the column interchanges
        # move contiguous memory (the blocked kernels take either layout)
        work = (
            np.array(a, dtype=working_dtype(a), order="F") if backend_name(a) == "numpy" else working_copy(a)
        )
        e = _scale_into_safe_range(work)
        tau, perm, algorithm = _hqrrp(work, b, d, random_state)
        q = qr_ = tau_out = None
        if mode == "economic":
            q = _form_q(work, tau, kmax)
        if mode == "raw":
            _unscale_upper(work, e)
            qr_, tau_out = work, tau
            r = xp.triu(work[:kmax, :])
        else:  # R in place: the reflectors below the diagonal are no longer needed
            r = work if (mode == "r" or m == kmax) else xp.asarray(work[:kmax, :], copy=True)
            _zero_below_diagonal(r)
            r = ldexp(r, -e, inplace=True)
        rank_k = kmax
    else:
        work = working_copy(a)
        e = _scale_into_safe_range(work)
        if k == 0:
            q = new_zeros((m, 0), work)
            r = new_zeros((0, n), work)
            perm = np.arange(n, dtype=np.int64)
            qr_ = new_zeros((m, 0), work) if mode == "raw" else None
            tau_out = new_zeros((0,), work) if mode == "raw" else None
            algorithm = "truncated rqrcp (k=0)"
        else:
            q, qr_, tau_out, r, perm, algorithm = _truncated(work, k, d, mode, random_state)
            r = ldexp(r, -e, inplace=True)
            if qr_ is not None:
                _unscale_upper(qr_, e)
        if mode != "economic":
            q = None
        rank_k = k
    rank = numerical_rank(_abs_diag(r, rank_k), m, n, tol) if rank_k else 0
    p_out = _perm_like(perm, a)
    if mode == "economic":
        items = (q, r, p_out)
    elif mode == "raw":
        items = ((qr_, tau_out), r, p_out)
    else:
        items = (r, p_out)
    return RQRCPResult(items, Q=q, R=r, P=p_out, rank=rank, qr=qr_, tau=tau_out, algorithm=algorithm)


def _perm_like(perm: np.ndarray, like: Any) -> Any:
    if backend_name(like) == "torch":
        import torch

        return torch.as_tensor(perm, device=like.device).to(torch.int32)
    return np.asarray(perm, dtype=np.int32)


def _convert(res: RQRCPResult, like: Any) -> RQRCPResult:
    """A host result converted to ``like``'s backend (JAX)."""

    def cv(x):
        return None if x is None else from_numpy(np.asarray(x), like)

    items = tuple((cv(x[0]), cv(x[1])) if isinstance(x, tuple) else cv(x) for x in res)
    return RQRCPResult(
        items,
        Q=cv(res.Q),
        R=cv(res.R),
        P=cv(res.P),
        rank=res.rank,
        qr=cv(res.qr),
        tau=cv(res.tau),
        algorithm=res.algorithm,
    )
