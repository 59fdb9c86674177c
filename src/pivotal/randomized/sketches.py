"""Sketching operators: Gaussian, sparse sign and subsampled randomized trigonometric transforms.

A sketching operator ``S`` of shape ``(d, m)`` (``d`` the sketch size,
usually ``d << m``) maps ``R^m`` to ``R^d`` so that, with high probability,
norms of all vectors of a fixed ``n``-dimensional subspace are kept up to a
factor ``1 +- eps`` once ``d`` is a small multiple of ``n`` (a *subspace
embedding*).  Each operator here

* applies from the left, ``S @ A`` for ``A`` with ``m`` rows
  (:meth:`~SketchingOperator.apply_left`), and from the right,
  ``A @ S^H`` for ``A`` with ``m`` columns
  (:meth:`~SketchingOperator.apply_right`), without forming a dense ``S``;
* is normalised so that ``E[S^H S] = I``;
* is fixed at construction: applying it twice gives the same ``S``;
* accepts NumPy arrays, ``scipy.sparse`` matrices and arrays, and PyTorch
  tensors (on any device; the random numbers are drawn on the host by
  NumPy and moved, so a fixed ``random_state`` gives the same ``S`` on
  every backend and device);
* the Gaussian and sparse sign operators also accept Dask arrays chunked by
  rows (lazy result): each block generates only its own columns of ``S``
  with a counter-based generator, so the result does not depend on the
  chunking.

Operators
---------
:class:`GaussianSketch`
    i.i.d. ``N(0, 1/d)`` entries (complex Gaussian for complex input).  The
    best embedding constants; ``O(d m n)`` to apply.  Its columns are
    generated in tiles of 4096 by a counter-based generator
    (:func:`pivotal.randomized._random.tile_normal`), so memory stays at
    ``O(d 4096)`` and any block of columns can be generated on its own.
:class:`SparseSignSketch`
    ``zeta`` nonzeros ``+-1/sqrt(zeta)`` in random distinct rows of every
    column (default ``zeta = 8``); ``O(zeta nnz(A))`` to apply, the cheapest
    for sparse ``A`` (Clarkson and Woodruff 2013; Tropp et al. 2019).
:class:`SRHTSketch`
    ``sqrt(m/d) R F D``: random signs ``D``, an orthonormal trigonometric
    transform ``F`` (the DCT-II for real input, the DFT for complex input,
    through ``scipy.fft`` or ``torch.fft``), and ``d`` rows sampled
    uniformly without replacement (``R``); ``O(m n log m)`` to apply (Tropp
    2011).  Sparse input is densified.

References
----------
J. A. Tropp, "Improved analysis of the subsampled randomized Hadamard
transform", Adv. Adapt. Data Anal. 3, 115-126, 2011.

K. L. Clarkson and D. P. Woodruff, "Low rank approximation and regression in
input sparsity time", STOC 2013.

J. A. Tropp, A. Yurtsever, M. Udell and V. Cevher, "Streaming low-rank
matrix approximation with an application to scientific simulation", SIAM J.
Sci. Comput. 41(4), A2430-A2463, 2019 (sparse sign maps, section 3.3).

P.-G. Martinsson and J. A. Tropp, "Randomized numerical linear algebra:
foundations and algorithms", Acta Numerica 29, 403-572, 2020, section 9.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.fft
import scipy.sparse
from array_api_compat import is_dask_array

from .._array import (
    backend_name,
    conj_transpose,
    from_numpy,
    is_complex,
    validate_matrix,
    working_dtype,
)
from ._random import TILE_ROWS, RandomState, root_key, tile_normal, tile_sparse_sign

__all__ = ["GaussianSketch", "SRHTSketch", "SketchingOperator", "SparseSignSketch", "sketch"]


def _is_sparse(a: Any) -> bool:
    return scipy.sparse.issparse(a)


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}.")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}.")
    return int(value)


def _np_dtype(dtype: Any) -> np.dtype:
    if type(dtype).__module__.startswith("torch"):
        return np.dtype(str(dtype).replace("torch.", ""))
    return np.dtype(dtype)


class SketchingOperator:
    """Base class: a fixed random ``(d, m)`` matrix ``S`` that is applied, not formed.

    Subclasses implement :meth:`_left` (``S @ A`` for a 2-D ``A`` with ``m``
    rows in its working dtype); everything else (validation, vectors,
    ``scipy.sparse`` input, :meth:`apply_right`, :meth:`to_dense`) is here.
    """

    kind: str = ""

    def __init__(self, d: int, m: int, *, random_state: RandomState = None):
        self.d = _positive_int(d, "d (the sketch size)")
        self.m = _positive_int(m, "m (the dimension being sketched)")
        self.key = root_key(random_state)

    @property
    def shape(self) -> tuple[int, int]:
        """``(d, m)``: ``S @ A`` has ``d`` rows for ``A`` with ``m`` rows."""
        return (self.d, self.m)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(d={self.d}, m={self.m})"

    # ------------------------------------------------------------------ public

    def apply_left(self, a: Any, *, check_finite: bool = True) -> Any:
        """``S @ A`` for ``A`` of shape ``(m, n)`` (or a vector ``(m,)``).

        Parameters
        ----------
        a : (m, n) or (m,) array
            NumPy array, PyTorch tensor, ``scipy.sparse`` matrix/array, or
            (Gaussian and sparse sign only) a 2-D Dask array.
        check_finite : bool, optional
            Scan ``a`` for NaN/Inf first and raise ``ValueError`` (default).
            Pass ``False`` when the caller has already checked: the scan is a
            full pass over ``a``.  Dask input is never scanned (it is lazy).

        Returns
        -------
        (d, n) or (d,) array
            Same backend and device as ``a`` (a dense NumPy array for sparse
            ``a``, a lazy Dask array for Dask ``a``), in ``a``'s working dtype.

        Raises
        ------
        ValueError
            Wrong shape, or (with ``check_finite``) NaN/Inf in ``a``.
        """
        if is_dask_array(a):
            return self._left_dask(a, "apply_left")
        a, vector = self._prepare(a, axis=0, check_finite=check_finite)
        out = self._left(a)
        return out[:, 0] if vector else out

    def apply_right(self, a: Any, *, check_finite: bool = True) -> Any:
        """``A @ S^H`` for ``A`` of shape ``(p, m)`` (or a vector ``(m,)``): sketches the rows.

        ``A @ S^H = (S @ A^H)^H``, so it embeds the row space of ``A`` exactly
        as :meth:`apply_left` embeds the column space of ``A^H``.

        Parameters
        ----------
        a : (p, m) or (m,) array
            As for :meth:`apply_left`, with ``m`` columns.
        check_finite : bool, optional
            As for :meth:`apply_left`.

        Returns
        -------
        (p, d) or (d,) array
        """
        if is_dask_array(a):
            if len(a.shape) != 2:
                raise ValueError(f"apply_right: expected a 2-D Dask array, got shape {a.shape}.")
            return self._left_dask(a.conj().T, "apply_right").conj().T
        a, vector = self._prepare(a, axis=1, check_finite=check_finite)
        out = self._right(a)
        return out[0] if vector else out

    def to_dense(self, dtype: Any = np.float64) -> np.ndarray:
        """``S`` as a dense NumPy ``(d, m)`` array (for tests and small problems).

        ``dtype`` selects the variant: the SRHT uses the DCT for real and the
        DFT for complex dtypes, and the Gaussian sketch is complex for complex
        dtypes.
        """
        return self.apply_left(np.eye(self.m, dtype=dtype), check_finite=False)

    # ------------------------------------------------------------------ helpers

    def _columns_times(self, r0: int, r1: int, block: np.ndarray) -> np.ndarray:
        """``S[:, r0:r1] @ block`` for one row block of ``A`` (Dask); generated on its own."""
        raise TypeError(
            f"{type(self).__name__} mixes all rows of A, so it cannot be applied block by block "
            "to a Dask array; use a GaussianSketch or SparseSignSketch, or pass a NumPy array."
        )

    def _left_dask(self, a: Any, side: str) -> Any:
        """``S @ A`` for a Dask array chunked by rows: one partial product per row block, summed.

        Every block generates only its own columns of ``S`` (counter-based, see
        :mod:`pivotal.randomized._random`), so the result does not depend on
        the chunking and ``S`` is never formed; the result is a lazy Dask array.
        """
        if len(a.shape) != 2:
            raise ValueError(f"{side}: expected a 2-D Dask array, got shape {a.shape}.")
        if a.shape[0] != self.m:
            want = "rows" if side == "apply_left" else "columns"
            raise ValueError(
                f"{side}: A has {a.shape[0]} {want} but the sketch has m = {self.m} "
                f"(shape {self.shape}); build the sketch with m = {a.shape[0]}."
            )
        if type(self)._columns_times is SketchingOperator._columns_times:
            self._columns_times(0, 0, None)  # raises the TypeError
        dt = working_dtype(np.empty(0, dtype=a.dtype))
        a = a.astype(dt).rechunk({1: -1})
        n, d = int(a.shape[1]), self.d
        nblocks = len(a.chunks[0])

        def block(blk, block_info=None):
            r0, r1 = block_info[0]["array-location"][0]
            return self._columns_times(int(r0), int(r1), np.asarray(blk))

        parts = a.map_blocks(block, chunks=(d, n), dtype=dt)  # (nblocks d, n)
        return parts.reshape(nblocks, d, n).sum(axis=0)

    def _prepare(self, a: Any, axis: int, check_finite: bool = True) -> tuple[Any, bool]:
        """``a`` validated, 2-D and in its working dtype, and whether it was a vector."""
        side = "apply_left" if axis == 0 else "apply_right"
        want = "rows" if axis == 0 else "columns"
        if _is_sparse(a):
            if a.ndim != 2:
                raise ValueError(f"{side}: expected a 2-D sparse matrix, got shape {a.shape}.")
            dt = working_dtype(np.empty(0, dtype=a.dtype))
            a = a.astype(dt) if a.dtype != dt else a
            if check_finite and not np.isfinite(a.data).all():
                raise ValueError(f"{side}: the sparse matrix contains infs or NaNs; clean it first.")
            vector = False
            fmt = "csr" if axis == 0 else "csc"
            a = a.asformat(fmt)
        else:
            if getattr(a, "ndim", None) == 1 or (not hasattr(a, "shape") and np.ndim(a) == 1):
                a = np.asarray(a) if backend_name(a) == "numpy" else a
                a = a[:, None] if axis == 0 else a[None, :]
                vector = True
            else:
                vector = False
            a = validate_matrix(a, "A", check_finite=check_finite, batch=False)
            dt = working_dtype(a)
            if a.dtype != dt:
                a = a.to(dt) if backend_name(a) == "torch" else np.asarray(a, dtype=dt)
        if a.shape[axis] != self.m:
            raise ValueError(
                f"{side}: A has {a.shape[axis]} {want} but the sketch has m = {self.m} "
                f"(shape {self.shape}); build the sketch with m = {a.shape[axis]}."
            )
        return a, vector

    def _left(self, a: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _right(self, a: Any) -> Any:
        """``A @ S^H`` for a prepared 2-D ``A`` with ``m`` columns, as ``(S @ A^H)^H``."""
        ah = a.conj().T.tocsr() if _is_sparse(a) else conj_transpose(a)
        return conj_transpose(self._left(ah))


class GaussianSketch(SketchingOperator):
    """Gaussian sketch: ``S`` with i.i.d. ``N(0, 1/d)`` entries.

    Real input gets a real ``S``; complex input a complex Gaussian ``S``
    (``E|s_ij|^2 = 1/d``).  Float32 input gets ``S`` drawn in float32.
    ``S`` is generated in column tiles of 4096 by a counter-based generator
    (Philox keyed by the seed and the tile index), so it is never stored
    whole and is the same however ``A``'s rows are blocked.

    Parameters
    ----------
    d : int
        Sketch size (rows of ``S``).
    m : int
        Dimension being sketched (columns of ``S``).
    random_state : None, int, numpy.random.Generator, torch.Generator or JAX key
        Seed; the numbers are drawn on the host by NumPy (Philox), so every
        backend and device gets the same ``S`` for a fixed seed.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.randomized import GaussianSketch
    >>> A = np.random.default_rng(0).standard_normal((1000, 5))
    >>> S = GaussianSketch(40, 1000, random_state=0)
    >>> SA = S.apply_left(A)
    >>> SA.shape
    (40, 5)
    >>> bool(np.allclose(SA, S.to_dense() @ A))
    True
    """

    kind = "gaussian"

    def _columns_times(self, r0: int, r1: int, block: np.ndarray) -> np.ndarray:
        g = tile_normal(self.key, r0, r1, self.d, block.dtype)
        return (g.T @ block) * (1.0 / math.sqrt(self.d))

    def _left(self, a: Any) -> Any:
        dt = _np_dtype(a.dtype)
        scale = 1.0 / math.sqrt(self.d)
        out = None
        for r0 in range(0, self.m, TILE_ROWS):
            r1 = min(self.m, r0 + TILE_ROWS)
            g = tile_normal(self.key, r0, r1, self.d, dt)  # (r1 - r0, d) = S[:, r0:r1].T * sqrt(d)
            block = a[r0:r1]
            if _is_sparse(a):
                part = np.asarray(block.T @ g).T  # (d, n)
            else:
                part = from_numpy(g, a).T @ block
            out = part if out is None else out + part
        return out * scale


class SparseSignSketch(SketchingOperator):
    """Sparse sign sketch: ``zeta`` entries ``+-1/sqrt(zeta)`` per column, in distinct random rows.

    Parameters
    ----------
    d : int
        Sketch size (rows of ``S``).
    m : int
        Dimension being sketched.
    zeta : int, optional
        Nonzeros per column (default 8, capped at ``d``).  ``zeta = 8`` with
        ``d ~ 2n``-``4n`` is a reliable subspace embedding in practice
        (Tropp et al. 2019; Epperly 2023).
    random_state : None, int, numpy.random.Generator, torch.Generator or JAX key

    Notes
    -----
    ``S`` is stored column by column (``zeta m`` row indices and values) and
    applied as a CSC product: each row of a dense ``A`` is read once and
    added into ``zeta`` rows of ``S A``, which is built in cache-sized column
    blocks, for C- and F-ordered or strided ``A`` alike (no copy of ``A``
    beyond one cache-sized buffer).  CPU tensors go through the same kernel
    on a zero-copy NumPy view; tensors on other devices use a
    ``torch.sparse`` COO product on their device.  ``scipy.sparse`` ``A``
    gets a sparse-sparse product and a dense result.  :meth:`apply_right`
    uses ``A S^H = (S A^T)^T`` (``S`` is real), so it conjugates nothing.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.randomized import SparseSignSketch
    >>> S = SparseSignSketch(30, 2000, random_state=1)
    >>> M = S.to_dense()
    >>> sorted(set(np.count_nonzero(M, axis=0).tolist()))
    [8]
    >>> bool(np.allclose(np.linalg.norm(M, axis=0), 1.0))
    True
    """

    kind = "sparse_sign"

    def __init__(self, d: int, m: int, *, zeta: int = 8, random_state: RandomState = None):
        super().__init__(d, m, random_state=random_state)
        self.zeta = min(_positive_int(zeta, "zeta"), self.d)
        self._rows: np.ndarray | None = None
        self._vals: dict[np.dtype, np.ndarray] = {}
        self._csr = None

    def __repr__(self) -> str:
        return f"SparseSignSketch(d={self.d}, m={self.m}, zeta={self.zeta})"

    def _entries(self, dtype: Any = np.float64) -> tuple[np.ndarray, np.ndarray]:
        """Rows ``(m, zeta)`` (int32 where they fit) and values ``+-1/sqrt(zeta)`` in ``dtype``.

        Both are generated once; the values are cached per dtype (complex
        input gets complex values, so no product has to cast them).
        """
        dtype = np.dtype(dtype)
        if self._rows is None:
            rows, signs = tile_sparse_sign(self.key, 0, self.m, self.d, self.zeta)
            self._rows = rows.astype(_index_dtype(self.d))
            self._vals[np.dtype(np.float64)] = signs / math.sqrt(self.zeta)
        if dtype not in self._vals:
            self._vals[dtype] = self._vals[np.dtype(np.float64)].astype(dtype)
        return self._rows, self._vals[dtype]

    def matrix(self) -> scipy.sparse.csr_array:
        """``S`` as a ``scipy.sparse.csr_array`` (float64), built once and cached."""
        if self._csr is None:
            rows, vals = self._entries()
            self._csr = _csc_from_entries(rows, vals, self.d).tocsr()
        return self._csr

    def _columns_times(self, r0: int, r1: int, block: np.ndarray) -> np.ndarray:
        rows, signs = tile_sparse_sign(self.key, r0, r1, self.d, self.zeta)
        vals = (signs / math.sqrt(self.zeta)).astype(block.dtype)
        rows = rows.astype(_index_dtype(self.d))
        return _sparse_sign_times_dense(rows, vals, self.d, block)

    def _left(self, a: Any) -> Any:
        if backend_name(a) == "torch":
            return self._left_torch(a)
        rows, vals = self._entries(a.dtype)
        if _is_sparse(a):
            return np.asarray((_csc_from_entries(rows, vals, self.d) @ a).toarray())
        return _sparse_sign_times_dense(rows, vals, self.d, a)

    def _right(self, a: Any) -> Any:
        # S is real, so A S^H = (S A^T)^T: no conjugate copy of A.
        return self._left(a.T.tocsr() if _is_sparse(a) else a.T).T

    def _left_torch(self, a: Any) -> Any:
        """``S @ A`` for a tensor: the NumPy kernel on a zero-copy view (CPU), else a sparse product."""
        import torch

        if a.device.type == "cpu":
            host = a.resolve_conj().resolve_neg().numpy()
            return torch.from_numpy(self._left(host))
        return self._left_torch_sparse(a)

    def _left_torch_sparse(self, a: Any) -> Any:
        """``S @ A`` as a ``torch.sparse`` COO product on ``a``'s device (no copies of ``A``)."""
        import torch

        csr = self.matrix()  # row-major order: the COO tensor is coalesced as built
        rows = np.repeat(np.arange(self.d, dtype=np.int64), np.diff(csr.indptr))
        index = torch.as_tensor(np.stack([rows, csr.indices.astype(np.int64)]), device=a.device)
        values = torch.as_tensor(csr.data.astype(_np_dtype(a.dtype)), device=a.device)
        s = torch.sparse_coo_tensor(
            index, values, (self.d, self.m), is_coalesced=True, check_invariants=False
        )
        return torch.sparse.mm(s, a)


