"""TSQR: tall-skinny QR by a binary reduction tree, in memory or on Dask.

For an ``(m, n)`` matrix with ``m >> n`` the rows are split into blocks
``A_1, ..., A_p``.  Each block is factored independently,
``A_i = Q_i R_i``; the small ``R_i`` are stacked in pairs and factored
again, ``[R_a; R_b] = Q_ab R_ab``, up a binary tree until one ``R`` is
left.  The explicit ``Q`` is rebuilt by applying the tree's ``Q`` factors
back down: the root hands its ``Q`` (times the sign correction below) to its
children, each internal node multiplies what it received by its own ``Q``
factor and splits the product by rows between its children, and each leaf
finally multiplies its ``Q_i`` by what it received::

    Q = diag(Q_1, ..., Q_p) @ (tree factors) @ D,      R = D^H R_root

Every step is a Householder QR of a block or of two stacked triangles, so
TSQR is as backward stable as Householder QR (``||A - QR|| = O(u ||A||)``
and ``||I - Q^H Q|| = O(u)``, independent of ``cond(A)``; Demmel et al.
2012, Mori et al. 2012), while it reads ``A`` once in independent pieces:
the leaves run in parallel and only ``n x n`` triangles travel up the tree.
That is why it is the algorithm for row-distributed matrices.

The leaf and node factorizations use the backend's reduced Householder QR
(``numpy.linalg.qr`` / ``torch.linalg.qr``, i.e. LAPACK ``geqrf``+``orgqr``
or cuSOLVER), through the array-API namespace.

Scaling
-------
Each leaf scales its block by a power of two ``2**e_i`` into LAPACK's safe
range (:mod:`pivotal._scaling`) before its QR, so that subnormal or huge
blocks are factored at full precision; the triangles travel up the tree as
pairs ``(r, e)`` standing for ``R = 2**-e r``, a node brings its two children
to the common exponent ``min(e_a, e_b)`` (the larger triangle keeps its
scale; the other can only lose what lies below the larger's rounding level)
and the root is unscaled once.  ``Q`` does not depend on the scales.  This
needs no pass over ``A`` beyond the leaves' own, so the Dask path stays one
pass.

Dask
----
When ``a`` is a ``dask.array.Array`` chunked by rows only (one chunk along
the columns), :func:`tsqr` builds the same tree out of ``dask.delayed``
tasks, one leaf per chunk.  No task ever sees more than one chunk of ``A``
(plus ``n x n`` triangles), so ``A`` is never gathered on one worker.  The
result is lazy: ``Q`` is a dask array chunked like ``a`` along the rows and
``R`` a one-chunk ``(n, n)`` dask array; compute both together,
``dask.compute(Q, R)``, so that the shared tree is evaluated once.

Sign convention
---------------
All of pivotal's QR kernels return ``R`` with a real, non-negative
diagonal (for complex input, ``diag(R)`` is real and ``>= 0``): the phases
``d_j = r_jj / |r_jj|`` are moved from ``R`` into ``Q``.  With full column
rank this makes the factorization unique, so different algorithms (and
TSQR with different block sizes) agree up to rounding.

References
----------
J. Demmel, L. Grigori, M. Hoemmen and J. Langou, "Communication-optimal
parallel and sequential QR and LU factorizations", SIAM J. Sci. Comput.
34(1), A206-A239, 2012.

D. Mori, Y. Yamamoto and S.-L. Zhang, "Backward error analysis of the
AllReduce algorithm for Householder QR decomposition", Japan J. Indust.
Appl. Math. 29, 111-130, 2012.

A. R. Benson, D. F. Gleich and J. Demmel, "Direct QR factorizations for
tall-and-skinny matrices in MapReduce architectures", IEEE BigData 2013.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import array_api_compat
import numpy as np

from .._array import (
    is_complex,
    namespace,
    validate_matrix,
    working_dtype,
)
from .._scaling import ldexp, safe_scale

__all__ = ["default_block_rows", "normalize_qr_signs", "tsqr"]


# --------------------------------------------------------------------------- shared helpers


def _tall_input(a: Any, func: str, check_finite: bool, *, require_tall: bool = True):
    """Validate ``a`` for a QR kernel and return it in the working dtype.

    The result may be ``a`` itself (it is never written to by the callers).
    ``require_tall`` refuses ``m < n`` with a suggestion.
    """
    a = validate_matrix(a, check_finite=check_finite, batch=False)
    m, n = (int(s) for s in a.shape)
    if require_tall and m < n:
        raise ValueError(
            f"{func} needs a matrix with at least as many rows as columns, got shape "
            f"({m}, {n}); for a wide matrix use pivotal.kernels.tsqr.tsqr or a "
            "Householder QR (numpy.linalg.qr), which return the reduced factors."
        )
    dt = working_dtype(a)
    if a.dtype != dt:
        a = a.to(dtype=dt) if hasattr(a, "to") else np.asarray(a, dtype=dt)
    return a


def _diag_phases(r: Any, xp) -> Any:
    """``d_j = r_jj / |r_jj|`` (1 where ``r_jj == 0``) as a 1-D array of ``r``'s dtype."""
    k = min(int(r.shape[0]), int(r.shape[1]))
    d = xp.linalg.diagonal(r[:k, :k])
    mag = xp.abs(d)
    one = xp.ones_like(mag)
    safe = xp.where(mag == 0, one, mag)
    ph = xp.where(mag == 0, xp.astype(one, d.dtype), d / xp.astype(safe, d.dtype))
    return ph


