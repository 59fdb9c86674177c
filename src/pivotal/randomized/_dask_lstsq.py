"""Dask form of :func:`pivotal.randomized.sketch_lstsq` (SPIR on a row-distributed ``A``).

:func:`pivotal.randomized.sketch_lstsq` dispatches here when ``A`` is a
``dask.array.Array``.  The algorithm, its constants and its stopping rules
are those of the in-memory solver (:mod:`pivotal.randomized._sketch_lstsq`),
whose pieces are reused as they are: the sketch's QR and SVD
(``_factor_sketch``), the preconditioner and the Karlson-Walden estimate
(``_Precond``) and the batched LSQR recurrences (``_lsqr``).  Only the
products with ``A`` differ, through :class:`_DaskOps`, which has the
interface of the in-memory ``_Ops``.

Where the data live
-------------------
``A`` (``m x n``, chunked by rows, one chunk along the columns) is only
touched by tasks that each see one row chunk and ``n x k`` constants, so it
is never gathered on one worker; a lazily generated or disk-backed ``A`` is
regenerated or reread on every pass.  The ``m x k`` vectors (residuals,
LSQR's ``u`` and ``t = A z - alpha u``) are dask arrays chunked like ``A``'s
rows: each LSQR iteration's ``t`` is persisted (held by the workers, chunk by
chunk) and the others are cheap lazy expressions of persisted arrays.
Everything of size ``n x k`` or smaller -- the sketch ``S [A, b]``
(``d x (n + k)``), the preconditioner, the iterates ``x`` and ``y``, the
LSQR scalars -- is a NumPy array on the client.

Passes over ``A``
-----------------
* the sketch ``S A`` and ``S b``: one pass (per chunk, the chunk's own
  columns of ``S`` are generated from the seed, so the sketch is the
  in-memory one whatever the chunking, see :mod:`pivotal.randomized._random`),
  and a sum of the partial sketches by Dask's tree reduction;
* each LSQR iteration, and each residual ``r = b - A x`` with ``A^H r``:
  one pass -- per row chunk, ``t_i = A_i z - alpha u_i`` (kept as a chunk of
  the persisted ``t``) and ``A_i^H t_i``, the latter summed by a tree
  reduction; ``||t||`` per column comes back with the sum, in the same pass;
* the fallbacks (columns that miss the backward-error check, or a
  numerically rank-deficient ``A``): a TSQR of ``A``
  (:func:`pivotal.kernels.tsqr.tsqr`) and ``Q^H b`` in one pass, then
  ``x = R^{-1} (Q^H b)``, or, rank deficient, the minimum-norm solution
  from the SVD of ``R`` (as ``pivotal.lstsq``'s QR + SVD of ``R``), and one
  more pass for the new residual.  ``info.passes`` counts as in memory (the
  fallback's factorization comes on top).

When ``m`` is not larger than the sketch size, ``A`` is no larger than its
sketch would be; it is then gathered and factored as in memory
(``info.sketch == "identity"``).

Same seed, same answer: with an int seed or a NumPy generator, a dask ``A``
gives the in-memory result for the same data up to rounding, for every row
chunking; ``x`` is a NumPy array and ``info`` a
:class:`~pivotal.randomized.SketchLstsqInfo` filled in as in memory (its
``path`` names TSQR for the fallbacks).  "Up to rounding" because the
partial sums are added in another order: that moves a backward-stable ``x``
by about ``kappa(A) u`` relative (``1e-14`` at ``kappa = 1e2``, ``1e-8`` at
``kappa = 1e8``), as much as the in-memory solver moves with another block
size, and may change an iteration count by one where a stopping test is
met at rounding level.

Each pass is one round trip to the scheduler (tens of milliseconds on a
small local cluster), so the Dask path pays off when ``A`` does not fit in
memory or its chunks take longer than that to read.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import scipy.linalg as sl

from .._array import promote_dtypes, unit_roundoff, validate_rhs, working_dtype
from ..errors import LinAlgWarning
from ._dask import _prepare, is_dask
from ._random import RandomState
from ._sketch_lstsq import (
    _FLOOR_FACTOR,
    MAX_SOLVES,
    SketchLstsqInfo,
    _check_sketch,
    _check_tol,
    _factor_sketch,
    _lsqr,
    _Ops,
    _Precond,
    _set_cols,
)
from .sketches import SketchingOperator
from .sketches import sketch as make_sketch

__all__ = ["sketch_lstsq"]


# --------------------------------------------------------------------------- per-chunk kernels


def _t_block(a: np.ndarray, c: np.ndarray, z: np.ndarray, al: np.ndarray | None) -> np.ndarray:
    """``a z - c alpha`` (per column) or, with ``al=None``, ``c - a z``, for one row chunk."""
    t = a @ z
    if al is None:
        return c - t
    t -= c * al
    return t


def _adj_block(a: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``[a^H t; sum |t|^2]`` of one row chunk, as a ``(1, n + 1, k)`` block of the partial sums."""
    w = (t.conj().T @ a).conj().T if np.iscomplexobj(a) else a.T @ t
    return np.concatenate([w, (abs(t) ** 2).sum(axis=0, keepdims=True)], axis=0)[None]


