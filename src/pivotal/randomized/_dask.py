"""Dask implementations of :func:`rsvd`, :func:`range_finder`, :func:`reigh` and :func:`nystrom`.

The public functions dispatch here when ``A`` is a ``dask.array.Array``.
Nothing here ever gathers ``A`` on one worker: ``A`` is only touched through
row-block products, each task seeing one chunk of ``A`` and a small matrix.

Tall ``A`` (``rsvd``, ``range_finder``)
---------------------------------------
``A`` is ``m x n`` with many rows, chunked by rows (any column chunking
works, one column chunk is best).  The ``n x l`` matrices of subspace
iteration (``Omega``, ``Z``) live on the client as NumPy arrays; the tall
``m x l`` ones (``Y = A Z`` and its orthonormal basis ``Q``) stay **lazy**
dask arrays chunked like ``A``'s rows, and are never persisted:

* ``Y = A @ Z`` is a row-block product (one task per chunk of ``A``).
* ``Q, R = orth(Y)`` is a TSQR (:mod:`pivotal.kernels.tsqr`) with a
  one-level tree: each chunk is factored ``Y_i = Q_i R_i`` and only the
  ``R_i`` (``l x l``) are computed and stacked on the client, where a
  Householder QR ``[R_1; ...; R_p] = [C_1; ...; C_p] R`` (signs normalised,
  ``diag(R) >= 0``) finishes the tree.  ``Q`` is then the lazy block map
  ``Q_i C_i``, which recomputes ``Y_i`` and its (deterministic) QR chunk by
  chunk when it is needed.  Because ``Q``'s chunks depend on ``C`` only
  through small constants, there is no global barrier between reading
  ``A_i`` and using ``Q_i``, so a pass over ``A`` holds one chunk per task.
* ``A^H Q`` is a sum over row blocks of ``A_i^H Q_i`` (Dask's tree
  reduction), computed to an ``n x l`` NumPy array.

So each product with ``A`` or ``A^H`` is one pass over ``A``, as in
memory; for a lazily generated or disk-backed ``A`` each pass regenerates or
rereads its chunks.  The implicit power steps of the in-memory code
(``Z -> A^H A Z`` without forming ``Q``, taken while the iterates are well
conditioned) are one pass each: every task multiplies its chunk ``A_i`` by
``Z`` and then by ``A_i^H``, so an iteration reads ``A`` once instead of
twice.  The iteration, the ``n_iter="auto"`` rule, the test
matrices (``Omega`` is drawn on the client from ``random_state`` exactly as
for NumPy input) and the small dense factorizations are those of the NumPy
path, so NumPy and Dask input give the same result to rounding for a fixed
seed, for every chunking.

Results: ``range_finder`` returns ``Q`` as a lazy dask array (rows chunked
like ``A``); ``rsvd`` returns ``U`` as a lazy dask array (rows chunked like
``A``) and ``s``, ``Vh`` as NumPy arrays.  The sign convention of
:func:`rsvd` (largest-``|.|`` entry of each column of ``U`` real positive)
needs one more pass over ``A``, a reduction of per-chunk column maxima; each
later ``U.compute()`` (or any use of ``U``) is another pass.  Persist ``U``
(``U = U.persist()``) when it is used several times and fits in the
cluster's memory.

Only fixed rank with ``method="subspace"`` has this distributed form.  With
``tol=`` or ``method="block_krylov"`` the basis is built by the in-memory
code with ``A`` seen as an operator whose products are computed on the
cluster (:func:`client_operator`), so the ``m x l`` basis is gathered on the
client and **all results are NumPy arrays** (for ``tol=``, ``||A||_F`` is
computed exactly in one extra pass, so the tolerance means what it means
for NumPy input).

Square ``A`` (``reigh``, ``nystrom``)
-------------------------------------
A symmetric ``n x n`` ``A`` (chunked by rows) is far larger than the
``n x l`` blocks it multiplies, so those are NumPy arrays on the client and
each product ``A @ X`` is one pass over ``A`` computed to NumPy.  The
in-memory algorithms run unchanged on :func:`client_operator`'s view of
``A``; the symmetry check of the NumPy path (one random product with ``A``
and ``A^H``) and the finiteness check are done in one pass beforehand.
Results are NumPy arrays.

Scaling
-------
As in memory, ``A`` is scaled by a power of two into the safe range of
:mod:`pivotal.randomized._operator` and the singular values and eigenvalues
are unscaled.  The largest entry of ``A`` is computed in the pass that needs
``A`` first (the first product ``A @ Omega``, or the operator's checks),
which is also the NaN/Inf check; only when ``A`` must be scaled (entries
beyond about ``1e73``, below about ``1e-73``) is that pass repeated on the
lazily scaled ``A``, whose chunks are then scaled as they are read.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.sparse.linalg

from .._array import namespace, unit_roundoff
from .._scaling import abs_max_parts, largest, ldexp, scale_exponent
from ..kernels.tsqr import normalize_qr_signs
from ._operator import SCALE_DEGREE, _Draw, _Operator
from ._random import RandomState
from ._signs import column_peaks, fix_signs
from ._subspace import (
    Basis,
    Implicit,
    _right_divide,
    _svdvals,
    adaptive_qb,
    check_rank,
    implicit_factor,
    iterate,
    try_implicit,
)

__all__ = ["client_operator", "range_finder", "rsvd"]


class _Shape:
    """What :func:`check_rank` and :class:`_Draw` need of an operator."""

    def __init__(self, shape: tuple[int, int], dtype: np.dtype):
        self.shape = shape
        self.dtype = dtype
        self.like = None


def _prepare(A: Any, name: str = "A") -> tuple[Any, np.dtype]:
    """Validate a dask array and convert it (lazily) to the working dtype."""
    if A.ndim != 2:
        raise ValueError(f"{name} must be a 2-D dask array, got shape {A.shape}.")
    if any(math.isnan(c) for cs in A.chunks for c in cs):
        raise ValueError(
            f"{name} has unknown chunk sizes; call {name}.compute_chunk_sizes() (or build it with "
            "known chunks) first."
        )
    dt = np.dtype(A.dtype)
    if dt.kind in "biu":
        dt = np.dtype(np.float64)
    elif dt == np.float16:
        dt = np.dtype(np.float32)
    elif dt.kind not in "fc":
        raise TypeError(f"{name} must have a numeric dtype, got {dt}.")
    if A.dtype != dt:
        A = A.astype(dt)
    return A, dt


# --------------------------------------------------------------------------- tall blocks


def _leaf_r(y: np.ndarray) -> np.ndarray:
    return np.linalg.qr(y, mode="r")


def _leaf_q(y: np.ndarray, c: np.ndarray) -> np.ndarray:
    q = np.linalg.qr(y)[0]  # deterministic: the same Q_i as the leaf that gave R_i
    return q @ c


def _tall_orth(Y: Any, *, also: tuple = ()) -> tuple[Any, np.ndarray, list]:
    """TSQR of a lazy tall ``Y``: ``(Q, R, values)``, ``Q`` lazy (chunks of ``Y``), ``R`` NumPy with ``diag(R) >= 0``.

    One pass over ``Y`` computes the chunks' triangles, together with the
    dask reductions ``also`` (their values are returned); ``Q`` recomputes
    each chunk's QR when it is evaluated (see the module notes).
    """
    import dask
    import dask.array as da

    if Y.numblocks[1] != 1:
        Y = Y.rechunk({1: -1})
    ell = int(Y.shape[1])
    rows = Y.chunks[0]
    heights = tuple(min(int(r), ell) for r in rows)
    stacked, *values = dask.compute(Y.map_blocks(_leaf_r, chunks=(heights, (ell,)), dtype=Y.dtype), *also)
    C, R = normalize_qr_signs(*np.linalg.qr(stacked))
    Cd = da.from_array(C, chunks=(heights, (ell,)))
    # Block i of Q from block i of Y and of C (whose rows differ: no chunk alignment).
    Q = da.blockwise(_leaf_q, "ij", Y, "ij", Cd, "ij", dtype=Y.dtype, align_arrays=False)
    return Q, R, values


def _rmatmat(A: Any, Q: Any) -> np.ndarray:
    """``A^H Q`` on the client: a sum of per-chunk products (tree reduction)."""
    return np.asarray((A.conj().T @ Q).compute())


def _refuse_non_finite(anrm: float, check_finite: bool) -> None:
    if check_finite and not math.isfinite(anrm):
        raise ValueError(
            "A must not contain infs or NaNs; clean the input, or pass check_finite=False if "
            "non-finite values are intended."
        )


class _DaskSteps:
    """The steps of :func:`iterate` on a row-chunked dask ``A``: lazy ``Q``, NumPy ``Z``.

    Every explicit basis is a TSQR (exact).  An implicit step ``W = A^H (A Z)``
    (see :func:`implicit_factor`) is one pass over ``A`` (each task
    multiplies one chunk by ``Z`` and then by its own transpose), where an
    explicit one is two (a TSQR of ``A Z``, then ``A^H Q``).  The first pass
    also finds the largest entry of ``A``: ``A`` becomes ``2**scale_exp A``,
    in the safe range (module notes).
    """

    def __init__(self, A: Any, check_finite: bool):
        self.A = A
        self.check_finite = check_finite
        self.scale_exp = 0

    def start(self, omega: np.ndarray, exact: bool) -> Basis:
        Q, _, peaks = _tall_orth(self.A @ omega, also=abs_max_parts(self.A))
        anrm = largest(peaks)
        _refuse_non_finite(anrm, self.check_finite)
        e = scale_exponent(anrm, self.A.dtype, SCALE_DEGREE)
        if e:  # the first product again, from the scaled A
            self.A, self.scale_exp = ldexp(self.A, e), e
            Q, _, _ = _tall_orth(self.A @ omega)
        return Basis(Q, True)

    def rmatmat(self, Q: Any) -> np.ndarray:
        return _rmatmat(self.A, Q)

    def advance(self, Z: np.ndarray, theta: np.ndarray, final: bool) -> tuple[Basis, np.ndarray]:
        if not final and try_implicit(theta, Z.dtype):
            W = _rmatmat(self.A, self.A @ Z)
            found = implicit_factor(Z, W)
            if found is not None:
                RY, sv = found
                return Basis(None, True, Implicit(Z, RY, W)), sv
        Q, R2, _ = _tall_orth(self.A @ Z)
        return Basis(Q, True), _svdvals(R2)

    def finish(self, basis: Basis, R: np.ndarray) -> tuple[Any, np.ndarray]:
        if basis.implicit is None:
            return basis.Q, R
        # Q_t R_t = A Z_p = Q R_Y, so A^H Q_t = Z (R R_Y R_t^{-1}).
        Q, Rt, _ = _tall_orth(self.A @ basis.implicit.source)
        return Q, _right_divide(R @ basis.implicit.RY, Rt)


def _col_extremes(u: np.ndarray) -> np.ndarray:
    """``[max |u_ij| over i; u at the first such i]`` for each column (a ``2 x k`` block)."""
    out = np.zeros((2, u.shape[1]), dtype=u.dtype)
    if u.shape[0]:
        vals = column_peaks(u)
        out[0] = np.abs(vals)
        out[1] = vals
    return out


def _fix_signs_dask(U: Any, Vh: np.ndarray) -> tuple[Any, np.ndarray]:
    """:func:`fix_signs` for a lazy tall ``U`` (one pass), same tie rule (first largest entry)."""
    k = int(U.shape[1])
    if k == 0 or U.shape[0] == 0:
        return U, Vh
    p = U.numblocks[0]
    ext = U.map_blocks(_col_extremes, chunks=((2,) * p, (k,)), dtype=U.dtype).compute()
    mags = ext[0::2].real
    vals = ext[1::2]
    best = np.argmax(mags, axis=0)  # first chunk holding the column maximum
    v = vals[best, np.arange(k)]
    mag = np.abs(v)
    phase = np.where(mag > 0, v / np.where(mag > 0, mag, 1), 1).astype(U.dtype)
    return U * phase.conj()[None, :], Vh * phase[:, None]


# --------------------------------------------------------------------------- the client-side operator


def _as_linop(A: Any, dt: np.dtype, *, hermitian: bool = False) -> scipy.sparse.linalg.LinearOperator:
    """``A`` as a LinearOperator whose products run on the cluster and return NumPy."""
    m, n = (int(s) for s in A.shape)

    def matmat(x):
        return np.asarray((A @ np.asarray(x, dtype=dt)).compute())

    def rmatmat(x):
        if hermitian:
            return matmat(x)
        return np.asarray((A.conj().T @ np.asarray(x, dtype=dt)).compute())

    return scipy.sparse.linalg.LinearOperator(
        (m, n),
        matvec=lambda x: matmat(np.reshape(x, (-1, 1)))[:, 0],
        rmatvec=lambda x: rmatmat(np.reshape(x, (-1, 1)))[:, 0],
        matmat=matmat,
        rmatmat=rmatmat,
        dtype=dt,
    )


class _ClientOperator(_Operator):
    """The in-memory operator on ``2**e A``, products computed on the cluster, the exact ``||A||_F^2``.

    The algorithms of the in-memory path run on it unchanged (``kind ==
    "linop"``; the public functions accept it in place of ``A``), and they
    unscale what they return through :meth:`_Operator.unscaled`.  One pass
    over ``A`` finds its largest entry (the NaN/Inf check and the scale),
    ``||2**e A||_F^2`` and, for a Hermitian operator (``reigh``, ``nystrom``,
    which name themselves in ``func``), the symmetry defect ``||A x - A^H
    x||`` for a random ``x``, checked as in memory: each chunk reports its
    largest entry and its sum of squares relative to it (LAPACK ``xLASSQ``'s
    pair), so nothing overflows before the scale is known.  So ``tol=``
    stops on the exact Frobenius norm as for NumPy input, not on the probe
    estimate of a LinearOperator.
    """

    def __init__(self, A: Any, dt: np.dtype, check_finite: bool, *, hermitian: bool = False, func: str = ""):
        self.jax = False
        self.n_products = 0
        self.hermitian = hermitian
        self.kind = "linop"
        self.dtype = dt
        self.like = None
        self.shape = (int(A.shape[0]), int(A.shape[1]))
        self.xp = namespace(np.empty(0))
        self.scale_exp = 0
        if hermitian and self.shape[0] != self.shape[1]:
            raise ValueError(f"{func}: A must be square ({_WHAT[func]}), got shape {self.shape}.")
        x = np.random.default_rng(12345).standard_normal((self.shape[1], 1)).astype(dt)
        import dask

        parts = [A] + ([A @ x - A.conj().T @ x] if hermitian else [])
        sums = [np.asarray(p).reshape(-1, 2) for p in dask.compute(*(_chunk_sums(p) for p in parts))]
        anrm = largest(sums[0][:, 0])
        _refuse_non_finite(anrm, check_finite)
        self.scale_exp = e = scale_exponent(anrm, dt, SCALE_DEGREE)
        self._fro2 = _scaled_sum_of_squares(sums[0], e)
        if hermitian:
            self._check_symmetric(math.sqrt(_scaled_sum_of_squares(sums[1], e)), x, func)
        self.a = _as_linop(ldexp(A, e), dt, hermitian=hermitian)

    def _check_symmetric(self, defect: float, x: np.ndarray, func: str) -> None:
        """The in-memory path's symmetry check (:func:`pivotal.randomized._rsvd.check_hermitian`) on ``2**e A``."""
        n = self.shape[1]
        fro, xn = math.sqrt(self._fro2), float(np.linalg.norm(x))
        if n and math.isfinite(fro) and defect > 100 * unit_roundoff(self.dtype) * math.sqrt(n) * fro * xn:
            raise ValueError(
                f"{func}: A is not {_WHAT[func]} (||A x - A^H x|| / (||A||_F ||x||) = "
                f"{defect / (fro * xn):.2e} for a random x); use rsvd for general matrices, or "
                "symmetrize with (A + A^H) / 2."
            )

    def fro2(self) -> float:
        return self._fro2


