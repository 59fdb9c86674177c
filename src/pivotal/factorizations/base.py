"""The ``Factorization`` base class: everything written once for all factorizations.

A subclass stores compact factors and implements three small methods:

``_solve_core(b, trans)``
    Solve ``op(A) x = b`` for a 2-D ``b`` of shape ``(n, k)`` in the working
    dtype, ``trans`` being 0 (``A``), 1 (``A^T``) or 2 (``A^H``).
``_det_parts()``
    ``(f, k)``: the determinant of the factored matrix is
    ``prod(f) * 2**k``, with ``f`` a host 1-D float64/complex128 array of
    what the factors contribute (pivots, ``-1`` for an odd permutation, the
    determinant of a unitary factor, ...).
``_failure_index()``
    Zero-based index of the numerical failure (for error messages), or
    ``None`` when the factorization succeeded.

and the base class provides ``solve``, ``det``, ``slogdet``, ``logdet``,
``inv``, ``rcond``, ``cond``, ``issuccess`` and tuple unpacking.

A subclass that factored ``2**e A`` instead of ``A`` (a matrix outside
LAPACK's safe range, see :mod:`pivotal.factorizations.scaling`) sets
``self._scale = e``; its ``_solve_core`` and ``_det_parts`` work with
the scaled factors and ``self._anorm`` is the norm of ``2**e A``.  The base
class undoes the scaling once, for every factorization: solutions are
multiplied by ``2**e``, the determinant by ``2**(-n e)``, and ``rcond``
(scale invariant) needs nothing.

Determinants are exactly scaled products of the factors' contributions
(:func:`pivotal._scaling.scaled_product`), never ``exp(log|det|)``: ``det``
over- or underflows only where the determinant does, and is exact where
the factors and the product are (the determinant of an integer matrix
whose factorization is exact in binary is that integer).
"""

from __future__ import annotations

import math
import types
from typing import Any

import array_api_compat
import numpy as np

from .._array import (
    apply_over_batch,
    backend_name,
    dtype_name,
    is_complex,
    namespace,
    promote_dtypes,
    real_dtype,
    to_float,
    to_numpy,
    unit_roundoff,
    validate_matrix,
    validate_rhs,
    working_dtype,
)
from .._effective import effective_matrix
from .._scaling import ldexp, log_product, scaled_product
from .._tracing import torch_needs_grad
from ..autodiff import apply, needs_rule
from ..errors import IllConditionedWarning, SingularMatrixError, warn_user
from ..kernels.condest import inv_onenormest, rcond_from

__all__ = [
    "METHODS",
    "Factorization",
    "check_method",
    "dense_norm1",
    "det_parts",
    "factor_input",
    "index_array",
    "normalize_trans",
    "scalar_like",
]

METHODS = ("auto", "kernel", "vendor")


def check_method(method: str, block_size: int | None = None) -> None:
    """Validate ``method=`` and ``block_size=`` (shared by every factorization)."""
    if method not in METHODS:
        raise ValueError(
            f"method={method!r} is not one of {METHODS}: 'kernel' runs pivotal's own "
            "algorithm, 'vendor' the LAPACK/torch routine, 'auto' the faster one that "
            "supports the request."
        )
    if block_size is not None:
        if isinstance(block_size, bool) or int(block_size) != block_size or block_size < 1:
            raise ValueError(f"block_size must be a positive integer or None, got {block_size!r}.")
        if method == "vendor":
            raise ValueError(
                "block_size selects pivotal's kernel; it cannot be combined with method='vendor'."
            )


def factor_input(
    a: Any, owner: str, *, square: bool, check_finite: bool, jax_hint: str, obj: Any = None
) -> Any:
    """Validate the matrix given to a factorization object (one matrix, NumPy or PyTorch).

    With ``obj`` (a factorization whose methods have derivative rules), a
    tensor that requires grad is remembered as ``obj._graph`` (the graph
    node that gradients reach) and its detached values are returned to be
    factored; other factorizations refuse it.
    """
    shape = getattr(a, "shape", None)
    if shape is not None and len(shape) > 2:
        raise ValueError(
            f"pivotal.{owner} factors one matrix, got shape {tuple(shape)}; for a batch "
            "(..., M, N) use the SciPy-compatible functions (lu_factor, cho_factor, ldl, ...)."
        )
    a = validate_matrix(
        a, square=square, check_finite=check_finite, batch=False, differentiable=obj is not None
    )
    if backend_name(a) == "jax":
        raise TypeError(f"pivotal.{owner} needs a NumPy array or PyTorch tensor; {jax_hint}")
    if obj is not None and torch_needs_grad(a):
        obj._graph = a
        return a.detach()
    return a


