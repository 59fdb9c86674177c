"""The ``LDL`` factorization object (Bunch-Kaufman) and the shared LDL driver."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._array import (
    backend_name,
    from_numpy,
    is_complex,
    namespace,
    to_float,
    to_numpy,
    working_copy,
)
from .._backends import get_backend
from ..errors import SingularMatrixError
from ..kernels.ldl import (
    LDLKernelResult,
    ldl_inertia,
    ldl_kernel,
    ldl_slogdet,
    ldl_solve,
    ldl_unpack,
)
from .base import (
    Factorization,
    _copy_as,
    check_method,
    factor_input,
    index_array,
)
from .cholesky import hermitian_norm1

__all__ = ["LDL", "ldl_compute"]


def ldl_compute(work: Any, lower: bool, hermitian: bool, block_size: int | None, method: str):
    """Factor ``work`` (reading one triangle); returns ``(LDLKernelResult, algorithm)``.

    ``method="auto"`` uses LAPACK ``?sytrf``/``?hetrf`` (or
    ``torch.linalg.ldl_factor_ex``) unless a ``block_size`` is given; both
    produce the same compact Bunch-Kaufman format as our kernel.
    """
    check_method(method, block_size)
    n = work.shape[0]
    hermitian = bool(hermitian) or not is_complex(work.dtype)
    if method in ("auto", "vendor") and block_size is None and n:
        backend = get_backend(work)
        try:
            factors, ipiv, info, name = backend.vendor_sytrf(work, lower=lower, hermitian=hermitian)
        except NotImplementedError as exc:
            if method == "vendor":
                raise ValueError(
                    f"method='vendor' is not available here: {exc}; use method='kernel'."
                ) from None
        else:
            # LAPACK's ipiv is 1-based: k > 0 -> k - 1; negative entries (2x2 pivots) keep their value.
            ipiv = np.where(ipiv > 0, ipiv - 1, ipiv).astype(np.int64)
            return LDLKernelResult(factors, ipiv, info, lower, hermitian), f"vendor ({name})"
    res = ldl_kernel(work, lower=lower, hermitian=hermitian, block_size=block_size)
    if block_size == 1:
        algorithm = "kernel (unblocked)"
    elif block_size is None:
        algorithm = "kernel (default)"
    else:
        algorithm = f"kernel (blocked, block_size={block_size})"
    return res, algorithm


class LDL(Factorization):
    """Bunch-Kaufman factorization ``A[p][:, p] = L D L^H`` of a symmetric/Hermitian matrix.

    For symmetric indefinite matrices, where Cholesky fails: ``D`` is block
    diagonal with 1x1 and 2x2 blocks, ``L`` unit lower triangular, and the
    symmetric interchanges ``p`` keep the multipliers bounded (Bunch and
    Kaufman's partial pivoting, ``alpha = (1 + sqrt(17)) / 8``).

    Parameters
    ----------
    a : (N, N) array_like
        Symmetric (or Hermitian) matrix; only the ``lower`` (or upper)
        triangle is read.
    lower : bool, optional
        Factor the lower triangle as ``L D L^H`` (default) or the upper one as
        ``U D U^H``.
    hermitian : bool, optional
        For complex input: Hermitian ``A = L D L^H`` (default) or complex
        symmetric ``A = L D L^T``.
    block_size : int, optional
        Our kernel's algorithm: 1 unblocked, ``nb`` blocked (LAPACK ``dlasyf``
        style).  Selects the kernel.
    method : {"auto", "kernel", "vendor"}, optional
        ``"vendor"``: LAPACK ``?sytrf``/``?hetrf`` or ``torch.linalg.ldl_factor_ex``.
    check : bool, optional
        Raise :class:`SingularMatrixError` when ``D`` is exactly singular.
    overwrite_a, check_finite : bool, optional

    Attributes
    ----------
    info : int
        0, or the 1-based index of the first zero diagonal entry of ``D``.
    algorithm : str

    Notes
    -----
    Unpacks as ``(L, D, p)`` (``(U, D, p)`` when ``lower=False``), Julia's
    ``bunchkaufman`` convention: ``A[p][:, p] == L @ D @ L^H``.
    :func:`pivotal.ldl` returns SciPy's convention instead.

    References
    ----------
    J. R. Bunch and L. Kaufman, "Some stable methods for calculating inertia
    and solving symmetric linear systems", Math. Comp. 31, 1977.

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> A = np.array([[0.0, 1.0, 2.0], [1.0, 0.0, 3.0], [2.0, 3.0, 0.0]])
    >>> F = pv.LDL(A)
    >>> L, D, p = F
    >>> np.allclose(A[p][:, p], L @ D @ L.T)
    True
    >>> F.inertia()
    (1, 2, 0)
    >>> np.allclose(A @ F.solve(np.ones(3)), 1.0)
    True
    """

    def __init__(
        self,
        a: Any,
        *,
        lower: bool = True,
        hermitian: bool = True,
        block_size: int | None = None,
        method: str = "auto",
        check: bool = True,
        overwrite_a: bool = False,
        check_finite: bool = True,
    ):
        a = factor_input(
            a, "LDL", square=True, check_finite=check_finite, jax_hint="for JAX arrays use pivotal.ldl."
        )
        work = working_copy(a, overwrite=overwrite_a)
        self._xp = namespace(work)
        self.shape = (int(work.shape[0]), int(work.shape[1]))
        self.dtype = work.dtype
        self.lower = bool(lower)
        self.hermitian = bool(hermitian) or not is_complex(work.dtype)
        self._anorm = _symmetric_norm1(work, self.lower, self.hermitian)
        self._res, self.algorithm = ldl_compute(work, self.lower, self.hermitian, block_size, method)
        self.info = int(self._res.info)
        self._unpacked = None
        self._fields = ("L" if self.lower else "U", "D", "p")
        if check and self.info:
            raise SingularMatrixError(
                self.info - 1,
                f"singular matrix: the block diagonal factor D has an exactly zero pivot at "
                f"index {self.info - 1}. Use lstsq for a least-squares solution, or pass "
                "check=False to inspect the factors.",
            )

    def _sample(self) -> Any:
        return self._res.factors

    def _unpack(self):
        if self._unpacked is None:
            self._unpacked = ldl_unpack(self._res)
        return self._unpacked

    @property
    def p(self) -> Any:
        """Symmetric permutation: ``A[p][:, p] == L @ D @ L^H``."""
        perm = self._unpack()[2]
        return index_array(to_numpy(perm), self._res.factors)

    @property
    def D(self) -> Any:
        """Block diagonal factor with 1x1 and 2x2 blocks."""
        return self._unpack()[1]

    def _triangular(self) -> Any:
        lu = self._unpack()[0]
        return lu[self.p, :]

    @property
    def L(self) -> Any:
        """Unit lower triangular factor (``lower=True`` only)."""
        if not self.lower:
            raise AttributeError("this LDL factored the upper triangle; use .U (A[p][:, p] = U D U^H)")
        return self._triangular()

    @property
    def U(self) -> Any:
        """Unit upper triangular factor (``lower=False`` only)."""
        if self.lower:
            raise AttributeError("this LDL factored the lower triangle; use .L (A[p][:, p] = L D L^H)")
        return self._triangular()

    def inertia(self) -> tuple[int, int, int]:
        """Numbers of positive, negative and zero eigenvalues (Sylvester's law of inertia).

        Defined for real symmetric and complex Hermitian matrices.
        """
        if is_complex(self.dtype) and not self.hermitian:
            raise ValueError(
                "inertia is defined for real symmetric or Hermitian matrices, not complex symmetric ones."
            )
        return tuple(int(v) for v in ldl_inertia(self._res))

    def _repr_extra(self) -> str:
        kind = "hermitian" if self.hermitian and is_complex(self.dtype) else "symmetric"
        return f"{kind}, lower={self.lower}, algorithm={self.algorithm!r}"

    def _solve_plain(self, b: Any) -> Any:
        return ldl_solve(self._res, b)

    def _solve_core(self, b: Any, trans: int) -> Any:
        # Real: A = A^T = A^H.  Hermitian: A^H = A, A^T = conj(A).
        # Complex symmetric: A^T = A, A^H = conj(A).
        conj_needed = is_complex(self.dtype) and (
            (trans == 1 and self.hermitian) or (trans == 2 and not self.hermitian)
        )
        if not conj_needed:
            return self._solve_plain(b)
        xp = self._xp
        y = self._solve_plain(_copy_as(xp.conj(b), b.dtype, xp))
        return _copy_as(xp.conj(y), b.dtype, xp)

    def _slogdet_core(self):
        sign, logabs = ldl_slogdet(self._res)
        like = self._res.factors
        if backend_name(like) == "torch":
            return from_numpy(np.asarray(sign), like, self.dtype), from_numpy(np.asarray(logabs), like)
        return sign, logabs


def _symmetric_norm1(a: Any, lower: bool, hermitian: bool) -> float:
    if hermitian:
        return hermitian_norm1(a, lower)
    xp = namespace(a)
    if a.shape[0] == 0:
        return 0.0
    strict = xp.abs(xp.tril(a, k=-1) if lower else xp.triu(a, k=1))
    diag = xp.abs(xp.linalg.diagonal(a))
    return to_float(xp.max(xp.sum(strict, axis=0) + xp.sum(strict, axis=1) + diag))