def _block_sums(block: np.ndarray) -> np.ndarray:
    """``[[s, sum |block / s|^2]]`` with ``s = max |block|`` (LAPACK ``xLASSQ``'s pair; NaN propagates)."""
    s = float(np.max(np.abs(block))) if block.size else 0.0
    ssq = float(np.sum(np.abs(block / s) ** 2)) if s > 0 and math.isfinite(s) else 0.0
    return np.array([[s, ssq]])


def _chunk_sums(x: Any) -> Any:
    """The ``(s, ssq)`` pairs of the chunks of a 2-D ``x``, lazily (each chunk's pair side by side)."""
    rows, cols = x.numblocks
    return x.map_blocks(_block_sums, chunks=((1,) * rows, (2,) * cols), dtype=np.float64)


def _scaled_sum_of_squares(sums: np.ndarray, e: int) -> float:
    """``||2**e x||_F^2`` from the chunks' ``(s, ssq)`` pairs."""
    return float(sum(math.ldexp(s, e) ** 2 * ssq for s, ssq in sums if s > 0))


#: What each Hermitian caller requires of ``A``, for the messages.
_WHAT = {"reigh": "symmetric (Hermitian)", "nystrom": "symmetric (Hermitian) positive semidefinite"}


def client_operator(
    A: Any, check_finite: bool, *, hermitian: bool = False, func: str = ""
) -> _ClientOperator:
    """``A`` (a dask array) as an operator for the in-memory algorithms, after one pass (module notes).

    ``hermitian`` (``func`` is ``"reigh"`` or ``"nystrom"``): ``A`` must be
    square and pass the in-memory path's symmetry check, measured in the
    same pass.
    """
    A, dt = _prepare(A)
    return _ClientOperator(A, dt, check_finite, hermitian=hermitian, func=func)


