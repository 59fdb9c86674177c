"""The ``PivotedCholesky`` object: rank-revealing Cholesky with diagonal pivoting."""

from __future__ import annotations

from typing import Any

import array_api_compat
import numpy as np

from .._array import is_complex, namespace
from .._backends import get_backend
from ..errors import NotPositiveDefiniteError, SingularMatrixError
from ..kernels.pivoted_cholesky import pivoted_cholesky_kernel
from .base import Factorization, _copy_as, det_parts, factor_input, index_array
from .cholesky import hermitian_norm1

__all__ = ["PivotedCholesky"]


class PivotedCholesky(Factorization):
    """Pivoted Cholesky ``A[p][:, p] ~= L @ L^H`` of a Hermitian positive semidefinite matrix.

    At each step the largest remaining diagonal entry of the Schur
    complement is the pivot (LAPACK ``xPSTRF``), so the factorization reveals
    the numerical rank and its leading columns form a near-optimal low-rank
    approximation; it reads one column of ``A`` per step (``O(n r^2)`` work).
    Used for low-rank approximation and as a preconditioner.

    Parameters
    ----------
    a : (N, N) array_like
        Hermitian positive semidefinite matrix; only the lower triangle is read.
    rank : int, optional
        Stop after this many columns.
    tol : float, optional
        Stop when the largest remaining diagonal entry is at most ``tol``;
        default ``N * u * max(diag(A))`` (LAPACK's).  The same tolerance
        decides positive semidefiniteness (see Raises).
    check : bool, optional
        Raise :class:`NotPositiveDefiniteError` when ``A`` proves not to be
        positive semidefinite; with ``False`` return the factorization with
        ``issuccess() == False`` and ``stop_reason == "not_psd"``.
    check_finite : bool, optional
        Check ``a`` for NaN/Inf.

    Raises
    ------
    NotPositiveDefiniteError
        With ``check``, ``.index`` being the number of columns factored
        before the evidence.  Every early stop checks the Schur complement
        ``S`` of the factored columns, with ``tau = max(tol, N u max diag A)``
        and the rounding allowance ``e = 4 (r + 1) u max|a_ii|``: a remaining
        diagonal entry below ``-(tau + e)`` (or NaN); in the column of ``S``
        at the would-be next pivot ``j`` (one more column of ``A``), an entry
        ``|S_ij| > max(sqrt((S_ii + e)(S_jj + e)), tau + e)``; and, when the
        factorization stops because every remaining diagonal entry is at
        most ``tol``, every entry of ``S`` against ``tau + e`` -- a positive
        semidefinite ``S`` has ``|S_ij| <= sqrt(S_ii S_jj)``.  (Diagonal
        pivots alone miss e.g. ``[[0, 1], [1, 0]]``.)  A factorization
        stopped at a requested ``rank`` checks the diagonal and that one
        column, not the rest of ``S``, whose ``O((N - r)^2 r)`` cost would
        dwarf the truncated factorization's ``O(N r^2)``.

    Attributes
    ----------
    rank : int
        Number of columns computed (the numerical rank when stopped by ``tol``).
    stop_reason : str
        ``"complete"``, ``"rank"``, ``"tol"`` or ``"not_psd"``.
    residual_max : float
        Largest remaining diagonal entry: for PSD ``A`` it bounds every entry
        of ``A[p][:, p] - L L^H``.
    residual_trace : float
        Trace (nuclear norm) of the residual, for PSD ``A``.
    info : int
        0 if all requested columns were computed, 1 if it stopped early
        (LAPACK ``xPSTRF``'s convention).

    Notes
    -----
    Unpacks as ``(L, p)``.  ``issuccess()`` is False only when ``A`` proved
    not to be positive semidefinite (``check=False``).  ``solve``, ``det`` and ``rcond`` need
    the full rank ``N``; a numerically rank-deficient matrix raises
    :class:`SingularMatrixError` at the rank (use :meth:`low_rank_factor`).

    References
    ----------
    N. J. Higham, "Cholesky factorization", WIREs Comp. Stat. 1, 2009;
    C. Lucas, "LAPACK-style codes for level 2 and 3 pivoted Cholesky
    factorizations", LAPACK Working Note 161, 2004.

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> B = np.random.default_rng(0).standard_normal((50, 5))
    >>> F = pv.PivotedCholesky(B @ B.T)
    >>> F.rank
    5
    >>> G = F.low_rank_factor()
    >>> np.allclose(G @ G.T, B @ B.T)
    True
    >>> pv.PivotedCholesky(B @ B.T, rank=3).residual_trace > 0
    True
    """

    def __init__(
        self,
        a: Any,
        *,
        rank: int | None = None,
        tol: float | None = None,
        check: bool = True,
        check_finite: bool = True,
    ):
        a = factor_input(
            a,
            "PivotedCholesky",
            square=True,
            check_finite=check_finite,
            jax_hint="convert with numpy.asarray first.",
        )
        if rank is not None and (int(rank) != rank or rank < 0):
            raise ValueError(f"rank must be a nonnegative integer or None, got {rank!r}.")
        res = pivoted_cholesky_kernel(a, rank=rank, tol=tol)
        self._res = res
        self._L = res.L
        self._xp = namespace(res.L)
        self.shape = (int(a.shape[0]), int(a.shape[1]))
        self.dtype = res.L.dtype
        self.rank = int(res.rank)
        self.stop_reason = res.stop_reason
        self.tol = float(res.tol)
        self.residual_max = float(res.residual_max)
        self.residual_trace = float(res.residual_trace)
        self.info = int(res.info)
        self._anorm = hermitian_norm1(a, lower=True)
        self._fields = ("L", "p")
        if check and not self.issuccess():
            self._raise_if_failed("factor the matrix")

    def _sample(self) -> Any:
        return self._L

    def issuccess(self) -> bool:
        """False only when the matrix proved not positive semidefinite."""
        return self.stop_reason != "not_psd"

    def _failure_index(self) -> int | None:
        return self.rank if self.rank < self.shape[0] else None

    def _raise_if_failed(self, what: str) -> None:
        if not self.issuccess():
            raise NotPositiveDefiniteError(
                self.rank,
                f"cannot {what}: the matrix is not positive semidefinite ({self._res.failure}). "
                "For symmetric indefinite matrices use pivotal.LDL; to inspect the partial "
                "factorization pass check=False.",
            )
        if self.rank < self.shape[0]:
            raise SingularMatrixError(
                self.rank,
                f"cannot {what}: the pivoted Cholesky factorization has rank {self.rank} < "
                f"{self.shape[0]} (stopped by {self.stop_reason!r}), so the matrix is singular "
                "to the requested tolerance. Use low_rank_factor() for the approximation, "
                "or lstsq.",
            )

    @property
    def L(self) -> Any:
        """Lower trapezoidal factor ``(N, rank)`` in the pivoted order."""
        return self._L

    @property
    def p(self) -> Any:
        """Symmetric permutation: ``A[p][:, p] ~= L @ L^H``."""
        return index_array(self._res.perm, self._L)

    @property
    def P(self) -> Any:
        """Permutation matrix: ``P @ A @ P.T ~= L @ L^H``."""
        xp = self._xp
        eye = xp.eye(self.shape[0], dtype=self.dtype, device=array_api_compat.device(self._L))
        return eye[self.p, :]

    def low_rank_factor(self) -> Any:
        """``G`` of shape ``(N, rank)`` with ``A ~= G @ G^H`` in the original order."""
        xp = self._xp
        g = xp.zeros(self._L.shape, dtype=self.dtype, device=array_api_compat.device(self._L))
        g[self.p, :] = self._L
        return g

    def _repr_extra(self) -> str:
        return f"rank={self.rank}, stop_reason={self.stop_reason!r}"

    def _solve_core(self, b: Any, trans: int) -> Any:
        xp = self._xp
        if trans == 1 and is_complex(self.dtype):
            y = self._solve_core(_copy_as(xp.conj(b), b.dtype, xp), 0)
            return _copy_as(xp.conj(y), b.dtype, xp)
        backend = get_backend(self._L)
        idx = index_array(self._res.perm, b)
        y = b[idx, :]
        backend.trsm_inplace(self._L, y, lower=True)
        backend.trsm_inplace(self._L, y, lower=True, trans=2)
        x = xp.empty_like(y)
        x[idx, :] = y
        return x

    def _det_parts(self) -> tuple[np.ndarray, int]:
        n = self.shape[0]
        if not self.issuccess():  # the determinant of an indefinite matrix is not in the factors
            self._raise_if_failed("compute the determinant")
        if self.stop_reason == "rank" and self.rank < n:
            raise ValueError(
                "the determinant is not available from a factorization truncated at a "
                "requested rank; factor without rank= to get it."
            )
        if self.rank < n:
            return np.zeros(1), 0
        d = det_parts(self._xp.linalg.diagonal(self._L)).real  # det(A) = prod(L_ii)^2
        return np.concatenate([d, d]), 0

    def rcond(self) -> float:
        """Estimated reciprocal 1-norm condition number; 0 when rank-deficient."""
        if self.rank < self.shape[0]:
            return 0.0
        return super().rcond()
