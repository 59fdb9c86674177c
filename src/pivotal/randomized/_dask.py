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
cluster, so the ``m x l`` basis is gathered on the client and **all results
are NumPy arrays** (for ``tol=``, ``||A||_F`` is computed exactly in one
extra pass, so the tolerance means what it means for NumPy input).

Square ``A`` (``reigh``, ``nystrom``)
-------------------------------------
A symmetric ``n x n`` ``A`` (chunked by rows) is far larger than the
``n x l`` blocks it multiplies, so those are NumPy arrays on the client and
each product ``A @ X`` is one pass over ``A`` computed to NumPy.  The
in-memory algorithms run unchanged on a ``LinearOperator`` view of ``A``;
the symmetry check of the NumPy path (one random product with ``A`` and
``A^H``) and the finiteness check (through ``||A||_F^2``) are done in one
pass beforehand.  Results are NumPy arrays.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse.linalg

from .._array import namespace, unit_roundoff
from ..kernels.tsqr import normalize_qr_signs
from ._random import RandomState
from ._range_finder import (
    Basis,
    Implicit,
    _Draw,
    _Operator,
    _right_divide,
    _svdvals,
    adaptive_qb,
    check_rank,
    implicit_factor,
    iterate,
    try_implicit,
)

__all__ = ["hermitian_via_operator", "range_finder", "rsvd"]


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


def _tall_orth(Y: Any, *, check_finite: bool = False) -> tuple[Any, np.ndarray]:
    """TSQR of a lazy tall ``Y``: ``(Q, R)``, ``Q`` lazy (chunks of ``Y``), ``R`` NumPy with ``diag(R) >= 0``.

    One pass over ``Y`` computes the chunks' triangles; ``Q`` recomputes each
    chunk's QR when it is evaluated (see the module notes).
    """
    import dask.array as da

    if Y.numblocks[1] != 1:
        Y = Y.rechunk({1: -1})
    ell = int(Y.shape[1])
    rows = Y.chunks[0]
    heights = tuple(min(int(r), ell) for r in rows)
    stacked = Y.map_blocks(_leaf_r, chunks=(heights, (ell,)), dtype=Y.dtype).compute()
    if check_finite and not np.isfinite(stacked).all():
        raise ValueError(
            "A must not contain infs or NaNs (A @ Omega is not finite); clean the input, or pass "
            "check_finite=False if non-finite values are intended."
        )
    C, R = normalize_qr_signs(*np.linalg.qr(stacked))
    Cd = da.from_array(C, chunks=(heights, (ell,)))
    # Block i of Q from block i of Y and of C (whose rows differ: no chunk alignment).
    Q = da.blockwise(_leaf_q, "ij", Y, "ij", Cd, "ij", dtype=Y.dtype, align_arrays=False)
    return Q, R


def _rmatmat(A: Any, Q: Any) -> np.ndarray:
    """``A^H Q`` on the client: a sum of per-chunk products (tree reduction)."""
    return np.asarray((A.conj().T @ Q).compute())


def _subspace_iteration(A: Any, k: int, ell: int, q: int | None, draw: _Draw, check_finite: bool):
    """Dask form of :func:`range_finder.subspace_iteration`: ``(Q lazy, Z, R)``, ``Q^H A = R^H Z^H``.

    The same iteration (:func:`iterate`), Ritz values and ``n_iter="auto"``
    decisions, on :class:`_DaskSteps`.
    """
    return iterate(_DaskSteps(A, check_finite), int(A.shape[1]), k, ell, q, draw)