# --------------------------------------------------------------------------- public (dispatched)


def range_finder(
    A: Any,
    k: int | None,
    tol: float | None,
    n_oversamples: int,
    q: int | None,
    random_state: RandomState,
    check_finite: bool,
) -> Any:
    """:func:`pivotal.randomized.range_finder` for a dask array: subspace iteration or ``tol=`` (module notes)."""
    import dask.array as da

    A, dt = _prepare(A)
    m, n = (int(s) for s in A.shape)
    shape = _Shape((m, n), dt)
    k = check_rank(k, shape, allow_none=tol is not None, func="range_finder")
    if tol is not None:
        op = _ClientOperator(A, dt, check_finite)
        kmax = min(m, n) if k is None else min(k + n_oversamples, m, n)
        return adaptive_qb(op, tol, kmax, q, _Draw(random_state, op))[0]
    ell = min(k + n_oversamples, m, n)
    if k == 0 or ell == 0:
        return da.zeros((m, 0), dtype=dt, chunks=(A.chunks[0], (0,)))
    steps = _DaskSteps(A, check_finite)
    Q, _, _ = iterate(steps, n, k, ell, q, _Draw(random_state, shape))
    return Q


def rsvd(
    A: Any,
    k: int | None,
    tol: float | None,
    n_oversamples: int,
    q: int | None,
    random_state: RandomState,
    check_finite: bool,
) -> tuple[Any, np.ndarray, np.ndarray]:
    """:func:`pivotal.randomized.rsvd` for a dask array: subspace iteration or ``tol=``.

    ``U`` lazy (rows chunked like ``A``), ``s`` and ``Vh`` NumPy (module notes).
    """
    import dask.array as da

    A, dt = _prepare(A)
    m, n = (int(s) for s in A.shape)
    shape = _Shape((m, n), dt)
    k = check_rank(k, shape, allow_none=tol is not None, func="rsvd")
    rdt = np.finfo(dt).dtype
    if tol is not None:
        return _rsvd_tol(A, dt, k, tol, n_oversamples, q, random_state, check_finite)
    if k == 0:
        return (
            da.zeros((m, 0), dtype=dt, chunks=(A.chunks[0], (0,))),
            np.zeros((0,), dtype=rdt),
            np.zeros((0, n), dtype=dt),
        )
    ell = min(k + n_oversamples, m, n)
    steps = _DaskSteps(A, check_finite)
    Q, Z, R = iterate(steps, n, k, ell, q, _Draw(random_state, shape))
    Ur, s, Wh = np.linalg.svd(R.conj().T, full_matrices=False)  # Q^H A = R^H Z^H
    U = Q @ Ur[:, :k]
    Vh = Wh[:k] @ Z.conj().T
    U, Vh = _fix_signs_dask(U, Vh)
    return U, ldexp(s[:k].astype(rdt, copy=False), -steps.scale_exp), Vh


def _rsvd_tol(A, dt, k, tol, n_oversamples, q, random_state, check_finite):
    """The ``tol=`` branch of :func:`pivotal.randomized.rsvd` on a :class:`_ClientOperator` (NumPy results)."""
    op = _ClientOperator(A, dt, check_finite)
    m, n = op.shape
    kmax = min(m, n) if k is None else min(k + n_oversamples, m, n)
    rdt = np.finfo(dt).dtype
    if kmax == 0:
        return np.zeros((m, 0), dtype=dt), np.zeros((0,), dtype=rdt), np.zeros((0, n), dtype=dt)
    Q, B, fro2, resid2 = adaptive_qb(op, tol, kmax, q, _Draw(random_state, op))
    Ub, s, Vh = np.linalg.svd(B, full_matrices=False)
    s2 = s.astype(np.float64) ** 2
    dropped = np.r_[np.cumsum(s2[::-1])[::-1], 0.0]
    ok = np.flatnonzero(resid2 + dropped <= tol**2 * fro2)
    r = int(ok[0]) if ok.size else len(s2)
    if k is not None:
        r = min(r, k)
    U, Vh = fix_signs(Q @ Ub[:, :r], Vh[:r])
    return U, op.unscaled(s[:r]), Vh
