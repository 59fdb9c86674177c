"""The fill report of a sparse factorization, and what the sparse factorizations share."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.csgraph as csgraph

from .._array import namespace
from ..factorizations.base import Factorization

__all__ = ["FillReport", "SparseFactorization", "permutation_sign"]


@dataclass(frozen=True)
class FillReport:
    """How much a sparse factorization filled in, under which ordering, and how long it took.

    Attributes
    ----------
    nnz_a : int
        Stored nonzeros of ``A``.
    nnz_factors : int or None
        ``nnz(L) + nnz(U)`` (SparseLU, the SuperLU route of SparseCholesky: ``U = D L^T``
        counted too), ``2 nnz(L)`` of PARDISO's stored factor; ``None`` when the binding does not
        expose it (cholespy).
    fill_ratio : float or None
        ``nnz_factors / nnz_a``.
    ordering : str
        The ordering actually used (may differ from the one asked for; ``path`` says why).
    ordering_time : float
        Seconds spent computing a permutation before factoring (0 when the factorization orders
        internally, as SuperLU, PARDISO and CHOLMOD do).
    factor_time : float
        Seconds spent in the numerical factorization (including the internal ordering).
    engine : str
        ``"superlu"``, ``"pardiso (pypardiso)"`` or ``"cholmod (cholespy)"``.
    """

    nnz_a: int
    nnz_factors: int | None
    fill_ratio: float | None
    ordering: str
    ordering_time: float
    factor_time: float
    engine: str

    def to_dict(self) -> dict[str, Any]:
        """The fields as a plain dict."""
        return asdict(self)

    def __str__(self) -> str:
        ratio = "n/a" if self.fill_ratio is None else f"{self.fill_ratio:.3g}"
        nnz = "n/a" if self.nnz_factors is None else str(self.nnz_factors)
        return (
            f"FillReport(engine={self.engine}, ordering={self.ordering}, nnz(A)={self.nnz_a}, "
            f"nnz(factors)={nnz}, fill ratio={ratio}, ordering {self.ordering_time:.3g} s, "
            f"factor {self.factor_time:.3g} s)"
        )


def permutation_sign(perm: np.ndarray) -> int:
    """Sign of a permutation, ``(-1)**(n - cycles)``, with the cycles counted by ``csgraph`` (vectorized)."""
    perm = np.asarray(perm, dtype=np.int64)
    n = perm.shape[0]
    if n == 0:
        return 1
    g = sp.csr_array((np.ones(n), (np.arange(n), perm)), shape=(n, n))
    cycles, _ = csgraph.connected_components(g, directed=True, connection="weak")
    return -1 if (n - cycles) % 2 else 1


class SparseFactorization(Factorization):
    """What :class:`SparseLU` and :class:`SparseCholesky` share: NumPy results, the fill report, ``path``.

    Subclasses set ``shape``, ``dtype``, ``info``, ``_anorm``, ``fill`` and ``path``, and keep the
    matrix as ``_a`` and their constructor's options as ``_options`` (pickling factors again).
    """

    fill: FillReport
    path: list[str]

    def _init_common(self, a: sp.csc_array, path: list[str]) -> None:
        self.shape = (int(a.shape[0]), int(a.shape[1]))
        self.dtype = a.dtype
        self.nnz = int(a.nnz)
        self.path = path
        self._xp = namespace(np.empty(0))

    def _sample(self) -> Any:
        return np.zeros(1, dtype=self.dtype)

    def _check_backend(self, b: Any) -> None:
        if type(b) is not np.ndarray:
            raise TypeError(
                f"b is a {type(b).__module__.split('.')[0]} array but sparse factorizations solve "
                "with NumPy arrays; convert b with numpy.asarray first."
            )

    def __reduce__(self) -> tuple:
        """Pickle the matrix and the options; unpickling factors again (engine objects do not pickle)."""
        return (_refactor, (type(self), self._a, self._options))

    def _repr_extra(self) -> str:
        return f"ordering={self.fill.ordering}, engine={self.fill.engine}"


def _refactor(cls: type, a: sp.csc_array, options: dict) -> SparseFactorization:
    """Unpickling: factor the stored matrix again with the stored options."""
    return cls(a, check_finite=False, **options)