class _DaskSteps:
    """The steps of :func:`iterate` on a row-chunked dask ``A``: lazy ``Q``, NumPy ``Z``.

    Every explicit basis is a TSQR (exact).  An implicit step ``W = A^H (A Z)``
    (see :func:`implicit_factor`) is one pass over ``A`` (each task
    multiplies one chunk by ``Z`` and then by its own transpose), where an
    explicit one is two (a TSQR of ``A Z``, then ``A^H Q``).
    """

    def __init__(self, A: Any, check_finite: bool):
        self.A = A
        self.check_finite = check_finite

    def start(self, omega: np.ndarray, exact: bool) -> Basis:
        return Basis(_tall_orth(self.A @ omega, check_finite=self.check_finite)[0], True)

    def rmatmat(self, Q: Any) -> np.ndarray:
        return _rmatmat(self.A, Q)

    def advance(self, Z: np.ndarray, theta: np.ndarray, final: bool) -> tuple[Basis, np.ndarray]:
        if not final and try_implicit(theta, Z.dtype):
            W = _rmatmat(self.A, self.A @ Z)
            found = implicit_factor(Z, W)
            if found is not None:
                RY, sv = found
                return Basis(None, True, Implicit(Z, RY, W)), sv
        Q, R2 = _tall_orth(self.A @ Z)
        return Basis(Q, True), _svdvals(R2)

    def finish(self, basis: Basis, R: np.ndarray) -> tuple[Any, np.ndarray]:
        if basis.implicit is None:
            return basis.Q, R
        # Q_t R_t = A Z_p = Q R_Y, so A^H Q_t = Z (R R_Y R_t^{-1}).
        Q, Rt = _tall_orth(self.A @ basis.implicit.source)
        return Q, _right_divide(R @ basis.implicit.RY, Rt)


def _col_extremes(u: np.ndarray) -> np.ndarray:
    """``[max |u_ij| over i; u at the first such i]`` for each column (a ``2 x k`` block)."""
    from ._rsvd import _column_peaks

    out = np.zeros((2, u.shape[1]), dtype=u.dtype)
    if u.shape[0]:
        vals = _column_peaks(u)
        out[0] = np.abs(vals)
        out[1] = vals
    return out


def _fix_signs_dask(U: Any, Vh: np.ndarray) -> tuple[Any, np.ndarray]:
    """:func:`rsvd.fix_signs` for a lazy tall ``U`` (one pass), same tie rule (first largest entry)."""
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


# --------------------------------------------------------------------------- LinearOperator view


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
    """The in-memory operator, with products computed on the cluster and the exact ``||A||_F^2``.

    Used for ``tol=``: the adaptive range finder then stops on the exact
    Frobenius norm (one pass over ``A``) as for NumPy input, not on the probe
    estimate of a LinearOperator.
    """

    def __init__(self, A: Any, dt: np.dtype, check_finite: bool):
        self.jax = False
        self.n_products = 0
        self.hermitian = False
        self.kind = "linop"
        self.a = _as_linop(A, dt)
        self.dtype = dt
        self.like = None
        self.shape = (int(A.shape[0]), int(A.shape[1]))
        self.xp = namespace(np.empty(0))
        self._fro2 = float((abs(A) ** 2).sum().compute())
        if check_finite and not math.isfinite(self._fro2):
            raise ValueError(
                "A must not contain infs or NaNs; clean the input, or pass check_finite=False if "
                "non-finite values are intended."
            )

    def fro2(self) -> float:
        return self._fro2


def _rsvd_tol(A, dt, k, tol, n_oversamples, q, random_state, check_finite):
    """The ``tol=`` branch of :func:`pivotal.randomized._rsvd` on a :class:`_ClientOperator` (NumPy results)."""
    from ._rsvd import fix_signs

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
    return U, s[:r], Vh


def _check_square_hermitian(A: Any, dt: np.dtype, func: str, what: str, check_finite: bool) -> None:
    """Square, finite (``||A||_F^2``) and ``A x = A^H x`` for a random ``x``, in one pass over ``A``."""
    import dask

    m, n = (int(s) for s in A.shape)
    if m != n:
        raise ValueError(f"{func}: A must be square ({what}), got shape {A.shape}.")
    if n == 0:
        return
    x = np.random.default_rng(12345).standard_normal((n, 1)).astype(dt)
    d = A @ x - A.conj().T @ x
    fro2, dn2 = dask.compute((abs(A) ** 2).sum(), (abs(d) ** 2).sum())
    fro2, dn2 = float(fro2), float(dn2)
    if not math.isfinite(fro2):
        if check_finite:
            raise ValueError(
                "A must not contain infs or NaNs; clean the input, or pass check_finite=False if "
                "non-finite values are intended."
            )
        return
    fro, dn, xn = math.sqrt(fro2), math.sqrt(dn2), float(np.linalg.norm(x))
    if dn > 100 * unit_roundoff(dt) * math.sqrt(n) * fro * xn:
        raise ValueError(
            f"{func}: A is not {what} (||A x - A^H x|| / (||A||_F ||x||) = {dn / (fro * xn):.2e} for a random x); "
            "use rsvd for general matrices, or symmetrize with (A + A^H) / 2."
        )


