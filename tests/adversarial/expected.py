"""What each (function, variant) pair must give when it is not a correct result.

Rules first, then the explicit tables:

* ``nan``/``inf``/``nan_rhs``: functions with ``check_finite`` (on by
  default) raise ``ValueError`` naming the problem (SciPy's behaviour);
  functions without it either raise that or propagate NaN/Inf into their
  result (NumPy's ``cond``/``slogdet`` convention), or, for the diagnostics
  that count them, report them correctly (checked).
* ``masked``: ``ValueError`` naming masked arrays (SciPy refuses them: a
  masked array's data would be used silently).
* everything else: a correct result, unless ``EXPECTED_ERRORS`` documents an
  error for the pair.

``EXPECTED_ERRORS`` is the small table of documented refusals;
``KNOWN_BUGS`` the cases this sweep found wrong and that are not fixed yet
(``BUGS``, empty now): they are ``xfail(strict=True)``, so a fix turns them
into failures until the entry is removed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from numpy.linalg import LinAlgError

NONFINITE_MESSAGE = r"(?i)(nan|inf|finite)"
MASKED_MESSAGE = r"(?i)masked array"


@dataclass(frozen=True)
class Expect:
    """``kind``: ``"correct"``, ``"raises"`` (``error`` with ``match``) or ``"nonfinite"``."""

    kind: str
    error: type | None = None
    match: str = ""
    why: str = ""

    def accepts(self, exc: BaseException) -> bool:
        if self.kind == "nonfinite":
            return isinstance(exc, ValueError) and re.search(NONFINITE_MESSAGE, str(exc)) is not None
        return (
            self.kind == "raises"
            and isinstance(exc, self.error)
            and re.search(self.match, str(exc)) is not None
        )


CORRECT = Expect("correct")

_MIXED = (ValueError, r"precision='mixed'", "mixed precision needs a float64/complex128 working precision")
_NO_SIZE = (ValueError, r"must be >= 1", "a sketch of a 0-dimensional space (documented: non-positive sizes)")

#: (spec name, variant name) -> (error class, message pattern, why).
EXPECTED_ERRORS: dict[tuple[str, str], tuple[type, str, str]] = {
    ("refine", "bool"): _MIXED,
    ("refine", "float16"): _MIXED,
    ("refine", "float32"): _MIXED,
    ("refine", "complex64"): _MIXED,
    ("cond", "float16"): (TypeError, "float16", "computed by numpy.linalg.cond, which refuses float16"),
    ("cond", "empty"): (LinAlgError, r"(?i)empty", "NumPy's cond is not defined on empty arrays"),
    ("qr_update", "empty"): (ValueError, "rank", "SciPy's message: the update has rank 1 > 0"),
    ("qr_delete", "empty"): (ValueError, "out of bounds", "SciPy's message: no row to delete"),
    ("svds", "empty"): (ValueError, "empty", "SciPy's message"),
    ("svds", "one"): (ValueError, r"0 < k < min\(A.shape\)", "SciPy's rule k < min(A.shape)"),
    ("cur", "empty"): (ValueError, "non-empty", "no column or row to select"),
    ("sketch", "empty"): _NO_SIZE,
    ("GaussianSketch", "empty"): _NO_SIZE,
    ("SRHTSketch", "empty"): _NO_SIZE,
    ("SparseSignSketch", "empty"): _NO_SIZE,
    **{
        (name, variant): (
            ValueError,
            "QR updates work in float32",
            "SciPy's QR updates refuse non-LAPACK dtypes",
        )
        for name in ("qr_update", "qr_insert", "qr_delete")
        for variant in ("int64", "bool", "float16")
    },
    ("cur", "subnormal"): (
        ValueError,
        "overflows",
        "U scales like 1/||A||: for subnormal A it is not representable (documented refusal)",
    ),
    ("svds", "bool"): (ValueError, "numeric data type", "SciPy's svds refuses bool A"),
    ("Banded", "torch"): (TypeError, "NumPy array", "documented: LAPACK band routines, NumPy only"),
    ("Banded", "torch_strided"): (TypeError, "NumPy array", "documented: LAPACK band routines, NumPy only"),
}


@dataclass(frozen=True)
class Bug:
    """A defect the sweep found, the part of issue #11 that owns its fix, and the cases it breaks."""

    description: str
    owner: str
    cases: tuple[tuple[str, str], ...]
    #: How the bug shows depends on the BLAS/LAPACK kernels (subnormal handling inside OpenBLAS): such
    #: cases are xfail(strict=False), so that a machine whose kernels happen to get them right passes.
    vendor_dependent: bool = False


def _each(variant: str, *specs: str) -> tuple[tuple[str, str], ...]:
    return tuple((s, variant) for s in specs)


def _every_variant_but(spec: str, *exempt: str) -> tuple[tuple[str, str], ...]:
    from .variants import VARIANTS

    return tuple((spec, v) for v in VARIANTS if v not in exempt)


def _every_spec_but(variant: str, *exempt: str) -> tuple[tuple[str, str], ...]:
    from .specs import SPECS

    return tuple((s, variant) for s in SPECS if s not in exempt)


#: Defects the sweep has found and that are not fixed yet, each a ``Bug`` naming its cases (say
#: ``Bug("what is wrong", "the part of the work that owns the fix", _each("subnormal", "QRPivoted"))``):
#: they run as xfails, strict unless ``vendor_dependent``, so a fix turns them into failures until its
#: entry is deleted here.  Empty: every defect found so far has been fixed, each with a regression test
#: (issue #11).
BUGS: tuple[Bug, ...] = ()

#: (spec name, variant name) -> the bug (xfail; strict unless vendor dependent).
KNOWN_BUGS: dict[tuple[str, str], Bug] = {case: bug for bug in BUGS for case in bug.cases}


def expected(spec, variant) -> Expect:
    key = (spec.name, variant.name)
    if key in EXPECTED_ERRORS:
        error, match, why = EXPECTED_ERRORS[key]
        return Expect("raises", error, match, why)
    if variant.name in ("nan", "inf", "nan_rhs"):
        if variant.name == "nan_rhs" and not spec.rhs_check_finite:
            return Expect("nonfinite", why="the rhs method has no check_finite: NaN propagates")
        if spec.has_check_finite or spec.nonfinite == "raise":
            return Expect("raises", ValueError, NONFINITE_MESSAGE, "check_finite")
        if spec.nonfinite == "propagate":
            return Expect("nonfinite", why="no check_finite: NaN/Inf propagate (NumPy's convention)")
        return CORRECT
    if variant.name == "masked":
        return Expect("raises", ValueError, MASKED_MESSAGE, "masked arrays are refused, as in SciPy")
    return CORRECT


__all__ = ["CORRECT", "EXPECTED_ERRORS", "KNOWN_BUGS", "Expect", "expected"]
