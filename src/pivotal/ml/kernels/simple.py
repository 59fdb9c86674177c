"""Non-stationary and noise kernels: DotProduct and WhiteKernel (ConstantKernel is in :mod:`.base`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .base import Kernel

__all__ = ["DotProduct", "WhiteKernel"]


class DotProduct(Kernel):
    """``k(x, y) = sigma_0^2 + x . y``.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.ml.kernels import DotProduct
    >>> X = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> DotProduct(sigma_0=1.0)(X).tolist()
    [[6.0, 12.0], [12.0, 26.0]]
    """

    _hyper = ("sigma_0",)

    def __init__(self, sigma_0: float = 1.0, sigma_0_bounds: Any = (1e-5, 1e5)):
        self.sigma_0 = sigma_0
        self.sigma_0_bounds = sigma_0_bounds

    def _rows(self, X, i0, i1):
        return X[i0:i1] @ X.T + float(self.sigma_0) ** 2

    def _cross(self, X, Y):
        return X @ Y.T + float(self.sigma_0) ** 2

    def _gradient_blocks(self, X, i0, i1, K):
        return [np.full((i1 - i0, X.shape[0]), 2.0 * float(self.sigma_0) ** 2)] if self.n_dims else []

    def _contract(self, X, W):
        return np.array([2.0 * float(self.sigma_0) ** 2 * W.sum()]) if self.n_dims else np.empty(0)

    def _diag(self, X):
        X = np.asarray(X, dtype=float)
        return np.einsum("ij,ij->i", X, X) + float(self.sigma_0) ** 2


class WhiteKernel(Kernel):
    """White noise: ``noise_level`` on the diagonal of ``K(X, X)``, zero between two different point sets.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.ml.kernels import WhiteKernel
    >>> WhiteKernel(0.5)(np.zeros((2, 1))).tolist()
    [[0.5, 0.0], [0.0, 0.5]]
    """

    _hyper = ("noise_level",)
    requires_vector_input = False
    _diagonal_only = True  # K(X, X) is diagonal: a Sum adds it to the other term's rows in place

    def _diagonal_value(self) -> float:
        return float(self.noise_level)

    def __init__(self, noise_level: float = 1.0, noise_level_bounds: Any = (1e-5, 1e5)):
        self.noise_level = noise_level
        self.noise_level_bounds = noise_level_bounds

    def _eye_rows(self, n: int, i0: int, i1: int, value: float) -> np.ndarray:
        out = np.zeros((i1 - i0, n))
        r = np.arange(i1 - i0)
        out[r, i0 + r] = value
        return out

    def _rows(self, X, i0, i1):
        return self._eye_rows(X.shape[0], i0, i1, float(self.noise_level))

    def _cross(self, X, Y):
        return np.zeros((X.shape[0], Y.shape[0]))

    def _gradient_blocks(self, X, i0, i1, K):
        return [self._eye_rows(X.shape[0], i0, i1, float(self.noise_level))] if self.n_dims else []

    def _contract(self, X, W):
        return np.array([float(self.noise_level) * W.trace()]) if self.n_dims else np.empty(0)

    def _matmul(self, X, V):
        return float(self.noise_level) * V

    def _diag(self, X):
        return np.full(len(X), float(self.noise_level))

    def is_stationary(self) -> bool:
        return True
