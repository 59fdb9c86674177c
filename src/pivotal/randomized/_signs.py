"""The sign convention of singular vectors and eigenvectors: :func:`fix_signs`.

Singular vectors and eigenvectors are unique only up to a unit scalar per
column.  Here the entry of largest absolute value of each column of ``U``
(the first such entry on ties) is made real and positive, and the rows of
``Vh`` get the matching conjugate factor, so ``U @ diag(s) @ Vh`` is
unchanged and results are reproducible across backends (and, for Dask,
chunkings: :mod:`pivotal.randomized._dask` applies the same rule to a lazy
``U`` through :func:`column_peaks`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._array import backend_name

__all__ = ["column_peaks", "fix_signs"]


def fix_signs(U: Any, Vh: Any = None, *, overwrite: bool = False) -> tuple[Any, Any]:
    """Make the largest-``|.|`` entry of each column of ``U`` real positive (and adjust ``Vh``'s rows).

    The first of equally large entries decides.  ``overwrite=True`` scales a
    NumPy ``U`` in place (the callers' own temporaries).
    """
    if U.shape[1] == 0 or U.shape[0] == 0:
        return U, Vh
    if backend_name(U) == "torch":
        import torch

        idx = torch.argmax(U.abs(), dim=0)
        vals = U.gather(0, idx[None, :])[0]
        mag = vals.abs()
        phase = torch.where(
            mag > 0, vals / torch.where(mag > 0, mag, torch.ones_like(mag)), torch.ones_like(vals)
        )
        U = U * phase.conj()[None, :]
    else:
        vals = column_peaks(U)
        mag = np.abs(vals)
        phase = np.where(mag > 0, vals / np.where(mag > 0, mag, 1), 1).astype(U.dtype)
        if overwrite and U.flags.writeable:
            U *= phase.conj()[None, :]
        else:
            U = U * phase.conj()[None, :]
    if Vh is not None:
        Vh = Vh * phase[:, None]
    return U, Vh


#: Rows per block of :func:`column_peaks` (a block of ``|U|`` stays in cache).
_PEAK_ROWS = 2048


def column_peaks(U: np.ndarray) -> np.ndarray:
    """The entry of largest modulus of each column of ``U`` (the first one on ties).

    Row block by row block: ``np.argmax(np.abs(U), axis=0)`` on a tall
    C-ordered ``U`` would allocate a copy of ``|U|`` and then scan it
    column-wise, several times slower than the memory traffic needs.
    """
    cols = np.arange(U.shape[1])
    best = np.full(U.shape[1], -1.0)
    vals = np.zeros(U.shape[1], dtype=U.dtype)
    for i in range(0, U.shape[0], _PEAK_ROWS):
        block = U[i : i + _PEAK_ROWS]
        a = np.abs(block)
        j = np.argmax(a, axis=0)
        peak = a[j, cols]
        better = peak > best  # strict: an earlier block wins ties
        best[better] = peak[better]
        vals[better] = block[j[better], cols[better]]
    return vals