def normalize_qr_signs(q: Any, r: Any) -> tuple[Any, Any]:
    """Return ``(Q D, D^H R)`` with ``D`` diagonal unitary so that ``diag(R) >= 0``.

    ``D = diag(r_jj / |r_jj|)`` (1 where ``r_jj == 0``), so the product
    ``Q R`` is unchanged and, for complex input, the diagonal of ``R`` becomes
    real.  ``q`` is ``(m, k)`` and ``r`` is ``(k, n)``; new arrays are returned.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.kernels.tsqr import normalize_qr_signs
    >>> A = np.random.default_rng(0).standard_normal((6, 3))
    >>> Q, R = normalize_qr_signs(*np.linalg.qr(A))
    >>> bool(np.all(np.diag(R) >= 0)), bool(np.allclose(Q @ R, A))
    (True, True)
    """
    xp = namespace(q, r)
    ph = _diag_phases(r, xp)
    r = xp.conj(ph)[:, None] * r if is_complex(r.dtype) else ph[:, None] * r
    q = q * ph[None, :]
    k = int(ph.shape[0])
    if k:
        # Make the diagonal exactly real and non-negative (|r_jj| up to rounding).
        idx = xp.arange(k, device=array_api_compat.device(r))
        dg = xp.abs(r[idx, idx])
        r[idx, idx] = xp.astype(dg, r.dtype) if is_complex(r.dtype) else dg
    return q, r


def default_block_rows(m: int, n: int) -> int:
    """The default leaf height of :func:`tsqr`: ``max(16 n, 1024)`` rows, at most ``m``.

    Each tree node costs about ``11 n^3`` flops against ``6 b n^2`` for a leaf
    of ``b`` rows, so ``b = 16 n`` keeps the tree's overhead near 10% while
    leaves of a few thousand rows still fit in cache for small ``n``.
    """
    return max(1, min(m, max(16 * n, 1024)))


def _split_rows(m: int, block_rows: int) -> list[tuple[int, int]]:
    """``ceil(m / block_rows)`` nearly equal row ranges, each at most ``block_rows`` long."""
    p = max(1, math.ceil(m / block_rows))
    base, extra = divmod(m, p)
    out, start = [], 0
    for i in range(p):
        stop = start + base + (1 if i < extra else 0)
        out.append((start, stop))
        start = stop
    return out


# --------------------------------------------------------------------------- tree steps
# Each step is a pure function of arrays, so the same tree runs eagerly (in
# memory) or as dask.delayed tasks (one task per call).


def _qr(x: Any):
    """Reduced Householder QR of one block (backend vendor routine)."""
    xp = namespace(x)
    q, r = xp.linalg.qr(x)
    return q, r


def _leaf_qr(block: Any, dtype: Any = None, check_finite: bool = False):
    """QR of one row block, scaled into the safe range: ``(Q_i, (r_i, e_i))`` with ``R_i = 2**-e_i r_i``.

    Dask leaves convert their chunk here; the scan that finds the scale also
    refuses NaN/Inf (``check_finite``).
    """
    if dtype is not None and block.dtype != dtype:
        block = np.asarray(block, dtype=dtype)
    e, _ = safe_scale(block, check_finite=check_finite)
    q, r = _qr(ldexp(block, e))
    return q, (r, e)


def _node_qr(ta: tuple[Any, int], tb: tuple[Any, int]):
    """QR of two stacked scaled triangles ``(r, e)`` at their common exponent: ``(Q, (r, e))``."""
    (ra, ea), (rb, eb) = ta, tb
    e = min(ea, eb)
    xp = namespace(ra, rb)
    q, r = _qr(xp.concat([ldexp(ra, e - ea), ldexp(rb, e - eb)], axis=0))
    return q, (r, e)


def _split_down(q_node: Any, c: Any, ka: int):
    """``P = Q_node @ C`` split by rows between the two children."""
    p = q_node @ c
    return p[:ka], p[ka:]


