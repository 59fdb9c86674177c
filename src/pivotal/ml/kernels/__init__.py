"""Covariance kernels with scikit-learn's kernel API and blockwise gradient contractions.

:meth:`Kernel.contract_gradient` returns ``sum_ik W_ik dK_ik / dtheta_j`` for
every free hyperparameter without building ``dK/dtheta`` (``n x n x n_dims``);
``__call__(X, eval_gradient=True)`` still returns that array for
compatibility with scikit-learn.

Kernel passes (building ``K``, ``K @ V``, the gradient contractions) run on
a thread pool; :func:`max_threads` says how many threads it may use and
:func:`set_max_threads` sets that for the process (``PIVOTAL_NUM_THREADS``
and ``OMP_NUM_THREADS`` are read otherwise).
"""

from .base import (
    ConstantKernel,
    Hyperparameter,
    Kernel,
    LowRankWeights,
    Product,
    Sum,
    max_threads,
    set_max_threads,
    squared_distances,
)
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
    "max_threads",
    "set_max_threads",
    "squared_distances",
]
