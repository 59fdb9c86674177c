"""scikit-learn's estimator checks (``check_estimator``) on the estimators of pivotal.ml."""

from __future__ import annotations

import warnings

import pytest

pytest.importorskip("sklearn")
from sklearn.utils.estimator_checks import parametrize_with_checks

from pivotal.ml import PCA, LinearProbe, Ridge, RidgeCV, Whitening

with warnings.catch_warnings():  # "does not inherit from BaseEstimator": by design (no sklearn dependency)
    warnings.filterwarnings("ignore", "Estimator .* does not inherit", UserWarning)
    _CHECKS = parametrize_with_checks(
        [
            Ridge(),
            Ridge(solver="qr"),
            RidgeCV(),
            LinearProbe(),
            PCA(),
            PCA(1, svd_solver="randomized"),
            Whitening(),
            Whitening("cholesky", eps=1e-3),
        ]
    )


@_CHECKS
def test_sklearn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Estimator .* does not inherit", UserWarning)
        check(estimator)
