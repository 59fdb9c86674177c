"""The first registry: one spec per public function (some functions have a few).

A :class:`Spec` says how to build a well-posed problem for the function
(:mod:`.matrices`), how to call it, and how to verify the mathematics of the
result against a reference computed in wide precision on exactly the data
that was passed (:mod:`.arith`, :mod:`.checks`): backward errors for solves,
reconstruction and orthogonality for factorizations, singular values and
eigenvalues against float64 references with perturbation-theory bounds,
determinants within ``kappa n u``, exact equalities where the operation is
exact (skeletons, index bookkeeping, structure).

``NOT_APPLICABLE`` lists the public names that take no array (exception and
result classes, the abstract bases) with the reason; ``test_sweep.py``
checks that every public name is covered by one or the other.
"""

from __future__ import annotations

from . import (
    diagnostics,
    factorizations,
    gallery,
    least_squares,
    linear_systems,
    matfun,
    randomized,
    spectral,
)
from .registry import NOT_APPLICABLE, SPECS, Spec

__all__ = [
    "NOT_APPLICABLE",
    "SPECS",
    "Spec",
    "diagnostics",
    "factorizations",
    "gallery",
    "least_squares",
    "linear_systems",
    "matfun",
    "randomized",
    "spectral",
]