def _leaf_q(q_leaf: Any, c: Any):
    return q_leaf @ c


def _root_signs(tri: tuple[Any, int]):
    """``(D^H R, D)`` for the root's scaled triangle ``(r, e)``, ``D`` the diagonal phase matrix."""
    r, e = tri
    r = ldexp(r, -e)
    xp = namespace(r)
    ph = _diag_phases(r, xp)
    eye_k = xp.eye(int(ph.shape[0]), dtype=r.dtype, device=array_api_compat.device(r))
    d = eye_k * ph[None, :]
    _, r = normalize_qr_signs(eye_k, r)
    return r, d


@dataclass
class _Node:
    r: Any  # the scaled triangle (r, e): R = 2**-e r
    rows: int  # height of r (its number of rows), known without computing
    q: Any = None  # None for leaves that have not been split (leaf Q lives in `leaf_q`)
    children: list = field(default_factory=list)
    leaf: int | None = None  # index of the leaf block


def _build_tree(leaves: list[tuple[Any, Any, int]], call2: Callable, n: int):
    """Reduce ``[(Q_i, R_i, rows_i)]`` pairwise to a root; returns ``(root, leaf_qs)``."""
    leaf_qs = [q for q, _, _ in leaves]
    level = [_Node(r=r, rows=k, leaf=i) for i, (_, r, k) in enumerate(leaves)]
    while len(level) > 1:
        nxt = []
        for i in range(0, len(level) - 1, 2):
            a, b = level[i], level[i + 1]
            q, r = call2(_node_qr, a.r, b.r)
            nxt.append(_Node(r=r, rows=min(a.rows + b.rows, n), q=q, children=[a, b]))
        if len(level) % 2:
            nxt.append(level[-1])  # carried up unchanged
        level = nxt
    return level[0], leaf_qs


def _apply_down(node: _Node, c: Any, call2: Callable, out: dict) -> None:
    """Push ``C`` down from ``node``; record each leaf's incoming factor in ``out``."""
    if node.leaf is not None:
        out[node.leaf] = c
        return
    a, b = node.children
    ca, cb = call2(_split_down, node.q, c, a.rows)
    _apply_down(a, ca, call2, out)
    _apply_down(b, cb, call2, out)


def _eager2(fn: Callable, *args):
    return fn(*args)


# --------------------------------------------------------------------------- public


