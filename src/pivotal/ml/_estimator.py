"""The scikit-learn estimator protocol without scikit-learn: parameters, validation, fitted checks, tags.

scikit-learn is not a dependency of pivotal (only of its tests).  The
estimators of :mod:`pivotal.ml` follow its conventions so that they work in
its pipelines, grid searches and ``clone``:

* every ``__init__`` argument is stored unchanged under its own name, and
  :meth:`Estimator.get_params` / :meth:`Estimator.set_params` read them from
  the signature;
* validation happens in ``fit`` (and ``predict``), with scikit-learn's error
  types and the wording its estimator checks look for;
* fitted attributes end in ``_``; calling ``predict`` before ``fit`` raises
  :class:`NotFittedError`;
* ``__sklearn_tags__`` describes the estimator to scikit-learn (imported only
  when scikit-learn asks).
"""

from __future__ import annotations

import inspect
import sys
from typing import Any

import numpy as np

__all__ = [
    "DataConversionWarning",
    "Estimator",
    "NotFittedError",
    "Parameters",
    "check_samples",
    "check_targets",
    "host",
]


class NotFittedError(ValueError, AttributeError):
    """The estimator is used before ``fit`` (scikit-learn's exception has the same two bases)."""


class DataConversionWarning(UserWarning):
    """The input was converted (e.g. a column-vector ``y`` raveled); scikit-learn's name for the same."""


_SKLEARN_NOT_FITTED: dict[str, type] = {}


def _not_fitted_error() -> type:
    """:class:`NotFittedError`, also an instance of scikit-learn's when scikit-learn is loaded (its tools catch that)."""
    module = sys.modules.get("sklearn.exceptions")
    if module is None:
        return NotFittedError
    cls = _SKLEARN_NOT_FITTED.get("cls")
    if cls is None:
        cls = type("NotFittedError", (NotFittedError, module.NotFittedError), {"__module__": __name__})
        _SKLEARN_NOT_FITTED["cls"] = cls
    return cls


