"""Exceptions and warnings raised by pivotal.

Every numerical failure carries the index at which it happened, and every
message says what to try instead.  The classes subclass NumPy's (and so
SciPy's) ``LinAlgError`` and ``LinAlgWarning`` so that existing
``except LinAlgError`` clauses keep working.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import LinAlgWarning as _ScipyLinAlgWarning

__all__ = [
    "IllConditionedWarning",
    "LinAlgError",
    "LinAlgWarning",
    "NotPositiveDefiniteError",
    "PivotGrowthWarning",
    "SingularMatrixError",
    "UnsupportedDTypeError",
]


class LinAlgError(np.linalg.LinAlgError):
    """Base class of pivotal's numerical errors (a ``numpy.linalg.LinAlgError``)."""


class _IndexedError(LinAlgError):
    """A numerical failure at a known position; subclasses write the default message.

    Parameters
    ----------
    index : int
        Zero-based index of the failure (see the subclass).
    message : str, optional
        Overrides the default message.
    """

    def __init__(self, index: int, message: str | None = None):
        self.index = int(index)
        super().__init__(self._default_message() if message is None else message)

    def _default_message(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError


class SingularMatrixError(_IndexedError):
    """The matrix is exactly singular: a pivot (or diagonal entry) is zero.

    ``index`` is the zero-based index of the first zero pivot; an optional
    second argument overrides the message.

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> try:
    ...     pv.LU(np.array([[1.0, 2.0], [2.0, 4.0]]))
    ... except pv.SingularMatrixError as err:
    ...     print(err.index)
    1
    """

    def _default_message(self) -> str:
        return (
            f"singular matrix: the pivot at index {self.index} is exactly zero. "
            "For least-squares or rank-deficient problems use "
            "scipy.linalg.lstsq or pivotal's QR with column pivoting; to "
            "inspect the factors anyway pass check=False."
        )


class NotPositiveDefiniteError(_IndexedError):
    """Cholesky failed: the leading minor of order ``index + 1`` is not positive definite.

    ``index`` is the zero-based index of the column at which the
    factorization broke down; an optional second argument overrides the
    message.

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> try:
    ...     pv.cholesky(np.array([[1.0, 2.0], [2.0, 1.0]]))
    ... except pv.NotPositiveDefiniteError as err:
    ...     print(err.index)
    1
    """

    def _default_message(self) -> str:
        return (
            f"matrix is not positive definite: the leading minor of order "
            f"{self.index + 1} is not positive (Cholesky failed at column "
            f"{self.index}). For symmetric indefinite matrices use pivotal.ldl "
            "or pivotal.LDL (Bunch-Kaufman); for semidefinite matrices use "
            "pivotal.PivotedCholesky; or add a small diagonal shift."
        )


class LinAlgWarning(_ScipyLinAlgWarning):
    """Base class of pivotal's numerical warnings (a ``scipy.linalg.LinAlgWarning``)."""


class IllConditionedWarning(LinAlgWarning):
    """The matrix is ill-conditioned; the attribute ``rcond`` holds the estimate.

    Parameters
    ----------
    rcond : float
        Estimated reciprocal condition number in the 1-norm.
    message : str, optional
        Overrides the default message.
    """

    def __init__(self, rcond: float, message: str | None = None):
        self.rcond = float(rcond)
        if message is None:
            message = (
                f"Ill-conditioned matrix (rcond={self.rcond:.3g}): the result may "
                "have no correct digits. Regularise the problem, use lstsq, or "
                "refine the solution."
            )
        super().__init__(message)


class PivotGrowthWarning(LinAlgWarning):
    """Element growth in the factorization may have destroyed the accuracy of the factors.

    Factors computed in precision ``u`` are the exact factors of ``A + dA``
    with ``||dA|| <~ m g u ||A||``, ``g`` a measure of the element growth and
    ``m`` the length of the inner products (Higham, *Accuracy and Stability
    of Numerical Algorithms*, 2nd ed.).  pivotal warns when that bound
    reaches half of ``||A||`` (``m g u >= 1/2``: it then certifies nothing,
    as ``rcond < eps`` does for conditioning), and, without pivoting, when a
    pivot produced a multiplier above ``1/sqrt(u)``.  What ``growth`` measures
    depends on the factorization:

    ``"LU"``
        ``max|U| / max|A|``, with ``m = n`` (Thm 9.5 and sec. 9.4).
    ``"Banded"``
        ``max|U| / max|A|`` of the band LU, with ``m = min(n, kl + ku + 1)``,
        the number of entries in a row of the band (sec. 9.5).
    ``"LDL"``
        ``|| |L| |D| |L|^H ||_inf / ||A||_inf`` of Bunch-Kaufman, the
        quantity the backward error ``p(n) u (|A| + |L| |D| |L|^T)`` of ch. 11
        contains (``|L|`` is not bounded by Bunch-Kaufman pivoting, so
        ``max|D|`` alone would miss growth).  It measures the terms that
        cancel rather than the largest one, so ``m = 1`` and ``g`` is
        ``1 + growth``: the error of one rounding per term.

    Parameters
    ----------
    growth : float
        The growth measure of the factorization (above).
    message : str, optional
        Overrides the default message.
    index : int, optional
        Zero-based index of the tiny pivot (factorizations without pivoting).
    multiplier : float, optional
        Magnitude of the largest multiplier that pivot produced.
    factorization : {"LU", "Banded", "LDL"}, optional
        Which factorization grew (default ``"LU"``).

    Attributes
    ----------
    growth, index, multiplier, factorization
        As given (``index`` and ``multiplier`` are ``None`` for a growth warning).
    """

    def __init__(
        self,
        growth: float,
        message: str | None = None,
        *,
        index: int | None = None,
        multiplier: float | None = None,
        factorization: str = "LU",
    ):
        self.growth = float(growth)
        self.index = None if index is None else int(index)
        self.multiplier = None if multiplier is None else float(multiplier)
        self.factorization = str(factorization)
        if message is None:
            if self.index is not None:
                message = (
                    f"tiny pivot at index {self.index}: it produced a multiplier of "
                    f"{self.multiplier:.3g} (growth factor {self.growth:.3g}), so element growth "
                    "may have destroyed the accuracy of the factors. Use pivoting='partial' "
                    "(the default), 'rook' or 'complete'."
                )
            elif self.factorization == "LU":
                message = (
                    f"pivot growth factor {self.growth:.3g}: the LU factors may be those of a "
                    "matrix far from A, so solutions computed with them may have no correct "
                    "digits. Refine the solution (pivotal.refine, or solve(..., refine='auto')), "
                    "or factor with pivoting='rook' or 'complete'."
                )
            else:
                measure = (
                    "growth || |L||D||L^H| ||/||A|| = " if self.factorization == "LDL" else "growth factor "
                )
                message = (
                    f"pivot {measure}{self.growth:.3g}: the {self.factorization} factors may be those "
                    "of a matrix far from A, so solutions computed with them may have no correct "
                    "digits. Refine the solution (pivotal.refine, or solve(..., refine='auto')), "
                    "or factor with pivotal.LU(A, pivoting='rook') or 'complete', whose growth "
                    "stays small."
                )
        super().__init__(message)


class UnsupportedDTypeError(ValueError, TypeError):
    """An input's dtype has no linear algebra (strings, bytes, void, objects, datetimes).

    Both a ``ValueError`` and a ``TypeError``: ``scipy.linalg`` raises the
    one or the other for these dtypes depending on the function (``inv`` and
    ``solve`` a ``ValueError``, ``det`` a ``TypeError``), so either ``except``
    clause written for SciPy catches it (as ``numpy.exceptions.AxisError``
    is both a ``ValueError`` and an ``IndexError``).
    """


def warn_user(warning: Warning) -> None:
    """Issue ``warning`` attributed to the first caller outside pivotal.

    A fixed ``stacklevel`` points into pivotal when the warning comes from a
    batch loop or a nested call; walking the stack always names the user's
    line (what ``skip_file_prefixes`` does on Python >= 3.12).
    """
    import os
    import sys
    import warnings

    package_dir = os.path.dirname(os.path.abspath(__file__))
    frame = sys._getframe(1)
    level = 2  # 1 is this function; 2 its caller
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package_dir + os.sep):
        frame = frame.f_back
        level += 1
    warnings.warn(warning, stacklevel=level)
