"""Dask form of :func:`pivotal.randomized.sketch_lstsq` (SPIR on a row-distributed ``A``).

:func:`pivotal.randomized.sketch_lstsq` validates a ``dask.array.Array``
``A`` here (:func:`_validate`) and then runs its one driver on the
:class:`_DaskOps` of it.  The algorithm, its constants and its stopping rules
are those of the in-memory solver (:mod:`pivotal.randomized.spir`), whose
driver ``solve`` runs them on Dask as well: the scaling into the safe range,
the control flow, the sketch's QR and SVD (``_factor_sketch``), the
preconditioner and the Karlson-Walden estimate (``_Precond``), the batched
LSQR recurrences (``_lsqr``) and the fallback bookkeeping are shared.  Only
the steps that touch ``A`` differ, through :class:`_DaskOps`, a subclass of
the in-memory ``Ops``: the products with ``A``, the largest entries of
``A`` and ``b``, the sketch ``S [A, b]`` and the direct solver of the
fallbacks (TSQR instead of Householder QR).

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
* the largest entries of ``A`` and ``b``: one pass (two reductions computed
  together), which finds the powers of two that scale them into LAPACK's
  safe range (the scaled ``A`` stays lazy: each later pass scales the
  chunks it reads) and refuses NaN/Inf with ``check_finite``;
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
from typing import Any

import numpy as np
import scipy.linalg as sl
from array_api_compat import is_dask_array

from .._array import promote_dtypes, validate_rhs, working_dtype
from .._direct_lstsq import rank_from_s, svd_solve
from .._scaling import abs_max_parts, largest, ldexp
from ._dask import _prepare
from .sketches import SketchingOperator
from .spir import Ops, check_tall, set_cols

__all__: list[str] = []  # used by pivotal.randomized.sketch_lstsq through _validate


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


class _DaskOps(Ops):
    """The in-memory solver's ``Ops`` with ``A`` a row-chunked dask array.

    ``n x k`` arrays are NumPy arrays (the inherited helpers handle them);
    ``m x k`` arrays are dask arrays chunked like ``A``'s rows, with one
    column chunk.  Column norms of the ``m x k`` arrays made by :meth:`fused`
    come back in the same pass and are remembered by the arrays' (unique,
    content-derived) dask names, so that ``colnorms`` of them costs nothing.
    """

    #: The direct solver of the fallbacks, as the ``info.path`` messages name it.
    direct_name = "TSQR"

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
        if not is_dask_array(x):
            return super().colnorms(x)
        norms = self._norms.get(x.name)
        if norms is None:
            norms = np.sqrt(np.asarray((abs(x) ** 2).sum(axis=0).compute(), dtype=np.float64))
            self._norms[x.name] = norms
        return norms

    def take(self, x: Any, idx: np.ndarray) -> Any:
        """``x[:, idx]``; known column norms follow."""
        out = x[:, idx]
        if is_dask_array(x) and x.name in self._norms:
            self._norms[out.name] = self._norms[x.name][idx]
        return out

    def set_cols(self, x: Any, idx: np.ndarray, val: Any) -> Any:
        """``x`` with columns ``idx`` replaced by ``val`` (a new lazy array for dask ``x``)."""
        if not is_dask_array(x):
            return set_cols(self, x, idx, val)
        import dask.array as da

        out = da.blockwise(
            _merge_block,
            "ij",
            x,
            "ij",
            val,
            "ip",
            idx=idx,
            dtype=x.dtype,
            concatenate=True,
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
            _t_block,
            "ij",
            self.a,
            "ip",
            c,
            "ij",
            z=z,
            al=al,
            dtype=self.dtype,
            concatenate=True,
            meta=meta,
        )
        parts = da.blockwise(
            _adj_block,
            "hpj",
            self.a,
            "hp",
            t,
            "hj",
            adjust_chunks={"h": 1, "p": self.n + 1},
            dtype=self.dtype,
            concatenate=True,
            meta=np.empty((0, 0, 0), dtype=self.dtype),
        )
        t, sums = dask.persist(t, parts.sum(axis=0))
        sums = np.asarray(sums.compute(), dtype=self.dtype).reshape(self.n + 1, k)
        self._norms[t.name] = np.sqrt(sums[self.n].real.astype(np.float64))
        return t, sums[: self.n]

    def _products(self, S: SketchingOperator | None, b2: Any) -> tuple[np.ndarray, np.ndarray]:
        """``S A`` and ``S b`` as NumPy arrays in one pass (``A`` and ``b`` gathered for ``S=None``)."""
        import dask

        if S is None:
            sa, sb = dask.compute(self.a, b2)
        else:
            sa, sb = dask.compute(S.apply_left(self.a), S.apply_left(b2))
        return np.asarray(sa, dtype=self.dtype), np.asarray(sb, dtype=self.dtype)

    def max_abs(self, b2: Any) -> tuple[float, float]:
        """``(max |a_ij|, max |b_ij|)`` in one pass over ``A`` and ``b`` (NaN if either holds a NaN)."""
        import dask

        pa, pb = abs_max_parts(self.a), abs_max_parts(b2)
        vals = dask.compute(*pa, *pb)
        return largest(vals[: len(pa)]), largest(vals[len(pa) :])

    def rescaled(self, e: int) -> _DaskOps:
        """The operations on the lazy ``2**e A`` (each pass scales the chunks it reads)."""
        return self if e == 0 else _DaskOps(ldexp(self.a, e))

    def direct(self, bsub: Any, cond: float | None) -> tuple[np.ndarray, int]:
        """TSQR least squares of the columns ``bsub``: ``x = R^{-1} Q^H b``, or with ``cond`` the
        minimum-norm solution from the SVD of ``R`` (singular values below ``cond s_max`` dropped).

        One pass over ``A`` (the TSQR tree and ``Q^H b`` together); returns ``(x, rank)``.
        """
        import dask

        from ..kernels.tsqr import tsqr

        Q, R = tsqr(self.a, check_finite=False)
        qb, r = dask.compute(Q.conj().T @ bsub, R)
        qb, r = np.asarray(qb, dtype=self.dtype), np.asarray(r, dtype=self.dtype)
        if cond is None:
            return sl.solve_triangular(r, qb, check_finite=False), self.n
        uu, s, vh = np.linalg.svd(r, full_matrices=False)
        rank = rank_from_s(s, cond)
        return svd_solve(uu, s, vh, qb, rank), rank


# --------------------------------------------------------------------------- validation


def _as_dask_rhs(b: Any, A: Any, check_finite: bool) -> Any:
    """``b`` (dask or array-like, 1-D or 2-D) as a dask array; the rows are checked, not the dtype."""
    import dask.array as da

    m = int(A.shape[0])
    if is_dask_array(b):
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


def _validate(A: Any, b: Any, check_finite: bool) -> tuple[_DaskOps, Any, bool]:
    """:func:`pivotal.randomized.sketch_lstsq`'s checks of a dask ``A`` (or ``b``).

    Returns the ``_DaskOps`` of ``A`` and a dask ``b2`` (``m x k``) in one
    working dtype, rows chunked alike, and whether ``b`` was 1-D; the options
    are checked by the caller, which runs the in-memory driver on them.
    ``check_finite`` is checked by the driver's first pass, which scales
    ``A`` and ``b`` (a NumPy ``b`` is checked here).
    """
    if not is_dask_array(A):
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
    check_tall(m, n)
    b = _as_dask_rhs(b, A, check_finite)
    vector = b.ndim == 1
    dtype = promote_dtypes(np.dtype(A.dtype), working_dtype(np.empty(0, dtype=b.dtype)))
    b2 = b[:, None] if vector else b
    A = A if A.dtype == dtype else A.astype(dtype)
    b2 = b2 if b2.dtype == dtype else b2.astype(dtype)
    if b2.chunks[0] != A.chunks[0] or b2.numblocks[1] != 1:
        b2 = b2.rechunk({0: A.chunks[0], 1: -1})
    return _DaskOps(A), b2, vector