class Parameters:
    """``get_params`` / ``set_params`` read from the ``__init__`` signature (estimators and kernels)."""

    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return sorted(p.name for p in sig.parameters.values() if p.name != "self" and p.kind != p.VAR_KEYWORD)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor arguments, by name; with ``deep``, also ``<name>__<param>`` of nested estimators."""
        out = {}
        for name in self._param_names():
            value = getattr(self, name)
            out[name] = value
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                out.update({f"{name}__{k}": v for k, v in value.get_params().items()})
        return out

    def set_params(self, **params: Any) -> Parameters:
        """Set constructor arguments by name (``kernel__length_scale=...`` reaches a nested estimator).

        An unknown name raises ``ValueError`` listing the valid ones.
        """
        valid = self._param_names()
        nested: dict[str, dict] = {}
        for key, value in params.items():
            head, _, tail = key.partition("__")
            if head not in valid:
                raise ValueError(
                    f"Invalid parameter {head!r} for estimator {type(self).__name__}; valid parameters: {valid}."
                )
            if tail:
                nested.setdefault(head, {})[tail] = value
            else:
                setattr(self, head, value)
        for head, sub in nested.items():
            getattr(self, head).set_params(**sub)
        return self


class Estimator(Parameters):
    """Base of the estimators: ``get_params``, ``set_params``, ``repr`` and the fitted check."""

    _estimator_type = "regressor"
    _accepts_sparse = False
    _requires_fit = True  # False: predicting before fit is meaningful (a Gaussian process's prior)

    def __repr__(self) -> str:
        defaults = {p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values()}
        shown = []
        for name, value in self.get_params().items():
            default = defaults.get(name, inspect.Parameter.empty)
            same = default is not inspect.Parameter.empty and _same(value, default)
            if not same:
                shown.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"

    def _check_fitted(self, attribute: str) -> None:
        if not hasattr(self, attribute):
            raise _not_fitted_error()(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with appropriate "
                "arguments before using this estimator."
            )

    def __sklearn_tags__(self):  # called by scikit-learn only, which is then installed
        from sklearn.utils import ClassifierTags, InputTags, RegressorTags, Tags, TargetTags, TransformerTags

        classifier = self._estimator_type == "classifier"
        transformer = self._estimator_type == "transformer"
        return Tags(
            estimator_type=None if transformer else self._estimator_type,
            target_tags=TargetTags(required=not transformer, multi_output=not classifier, single_output=True),
            transformer_tags=TransformerTags() if transformer else None,
            classifier_tags=ClassifierTags(multi_class=True, multi_label=False) if classifier else None,
            regressor_tags=RegressorTags() if self._estimator_type == "regressor" else None,
            input_tags=InputTags(sparse=self._accepts_sparse),
            requires_fit=self._requires_fit,
        )


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(np.all(a == b)) and type(a) is type(b)
    except (TypeError, ValueError):
        return a is b


def host(x: Any) -> Any:
    """PyTorch tensors and JAX arrays as NumPy arrays (the estimators compute on the host); others unchanged."""
    if type(x).__module__.startswith(("torch", "jax")):
        from .._array import to_numpy

        return to_numpy(x)
    return x


def _as_float_array(x: Any, name: str, estimator: str) -> np.ndarray:
    import scipy.sparse

    if scipy.sparse.issparse(x):
        raise TypeError(
            f"{estimator} does not accept scipy.sparse {name} yet; pass a dense array ({name}.toarray())."
        )
    try:
        arr = np.asarray(x)
    except Exception as exc:  # e.g. ragged lists
        raise ValueError(f"{name} could not be converted to an array: {exc}") from exc
    if np.iscomplexobj(arr):
        raise ValueError(f"Complex data not supported: {estimator} needs real {name}.")
    if arr.dtype == object or arr.dtype.kind in "USV":
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name} must be numeric: {exc}") from exc
    if arr.dtype.kind in "biu":
        arr = arr.astype(np.float64)
    elif arr.dtype.kind != "f":
        raise ValueError(f"{name} must be numeric, got dtype {arr.dtype}.")
    elif arr.dtype.itemsize < 4:
        arr = arr.astype(np.float32)
    return arr


def _refuse_nonfinite(arr: np.ndarray, name: str) -> None:
    if not np.isfinite(arr).all():
        kind = "NaN" if np.isnan(arr).any() else "infinity"
        raise ValueError(f"Input {name} contains {kind}; remove or impute those entries first.")


def check_samples(estimator: Estimator, X: Any, *, reset: bool) -> np.ndarray:
    """``X`` as a finite 2-D float array with at least one row and column; records or checks ``n_features_in_``."""
    name = type(estimator).__name__
    arr = _as_float_array(X, "X", name)
    if arr.ndim != 2:
        raise ValueError(
            f"Expected 2D array, got {arr.ndim}D array instead: X of shape {arr.shape}. Reshape your data "
            "either using array.reshape(-1, 1) if your data has a single feature or array.reshape(1, -1) "
            "if it contains a single sample."
        )
    if arr.shape[0] < 1:
        raise ValueError(
            f"Found array with 0 sample(s) (shape={arr.shape}) while a minimum of 1 is required."
        )
    if arr.shape[1] < 1:
        raise ValueError(
            f"Found array with 0 feature(s) (shape={arr.shape}) while a minimum of 1 is required."
        )
    _refuse_nonfinite(arr, "X")
    if reset:
        estimator.n_features_in_ = arr.shape[1]
    elif arr.shape[1] != getattr(estimator, "n_features_in_", arr.shape[1]):  # unfitted: nothing to check
        raise ValueError(
            f"X has {arr.shape[1]} features, but {name} is expecting {estimator.n_features_in_} features as input."
        )
    return arr


def check_targets(estimator: Estimator, y: Any, n_samples: int, *, numeric: bool = True) -> np.ndarray:
    """``y`` as a 1-D or 2-D array with ``n_samples`` rows (finite floats when ``numeric``)."""
    name = type(estimator).__name__
    if y is None:
        raise ValueError(f"{name} requires y to be passed, but the target y is None.")
    arr = _as_float_array(y, "y", name) if numeric else np.asarray(y)
    if arr.ndim not in (1, 2):
        raise ValueError(f"y must be 1-D or 2-D, got shape {arr.shape}.")
    if arr.shape[0] != n_samples:
        raise ValueError(
            f"Found input variables with inconsistent numbers of samples: [{n_samples}, {arr.shape[0]}]."
        )
    if numeric:
        _refuse_nonfinite(arr, "y")
    return arr
