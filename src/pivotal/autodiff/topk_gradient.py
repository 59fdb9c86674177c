"""The low-rank gradient of a top-k SVD or eigenpair loss: :class:`LowRankGradient`.

The cotangent of ``A`` for a loss of ``k`` singular triplets (eigenpairs) has
rank at most ``2k``; it is kept as its two factors ``left @ right^H`` so that a
``10**6 x 10**4`` sparse ``A`` never meets a dense ``m x n`` gradient.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse

from .._array import backend_name, is_complex, namespace, to_numpy

__all__ = ["LowRankGradient"]


def _ct(xp, x: Any) -> Any:
    return xp.conj(x.T) if is_complex(x.dtype) else x.T


class LowRankGradient:
    """A gradient ``G = left @ right^H`` of shape ``(m, n)``, kept in factored form.

    Parameters
    ----------
    left : (m, r) array
    right : (n, r) array
        Same backend (NumPy, PyTorch or JAX) and dtype.

    Notes
    -----
    ``dL = Re tr(G^H dA)``: for a ``scipy.sparse`` ``A`` whose nonzero
    pattern is fixed, the gradient with respect to the stored entries is
    :meth:`on_pattern`, ``G`` sampled at ``A``'s pattern.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.autodiff.topk_gradient import LowRankGradient
    >>> G = LowRankGradient(np.array([[1.0], [2.0]]), np.array([[3.0], [4.0], [5.0]]))
    >>> G.to_dense()
    array([[ 3.,  4.,  5.],
           [ 6.,  8., 10.]])
    >>> G.at([1, 0], [2, 0])
    array([10.,  3.])
    """

    __array_priority__ = 20

    def __init__(self, left: Any, right: Any):
        if len(left.shape) != 2 or len(right.shape) != 2 or left.shape[1] != right.shape[1]:
            raise ValueError(
                f"left and right must be (m, r) and (n, r) with the same r, got {tuple(left.shape)} "
                f"and {tuple(right.shape)}."
            )
        self.left = left
        self.right = right

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.left.shape[0]), int(self.right.shape[0]))

    @property
    def rank(self) -> int:
        """The number of columns of the factors (an upper bound on the rank)."""
        return int(self.left.shape[1])

    @property
    def dtype(self) -> Any:
        return self.left.dtype

    def to_dense(self) -> Any:
        """``left @ right^H`` as a dense ``(m, n)`` array of the factors' backend."""
        xp = namespace(self.left)
        return self.left @ _ct(xp, self.right)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        a = to_numpy(self.to_dense())
        return a if dtype is None else a.astype(dtype)

    def at(self, rows: Any, cols: Any) -> Any:
        """The entries ``G[rows[t], cols[t]]`` (1-D integer index arrays), in ``O(len(rows) r)``."""
        xp = namespace(self.left)
        if backend_name(self.left) != "numpy":
            rows = xp.asarray(
                np.asarray(rows), device=self.left.device if hasattr(self.left, "device") else None
            )
            cols = xp.asarray(
                np.asarray(cols), device=self.left.device if hasattr(self.left, "device") else None
            )
        else:
            rows, cols = np.asarray(rows), np.asarray(cols)
        right = xp.conj(self.right) if is_complex(self.right.dtype) else self.right
        return xp.sum(self.left[rows, :] * right[cols, :], axis=1)

    def on_pattern(self, A: Any) -> Any:
        """``G`` sampled at the stored entries of the ``scipy.sparse`` matrix ``A`` (CSR, same pattern).

        This is the gradient with respect to ``A``'s nonzeros when the
        pattern is fixed: ``dL = Re sum(conj(G_ij) dA_ij)`` over the stored
        ``(i, j)``.
        """
        if not scipy.sparse.issparse(A):
            raise TypeError(
                f"on_pattern needs a scipy.sparse matrix, got {type(A).__name__}; use to_dense()."
            )
        if tuple(A.shape) != self.shape:
            raise ValueError(f"A has shape {tuple(A.shape)}, the gradient {self.shape}.")
        csr = scipy.sparse.csr_matrix(A)
        rows = np.repeat(np.arange(csr.shape[0]), np.diff(csr.indptr))
        vals = to_numpy(self.at(rows, csr.indices))
        return scipy.sparse.csr_matrix((vals, csr.indices.copy(), csr.indptr.copy()), shape=csr.shape)

    def matvec(self, x: Any) -> Any:
        """``G @ x`` for a vector or an ``(n, p)`` block."""
        xp = namespace(self.left)
        return self.left @ (_ct(xp, self.right) @ x)

    def rmatvec(self, y: Any) -> Any:
        """``G^H @ y`` for a vector or an ``(m, p)`` block."""
        xp = namespace(self.left)
        return self.right @ (_ct(xp, self.left) @ y)

    matmat = matvec
    rmatmat = rmatvec

    def __repr__(self) -> str:
        m, n = self.shape
        return f"LowRankGradient(shape=({m}, {n}), rank<={self.rank}, dtype={self.dtype}, {backend_name(self.left)})"
