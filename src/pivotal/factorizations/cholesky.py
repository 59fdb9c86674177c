"""The ``Cholesky`` factorization object and the shared Cholesky driver."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._array import (
    conj_transpose,
    conjugate_inplace,
    is_complex,
    namespace,
    to_float,
    working_copy,
    zero_strict_upper,
)
from .._backends import get_backend
from .._scaling import largest, ldexp, max_abs
from ..errors import NotPositiveDefiniteError
from ..kernels.cholesky import cholesky_kernel
from .base import Factorization, _copy_as, check_method, det_parts, factor_input
from .scaling import factor_exponent, scale_into_range

__all__ = [
    "Cholesky",
    "CholeskyComputation",
    "cholesky_compute",
    "hermitian_norm1",
    "hermitian_norms",
    "triangle_max",
]


@dataclass
class CholeskyComputation:
    """What :func:`cholesky_compute` produced: the lower factor ``L`` (other triangle zero)."""

    lower_factor: Any
    info: int
    algorithm: str


def cholesky_compute(
    work: Any, lower: bool, block_size: int | None, method: str, *, amax: float | None = None
) -> CholeskyComputation:
    """Factor the ``lower`` (or upper) triangle of ``work``; returns the lower factor.

    The other triangle of ``work`` is never read.  ``method="auto"`` uses the
    vendor routine (LAPACK ``potrf`` / ``torch.linalg.cholesky_ex``) unless a
    ``block_size`` is given.

    A matrix outside LAPACK's safe range (``amax``, the largest entry of the
    triangle read, is measured here when not given) is factored as
    ``2**e A`` with ``e`` even, and the factor is multiplied back by
    ``2**(-e/2)``.  The Cholesky factor of a subnormal matrix has entries of
    order ``1e-158``, in the normal range: scaled, it is accurate to working
    precision, where the subnormal arithmetic of an unscaled factorization
    leaves about half the digits.  See :mod:`pivotal.factorizations.scaling`.
    """
    e = factor_exponent(triangle_max(work, lower) if amax is None else amax, work.dtype)
    res = _cholesky_compute(ldexp(work, e, inplace=True), lower, block_size, method)
    ldexp(res.lower_factor, -(e // 2), inplace=True)
    return res


def _cholesky_compute(work: Any, lower: bool, block_size: int | None, method: str) -> CholeskyComputation:
    check_method(method, block_size)
    xp = namespace(work)
    n = work.shape[0]
    if method in ("auto", "vendor") and block_size is None and n:
        backend = get_backend(work)
        factor, info = backend.vendor_potrf(work, lower=bool(lower))
        low = factor if lower else conj_transpose(factor)
        low = xp.tril(low)
        name = "LAPACK potrf" if backend.name == "numpy" else "torch.linalg.cholesky_ex"
        return CholeskyComputation(low, info, f"vendor ({name})")
    # Our kernel reads the lower triangle; for upper input it factors the
    # lower triangle of A^H, which is a (conjugated) view of the same memory.
    if lower:
        low = work
    else:
        if xp.isdtype(work.dtype, "complex floating"):
            conjugate_inplace(work)
        low = work.T
    info = cholesky_kernel(low, block_size)
    zero_strict_upper(low)
    if block_size is None:
        algorithm = "kernel (recursive)"
    elif block_size == 1:
        algorithm = "kernel (unblocked)"
    else:
        algorithm = f"kernel (blocked, block_size={block_size})"
    return CholeskyComputation(low, info, algorithm)


def triangle_max(a: Any, lower: bool, block: int = 512) -> float:
    """``max |a_ij|`` over the ``lower`` (or upper) triangle of a square ``a``; the other is not read.

    By row (column) blocks: the rectangle left of (above) each diagonal block
    is reduced without a temporary on real NumPy input (``max`` and ``-min``,
    :func:`pivotal._scaling.max_abs`), the small diagonal block through its
    triangle.  NaN propagates; 0 for an empty matrix.
    """
    xp = namespace(a)
    n = a.shape[0]
    best = 0.0
    for i0 in range(0, n, block):
        i1 = min(i0 + block, n)
        off = a[i0:i1, :i0] if lower else a[:i0, i0:i1]
        diag = a[i0:i1, i0:i1]
        diag = xp.tril(diag) if lower else xp.triu(diag)
        best = largest((best, max_abs(off), max_abs(diag)))
        if best != best:  # NaN
            return best
    return best


def hermitian_norm1(a: Any, lower: bool) -> float:
    """1-norm of the Hermitian matrix whose ``lower`` (or upper) triangle is stored in ``a``.

    The other triangle is not read and imaginary parts on the diagonal are ignored.
    """
    return hermitian_norms(a, lower)[0]


def hermitian_norms(a: Any, lower: bool, *, hermitian: bool = True) -> tuple[float, float]:
    """``(||A||_1, max |a_ij|)`` of the symmetric matrix stored in one triangle of ``a``, in one pass.

    Hermitian (``hermitian``, or real): imaginary parts on the diagonal are
    ignored; complex symmetric otherwise.  The other triangle is not read.
    """
    xp = namespace(a)
    if a.shape[0] == 0:
        return 0.0, 0.0
    strict = xp.abs(xp.tril(a, k=-1) if lower else xp.triu(a, k=1))
    d = xp.linalg.diagonal(a)
    diag = xp.abs(xp.real(d) if hermitian else d)
    colsums = xp.sum(strict, axis=0) + xp.sum(strict, axis=1) + diag
    return to_float(xp.max(colsums)), max(to_float(xp.max(strict)), to_float(xp.max(diag)))


class Cholesky(Factorization):
    """Cholesky factorization ``A = L L^H = U^H U`` of a Hermitian positive definite matrix.

    Only the triangle selected by ``lower`` is read; the other may hold
    anything (NaN included).

    Parameters
    ----------
    a : (N, N) array_like
        Hermitian positive definite matrix (NumPy array or PyTorch tensor).
    lower : bool, optional
        Read the lower triangle and store ``L`` (default False: upper and ``U``,
        like ``scipy.linalg.cholesky``).
    block_size : int, optional
        Our kernel's algorithm: ``None`` recursive, 1 unblocked (left-looking,
        ``dpotf2``), ``nb > 1`` blocked right-looking.  Selects the kernel.
    method : {"auto", "kernel", "vendor"}, optional
        ``"vendor"``: LAPACK ``potrf`` / ``torch.linalg.cholesky_ex``.
    check : bool, optional
        Raise :class:`NotPositiveDefiniteError` on failure (default); with
        False, ``issuccess()`` reports it instead.
    overwrite_a, check_finite : bool, optional
        As in SciPy.

    Attributes
    ----------
    info : int
        0, or the 1-based index of the column where a non-positive pivot appeared.
    lower : bool
    algorithm : str

    Notes
    -----
    Unpacks as ``(c, lower)`` like :func:`scipy.linalg.cho_factor`, with the
    unused triangle of ``c`` zero, so ``pivotal.cho_solve(F, b)`` works.

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> A = np.array([[4.0, 2.0, 0.4], [2.0, 5.0, 1.0], [0.4, 1.0, 3.0]])
    >>> F = pv.Cholesky(A, lower=True)
    >>> np.allclose(F.L @ F.L.T, A)
    True
    >>> np.allclose(A @ F.solve(np.ones(3)), 1.0)
    True
    >>> bool(np.isclose(F.logdet(), np.linalg.slogdet(A)[1]))
    True
    """

    def __init__(
        self,
        a: Any,
        *,
        lower: bool = False,
        block_size: int | None = None,
        method: str = "auto",
        check: bool = True,
        overwrite_a: bool = False,
        check_finite: bool = True,
    ):
        a = factor_input(
            a,
            "Cholesky",
            square=True,
            check_finite=check_finite,
            jax_hint="for JAX arrays use pivotal.cho_factor / pivotal.cho_solve (jax.scipy.linalg).",
            obj=self,
        )
        work = working_copy(a, overwrite=overwrite_a)
        self._xp = namespace(work)
        self.shape = (int(work.shape[0]), int(work.shape[1]))
        self.dtype = work.dtype
        self.lower = bool(lower)
        # The factored matrix is 2^e A (e even), inside LAPACK's safe range: L L^H = 2^e A.
        self._scale, self._anorm, amax = scale_into_range(work, lambda w: hermitian_norms(w, self.lower))
        res = cholesky_compute(work, self.lower, block_size, method, amax=amax)
        self._L = res.lower_factor
        self.info = res.info
        self.algorithm = res.algorithm
        self._fields = ("c", "lower")
        if check and self.info:
            raise NotPositiveDefiniteError(self.info - 1)

    @property
    def _graph_structure(self) -> tuple[str, bool]:
        return ("positive definite", self.lower)

    def _sample(self) -> Any:
        return self._L

    def _failure_index(self) -> int | None:
        return self.info - 1 if self.info else None

    def _raise_if_failed(self, what: str) -> None:
        if self.info:
            raise NotPositiveDefiniteError(self.info - 1)

    @property
    def L(self) -> Any:
        """Lower triangular factor, ``A = L @ L^H``."""
        return self._unscaled(self._L, halve=True)

    @property
    def U(self) -> Any:
        """Upper triangular factor, ``A = U^H @ U``."""
        return conj_transpose(self.L)

    @property
    def c(self) -> Any:
        """The stored factor: ``L`` if ``lower`` else ``U`` (other triangle zero)."""
        return self.L if self.lower else self.U

    def _repr_extra(self) -> str:
        return f"lower={self.lower}, algorithm={self.algorithm!r}"

    def _solve_core(self, b: Any, trans: int) -> Any:
        backend = get_backend(self._L)
        if trans == 1 and is_complex(self.dtype):
            # A^T = conj(A): solve A y = conj(b), x = conj(y).
            xp = self._xp
            y = self._solve_core(_copy_as(xp.conj(b), b.dtype, xp), 0)
            return _copy_as(xp.conj(y), b.dtype, xp)
        backend.trsm_inplace(self._L, b, lower=True)
        backend.trsm_inplace(self._L, b, lower=True, trans=2)
        return b

    def _det_parts(self) -> tuple[np.ndarray, int]:
        self._raise_if_failed("compute the determinant")  # not positive definite: not in the factors
        d = det_parts(self._xp.linalg.diagonal(self._L)).real  # det(A) = prod(L_ii)^2
        return np.concatenate([d, d]), 0
