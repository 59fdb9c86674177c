"""Machine-learning tools built on pivotal's factorizations (imported explicitly: ``import pivotal.ml``).

Estimators follow scikit-learn's conventions (``fit`` / ``predict``,
``get_params`` / ``set_params``, fitted attributes ending in ``_``) without
depending on it.

* :mod:`.kernels`: covariance kernels with scikit-learn's kernel API and blockwise gradient contractions.
* :mod:`.gp`: :class:`GaussianProcessRegressor` on one Cholesky per likelihood evaluation.
* :mod:`.ridge`: :class:`Ridge`, :class:`RidgeCV`, :class:`LinearProbe`.
* :mod:`.decomposition`: :class:`Whitening`, :class:`PCA`.
* :mod:`.geometry`: :func:`random_rotation`, :func:`procrustes`, :func:`projection`, :func:`gram`,
  :func:`covariance`, :func:`pairwise_distances`, :func:`sample_mvn`.
* :mod:`.kfac`: :func:`kfac_precondition`, :class:`KFACPreconditioner`.
* :mod:`.lowrank`: :func:`low_rank_approx`, :func:`lora_init`, :class:`GaLoreProjector`.
"""

from ._estimator import NotFittedError
from .decomposition import PCA, Whitening
from .geometry import (
    MVNSample,
    Projection,
    covariance,
    gram,
    pairwise_distances,
    procrustes,
    projection,
    random_rotation,
    sample_mvn,
)
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
from .kfac import KFACPreconditioner, damped_cholesky, kfac_precondition
from .lowrank import GaLoreProjector, LoraInit, LowRankApproximation, lora_init, low_rank_approx
from .ridge import LinearProbe, Ridge, RidgeCV

__all__ = [
    "PCA",
    "RBF",
    "ConstantKernel",
    "DotProduct",
    "ExpSineSquared",
    "GaLoreProjector",
    "GaussianProcessRegressor",
    "Hyperparameter",
    "KFACPreconditioner",
    "Kernel",
    "LinearProbe",
    "LoraInit",
    "LowRankApproximation",
    "MVNSample",
    "Matern",
    "NotFittedError",
    "Product",
    "Projection",
    "RationalQuadratic",
    "Ridge",
    "RidgeCV",
    "Sum",
    "WhiteKernel",
    "Whitening",
    "covariance",
    "damped_cholesky",
    "gram",
    "kfac_precondition",
    "lora_init",
    "low_rank_approx",
    "pairwise_distances",
    "procrustes",
    "projection",
    "random_rotation",
    "sample_mvn",
]