_ROW_CHUNK = 16384  # rows of A per sparse product: the copied block stays in cache
_BLOCK_BYTES = 2 << 20  # target size of the (d, width) block of S @ A accumulated in cache


def _index_dtype(largest: int) -> type:
    """int32 for ``scipy.sparse`` indices up to ``largest`` where it fits, else int64."""
    return np.int32 if largest < np.iinfo(np.int32).max else np.int64


def _csc_from_entries(rows: np.ndarray, vals: np.ndarray, d: int) -> scipy.sparse.csc_array:
    """The ``(d, len(rows))`` CSC matrix whose column ``j`` holds ``vals[j]`` in rows ``rows[j]``.

    Every column has exactly ``zeta = rows.shape[1]`` entries, so the index
    pointer is ``0, zeta, 2 zeta, ...`` and nothing is sorted or copied.
    """
    ncol, zeta = rows.shape
    indptr = np.arange(0, zeta * (ncol + 1), zeta, dtype=_index_dtype(zeta * ncol))
    indices = rows.ravel().astype(indptr.dtype, copy=False)
    return scipy.sparse.csc_array((vals.ravel(), indices, indptr), shape=(d, ncol))


def _sparse_sign_times_dense(rows: np.ndarray, vals: np.ndarray, d: int, a: np.ndarray) -> np.ndarray:
    """``S @ a`` for a dense NumPy ``a`` of shape ``(m, n)``, ``S`` given by its columns' entries.

    A CSC product reads each row of ``a`` once and adds it, scaled, into
    ``zeta`` rows of the result.  The result is built in blocks of columns
    that fit in cache (about ``_BLOCK_BYTES``).  A C-contiguous ``a`` that
    fits one block is used as it is; otherwise ``a`` is fed in blocks of
    ``max(_ROW_CHUNK, d)`` rows, copied to C order into one reused buffer
    (F-ordered or strided ``a``, or more than one column block).  ``S``
    itself is never copied or cast.

    Parameters
    ----------
    rows : (m, zeta) int array
        Row indices of the nonzeros of each column of ``S``.
    vals : (m, zeta) array
        Their values, in ``a``'s dtype.
    d : int
        Rows of ``S``.
    a : (m, n) ndarray

    Returns
    -------
    (d, n) ndarray of ``a.dtype``
    """
    m, n = a.shape
    if n == 0:
        return np.zeros((d, 0), dtype=a.dtype)
    width = int(min(n, max(8, _BLOCK_BYTES // (d * a.itemsize))))
    whole = width == n and a.flags.c_contiguous
    height = m if whole else min(m, max(_ROW_CHUNK, d))
    starts = range(0, m, height)
    parts = [_csc_from_entries(rows[r0 : r0 + height], vals[r0 : r0 + height], d) for r0 in starts]
    buf = None
    out = None if width == n else np.empty((d, n), dtype=a.dtype)
    for c0 in range(0, n, width):
        acc = None
        for i, s in enumerate(parts):
            block = a[i * height : i * height + s.shape[1], c0 : c0 + width]
            if not block.flags.c_contiguous:
                buf = np.empty(height * width, dtype=a.dtype) if buf is None else buf
                block = _copy_into(buf, block)
            part = s @ block
            acc = part if acc is None else np.add(acc, part, out=acc)
        if out is None:
            return np.asarray(acc)
        out[:, c0 : c0 + width] = acc
    return out


def _copy_into(buf: np.ndarray, block: np.ndarray) -> np.ndarray:
    """``block`` copied into the front of the flat buffer ``buf`` as a C-ordered array."""
    view = buf[: block.size].reshape(block.shape)
    np.copyto(view, block)
    return view


def _dct_torch(x: Any) -> Any:
    """Orthonormal DCT-II along dim 0 of a real tensor, through one FFT (Makhoul 1980)."""
    import torch

    m = x.shape[0]
    v = torch.cat([x[0::2], torch.flip(x[1::2], dims=(0,))], dim=0)
    f = torch.fft.fft(v, dim=0)
    k = torch.arange(m, device=x.device, dtype=x.dtype)
    w = torch.exp(-1j * math.pi * k / (2 * m)).to(f.dtype)
    y = 2 * (f * w[:, None]).real
    y[0] *= math.sqrt(1 / (4 * m))
    y[1:] *= math.sqrt(1 / (2 * m))
    return y


class SRHTSketch(SketchingOperator):
    """Subsampled randomized trigonometric transform ``S = sqrt(m/d) R F D``.

    ``D`` holds ``m`` random signs, ``F`` is the orthonormal DCT-II (real
    input; ``scipy.fft.dct(norm="ortho")``) or the orthonormal DFT (complex
    input; ``scipy.fft.fft(norm="ortho")``), and ``R`` keeps ``d`` of the
    ``m`` rows chosen uniformly without replacement.  ``d <= m`` is
    required.  On PyTorch the DFT is ``torch.fft.fft`` and the DCT is
    computed through one FFT (Makhoul's reordering), on the tensor's device.

    Parameters
    ----------
    d : int
        Sketch size, ``1 <= d <= m``.
    m : int
        Dimension being sketched.
    random_state : None, int, numpy.random.Generator, torch.Generator or JAX key

    Notes
    -----
    Sparse input is converted to a dense array (the transform mixes all
    rows); prefer :class:`SparseSignSketch` for sparse matrices.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.randomized import SRHTSketch
    >>> A = np.random.default_rng(0).standard_normal((512, 4))
    >>> S = SRHTSketch(64, 512, random_state=0)
    >>> bool(np.allclose(S.apply_left(A), S.to_dense() @ A))
    True
    """

    kind = "srht"

    def __init__(self, d: int, m: int, *, random_state: RandomState = None):
        super().__init__(d, m, random_state=random_state)
        if self.d > self.m:
            raise ValueError(
                f"SRHTSketch samples d rows out of m, so it needs d <= m; got d = {self.d}, "
                f"m = {self.m}. Use a GaussianSketch or SparseSignSketch for d > m."
            )
        gen = np.random.Generator(np.random.Philox(key=self.key))
        self.signs = gen.integers(0, 2, size=self.m).astype(np.float64) * 2 - 1
        self.rows = np.sort(gen.choice(self.m, size=self.d, replace=False))

    def _left(self, a: Any) -> Any:
        scale = math.sqrt(self.m / self.d)
        if _is_sparse(a):
            a = a.toarray()
        if backend_name(a) == "torch":
            import torch

            s = torch.as_tensor(self.signs, device=a.device, dtype=a.real.dtype)
            x = a * s[:, None]
            if is_complex(a.dtype):
                y = torch.fft.fft(x, dim=0, norm="ortho")
            else:
                y = _dct_torch(x)
            idx = torch.as_tensor(self.rows, device=a.device)
            return y[idx] * scale
        x = a * self.signs.astype(a.real.dtype)[:, None]
        if is_complex(a.dtype):
            y = scipy.fft.fft(x, axis=0, norm="ortho")
        else:
            y = scipy.fft.dct(x, type=2, axis=0, norm="ortho")
        return y[self.rows] * scale


_KINDS = {
    "gaussian": GaussianSketch,
    "sparse_sign": SparseSignSketch,
    "srht": SRHTSketch,
}


def sketch(
    kind: str, d: int, m: int, *, random_state: RandomState = None, **options: Any
) -> SketchingOperator:
    """Build a ``(d, m)`` sketching operator by name.

    Parameters
    ----------
    kind : {"gaussian", "sparse_sign", "srht"}
        The operator (see :class:`GaussianSketch`, :class:`SparseSignSketch`,
        :class:`SRHTSketch`).  ``"sparse-sign"`` and ``"srtt"`` are accepted
        as aliases.
    d : int
        Sketch size.
    m : int
        Dimension being sketched: ``S.apply_left(A)`` needs ``A`` with ``m``
        rows, ``S.apply_right(A)`` with ``m`` columns.
    random_state : None, int, numpy.random.Generator, torch.Generator or JAX key
        Seed.  All random numbers are drawn on the host by NumPy, so NumPy
        and PyTorch inputs see the same ``S`` for a fixed seed.
    **options
        ``zeta=`` for ``"sparse_sign"``; none for the others.

    Returns
    -------
    SketchingOperator

    Raises
    ------
    ValueError
        Unknown ``kind``, non-positive sizes, ``d > m`` for the SRHT, or an
        option the operator does not take.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.randomized import sketch
    >>> A = np.random.default_rng(0).standard_normal((3000, 10))
    >>> for kind in ("gaussian", "sparse_sign", "srht"):
    ...     S = sketch(kind, 80, 3000, random_state=0)
    ...     sv = np.linalg.svd(S.apply_left(np.linalg.qr(A)[0]), compute_uv=False)
    ...     print(kind, bool(0.5 < sv.min() and sv.max() < 1.5))
    gaussian True
    sparse_sign True
    srht True
    """
    if not isinstance(kind, str):
        raise TypeError(f"kind must be a string, got {type(kind).__name__}.")
    key = kind.lower().replace("-", "_")
    key = {"srtt": "srht", "sparse": "sparse_sign", "normal": "gaussian"}.get(key, key)
    if key not in _KINDS:
        raise ValueError(f"unknown sketch kind {kind!r}; choose one of 'gaussian', 'sparse_sign' or 'srht'.")
    cls = _KINDS[key]
    allowed = {"zeta"} if cls is SparseSignSketch else set()
    extra = set(options) - allowed
    if extra:
        raise ValueError(
            f"sketch kind {key!r} takes no option(s) {sorted(extra)}"
            + (f"; it takes {sorted(allowed)}." if allowed else ".")
        )
    return cls(d, m, random_state=random_state, **options)
