"""The ``LU`` factorization object and the shared LU driver."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import array_api_compat
import numpy as np

from .._array import (
    backend_name,
    namespace,
    to_float,
    unit_roundoff,
    working_copy,
    working_dtype,
)
from .._backends import get_backend
from .._permutations import perm_sign, perm_to_ipiv
from .._scaling import ldexp
from ..errors import PivotGrowthWarning, SingularMatrixError, warn_user
from ..kernels.lu import PIVOTING, lu_kernel
from ..kernels.triangular import solve_in_range, trsm_blocked
from .base import Factorization, _copy_as, check_method, det_parts, factor_input, index_array
from .scaling import factor_exponent, scale_into_range, scale_upper

__all__ = [
    "GROWTH_BOUND_LIMIT",
    "LU",
    "LUComputation",
    "check_method",
    "growth_destroys_accuracy",
    "growth_of",
    "growth_warning",
    "lu_compute",
    "lu_factors",
    "lu_solve_core",
    "max_abs",
    "warn_on_growth",
]


def _check_pivoting(pivoting: str, block_size: int | None) -> None:
    if pivoting not in PIVOTING:
        raise ValueError(f"pivoting={pivoting!r} is not one of {PIVOTING}.")
    if block_size is not None and pivoting in ("rook", "complete") and block_size != 1:
        raise ValueError(
            f"{pivoting} pivoting is unblocked by nature (every pivot search needs the "
            "updated Schur complement); use block_size=1 or None."
        )


@dataclass
class LUComputation:
    """What :func:`lu_compute` produced."""

    lu: Any
    perm: np.ndarray
    cperm: np.ndarray | None
    info: int
    algorithm: str


def lu_compute(
    work: Any, pivoting: str, block_size: int | None, method: str, *, amax: float | None = None
) -> LUComputation:
    """Factor the working copy ``work`` in place with the selected algorithm.

    ``method="auto"`` uses the vendor routine (LAPACK ``getrf`` or
    ``torch.linalg.lu_factor``) when it supports the request, i.e. partial
    pivoting with no explicit ``block_size``; it is faster than our kernel.

    A matrix outside LAPACK's safe range (``amax = max |a_ij|``, measured
    here when not given) is factored as ``2**e A``: ``getrf`` flushes the
    multipliers of a subnormal matrix to zero.  The factors returned are
    those of ``A``: ``L`` is scale free and ``U`` is multiplied back by
    ``2**-e`` (it has the size of ``A``, so it is representable).  See
    :mod:`pivotal.factorizations.scaling`.
    """
    e = factor_exponent(max_abs(work) if amax is None else amax, work.dtype)
    res = _lu_compute(ldexp(work, e, inplace=True), pivoting, block_size, method)
    scale_upper(res.lu, -e)
    return res


def _lu_compute(work: Any, pivoting: str, block_size: int | None, method: str) -> LUComputation:
    _check_pivoting(pivoting, block_size)
    vendor_ok = pivoting == "partial" and block_size is None
    if method == "vendor" and not vendor_ok:
        raise ValueError(
            "method='vendor' supports only pivoting='partial' without block_size; use "
            "method='kernel' (or 'auto') for rook, complete or no pivoting and for a "
            "chosen block size."
        )
    check_method(method, block_size)
    m, n = work.shape
    if method in ("auto", "vendor") and vendor_ok and m and n:
        backend = get_backend(work)
        lu, perm, info = backend.vendor_getrf(work)
        name = "LAPACK getrf" if backend.name == "numpy" else "torch.linalg.lu_factor"
        return LUComputation(lu, perm, None, info, f"vendor ({name})")
    res = lu_kernel(work, pivoting, block_size)
    if pivoting in ("rook", "complete") or block_size == 1:
        algorithm = "kernel (unblocked)"
    elif block_size is None:
        algorithm = "kernel (recursive)"
    else:
        algorithm = f"kernel (blocked, block_size={block_size})"
    return LUComputation(res.lu, res.perm, res.cperm, res.info, algorithm)


def _contiguous_host_view(a: Any) -> np.ndarray | None:
    """A contiguous NumPy view of a NumPy array or a CPU tensor (no copy), or ``None``."""
    name = backend_name(a)
    if name == "torch" and a.device.type == "cpu" and not a.is_conj() and not a.is_neg():
        a = a.detach().numpy()
    elif name != "numpy":
        return None
    return a if (a.flags.c_contiguous or a.flags.f_contiguous) else None


def _norm1_and_max(a: Any) -> tuple[float, float]:
    """``(||a||_1, max |a_ij|)`` in one pass (zeros for an empty matrix; NaN propagates)."""
    if not (a.shape[0] and a.shape[1]):
        return 0.0, 0.0
    view = _contiguous_host_view(a)
    if view is not None:  # blockwise on the host: no full |a| temporary
        from .._backends.numpy import norm1_and_max

        return norm1_and_max(view)
    xp = namespace(a)
    absa = xp.abs(a)
    return to_float(xp.max(xp.sum(absa, axis=0))), to_float(xp.max(absa))


def max_abs(a: Any) -> float:
    """``max |a_ij|`` in one pass (0 for an empty matrix; NaN propagates)."""
    if not (a.shape[0] and a.shape[1]):
        return 0.0
    view = _contiguous_host_view(a)
    if view is not None:
        from .._backends.numpy import norm1_and_max

        return norm1_and_max(view)[1]
    return to_float(namespace(a).max(namespace(a).abs(a)))


def _max_abs_upper(lu: Any) -> float:
    """``max |U|`` of compact factors, by column blocks (no ``triu`` copy of the whole matrix)."""
    xp = namespace(lu)
    m, n = lu.shape
    k = min(m, n)
    if k == 0:
        return 0.0
    nb = max(1, (1 << 21) // max(k * lu.dtype.itemsize, 1)) if backend_name(lu) == "numpy" else n
    best = 0.0
    for j in range(0, n, nb):
        block = lu[: min(k, j + nb), j : j + nb]
        if j < k:
            block = xp.triu(block, k=-j) if j else xp.triu(block)
        best = max(best, to_float(xp.max(xp.abs(block))))
        if best != best:  # NaN
            return best
    return best


def growth_of(lu: Any, amax: float) -> float:
    """Growth factor ``max|U| / max|A|`` from compact factors and ``max|A|`` (1 for a zero matrix)."""
    if amax == 0.0:
        return 1.0
    return _max_abs_upper(lu) / amax


#: The growth warning fires when the backward-error bound ``n rho u`` of the
#: factors reaches this fraction of ``||A||`` (see :class:`PivotGrowthWarning`).
GROWTH_BOUND_LIMIT = 0.5


def growth_destroys_accuracy(growth: float, n: int, dtype: Any) -> bool:
    """True when ``n * growth * u >= 1/2``: the factors' backward-error bound certifies nothing.

    Gaussian elimination computes the exact factors of ``A + dA`` with
    ``||dA||_inf <~ n rho u ||A||_inf`` in practice (the worst-case bound,
    Higham's Thm 9.5, has ``n^2``; observed errors grow like ``n`` or less).
    Once that bound is half of ``||A||`` the factors may be those of a
    singular matrix, whatever ``A``'s condition number: the same line that
    ``rcond < eps`` draws for conditioning.  NaN growth (NaN input) is left
    to the conditioning check.
    """
    return n * growth * unit_roundoff(dtype) >= GROWTH_BOUND_LIMIT


def _tiny_pivot(lu: Any) -> tuple[int, float] | None:
    """``(index, multiplier)`` of the first column whose multipliers exceed ``1/sqrt(u)``, or None."""
    xp = namespace(lu)
    m, n = lu.shape
    k = min(m, n)
    if m < 2 or k == 0:
        return None
    strict = xp.abs(xp.tril(lu[:, :k], k=-1))
    colmax = xp.max(strict, axis=0)
    limit = 1.0 / math.sqrt(unit_roundoff(lu.dtype))
    bad = xp.nonzero(~(colmax <= limit))[0]  # also flags NaN/Inf
    if not bad.shape[0]:
        return None
    j = int(bad[0])
    return j, float(colmax[j])


def growth_warning(lu: Any, amax: float, pivoting: str = "partial") -> PivotGrowthWarning | None:
    """The :class:`PivotGrowthWarning` due for compact LU factors of a matrix with ``max|a_ij| = amax``.

    Without pivoting a multiplier above ``1/sqrt(u)`` is flagged (with its
    index); for any pivoting, growth with ``n rho u >= 1/2``
    (:func:`growth_destroys_accuracy`).  ``None`` when no warning is due.
    Costs one pass over the factors.
    """
    k = min(lu.shape)
    if k == 0:
        return None
    tiny = _tiny_pivot(lu) if pivoting == "none" else None
    rho = growth_of(lu, amax)
    if tiny is not None:
        return PivotGrowthWarning(rho, index=tiny[0], multiplier=tiny[1])
    if growth_destroys_accuracy(rho, k, lu.dtype):
        return PivotGrowthWarning(rho)
    return None


def warn_on_growth(lu: Any, amax: float, pivoting: str = "partial") -> bool:
    """Issue :func:`growth_warning`'s warning, if any, at the caller's line; True when one was issued."""
    w = growth_warning(lu, amax, pivoting)
    if w is not None:
        warn_user(w)
    return w is not None


def lu_factors(lu: Any) -> tuple[Any, Any]:
    """Expand compact factors into ``L`` (unit lower trapezoidal) and ``U``."""
    xp = namespace(lu)
    m, n = lu.shape
    k = min(m, n)
    eye = xp.eye(m, k, dtype=lu.dtype, device=array_api_compat.device(lu))
    return xp.tril(lu[:, :k], k=-1) + eye, xp.triu(lu[:k, :])


def lu_solve_core(lu: Any, perm: np.ndarray, cperm: np.ndarray | None, b: Any, trans: int, solver) -> Any:
    """Solve ``op(A) x = b`` with ``A[perm][:, cperm] = L U``; ``b`` (n, k) is overwritten.

    ``solver(t, b, lower=, trans=, unit_diagonal=)`` is an in-place
    triangular solver (BLAS ``trsm`` or pivotal's substitution kernel).  A
    ``U`` with subnormal pivots (factors of a subnormal matrix given by the
    caller) is solved with in the safe range
    (:func:`pivotal.kernels.triangular.solve_in_range`).
    """
    xp = namespace(lu)
    if trans == 0:
        # L U (Q^T x) = P b
        y = b[index_array(perm, b), :]
        solver(lu, y, lower=True, unit_diagonal=True)
        solve_in_range(solver, lu, y, lower=False)
        if cperm is None:
            return y
        x = xp.empty_like(y)
        x[index_array(cperm, b), :] = y
        return x
    # op(U) op(L) (P x) = Q^T b
    y = b if cperm is None else b[index_array(cperm, b), :]
    solve_in_range(solver, lu, y, lower=False, trans=trans)
    solver(lu, y, lower=True, trans=trans, unit_diagonal=True)
    x = xp.empty_like(y)
    x[index_array(perm, b), :] = y
    return x


def _substitution(t: Any, b: Any, *, lower: bool, trans: int = 0, unit_diagonal: bool = False) -> Any:
    """pivotal's blocked substitution kernel, with BLAS ``trsm``'s in-place signature."""
    return trsm_blocked(t, b, lower=lower, trans=trans, unit_diagonal=unit_diagonal)


class LU(Factorization):
    """LU factorization with partial, rook, complete or no pivoting.

    Computes ``A[p][:, q] = L @ U`` (``q`` is the identity for partial and no
    pivoting) with ``L`` unit lower trapezoidal and ``U`` upper trapezoidal.
    The object stores the compact factors and builds ``L``, ``U``, ``p``,
    ``P``, ``q`` and ``Q`` on demand.

    Parameters
    ----------
    a : (M, N) array_like
        Matrix to factor (NumPy array or PyTorch tensor; rectangular allowed).
    pivoting : {"partial", "rook", "complete", "none"}, optional
        Row pivoting by largest column entry (GEPP, the default), rook
        pivoting (an entry largest in its row and column), complete pivoting
        (largest entry of the Schur complement), or none.
    block_size : int, optional
        Our kernel's algorithm: ``None`` recursive, ``1`` the textbook
        unblocked algorithm, ``nb > 1`` LAPACK-style blocked.  Giving a
        block size selects our kernel.
    method : {"auto", "kernel", "vendor"}, optional
        ``"vendor"`` uses LAPACK ``getrf`` (NumPy) or
        ``torch.linalg.lu_factor`` (PyTorch), available for partial
        pivoting only; ``"kernel"`` pivotal's own code; ``"auto"`` the vendor
        routine when it supports the request.
    check : bool, optional
        Raise :class:`SingularMatrixError` when a pivot is exactly zero.  With
        ``check=False`` the factorization is returned and ``issuccess()`` is
        False.
    overwrite_a : bool, optional
        Allow overwriting ``a`` (NumPy arrays of the working dtype only).
    check_finite : bool, optional
        Check ``a`` for NaN/Inf.

    Attributes
    ----------
    info : int
        0 on success, else 1-based index of the first zero pivot.
    algorithm : str
        Which code ran, e.g. ``"kernel (recursive)"`` or ``"vendor (LAPACK getrf)"``.
    pivoting : str

    Raises
    ------
    SingularMatrixError
        If ``check`` and a pivot is exactly zero (the index is ``err.index``).
    ValueError
        For NaN/Inf input (with ``check_finite``), bad shapes or options.

    Warns
    -----
    PivotGrowthWarning
        With ``pivoting="none"``, at once, when a tiny pivot produced a
        multiplier larger than ``1/sqrt(u)``.  For any pivoting, on the
        first ``solve`` or ``inv``, when the growth factor ``rho`` makes the
        backward-error bound of the factors meaningless: ``n rho u >= 1/2``
        (e.g. Wilkinson's matrix from ``n = 48`` in float64, whose GEPP growth
        is ``2^(n-1)``); ``warning.growth`` holds ``rho``.
    IllConditionedWarning
        On the first ``solve``, when ``rcond()`` is below machine epsilon.

    Notes
    -----
    Unpacks as ``L, U, p`` (and ``L, U, p, q`` for rook/complete pivoting),
    following Julia's ``lu``: ``A[p] == L @ U``.  Note that
    ``scipy.linalg.lu`` returns the inverse convention ``A == P @ L @ U``;
    here ``P @ A == L @ U``.

    JAX arrays are not accepted (pivotal's kernels mutate their input); use
    :func:`pivotal.lu_factor` and :func:`pivotal.lu_solve`, which call
    ``jax.scipy.linalg`` for JAX input.

    References
    ----------
    N. J. Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed.,
    SIAM, 2002, ch. 9.

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> A = np.array([[1e-3, 2.0, 1.0], [4.0, 1.0, 0.0], [2.0, 5.0, 3.0]])
    >>> F = pv.LU(A, pivoting="rook")
    >>> L, U, p, q = F
    >>> np.allclose(A[p][:, q], L @ U)
    True
    >>> b = np.array([1.0, 2.0, 3.0])
    >>> np.allclose(A @ F.solve(b), b)
    True
    >>> bool(np.isclose(F.det(), np.linalg.det(A)))
    True
    """

    def __init__(
        self,
        a: Any,
        *,
        pivoting: str = "partial",
        block_size: int | None = None,
        method: str = "auto",
        check: bool = True,
        overwrite_a: bool = False,
        check_finite: bool = True,
    ):
        a = factor_input(
            a,
            "LU",
            square=False,
            check_finite=check_finite,
            jax_hint="for JAX arrays use pivotal.lu_factor / pivotal.lu_solve (jax.scipy.linalg).",
            obj=self,
        )
        lapack_path = (
            backend_name(a) == "numpy"
            and method in ("auto", "vendor")
            and pivoting == "partial"
            and block_size is None
        )
        # torch.linalg.lu_factor writes its factors into a new tensor: a working copy would be a second copy.
        torch_vendor = (
            backend_name(a) == "torch"
            and method in ("auto", "vendor")
            and pivoting == "partial"
            and block_size is None
            and not overwrite_a
            and not a.requires_grad
            and a.dtype == working_dtype(a)
            and a.shape[0]
            and a.shape[1]
        )
        if lapack_path and not overwrite_a:
            # getrf works in Fortran order: copy straight into it (one copy, factored in place).
            work = np.array(a, dtype=working_dtype(a), order="F", copy=True)
        elif torch_vendor:
            work = a
        else:
            work = working_copy(a, overwrite=overwrite_a)
        self._xp = namespace(work)
        self.shape = (int(work.shape[0]), int(work.shape[1]))
        self.dtype = work.dtype
        self.pivoting = pivoting
        norms = _norm1_and_max
        if torch_vendor:
            measured = _norm1_and_max(work)
            if factor_exponent(measured[1], work.dtype):
                work = working_copy(a)  # to be scaled in place: only a copy may be
            else:
                norms = lambda _: measured  # noqa: E731  (nothing to scale: measured once)
        # The factored matrix is 2^e A, inside LAPACK's safe range (the base class undoes e).
        self._scale, self._anorm, self._amax = scale_into_range(work, norms)
        res = lu_compute(work, pivoting, block_size, method, amax=self._amax)
        self._lu = res.lu
        self._perm = res.perm
        self._cperm = res.cperm
        self.info = res.info
        self.algorithm = res.algorithm
        self._fields = ("L", "U", "p", "q") if res.cperm is not None else ("L", "U", "p")
        if check and self.info:
            raise SingularMatrixError(self.info - 1)
        if pivoting == "none":  # checked now (a tiny pivot is the user's choice to hear about)
            self._stability_checked = warn_on_growth(self._lu, self._amax, "none")

    # ---------------------------------------------------------------- factors
    def _sample(self) -> Any:
        return self._lu

    @property
    def lu(self) -> Any:
        """Compact factors: ``U`` on and above the diagonal, ``L`` strictly below (``lu_factor``'s form)."""
        if not self._scale:
            return self._lu
        return scale_upper(_copy_as(self._lu, self.dtype, self._xp), -self._scale)

    @property
    def piv(self) -> np.ndarray:
        """LAPACK-style 0-based row interchanges (as returned by ``scipy.linalg.lu_factor``)."""
        return perm_to_ipiv(self._perm)[: min(self.shape)]

    @property
    def jpiv(self) -> np.ndarray | None:
        """LAPACK-style column interchanges for rook/complete pivoting (``None`` otherwise)."""
        if self._cperm is None:
            return None
        return perm_to_ipiv(self._cperm)[: min(self.shape)]

    @property
    def L(self) -> Any:
        """Unit lower trapezoidal factor, shape ``(M, K)`` with ``K = min(M, N)``."""
        return lu_factors(self._lu)[0]

    @property
    def U(self) -> Any:
        """Upper trapezoidal factor, shape ``(K, N)``."""
        return self._unscaled(lu_factors(self._lu)[1])

    @property
    def p(self) -> Any:
        """Row permutation vector: ``A[p][:, q] == L @ U``."""
        return index_array(self._perm, self._lu)

    @property
    def q(self) -> Any:
        """Column permutation vector (the identity for partial or no pivoting)."""
        cperm = self._cperm if self._cperm is not None else np.arange(self.shape[1])
        return index_array(cperm, self._lu)

    @property
    def P(self) -> Any:
        """Row permutation matrix: ``P @ A @ Q == L @ U``."""
        xp = self._xp
        eye = xp.eye(self.shape[0], dtype=self.dtype, device=array_api_compat.device(self._lu))
        return eye[self.p, :]

    @property
    def Q(self) -> Any:
        """Column permutation matrix: ``P @ A @ Q == L @ U``."""
        xp = self._xp
        eye = xp.eye(self.shape[1], dtype=self.dtype, device=array_api_compat.device(self._lu))
        return eye[:, self.q]

    def growth_factor(self) -> float:
        """Element growth ``max|U| / max|A|`` of this factorization (1 for a zero matrix)."""
        return growth_of(self._lu, self._amax)

    def _stability_warning(self) -> PivotGrowthWarning | None:
        return growth_warning(self._lu, self._amax)

    def _repr_extra(self) -> str:
        return f"pivoting={self.pivoting!r}, algorithm={self.algorithm!r}"

    # ---------------------------------------------------------------- solving
    def solve(self, b: Any, trans: Any = False, *, check_finite: bool = True, method: str = "auto") -> Any:
        """Solve ``op(A) x = b`` reusing the factors: :meth:`Factorization.solve`, plus ``method``.

        ``method="kernel"`` runs the triangular solves with pivotal's
        blocked substitution kernel; ``"auto"`` and ``"vendor"`` with BLAS
        ``trsm`` (``torch.linalg.solve_triangular`` for PyTorch).  Warns as
        :meth:`Factorization.solve` does (pivot growth, ill-conditioning),
        once per factorization.

        Examples
        --------
        >>> import numpy as np, pivotal as pv
        >>> F = pv.LU(np.array([[4.0, 3.0], [6.0, 3.0]]))
        >>> F.solve(np.array([10.0, 12.0]), method="kernel")
        array([1., 2.])
        """
        check_method(method)
        if method != "kernel":
            return super().solve(b, trans, check_finite=check_finite)

        def core(bb: Any, t: int) -> Any:
            return lu_solve_core(self._lu, self._perm, self._cperm, bb, t, _substitution)

        return self._solve_with(core, b, trans, check_finite)

    def _solve_core(self, b: Any, trans: int) -> Any:
        return lu_solve_core(self._lu, self._perm, self._cperm, b, trans, get_backend(self._lu).trsm_inplace)

    def _det_parts(self) -> tuple[np.ndarray, int]:
        sign = perm_sign(self._perm) * (perm_sign(self._cperm) if self._cperm is not None else 1)
        return det_parts(self._xp.linalg.diagonal(self._lu), sign=sign), 0
