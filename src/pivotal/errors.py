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


class SingularMatrixError(LinAlgError):
    """The matrix is exactly singular: a pivot (or diagonal entry) is zero.

    Parameters
    ----------
    index : int
        Zero-based index of the first zero pivot.
    message : str, optional
        Overrides the default message.

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> try:
    ...     pv.LU(np.array([[1.0, 2.0], [2.0, 4.0]]))
    ... except pv.SingularMatrixError as err:
    ...     print(err.index)
    1
    """

    def __init__(self, index: int, message: str | None = None):
        self.index = int(index)
        if message is None:
            message = (
                f"singular matrix: the pivot at index {self.index} is exactly zero. "
                "For least-squares or rank-deficient problems use "
                "scipy.linalg.lstsq or pivotal's QR with column pivoting; to "
                "inspect the factors anyway pass check=False."
            )
        super().__init__(message)


class NotPositiveDefiniteError(LinAlgError):
    """Cholesky failed: the leading minor of order ``index + 1`` is not positive definite.

    Parameters
    ----------
    index : int
        Zero-based index of the column at which the factorization broke down.
    message : str, optional
        Overrides the default message.

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> try:
    ...     pv.cholesky(np.array([[1.0, 2.0], [2.0, 1.0]]))
    ... except pv.NotPositiveDefiniteError as err:
    ...     print(err.index)
    1
    """

    def __init__(self, index: int, message: str | None = None):
        self.index = int(index)
        if message is None:
            message = (
                f"matrix is not positive definite: the leading minor of order "
                f"{self.index + 1} is not positive (Cholesky failed at column "
                f"{self.index}). For symmetric indefinite matrices use pivotal.ldl "
                "or pivotal.LDL (Bunch-Kaufman); for semidefinite matrices use "
                "pivotal.PivotedCholesky; or add a small diagonal shift."
            )
        super().__init__(message)


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
    """A pivot was so small that element growth may have destroyed accuracy.

    Raised by factorizations without pivoting (``pivoting="none"``) when a
    multiplier exceeds ``1/sqrt(eps)``.

    Parameters
    ----------
    index : int
        Zero-based index of the offending pivot.
    multiplier : float
        Magnitude of the largest multiplier the pivot produced.
    """

    def __init__(self, index: int, multiplier: float):
        self.index = int(index)
        self.multiplier = float(multiplier)
        super().__init__(
            f"tiny pivot at index {self.index}: it produced a multiplier of "
            f"{self.multiplier:.3g}, so element growth may have destroyed the "
            "accuracy of the factors. Use pivoting='partial' (the default), "
            "'rook' or 'complete'."
        )


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
