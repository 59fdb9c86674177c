"""Machine-learning tools built on pivotal's factorizations (imported explicitly: ``import pivotal.ml``).

Estimators follow scikit-learn's conventions (``fit`` / ``predict``,
``get_params`` / ``set_params``, fitted attributes ending in ``_``) without
depending on it.

* :mod:`.ridge`: :class:`Ridge`, :class:`RidgeCV`, :class:`LinearProbe`.
* :mod:`.decomposition`: :class:`Whitening`, :class:`PCA`.
"""

from ._estimator import NotFittedError
from .decomposition import PCA, Whitening
from .ridge import LinearProbe, Ridge, RidgeCV

__all__ = ["PCA", "LinearProbe", "NotFittedError", "Ridge", "RidgeCV", "Whitening"]
