"""The second registry: how each variant makes a spec's input hostile.

A spec builds a :class:`Problem` (float64/complex128 arrays with exactly
representable entries, plus auxiliary arguments).  A :class:`Variant`
transforms its data arguments (NaN or Inf injected, scaled by an exact power
of two, cast to another dtype, laid out with strides, made read-only,
masked, turned into lists or torch tensors) and returns the :class:`Case`
that is passed to the function, together with the exact wide-precision copy
of what was passed, on which the checker computes its reference.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .arith import WIDE_RANGE, unit_roundoff, wide

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None


@dataclass
class Problem:
    """What a spec's builder returns.

    ``args`` are the positional arguments of the call (data arrays and
    auxiliary values such as pivots or ranks); ``data`` indexes the float
    arrays a variant transforms; ``matrix`` the one that receives NaN/Inf and
    the mask; ``rhs`` the right-hand side (or ``None``).  ``degrees`` gives,
    per data argument, how it scales when the problem is scaled by ``s``: a
    number ``d`` (the argument is multiplied by ``s**d``) or ``"upper"``
    (only its upper triangle is, as for the compact LU factors).
    """

    args: list
    data: tuple[int, ...] = (0,)
    matrix: int = 0
    rhs: int | None = None
    degrees: tuple = ()
    kwargs: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)


@dataclass
class Case:
    """One (spec, variant) pair, ready to call and check."""

    spec: Any
    variant: Variant
    problem: Problem
    args: list  # what the function receives
    kwargs: dict
    ref: list  # wide copies of the data arguments (auxiliary ones as built)
    u: float  # unit roundoff of the working precision, plus the underflow term for subnormal data
    working: np.dtype

    @property
    def meta(self) -> dict:
        return self.problem.meta

    def snapshot(self) -> list:
        """Copies of the arguments, to verify afterwards that the call did not modify them."""
        return [_clone(a) for a in self.args]


def _clone(a):
    if torch is not None and isinstance(a, torch.Tensor):
        return a.clone()
    if isinstance(a, np.ma.MaskedArray):
        return a.copy()
    if isinstance(a, np.ndarray):
        return a.copy()
    return copy.deepcopy(a)


def same(a, b) -> bool:
    """Bitwise equality of two argument values (NaN equal to NaN)."""
    if torch is not None and isinstance(a, torch.Tensor):
        return bool(torch.equal(a.nan_to_num(), b.nan_to_num())) and bool(torch.equal(a.isnan(), b.isnan()))
    if isinstance(a, np.ndarray):
        return np.array_equal(np.asarray(a), np.asarray(b), equal_nan=a.dtype.kind in "fc")
    return a == b


# ---------------------------------------------------------------------- the variants


class NotApplicable(Exception):
    """The variant does not apply to this spec (reason in the message)."""


@dataclass(frozen=True)
class Variant:
    """A hostile transformation of a problem.

    ``field`` and ``size`` choose how the spec builds the problem;
    ``transform(x, role)`` maps one data array (role ``"matrix"``, ``"rhs"``
    or ``"data"``) to what is passed; ``working`` is the dtype in which the
    result must be accurate (SciPy's promotion rule).
    """

    name: str
    description: str
    transform: Callable[[np.ndarray, str], Any] = lambda x, role: x
    field: str = "real"
    size: int | None = None
    working: Any = np.float64
    scale: float = 1.0
    needs_wide_range: bool = False
    overwrite: bool = False  # also pass overwrite_*=True where the function takes it
    needs_rhs: bool = False
    torch: bool = False  # the result must be torch tensors

    def case(self, spec) -> Case:
        if self.needs_wide_range and not WIDE_RANGE:
            raise NotApplicable("needs an extended-range longdouble for the reference")
        problem = spec.build(self.field, self.size)
        if self.needs_rhs and problem.rhs is None:
            raise NotApplicable("the function takes no right-hand side")
        args = list(problem.args)
        if self.scale != 1.0:
            for i, deg in zip(problem.data, problem.degrees or (1,) * len(problem.data), strict=True):
                args[i] = _scaled(args[i], self.scale, deg)
        ref = list(args)
        passed = list(args)
        for i in problem.data:
            role = "matrix" if i == problem.matrix else "rhs" if i == problem.rhs else "data"
            passed[i] = self.transform(args[i], role)
            ref[i] = wide(passed[i])
        kwargs = dict(problem.kwargs)
        if self.overwrite:
            params = inspect.signature(spec.func).parameters if callable(spec.func) else {}
            kwargs.update({p: True for p in params if p.startswith("overwrite")})
        working = np.dtype(self.working)
        if self.working is np.float64 and any(np.iscomplexobj(a) for a in ref if isinstance(a, np.ndarray)):
            working = np.dtype(np.complex128)
        return Case(
            spec=spec,
            variant=self,
            problem=problem,
            args=passed,
            kwargs=kwargs,
            ref=ref,
            u=_effective_roundoff(working, [ref[i] for i in problem.data]),
            working=working,
        )


def _effective_roundoff(working, data) -> float:
    """The unit roundoff, plus what gradual underflow adds for data this small.

    With gradual underflow every operation obeys ``fl(x op y) = (x op y)(1 +
    d) + e`` with ``|d| <= u`` and ``|e| <= lambda``, the smallest subnormal
    (Higham 2002, §2.2, eq. (2.8); Demmel 1984).  Over an inner product of
    length ``n`` on data of size ``s`` the absolute terms act like a relative
    perturbation ``n lambda / s``: negligible unless the data are subnormal,
    where no algorithm without rescaling can do better.
    """
    u = unit_roundoff(working)
    peaks = [float(np.abs(d).max()) for d in data if d.size and np.abs(d).max() > 0]
    if not peaks:
        return u
    n = max(max(d.shape) if d.ndim else 1 for d in data)
    return u + n * float(np.finfo(working).smallest_subnormal) / min(peaks)


def _scaled(x: np.ndarray, s: float, degree) -> np.ndarray:
    if degree == "upper":
        out = x.copy()
        iu = np.triu_indices(x.shape[0], 0, x.shape[1])
        out[iu] = out[iu] * s
        return out
    if degree == 0:
        return x
    f = np.ldexp(1.0, round(np.log2(s) * degree))  # an exact power of two
    return x * f


def _inject(value):
    def transform(x, role):
        if role != "matrix":
            return x
        if x.size == 0:
            raise NotApplicable("empty matrix: no entry to make non-finite")
        x = x.copy()
        x[(-1,) * x.ndim] = value
        return x

    return transform


def _inject_rhs(value):
    def transform(x, role):
        if role != "rhs":
            return x
        x = x.copy()
        x.flat[0] = value
        return x

    return transform


def _cast(dtype, exact=True):
    """Cast to ``dtype``; with ``exact``, refuse data that the cast would round."""

    def transform(x, role):
        if np.dtype(dtype).kind in "iub":
            if np.iscomplexobj(x) or not np.array_equal(x, np.round(x)):
                raise NotApplicable(f"data not exactly representable as {np.dtype(dtype)}")
            if np.dtype(dtype).kind == "b" and not np.isin(x, (0, 1)).all():
                raise NotApplicable("data not 0/1")
        y = x.astype(dtype)
        if exact and not np.array_equal(y.astype(x.dtype), x):
            raise NotApplicable(f"data not exactly representable as {np.dtype(dtype)}")
        return y

    return transform


def _strided(x, role):
    big = np.zeros(tuple(2 * s + 1 for s in x.shape), dtype=x.dtype)
    view = big[(slice(1, None, 2),) * x.ndim]
    view[...] = x
    return view


def _reversed(x, role):
    flipped = np.ascontiguousarray(x[(slice(None, None, -1),) * x.ndim])
    return flipped[(slice(None, None, -1),) * x.ndim]


def _fortran(x, role):
    return np.asfortranarray(x) if x.ndim == 2 else x


def _readonly(x, role):
    y = x.copy()
    y.setflags(write=False)
    return y


def _masked(x, role):
    if role != "matrix":
        return x
    mask = np.zeros(x.shape, dtype=bool)
    if x.size:
        mask[(0,) * x.ndim] = True
    return np.ma.masked_array(x.copy(), mask=mask)


def _tolist(x, role):
    return x.tolist()


def _torch(x, role):
    if torch is None:  # pragma: no cover
        raise NotApplicable("torch is not installed")
    return torch.from_numpy(x.copy())


def _torch_strided(x, role):
    """A non-contiguous tensor view (every other row and column; the transpose for vectors' sake)."""
    if torch is None:  # pragma: no cover
        raise NotApplicable("torch is not installed")
    return torch.from_numpy(_strided(x, role).base)[(slice(1, None, 2),) * x.ndim]


#: Powers of two near 1e+-150, 1e+-300 and deep in the subnormals (even
#: exponents, so that ``s**0.5`` is exact too).
SCALES = {
    "big150": 2.0**498,
    "tiny150": 2.0**-498,
    "big300": 2.0**996,
    "tiny300": 2.0**-996,
    "subnormal": 2.0**-1050,
}

VARIANTS: dict[str, Variant] = {
    v.name: v
    for v in [
        Variant("base", "float64, C-contiguous, well conditioned (the control)"),
        Variant("nan", "one NaN in the matrix", _inject(np.nan)),
        Variant("inf", "one +Inf in the matrix", _inject(np.inf)),
        Variant("nan_rhs", "one NaN in the right-hand side", _inject_rhs(np.nan), needs_rhs=True),
        *[
            Variant(name, f"matrix and rhs scaled by 2**{int(np.log2(s))}", scale=s, needs_wide_range=True)
            for name, s in SCALES.items()
        ],
        Variant("empty", "0 x 0 (0 rows of the right-hand side)", size=0),
        Variant("one", "1 x 1", size=1),
        Variant("int64", "integer entries", _cast(np.int64), field="integer"),
        Variant("bool", "0/1 entries as bool", _cast(np.bool_), field="bool", working=np.float32),
        Variant("float16", "float16 entries", _cast(np.float16), field="integer", working=np.float32),
        Variant("float32", "float32 entries", _cast(np.float32, exact=False), working=np.float32),
        Variant(
            "complex64",
            "complex64 entries",
            _cast(np.complex64, exact=False),
            field="complex",
            working=np.complex64,
        ),
        Variant("strided", "every other row and column of a larger array", _strided),
        Variant("reversed", "negative strides (a[::-1, ::-1] of a reversed copy)", _reversed),
        Variant("fortran", "Fortran order (a transposed view)", _fortran),
        Variant(
            "readonly", "read-only arrays, with overwrite_*=True where offered", _readonly, overwrite=True
        ),
        Variant("masked", "numpy.ma masked array (one entry masked)", _masked),
        Variant("list", "nested Python lists", _tolist),
        Variant("torch", "CPU torch tensors (float64)", _torch, torch=True),
        Variant("torch_strided", "non-contiguous CPU torch tensor views", _torch_strided, torch=True),
    ]
}
