"""Covariance kernels with scikit-learn's kernel API and blockwise gradient contractions.

:meth:`Kernel.contract_gradient` returns ``sum_ik W_ik dK_ik / dtheta_j`` for
every free hyperparameter without building ``dK/dtheta`` (``n x n x n_dims``);
``__call__(X, eval_gradient=True)`` still returns that array for
compatibility with scikit-learn.
"""

from .base import ConstantKernel, Hyperparameter, Kernel, LowRankWeights, Product, Sum, squared_distances
from .simple import DotProduct, WhiteKernel
from .stationary import RBF, ExpSineSquared, Matern, RationalQuadratic

__all__ = [
    "RBF",
    "ConstantKernel",
    "DotProduct",
    "ExpSineSquared",
    "Hyperparameter",
    "Kernel",
    "LowRankWeights",
    "Matern",
    "Product",
    "RationalQuadratic",
    "Sum",
    "WhiteKernel",
    "squared_distances",
]
