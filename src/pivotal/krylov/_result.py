"""What a Krylov solve reports with ``return_info=True``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["KrylovInfo"]


@dataclass
class KrylovInfo:
    """Per-column outcome of a Krylov solve (``return_info=True``).

    Every array has one entry per right-hand side: shape ``(k,)`` for ``b``
    of shape ``(n, k)``, ``(1,)`` for ``b`` of shape ``(n,)``.  They are
    small host NumPy arrays whatever the backend of ``b``.

    Attributes
    ----------
    method : str
        ``"cg"``, ``"minres"``, ``"gmres"``, ``"lsqr"`` or ``"block_cg"``.
    info : int
        SciPy's exit code: 0 when every column converged, the iteration
        limit when a column did not, negative on breakdown (``-1``) of a
        column.  For lsqr, the largest ``istop`` over the columns (see
        :func:`~pivotal.krylov.lsqr`).
    iterations : ndarray of int
        Iterations each column ran (matrix-vector products, less those for
        the initial residual; for gmres, inner iterations over all restarts).
    residual_norms : ndarray of float
        The true residual ``||b - A x||_2`` of each returned column,
        recomputed from ``x`` (one extra product with ``A``); for lsqr, that
        of the damped problem ``||[b; 0] - [A; damp I] x||_2``.
    converged : ndarray of bool
        The column met its stopping test (on the recursively updated
        residual the iteration maintains; see the solver's Notes).
    breakdown : ndarray of bool
        The iteration broke down on the column (for cg: ``p^H A p <= 0`` or
        ``r^H M r <= 0``, so ``A`` or ``M`` is not positive definite; a
        non-finite residual for any solver).
    tolerance : ndarray of float
        The absolute threshold each column's residual was held to,
        ``max(rtol * ||b_j||, atol)``.
    rtol, atol : float
        The tolerances passed.
    message : str
        One line on the outcome.
    """

    method: str
    info: int
    iterations: np.ndarray
    residual_norms: np.ndarray
    converged: np.ndarray
    breakdown: np.ndarray
    tolerance: np.ndarray
    rtol: float
    atol: float
    message: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        k = self.iterations.size
        return (
            f"KrylovInfo(method={self.method!r}, info={self.info}, columns={k}, "
            f"converged={int(self.converged.sum())}/{k}, iterations<={int(self.iterations.max(initial=0))}, "
            f"max residual={float(self.residual_norms.max(initial=0.0)):.3g}, message={self.message!r})"
        )
