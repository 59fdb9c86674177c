"""Structure detection: one pass over a matrix to find what a solver can exploit.

:func:`detect_structure` reports bandwidths (and so diagonal, bi- and
tridiagonal, banded and triangular shape), row-permuted triangular form,
exact symmetry or Hermitian symmetry, and whether the diagonal is real and
positive (the cheap test that makes Cholesky worth trying).  The checks are
exact, like MATLAB's ``mldivide``: a matrix is symmetric only if it equals
its transpose bit for bit.  The auto-selector of ``factorize`` builds on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._array import is_complex, to_numpy, validate_matrix

__all__ = ["StructureInfo", "detect_structure"]


@dataclass(frozen=True)
class StructureInfo:
    """What :func:`detect_structure` found.

    Attributes
    ----------
    shape : tuple of int
    lower_bandwidth, upper_bandwidth : int
        Largest ``i - j`` (``j - i``) over the nonzero entries ``a[i, j]``
        (NaN counts as nonzero); 0 for a zero matrix.
    symmetric : bool
        ``A == A.T`` exactly (square only).
    hermitian : bool
        ``A == A.conj().T`` exactly (equals ``symmetric`` for real input).
    positive_diagonal : bool
        Every diagonal entry is real (zero imaginary part) and ``> 0``.
    permuted_triangular : str or None
        ``"lower"`` or ``"upper"`` when a row permutation ``p`` makes
        ``A[p]`` triangular with a nonzero diagonal (and ``A`` itself is not
        triangular); see ``row_permutation``.
    row_permutation : numpy.ndarray or None
        That ``p``.
    """

    shape: tuple[int, int]
    lower_bandwidth: int
    upper_bandwidth: int
    symmetric: bool
    hermitian: bool
    positive_diagonal: bool
    permuted_triangular: str | None = None
    row_permutation: np.ndarray | None = field(default=None, repr=False)

    @property
    def square(self) -> bool:
        """``M == N``."""
        return self.shape[0] == self.shape[1]

    @property
    def diagonal(self) -> bool:
        """Nonzeros only on the main diagonal."""
        return self.lower_bandwidth == 0 and self.upper_bandwidth == 0

    @property
    def upper_triangular(self) -> bool:
        """No nonzero below the diagonal."""
        return self.lower_bandwidth == 0

    @property
    def lower_triangular(self) -> bool:
        """No nonzero above the diagonal."""
        return self.upper_bandwidth == 0

    @property
    def bidiagonal(self) -> bool:
        """Diagonal plus one adjacent diagonal (and not diagonal)."""
        return (self.lower_bandwidth, self.upper_bandwidth) in ((0, 1), (1, 0))

    @property
    def tridiagonal(self) -> bool:
        """Bandwidths at most one (and not bidiagonal or diagonal)."""
        return self.lower_bandwidth == 1 and self.upper_bandwidth == 1

    @property
    def banded(self) -> bool:
        """Both bandwidths small: ``kl + ku + 1 <= N / 4`` and wider than tridiagonal."""
        n = min(self.shape)
        width = self.lower_bandwidth + self.upper_bandwidth + 1
        return n >= 8 and 3 < width <= n // 4

    def tags(self) -> list[str]:
        """Human-readable tags, most specific shape first.

        Examples
        --------
        >>> import numpy as np, pivotal as pv
        >>> pv.detect_structure(np.diag([1.0, 2.0, 3.0])).tags()
        ['diagonal', 'symmetric', 'positive diagonal']
        """
        out: list[str] = []
        if self.diagonal:
            out.append("diagonal")
        elif self.bidiagonal:
            out.append("upper bidiagonal" if self.upper_bandwidth else "lower bidiagonal")
        elif self.tridiagonal:
            out.append("tridiagonal")
        elif self.upper_triangular:
            out.append("upper triangular")
        elif self.lower_triangular:
            out.append("lower triangular")
        elif self.permuted_triangular:
            out.append(f"permuted {self.permuted_triangular} triangular")
        elif self.banded:
            out.append(f"banded (kl={self.lower_bandwidth}, ku={self.upper_bandwidth})")
        else:
            out.append("general" if self.square else "rectangular")
        if self.square:
            if self.hermitian and not self.symmetric:
                out.append("hermitian")
            elif self.symmetric:
                out.append("symmetric")
            if self.positive_diagonal:
                out.append("positive diagonal")
        return out


def _dense_corners(x: np.ndarray) -> bool:
    """Both off-diagonal corners nonzero (NaN counts as nonzero): the widest band, nothing more to learn."""
    m, n = x.shape
    return m > 0 and n > 0 and x[m - 1, 0] != 0 and x[0, n - 1] != 0


def _bandwidths(mask: np.ndarray) -> tuple[int, int]:
    m, n = mask.shape
    if m == 0 or n == 0:
        return 0, 0
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return 0, 0
    sub = mask[rows]
    first = np.argmax(sub, axis=1)  # first nonzero column of each nonzero row
    last = n - 1 - np.argmax(sub[:, ::-1], axis=1)
    return int(max((rows - first).max(), 0)), int(max((last - rows).max(), 0))


def _equals_transpose(x: np.ndarray, conj: bool, block: int = 256) -> bool:
    """``x == x.T`` (or ``x.conj().T``) exactly, block by block so a mismatch stops early."""
    n = x.shape[0]
    if n == 0:
        return True
    if not np.array_equal(x[0, :], x[:, 0].conj() if conj else x[:, 0]):
        return False
    for i in range(0, n, block):
        rows = x[i : i + block, :]
        cols = x[:, i : i + block].T
        if not np.array_equal(rows, cols.conj() if conj else cols):
            return False
    return True


def _permuted_triangular(mask: np.ndarray) -> tuple[str | None, np.ndarray | None]:
    """Find ``p`` with ``A[p]`` lower (or upper) triangular and a nonzero diagonal."""
    n = mask.shape[0]
    if n < 2 or not mask.any(axis=1).all():
        return None, None
    last = n - 1 - np.argmax(mask[:, ::-1], axis=1)  # last nonzero column of each row
    if np.array_equal(np.sort(last), np.arange(n)):
        p = np.argsort(last)  # row with last nonzero k goes to position k
        if mask[p, np.arange(n)].all():
            return "lower", p
    first = np.argmax(mask, axis=1)
    if np.array_equal(np.sort(first), np.arange(n)):
        p = np.argsort(first)
        if mask[p, np.arange(n)].all():
            return "upper", p
    return None, None


def detect_structure(a: Any) -> StructureInfo:
    """Detect the exploitable structure of a matrix in one pass.

    Parameters
    ----------
    a : (M, N) array_like
        NumPy array, PyTorch tensor or JAX array (inspected on the host).

    Returns
    -------
    StructureInfo

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> A = np.array([[4.0, 1.0, 0.0], [1.0, 4.0, 1.0], [0.0, 1.0, 4.0]])
    >>> s = pv.detect_structure(A)
    >>> s.tridiagonal, s.symmetric, s.tags()
    (True, True, ['tridiagonal', 'symmetric', 'positive diagonal'])
    >>> P = np.array([[0.0, 2.0], [3.0, 0.0]])
    >>> pv.detect_structure(P).permuted_triangular
    'lower'
    """
    a = validate_matrix(a, check_finite=False, batch=False)
    x = to_numpy(a)
    m, n = x.shape
    # The nonzero mask (NaN != 0: NaN counts as a nonzero) is built only when the corners leave the
    # band open, or when few enough nonzeros make a permuted triangle possible: a dense matrix costs
    # two scalar reads, one symmetry block and one count instead of a full boolean temporary.
    mask = None
    if _dense_corners(x):
        kl, ku = m - 1, n - 1
    else:
        mask = x != 0
        kl, ku = _bandwidths(mask)
    symmetric = hermitian = positive = False
    perm_kind, perm = None, None
    if m == n:
        symmetric = _equals_transpose(x, conj=False)
        hermitian = _equals_transpose(x, conj=True) if is_complex(x.dtype) else symmetric
        d = np.diagonal(x)
        positive = bool(n > 0 and np.all(np.imag(d) == 0) and np.all(np.real(d) > 0))
        # A permuted triangular matrix has at most n (n + 1) / 2 nonzeros, and a row whose only
        # nonzero is in column 0 (A[p] lower) or n - 1 (upper): with no zero in columns 0 and 1
        # (two column reads) neither exists, and the count's pass over the matrix is not needed.
        if (
            kl
            and ku
            and not (n >= 2 and np.all(x[:, 0] != 0) and np.all(x[:, 1] != 0))
            and np.count_nonzero(x if mask is None else mask) <= n * (n + 1) // 2
        ):
            perm_kind, perm = _permuted_triangular(x != 0 if mask is None else mask)
    return StructureInfo((m, n), kl, ku, symmetric, hermitian, positive, perm_kind, perm)
