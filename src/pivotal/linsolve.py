"""Square linear systems: ``solve``, ``inv``, ``det``, ``slogdet`` and the :class:`SolveReport`.

``solve`` is :func:`scipy.linalg.solve` with the same signature, defaults,
batching and errors, driven by pivotal's decision table
(:func:`pivotal.factorize`), plus two keyword-only extras:

``refine=``
    ``"auto"`` (default) checks the normwise backward error of the answer
    (one extra residual) and refines in working precision only when the
    solve was not backward stable (``eta > (n+1) u``, e.g. after large pivot
    growth); ``False`` never refines; ``True`` always refines in working
    precision; ``"mixed"`` factors in single precision and refines to
    double-precision accuracy (:func:`pivotal.refine`), falling back to a
    double-precision factorization when refinement cannot converge.
``return_report=``
    With ``True``, return ``(x, SolveReport)``: the factorization and the
    path that chose it, the estimated ``rcond``, the normwise and
    componentwise backward errors, a forward-error bound and the
    refinement taken.

Error policy
------------
================================== ======================= ======================= =====================
situation                          MATLAB ``A\\b``          ``scipy.linalg.solve``  ``pivotal.solve``
================================== ======================= ======================= =====================
exactly singular (zero pivot)      warning, Inf/NaN result ``LinAlgError``         ``SingularMatrixError``
                                                                                   (index of the pivot)
all-zero matrix                    warning, Inf result     ``LinAlgError``         ``SingularMatrixError``
                                                                                   (index 0)
``rcond < eps`` (or NaN)           warning with rcond      ``LinAlgWarning`` with  ``IllConditionedWarning``
                                                           rcond                   (``.rcond``, remedy)
not positive definite with         error (``chol``)        ``LinAlgError``         ``NotPositiveDefiniteError``
``assume_a="pos"``                                                                 (index of the column)
NaN/Inf input, ``check_finite``    NaN result              ``ValueError``          ``ValueError``
non-square / shape mismatch        error                   ``ValueError``          ``ValueError`` with fix
================================== ======================= ======================= =====================

Both pivotal exceptions subclass ``numpy.linalg.LinAlgError`` and the
warning subclasses ``scipy.linalg.LinAlgWarning``, so code written for SciPy
catches them unchanged.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

import numpy as np

from ._array import (
    apply_over_batch,
    as_array,
    astype,
    backend_name,
    check_finite_or_raise,
    dtype_name,
    from_numpy,
    is_complex,
    is_scipy_sparse,
    namespace,
    real_dtype,
    result_dtype,
    to_numpy,
    unit_roundoff,
    validate_matrix,
    validate_rhs,
    working_copy,
    wrap_like,
)
from ._effective import effective_matrix, swap_last
from ._scaling import safe_range, scaled_product
from .autodiff import needs_rule
from .errors import IllConditionedWarning, SingularMatrixError, warn_user

__all__ = ["ASSUME_A", "REFINE", "SlogdetResult", "SolveReport", "det", "inv", "slogdet", "solve"]

# SciPy's assume_a spellings (and pivotal's own names) -> factorize's assume=.
ASSUME_A = {
    None: "auto",
    "auto": "auto",
    "general": "general",
    "gen": "general",
    "diagonal": "diagonal",
    "tridiagonal": "tridiagonal",
    "banded": "banded",
    "upper triangular": "upper triangular",
    "lower triangular": "lower triangular",
    "triangular": "triangular",
    "pos": "positive definite",
    "positive definite": "positive definite",
    "sym": "symmetric",
    "symmetric": "symmetric",
    "her": "hermitian",
    "hermitian": "hermitian",
}
REFINE = ("auto", False, True, "mixed")


@dataclass(frozen=True)
class SolveReport:
    """How :func:`solve` solved ``A x = b``, and how accurate ``x`` is.

    Attributes
    ----------
    method : str
        The factorization used last (``"LU"``, ``"Cholesky"``, ``"LDL"``, ...).
    path : list of str
        Every decision taken and why (structure detected, fall-backs,
        refinement).
    rcond : float
        Estimated reciprocal condition number in the 1-norm (of the
        factorization used; for ``refine="mixed"`` the single-precision one).
    backward_error : float
        Normwise (Rigal-Gaches) backward error ``||r||_inf / (||A||_inf
        ||x||_inf + ||b||_inf)``.
    componentwise_backward_error : float
        Componentwise (Oettli-Prager) backward error, LAPACK's ``BERR``.
    forward_error_bound : float
        Bound on ``||x - x_true||_inf / ||x||_inf`` (LAPACK's ``FERR``).
    refinement : str or None
        ``None`` when ``x`` was not refined, else e.g. ``"fixed"`` or
        ``"mixed"``; a fall-back is recorded in ``path``.
    refinement_steps : int
        Corrections applied.
    residual_norm : float
        ``||b - A x||_inf``.
    dtype : str
        dtype of ``x``.
    factor_dtype : str
        dtype of the factors.
    batch_size : int
        Number of systems summarised: for a batch every number is the worst
        case (largest error, smallest rcond) and ``path`` is the first
        system's.

    All error measures are the worst case over the columns of ``b``.
    """

    method: str
    path: list[str]
    rcond: float
    backward_error: float
    componentwise_backward_error: float
    forward_error_bound: float
    refinement: str | None
    refinement_steps: int
    residual_norm: float
    dtype: str
    factor_dtype: str
    batch_size: int = 1
    _extra: dict = field(default_factory=dict, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict of the fields (floats stay floats, inf included)."""
        d = asdict(self)
        d.pop("_extra")
        d["path"] = list(self.path)
        return d

    def __str__(self) -> str:
        rows = [
            ("method", self.method),
            ("path", " -> ".join(self.path)),
            ("rcond", f"{self.rcond:.3g}"),
            ("backward error (normwise)", f"{self.backward_error:.3g}"),
            ("backward error (componentwise)", f"{self.componentwise_backward_error:.3g}"),
            ("forward error bound", f"{self.forward_error_bound:.3g}"),
            ("refinement", f"{self.refinement or 'none'} ({self.refinement_steps} steps)"),
            ("residual norm", f"{self.residual_norm:.3g}"),
            ("dtype (factors)", f"{self.dtype} ({self.factor_dtype})"),
        ]
        width = max(len(k) for k, _ in rows)
        return "SolveReport\n" + "\n".join(f"  {k:<{width}}  {v}" for k, v in rows)


class SlogdetResult(NamedTuple):
    """``(sign, logabsdet)``, as ``numpy.linalg.slogdet`` returns."""

    sign: Any
    logabsdet: Any


# ----------------------------------------------------------------------------- factoring
class UnknownStructureError(ValueError, KeyError):
    """``assume_a`` names no structure: ``scipy.linalg.solve`` raises ``ValueError`` here, ``inv`` ``KeyError``."""

    __str__ = ValueError.__str__  # not KeyError's quoted repr


def _check_assume(assume_a: Any) -> str:
    try:
        return ASSUME_A[assume_a]
    except (KeyError, TypeError):
        names = sorted(k for k in ASSUME_A if k is not None)
        raise UnknownStructureError(
            f"assume_a={assume_a!r} is not a recognized matrix structure; use one of {names} or None."
        ) from None


def _transposed_structure(assume: str, lower: bool, complex_: bool) -> tuple[bool, str, bool]:
    """``(transpose, assume, lower)`` that solve ``A^T x = b`` for the structure ``assume`` of ``A``.

    The matrix a structure solves with (:func:`effective_matrix`) is built
    from one triangle of ``a``; after ``a -> a^T`` that triangle is the other
    one.  Symmetric effective matrices (real ``sym``/``her``/``pos``, complex
    ``sym``) equal their transpose: nothing to do.
    """
    if assume == "symmetric" or (assume in ("hermitian", "positive definite") and not complex_):
        return False, assume, lower
    if assume in ("hermitian", "positive definite"):
        return True, assume, not lower
    swap = {"upper triangular": "lower triangular", "lower triangular": "upper triangular"}
    return True, swap.get(assume, assume), lower


def factor_for_solve(a: Any, assume: str, lower: bool, overwrite_a: bool = False):
    """Factor a square 2-D ``a`` for solving: ``(factorization, path)``, unchecked (``check=False``).

    With ``overwrite_a`` (the caller checked that ``a`` is a writable NumPy
    array of the working dtype) LU factors ``a`` in its own memory, as
    SciPy's ``overwrite_a=True`` allows; Cholesky and LDL get the permission.
    """
    from .factorizations import (
        LDL,
        LU,
        Banded,
        Cholesky,
        Diagonal,
        Triangular,
        factorize,
        select_factorization,
    )

    xp = namespace(a)
    if overwrite_a and assume in ("auto", "general"):
        sel = select_factorization(a, assume=assume)
        if sel.factorization == "LU":
            # getrf works in place on Fortran order; pivotal's kernel on C order (a transposed a).
            method = "auto" if a.flags.f_contiguous else "kernel"
            F = LU(a, overwrite_a=True, method=method, check=False, check_finite=False)
            return F, [*sel.reasons, f"lu ({F.algorithm}), in place (overwrite_a)"]
    if assume in ("auto", "general", "banded") or (assume == "triangular"):
        F = factorize(a, assume=assume, check=False, check_finite=False)
        return F, list(F.path)
    if assume == "diagonal":
        F = Diagonal(_diag_from(xp.linalg.diagonal(a), a), check=False, check_finite=False)
        return F, ["assume_a='diagonal': divide by the diagonal (other entries ignored)"]
    if assume == "tridiagonal":
        if backend_name(a) == "numpy":
            F = Banded(a, lower_bandwidth=1, upper_bandwidth=1, check=False, check_finite=False)
            return F, ["assume_a='tridiagonal': lapack gbtrf, kl = ku = 1 (other entries ignored)"]
        band = xp.triu(xp.tril(a, k=1), k=-1)
        return LU(band, check=False, check_finite=False), ["assume_a='tridiagonal': lu of the band (torch)"]
    if assume in ("upper triangular", "lower triangular"):
        low = assume.startswith("lower")
        F = Triangular(a, lower=low, check=False, check_finite=False)
        return F, [f"assume_a={assume!r}: substitution"]
    side = "lower" if lower else "upper"
    if overwrite_a:
        side += ", in place (overwrite_a)"
    if assume == "positive definite":
        F = Cholesky(a, lower=lower, check=False, check_finite=False, overwrite_a=overwrite_a)
        return F, [f"assume_a='positive definite': cholesky ({F.algorithm}, {side} triangle)"]
    hermitian = assume == "hermitian" or not is_complex(a.dtype)
    F = LDL(a, lower=lower, hermitian=hermitian, check=False, check_finite=False, overwrite_a=overwrite_a)
    return F, [f"assume_a={assume!r}: ldl ({F.algorithm}, {side} triangle)"]


def _diag_from(d: Any, like: Any) -> Any:
    """The diagonal matrix of ``d`` in ``like``'s backend and dtype."""
    if backend_name(like) == "torch":
        import torch

        return torch.diag_embed(d.to(like.dtype))
    return np.diag(d).astype(like.dtype, copy=False)


def _transpose(a: Any) -> Any:
    return a.mT if backend_name(a) == "torch" else a.T


# ----------------------------------------------------------------------------- solve
def solve(
    a: Any,
    b: Any,
    lower: bool = False,
    overwrite_a: bool = False,
    overwrite_b: bool = False,
    check_finite: bool = True,
    assume_a: str | None = None,
    transposed: bool = False,
    *,
    refine: Any = "auto",
    return_report: bool = False,
):
    """Solve ``a @ x = b`` for square ``a`` (SciPy-compatible), choosing the factorization.

    Parameters
    ----------
    a : (..., N, N) array_like
        NumPy array, PyTorch tensor (CPU or CUDA) or JAX array.
    b : (N,) or (..., N, K) array_like
        Right-hand side(s); a 1-D ``b`` is a single vector (also for a batch
        of matrices, as in SciPy).
    lower : bool, optional
        With ``assume_a`` ``"sym"``, ``"her"`` or ``"pos"``: use the lower
        (True) or upper (False, SciPy's default) triangle of ``a`` only.
    overwrite_a, overwrite_b : bool, optional
        As in SciPy: with ``overwrite_a``, a general (LU-factored) 2-D
        Fortran-ordered writable NumPy ``a`` of the working dtype
        (float32/64, complex64/128) is factored in its own memory, and
        ``assume_a="pos"``/``"sym"``/``"her"`` hand the permission on to
        :class:`pivotal.Cholesky`/:class:`pivotal.LDL`; with ``overwrite_b``,
        ``x`` is returned in the memory of such a ``b`` (1-D or 2-D).  Other
        inputs are left intact.  The refinement check of ``refine="auto"``
        and the report need ``a``, so they keep a copy of an overwritten
        ``a``: only ``refine=False`` saves its memory.
    check_finite : bool, optional
        Raise ``ValueError`` for NaN/Inf in ``a`` or ``b``.
    assume_a : str, optional
        ``None`` (detect the structure, see :func:`pivotal.factorize`),
        ``"general"``/``"gen"``, ``"diagonal"``, ``"tridiagonal"``,
        ``"banded"``, ``"upper triangular"``, ``"lower triangular"``,
        ``"sym"``/``"symmetric"``, ``"her"``/``"hermitian"`` or
        ``"pos"``/``"positive definite"``.
    transposed : bool, optional
        Solve ``a.T @ x = b`` (complex ``a`` is supported too, unlike SciPy).
        With a structure ``assume_a``, the structure is that of ``a``: for
        example ``"lower triangular"`` solves ``tril(a).T @ x = b``.
    refine : {"auto", False, True, "mixed"}, keyword-only
        Iterative refinement, see the module docs; ``"mixed"`` is the fast
        path for large well-to-moderately conditioned systems (and on GPU).
        A ``scipy.sparse`` ``a`` is factored by :func:`pivotal.factorize`
        (``SparseCholesky`` or ``SparseLU``, never densified); ``b`` must be
        a NumPy array and ``refine`` ``"auto"``/``True``/``False`` (fixed
        precision); the report's errors use sparse products (docs/sparse.md).
    return_report : bool, keyword-only
        Also return a :class:`SolveReport`.

    Returns
    -------
    x : array of the shape of ``b`` broadcast against ``a``'s batch.
    report : SolveReport
        Only with ``return_report=True``.

    Raises
    ------
    SingularMatrixError
        ``a`` is exactly singular (``.index`` is the zero pivot); an all-zero
        matrix raises too, it never yields inf/NaN.
    NotPositiveDefiniteError
        With ``assume_a="pos"`` on a matrix that is not positive definite.
    ValueError
        Shapes, NaN/Inf (with ``check_finite``), unknown ``assume_a`` (also
        a ``KeyError``) or ``refine``, masked arrays, and dtypes without
        arithmetic (text, objects, datetimes:
        :class:`pivotal.errors.UnsupportedDTypeError`, also a ``TypeError``).

    Warns
    -----
    IllConditionedWarning
        The estimated ``rcond`` is below machine epsilon (or NaN); the
        warning carries ``rcond`` and the remedies.

    See Also
    --------
    pivotal.factorize : factor once, solve many times.
    pivotal.refine : iterative refinement on its own.
    pivotal.lstsq : rectangular and rank-deficient systems.

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> a = np.array([[3.0, 2, 0], [1, -1, 0], [0, 5, 1]])
    >>> pv.solve(a, np.array([2.0, 4, -1]))
    array([ 2., -2.,  9.])
    >>> x, report = pv.solve(pv.gallery.hilbert(8), np.ones(8), return_report=True)
    >>> report.method, report.backward_error < 30 * 8 * 2**-53, report.forward_error_bound < 1e-4
    ('Cholesky', True, True)
    """
    if is_scipy_sparse(a):
        from .sparse.routes import solve as sparse_solve

        if lower:
            raise ValueError(
                "lower=True reads one triangle of a dense matrix; a scipy.sparse matrix is read whole, "
                "so store both triangles (A + A.T - diag) and leave lower=False."
            )

        x, fields = sparse_solve(
            a,
            b,
            check_finite=check_finite,
            assume_a=assume_a,
            transposed=transposed,
            refine=refine,
            report=return_report,
        )
        return (x, SolveReport(**fields)) if return_report else x
    if refine not in REFINE or (isinstance(refine, (int, float)) and not isinstance(refine, bool)):
        raise ValueError(f"refine={refine!r} is not one of {REFINE}.")
    assume = _check_assume(assume_a)
    b_in = b
    a, b = _scalar_as_matrix(as_array(a, "a")), as_array(b, "b")
    if len(b.shape) == 0:  # SciPy: b = atleast_1d(b)
        b = namespace(b).reshape(b, (1,))
    if len(a.shape) == 2 and a.shape == (1, 1) and _rows(b) != 1:
        return _solve_scalar(a, b, b_in, check_finite, return_report)
    a = validate_matrix(a, square=True, check_finite=check_finite, differentiable=True)
    n = int(a.shape[-1])
    b = validate_rhs(b, n, check_finite=check_finite, differentiable=True)
    if backend_name(b) != backend_name(a):
        raise TypeError(
            f"a is a {backend_name(a)} array but b is a {backend_name(b)} array; convert b to the same type."
        )
    if needs_rule(a, b):
        return _solve_routed(a, b, assume, lower, transposed, refine, return_report)
    if backend_name(a) == "jax":
        return _solve_jax(a, b, lower, assume_a, transposed, refine, return_report)
    xp = namespace(a)
    dtype = result_dtype(a, b)
    vector = len(b.shape) == 1
    b2 = xp.reshape(b, (n, 1)) if vector else b
    reports: list[dict] = []
    # SciPy's overwrite rules: 2-D, Fortran order, a LAPACK dtype (the working one), writable.
    in_place_a = len(a.shape) == 2 and _overwritable(a, dtype, overwrite_a)
    in_place_b = len(a.shape) == 2 and len(b.shape) <= 2 and _overwritable(b, dtype, overwrite_b)

    def core(a2, bb):
        return _solve_core(
            a2, bb, dtype, assume, lower, transposed, refine, return_report, reports, in_place_a
        )

    x = apply_over_batch(core, [(a, 2), (b2, 2)])
    if vector:
        x = x[..., 0]
    if in_place_b:
        b[...] = x
        x = b
    x = wrap_like(x, b_in)
    if not return_report:
        return x
    return x, _merge_reports(reports)


def _rows(b: Any) -> int:
    return int(b.shape[-1] if len(b.shape) == 1 else b.shape[-2])


def _scalar_as_matrix(a: Any) -> Any:
    """SciPy's ``atleast_2d`` for a scalar (or one-element 1-D) ``a``: a 1x1 matrix."""
    if len(a.shape) < 2 and math.prod(a.shape) == 1:
        return namespace(a).reshape(a, (1, 1))
    return a


def _overwritable(x: Any, dtype: Any, allowed: bool) -> bool:
    """SciPy's condition for working in the memory of ``x``."""
    return (
        bool(allowed)
        and isinstance(x, np.ndarray)
        and x.dtype == dtype
        and x.flags.writeable
        and x.flags.f_contiguous
        and x.size > 0
    )


def _solve_scalar(a, b, b_in, check_finite, return_report):
    """SciPy's rule for a one-element ``a`` and ``b`` with more than one row: ``x = b / a``."""
    if return_report:
        raise ValueError(
            f"return_report=True needs a square a with as many rows as b; a is a scalar (shape "
            f"{tuple(a.shape)}) and b has {_rows(b)} rows. Pass a * numpy.eye({_rows(b)}) for a report."
        )
    if check_finite:
        check_finite_or_raise(a, "a")
        check_finite_or_raise(b, "b")
    dtype = result_dtype(a, b)
    alpha = working_copy(a, dtype=dtype)[0, 0]
    if alpha == 0:
        raise SingularMatrixError(0, "singular matrix: a is the scalar 0, so a x = b has no unique solution.")
    return wrap_like(working_copy(b, dtype=dtype) / alpha, b_in)


def _solve_core(a, b, dtype, assume, lower, transposed, refine_mode, want_report, reports, in_place=False):
    """Solve one ``(n, n)`` system with ``(n, k)`` right-hand sides.

    ``in_place``: ``a`` (of the working dtype, Fortran order) may be factored
    in its own memory.
    """
    xp = namespace(a)
    n, k = b.shape
    if a.dtype != dtype:
        a = working_copy(a, dtype=dtype)
    if b.dtype != dtype:
        b = working_copy(b, dtype=dtype)
    if transposed:
        flip, assume, lower = _transposed_structure(assume, lower, is_complex(dtype))
        if flip:
            a = _transpose(a)
    if n == 0 or k == 0:
        if want_report:
            reports.append(_empty_report(dtype))
        return xp.zeros(
            (n, k), dtype=dtype, device=getattr(a, "device", None) if backend_name(a) == "torch" else None
        )
    u = unit_roundoff(dtype)
    ref = None
    measures = None
    if refine_mode == "mixed":
        from .refine import refine as _refine

        a = effective_matrix(a, assume, lower)  # refine's residuals need the matrix actually solved
        x, ref = _refine(
            a, b, precision="mixed", assume=_refine_assume(assume), check_finite=False, return_report=True
        )
        F = ref.factorization
        F._conditioning_checked = True  # refine() applied the error policy
        path = list(getattr(F, "path", None) or [type(F).__name__.lower()])
        path.append(_describe_refinement(ref))
    else:
        a_eff = effective_matrix(a, assume, lower)  # the matrix actually solved, for residuals
        if in_place and a_eff is a and (refine_mode is not False or want_report):
            a_eff = a.copy()  # a is about to hold the factors
        F, path = factor_for_solve(a, assume, lower, overwrite_a=in_place)
        _raise_if_failed(F, a_eff)
        a = a_eff
        F._conditioning_checked = True  # solve() warns below, once, at the caller's level
        F._stability_checked = refine_mode is not False  # refinement measures what pivot growth did
        x = F.solve(b, check_finite=False)
        if refine_mode is True or refine_mode == "auto":
            if refine_mode == "auto":
                if want_report:  # the certificate computes the backward error anyway: reuse it
                    measures = _measures(a, x, b, F, path)
                    eta = measures["backward_error"]
                else:
                    from .diagnostics import normwise_backward_error_bound

                    eta = normwise_backward_error_bound(xp, a, x, b, (n + 1) * u)
                needs = eta > (n + 1) * u  # NaN (non-finite input or x): refinement cannot help
                if needs:
                    path.append(f"backward error {eta:.2g} > (n+1)u: refine")
            else:
                needs = True
            if needs:
                from .refine import refine as _refine

                x, ref = _refine(
                    a, b, x0=x, factorization=F, precision="fixed", check_finite=False, return_report=True
                )
                path.append(_describe_refinement(ref))
                measures = None  # x changed
    rc = F.rcond()
    if ref is None and not rc >= 2 * u:  # refine() applies the policy itself, with its error bound
        warn_user(IllConditionedWarning(rc))
    if want_report:
        if measures is None:
            measures = _measures(a, x, b, F, path)
        reports.append(_report(F, path, rc, ref, dtype, measures))
    return x


def _measures(a, x, b, F, path) -> dict:
    """The certificate's error measures of ``x`` (FERR solvers from ``F``, see :func:`_bound_solvers`)."""
    from .diagnostics import error_measures

    return error_measures(a, x, b, _bound_solvers(a, F, F.rcond(), namespace(a), path))


def _raise_if_failed(F: Any, a: Any, what: str = "solve") -> None:
    """Raise the factorization's error; an all-zero matrix gets its own message."""
    if F.issuccess():
        return
    if F.norm1() == 0:
        raise SingularMatrixError(
            0,
            f"singular matrix: cannot {what} with the zero matrix (every entry of a is 0), so "
            "A x = b has no unique solution (check how a was built; lstsq returns the minimum-norm x = 0).",
        )
    F._raise_if_failed(f"{what} the system" if what == "solve" else f"{what} the matrix")


def _refine_assume(assume: str) -> str:
    # refine()/factorize() understand the structural names; triangle-specific ones map to their class.
    return {
        "upper triangular": "triangular",
        "lower triangular": "triangular",
        "tridiagonal": "banded",
    }.get(assume, assume)


def _describe_refinement(ref: Any) -> str:
    text = f"{ref.precision} refinement ({ref.method}, {ref.factor_dtype} factors): {ref.steps} steps"
    text += ", converged" if ref.converged else ", did not converge"
    if ref.fallback:
        text += f"; fell back: {ref.fallback}"
    return text


def _report(F, path, rc, ref, dtype, measures) -> dict:
    return dict(
        method=type(F).__name__,
        path=path,
        rcond=float(rc),
        refinement=None if ref is None else ref.precision,
        refinement_steps=0 if ref is None else int(ref.steps),
        dtype=dtype_name(dtype),
        factor_dtype=dtype_name(F.dtype),
        **measures,
    )


def _bound_solvers(a, F, rc, xp, path):
    """Solvers with ``A`` for the FERR estimate.

    Factors of the working precision are used directly.  Low-precision
    factors (``refine="mixed"``) are applied in their own precision (the
    fast path) when ``theta = n u_low / rcond < 1/2``, and the estimate is
    inflated by ``1 / (1 - theta)`` to account for ``M = A + E`` with
    ``||M^{-1} E|| <= theta``; otherwise a working-precision factorization
    is computed for the bound (recorded in ``path``).
    """
    from .diagnostics import op_solvers

    n = a.shape[0]
    if F.dtype == a.dtype:
        return op_solvers(F, 0, xp)
    theta = n * unit_roundoff(F.dtype) / rc if rc > 0 else math.inf
    if theta < 0.5:
        from .refine import low_precision_solve

        inflate = 1.0 / (1.0 - theta)
        return (
            lambda X: low_precision_solve(F, X, X.dtype, 0) * inflate,
            lambda X: low_precision_solve(F, X, X.dtype, 2) * inflate,
        )
    G, _ = factor_for_solve(a, "auto", False)
    G._conditioning_checked = True
    path.append(
        f"{dtype_name(a.dtype)} factorization for the error bound (n u_low / rcond = {theta:.2g} >= 1/2)"
    )
    if not G.issuccess():

        def inf(X):
            return X * math.inf

        return inf, inf
    return op_solvers(G, 0, xp)


def _empty_report(dtype) -> dict:
    name = dtype_name(dtype)
    return {
        "method": "none",
        "path": ["empty system: nothing to factor"],
        "rcond": 1.0,
        "backward_error": 0.0,
        "componentwise_backward_error": 0.0,
        "forward_error_bound": 0.0,
        "refinement": None,
        "refinement_steps": 0,
        "residual_norm": 0.0,
        "dtype": name,
        "factor_dtype": name,
    }


def _merge_reports(reports: list[dict]) -> SolveReport:
    if not reports:  # an empty batch
        return SolveReport(**_empty_report("float64"), batch_size=0)
    first = dict(reports[0])
    if len(reports) > 1:
        for key in ("backward_error", "componentwise_backward_error", "forward_error_bound", "residual_norm"):
            first[key] = max(r[key] for r in reports)
        first["rcond"] = min(r["rcond"] for r in reports)
        first["refinement_steps"] = max(r["refinement_steps"] for r in reports)
    return SolveReport(**first, batch_size=len(reports))


def _solve_jax(a, b, lower, assume_a, transposed, refine_mode, return_report):
    """JAX arrays: ``jax.scipy.linalg.solve`` (traceable) unless pivotal's extras are asked for."""
    import jax.numpy as jnp

    if (
        refine_mode in ("auto", False)
        and not return_report
        and assume_a
        in (None, "gen", "general", "sym", "symmetric", "her", "hermitian", "pos", "positive definite")
    ):
        import jax.scipy.linalg as jsl

        aa = effective_matrix(a, ASSUME_A[assume_a], lower)
        aa = jnp.swapaxes(aa, -1, -2) if transposed else aa
        bb = b
        batch = aa.shape[:-2]
        if len(b.shape) == 1 and batch:
            bb = jnp.broadcast_to(b, batch + b.shape)
            out = jsl.solve(aa, bb[..., None], lower=lower, assume_a=assume_a or "gen")
            return out[..., 0]
        return jsl.solve(aa, bb, lower=lower, assume_a=assume_a or "gen")
    res = solve(
        np.asarray(a),
        np.asarray(b),
        lower,
        False,
        False,
        False,
        assume_a,
        transposed,
        refine=refine_mode,
        return_report=return_report,
    )
    if return_report:
        return jnp.asarray(res[0]), res[1]
    return jnp.asarray(res)


# ----------------------------------------------------------------------------- gradients
def _solve_routed(a, b, assume, lower, transposed, refine_mode, return_report):
    """:func:`solve` for a tensor that requires grad or a JAX tracer, through the factor-solve rule.

    The matrix actually solved (the effective matrix of the structure,
    transposed with ``transposed``) is built with differentiable operations,
    factored once without a graph, and solved by
    :func:`pivotal.autodiff.solve_rules.factor_solve`, whose backward solves
    the adjoint system with the same factors.  ``refine`` refines the
    forward; it is differentiated as the exact solve.
    """
    from .autodiff.solve_rules import factor_solve

    xp = namespace(a)
    n = int(a.shape[-1])
    dtype = result_dtype(a, b)
    vector = len(b.shape) == 1
    if return_report:
        if backend_name(a) == "jax":
            raise ValueError(
                "return_report=True needs concrete values; under jax.jit/grad/vmap the report cannot be "
                "computed. Call pivotal.solve(a, b, return_report=True) outside the transformation."
            )
        _, report = solve(
            a.detach(),
            b.detach(),
            assume_a=assume,
            lower=lower,
            transposed=transposed,
            refine=refine_mode,
            return_report=True,
            check_finite=False,
        )
        return _solve_routed(a, b, assume, lower, transposed, refine_mode, False), report
    b2 = xp.reshape(b, (n, 1)) if vector else b
    batch = tuple(np.broadcast_shapes(tuple(a.shape[:-2]), tuple(b2.shape[:-2])))
    a2 = xp.broadcast_to(astype(a, dtype), batch + (n, n))
    b2 = xp.broadcast_to(astype(b2, dtype), batch + tuple(b2.shape[-2:]))
    m = effective_matrix(a2, assume, lower)
    if transposed:
        flip, assume, _ = _transposed_structure(assume, lower, is_complex(dtype))
        m = swap_last(m) if flip else m
    if n == 0 or b2.shape[-1] == 0:
        x = b2 * 0
    elif backend_name(a) == "jax":
        from .autodiff.jax_factors import factor

        if refine_mode in (True, "mixed"):
            solver = factor(m, "host", host=_host_solver(assume, refine_mode))
        else:
            solver = factor(m, "cholesky" if assume == "positive definite" else "lu", lower=False)
        x = factor_solve(m, b2, solver, 0)
    else:
        x = _torch_over_batch(
            lambda m1, b1: factor_solve(m1, b1, _torch_solver(m1.detach(), assume, refine_mode), 0), m, b2
        )
    return x[..., 0] if vector else x


def _torch_over_batch(fn, *arrays):
    """``fn`` on each matrix of a batch of tensors (differentiably: unbind, then stack)."""
    import torch

    batch = tuple(arrays[0].shape[:-2])
    if not batch:
        return fn(*arrays)
    flat = [x.reshape((-1, *x.shape[-2:])) for x in arrays]
    out = [fn(*items) for items in zip(*(x.unbind(0) for x in flat), strict=True)]
    if isinstance(out[0], tuple):
        return tuple(
            torch.stack(parts).reshape(batch + tuple(parts[0].shape)) for parts in zip(*out, strict=True)
        )
    return torch.stack(out).reshape(batch + tuple(out[0].shape))


def _host_solver(assume: str, refine_mode):
    """The host forward of a traced JAX solve with refinement (NumPy in and out, for ``pure_callback``)."""

    def host(m, b):
        return np.asarray(
            solve(np.asarray(m), np.asarray(b), assume_a=assume, refine=refine_mode, check_finite=False)
        )

    return _HOST_SOLVERS.setdefault((assume, refine_mode), host)


_HOST_SOLVERS: dict = {}


class _RefinedSolver:
    """Solves with the factors ``F`` of ``a``; the forward solve (``trans=0``) refined as :func:`solve` does.

    ``refine="auto"``/``True`` refine with ``F`` itself.  ``"mixed"``: the
    forward is :func:`pivotal.refine`'s (single-precision factors), and the
    adjoint solves of the backward use a working-precision factorization
    made at the first of them (single-precision factors cannot solve them to
    working accuracy).
    """

    def __init__(self, a, F, assume, refine_mode):
        self.a, self.F, self.assume, self.refine_mode = a, F, assume, refine_mode

    def solve(self, b, trans=0, check_finite=False):
        if self.refine_mode == "mixed":
            if trans == 0 and self.F is None:
                from .refine import refine as _refine

                return _refine(
                    self.a, b, precision="mixed", assume=_refine_assume(self.assume), check_finite=False
                )
            if self.F is None:
                self.F = _factor_checked(self.a, self.assume)
            return self.F.solve(b, trans, check_finite=False)
        x = self.F.solve(b, trans, check_finite=False)
        if trans != 0 or self.refine_mode is False:
            return x
        n = b.shape[0]
        u = unit_roundoff(x.dtype)
        if self.refine_mode == "auto":
            from .diagnostics import normwise_backward_error_bound

            if not normwise_backward_error_bound(namespace(x), self.a, x, b, (n + 1) * u) > (n + 1) * u:
                return x
        from .refine import refine as _refine

        return _refine(self.a, b, x0=x, factorization=self.F, precision="fixed", check_finite=False)

    def inv(self):
        if self.F is None:
            self.F = _factor_checked(self.a, self.assume)
        return self.F.inv()


def _factor_checked(a, assume):
    F, _ = factor_for_solve(a, assume, False)
    _raise_if_failed(F, a)
    return F


def _torch_solver(md, assume, refine_mode):
    if refine_mode == "mixed":
        return _RefinedSolver(md, None, assume, refine_mode)
    F = _factor_checked(md, assume)
    F._stability_checked = refine_mode is not False  # as solve(): refinement measures what pivot growth did
    return _RefinedSolver(md, F, assume, refine_mode)


# ----------------------------------------------------------------------------- inv / det / slogdet
def inv(
    a: Any,
    overwrite_a: bool = False,
    check_finite: bool = True,
    *,
    assume_a: str | None = None,
    lower: bool = False,
):
    """Inverse of a square matrix (SciPy-compatible, including ``assume_a=``/``lower=``).

    Prefer :func:`solve` (or a factorization's ``solve``): forming the
    inverse costs three times as much and is less accurate.

    Parameters
    ----------
    a : (..., N, N) array_like
    overwrite_a : bool, optional
        As in SciPy: the inverse of a 2-D Fortran-ordered writable NumPy
        ``a`` of the working dtype (float32/64, complex64/128) is returned in
        ``a``'s memory; other inputs are left intact.
    check_finite : bool, optional
    assume_a : str, optional
        As in :func:`solve`; ``None`` detects the structure.
    lower : bool, optional
        Triangle to use with ``assume_a`` ``"sym"``/``"her"``/``"pos"``.

    Returns
    -------
    ainv : array of the shape of ``a`` (and of its ndarray subclass, as NumPy).

    Raises
    ------
    SingularMatrixError
        Exactly singular ``a`` (with the index of the zero pivot).
    ValueError
        Unknown ``assume_a`` (also a ``KeyError``, which SciPy's ``inv`` raises).

    Warns
    -----
    IllConditionedWarning
        ``rcond`` below machine epsilon.

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> a = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> pv.inv(a)
    array([[-2. ,  1. ],
           [ 1.5, -0.5]])
    """
    assume = _check_assume(assume_a)
    a_in = a
    a = validate_matrix(a, square=True, check_finite=check_finite, differentiable=True)
    if needs_rule(a):
        return _inv_routed(a, assume, lower)
    if backend_name(a) == "jax":
        import jax.numpy as jnp

        return jnp.asarray(inv(np.asarray(a), check_finite=False, assume_a=assume_a, lower=lower))
    in_place = len(a.shape) == 2 and _overwritable(a, result_dtype(a), overwrite_a)

    def core(a2):
        a2 = a2 if a2.dtype == result_dtype(a2) else working_copy(a2)
        n = a2.shape[0]
        if n == 0:
            return working_copy(a2)
        F, _ = factor_for_solve(a2, assume, lower)
        _raise_if_failed(F, a2, "invert")
        rc = F.rcond()
        if not rc >= 2 * unit_roundoff(F.dtype):
            warn_user(IllConditionedWarning(rc))
        F._conditioning_checked = True
        return F.inv()

    ainv = apply_over_batch(core, [(a, 2)])
    if in_place:
        a[...] = ainv
        ainv = a
    return wrap_like(ainv, a_in)


def _lu_for_det(a: Any, overwrite_a: bool = False) -> tuple[Any, int]:
    """``(F, shift)``: an unchecked partial-pivoting LU ``F`` with ``det(a) = det(F) * 2**shift``.

    When a row's largest entry lies outside the safe range
    (:func:`pivotal._scaling.safe_range`), each row is first scaled by a
    power of two that brings its largest entry into ``[1/2, 1)``: the
    factorization then neither overflows (entries near ``1e308``, where the
    elimination's growth overflows) nor computes on subnormal numbers (which
    lose relative accuracy at every operation, and whose multipliers some
    vendor ``getrf`` kernels flush to zero).  Scaling a row up is exact;
    scaling one down rounds only entries below ``2**-1074`` of the row's
    largest, which a partial-pivoting LU's row-wise backward error does not
    resolve either.  A global factor would not do: ``diag(1e300, 1e-300)``
    scaled by ``1e-154`` is singular.  Rows inside the range are not scaled,
    so ordinary matrices are factored exactly as by ``scipy.linalg.det``.

    With ``overwrite_a`` a writable NumPy ``a`` of the working dtype is
    factored (and scaled) in its own memory; a C-ordered one as ``a.T``,
    which has the same determinant.
    """
    from .factorizations import LU

    if (
        overwrite_a
        and isinstance(a, np.ndarray)
        and a.dtype == result_dtype(a)
        and a.flags.writeable
        and (a.flags.c_contiguous or a.flags.f_contiguous)
    ):
        a_mem = a.T if a.flags.c_contiguous and not a.flags.f_contiguous else a
        a_mem, shift = _equilibrate_rows(a_mem, inplace=True)
        return LU(a_mem, overwrite_a=True, check=False, check_finite=False), shift
    a2 = a if a.dtype == result_dtype(a) else working_copy(a)
    a2, shift = _equilibrate_rows(a2, inplace=a2 is not a)
    return LU(a2, check=False, check_finite=False), shift


def _equilibrate_rows(a: Any, inplace: bool) -> tuple[Any, int]:
    """``(R a, -sum r)`` with ``R = diag(2**r)`` when a row max lies outside the safe range, else ``(a, 0)``.

    ``r_i`` brings row ``i``'s largest entry into ``[1/2, 1)``; zero and
    non-finite rows are left alone.  Exact but for entries that leave the
    subnormal range downwards (see :func:`_lu_for_det`).
    """
    xp = namespace(a)
    rowmax = to_numpy(xp.max(xp.abs(a), axis=1)).astype(np.float64)
    lo, hi = safe_range(a.dtype)
    keep = (rowmax == 0) | ~np.isfinite(rowmax)
    if np.all(keep | ((rowmax >= lo) & (rowmax <= hi))):
        return a, 0
    r = np.where(keep, 0, -np.frexp(np.where(keep, 1.0, rowmax))[1])
    shift = -int(r.sum())
    step = math.frexp(hi)[1] - 1  # 2**+-step are normal numbers: scale in steps (monotone, so exact)
    with np.errstate(over="ignore", under="ignore"):
        while np.any(r):
            k = np.clip(r, -step, step)
            f = from_numpy(np.ldexp(1.0, k)[:, None], a, real_dtype(a.dtype))
            if inplace:
                a *= f
            else:
                a, inplace = a * f, True
            r = r - k
    return a, shift


def _det_dtype(a: Any) -> Any:
    """SciPy's result dtype of ``det``: float64/complex128 for NumPy; the working dtype on PyTorch."""
    dt = result_dtype(a)
    if backend_name(a) == "numpy":
        return np.dtype(np.complex128 if is_complex(dt) else np.float64)
    return dt


def det(a: Any, overwrite_a: bool = False, check_finite: bool = True) -> Any:
    """Determinant (SciPy-compatible): the product of the pivots of an LU factorization.

    As in SciPy, NumPy input gives float64 (complex128) even for single
    precision input (the factorization runs in single precision); PyTorch
    input keeps its working dtype.  The product of the pivots is formed
    with exact power-of-two scaling, so it over- or underflows only when
    the determinant itself does (use :func:`slogdet` for those); a matrix
    with a row beyond the safe range (subnormal, or near the overflow
    threshold) is factored with its rows scaled by powers of two, which
    are folded back into the product.

    Parameters
    ----------
    a : (..., N, N) array_like, or (N, N) scipy.sparse matrix
        A sparse matrix is factored by :func:`pivotal.factorize`'s sparse route
        (SparseCholesky, falling back to SparseLU) without densifying.  The
        determinant of a large sparse matrix usually over- or underflows:
        use :func:`slogdet`.
    overwrite_a : bool, optional
        As in SciPy: a writable contiguous 2-D NumPy ``a`` of a LAPACK dtype
        (float32/64, complex64/128) is factored in its own memory.
    check_finite : bool, optional

    Returns
    -------
    det : float or complex (a NumPy scalar), or an array of shape ``(...)`` for a batch.

    Raises
    ------
    ValueError
        For non-square or non-finite input.
    TypeError
        For dtypes without arithmetic (strings, objects, datetimes), as SciPy
        (the error is also a ``ValueError``).

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> float(pv.det(np.array([[1.0, 2.0], [3.0, 4.0]])))
    -2.0
    >>> complex(pv.det(np.array([[2 + 2j, 0], [0, 2 - 2j]], dtype=np.complex64) * 2))
    (32+0j)
    """
    if is_scipy_sparse(a):
        from .sparse.routes import for_determinant

        return for_determinant(a, check_finite=check_finite).det()
    a = validate_matrix(a, square=True, check_finite=check_finite, differentiable=True)
    if needs_rule(a):
        return _det_routed(a, "det")
    if backend_name(a) == "jax":
        import jax.scipy.linalg as jsl

        return jsl.det(a)
    xp = namespace(a)
    out_dtype = _det_dtype(a)
    overwrite = overwrite_a and len(a.shape) == 2

    def core(a2):
        if a2.shape[0] == 0:
            return xp.ones((1,), dtype=out_dtype)
        F, shift = _lu_for_det(a2, overwrite)
        d = to_numpy(xp.linalg.diagonal(F.lu))
        d = d.astype(np.complex128 if d.dtype.kind == "c" else np.float64)
        swaps = int(np.count_nonzero(F.piv != np.arange(F.piv.shape[0])))
        value = scaled_product(d, shift) * (-1 if swaps % 2 else 1)
        return from_numpy(np.asarray([value]), a2, out_dtype)

    out = apply_over_batch(core, [(a, 2)])
    out = xp.reshape(out, tuple(a.shape[:-2]))
    return out[()] if backend_name(a) == "numpy" and len(a.shape) == 2 else out


def _slogdet_2d(a2):
    namespace(a2)
    if a2.shape[0] == 0:
        dt = result_dtype(a2)
        from .factorizations.base import scalar_like

        return scalar_like(1.0, dt, a2), scalar_like(0.0, dt, a2, real=True)
    F, shift = _lu_for_det(a2)
    sign, logabs = F.slogdet()
    return sign, logabs + shift * math.log(2.0) if shift else logabs


def slogdet(a: Any) -> SlogdetResult:
    """Sign and log of the absolute value of the determinant (``numpy.linalg.slogdet``).

    Parameters
    ----------
    a : (..., N, N) array_like, or (N, N) scipy.sparse matrix
        A sparse matrix is factored by :func:`pivotal.factorize`'s sparse route
        (SparseCholesky for a Hermitian positive definite matrix, the GMRF
        case, else SparseLU) without densifying.

    Returns
    -------
    SlogdetResult
        ``(sign, logabsdet)``: ``sign`` is ``+-1`` (modulus 1 for complex,
        ``0`` for a singular matrix, whose ``logabsdet`` is ``-inf``).

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> sign, logabs = pv.slogdet(np.diag([1e200, -1e200, 1e200]))
    >>> float(sign), round(float(logabs), 6)
    (-1.0, 1381.551056)
    """
    if is_scipy_sparse(a):
        from .sparse.routes import for_determinant

        return SlogdetResult(*for_determinant(a, check_finite=False).slogdet())
    a = validate_matrix(a, square=True, check_finite=False, differentiable=True)
    if needs_rule(a):
        return SlogdetResult(*_det_routed(a, "slogdet"))
    if backend_name(a) == "jax":
        import jax.numpy as jnp

        return SlogdetResult(*jnp.linalg.slogdet(a))
    xp = namespace(a)

    def core(a2):
        sign, logabs = _slogdet_2d(a2)
        return xp.reshape(sign, (1,)), xp.reshape(logabs, (1,))

    sign, logabs = apply_over_batch(core, [(a, 2)])
    batch = tuple(a.shape[:-2])
    sign, logabs = xp.reshape(sign, batch), xp.reshape(logabs, batch)
    if backend_name(a) == "numpy" and not batch:
        sign, logabs = sign[()], logabs[()]
    return SlogdetResult(sign, logabs)


# ----------------------------------------------------------------------------- gradients of inv / det
def _solver_inv(a, solver):
    inverse = getattr(solver, "inverse", None)
    return inverse() if inverse is not None else solver.inv()


def _solver_det(a, solver):
    return solver.det()


def _solver_slogdet(a, solver):
    return tuple(solver.slogdet())


def _inv_routed(a, assume, lower):
    """:func:`inv` through the ``inv`` rule (``A_bar = -X^H X_bar X^H``), from one factorization."""
    from .autodiff import apply
    from .autodiff.inv_rules import INV

    m = effective_matrix(astype(a, result_dtype(a)), assume, lower)
    if backend_name(a) == "jax":
        from .autodiff.jax_factors import factor

        return apply(INV, _solver_inv, m, factor(m, "cholesky" if assume == "positive definite" else "lu"))
    return _torch_over_batch(lambda m1: apply(INV, _solver_inv, m1, _factor_checked(m1.detach(), assume)), m)


def _det_routed(a, which):
    """:func:`det` / :func:`slogdet` through their rules, from one LU (pivots constant)."""
    from .autodiff import apply
    from .autodiff.det_rules import DET, SLOGDET

    rule, primal = (DET, _solver_det) if which == "det" else (SLOGDET, _solver_slogdet)
    a = astype(a, result_dtype(a))
    if backend_name(a) == "jax":
        from .autodiff.jax_factors import factor

        return apply(rule, primal, a, factor(a, "lu"))
    from .factorizations import LU

    return _torch_over_batch(
        lambda a1: apply(rule, primal, a1, LU(a1.detach(), check=False, check_finite=False)), a
    )
