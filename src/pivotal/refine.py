"""Iterative refinement of the solution of ``A x = b``: fixed precision, mixed precision, GMRES-IR.

Refinement repeats three steps from a first solution ``x``::

    r = b - A x          (residual, in the working or an extended precision)
    solve A d = r        (with a factorization of A, maybe of lower precision)
    x = x + d

``precision="mixed"`` factors a float32 (complex64) copy of a float64
(complex128) matrix -- about twice as fast as the working-precision
factorization on CPUs and more on GPUs -- and refines the cheap solution to
float64 accuracy (Langou et al. 2006; Carson and Higham 2018).
``precision="fixed"`` factors in the working precision; with
``residual="extended"`` it recovers a forward error of order ``u`` instead of
``kappa(A) u`` (Wilkinson 1963; Moler 1967), and even with working-precision
residuals one step makes Gaussian elimination componentwise backward stable
(Skeel 1980).  ``method="gmres"`` solves each correction equation with GMRES
preconditioned by the low-precision factors (GMRES-IR, Carson and Higham
2017, 2018), which keeps converging for ``kappa(A)`` far beyond the ``1/u``
of the factorization's precision.

The single public function is :func:`refine`; it returns the solution and,
on request, a :class:`RefinementReport` of what happened.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import array_api_compat
import numpy as np

from ._array import (
    astype,
    backend_name,
    check_finite_or_raise,
    conj_transpose,
    dtype_name,
    is_complex,
    namespace,
    promote_dtypes,
    real_dtype,
    to_numpy,
    unit_roundoff,
    validate_matrix,
    validate_rhs,
    working_dtype,
)
from ._scaling import ldexp
from .diagnostics import ferr_columns, ferr_weights
from .errors import IllConditionedWarning, LinAlgWarning, warn_user
from .factorizations.base import Factorization
from .factorizations.factorize import ASSUME, factorize
from .factorizations.lu import LU
from .factorizations.scaling import factor_exponent
from .kernels.arnoldi import gmres_cycle
from .kernels.condest import inv_onenormest, rcond_from

__all__ = ["RefinementReport", "refine"]

PRECISIONS = ("mixed", "fixed")
METHODS = ("classic", "gmres")
RESIDUALS = ("working", "extended")

_DEFAULT_MAXITER = {"classic": 30, "gmres": 10}  # classic: LAPACK dsgesv's ITERMAX
_GMRES_MAX_INNER = 100  # Krylov dimension cap (no restarts): min(n, 100)
_BLOCK_ELEMENTS = 1 << 20  # row blocks of ~1M entries for the compensated residual
_PROBE_MAX_STEPS = 12  # the contraction probe of the float32 factors (see _probe_contraction)
_PROBE_MAX_RATIO = 0.5
_PROBE_SEED = 20181  # fixed: the certificate is reproducible


# ============================================================================ report


@dataclass(frozen=True)
class RefinementReport:
    """What :func:`refine` did.

    Attributes
    ----------
    method : str
        ``"classic"`` or ``"gmres"``.
    precision : str
        ``"mixed"`` or ``"fixed"`` (the precision asked for, or inferred from
        a given factorization; see ``fallback`` for a switch to fixed).
    factor_dtype : str
        dtype of the factorization used last, e.g. ``"float32"``.
    residual : str
        ``"working"`` or ``"extended"``.
    steps : int
        Number of corrections ``x <- x + d`` applied (over both phases when a
        fallback happened).
    backward_errors : list of float
        Normwise (Rigal-Gaches) backward error, maximum over the columns of
        ``b``, of the first solution and after each correction.  After a
        fallback the list continues with the working-precision solution and
        its own corrections.
    converged : bool
        Whether the returned ``x`` is the refined solution it claims to be:
        the iteration reached its stopping criterion (backward error at most
        ``(N + 1) u``, plus the gradual-underflow term for nearly subnormal
        data, see :func:`refine`) and ``x`` has correct digits -- ``rcond`` is at least
        machine epsilon, or LAPACK's forward error bound (FERR) is below 1.
        False (with a warning) otherwise; see :func:`refine`.
    fallback : str or None
        Why the mixed-precision solve was abandoned for a working-precision
        factorization, or ``None``.
    gmres_iterations : list of int
        For ``method="gmres"``: GMRES iterations of each correction (largest
        over the columns of ``b``); empty for ``"classic"``.
    factorization : Factorization or None
        The factorization used last (``None`` for empty input).
    rcond : float
        Estimated reciprocal condition number of ``A`` in the 1-norm, valid
        in the working precision (see :func:`refine`'s Notes); 1 for empty
        input.
    """

    method: str
    precision: str
    factor_dtype: str
    residual: str
    steps: int
    backward_errors: list[float]
    converged: bool
    fallback: str | None = None
    gmres_iterations: list[int] = field(default_factory=list)
    factorization: Any = field(default=None, repr=False, compare=False)
    rcond: float = math.nan

    def to_dict(self) -> dict[str, Any]:
        """The report as a plain dict (JSON-friendly; the factorization as its ``repr``)."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "factorization"}
        out["backward_errors"] = [float(v) for v in self.backward_errors]
        out["gmres_iterations"] = [int(v) for v in self.gmres_iterations]
        out["factorization"] = None if self.factorization is None else repr(self.factorization)
        return out


# ============================================================================ backend helpers


def _copy(x: Any, dtype: Any) -> Any:
    if backend_name(x) == "torch":
        return x.to(dtype=dtype, copy=True)
    return np.array(x, dtype=dtype, copy=True)


def _colmax(x: Any) -> np.ndarray:
    """``max_i |x[i, j]|`` per column as a host float64 array."""
    if backend_name(x) == "torch":
        return x.abs().amax(dim=0).detach().cpu().double().numpy()
    return np.abs(x).max(axis=0).astype(np.float64, copy=False)


def _from_host(x: np.ndarray, like: Any, dtype: Any) -> Any:
    if backend_name(like) == "torch":
        import torch

        return torch.as_tensor(np.ascontiguousarray(x), device=like.device).to(dtype)
    return np.asarray(x, dtype=dtype)


def _matmul(a: Any, x: Any) -> Any:
    """``a @ x`` by BLAS; a real ``a`` times a complex ``x`` is done part by part.

    (NumPy would copy ``a`` to complex on every call; PyTorch refuses to mix.)
    """
    if len(x.shape) == 2 and x.shape[1] == 1:
        return _matmul(a, x[:, 0])[:, None]  # gemv rather than gemm
    if is_complex(x.dtype) and not is_complex(a.dtype):
        xp = namespace(a)
        re = a @ astype(xp.real(x), a.dtype)
        im = a @ astype(xp.imag(x), a.dtype)
        return astype(re, x.dtype) + 1j * astype(im, x.dtype)
    return a @ x


def _torch_dtype(dtype: Any):
    import torch

    if isinstance(dtype, torch.dtype):
        return dtype
    return getattr(torch, np.dtype(dtype).name)


def _numpy_dtype(dtype: Any):
    if hasattr(dtype, "is_floating_point"):  # a torch dtype
        return np.dtype(str(dtype).replace("torch.", ""))
    return np.dtype(dtype)


# ============================================================================ the norm of A


def _norm_inf(a: Any, check_finite: bool) -> float:
    """``||A||_inf``, which also serves as the NaN/Inf check of ``A``.

    NumPy: LAPACK ``xLANGE`` on the Fortran-ordered view (the 1-norm of
    ``A^T`` for a C-ordered ``A``), one fast pass without temporaries.  A NaN
    or Inf entry makes the norm non-finite (``xLANGE`` propagates NaN), so
    ``check_finite`` costs nothing extra unless a row sum overflows.
    """
    if backend_name(a) == "torch":
        anorm = float(a.abs().sum(dim=1).max())
    else:
        from scipy.linalg import lapack

        if a.flags.c_contiguous:
            anorm = float(lapack.get_lapack_funcs("lange", (a,))("1", a.T))
        elif a.flags.f_contiguous:
            anorm = float(lapack.get_lapack_funcs("lange", (a,))("I", a))
        else:
            anorm = float(np.abs(a).sum(axis=1).max())
    if check_finite and not math.isfinite(anorm):
        check_finite_or_raise(a, "a")  # raises for NaN/Inf; passes when a row sum overflowed
    return anorm


# ============================================================================ residuals


def _split(x: Any, dtype: Any) -> tuple[Any, Any]:
    """Veltkamp splitting ``x = hi + lo`` with half-width ``hi``.

    Exact unless ``x * (2**27 + 1)`` overflows (``|x|`` above about ``1e300``
    in float64), where the extended residual loses its extra accuracy.
    """
    bits = np.finfo(_numpy_dtype(real_dtype(dtype))).nmant + 1
    factor = float(2 ** ((bits + 1) // 2) + 1)
    c = x * factor
    hi = c - (c - x)
    return hi, x - hi


def _two_prod(a: Any, b: Any, a_split: tuple[Any, Any], b_split: tuple[Any, Any]) -> tuple[Any, Any]:
    """Dekker's TwoProd: ``a * b = p + e`` exactly (elementwise, with broadcasting)."""
    p = a * b
    ah, al = a_split
    bh, bl = b_split
    e = al * bl - (((p - ah * bh) - al * bh) - ah * bl)
    return p, e


def _tree_sum2(v: Any, xp) -> Any:
    """Row sums of ``v`` (rows, m) by pairwise TwoSum, returning ``(sum, error_sum)``.

    Each level adds neighbouring columns with Knuth's TwoSum and accumulates
    the exact rounding errors in ordinary floating point, as Ogita, Rump and
    Oishi's Sum2 does with a cascade.
    """
    err = xp.zeros_like(v[:, 0])
    while v.shape[1] > 1:
        m = v.shape[1]
        tail = v[:, m - 1 :] if m % 2 else None
        a = v[:, 0 : m - (m % 2) : 2]
        b = v[:, 1 : m - (m % 2) : 2]
        s = a + b
        z = s - a
        e = (a - (s - z)) + (b - z)
        err = err + xp.sum(e, axis=1)
        v = s if tail is None else xp.concat([s, tail], axis=1)
    return v[:, 0], err


def _dot2_residual_real(parts: list[tuple[Any, Any]], b: Any, xp) -> Any:
    """``b - sum_p A_p @ x_p`` for real operands in about twice the working precision.

    ``parts`` holds ``(A_p, x_p)`` with ``A_p`` (n, m_p) and ``x_p`` (m_p,),
    ``b`` is (n,).  Vectorised Dot2 (Ogita, Rump and Oishi 2005) over row
    blocks: every product is split exactly by TwoProd, the products are
    summed with TwoSum, and the error terms are added at the end.
    """
    n = b.shape[0]
    m = sum(int(p[0].shape[1]) for p in parts)
    step = max(1, _BLOCK_ELEMENTS // max(2 * m, 1))
    out = xp.empty_like(b)
    x_splits = [(x, _split(x, x.dtype)) for _, x in parts]
    for i0 in range(0, n, step):
        i1 = min(n, i0 + step)
        prods, errs = [], []
        for (ap, _), (x, xs) in zip(parts, x_splits, strict=True):
            blk = ap[i0:i1]
            p, e = _two_prod(blk, x[None, :], _split(blk, blk.dtype), (xs[0][None, :], xs[1][None, :]))
            prods.append(-p)
            errs.append(e)
        bb = b[i0:i1]
        terms = xp.concat([bb[:, None]] + prods, axis=1)
        s, err = _tree_sum2(terms, xp)
        for e in errs:
            err = err - xp.sum(e, axis=1)
        out[i0:i1] = s + err
    return out


def _compensated_residual(a: Any, x: Any, b: Any) -> Any:
    """``b - A x`` (n, k) by compensated (double-working-precision) dot products."""
    xp = namespace(a)
    k = x.shape[1]
    cplx = is_complex(x.dtype)
    cols = []
    for j in range(k):
        xj, bj = x[:, j], b[:, j]
        if not cplx:
            cols.append(_dot2_residual_real([(a, xj)], bj, xp))
            continue
        ar, ai = (xp.real(a), xp.imag(a)) if is_complex(a.dtype) else (a, None)
        xr, xi = xp.real(xj), xp.imag(xj)
        br, bi = xp.real(bj), xp.imag(bj)
        if ai is None:
            re = _dot2_residual_real([(ar, xr)], br, xp)
            im = _dot2_residual_real([(ar, xi)], bi, xp)
        else:
            re = _dot2_residual_real([(ar, xr), (ai, -xi)], br, xp)
            im = _dot2_residual_real([(ar, xi), (ai, xr)], bi, xp)
        cols.append(re + 1j * im)
    out = xp.stack(cols, axis=1)
    return astype(out, b.dtype)


def _residual(a: Any, x: Any, b: Any, mode: str) -> Any:
    """``b - A x`` in the working precision or an extended one (result in the working dtype)."""
    if mode == "working":
        return b - _matmul(a, x)
    wdt = b.dtype
    if unit_roundoff(wdt) > 2.0**-53:
        # float32 working precision: float64 BLAS is the extended precision.
        wide_real = _torch_dtype(np.float64) if backend_name(a) == "torch" else np.dtype(np.float64)
        wide = _like_kind(wide_real, wdt)
        a_wide = astype(a, _like_kind(wide_real, a.dtype))
        return astype(astype(b, wide) - _matmul(a_wide, astype(x, wide)), wdt)
    return _compensated_residual(a, x, b)


# ============================================================================ solvers


def _promote(F: Factorization, dtype: Any) -> Factorization:
    """A copy of ``F`` whose factors are cast (exactly) to the higher precision ``dtype``.

    Used to apply low-precision factors in working precision (GMRES-IR's
    preconditioner): the float32 factors are exactly representable in
    float64, so the copy is the same operator ``M^{-1}``, applied with
    float64 arithmetic and BLAS.  Arrays of ``F.dtype`` held by the object
    (also inside dataclasses, e.g. LDL's kernel result) are cast.
    """
    target = promote_dtypes(F.dtype, dtype) if is_complex(F.dtype) else real_dtype(dtype)
    if F.dtype == target:
        return F
    G = object.__new__(type(F))
    for name, value in vars(F).items():
        setattr(G, name, _promote_value(value, F.dtype, target))
    G.dtype = target
    G._conditioning_checked = True
    return G


def _promote_value(value: Any, old: Any, new: Any) -> Any:
    if array_api_compat.is_array_api_obj(value) and not isinstance(value, (int, float, complex)):
        if getattr(value, "dtype", None) == old:
            return _copy(value, new)
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            f.name: _promote_value(getattr(value, f.name), old, new)
            for f in dataclasses.fields(value)
            if f.init
        }
        return dataclasses.replace(value, **changes)
    return value


def _apply_inverse(F: Factorization, r: Any, dtype: Any, trans: int = 0) -> Any:
    """``op(F)^{-1} r`` (r is (n, k)) with the result in ``dtype``; no validation, no warnings."""
    return F._solve_2d(r, trans, dtype)


def low_precision_solve(F: Factorization, r: Any, work_dtype: Any, trans: int = 0) -> Any:
    """Apply low-precision factors in low precision: scale, cast down, solve ``op(A) d = r``, cast up.

    Each column of ``r`` is divided by its largest entry before the cast so
    that nothing overflows or underflows in the narrower exponent range; the
    factors are those of ``2**e A`` (``e = F._scale``, see
    :mod:`pivotal.factorizations.scaling`), in the low precision's safe
    range, and ``2**e`` is applied in the working precision.
    """
    s = _colmax(r)
    s[~(s > 0) | ~np.isfinite(s)] = 1.0
    e = np.frexp(s)[1]  # 2**e >= s > 2**(e-1): a power of two, so the scaling is exact
    low = _like_kind(F.dtype, r.dtype)
    rl = astype(_times_powers_of_two(r, -e, work_dtype), low)
    d = F._solve_scaled(rl, trans, low)
    return _times_powers_of_two(astype(d, work_dtype), e + F._scale, work_dtype)


def _times_powers_of_two(x: Any, e: np.ndarray, dtype: Any) -> Any:
    """``x[:, j] * 2**e[j]`` by multiplications (no division: complex division by a subnormal overflows).

    Two factors of at most ``2**(|e|/2 + 1)`` each, so that none overflows
    for the exponents of subnormal or huge columns.
    """
    h = e // 2
    f1 = _from_host(np.ldexp(1.0, h)[None, :], x, real_dtype(dtype))
    f2 = _from_host(np.ldexp(1.0, e - h)[None, :], x, real_dtype(dtype))
    return (x * f1) * f2


def _smallest_subnormal(dtype: Any) -> float:
    dtype = real_dtype(dtype)
    if hasattr(dtype, "is_floating_point"):  # a torch dtype
        import torch

        fi = torch.finfo(dtype)
        return float(fi.tiny) * float(fi.eps)
    return float(np.finfo(np.dtype(dtype)).smallest_subnormal)


def _like_kind(dtype: Any, kind_of: Any) -> Any:
    """``dtype``'s precision with ``kind_of``'s kind: a real ``dtype`` made complex for a complex ``kind_of``."""
    if is_complex(kind_of) and not is_complex(dtype):
        if hasattr(dtype, "is_floating_point"):
            import torch

            return {torch.float32: torch.complex64, torch.float64: torch.complex128}[dtype]
        return np.result_type(dtype, np.complex64)
    return dtype


def _nrm2(v: Any) -> float:
    if backend_name(v) == "torch":
        import torch

        return float(torch.linalg.vector_norm(v))
    return float(np.linalg.norm(v))


def _colnorm(x: Any) -> np.ndarray:
    """The 2-norm of every column as a host float64 array."""
    if backend_name(x) == "torch":
        import torch

        return torch.linalg.vector_norm(x, dim=0).detach().cpu().double().numpy()
    return np.linalg.norm(x, axis=0).astype(np.float64, copy=False)


# ============================================================================ the iteration


@dataclass
class _Problem:
    a: Any  # (n, n) in the working dtype (a real a kept real with a complex b)
    b: Any  # (n, k) working dtype
    anorm: float
    bnorm: np.ndarray
    n: int
    dtype: Any
    u: float
    residual: str
    tol: float
    maxiter: int
    method: str

    def backward_errors(self, r: Any, x: Any) -> np.ndarray:
        rn = _colmax(r)
        den = self.anorm * _colmax(x) + self.bnorm
        with np.errstate(divide="ignore", invalid="ignore"):
            be = np.where(den > 0, rn / np.where(den > 0, den, 1.0), np.where(rn == 0, 0.0, np.inf))
        be[np.isnan(rn) | np.isnan(den)] = np.nan
        return be

    def residual_of(self, x: Any) -> Any:
        return _residual(self.a, x, self.b, self.residual)

    def floor(self, x: Any) -> float:
        """The rounding level of a computed residual's backward error: ``(n + 1) (u + lambda / d)``.

        Each of the ``n + 1`` terms of ``b_i - sum_j a_ij x_j`` carries a
        relative error ``u`` and, under gradual underflow, an absolute one up
        to ``lambda``, the smallest subnormal number (Higham 2002, eq.
        (2.8)); relative to ``d = ||A|| ||x|| + ||b||`` (the smallest over
        the columns) the latter is negligible unless the data are nearly
        subnormal, where no refinement can go below it.
        """
        den = self.anorm * _colmax(x) + self.bnorm
        den = float(np.min(den)) if den.size else 0.0
        lam = _smallest_subnormal(self.dtype)
        return (self.n + 1) * (self.u + (lam / den if den > 0 else 0.0))


@dataclass
class _Outcome:
    x: Any
    converged: bool
    failure: str | None
    steps: int = 0
    bes: list[float] = field(default_factory=list)
    gmres: list[int] = field(default_factory=list)


def _correction_fn(prob: _Problem, F: Factorization, mixed: bool):
    """``d = solve(r)`` for the chosen method and precision."""
    if prob.method == "classic":
        if mixed:
            return lambda r: (low_precision_solve(F, r, prob.dtype), None)
        return lambda r: (_apply_inverse(F, r, prob.dtype), None)
    return _gmres_solve_fn(prob, _promote(F, prob.dtype))


def _gmres_solve_fn(prob: _Problem, P: Factorization, trans: int = 0):
    """``r -> (d, iterations)``: solve ``op(A) d = r`` by GMRES, all columns in one batched cycle.

    One cycle of :func:`pivotal.kernels.arnoldi.gmres_cycle` (the core of
    :func:`pivotal.krylov.gmres`): at most ``min(n, 100)`` iterations, no
    restart, each column stopped when its preconditioned residual is at
    most ``inner_tol`` times that of ``d = 0``; ``iterations`` is the
    largest count over the columns.

    Preconditioned by ``op(P)^{-1}``, ``P`` being factors applied in the
    working precision (:func:`_promote`); ``op`` is the identity (``trans=0``)
    or the conjugate transpose (``trans=2``).
    """
    a_op = prob.a if trans == 0 else conj_transpose(prob.a)
    inner_tol = min(1e-2, 100.0 * math.sqrt(prob.u))
    inner_max = min(prob.n, _GMRES_MAX_INNER)

    def apply(V):  # M^{-1} A V on an (n, k) block
        return _apply_inverse(P, _matmul(a_op, V), prob.dtype, trans)

    def solve(r):
        # Each column is divided by its largest entry (GMRES is scale-invariant) so that the
        # Krylov vectors neither overflow nor underflow.
        s = _colmax(r)
        use = (s > 0) & np.isfinite(s)
        scale = np.where(use, s, 1.0)
        rs = r / _from_host(scale, r, real_dtype(prob.dtype))
        z = _apply_inverse(P, rs, prob.dtype, trans)
        beta = _colnorm(z)
        out = gmres_cycle(apply, z, beta, inner_tol * beta, m=inner_max, eps=2 * prob.u, active=use)
        # A column that met NaN/Inf gets a NaN correction: the outer iteration reports the failure.
        good = np.where(out.finite, scale, np.nan)
        d = out.dx * _from_host(good, r, real_dtype(prob.dtype))
        return d, int(out.iterations.max(initial=0))

    return solve


def _gmres_solvers(prob: _Problem, F: Factorization):
    """``(X -> A^{-1} X, X -> A^{-H} X)`` in the working precision: GMRES preconditioned by ``F``."""
    P = _promote(F, prob.dtype)
    forward, adjoint = _gmres_solve_fn(prob, P, 0), _gmres_solve_fn(prob, P, 2)

    def solve(X):
        return forward(X)[0]

    def solve_h(X):
        return adjoint(X)[0]

    return solve, solve_h


def _iterate(prob: _Problem, F: Factorization, mixed: bool, x: Any) -> _Outcome:
    """Refine ``x`` with ``F``; stop on convergence, stagnation, divergence or ``maxiter``.

    ``floor = (n + 1) u`` is the rounding level of a computed residual
    (plus the gradual-underflow term of :meth:`_Problem.floor` for nearly
    subnormal data).

    * Working residuals: success when the backward error reaches ``tol``;
      or, with the backward error at most ``floor``, when the correction
      falls below ``u ||x||``, the backward error stops halving over two
      corrections, or ``maxiter`` is reached.
    * Extended residuals aim at the forward error, which the backward error
      no longer tracks once it is at ``floor``: at least one correction is
      applied and the iteration stops when the relative correction
      ``||d|| / ||x||`` is at most ``tol`` or stops halving (Demmel et al.
      2006); success needs the backward error at most ``floor``.
    * Either way the iteration fails when the backward error is not finite,
      or, above ``floor``, does not halve over two corrections.
    """
    correct = _correction_fn(prob, F, mixed)
    floor = prob.floor(x)
    extended = prob.residual == "extended"
    r = prob.residual_of(x)
    be = float(np.max(prob.backward_errors(r, x)))
    out = _Outcome(x=x, converged=False, failure=None, bes=[be])
    best_be, best_x = be, x
    if not math.isfinite(be):
        out.failure = f"the first solution is not finite (backward error {be})"
        return out
    if be <= prob.tol and not extended:
        out.converged = True
        return out
    dratios: list[float] = []
    for _ in range(prob.maxiter):
        d, its = correct(r)
        if its is not None:
            out.gmres.append(int(its))
        x = x + d
        out.steps += 1
        r = prob.residual_of(x)
        be = float(np.max(prob.backward_errors(r, x)))
        out.bes.append(be)
        out.x = x
        if not math.isfinite(be):
            out.failure = f"the backward error became {be} after {out.steps} correction(s)"
            break
        if be < best_be:
            best_be, best_x = be, x
        if be <= prob.tol and not extended:
            out.converged = True
            return out
        dn = _colmax(d)
        xn = _colmax(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(xn > 0, dn / np.where(xn > 0, xn, 1.0), np.where(dn == 0, 0.0, np.inf))
        dratio = float(np.max(ratio))
        dratios.append(dratio)
        if dratio <= (prob.tol if extended else prob.u) or (
            extended and len(dratios) >= 2 and dratio > dratios[-2] / 2 and be <= floor
        ):
            out.converged = be <= floor
            if not out.converged:
                out.failure = (
                    f"the corrections vanished with the backward error at {be:.3g} above the rounding "
                    f"level (n+1)u = {floor:.3g}"
                )
            break
        h = out.bes
        if len(h) >= 3 and be > h[-3] / 2 and (be > floor or not extended):
            # Not halved over two steps (so also: grew over two steps).  One
            # step may grow: GMRES-IR often jumps once, then converges.
            if best_be <= floor:
                out.converged = True
            else:
                why = "grew" if be >= h[-3] else "did not halve"
                trail = " -> ".join(f"{v:.2g}" for v in h[-3:])
                out.failure = (
                    f"the backward error {why} over two corrections ({trail}), above the rounding level "
                    f"(n+1)u = {floor:.2g}"
                )
            break
    else:
        if best_be <= floor:
            out.converged = True
        else:
            out.failure = (
                f"maxiter={prob.maxiter} corrections left the backward error at {best_be:.3g} above the "
                f"rounding level (n+1)u = {floor:.3g}"
            )
    if not (out.converged and out.bes[-1] <= floor):
        out.x = best_x
    return out


# ============================================================================ argument checks


def _check_options(precision, method, residual, assume, tol, maxiter) -> None:
    if precision not in PRECISIONS:
        raise ValueError(
            f"precision={precision!r} is not one of {PRECISIONS}: 'mixed' factors in a lower "
            "precision (float32) and refines to the working precision, 'fixed' factors in the "
            "working precision."
        )
    if method not in METHODS:
        raise ValueError(
            f"method={method!r} is not one of {METHODS}: 'classic' corrects with the factors, "
            "'gmres' solves each correction with GMRES preconditioned by them (GMRES-IR, for "
            "ill-conditioned matrices)."
        )
    if residual not in RESIDUALS:
        raise ValueError(
            f"residual={residual!r} is not one of {RESIDUALS}: 'working' computes b - A x in the "
            "working precision, 'extended' in about twice that precision."
        )
    if assume not in ASSUME:
        raise ValueError(f"assume={assume!r} is not one of {ASSUME}.")
    real_number = (int, float, np.floating, np.integer)
    if tol is not None and (
        isinstance(tol, bool) or not isinstance(tol, real_number) or not tol >= 0 or math.isinf(tol)
    ):
        raise ValueError(f"tol must be a finite number >= 0, got {tol!r}.")
    if maxiter is not None and (
        isinstance(maxiter, bool) or not isinstance(maxiter, (int, np.integer)) or maxiter < 1
    ):
        raise ValueError(
            f"maxiter must be a positive integer, got {maxiter!r}; for an unrefined solution "
            "use pivotal.factorize(A).solve(b)."
        )


def _resolve_low_dtype(low_dtype: Any, a: Any, work: Any) -> Any:
    """The factorization dtype of ``precision='mixed'``, checked against the working dtype."""
    torch_input = backend_name(a) == "torch"
    a_complex = is_complex(working_dtype(a))
    if low_dtype is None:
        if unit_roundoff(work) < 1e-10:
            name = "complex64" if a_complex else "float32"
            return _torch_dtype(name) if torch_input else np.dtype(name)
        raise ValueError(
            f"precision='mixed' needs a float64 or complex128 working precision, but it is "
            f"{dtype_name(work)}; pass precision='fixed' (or a float64 matrix)."
        )
    try:
        npdt = _numpy_dtype(low_dtype)
    except TypeError:
        raise ValueError(f"low_dtype={low_dtype!r} is not a dtype; use float32 (or complex64).") from None
    if npdt not in (
        np.dtype(np.float32),
        np.dtype(np.complex64),
        np.dtype(np.float64),
        np.dtype(np.complex128),
    ):
        raise ValueError(
            f"low_dtype={low_dtype!r} is not supported: the factorization runs in LAPACK/torch "
            "precisions, so use float32 (complex64 for complex matrices)."
        )
    if (npdt.kind == "c") != a_complex:
        kind = "complex" if a_complex else "real"
        raise ValueError(
            f"low_dtype={low_dtype!r} does not match the {kind} matrix; use the {kind} dtype of that precision."
        )
    if not unit_roundoff(npdt) > unit_roundoff(work):
        raise ValueError(
            f"low_dtype={low_dtype!r} is not lower than the working precision {dtype_name(work)}; "
            "use float32 (complex64), or precision='fixed'."
        )
    return _torch_dtype(npdt) if torch_input else npdt


# ============================================================================ refine


def refine(
    a: Any,
    b: Any,
    x0: Any = None,
    *,
    factorization: Factorization | None = None,
    precision: str = "mixed",
    method: str = "classic",
    tol: float | None = None,
    maxiter: int | None = None,
    residual: str = "working",
    assume: str = "auto",
    low_dtype: Any = None,
    check_finite: bool = True,
    return_report: bool = False,
) -> Any:
    r"""Solve ``A x = b`` to working accuracy by iterative refinement.

    Starting from a solution computed with a factorization of ``A``, repeat
    ``r = b - A x``, solve ``A d = r`` with the factorization, ``x = x + d``,
    until the normwise backward error is at the rounding level.

    ==================  ==========================================================
    ``precision``       the factorization
    ==================  ==========================================================
    ``"mixed"``         of a float32 (complex64) copy of a float64 (complex128)
                        ``A``, chosen by :func:`pivotal.factorize` (LU,
                        Cholesky, LDL, ...); the corrections are solved in
                        float32 with the residual scaled to avoid over/underflow.
                        Falls back to a working-precision factorization when
                        refinement does not converge (``kappa(A)`` beyond about
                        ``1e7``-``1e8`` for ``method="classic"``).
    ``"fixed"``         in the working precision
    ==================  ==========================================================

    Parameters
    ----------
    a : (N, N) array_like
        NumPy array or PyTorch tensor (CPU or CUDA).  One matrix: batches
        ``(..., N, N)`` are not supported.
    b : (N,) or (N, K) array_like
        Right-hand side(s), of the backend of ``a``.
    x0 : (N,) or (N, K) array_like, optional
        Starting solution; default: solve with the factorization.
    factorization : Factorization, optional
        A pivotal factorization of ``a`` (of any precision) to use instead of
        factoring.  ``precision`` is then inferred: ``"mixed"`` when its dtype
        is lower than the working dtype, else ``"fixed"``
        (``precision="fixed"`` with a lower-precision factorization is an
        error).  ``assume`` applies to a fallback factorization only.
    precision : {"mixed", "fixed"}, optional
    method : {"classic", "gmres"}, optional
        ``"classic"``: ``d = F^{-1} r``.  ``"gmres"``: GMRES-IR, each
        correction solved by GMRES on ``M^{-1} A d = M^{-1} r`` with the
        factors applied in working precision as the preconditioner ``M^{-1}``
        (relative tolerance ``100 sqrt(u)``, about ``1e-6`` in float64, and at
        most ``min(N, 100)`` iterations, no restarts).  Each GMRES iteration
        costs a product with ``A`` and a working-precision solve with the
        factors (copied once to the working dtype).  With float32 factors it
        typically converges for ``kappa(A)`` up to about ``1e10``, as long
        as GMRES converges within its iteration cap; matrices with most
        singular values below ``u_32 ||A||`` defeat it, and ``refine`` then
        falls back.
    tol : float, optional
        Stopping threshold, default the working unit roundoff ``u``
        (``1.1e-16`` for float64).  With ``residual="working"``: stop when
        the normwise backward error
        ``max_j ||r_j||_inf / (||A||_inf ||x_j||_inf + ||b_j||_inf)`` is at
        most ``tol`` (LAPACK ``xGERFS``'s target), or when a correction is
        below ``u ||x||_inf``.  With ``residual="extended"``: stop when the
        relative correction ``max_j ||d_j||_inf / ||x_j||_inf`` (an estimate
        of the forward error) is at most ``tol`` or stops halving.  The
        iteration also ends when the backward error stops halving over two
        corrections and after ``maxiter`` corrections; it counts as
        converged when the backward error is then at most ``(N + 1) u`` and
        ``A`` is not ill-conditioned to working precision (see Warns).
        So converged solutions have backward error ``<= (N + 1) u`` and
        forward error of order ``kappa(A) u < 1`` (of order ``u`` with
        extended residuals).
    maxiter : int, optional
        Largest number of corrections (per phase): default 30 for
        ``"classic"`` (LAPACK ``xSGESV``'s ``ITERMAX``; each costs ``O(N^2)``
        and a non-converging iteration is stopped early by the tests above)
        and 10 outer iterations for ``"gmres"``.
    residual : {"working", "extended"}, optional
        Compute ``r = b - A x`` in the working precision (BLAS), or in about
        twice it: compensated dot products (Dot2: TwoProd and TwoSum, Ogita,
        Rump and Oishi 2005, vectorised over rows and summed pairwise), or
        float64 BLAS for float32 data.  Extended residuals make the forward
        error of order ``u`` for ``kappa(A) u < 1`` (Moler 1967); they cost
        several working-precision residuals each, still ``O(N^2)``.
    assume : str, optional
        Structure hint passed to :func:`pivotal.factorize` (``"auto"``
        detects it).
    low_dtype : dtype, optional
        The factorization dtype of ``precision="mixed"``: float32 (default
        for float64) or complex64 (for complex128); it must be lower than the
        working precision.
    check_finite : bool, optional
        Check ``a``, ``b`` and ``x0`` for NaN/Inf.
    return_report : bool, optional
        Also return a :class:`RefinementReport`.

    Returns
    -------
    x : array, shape of ``b``
        In the working dtype: the promotion of ``a``'s and ``b``'s (float64
        or complex128 for float64 data; float32 data works with
        ``precision="fixed"``).
    report : RefinementReport
        With ``return_report=True``.

    Raises
    ------
    ValueError
        Bad options, shapes, ``low_dtype`` not lower than the working
        precision, or NaN/Inf with ``check_finite``.
    SingularMatrixError
        The working-precision factorization (or the given one) is singular.
    TypeError
        Mixed backends, or a factorization of another backend.

    Warns
    -----
    LinAlgWarning
        When refinement in working precision does not converge; the best
        iterate is returned and ``report.converged`` is False.
    IllConditionedWarning
        The error policy of :func:`pivotal.solve`: the estimated ``rcond``
        (``report.rcond``, in the working precision) is below machine
        epsilon, and the forward error bound of the refined ``x`` (LAPACK
        ``xGERFS``'s FERR) is not below 1 -- the small backward error then
        certifies nothing about ``x`` (``kappa(A) u >= 1``; e.g. Hilbert
        matrices from order 12).  ``report.converged`` is False.  A matrix
        with ``rcond < eps`` but a modest componentwise condition number
        (badly scaled rows) gets FERR below 1 and no warning: its ``x`` is
        certified.

    Notes
    -----
    The low-precision factorization's own ill-conditioning warning is not
    raised (its factors are applied through the internal solve, which skips
    the condition estimate): an rcond below float32's epsilon is expected
    for ``kappa(A) > 1e7`` and refinement decides whether the answer is good.
    ``report.rcond`` estimates ``A``'s conditioning in the working precision:
    from working-precision factors directly (LAPACK ``xGECON``'s estimate,
    computed once per factorization); from float32 factors of ``M = A + E``
    when ``theta = n u_32 / rcond(M) < 1/2`` (then ``rcond(A)`` is within a
    factor ``1 +- theta`` of it); else from ``rcond(M)`` and the contraction
    ``rho <= 1/2`` of float32 refinement measured on ``A v = 0`` from a
    random ``v`` (a few ``O(N^2)`` steps; ``rcond(A)`` is then within a
    factor ``(1 +- rho) / (1 -+ rho)`` of ``rcond(M)``; the probe also
    catches a near-null vector of ``A``, which refinement of ``A x = b``
    cannot see); otherwise by the same estimator on GMRES solves in the
    working precision (a few solves).
    A matrix outside float32's range (entries of 1e40, or of 1e-60, which
    a float32 copy would flush to zero) is copied as ``2**e A``, exactly
    scaled into float32's safe range, and the factorization carries ``e``
    (:mod:`pivotal.factorizations.scaling`).  On nearly subnormal data the
    attainable backward error includes what gradual underflow costs in the
    residual, ``(N + 1) lambda / (||A|| ||x|| + ||b||)`` with ``lambda`` the
    smallest subnormal number; refinement stops there.
    Fallbacks (``report.fallback`` says why) happen when the low-precision
    factorization fails (singular or not positive definite in float32), when
    ``||A||_inf`` overflows, or when refinement does not converge; the
    working-precision factorization then starts afresh from its own solution.

    Cost of ``precision="mixed"`` on a dense general NumPy matrix: one pass
    for ``||A||_inf`` (LAPACK ``xLANGE``, which doubles as the NaN/Inf
    check), a float32 copy, LAPACK ``sgetrf`` (structure detection is
    skipped when the corner entries and first row/column already rule out
    every special structure), and ``O(N^2)`` per correction: BLAS ``dgemv``
    for the residual and two float32 triangular solves; the certificate
    adds the float32 factors' condition estimate and, for ``kappa_1(A)``
    above ``1 / (2 N u_32)``, a few more such steps.

    References
    ----------
    .. [1] J. H. Wilkinson, *Rounding Errors in Algebraic Processes*,
       Prentice-Hall, 1963.
    .. [2] C. B. Moler, "Iterative refinement in floating point", J. ACM
       14(2), 316-321, 1967.
    .. [3] R. D. Skeel, "Iterative refinement implies numerical stability for
       Gaussian elimination", Math. Comp. 35(151), 817-832, 1980.
    .. [4] J. Langou, J. Langou, P. Luszczek, J. Kurzak, A. Buttari and
       J. Dongarra, "Exploiting the performance of 32 bit floating point
       arithmetic in obtaining 64 bit accuracy", SC'06, 2006.
    .. [5] E. Carson and N. J. Higham, "A new analysis of iterative
       refinement and its application to accurate solution of
       ill-conditioned sparse linear systems", SIAM J. Sci. Comput. 39(6),
       A2834-A2856, 2017.
    .. [6] E. Carson and N. J. Higham, "Accelerating the solution of linear
       systems by iterative refinement in three precisions", SIAM J. Sci.
       Comput. 40(2), A817-A847, 2018.
    .. [7] N. J. Higham and T. Mary, "A new preconditioner that exploits
       low-rank approximations to factorization error", SIAM J. Sci.
       Comput. 41(1), A59-A82, 2019; and "Mixed precision algorithms in
       numerical linear algebra", Acta Numerica 31, 347-414, 2022.
    .. [8] T. Ogita, S. M. Rump and S. Oishi, "Accurate sum and dot product",
       SIAM J. Sci. Comput. 26(6), 1955-1988, 2005.
    .. [9] J. Demmel, Y. Hida, W. Kahan, X. S. Li, S. Mukherjee and E. J.
       Riedy, "Error bounds from extra-precise iterative refinement", ACM
       Trans. Math. Softw. 32(2), 325-351, 2006.

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> A = pv.gallery.randsvd(200, 1e5, random_state=0)
    >>> x_true = np.ones(200); b = A @ x_true
    >>> x, rep = pv.refine(A, b, return_report=True)
    >>> rep.precision, rep.factor_dtype, rep.converged, rep.fallback
    ('mixed', 'float32', True, None)
    >>> bool(rep.backward_errors[-1] <= 201 * 2**-53)
    True
    >>> bool(np.max(np.abs(x - x_true)) <= 201 * 2**-53 * np.linalg.cond(A, np.inf))  # kappa times it
    True

    GMRES-IR keeps float32 factors useful far beyond ``1/u_32 ~ 1e7``:

    >>> A = pv.gallery.randsvd(100, 1e10, mode=2, random_state=1)
    >>> x, rep = pv.refine(A, A @ x_true[:100], method="gmres", return_report=True)
    >>> rep.converged, rep.fallback, rep.factor_dtype
    (True, None, 'float32')
    """
    _check_options(precision, method, residual, assume, tol, maxiter)
    system = _validate_system(a, b, x0, check_finite)
    precision, low = _resolve_precision(precision, low_dtype, factorization, system)
    tol = unit_roundoff(system.work) if tol is None else float(tol)
    maxiter = _DEFAULT_MAXITER[method] if maxiter is None else int(maxiter)
    if system.n == 0 or system.k == 0:
        fdt = factorization.dtype if factorization is not None else (low if low is not None else system.work)
        empty = RefinementReport(
            method, precision, dtype_name(fdt), residual, 0, [0.0], True, None, [], factorization, 1.0
        )
        return _finish(system, None, empty, return_report)
    prob = _problem(system, residual, tol, maxiter, method, check_finite)
    if precision == "mixed":
        run = _refine_mixed(prob, factorization, low, assume, system.x_init)
    else:
        run = _refine_fixed(prob, factorization, assume, system.x_init)
    _certify(prob, run)
    return _finish(system, run.outcome.x, _report(run, method, precision, residual), return_report)


# ============================================================================ refine's steps


@dataclass
class _System:
    """The validated system: ``a`` (n, n), ``b`` (n, k) copied to the working dtype ``work``."""

    a: Any
    b: Any
    x_init: Any
    n: int
    k: int
    vector: bool
    work: Any
    xp: Any


@dataclass
class _Run:
    """One refinement run: the factorization it ended with and what the iteration did."""

    F: Factorization
    outcome: _Outcome
    mixed: bool  # F is of lower precision than the working one
    bes: list[float] = field(default_factory=list)
    gmres: list[int] = field(default_factory=list)
    steps: int = 0
    fallback: str | None = None
    rcond: float = math.nan

    def record(self, out: _Outcome) -> None:
        """Append a phase's iteration (the mixed phase, then a fallback)."""
        self.outcome = out
        self.bes += out.bes
        self.gmres += out.gmres
        self.steps += out.steps


def _validate_system(a: Any, b: Any, x0: Any, check_finite: bool) -> _System:
    """Check shapes and backends; copy ``b`` (and ``x0``) to the working dtype as ``(n, k)``."""
    a_shape = getattr(a, "shape", None)
    if a_shape is not None and len(a_shape) > 2:
        raise ValueError(
            f"refine solves one system, but a has shape {tuple(a_shape)}: batches (..., N, N) are "
            "not supported; loop over the batch, or use pivotal.factorize per matrix."
        )
    a = validate_matrix(a, square=True, check_finite=False, batch=False)
    if backend_name(a) == "jax":
        raise TypeError(
            "refine needs a NumPy array or PyTorch tensor (pivotal's factorizations mutate their input)."
        )
    n = int(a.shape[0])
    b = validate_rhs(b, n, check_finite=check_finite)
    xp = namespace(a, b)
    vector = len(b.shape) == 1
    if len(b.shape) > 2:
        raise ValueError(
            f"refine solves one system: b must be (N,) or (N, K), got shape {tuple(b.shape)}; loop over a batch."
        )
    work = promote_dtypes(working_dtype(a), working_dtype(b))
    b2 = _copy(xp.reshape(b, (n, 1)) if vector else b, work)
    x_init = None
    if x0 is not None:
        x0 = validate_rhs(x0, n, "x0", check_finite=check_finite)
        if tuple(x0.shape) != tuple(b.shape):
            raise ValueError(f"x0 must have the shape of b {tuple(b.shape)}, got {tuple(x0.shape)}.")
        namespace(a, x0)
        x_init = _copy(xp.reshape(x0, (n, 1)) if vector else x0, work)
    return _System(a, b2, x_init, n, int(b2.shape[1]), vector, work, xp)


def _resolve_precision(precision: str, low_dtype: Any, F: Factorization | None, system: _System):
    """``(precision, low)``: inferred from a given factorization, else the low dtype of ``"mixed"``."""
    work = system.work
    if F is None:
        if precision == "mixed":
            return precision, _resolve_low_dtype(low_dtype, system.a, work)
        if low_dtype is not None:
            raise ValueError("low_dtype applies to precision='mixed' only; drop it or use precision='mixed'.")
        return precision, None
    if not isinstance(F, Factorization):
        raise TypeError(
            "factorization must be a pivotal Factorization (e.g. pivotal.factorize(A) or "
            f"pivotal.LU(A.astype(np.float32))), got {type(F).__name__}."
        )
    if tuple(F.shape) != (system.n, system.n):
        raise ValueError(
            f"the factorization is of a {F.shape} matrix, but a has shape {tuple(system.a.shape)}."
        )
    F._check_backend(system.b)
    lower = unit_roundoff(F.dtype) > unit_roundoff(work)
    if precision == "fixed" and lower:
        raise ValueError(
            f"precision='fixed' but the factorization is in {dtype_name(F.dtype)}, "
            f"lower than the working {dtype_name(work)}; drop precision (it is inferred) or pass "
            "a working-precision factorization."
        )
    if low_dtype is not None and _numpy_dtype(low_dtype) != _numpy_dtype(F.dtype):
        raise ValueError(
            f"low_dtype={low_dtype!r} conflicts with the factorization's dtype "
            f"{dtype_name(F.dtype)}; drop low_dtype."
        )
    return ("mixed", F.dtype) if lower else ("fixed", None)


def _problem(system: _System, residual: str, tol: float, maxiter: int, method: str, check_finite: bool):
    """The :class:`_Problem`: ``A`` in the working precision and its norm (which is also the NaN/Inf check)."""
    a, work = system.a, system.work
    if a.dtype == work or (not is_complex(a.dtype) and real_dtype(work) == a.dtype):
        a_work = a  # a real matrix stays real with a complex right-hand side
    else:
        a_work = astype(a, work if is_complex(a.dtype) else real_dtype(work))
    anorm = _norm_inf(a_work, check_finite)
    u = unit_roundoff(work)
    return _Problem(
        a_work, system.b, anorm, _colmax(system.b), system.n, work, u, residual, tol, maxiter, method
    )


def _refine_fixed(prob: _Problem, F: Factorization | None, assume: str, x_init: Any) -> _Run:
    """Working-precision factors (given, or factored now), then the iteration."""
    if F is None:
        F = factorize(prob.a, assume=assume, check=True, check_finite=False)
    else:
        F._raise_if_failed("refine a solution")
    x = x_init if x_init is not None else _apply_inverse(F, prob.b, prob.dtype)
    out = _iterate(prob, F, False, x)
    run = _Run(F, out, mixed=False)
    run.record(out)
    return run


def _refine_mixed(prob: _Problem, F: Factorization | None, low: Any, assume: str, x_init: Any) -> _Run:
    """Low-precision factors first; a working-precision factorization when they fail or stall."""
    fallback = None
    if F is None:
        F, fallback = _low_factorization(prob.a, prob.anorm, low, assume)
    elif not F.issuccess():
        fallback = f"the given {dtype_name(F.dtype)} factorization failed (info={F.info})"
    run = None
    if fallback is None:
        x = x_init if x_init is not None else low_precision_solve(F, prob.b, prob.dtype)
        out = _iterate(prob, F, True, x)
        run = _Run(F, out, mixed=True)
        run.record(out)
        if out.converged:
            return run
        fallback = f"mixed-precision refinement ({dtype_name(F.dtype)} factors) did not converge: {run.outcome.failure}"
    G = factorize(prob.a, assume=assume, check=True, check_finite=False)
    G.path = [*getattr(G, "path", []), f"refine fallback: {fallback}"]
    out = _iterate(prob, G, False, _apply_inverse(G, prob.b, prob.dtype))
    if run is None:
        run = _Run(G, out, mixed=False)
    run.F, run.mixed, run.fallback = G, False, fallback
    run.record(out)
    return run


def _certify(prob: _Problem, run: _Run) -> None:
    """Apply the error policy to the refined solution: ``converged`` says the answer has correct digits.

    * The iteration failed: ``LinAlgWarning`` (the best iterate is returned).
    * Otherwise the backward error is at the rounding level, which bounds
      the forward error by about ``kappa(A) (n + 1) u``.  When the estimated
      ``rcond`` (in the working precision, :func:`_working_rcond`) is below
      machine epsilon that bound says nothing, and LAPACK's forward error
      bound ``FERR`` (``xGERFS``: ``|| |A^{-1}| (|r| + (n+1) u (|A||x| + |b|)) ||
      / ||x||``, estimated with solves) decides: below 1, ``x`` is certified
      (a badly scaled ``A`` whose componentwise condition is modest); else
      ``IllConditionedWarning`` with ``rcond``, and ``converged`` is False.
    """
    out = run.outcome
    run.rcond = _working_rcond(prob, run)
    if not out.converged:
        warn_user(
            LinAlgWarning(
                f"iterative refinement did not converge: {out.failure}. The best iterate "
                f"(backward error {min(out.bes):.3g}) is returned; the matrix may be singular "
                "to working precision."
            )
        )
        return
    if run.rcond >= 2 * prob.u:
        return
    ferr = _forward_error_bound(prob, run)
    if ferr < 1:
        return
    out.converged = False
    warn_user(
        IllConditionedWarning(
            run.rcond,
            f"ill-conditioned matrix (rcond={run.rcond:.3g}): refinement brought the backward error "
            f"to {out.bes[-1]:.2g}, but the forward error bound is {ferr:.2g} >= 1, so the solution may "
            "have no correct digits (report.converged is False). Regularise the problem, or use lstsq.",
        )
    )


def _working_rcond(prob: _Problem, run: _Run) -> float:
    """Estimated ``rcond(A)`` in the 1-norm, valid in the working precision.

    Working-precision factors: their estimate (cached, shared with
    :func:`pivotal.solve`).  Low-precision factors ``M = P^T L U`` (as
    real numbers) of ``A``: write ``A = M (I - G)`` with
    ``G = M^{-1} (M - A)``, the operator that maps the error of a solution
    to the error after one step of classical refinement with ``M``
    (Higham 2002, sec. 12.1; Carson and Higham 2018, sec. 3).  When
    ``||G|| <= rho < 1``, ``||A^{-1}|| <= ||M^{-1}|| / (1 - rho)`` and
    ``||A|| <= ||M|| (1 + rho)``, so::

        rcond(A) >= rcond(M) (1 - rho) / (1 + rho),

    and ``rcond(A) <= rcond(M) (1 + rho) / (1 - rho)`` likewise.  Three ways
    to know ``rho``, cheapest first:

    1. ``theta = n u_low / rcond(M) < 1/2``: the backward error bound of
       the factorization, ``||M - A|| <~ n u_low ||A||`` (Higham 2002,
       Thm. 9.3, normwise), gives ``||G|| <= theta``: ``rcond(M)`` is
       ``rcond(A)`` to within ``1 +- theta``.
    2. :func:`_probe_contraction` measures ``G`` on a random vector
       (a few ``O(n^2)`` steps like refinement's own); ``rcond(M) (1 - rho)
       / (1 + rho)`` with the largest ratio ``rho <= 1/2`` it saw.  Most
       matrices with ``kappa_1(A)`` between ``1 / (2 n u_low)`` and about
       ``0.1 / u_low`` end here.
    3. Otherwise (``G`` did not contract on the probe: ``kappa(A) u_low``
       near 1 or beyond, the GMRES-IR regime) the Hager-Higham estimator
       runs on GMRES solves in the working precision.
    """
    F = run.F
    rc = F.rcond()
    if not run.mixed:
        return rc
    theta = prob.n * unit_roundoff(F.dtype) / rc if rc > 0 else math.inf
    if theta < 0.5:
        return rc
    rho = _probe_contraction(prob, F) if rc > 0 else None
    if rho is not None:
        return rc * (1.0 - rho) / (1.0 + rho)
    est = inv_onenormest(*_gmres_solvers(prob, F), prob.n, dtype=prob.dtype, like=prob.b)
    return rcond_from(_norm_inf(prob.a.T, False), est, n=prob.n)


def _probe_contraction(prob: _Problem, F: Factorization) -> float | None:
    """The contraction of classical refinement with the low-precision ``F``, measured; ``None`` if above 1/2.

    Why refinement's own convergence does not tell: a near-null vector
    ``z`` of ``A`` (``A z = sigma w``, ``sigma <= eps ||A||``) is a
    near-fixed point of ``G`` (``G z = z - sigma M^{-1} w``), so an error
    along ``z`` is never corrected, and refinement cannot see it: the
    residual is ``A e ~ 0`` along ``z`` and so are the corrections
    ``d = (I - G) e``.  Backward errors and corrections then converge as if
    ``A`` were well conditioned (``randsvd(300, 1e16, mode=2)``: backward
    error ``u`` after 2 corrections, float32 ``rcond(M) = 2e-9``, while
    ``rcond(A) ~ 4e-19``).

    The probe refines ``A v = 0`` from a random ``v_0``, whose error is
    ``v`` itself: ``v_{k+1} = v_k - M^{-1} (A v_k)``, i.e. ``G`` applied with
    the same low-precision solves as refinement (their rounding errors are
    those of a slightly different ``M``, Higham 2002, Thm. 9.4; the column
    scaling of :func:`low_precision_solve` keeps the ratios exact as ``v``
    shrinks).  It succeeds when ``||v_k||_2 <= tau ||v_0||_2`` with
    ``tau = 2**-20 / sqrt(n)`` and every step's ratio at most 1/2, and
    returns the largest ratio.  An eigenvalue ``lambda`` of ``G`` with
    ``|lambda| >= 1/2`` keeps the component ``c`` of ``v_0`` on its
    eigenvector ``z`` (unit) from decaying faster than ``2**-k``; ``c =
    l^H v_0 / l^H z`` (``l`` the left eigenvector) is at least
    ``|l^H v_0| / ||l||``, a standard normal for a Gaussian ``v_0``, against
    ``||v_0|| ~ sqrt(n)``.  So such an eigenvalue (in particular the
    ``lambda ~ 1`` of a near-null vector) escapes the probe only when that
    normal is below about ``2**-20``: probability ``< 2**-20 sqrt(2/pi)
    < 1e-6`` (the seed is fixed, so the answer is reproducible).  Like the
    1-norm estimators LAPACK uses, this is an estimate that contrived
    matrices could defeat (Higham 2002, sec. 15.3), not a bound.
    """
    n = prob.n
    host = np.random.default_rng(_PROBE_SEED).standard_normal((n, 1))
    if is_complex(prob.a.dtype):
        host = (host + 1j * np.random.default_rng(_PROBE_SEED + 1).standard_normal((n, 1))) / math.sqrt(2)
    v = _from_host(host, prob.b, prob.a.dtype)
    norm0 = norm = _nrm2(v)
    target = norm0 * 2.0**-20 / math.sqrt(n)
    rho = 0.0
    for step in range(1, _PROBE_MAX_STEPS + 1):
        v = v - low_precision_solve(F, _matmul(prob.a, v), v.dtype)
        new = _nrm2(v)
        if not math.isfinite(new):
            return None
        ratio = new / norm
        rho = max(rho, ratio)
        if rho > _PROBE_MAX_RATIO:
            return None
        if new <= target:
            return rho
        if new * rho ** (_PROBE_MAX_STEPS - step) > target:
            return None  # at the rate seen so far, the remaining steps cannot reach the target
        norm = new
    return None


def _forward_error_bound(prob: _Problem, run: _Run) -> float:
    """LAPACK's FERR of the returned ``x`` (worst column), with working-precision solves."""
    x = run.outcome.x
    xp = namespace(x)
    r = prob.residual_of(x)
    w = ferr_weights(xp, prob.a, x, prob.b, r)
    bounds = ferr_columns(*_working_solvers(prob, run), xp, w, x)
    return float(np.max(np.asarray(bounds, dtype=np.float64)))  # NaN propagates


def _working_solvers(prob: _Problem, run: _Run):
    """``(X -> A^{-1} X, X -> A^{-H} X)`` in the working precision, from the run's factors."""
    if run.mixed:
        return _gmres_solvers(prob, run.F)
    F, dtype = run.F, prob.dtype

    def solve(X):
        return _apply_inverse(F, X, dtype, 0)

    def solve_h(X):
        return _apply_inverse(F, X, dtype, 2)

    return solve, solve_h


def _report(run: _Run, method: str, precision: str, residual: str) -> RefinementReport:
    return RefinementReport(
        method=method,
        precision=precision,
        factor_dtype=dtype_name(run.F.dtype),
        residual=residual,
        steps=run.steps,
        backward_errors=[float(v) for v in run.bes],
        converged=bool(run.outcome.converged),
        fallback=run.fallback,
        gmres_iterations=run.gmres if method == "gmres" else [],
        factorization=run.F,
        rcond=run.rcond,
    )


def _finish(system: _System, x2: Any, report: RefinementReport, return_report: bool):
    """``x`` in the shape of ``b`` (zeros when ``x2`` is None: an empty system), with the report on request."""
    if x2 is None:
        x2 = system.xp.zeros(
            (system.n, system.k), dtype=system.work, device=array_api_compat.device(system.b)
        )
    x = system.xp.reshape(x2, (system.n,)) if system.vector else x2
    return (x, report) if return_report else x


def _low_factorization(
    a: Any, anorm: float, low: Any, assume: str
) -> tuple[Factorization | None, str | None]:
    """Cast ``2**e a`` to ``low`` and factor it; ``(F, None)``, or ``(None, reason)`` for a fallback.

    ``e`` brings ``||A||_inf`` inside the safe range of ``low``
    (:func:`pivotal.factorizations.scaling.factor_exponent`), so that the
    cast neither overflows nor flushes a tiny ``A`` to zero; the factors are
    those of ``2**e A`` and ``F._scale`` says so (solves with ``F`` give
    solutions of ``A x = b``).
    """
    if not math.isfinite(anorm):
        return None, (
            f"||A||_inf overflows in {dtype_name(real_dtype(a.dtype))}; factored in the working "
            "precision instead"
        )
    e = factor_exponent(anorm, low)
    a_low = _copy(ldexp(a, e), low)
    if assume == "auto" and _surely_general(a_low):
        F = LU(a_low, overwrite_a=True, check=False, check_finite=False)
        F.path = [
            "general (quick check: corner entries nonzero, first row != first column)",
            "general square: lu (partial pivoting)",
            f"lu ({F.algorithm})",
        ]
    else:
        F = factorize(a_low, assume=assume, check=False, check_finite=False)
    F._scale += e  # F factors 2^F._scale a_low = 2^(F._scale + e) A
    if not F.issuccess():
        idx = F._failure_index()
        return None, (
            f"the {dtype_name(low)} {type(F).__name__} factorization failed at index {idx} "
            f"(singular or not positive definite in {dtype_name(low)})"
        )
    return F, None


def _surely_general(a: Any) -> bool:
    """True when ``factorize``'s decision table must choose LU for ``a`` (cheap, exact test).

    Nonzero ``a[n-1, 0]`` and ``a[0, n-1]`` make both bandwidths ``n - 1``
    (not diagonal, triangular or banded), and a first row that differs from
    the first column (and from its conjugate) rules out symmetry and
    Hermitian symmetry: what is left is LU.  Saves ``detect_structure``'s
    full passes over a large dense matrix.
    """
    n = a.shape[0]
    if n < 2:
        return False
    corners = to_numpy(a[n - 1 : n, 0:1])[0, 0], to_numpy(a[0:1, n - 1 : n])[0, 0]
    if corners[0] == 0 or corners[1] == 0:
        return False
    row = to_numpy(a[0, :])
    col = to_numpy(a[:, 0])
    if np.array_equal(row, col):
        return False
    return not (np.iscomplexobj(row) and np.array_equal(row, np.conj(col)))
