"""The ``Banded`` factorization: LU with partial pivoting in LAPACK band storage."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.linalg import lapack

from .._array import backend_name, to_numpy, working_dtype
from .._scaling import ldexp
from ..errors import PivotGrowthWarning
from ..structure import detect_structure
from .base import Factorization, det_parts, factor_input
from .lu import growth_destroys_accuracy
from .scaling import scale_into_range

__all__ = ["Banded", "banded_growth_warning", "to_band_storage"]


def _norm1_and_max(ab: np.ndarray) -> tuple[float, float]:
    """``(||A||_1, max |a_ij|)`` from the band storage of ``A`` (each column holds A's column band)."""
    absab = np.abs(ab)
    return float(absab.sum(axis=0).max()), float(absab.max())


def to_band_storage(a: np.ndarray, kl: int, ku: int) -> np.ndarray:
    """LAPACK ``xGBTRF`` band storage with ``kl`` extra rows for fill-in.

    ``ab[kl + ku + i - j, j] = a[i, j]`` for ``max(0, j - ku) <= i <= min(n - 1, j + kl)``.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.factorizations.banded import to_band_storage
    >>> A = np.array([[1.0, 2.0, 0.0], [3.0, 4.0, 5.0], [0.0, 6.0, 7.0]])
    >>> to_band_storage(A, 1, 1)[1:]
    array([[0., 2., 5.],
           [1., 4., 7.],
           [3., 6., 0.]])
    """
    n = a.shape[0]
    ab = np.zeros((2 * kl + ku + 1, n), dtype=a.dtype, order="F")
    for k in range(-kl, ku + 1):  # k = j - i
        diag = np.diagonal(a, k)
        if k >= 0:
            ab[kl + ku - k, k:] = diag
        else:
            ab[kl + ku - k, : n + k] = diag
    return ab


def banded_growth_warning(growth: float, n: int, kl: int, ku: int, dtype: Any) -> PivotGrowthWarning | None:
    """The :class:`PivotGrowthWarning` due for band LU factors with growth ``max|U| / max|A|``.

    Gaussian elimination on a band matrix computes the exact factors of
    ``A + dA`` with ``|dA| <= gamma_(kl+1) |L| |U|``: every entry of ``L U``
    is an inner product of at most ``kl + 1`` terms, ``|L| <= 1`` (partial
    pivoting) and every row of ``U`` has at most ``kl + ku + 1`` entries
    (Higham, ch. 9, sec. 9.5).  The band thus takes the place of ``n`` in
    LU's policy (:func:`pivotal.factorizations.lu.growth_destroys_accuracy`):
    the warning is due when ``m rho u >= 1/2`` with
    ``m = min(n, kl + ku + 1)``, which is LU's ``n rho u`` for a full band.
    A priori ``rho <= 2^(2m' - 1) - (m' - 1) 2^(m' - 2)`` with
    ``m' = max(kl, ku)`` (Bohte's bound, sec. 9.5), so narrow bands cannot
    grow much; ``None`` when no warning is due (or ``rho`` is NaN).
    """
    if n == 0 or not growth_destroys_accuracy(growth, min(n, kl + ku + 1), dtype):
        return None
    return PivotGrowthWarning(growth, factorization="Banded")


class Banded(Factorization):
    """LU factorization of a banded matrix (LAPACK ``xGBTRF``), ``O(n kl (kl + ku))`` work.

    Parameters
    ----------
    a : (N, N) array_like
        NumPy array (PyTorch has no banded LAPACK: use :class:`pivotal.LU`).
    lower_bandwidth, upper_bandwidth : int, optional
        ``kl`` and ``ku``; detected when omitted.  Given explicitly, entries
        outside the band are ignored.
    check : bool, optional
        Raise :class:`SingularMatrixError` for an exactly zero pivot.
    check_finite : bool, optional

    Warns
    -----
    PivotGrowthWarning
        On the first ``solve`` or ``inv``, when the growth factor
        ``rho = max|U| / max|A|`` (:meth:`growth_factor`) makes the
        backward-error bound of the factors meaningless:
        ``min(n, kl + ku + 1) rho u >= 1/2`` (see
        :func:`banded_growth_warning`).  ``warning.growth`` holds ``rho``.
    IllConditionedWarning
        On the first ``solve``, when ``rcond()`` is below machine epsilon.

    Notes
    -----
    Partial pivoting widens ``U``'s upper bandwidth to ``kl + ku``, which the
    band storage reserves.  Unpacks as ``(ab, ipiv)`` (LAPACK's compact form).

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> A = np.diag([4.0] * 5) + np.diag([1.0] * 4, 1) + np.diag([-1.0] * 4, -1)
    >>> F = pv.Banded(A)
    >>> (F.lower_bandwidth, F.upper_bandwidth)
    (1, 1)
    >>> bool(np.allclose(A @ F.solve(np.ones(5)), 1.0))
    True
    """

    def __init__(
        self,
        a: Any,
        *,
        lower_bandwidth: int | None = None,
        upper_bandwidth: int | None = None,
        check: bool = True,
        check_finite: bool = True,
    ):
        a = factor_input(
            a, "Banded", square=True, check_finite=check_finite, jax_hint="convert with numpy.asarray first."
        )
        if backend_name(a) != "numpy":
            raise TypeError(
                "pivotal.Banded uses LAPACK's band routines and needs a NumPy array; "
                "PyTorch has no banded solver, use pivotal.LU for tensors."
            )
        x = np.asarray(to_numpy(a), dtype=working_dtype(a))
        if lower_bandwidth is None or upper_bandwidth is None:
            s = detect_structure(x)
            kl = s.lower_bandwidth if lower_bandwidth is None else int(lower_bandwidth)
            ku = s.upper_bandwidth if upper_bandwidth is None else int(upper_bandwidth)
        else:
            kl, ku = int(lower_bandwidth), int(upper_bandwidth)
        n = x.shape[0]
        if kl < 0 or ku < 0:
            raise ValueError(f"bandwidths must be nonnegative, got kl={kl}, ku={ku}.")
        kl, ku = min(kl, max(n - 1, 0)), min(ku, max(n - 1, 0))
        self.lower_bandwidth, self.upper_bandwidth = kl, ku
        self._xp = np
        self.shape = (n, n)
        self.dtype = x.dtype
        self.algorithm = "LAPACK gbtrf"
        self._fields = ("ab", "ipiv")
        if n == 0:
            self._ab = np.zeros((2 * kl + ku + 1, 0), dtype=x.dtype, order="F")
            self._ipiv = np.zeros(0, dtype=np.int32)
            self._anorm = self._amax = 0.0
            self.info = 0
            return
        # Column j of the band storage holds the band of column j of A (and zeros): its column sums
        # and entries are A's.  The factored matrix is 2^e A, inside LAPACK's safe range (gbtrf
        # inverts its pivots; the base class undoes e).
        ab = to_band_storage(x, kl, ku)
        self._scale, self._anorm, self._amax = scale_into_range(ab, _norm1_and_max)
        gbtrf = lapack.get_lapack_funcs("gbtrf", (x,))
        ab, ipiv, info = gbtrf(ab, kl, ku, overwrite_ab=True)
        if info < 0:  # pragma: no cover - our arguments are valid
            raise ValueError(f"illegal value in argument {-info} of internal gbtrf")
        self._ab, self._ipiv, self.info = ab, ipiv, int(info)
        if check and self.info:
            self._raise_if_failed("factor the matrix")

    def _sample(self) -> Any:
        return self._ab

    @property
    def ab(self) -> np.ndarray:
        """The factors in LAPACK band storage (``2 kl + ku + 1`` rows).

        ``U`` (upper bandwidth ``kl + ku``) fills the first ``kl + ku + 1``
        rows, the multipliers of ``L`` the last ``kl``.
        """
        if not self._scale:
            return self._ab
        ab = self._ab.copy(order="F")
        ldexp(ab[: self.lower_bandwidth + self.upper_bandwidth + 1], -self._scale, inplace=True)
        return ab

    @property
    def ipiv(self) -> np.ndarray:
        """Row interchanges, 0-based (as SciPy's ``gbtrf`` returns and ``gbtrs`` takes them)."""
        return self._ipiv

    def growth_factor(self) -> float:
        """Element growth ``max|U| / max|A|`` of the band LU (1 for a zero matrix).

        ``U`` (upper bandwidth ``kl + ku``) fills the first ``kl + ku + 1``
        rows of :attr:`ab`; one pass over them.
        """
        if self._amax == 0.0:
            return 1.0
        kl, ku = self.lower_bandwidth, self.upper_bandwidth
        # Row kl + ku - k of ab holds the k-th superdiagonal of U; the unused top-left corner of
        # each row is the zero of to_band_storage, never written by gbtrf.
        return float(np.abs(self._ab[: kl + ku + 1, :]).max()) / self._amax

    def _stability_warning(self) -> PivotGrowthWarning | None:
        n = self.shape[0]
        if n == 0:
            return None
        kl, ku = self.lower_bandwidth, self.upper_bandwidth
        return banded_growth_warning(self.growth_factor(), n, kl, ku, self.dtype)

    def _repr_extra(self) -> str:
        return f"kl={self.lower_bandwidth}, ku={self.upper_bandwidth}"

    def _solve_core(self, b: Any, trans: int) -> Any:
        ab = self._ab if self._ab.dtype == b.dtype else self._ab.astype(b.dtype)
        gbtrs = lapack.get_lapack_funcs("gbtrs", (ab, b))
        if trans == 2 and not np.iscomplexobj(ab):
            trans = 1
        x, info = gbtrs(ab, self.lower_bandwidth, self.upper_bandwidth, b, self._ipiv, trans=trans)
        if info < 0:  # pragma: no cover
            raise ValueError(f"illegal value in argument {-info} of internal gbtrs")
        return x

    def _det_parts(self) -> tuple[np.ndarray, int]:
        n = self.shape[0]
        d = self._ab[self.lower_bandwidth + self.upper_bandwidth, :]  # the diagonal of U
        swaps = int(np.count_nonzero(self._ipiv[:n] != np.arange(n)))  # row i swapped with ipiv[i] (0-based)
        return det_parts(d, sign=-1 if swaps % 2 else 1), 0
