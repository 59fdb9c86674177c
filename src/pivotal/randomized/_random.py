"""Random numbers for the randomized algorithms: one seeding rule for every backend.

Two kinds of generation live here.

* :func:`standard_normal` draws a Gaussian array in the backend and on the
  device of a reference array.  For ``random_state=None``, an int or a
  ``numpy.random.Generator`` the numbers are drawn on the host by NumPy and
  then moved, so a fixed seed gives *identical* numbers on NumPy and on
  PyTorch (CPU or CUDA); a ``torch.Generator`` draws with ``torch.randn`` on
  its own device, and a JAX PRNG key with ``jax.random.normal``.
* :func:`tile_normal` and :func:`tile_sparse_sign` are *counter based*: the
  rows (or columns) of a conceptual random matrix are generated tile by tile
  from ``numpy.random.Philox`` keyed by the root key, with the tile index in
  the counter.  Any slice of the matrix can be generated on its own, so a
  Dask array gets the same sketch whatever its chunking.

Everything here is private; the public functions of
:mod:`pivotal.randomized` document ``random_state=`` themselves.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._array import backend_name, from_numpy
from .._seeding import RandomState, as_generator
from .._seeding import seed_kind as _kind

__all__ = [
    "TILE_ROWS",
    "RandomState",
    "as_generator",
    "root_key",
    "standard_normal",
    "tile_normal",
    "tile_sparse_sign",
]

#: Rows per tile of the counter-based generators (fixed: changing it changes the numbers).
TILE_ROWS = 4096


def _np_dtype(dtype: Any) -> np.dtype:
    """A NumPy floating dtype from a NumPy or torch dtype (or None for float64)."""
    if dtype is None:
        return np.dtype(np.float64)
    if type(dtype).__module__.startswith("torch"):
        dtype = str(dtype).replace("torch.", "")
    dt = np.dtype(dtype)
    if dt.kind not in "fc" or dt.itemsize < 4:
        raise ValueError(
            f"dtype must be float32, float64, complex64 or complex128, got {dt}; "
            "cast the result afterwards if you need another type."
        )
    return dt


def _real_of(dt: np.dtype) -> np.dtype:
    return np.dtype(np.float32) if dt in (np.float32, np.complex64) else np.dtype(np.float64)


def _torch_dtype(dt: np.dtype):
    import torch

    return getattr(torch, dt.name)


def standard_normal(
    shape: tuple[int, ...] | int,
    *,
    like: Any = None,
    dtype: Any = np.float64,
    random_state: RandomState = None,
) -> Any:
    """A standard Gaussian array in the backend and on the device of ``like``.

    Real dtypes get independent ``N(0, 1)`` entries; complex dtypes get
    ``(re + 1j im) / sqrt(2)`` with ``re`` and ``im`` independent ``N(0, 1)``,
    so that ``E|x|^2 = 1``.

    Parameters
    ----------
    shape : int or tuple of int
    like : array, optional
        The result is a NumPy array when ``like`` is None or a NumPy array, a
        tensor on ``like.device`` for a torch tensor, a JAX array for JAX.
    dtype : dtype, optional
        float32, float64 (default), complex64 or complex128, as a NumPy or
        torch dtype.
    random_state : None, int, numpy.random.Generator, torch.Generator or JAX key
        For None, an int or a ``numpy.random.Generator`` the numbers are drawn
        on the host by NumPy and moved to ``like``'s device, so NumPy and
        PyTorch (CPU or CUDA) give **identical** arrays for a fixed seed.  A
        ``torch.Generator`` draws with ``torch.randn`` on the generator's
        device (then moved to ``like``'s); a JAX key uses
        ``jax.random.normal``.  These two are reproducible for a fixed seed
        but differ from the NumPy numbers.

    Returns
    -------
    array of ``shape`` and ``dtype``

    Raises
    ------
    TypeError
        For an unsupported ``random_state``.
    ValueError
        For a negative seed or a non-floating dtype.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.randomized._random import standard_normal
    >>> G = standard_normal((3, 2), random_state=0)
    >>> G.shape, G.dtype
    ((3, 2), dtype('float64'))
    >>> bool(np.array_equal(G, standard_normal((3, 2), random_state=0)))
    True
    """
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)
    if any(s < 0 for s in shape):
        raise ValueError(f"shape must have non-negative entries, got {shape}.")
    dt = _np_dtype(dtype)
    rdt = _real_of(dt)
    kind = _kind(random_state)
    complex_ = dt.kind == "c"
    if kind == "numpy":
        gen = as_generator(random_state)
        x = gen.standard_normal(shape, dtype=rdt)
        if complex_:
            im = gen.standard_normal(shape, dtype=rdt)
            x = ((x + 1j * im) * (1 / math.sqrt(2))).astype(dt)
        return from_numpy(x, like) if like is not None else x
    if kind == "torch":
        import torch

        g = random_state
        x = torch.randn(shape, generator=g, dtype=_torch_dtype(rdt), device=g.device)
        if complex_:
            im = torch.randn(shape, generator=g, dtype=_torch_dtype(rdt), device=g.device)
            x = torch.complex(x, im) * (1 / math.sqrt(2))
        if like is not None and backend_name(like) == "torch":
            return x.to(like.device)
        return from_numpy(x.cpu().numpy(), like) if like is not None else x.cpu().numpy()
    import jax
    import jax.numpy as jnp

    # complex: (re + i im)/sqrt(2).  Without jax_enable_x64 JAX draws in single
    # precision; the host copy is then cast to the requested dtype.
    jdt = dt
    if not jax.config.jax_enable_x64:
        jdt = np.dtype(np.complex64) if dt.kind == "c" else np.dtype(np.float32)
    x = jax.random.normal(random_state, shape, dtype=jnp.dtype(jdt))
    if like is not None and backend_name(like) == "jax":
        return x
    xn = np.array(x, dtype=dt)
    return from_numpy(xn, like) if like is not None else xn


# --------------------------------------------------------------------------- counter based


def root_key(random_state: RandomState = None) -> np.ndarray:
    """A 128-bit Philox key (two ``uint64`` words) for the counter-based generators.

    An int seed is expanded by ``numpy.random.SeedSequence`` (so the key is
    a pure function of the seed); a Generator (or a torch/JAX generator,
    through :func:`as_generator`) is consumed for two 64-bit words; None
    takes fresh operating-system entropy.

    Examples
    --------
    >>> from pivotal.randomized._random import root_key
    >>> bool((root_key(1) == root_key(1)).all())
    True
    """
    _kind(random_state)  # rejects a bool, a negative seed or an unknown type
    if random_state is None or isinstance(random_state, (int, np.integer)):
        seq = np.random.SeedSequence(None if random_state is None else int(random_state))
        return seq.generate_state(2, np.uint64)
    gen = as_generator(random_state)
    return gen.integers(0, 2**64, size=2, dtype=np.uint64, endpoint=False)


def _tile_generator(key: Any, tile: int, stream: int) -> np.random.Generator:
    # Counter words: [0, 0, tile, stream].  Word 0 is the one that advances as
    # numbers are drawn; it would need 2**64 increments to reach word 2, so
    # tiles and streams never overlap.
    counter = np.array([0, 0, tile, stream], dtype=np.uint64)
    return np.random.Generator(np.random.Philox(key=np.asarray(key, dtype=np.uint64), counter=counter))


def _tiles(start: int, stop: int):
    """``(tile, lo, hi)``: rows ``[lo, hi)`` of tile ``tile`` (tile-relative) covering ``[start, stop)``."""
    t = start // TILE_ROWS
    while t * TILE_ROWS < stop:
        lo = max(start - t * TILE_ROWS, 0)
        hi = min(stop - t * TILE_ROWS, TILE_ROWS)
        yield t, lo, hi
        t += 1


def tile_normal(
    key: Any, row_start: int, row_stop: int, ncols: int, dtype: Any = np.float64, *, stream: int = 0
) -> np.ndarray:
    """Rows ``[row_start, row_stop)`` of a conceptual ``(m, ncols)`` Gaussian matrix.

    The matrix is cut into tiles of :data:`TILE_ROWS` rows; tile ``t`` is
    drawn (row-major) from ``Philox(key, counter=[0, 0, t, stream])``, so any
    row range is generated on its own and agrees with every other chunking.
    ``stream`` separates independent matrices under one key.  Complex
    entries are ``(re + 1j im)/sqrt(2)`` with ``re, im`` interleaved.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.randomized._random import root_key, tile_normal
    >>> key = root_key(0)
    >>> whole = tile_normal(key, 0, 10000, 3)
    >>> parts = np.vstack([tile_normal(key, 0, 4500, 3), tile_normal(key, 4500, 10000, 3)])
    >>> bool(np.array_equal(whole, parts))
    True
    """
    row_start, row_stop, ncols = int(row_start), int(row_stop), int(ncols)
    if not 0 <= row_start <= row_stop or ncols < 0:
        raise ValueError(
            f"need 0 <= row_start <= row_stop and ncols >= 0, got {row_start}, {row_stop}, {ncols}."
        )
    dt = _np_dtype(dtype)
    rdt = _real_of(dt)
    complex_ = dt.kind == "c"
    out = np.empty((row_stop - row_start, ncols), dtype=dt)
    pos = 0
    for t, lo, hi in _tiles(row_start, row_stop):
        gen = _tile_generator(key, t, stream)
        # Row-major draws: the first ``hi`` rows of a tile are a prefix of its stream.
        if complex_:
            z = gen.standard_normal((hi, ncols, 2), dtype=rdt)[lo:]
            out[pos : pos + hi - lo] = (z[..., 0] + 1j * z[..., 1]) * (1 / math.sqrt(2))
        else:
            out[pos : pos + hi - lo] = gen.standard_normal((hi, ncols), dtype=rdt)[lo:]
        pos += hi - lo
    return out


def tile_sparse_sign(
    key: Any, col_start: int, col_stop: int, d: int, zeta: int, *, stream: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Rows and signs of columns ``[col_start, col_stop)`` of a sparse sign matrix.

    Column ``j`` of the conceptual ``(d, m)`` sparse sign matrix has ``zeta``
    distinct nonzero rows (Floyd's sampling without replacement, vectorized
    over the columns of a tile) with random signs.  Columns are generated in
    tiles of :data:`TILE_ROWS` from ``Philox(key, counter=[0, 0, t, stream])``
    exactly like :func:`tile_normal`, so any column chunking agrees.

    Returns
    -------
    rows : ndarray of int64, shape (col_stop - col_start, zeta)
    signs : ndarray of float64 in {-1, +1}, same shape

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.randomized._random import root_key, tile_sparse_sign
    >>> rows, signs = tile_sparse_sign(root_key(0), 0, 5, d=10, zeta=3)
    >>> rows.shape, bool(all(len(set(r)) == 3 for r in rows))
    ((5, 3), True)
    """
    col_start, col_stop, d, zeta = int(col_start), int(col_stop), int(d), int(zeta)
    if not 0 <= col_start <= col_stop:
        raise ValueError(f"need 0 <= col_start <= col_stop, got {col_start}, {col_stop}.")
    if not 1 <= zeta <= d:
        raise ValueError(f"need 1 <= zeta <= d, got zeta={zeta}, d={d}.")
    ncol = col_stop - col_start
    rows = np.empty((ncol, zeta), dtype=np.int64)
    signs = np.empty((ncol, zeta), dtype=np.float64)
    pos = 0
    for t, lo, hi in _tiles(col_start, col_stop):
        gen = _tile_generator(key, t, stream)
        r, s = _floyd(gen, TILE_ROWS, d, zeta)
        rows[pos : pos + hi - lo] = r[lo:hi]
        signs[pos : pos + hi - lo] = s[lo:hi]
        pos += hi - lo
    return rows, signs


def _floyd(gen: np.random.Generator, ncol: int, d: int, zeta: int) -> tuple[np.ndarray, np.ndarray]:
    """``zeta`` distinct rows out of ``d`` for each of ``ncol`` columns (Floyd 1987), with signs."""
    rows = np.empty((ncol, zeta), dtype=np.int64)
    for i, j in enumerate(range(d - zeta, d)):
        t = gen.integers(0, j + 1, size=ncol)
        if i:
            taken = (rows[:, :i] == t[:, None]).any(axis=1)
            t = np.where(taken, j, t)
        rows[:, i] = t
    signs = gen.integers(0, 2, size=(ncol, zeta)).astype(np.float64) * 2 - 1
    return rows, signs
