"""Validation of the options of ``svd`` and ``eigh``: SciPy 1.17's rules and messages, in one place."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = [
    "EIGH_DRIVERS",
    "GENERALIZED_DRIVERS",
    "STANDARD_DRIVERS",
    "SVD_DRIVERS",
    "EighOptions",
    "check_svd_driver",
    "eigh_options",
    "refuse_sparse",
]

SVD_DRIVERS = ("gesdd", "gesvd")
STANDARD_DRIVERS = ("ev", "evd", "evr", "evx")
GENERALIZED_DRIVERS = ("gv", "gvd", "gvx")
EIGH_DRIVERS = (None, *STANDARD_DRIVERS, *GENERALIZED_DRIVERS)
_SUBSET_DRIVERS = ("evr", "evx", "gvx")


def refuse_sparse(a: Any, name: str) -> None:
    """``ValueError`` (SciPy's type) for a ``scipy.sparse`` array: the dense decompositions need a dense one."""
    if hasattr(a, "toarray") and hasattr(a, "nnz"):
        raise ValueError(
            f"{name} is a scipy.sparse array, but this dense decomposition needs a dense one: pass "
            f"{name}.toarray(), or use pivotal.svds / pivotal.eigsh for a few singular values or "
            "eigenvalues of a sparse matrix."
        )


def check_svd_driver(lapack_driver: Any) -> None:
    """SciPy's checks of ``lapack_driver``: ``TypeError`` for a non-string, ``ValueError`` for an unknown one."""
    if not isinstance(lapack_driver, str):
        raise TypeError(
            f"lapack_driver must be a string, 'gesdd' or 'gesvd', got {type(lapack_driver).__name__} "
            f"{lapack_driver!r}."
        )
    if lapack_driver not in SVD_DRIVERS:
        raise ValueError(
            f'lapack_driver must be "gesdd" or "gesvd", not "{lapack_driver}": "gesdd" (divide and '
            'conquer) is faster, "gesvd" (QR iteration) slower and more robust.'
        )


@dataclass(frozen=True)
class EighOptions:
    """The checked options of one ``eigh`` call.

    ``driver`` is the one asked for (``None``: the backend's default);
    ``subset`` is ``None``, ``("index", lo, hi)`` (inclusive, ascending
    order) or ``("value", lo, hi)`` (the half-open interval ``(lo, hi]``).
    """

    lower: bool
    eigvals_only: bool
    type: int
    driver: str | None
    subset: tuple[str, Any, Any] | None

    @property
    def scipy_driver(self) -> str:
        """The LAPACK driver SciPy uses for these options (its default when ``driver`` is None)."""
        if self.driver is not None:
            return self.driver
        return "evr" if self.type == 0 else ("gvx" if self.subset else "gvd")


def eigh_options(
    n: int,
    generalized: bool,
    *,
    lower: bool,
    eigvals_only: bool,
    type: int,
    subset_by_index: Any,
    subset_by_value: Any,
    driver: Any,
) -> EighOptions:
    """Check ``eigh``'s options against a matrix of order ``n`` (SciPy's rules; ``ValueError`` otherwise)."""
    if driver not in EIGH_DRIVERS:
        raise ValueError(
            f'driver "{driver}" is unknown. Possible values are None (the default), '
            f'"{", ".join(d for d in EIGH_DRIVERS if d)}" (the last three for the generalized problem).'
        )
    if generalized and type not in (1, 2, 3):
        raise ValueError(
            f'"type" keyword only accepts 1, 2, and 3, got {type!r}: 1 solves a v = w b v, '
            "2 a b v = w v, 3 b a v = w v."
        )
    # SciPy tests the subsets by truth value: an empty sequence asks for nothing.
    if subset_by_index is not None and len(subset_by_index) == 0:
        subset_by_index = None
    if subset_by_value is not None and len(subset_by_value) == 0:
        subset_by_value = None
    if subset_by_index is not None and subset_by_value is not None:
        raise ValueError("Either index or value subset can be requested, not both.")
    subset = None
    if subset_by_index is not None:
        lo, hi = (int(x) for x in subset_by_index)
        if not (0 <= lo <= hi < n):
            raise ValueError(
                "Requested eigenvalue indices are not valid. "
                f"Valid range is [0, {n - 1}] and start <= end, but start={lo}, end={hi} is given."
            )
        subset = ("index", lo, hi)
    if subset_by_value is not None:
        lo, hi = subset_by_value
        if not (-math.inf <= lo < hi <= math.inf):
            raise ValueError(
                "Requested eigenvalue bounds are not valid. "
                f"Valid range is (-inf, inf) and low < high, but low={lo}, high={hi} is given."
            )
        subset = ("value", float(lo), float(hi))
    if driver is not None:
        if not generalized and driver in GENERALIZED_DRIVERS:
            raise ValueError(
                f'"{driver}" requires input b array to be supplied for generalized eigenvalue problems.'
            )
        if generalized and driver in STANDARD_DRIVERS:
            raise ValueError(f'"{driver}" does not accept input b array for standard eigenvalue problems.')
        if subset is not None and driver not in _SUBSET_DRIVERS:
            raise ValueError(
                f'"{driver}" cannot compute subsets of eigenvalues; use one of '
                f"{', '.join(d for d in _SUBSET_DRIVERS)} (or driver=None)."
            )
    return EighOptions(
        lower=bool(lower),
        eigvals_only=bool(eigvals_only),
        type=int(type) if generalized else 0,
        driver=driver,
        subset=subset,
    )