def _merge_block(x: np.ndarray, val: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """One row chunk of ``x`` with its columns ``idx`` replaced by ``val``."""
    out = x.copy()
    out[:, idx] = val
    return out


# --------------------------------------------------------------------------- products with A


class _DaskOps(_Ops):
    """The in-memory solver's ``_Ops`` with ``A`` a row-chunked dask array.

    ``n x k`` arrays are NumPy arrays (the inherited helpers handle them);
    ``m x k`` arrays are dask arrays chunked like ``A``'s rows, with one
    column chunk.  Column norms of the ``m x k`` arrays made by :meth:`fused`
    come back in the same pass and are remembered by the arrays' (unique,
    content-derived) dask names, so that ``colnorms`` of them costs nothing.
    """

    def __init__(self, a: Any):
        self.a = a
        self.torch = False
        self.xp = np
        self.m, self.n = int(a.shape[0]), int(a.shape[1])
        self.dtype = np.dtype(a.dtype)
        self.complex = self.dtype.kind == "c"
        self.device = "cpu"
        self.block = self.m
        self._norms: dict[str, np.ndarray] = {}

    def colnorms(self, x: Any) -> np.ndarray:
        """2-norms of the columns of ``x`` as a host float64 array."""
        if not is_dask(x):
            return super().colnorms(x)
        norms = self._norms.get(x.name)
        if norms is None:
            norms = np.sqrt(np.asarray((abs(x) ** 2).sum(axis=0).compute(), dtype=np.float64))
            self._norms[x.name] = norms
        return norms

    def take(self, x: Any, idx: np.ndarray) -> Any:
        """``x[:, idx]``; known column norms follow."""
        out = x[:, idx]
        if is_dask(x) and x.name in self._norms:
            self._norms[out.name] = self._norms[x.name][idx]
        return out

    def set_cols(self, x: Any, idx: np.ndarray, val: Any) -> Any:
        """``x`` with columns ``idx`` replaced by ``val`` (a new lazy array for dask ``x``)."""
        if not is_dask(x):
            return _set_cols(self, x, idx, val)
        import dask.array as da

        out = da.blockwise(
            _merge_block, "ij", x, "ij", val, "ip", idx=idx, dtype=x.dtype, concatenate=True,
            meta=np.empty((0, 0), dtype=x.dtype),
        )
        if x.name in self._norms and val.name in self._norms:
            norms = self._norms[x.name].copy()
            norms[idx] = self._norms[val.name]
            self._norms[out.name] = norms
        return out

    def fused(self, z: np.ndarray, c: Any, alpha: np.ndarray | None) -> tuple[Any, np.ndarray]:
        """``t = A z - c * alpha`` (per column) or, with ``alpha=None``, ``t = c - A z``;
        returns ``(t, A^H t)`` in one pass over ``A``: ``t`` persisted on the
        workers (its column norms remembered), ``A^H t`` a NumPy array."""
        import dask
        import dask.array as da

        k = int(z.shape[1])
        z = np.ascontiguousarray(z, dtype=self.dtype)
        al = None if alpha is None else self.dev(alpha)[None, :]
        meta = np.empty((0, 0), dtype=self.dtype)
        t = da.blockwise(
            _t_block, "ij", self.a, "ip", c, "ij", z=z, al=al, dtype=self.dtype, concatenate=True,
            meta=meta,
        )
        parts = da.blockwise(
            _adj_block, "hpj", self.a, "hp", t, "hj", adjust_chunks={"h": 1, "p": self.n + 1},
            dtype=self.dtype, concatenate=True, meta=np.empty((0, 0, 0), dtype=self.dtype),
        )
        t, sums = dask.persist(t, parts.sum(axis=0))
        sums = np.asarray(sums.compute(), dtype=self.dtype).reshape(self.n + 1, k)
        self._norms[t.name] = np.sqrt(sums[self.n].real.astype(np.float64))
        return t, sums[: self.n]


# --------------------------------------------------------------------------- validation


def _as_dask_rhs(b: Any, A: Any, check_finite: bool) -> Any:
    """``b`` (dask or array-like, 1-D or 2-D) as a dask array; the rows are checked, not the dtype."""
    import dask.array as da

    m = int(A.shape[0])
    if is_dask(b):
        if b.ndim not in (1, 2) or b.shape[0] != m:
            raise ValueError(
                f"shapes of A (M={m}) and b {tuple(b.shape)} are incompatible: b must have {m} rows, "
                f"shape ({m},) or ({m}, K)."
            )
        if any(math.isnan(c) for cs in b.chunks for c in cs):
            raise ValueError(
                "b has unknown chunk sizes; call b.compute_chunk_sizes() (or build it with known "
                "chunks) first."
            )
        return b
    b = validate_rhs(b, m, "b", check_finite=check_finite, a_name="A")
    if len(b.shape) > 2:
        raise ValueError(
            f"b must have shape ({m},) or ({m}, k), got {tuple(b.shape)}; sketch_lstsq does not "
            "batch over leading dimensions (loop over them)."
        )
    if not isinstance(b, np.ndarray):
        raise TypeError(
            f"with a dask A, b must be a dask or NumPy array, got {type(b).__name__}; convert it "
            "with numpy.asarray."
        )
    return da.from_array(b, chunks=(A.chunks[0],) + ((-1,) if b.ndim == 2 else ()))


def _validate(A: Any, b: Any, check_finite: bool) -> tuple[Any, Any, bool]:
    """The dask ``A`` and a dask ``b2`` (``m x k``) in one working dtype, rows chunked alike."""
    if not is_dask(A):
        raise TypeError(
            f"A is a {type(A).__name__} and b a dask array; pass A as a dask array chunked by rows "
            "(dask.array.from_array(A, chunks=(rows, -1))), or b as a NumPy array (b.compute())."
        )
    A, _ = _prepare(A)
    if A.numblocks[1] != 1:
        raise ValueError(
            f"sketch_lstsq needs A chunked by rows only, but A has {A.numblocks[1]} column chunks "
            f"(chunks {A.chunks[1]}); rechunk it with A.rechunk({{1: -1}})."
        )
    m, n = int(A.shape[0]), int(A.shape[1])
    if m < n:
        raise ValueError(
            f"sketch_lstsq needs a tall matrix (m >= n), got A of shape {m}x{n}; for "
            "underdetermined (wide) problems use pivotal.lstsq, which returns the "
            "minimum-norm solution."
        )
    b = _as_dask_rhs(b, A, check_finite)
    vector = b.ndim == 1
    dtype = promote_dtypes(np.dtype(A.dtype), working_dtype(np.empty(0, dtype=b.dtype)))
    b2 = b[:, None] if vector else b
    A = A if A.dtype == dtype else A.astype(dtype)
    b2 = b2 if b2.dtype == dtype else b2.astype(dtype)
    if b2.chunks[0] != A.chunks[0] or b2.numblocks[1] != 1:
        b2 = b2.rechunk({0: A.chunks[0], 1: -1})
    return A, b2, vector


# --------------------------------------------------------------------------- solver


def _sketch(
    ops: _DaskOps, b2: Any, sketch: Any, d: int, random_state: RandomState, info: SketchLstsqInfo,
    check_finite: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """``S A`` and ``S b`` as NumPy arrays in one pass (``A`` and ``b`` themselves when ``d >= m``)."""
    import dask

    if d >= ops.m:
        info.sketch, info.sketch_size = "identity", ops.m
        info.path.append(f"m={ops.m} <= sketch size {d}: no sketch (S = I), Householder QR of A")
        sa, sb = dask.compute(ops.a, b2)
    else:
        S = sketch
        if not isinstance(S, SketchingOperator):
            S = make_sketch(sketch, d, ops.m, random_state=random_state)
        info.sketch = S.kind
        info.path.append(f"sketch {S!r}")
        sa, sb = dask.compute(S.apply_left(ops.a), S.apply_left(b2))
        info.passes = 1
    sa, sb = np.asarray(sa, dtype=ops.dtype), np.asarray(sb, dtype=ops.dtype)
    if check_finite and not (np.isfinite(sa).all() and np.isfinite(sb).all()):
        raise ValueError(
            "A or b contains infs or NaNs (the sketch S [A, b] is not finite); clean the input, or "
            "pass check_finite=False if non-finite values are intended."
        )
    return sa, sb


def _direct(ops: _DaskOps, bsub: Any, cond: float | None) -> tuple[np.ndarray, int]:
    """TSQR least squares of the columns ``bsub``: ``x = R^{-1} Q^H b``, or with ``cond`` the
    minimum-norm solution from the SVD of ``R`` (singular values below ``cond s_max`` dropped).

    One pass over ``A`` (the TSQR tree and ``Q^H b`` together); returns ``(x, rank)``.
    """
    import dask

    from ..kernels.tsqr import tsqr
    from ..least_squares import _rank_from_s, _svd_solve

    Q, R = tsqr(ops.a, check_finite=False)
    qb, r = dask.compute(Q.conj().T @ bsub, R)
    qb, r = np.asarray(qb, dtype=ops.dtype), np.asarray(r, dtype=ops.dtype)
    if cond is None:
        return sl.solve_triangular(r, qb, check_finite=False), ops.n
    uu, s, vh = np.linalg.svd(r, full_matrices=False)
    rank = _rank_from_s(s, cond)
    return _svd_solve(uu, s, vh, qb, rank), rank


def _fallback(
    ops: _DaskOps, b2: Any, cols: np.ndarray, x: np.ndarray | None, info: SketchLstsqInfo, reason: str,
    pre: _Precond, cond: float | None,
) -> tuple[np.ndarray, SketchLstsqInfo]:
    """The in-memory ``_fallback`` with a TSQR solve: columns ``cols`` by a direct method."""
    k = int(b2.shape[1])
    every = cols.size == k
    bsub = b2 if every else ops.take(b2, cols)
    xs, rank = _direct(ops, bsub, cond if reason == "rank_deficient" else None)
    if reason == "rank_deficient":
        info.method, info.rank = "qr+svd", rank
    elif every:
        info.method = "qr"
    x = xs if x is None or every else _set_cols(ops, x, cols, xs)
    info.fallback = reason
    info.fallback_columns = [int(j) for j in cols]
    rs, gs = ops.fused(xs, bsub, None)
    info.passes += 1
    be = np.array(info.backward_errors, dtype=np.float64) if len(info.backward_errors) == k else np.zeros(k)
    be[cols] = pre.kw(ops.colnorms(rs), pre.vh @ gs, ops.colnorms(xs)) / float(pre.s[0])
    rn = np.array(info.residual_norms, dtype=np.float64) if len(info.residual_norms) == k else np.zeros(k)
    rn[cols] = ops.colnorms(rs)
    info.backward_errors, info.residual_norms = be, rn
    info.backward_error = float(be.max())
    return x, info


def _refine(
    ops: _DaskOps, pre: _Precond, b2: Any, x: np.ndarray, be: np.ndarray, info: SketchLstsqInfo, *,
    tol: float, maxiter: int, refine: bool, r: Any, g: np.ndarray,
) -> tuple[np.ndarray, Any, np.ndarray]:
    """The SPIR solves of the in-memory ``_solve`` (step 4); returns ``(x, r, be)``."""
    k = int(b2.shape[1])
    u = unit_roundoff(ops.dtype)
    smax = float(pre.s[0])
    target = tol * smax / 4
    for solve in range(MAX_SOLVES if refine else 1):
        idx = np.nonzero(be > (0.0 if solve == 1 else tol))[0]
        if idx.size == 0:
            break
        every = idx.size == k
        sub = (lambda z: z) if every else (lambda z, idx=idx: ops.take(z, idx))
        floor = _FLOOR_FACTOR * smax / float(pre.s[-1]) if (refine and solve == 0) else 0.0
        aim = tol * smax if solve == 0 else target
        dx, its = _lsqr(ops, pre, sub(r), sub(g), sub(x), target=aim, maxiter=maxiter, u=u, floor=floor)
        info.iterations.append(int(its.max()))
        info.passes += int(its.max())
        x = x + dx if every else _set_cols(ops, x, idx, ops.take(x, idx) + dx)
        ri, gi = ops.fused(sub(x), sub(b2), None)
        info.passes += 1
        be[idx] = pre.kw(ops.colnorms(ri), pre.vh @ gi, ops.colnorms(sub(x))) / smax
        r = ri if every else ops.set_cols(r, idx, ri)
        g = gi if every else _set_cols(ops, g, idx, gi)
        info.path.append(
            f"solve {solve + 1}: {int(its.max())} LSQR iterations, backward error {float(be[idx].max()):.2e}"
        )
    return x, r, be


def _solve(
    ops: _DaskOps, b2: Any, *, sketch: Any, d: int, tol: float, maxiter: int | None, refine: bool,
    random_state: RandomState, check_finite: bool,
) -> tuple[np.ndarray, SketchLstsqInfo]:
    """The in-memory ``_solve`` on a validated dask ``A`` (in ``ops``) and dask ``b2`` (m, k)."""
    n, k = ops.n, int(b2.shape[1])
    u = unit_roundoff(ops.dtype)
    if maxiter is None:
        eta = min(math.sqrt(n / d), 0.9) if n else 0.5
        maxiter = 10 + 2 * math.ceil(math.log(u) / math.log(eta))
    method = "spir" if refine else "sketch-and-precondition"
    info = SketchLstsqInfo(method=method, sketch_size=d, tol=tol, rank=n)
    if n == 0 or k == 0:
        info.backward_errors = np.zeros(k)
        info.residual_norms = ops.colnorms(b2) if k else np.zeros(0)
        return np.zeros((n, k), dtype=ops.dtype), info
    sa, sb = _sketch(ops, b2, sketch, d, random_state, info, check_finite)
    s_host, uu, vh, c = _factor_sketch(ops, sa, sb)
    smax = float(s_host[0])
    info.rcond = float(s_host[-1] / smax) if smax > 0 else 0.0
    pre = _Precond(ops, s_host, vh)
    rank_tol = 10 * max(n, 10) * u
    if not info.rcond > rank_tol:
        info.path.append(
            f"rcond of the sketch {info.rcond:.2e} <= {rank_tol:.1e}: A is (numerically) rank "
            "deficient; minimum-norm solution by TSQR + SVD of R"
        )
        info.converged = False
        return _fallback(ops, b2, np.arange(k), None, info, "rank_deficient", pre, rank_tol)
    x = pre.apply(uu.conj().T @ c)
    r, g = ops.fused(x, b2, None)
    info.passes += 1
    be = pre.kw(ops.colnorms(r), pre.vh @ g, ops.colnorms(x)) / smax
    info.path.append(f"sketch-and-solve: rcond {info.rcond:.2e}, backward error {float(be.max()):.2e}")
    x, r, be = _refine(ops, pre, b2, x, be, info, tol=tol, maxiter=maxiter, refine=refine, r=r, g=g)
    info.backward_errors = be
    info.backward_error = float(be.max())
    info.residual_norms = ops.colnorms(r)
    info.converged = bool(info.backward_error <= tol)
    if info.converged:
        return x, info
    if not refine:
        warnings.warn(
            LinAlgWarning(
                f"sketch_lstsq(refine=False): estimated backward error {info.backward_error:.2e} "
                f"exceeds tol={tol:.1e}; plain sketch-and-precondition is not backward stable "
                "for ill-conditioned problems with large residuals. Use refine=True."
            ),
            stacklevel=4,
        )
        return x, info
    bad = np.nonzero(be > tol)[0]
    info.path.append(
        f"backward error {info.backward_error:.2e} > tol {tol:.1e} after {len(info.iterations)} "
        f"solve(s) in column(s) {bad.tolist()}: TSQR"
    )
    return _fallback(ops, b2, bad, x, info, "backward_error", pre, None)


def sketch_lstsq(
    A: Any,
    b: Any,
    *,
    sketch: str | SketchingOperator = "sparse_sign",
    sketch_size: int | None = None,
    tol: float | None = None,
    maxiter: int | None = None,
    refine: bool = True,
    random_state: RandomState = None,
    check_finite: bool = True,
    return_info: bool = False,
):
    """:func:`pivotal.randomized.sketch_lstsq` for a dask ``A``: ``x`` a NumPy array (module notes).

    ``A`` must be chunked by rows only; ``b`` is a dask array (rechunked
    like ``A``'s rows when it is not) or a NumPy array, 1-D or 2-D.  The
    options are those of the in-memory function.  ``check_finite`` is
    checked on the sketch ``S [A, b]`` (free: a non-finite entry of ``A``
    or ``b`` makes it non-finite), so no extra pass is made for it.

    Returns
    -------
    x : (n,) or (n, k) ndarray
    info : SketchLstsqInfo
        Only with ``return_info=True``.
    """
    A, b2, vector = _validate(A, b, check_finite)
    m, n = int(A.shape[0]), int(A.shape[1])
    d = _check_sketch(sketch, sketch_size, random_state, m, n)
    tol = _check_tol(tol, unit_roundoff(A.dtype))
    if maxiter is not None and (
        isinstance(maxiter, (bool, np.bool_)) or int(maxiter) != maxiter or maxiter < 1
    ):
        raise ValueError(f"maxiter must be a positive integer or None, got {maxiter!r}.")
    x, info = _solve(
        _DaskOps(A), b2, sketch=sketch, d=d, tol=tol, maxiter=maxiter, refine=bool(refine),
        random_state=random_state, check_finite=check_finite,
    )
    if vector:
        x = x[:, 0]
    return (x, info) if return_info else x
