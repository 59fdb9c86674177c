"""Machine-learning building blocks on pivotal's factorizations (imported explicitly: ``import pivotal.ml``).

``import pivotal`` does not import this package; it depends on pivotal, never
the other way round.

- :mod:`pivotal.ml.kernels`: covariance kernels with scikit-learn's kernel API
  and blockwise gradient contractions.
- :mod:`pivotal.ml.gp`: :class:`GaussianProcessRegressor` on one Cholesky per
  likelihood evaluation.
"""

from .gp import GaussianProcessRegressor
from .kernels import (
    RBF,
    ConstantKernel,
    DotProduct,
    ExpSineSquared,
    Hyperparameter,
    Kernel,
    Matern,
    Product,
    RationalQuadratic,
    Sum,
    WhiteKernel,
)

__all__ = [
    "RBF",
    "ConstantKernel",
    "DotProduct",
    "ExpSineSquared",
    "GaussianProcessRegressor",
    "Hyperparameter",
    "Kernel",
    "Matern",
    "Product",
    "RationalQuadratic",
    "Sum",
    "WhiteKernel",
]
