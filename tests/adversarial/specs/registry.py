"""The spec registry: what a spec is, the registry itself, and the names that need none."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pivotal as pv

from ..matrices import rng_for
from ..variants import Problem

# ---------------------------------------------------------------------- the registry


@dataclass(frozen=True)
class Spec:
    """How to call one public function and how to verify its result.

    ``target`` is the public name relative to ``pivotal`` (``"solve"``,
    ``"randomized.reconstruct_skel_matrix"``, ``"gallery.scaled"``).
    ``nonfinite`` is what NaN/Inf input must give when the function has no
    ``check_finite`` switch: ``"raise"`` (ValueError), ``"propagate"`` (a
    ValueError or non-finite values in the result) or ``"checked"`` (the
    checker verifies a correct result, e.g. counts of NaNs).
    """

    name: str
    target: str
    builder: Callable[..., Problem]
    call: Callable[[Any], Any]
    check: Callable[[Any, Any], None]
    nonfinite: str = "raise"
    check_finite: bool | None = None  # None: whether the signature has check_finite
    rhs_check_finite: bool = True  # False: NaN in the rhs may propagate (a method without check_finite)
    exact: bool = False  # no arithmetic (a copy or assembly): the input dtype may be kept
    numpy_output: bool = False  # documented to return NumPy arrays whatever the input

    @property
    def has_check_finite(self) -> bool:
        if self.check_finite is not None:
            return self.check_finite
        try:
            return "check_finite" in inspect.signature(self.func).parameters
        except (TypeError, ValueError):
            return False

    @property
    def func(self):
        obj: Any = pv
        for part in self.target.split("."):
            obj = getattr(obj, part)
        return obj

    def build(self, field: str, size: int | None) -> Problem:
        return self.builder(rng_for(f"{self.name}/{field}/{size}"), field, size)


SPECS: dict[str, Spec] = {}


def spec(name, target=None, *, build, check, call=None, nonfinite="raise", check_finite=None, **flags):
    target = target or name.split("[")[0]
    if call is None:
        fn = Spec(name, target, build, None, check).func

        def call(c, fn=fn):
            return fn(*c.args, **c.kwargs)

    SPECS[name] = Spec(name, target, build, call, check, nonfinite, check_finite, **flags)


NOT_APPLICABLE: dict[str, str] = {
    **dict.fromkeys(
        (
            "IllConditionedWarning",
            "LinAlgError",
            "LinAlgWarning",
            "NotPositiveDefiniteError",
            "PivotGrowthWarning",
            "SingularMatrixError",
        ),
        "exception or warning class: raised by the functions, checked through the expected-error table",
    ),
    **dict.fromkeys(
        (
            "DoctorReport",
            "ExpmReport",
            "LowRank",
            "RefinementReport",
            "SlogdetResult",
            "SolveReport",
            "StructureInfo",
            "randomized.CURResult",
            "randomized.RQRCPResult",
            "randomized.SketchLstsqInfo",
        ),
        "result container returned by a swept function; its fields are checked there",
    ),
    "Factorization": "abstract base class: its solve/det run through LU, Cholesky, LDL, QR, ... below",
    **dict.fromkeys(
        ("SparseLU", "SparseCholesky"),
        "takes scipy.sparse matrices, which the variants (dense arrays, tensors, masks, strides) do not "
        "build; NaN/Inf, empty, singular, indefinite, complex and float32 input: tests/sparse",
    ),
    "randomized.SketchingOperator": "abstract base class: apply_left/to_dense run through the three sketches below",
    "gallery": "module: its array-taking functions (scaled, vandermonde) are swept; the generators "
    "take a size, not an array, and are swept over sizes in test_gallery_sizes",
}