def tsqr(
    a: Any,
    *,
    block_rows: int | None = None,
    check_finite: bool = True,
) -> tuple[Any, Any]:
    """Tall-skinny QR by a binary reduction tree (TSQR), in memory or on Dask.

    Parameters
    ----------
    a : (m, n) array
        NumPy array, PyTorch tensor (CPU or CUDA) or ``dask.array.Array``
        chunked by rows only (one chunk along the columns).  Real or complex;
        integer and half-precision input is computed in the working dtype
        (float64 / float32).  ``a`` is not modified.
    block_rows : int, optional
        In memory: the largest number of rows per leaf; the rows are split
        into ``ceil(m / block_rows)`` nearly equal blocks.  Default
        ``max(16 n, 1024)`` (:func:`default_block_rows`).  With Dask the
        leaves are the chunks of ``a``, so ``block_rows`` must be None
        (rechunk ``a`` instead).
    check_finite : bool, optional
        Raise ``ValueError`` for NaN or Inf in ``a`` (default True).  With
        Dask the check runs inside each leaf task, when the result is
        computed.

    Returns
    -------
    Q : (m, k) array
        Orthonormal columns, ``k = min(m, n)``; same backend, dtype and
        device as the (working-dtype) input.  For Dask, a dask array with the
        row chunks of ``a`` and one column chunk.
    R : (k, n) array
        Upper triangular (trapezoidal when ``m < n``) with a real,
        non-negative diagonal.  For Dask, a lazy one-chunk ``(k, n)`` dask
        array; ``dask.compute(Q, R)`` evaluates the tree once for both.

    Raises
    ------
    ValueError
        ``a`` not 2-D, non-finite entries (with ``check_finite``),
        ``block_rows < 1``; for Dask, more than one column chunk, unknown
        chunk sizes, or ``block_rows`` given.

    Notes
    -----
    Backward stable like Householder QR for any condition number, rank
    deficient matrices included (then ``R`` has small or zero diagonal
    entries and ``Q`` still has orthonormal columns).  In memory this does
    the work of a Householder QR plus ``O(p n^3)`` for the tree of ``p``
    leaves; it is the oracle for the Dask path and the algorithm to use when
    the rows are distributed.  See the module docstring for the algorithm
    and the sign convention (``diag(R) >= 0``).

    References
    ----------
    .. [1] J. Demmel, L. Grigori, M. Hoemmen and J. Langou,
       "Communication-optimal parallel and sequential QR and LU
       factorizations", SIAM J. Sci. Comput. 34(1), A206-A239, 2012.
    .. [2] A. R. Benson, D. F. Gleich and J. Demmel, "Direct QR
       factorizations for tall-and-skinny matrices in MapReduce
       architectures", IEEE BigData 2013.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.kernels.tsqr import tsqr
    >>> A = np.random.default_rng(0).standard_normal((1000, 20))
    >>> Q, R = tsqr(A, block_rows=128)
    >>> Q.shape, R.shape
    ((1000, 20), (20, 20))
    >>> bool(np.allclose(Q @ R, A)), bool(np.allclose(Q.T @ Q, np.eye(20)))
    (True, True)
    >>> bool(np.all(np.diag(R) >= 0))
    True
    """
    if array_api_compat.is_dask_array(a):
        if block_rows is not None:
            raise ValueError(
                "block_rows is not used for Dask arrays: TSQR takes one leaf per "
                "row chunk. Rechunk instead, e.g. a.rechunk({0: 10000, 1: -1})."
            )
        return _tsqr_dask(a, check_finite)
    a = _tall_input(a, "tsqr", False, require_tall=False)  # the leaves check their blocks
    m, n = (int(s) for s in a.shape)
    xp = namespace(a)
    k = min(m, n)
    if block_rows is None:
        block_rows = default_block_rows(m, n)
    elif int(block_rows) != block_rows or block_rows < 1:
        raise ValueError(f"block_rows must be a positive integer, got {block_rows!r}.")
    block_rows = int(block_rows)
    if k == 0:
        dev = array_api_compat.device(a)
        return xp.zeros((m, k), dtype=a.dtype, device=dev), xp.zeros((k, n), dtype=a.dtype, device=dev)
    ranges = _split_rows(m, block_rows) if m > n else [(0, m)]
    leaves = []
    for r0, r1 in ranges:
        q, tri = _leaf_qr(a[r0:r1], check_finite=check_finite)
        leaves.append((q, tri, min(r1 - r0, n)))
    root, leaf_qs = _build_tree(leaves, _eager2, n)
    r_final, d = _root_signs(root.r)
    incoming: dict[int, Any] = {}
    _apply_down(root, d, _eager2, incoming)
    if len(ranges) == 1:
        return leaf_qs[0] @ d, r_final
    q_out = xp.empty((m, k), dtype=a.dtype, device=array_api_compat.device(a))
    for i, (r0, r1) in enumerate(ranges):
        q_out[r0:r1] = leaf_qs[i] @ incoming[i]
    return q_out, r_final


def _tsqr_dask(a: Any, check_finite: bool):
    import dask
    import dask.array as da

    if a.ndim != 2:
        raise ValueError(f"expected a 2-D dask array, got shape {a.shape}.")
    if a.numblocks[1] != 1:
        raise ValueError(
            f"TSQR needs a dask array chunked by rows only, but a has {a.numblocks[1]} "
            "column chunks; rechunk it with a.rechunk({1: -1})."
        )
    row_chunks = a.chunks[0]
    if any(math.isnan(c) for c in row_chunks) or math.isnan(a.shape[1]):
        raise ValueError(
            "a has unknown chunk sizes; call a.compute_chunk_sizes() (or build it with "
            "known chunks) before tsqr."
        )
    m, n = (int(s) for s in a.shape)
    dt = np.dtype(working_dtype(a))
    k = min(m, n)
    if k == 0:
        return da.zeros((m, k), dtype=dt, chunks=(row_chunks, k)), da.zeros((k, n), dtype=dt)

    def call2(fn, *args):
        return dask.delayed(fn, nout=2, pure=True)(*args)

    blocks = a.to_delayed().ravel().tolist()
    leaves = []
    for blk, rows in zip(blocks, row_chunks, strict=True):
        q, r = call2(_leaf_qr, blk, dt, check_finite)
        leaves.append((q, r, min(int(rows), n)))
    root, leaf_qs = _build_tree(leaves, call2, n)
    r_final, d = call2(_root_signs, root.r)
    incoming: dict[int, Any] = {}
    _apply_down(root, d, call2, incoming)
    pieces = [
        da.from_delayed(
            dask.delayed(_leaf_q, pure=True)(leaf_qs[i], incoming[i]), shape=(int(rows), k), dtype=dt
        )
        for i, rows in enumerate(row_chunks)
    ]
    q = da.concatenate(pieces, axis=0) if len(pieces) > 1 else pieces[0]
    r = da.from_delayed(r_final, shape=(k, n), dtype=dt)
    return q, r