# --------------------------------------------------------------------------- public (dispatched)


def _n_iter(q: int | None) -> int | str:
    """The ``n_iter`` argument that ``check_options`` turned into ``q``."""
    return "auto" if q is None else q


def range_finder(
    A: Any,
    k: int | None,
    tol: float | None,
    n_oversamples: int,
    q: int | None,
    method: str,
    random_state: RandomState,
    check_finite: bool,
) -> Any:
    """:func:`pivotal.randomized.range_finder` for a dask array, options already checked (module notes)."""
    import dask.array as da

    A, dt = _prepare(A)
    m, n = (int(s) for s in A.shape)
    shape = _Shape((m, n), dt)
    k = check_rank(k, shape, allow_none=tol is not None, func="range_finder")
    if tol is not None:
        op = _ClientOperator(A, dt, check_finite)
        kmax = min(m, n) if k is None else min(k + n_oversamples, m, n)
        return adaptive_qb(op, tol, kmax, q, _Draw(random_state, op))[0]
    if method != "subspace":
        from ._range_finder import range_finder as _rf

        return _rf(
            _as_linop(A, dt),
            k,
            n_oversamples=n_oversamples,
            n_iter=_n_iter(q),
            method=method,
            random_state=random_state,
            check_finite=False,
        )
    ell = min(k + n_oversamples, m, n)
    if k == 0 or ell == 0:
        return da.zeros((m, 0), dtype=dt, chunks=(A.chunks[0], (0,)))
    draw = _Draw(random_state, shape)
    Q, _, _ = _subspace_iteration(A, k, ell, q, draw, check_finite)
    return Q


def rsvd(
    A: Any,
    k: int | None,
    tol: float | None,
    n_oversamples: int,
    q: int | None,
    method: str,
    random_state: RandomState,
    check_finite: bool,
) -> tuple[Any, np.ndarray, np.ndarray]:
    """:func:`pivotal.randomized.rsvd` for a dask array, options already checked.

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
    if method != "subspace":
        from ._rsvd import rsvd as _rsvd

        return _rsvd(
            _as_linop(A, dt),
            k,
            n_oversamples=n_oversamples,
            n_iter=_n_iter(q),
            method=method,
            random_state=random_state,
            check_finite=False,
        )
    if k == 0:
        return (
            da.zeros((m, 0), dtype=dt, chunks=(A.chunks[0], (0,))),
            np.zeros((0,), dtype=rdt),
            np.zeros((0, n), dtype=dt),
        )
    ell = min(k + n_oversamples, m, n)
    draw = _Draw(random_state, shape)
    Q, Z, R = _subspace_iteration(A, k, ell, q, draw, check_finite)
    Ur, s, Wh = np.linalg.svd(R.conj().T, full_matrices=False)  # Q^H A = R^H Z^H
    U = Q @ Ur[:, :k]
    Vh = Wh[:k] @ Z.conj().T
    U, Vh = _fix_signs_dask(U, Vh)
    return U, s[:k].astype(rdt, copy=False), Vh


def hermitian_via_operator(
    func: Callable[..., Any], A: Any, k: int, what: str, check_finite: bool, **options: Any
) -> Any:
    """``func(A, k, **options)`` (``reigh`` or ``nystrom``) for a square dask ``A``; NumPy results.

    Checks ``k``, squareness, finiteness and symmetry (one pass over ``A``),
    then runs the in-memory ``func`` on a LinearOperator view whose products
    are computed on the cluster (module notes).
    """
    name = func.__name__
    A, dt = _prepare(A)
    check_rank(k, _Shape((int(A.shape[0]), int(A.shape[1])), dt), allow_none=False, func=name)
    _check_square_hermitian(A, dt, name, what, check_finite)
    return func(_as_linop(A, dt, hermitian=True), k, check_finite=False, **options)
