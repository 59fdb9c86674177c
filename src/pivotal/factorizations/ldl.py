"""The ``LDL`` factorization object (Bunch-Kaufman) and the shared LDL driver."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._array import (
    is_complex,
    namespace,
    to_numpy,
    unit_roundoff,
    working_copy,
)
from .._backends import get_backend
from .._scaling import split_exponent
from ..errors import PivotGrowthWarning, SingularMatrixError, warn_user
from ..kernels.ldl import (
    LDLKernelResult,
    ldl_abs_product_norm,
    ldl_inertia,
    ldl_kernel,
    ldl_scale_d,
    ldl_solve,
    ldl_unpack,
)
from .base import (
    Factorization,
    _copy_as,
    check_method,
    det_parts,
    factor_input,
    index_array,
)
from .cholesky import hermitian_norms
from .lu import GROWTH_BOUND_LIMIT
from .scaling import scale_into_range

__all__ = ["LDL", "block_det_parts", "ldl_compute", "ldl_growth", "ldl_growth_warning", "symmetric_norm1"]


def ldl_growth(res: LDLKernelResult, anorm: float) -> float:
    """Growth ``|| |L| |D| |L|^H ||_inf / ||A||_inf`` of Bunch-Kaufman factors (1 for a zero matrix).

    ``anorm`` is ``||A||_inf`` (``= ||A||_1``, ``A`` being symmetric or
    Hermitian) of the factored matrix.  The backward error of the factors is
    ``p(n) u (||A|| + || |L| |D| |L|^T ||)`` (Higham, ch. 11), so this ratio is
    what multiplies ``u`` in it; it is at least 1 in exact arithmetic
    (``|L| |D| |L|^T >= |L D L^T|`` entrywise).  ``O(n^2)`` work
    (:func:`pivotal.kernels.ldl.ldl_abs_product_norm`).
    """
    if anorm == 0.0:
        return 1.0
    return ldl_abs_product_norm(res) / anorm


def ldl_growth_warning(res: LDLKernelResult, anorm: float) -> PivotGrowthWarning | None:
    """The :class:`PivotGrowthWarning` due for Bunch-Kaufman factors of a matrix with ``||A||_inf = anorm``.

    The factors are exact for ``P A P^T + dA`` with
    ``|dA| <= p(n) u (|A| + |L| |D| |L|^T)`` (Higham, ch. 11), so
    ``||dA||_inf <= p(n) u (1 + g) ||A||_inf`` with ``g`` :func:`ldl_growth`.
    ``u (1 + g)`` is the error of a single rounding in each of the terms
    that ``L D L^T`` sums (``p(n) = 1``, the smallest the bound can be):
    once it reaches ``||A|| / 2`` the factors certify nothing, and the
    warning is due.  The worst-case ``p(n)`` is linear in ``n``, but
    rounding errors do not add up like that: on random symmetric matrices
    (``n = 200 .. 1600``, float32 and complex64, where ``g ~ n``) the
    measured backward error is below ``0.13 u g``, and ``n u g`` would warn
    about them from ``n ~ 1500`` in single precision.  ``None`` when no
    warning is due (or the growth is NaN, left to the conditioning check).
    """
    if res.factors.shape[0] == 0:
        return None
    g = ldl_growth(res, anorm)
    if (1.0 + g) * unit_roundoff(res.factors.dtype) >= GROWTH_BOUND_LIMIT:
        return PivotGrowthWarning(g, factorization="LDL")
    return None


def block_det_parts(res: LDLKernelResult) -> tuple[np.ndarray, int]:
    """``(f, k)`` with ``det(D) = prod(f) * 2**k`` for the block diagonal ``D`` of Bunch-Kaufman factors.

    Read from the compact factors: ``D``'s diagonal, and for each 2x2 block
    (a pair of negative ``ipiv`` entries) the entry below (above, for
    ``lower=False``) its first diagonal entry.  A 1x1 block contributes its
    pivot; a 2x2 block ``[[a, b'], [b, c]]`` (``b' = conj(b)`` when
    Hermitian, else ``b``) its determinant ``a c - b b'``, evaluated from the
    exact splits ``a = m_a 2**e_a``, ... (:func:`pivotal._scaling.split_exponent`)
    as ``2**E (m_a m_c 2**(e_a + e_c - E) - m_b m_b' 2**(2 e_b - E))`` with
    ``E`` the larger of the two exponents: no product over- or underflows,
    and since Bunch-Kaufman's 2x2 pivots have ``|a c| < alpha^2 |b|^2``
    (``alpha^2 ~ 0.41``) the subtraction does not cancel, so each block's
    determinant is accurate to a few units in the last place, and exact
    where its products and difference are representable (small integers).
    """
    c = res.factors
    xp = namespace(c)
    n = int(c.shape[0])
    herm = bool(res.hermitian) and is_complex(c.dtype)
    diag = det_parts(xp.linalg.diagonal(c))
    if herm:
        diag = diag.real  # the diagonal of a Hermitian D is real
    ipiv = np.asarray(res.ipiv).tolist()
    starts, k = [], 0
    while k < n:  # a 2x2 block: two equal negative entries
        if ipiv[k] < 0:
            starts.append(k)
            k += 2
        else:
            k += 1
    t = np.asarray(starts, dtype=np.int64)
    single = np.ones(n, dtype=bool)
    single[t] = single[t + 1] = False
    if t.size:
        off = det_parts(xp.linalg.diagonal(c, offset=-1 if res.lower else 1))[t]
        (ma, ea), (mc, ec), (mb, eb) = (split_exponent(x) for x in (diag[t], diag[t + 1], off))
        p1, e1 = ma * mc, ea + ec
        p2, e2 = mb * (np.conj(mb) if herm else mb), 2 * eb
        e1 = np.where(p1 == 0, e2, e1)  # a zero a c does not set the scale
        top = np.maximum(e1, e2)
        blocks = _times_powers_of_two(p1, e1 - top) - _times_powers_of_two(p2, e2 - top)
    else:
        blocks, top = diag[:0], np.zeros(0, dtype=np.int64)
    return np.concatenate([diag[single], blocks]), int(top.sum(dtype=np.int64))


def _times_powers_of_two(x: np.ndarray, k: np.ndarray) -> np.ndarray:
    """``x * 2**k`` elementwise (complex ``x`` too), rounded once."""
    with np.errstate(under="ignore"):
        if x.dtype.kind != "c":
            return np.ldexp(x, k)
        out = np.empty_like(x)
        out.real, out.imag = np.ldexp(x.real, k), np.ldexp(x.imag, k)
        return out


def symmetric_norm1(a: Any, lower: bool, hermitian: bool) -> float:
    """1-norm (= inf-norm) of the symmetric or Hermitian matrix stored in one triangle of ``a``."""
    return hermitian_norms(a, lower, hermitian=hermitian)[0]


def ldl_compute(
    work: Any,
    lower: bool,
    hermitian: bool,
    block_size: int | None,
    method: str,
    *,
    warn_growth: bool = False,
):
    """Factor ``work`` (reading one triangle); returns ``(LDLKernelResult, algorithm)``.

    ``method="auto"`` uses LAPACK ``?sytrf``/``?hetrf`` (or
    ``torch.linalg.ldl_factor_ex``) unless a ``block_size`` is given; both
    produce the same compact Bunch-Kaufman format as our kernel.  With
    ``warn_growth`` the :class:`PivotGrowthWarning` of
    :func:`ldl_growth_warning` is issued at the caller's line (for
    :func:`pivotal.ldl`, whose SciPy-style result cannot carry it).

    A matrix outside LAPACK's safe range is factored as ``2**e A``
    (``sytrf`` turns subnormal pivots into ``-inf``), and ``D`` is
    multiplied back by ``2**-e``: the factors returned are those of ``A``
    (``L`` is scale free).  See :mod:`pivotal.factorizations.scaling`.
    """
    hermitian = bool(hermitian) or not is_complex(work.dtype)
    e, anorm, _ = scale_into_range(work, lambda w: hermitian_norms(w, lower, hermitian=hermitian))
    res, algorithm = _ldl_compute(work, lower, hermitian, block_size, method)
    if warn_growth:
        warning = ldl_growth_warning(res, anorm)  # both of 2^e A: the growth is scale invariant
        if warning is not None:
            warn_user(warning)
    return ldl_scale_d(res, -e), algorithm


def _ldl_compute(work: Any, lower: bool, hermitian: bool, block_size: int | None, method: str):
    """Factor ``work`` as it is (``hermitian`` already resolved)."""
    check_method(method, block_size)
    n = work.shape[0]
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
    symmetric interchanges ``p`` bound the element growth by
    ``(1 + 1/alpha)^(n-1) ~ 2.57^(n-1)`` (Bunch and Kaufman's partial
    pivoting, ``alpha = (1 + sqrt(17)) / 8``; the entries of ``L`` are not
    bounded).

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

    Warns
    -----
    PivotGrowthWarning
        On the first ``solve`` or ``inv``, when the growth
        ``g = || |L| |D| |L|^H ||_inf / ||A||_inf`` (:meth:`growth_factor`)
        makes the backward-error bound of the factors meaningless:
        Bunch-Kaufman computes the exact factors of ``P A P^T + dA`` with
        ``|dA| <= p(n) u (|A| + |L| |D| |L|^T)`` (Higham, ch. 11), and
        pivotal warns when ``u (1 + g) >= 1/2``, i.e. when a single rounding
        per term already reaches half of ``||A||`` (see
        :func:`ldl_growth_warning`).  ``warning.growth`` holds ``g``.
        Computing ``g`` costs ``O(n^2)``, less than one solve.
    IllConditionedWarning
        On the first ``solve``, when ``rcond()`` is below machine epsilon.

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
            a,
            "LDL",
            square=True,
            check_finite=check_finite,
            jax_hint="for JAX arrays use pivotal.ldl.",
            obj=self,
        )
        work = working_copy(a, overwrite=overwrite_a)
        self._xp = namespace(work)
        self.shape = (int(work.shape[0]), int(work.shape[1]))
        self.dtype = work.dtype
        self.lower = bool(lower)
        self.hermitian = bool(hermitian) or not is_complex(work.dtype)
        # The factored matrix is 2^e A, inside LAPACK's safe range (the base class undoes e).
        self._scale, self._anorm, _ = scale_into_range(
            work, lambda w: hermitian_norms(w, self.lower, hermitian=self.hermitian)
        )
        self._res, self.algorithm = _ldl_compute(work, self.lower, self.hermitian, block_size, method)
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

    @property
    def _graph_structure(self) -> tuple[str, bool]:
        return ("hermitian" if self.hermitian else "symmetric", self.lower)

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
        return self._unscaled(self._unpack()[1])

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

    def growth_factor(self) -> float:
        """Growth ``|| |L| |D| |L|^H ||_inf / ||A||_inf`` of these factors (1 for a zero matrix).

        The quantity the backward error of Bunch-Kaufman factors is
        proportional to (see :func:`ldl_growth`); ``O(n^2)`` work.
        """
        return ldl_growth(self._res, self._anorm)

    def _stability_warning(self) -> PivotGrowthWarning | None:
        return ldl_growth_warning(self._res, self._anorm)

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

    def _det_parts(self) -> tuple[np.ndarray, int]:
        return block_det_parts(self._res)  # det(A) = det(D): P and the unit L cancel
