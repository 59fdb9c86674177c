"""``Diagonal`` and ``Triangular``: the trivial factorizations, with the same protocol.

They let the solver's decision table return a factorization object for
every structure it detects, so ``solve``, ``rcond``, ``slogdet`` and friends
work the same way whatever the matrix turned out to be.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._array import device_of, is_complex, namespace, to_float, working_copy
from .._backends import get_backend
from .._permutations import perm_sign
from ..structure import detect_structure
from .base import Factorization, _copy_as, det_parts, factor_input, index_array
from .scaling import scale_into_range

__all__ = ["Diagonal", "Triangular"]


def _norm1_and_max(t: Any) -> tuple[float, float]:
    """``(||t||_1, max |t_ij|)`` (zeros for an empty matrix)."""
    if t.shape[0] == 0:
        return 0.0, 0.0
    xp = namespace(t)
    abst = xp.abs(t)
    return to_float(xp.max(xp.sum(abst, axis=0))), to_float(xp.max(abst))


def _first_zero(d: Any) -> int:
    """LAPACK-style info: 1-based index of the first zero in ``d`` (0 if none)."""
    xp = namespace(d)
    zero = xp.nonzero(d == 0)[0]
    return int(zero[0]) + 1 if zero.shape[0] else 0


class Diagonal(Factorization):
    """A diagonal matrix, stored as its diagonal.

    Parameters
    ----------
    a : (N, N) array_like
        Diagonal matrix (NumPy or PyTorch).  Nonzero off-diagonal entries raise
        ``ValueError``.
    check : bool, optional
        Raise :class:`SingularMatrixError` for a zero on the diagonal.
    check_finite : bool, optional

    Notes
    -----
    ``rcond()`` is exact here: ``min |d_i| / max |d_i|``.  Unpacks as ``(d,)``.

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> F = pv.Diagonal(np.diag([2.0, -4.0, 8.0]))
    >>> F.solve(np.array([2.0, 4.0, 8.0]))
    array([ 1., -1.,  1.])
    >>> float(F.det()), F.rcond()
    (-64.0, 0.25)
    """

    def __init__(self, a: Any, *, check: bool = True, check_finite: bool = True):
        a = factor_input(
            a,
            "Diagonal",
            square=True,
            check_finite=check_finite,
            jax_hint="convert with numpy.asarray first.",
            obj=self,
        )
        s = detect_structure(a)
        if not s.diagonal:
            raise ValueError(
                f"the matrix is not diagonal (bandwidths {s.lower_bandwidth}, {s.upper_bandwidth}); "
                "use pivotal.LU, or pivotal.Triangular for triangular matrices."
            )
        work = working_copy(a)
        xp = namespace(work)
        self._xp = xp
        self._d = _copy_as(xp.linalg.diagonal(work), work.dtype, xp)
        self.shape = (int(work.shape[0]),) * 2
        self.dtype = work.dtype
        self._anorm = to_float(xp.max(xp.abs(self._d))) if self.shape[0] else 0.0
        self.info = _first_zero(self._d)
        self.algorithm = "diagonal"
        self._fields = ("d",)
        if check and self.info:
            self._raise_if_failed("factor the matrix")

    _graph_structure = ("diagonal", False)

    def _sample(self) -> Any:
        return self._d

    @property
    def d(self) -> Any:
        """The diagonal."""
        return self._d

    @property
    def D(self) -> Any:
        """The diagonal matrix."""
        return self._xp.diag(self._d)

    def _solve_core(self, b: Any, trans: int) -> Any:
        xp = self._xp
        d = self._d if b.dtype == self._d.dtype else _copy_as(self._d, b.dtype, xp)
        if trans == 2 and is_complex(d.dtype):
            d = xp.conj(d)
        return b / xp.reshape(d, (d.shape[0], 1))

    def _det_parts(self) -> tuple[np.ndarray, int]:
        return det_parts(self._d), 0

    def rcond(self) -> float:
        """Exact reciprocal condition number ``min |d| / max |d|`` (1 for N = 0)."""
        if self.shape[0] == 0:
            return 1.0
        xp = self._xp
        absd = xp.abs(self._d)
        big = to_float(xp.max(absd))
        return to_float(xp.min(absd)) / big if big else 0.0


class Triangular(Factorization):
    """A triangular matrix: solves are one substitution, no factorization needed.

    Parameters
    ----------
    a : (N, N) array_like
        NumPy array or PyTorch tensor.
    lower : bool, optional
        Use the lower (True) or upper (False) triangle; by default the
        triangle is detected and a matrix with nonzeros on both sides raises
        ``ValueError``.  Given explicitly, the other triangle is ignored.
    unit_diagonal : bool, optional
        Take the diagonal as ones (it is not read).
    row_permutation : (N,) array of int, optional
        A permutation ``p`` such that ``a[p]`` is the triangular matrix: a
        *permuted* triangular matrix is solved by substitution too.  With
        ``lower=None`` and no ``row_permutation``, one found by
        :func:`pivotal.detect_structure` is used.
    check : bool, optional
        Raise :class:`SingularMatrixError` for a zero on the diagonal.
    check_finite : bool, optional

    Notes
    -----
    Unpacks as ``(T,)``; with a row permutation ``a[p] == T``.  ``rcond()`` is the Hager-Higham estimate (LAPACK
    ``xTRCON``).

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> T = np.array([[2.0, 1.0], [0.0, 4.0]])
    >>> F = pv.Triangular(T)
    >>> F.lower, F.solve(np.array([3.0, 4.0]))
    (False, array([1., 1.]))
    """

    def __init__(
        self,
        a: Any,
        *,
        lower: bool | None = None,
        unit_diagonal: bool = False,
        row_permutation: Any = None,
        check: bool = True,
        check_finite: bool = True,
    ):
        a = factor_input(
            a,
            "Triangular",
            square=True,
            check_finite=check_finite,
            jax_hint="use pivotal.solve_triangular for JAX arrays.",
            obj=self,  # solve, det, slogdet, inv: the rules of any factorization, on the triangle read
        )
        n = int(a.shape[0])
        if row_permutation is not None:
            perm = np.asarray(row_permutation)
            if perm.shape != (n,) or not np.array_equal(np.sort(perm), np.arange(n)):
                raise ValueError(
                    f"row_permutation must be a permutation of range({n}), got {row_permutation!r}."
                )
            a = a[index_array(perm, a)]
        else:
            perm = None
        if lower is None:
            s = detect_structure(a)
            if s.upper_triangular:
                lower = False
            elif s.lower_triangular:
                lower = True
            elif s.permuted_triangular and perm is None:
                lower, perm = s.permuted_triangular == "lower", s.row_permutation
                a = a[index_array(perm, a)]
            else:
                raise ValueError(
                    "the matrix is not (permuted) triangular; pass lower=True/False to use one "
                    "triangle, or factor it with pivotal.LU."
                )
        self._perm = (
            None if perm is None or np.array_equal(perm, np.arange(n)) else np.asarray(perm, dtype=np.int64)
        )
        if self._graph is not None and (self._perm is not None or unit_diagonal):
            raise ValueError(
                "a requires grad, but pivotal.Triangular with a row permutation or unit_diagonal=True has "
                "no derivative rule: use pivotal.solve_triangular(a[p], b, lower=..., unit_diagonal=...), "
                "which has one, or pass a.detach()."
            )
        self._graph_structure = ("lower triangular" if lower else "upper triangular", bool(lower))
        work = working_copy(a)
        xp = namespace(work)
        self._xp = xp
        self.lower = bool(lower)
        self.unit_diagonal = bool(unit_diagonal)
        self.shape = (n, n)
        self.dtype = work.dtype
        if self.unit_diagonal:
            # The diagonal is not read (it may hold anything, NaN included).  Nothing is scaled:
            # no pivot is inverted, and 2^e T would not have a unit diagonal.
            strict = xp.tril(work, k=-1) if self.lower else xp.triu(work, k=1)
            self._t = strict + xp.eye(n, dtype=work.dtype, device=device_of(work))
            self._anorm = _norm1_and_max(self._t)[0]
        else:
            # T itself is factored: 2^e T when T lies outside LAPACK's safe range (trsm inverts its
            # diagonal; the base class undoes e).
            self._t = xp.tril(work) if self.lower else xp.triu(work)
            self._scale, self._anorm, _ = scale_into_range(self._t, _norm1_and_max)
        self.info = 0 if self.unit_diagonal else _first_zero(xp.linalg.diagonal(self._t))
        self.algorithm = "triangular"
        self._fields = ("T",)
        if check and self.info:
            self._raise_if_failed("factor the matrix")

    def _sample(self) -> Any:
        return self._t

    @property
    def T(self) -> Any:
        """The triangular matrix (the other triangle zero); ``a[p] == T``."""
        return self._unscaled(self._t)

    @property
    def p(self) -> Any:
        """Row permutation with ``a[p] == T`` (the identity for a triangular ``a``)."""
        return np.arange(self.shape[0]) if self._perm is None else self._perm.copy()

    def _repr_extra(self) -> str:
        side = "lower" if self.lower else "upper"
        return f"{side}{', row-permuted' if self._perm is not None else ''}"

    def _solve_core(self, b: Any, trans: int) -> Any:
        t = self._t if b.dtype == self._t.dtype else _copy_as(self._t, b.dtype, self._xp)
        perm = None if self._perm is None else index_array(self._perm, b)
        if perm is not None and trans == 0:
            b = b[perm]  # P A = T: T x = P b
        get_backend(b).trsm_inplace(t, b, lower=self.lower, trans=trans, unit_diagonal=self.unit_diagonal)
        if perm is not None and trans != 0:
            # op(A) = op(T) P: op(T) z = b, x = P^T z.
            x = self._xp.empty_like(b)
            x[perm] = b
            return x
        return b

    def _det_parts(self) -> tuple[np.ndarray, int]:
        sign = 1 if self._perm is None else perm_sign(self._perm)  # det(a) = det(P^T T)
        return det_parts(self._xp.linalg.diagonal(self._t), sign=sign), 0