# False/True hash like 0/1, so they map to A and A^T too.
_TRANS = {0: 0, 1: 1, 2: 2, "N": 0, "T": 1, "C": 2, "n": 0, "t": 1, "c": 2}


def normalize_trans(trans: Any) -> int:
    """Map SciPy's ``trans`` spellings (0/1/2, 'N'/'T'/'C', bools) to 0, 1 or 2."""
    try:
        return _TRANS[trans]
    except (KeyError, TypeError):
        raise ValueError(
            f"trans={trans!r} is not understood; use 0 or 'N' (A x = b), 1 or 'T' "
            "(A^T x = b), or 2 or 'C' (A^H x = b)."
        ) from None


class Factorization:
    """Base class of pivotal's factorization objects.

    Subclasses set ``self.shape``, ``self.dtype``, ``self.info`` (0 on
    success, LAPACK's convention otherwise), ``self._anorm`` (the 1-norm of
    the factored matrix, ``2**_scale A``), ``self._xp`` (its array
    namespace) and, when they factored ``2**e A``, ``self._scale = e``.
    """

    shape: tuple[int, int]
    dtype: Any
    info: int
    _anorm: float
    _xp: Any
    _fields: tuple[str, ...] = ()
    #: The factors are those of ``2**_scale A`` (see :mod:`pivotal.factorizations.scaling`).
    _scale: int = 0
    # Set by callers that apply the error policy themselves (solve(), lstsq(), refine()):
    _conditioning_checked: bool = False  # the ill-conditioning warning (rcond)
    _stability_checked: bool = False  # the pivot-growth warning

    _graph: Any = None  # the tensor requiring grad that was factored (see factor_input)
    _graph_structure: tuple[str, bool] = ("general", False)  # (structure, lower) of the matrix read

    # ---------------------------------------------------------------- gradients
    def _graph_matrix(self) -> Any:
        """The factored matrix as a graph node (``None`` without a graph): the matrix actually read."""
        if self._graph is None or not torch_needs_grad(self._graph):
            return None
        structure, lower = self._graph_structure
        return effective_matrix(self._graph, structure, lower)

    def _routes(self, *arrays: Any) -> bool:
        return (self._graph is not None and torch_needs_grad(self._graph)) or needs_rule(*arrays)

    # ---------------------------------------------------------------- subclass API
    def _solve_core(self, b: Any, trans: int) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _det_parts(self) -> tuple[np.ndarray, int]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _failure_index(self) -> int | None:
        return self.info - 1 if self.info > 0 else None

    def _raise_if_failed(self, what: str) -> None:
        idx = self._failure_index()
        if idx is not None:
            raise SingularMatrixError(
                idx,
                f"cannot {what}: the factorization failed at index {idx} "
                f"({type(self).__name__}.info = {self.info}); the matrix is singular "
                "to working precision there. Use lstsq for a least-squares solution.",
            )

    # ---------------------------------------------------------------- protocol
    def issuccess(self) -> bool:
        """True when the factorization completed without numerical failure."""
        return self.info == 0

    def __iter__(self):
        return iter(getattr(self, name) for name in self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def _repr_extra(self) -> str:
        return ""

    def __repr__(self) -> str:
        m, n = self.shape
        status = "success" if self.issuccess() else f"failed (info={self.info})"
        extra = self._repr_extra()
        backend = backend_name(self._sample())
        return (
            f"{type(self).__name__}({m}x{n}, dtype={dtype_name(self.dtype)}, "
            f"backend={backend}{', ' + extra if extra else ''}, {status})"
        )

    def _sample(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    # ---------------------------------------------------------------- pickling
    def __getstate__(self) -> dict:
        """The attributes without the array namespace (a module, which does not pickle)."""
        return {k: v for k, v in self.__dict__.items() if not isinstance(v, types.ModuleType)}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        if "_xp" not in state:  # resolved again from the stored factors
            self._xp = namespace(self._sample())

    def _require_square(self, what: str) -> None:
        m, n = self.shape
        if m != n:
            raise ValueError(
                f"{what} needs a square matrix, but this {type(self).__name__} factors "
                f"a {m}x{n} matrix; use a QR factorization or lstsq for rectangular systems."
            )

    # ---------------------------------------------------------------- solving
    def solve(self, b: Any, trans: Any = False, *, check_finite: bool = True) -> Any:
        """Solve ``op(A) x = b`` reusing the factors (no refactoring).

        Parameters
        ----------
        b : (n,) or (..., n, k) array
            Right-hand side(s), of the same backend as the factored matrix.
        trans : {False, True, 0, 1, 2, 'N', 'T', 'C'}, optional
            ``False``/0/'N' solves ``A x = b``, ``True``/1/'T' solves
            ``A^T x = b`` and 2/'C' solves ``A^H x = b``.
        check_finite : bool, optional
            Check ``b`` for NaN/Inf.

        Returns
        -------
        x : array of the shape of ``b``.

        Raises
        ------
        SingularMatrixError
            If the factorization was unsuccessful (``issuccess()`` is False).

        Warns
        -----
        IllConditionedWarning
            On the first solve, when the estimated ``rcond()`` is below the
            machine epsilon of the factors' dtype (or NaN): the solution may
            have no correct digits.  The estimate costs a few extra solves,
            once per factorization.
        PivotGrowthWarning
            On the first solve with LU factors whose growth factor makes
            their backward-error bound meaningless (see :class:`pivotal.LU`).
        """
        return self._solve_with(self._solve_core, b, trans, check_finite)

    def _solve_with(self, core, b: Any, trans: Any, check_finite: bool) -> Any:
        """:meth:`solve` with ``core`` (``_solve_core``'s signature) doing the solves with the factors."""
        self._require_square("solve")
        t = normalize_trans(trans)
        n = self.shape[0]
        b = validate_rhs(b, n, check_finite=check_finite, differentiable=True)
        self._check_backend(b)
        if self._routes(b):
            return self._solve_routed(b, t)
        self._raise_if_failed("solve")
        self._warn_if_unreliable()
        xp = self._xp
        dtype = self._result_dtype(b)
        vector = len(b.shape) == 1
        b2 = xp.reshape(b, (n, 1)) if vector else b
        x = apply_over_batch(lambda bb: self._solve_2d(bb, t, dtype, core), [(b2, 2)])
        return xp.reshape(x, (n,)) if vector else x

    def _solve_routed(self, b: Any, t: int) -> Any:
        """:meth:`solve` through the factor-solve rule: gradients reach ``b`` and the factored matrix."""
        from ..autodiff.solve_rules import factor_solve

        self._raise_if_failed("solve")
        xp = self._xp
        n = self.shape[0]
        vector = len(b.shape) == 1
        b2 = xp.reshape(b, (n, 1)) if vector else b
        x = factor_solve(self._graph_matrix(), b2, self, t)
        return xp.reshape(x, (n,)) if vector else x

    def _warn_if_unreliable(self) -> None:
        """Issue, once per factorization, the warnings that results computed from it are due."""
        if not self._conditioning_checked:
            self._conditioning_checked = True
            warning = self._conditioning_warning()
            if warning is not None:
                warn_user(warning)
        if not self._stability_checked:
            self._stability_checked = True
            warning = self._stability_warning()
            if warning is not None:
                warn_user(warning)

    def _conditioning_warning(self) -> IllConditionedWarning | None:
        """``IllConditionedWarning`` when ``rcond()`` is below machine epsilon (or NaN), else None."""
        if min(self.shape) == 0:
            return None
        rcond = self.rcond()
        if not rcond >= 2.0 * unit_roundoff(self.dtype):  # also NaN
            return IllConditionedWarning(rcond)
        return None

    def _stability_warning(self) -> Warning | None:
        """A warning that the factors themselves are inaccurate (pivot growth), else None."""
        return None

    def _check_backend(self, b: Any) -> None:
        mine, theirs = backend_name(self._sample()), backend_name(b)
        if mine != theirs:
            raise TypeError(
                f"b is a {theirs} array but the factorization holds {mine} arrays; "
                "convert b to the same type first."
            )

    def _result_dtype(self, b: Any):
        return promote_dtypes(self.dtype, working_dtype(b))

    def _solve_2d(self, b: Any, trans: int, dtype: Any, core=None) -> Any:
        """``op(A)^{-1} b`` for a 2-D ``b``, in ``dtype`` (a new array)."""
        # op(2^e A) y = b  <=>  op(A) (2^e y) = b.
        return ldexp(self._solve_scaled(b, trans, dtype, core), self._scale, inplace=True)

    def _solve_scaled(self, b: Any, trans: int, dtype: Any, core=None) -> Any:
        """``op(2**e A)^{-1} b`` with the factors as they are (``e = self._scale``), in ``dtype``.

        ``core`` replaces :meth:`_solve_core` (an LU solved with pivotal's substitution kernel).
        """
        core = self._solve_core if core is None else core
        xp = self._xp
        if b.shape[1] == 0 or b.shape[0] == 0:
            return xp.zeros(b.shape, dtype=dtype, device=array_api_compat.device(b))
        if is_complex(dtype) and not is_complex(self.dtype):
            # Real factors, complex right-hand side: solve the two parts.
            re = core(_copy_as(xp.real(b), self.dtype, xp), trans)
            im = core(_copy_as(xp.imag(b), self.dtype, xp), trans)
            return _copy_as(re, dtype, xp) + 1j * _copy_as(im, dtype, xp)
        return core(_copy_as(b, dtype, xp), trans)

    # ---------------------------------------------------------------- determinants
    def _det_factors(self) -> tuple[np.ndarray, int]:
        """``(f, k)`` with ``det(A) = prod(f) * 2**k``: the subclass's parts, the scaling undone."""
        self._require_square("the determinant")
        f, k = self._det_parts()
        return f, k - self.shape[0] * self._scale  # det(2^e A) = 2^(n e) det(A)

    def slogdet(self) -> tuple[Any, Any]:
        """Sign and natural log of the absolute value of the determinant.

        Follows ``numpy.linalg.slogdet``: a singular matrix gives ``(0, -inf)``;
        for complex matrices the sign has modulus 1.  The logarithms are of
        the mantissas of the factors' contributions, so subnormal or huge
        pivots lose nothing.
        """
        if self._routes():
            from ..autodiff.det_rules import SLOGDET

            return apply(SLOGDET, _slogdet_of, self._graph_matrix(), self)
        phase, logabs = log_product(*self._det_factors())
        like = self._sample()
        return _scalar(phase, self.dtype, like), _scalar(logabs, self.dtype, like, real=True)

    def det(self) -> Any:
        """Determinant, the exactly scaled product of the factors' pivots.

        Over- or underflows only where the determinant itself does (use
        :meth:`slogdet` then), and is exact where the factors are (an integer
        matrix whose factorization is exact in binary gives that integer,
        in single precision too).  A scalar of the factors' dtype (a 0-d
        tensor for PyTorch).
        """
        if self._routes():
            from ..autodiff.det_rules import DET

            return apply(DET, _det_of, self._graph_matrix(), self)
        return _scalar(scaled_product(*self._det_factors()), self.dtype, self._sample())

    def logdet(self) -> Any:
        """Natural log of the determinant.

        Raises ``ValueError`` for a real matrix with a negative determinant
        (the log is not real); use :meth:`slogdet` then.  A singular matrix
        gives ``-inf``.  For complex matrices the complex log is returned.
        """
        sign, logabs = self.slogdet()
        xp = self._xp
        if is_complex(self.dtype):
            return logabs + xp.log(sign) if to_float(xp.abs(sign)) != 0 else logabs + 0j
        if to_float(sign) < 0:
            raise ValueError(
                "the determinant is negative, so its logarithm is not real; use "
                "slogdet() for (sign, log|det|)."
            )
        return logabs

    # ---------------------------------------------------------------- inverse and conditioning
    def inv(self) -> Any:
        """Explicit inverse (prefer :meth:`solve`; an inverse is rarely needed).

        Warns as :meth:`solve` does (once per factorization).
        """
        self._require_square("inv")
        self._raise_if_failed("invert the matrix")
        if self._routes():
            from ..autodiff.inv_rules import INV

            return apply(INV, _inv_of, self._graph_matrix(), self)
        self._warn_if_unreliable()
        xp = self._xp
        n = self.shape[0]
        eye = xp.eye(n, dtype=self.dtype, device=array_api_compat.device(self._sample()))
        return self._solve_2d(eye, 0, self.dtype)

    def norm1(self) -> float:
        """1-norm of the factored matrix, recorded when it was factored."""
        with np.errstate(over="ignore", under="ignore"):
            return float(np.ldexp(np.float64(self._anorm), -self._scale))

    def _unscaled(self, factor: Any, halve: bool = False) -> Any:
        """A factor of ``2**e A`` as the factor of ``A``: times ``2**-e`` (``2**(-e/2)`` with ``halve``).

        A new array when ``e != 0`` (``factor`` itself otherwise), exact
        unless its entries are subnormal in the scale of ``A``.
        """
        e = self._scale // 2 if halve else self._scale
        return ldexp(factor, -e)

    def rcond(self) -> float:
        """Estimate of the reciprocal condition number in the 1-norm.

        ``1 / (||A||_1 * est(||A^{-1}||_1))`` with the Hager-Higham estimator
        (LAPACK ``xLACN2``), costing a few solves with the factors.  Zero for
        an unsuccessful (singular) factorization and 1 for an empty matrix
        (LAPACK ``xGECON``'s conventions).
        """
        self._require_square("rcond")
        n = self.shape[0]
        if n == 0:
            return 1.0
        if not self.issuccess():
            return 0.0
        cached = self.__dict__.get("_rcond")
        if cached is not None:
            return cached
        with _no_grad(self._sample()):
            est = inv_onenormest(
                lambda x: self._solve_core(x, 0),
                lambda x: self._solve_core(x, 2),
                n,
                dtype=self.dtype,
                like=self._sample(),
            )
        # Both of the factored matrix 2^e A: rcond is scale invariant.
        self._rcond = rcond_from(self._anorm, est, n=n)  # the factors never change: estimate once
        return self._rcond

    def cond(self) -> float:
        """Estimated condition number in the 1-norm, ``1 / rcond()``."""
        r = self.rcond()
        return math.inf if r == 0 else 1.0 / r


def _slogdet_of(a: Any, F: Factorization) -> tuple[Any, Any]:
    return tuple(F.slogdet())


def _det_of(a: Any, F: Factorization) -> Any:
    return F.det()


def _inv_of(a: Any, F: Factorization) -> Any:
    return F.inv()


def _no_grad(like: Any):
    """``torch.no_grad()`` for torch factors (estimates need no graph), else a no-op."""
    if backend_name(like) == "torch":
        import torch

        return torch.no_grad()
    import contextlib

    return contextlib.nullcontext()


def dense_norm1(a: Any) -> float:
    """``||a||_1`` (largest column sum of ``|a_ij|``) of a 2-D backend array; 0 for an empty one."""
    if min(a.shape) == 0:
        return 0.0
    xp = namespace(a)
    return to_float(xp.max(xp.sum(xp.abs(a), axis=0)))


def index_array(idx: np.ndarray, like: Any) -> Any:
    """Host integer indices as an int64 index array of ``like``'s backend and device."""
    if backend_name(like) == "torch":
        import torch

        return torch.as_tensor(idx, dtype=torch.int64, device=like.device)
    return np.asarray(idx, dtype=np.int64)


def scalar_like(value: float, dtype: Any, like: Any, real: bool = False) -> Any:
    """A 0-d array of ``like``'s backend holding ``value`` (real dtype if ``real``)."""
    xp = namespace(like)
    dt = real_dtype(dtype) if real else dtype
    return xp.asarray(value, dtype=dt, device=array_api_compat.device(like))


def _scalar(value: Any, dtype: Any, like: Any, real: bool = False) -> Any:
    """A host scalar as ``like``'s kind of scalar: a NumPy scalar of ``dtype``, or a 0-d tensor."""
    if backend_name(like) == "numpy":
        with np.errstate(over="ignore", under="ignore"):  # beyond single precision's range: Inf or 0
            return np.dtype(real_dtype(dtype) if real else dtype).type(value)
    return scalar_like(value, dtype, like, real=real)


def det_parts(*parts: Any, sign: Any = 1) -> np.ndarray:
    """The host float64/complex128 factors of a determinant: ``parts`` (arrays of any backend), then ``sign``.

    ``sign`` (``+-1``, or a unit-modulus complex number) is left out when it is 1.
    """
    arrays = [np.asarray(to_numpy(p)).reshape(-1) for p in parts]
    if sign != 1:
        arrays.append(np.asarray([to_numpy(sign)]).reshape(-1))
    f = np.concatenate(arrays) if arrays else np.empty(0)
    return f.astype(np.complex128 if f.dtype.kind == "c" else np.float64, copy=False)


def _copy_as(x: Any, dtype: Any, xp) -> Any:
    """A fresh, writable copy of ``x`` with ``dtype`` (kernels overwrite it)."""
    if backend_name(x) == "torch":
        return x.to(dtype=dtype, copy=True).contiguous()
    return np.array(x, dtype=dtype, order="F", copy=True)
