"""Array plumbing shared by every public function.

* namespace resolution (NumPy, PyTorch, JAX) through ``array-api-compat``;
* validation: dimensions, squareness, finiteness, dtype promotion;
* working copies that honour ``overwrite_*`` and read-only input;
* the batching helper that lifts a 2-D core to ``(..., M, N)`` input;
* machine-precision helpers.

Everything here is private; the public API lives in ``pivotal``.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable, Sequence
from typing import Any

import array_api_compat
import numpy as np

from ._tracing import concrete_value, refuse_functorch, refuse_gradient, refuse_tracer
from .errors import UnsupportedDTypeError

__all__ = [
    "Backend",
    "apply_over_batch",
    "as_array",
    "backend_name",
    "check_flag",
    "check_int",
    "conj_transpose",
    "conjugate_inplace",
    "device_of",
    "distinct_entries",
    "finfo",
    "from_numpy",
    "is_complex",
    "is_traced",
    "namespace",
    "new_zeros",
    "on_host",
    "promote_dtypes",
    "real_dtype",
    "refuse_masked",
    "result_dtype",
    "to_float",
    "to_numpy",
    "unit_roundoff",
    "validate_matrix",
    "validate_rhs",
    "working",
    "working_copy",
    "working_dtype",
    "wrap_like",
    "zero_strict_upper",
]

Backend = str  # "numpy" | "torch" | "jax"


def backend_name(x: Any) -> Backend:
    """Name of the backend that owns ``x``: ``"numpy"``, ``"torch"`` or ``"jax"``."""
    if array_api_compat.is_torch_array(x):
        return "torch"
    if array_api_compat.is_jax_array(x):
        return "jax"
    return "numpy"


def namespace(*arrays: Any):
    """Array-API namespace of ``arrays`` (NumPy for array-likes such as lists).

    Raises ``TypeError`` with a clear message when arrays from different
    backends are mixed.
    """
    arrays = [a for a in arrays if a is not None]
    names = {backend_name(a) for a in arrays} or {"numpy"}
    if len(names) > 1:
        raise TypeError(
            f"arrays from different backends were mixed ({', '.join(sorted(names))}); "
            "convert them to one type (for example torch.as_tensor or numpy.asarray) first."
        )
    name = names.pop()
    if name == "numpy":
        return array_api_compat.array_namespace(np.empty(0))
    return array_api_compat.array_namespace(*arrays)


# --------------------------------------------------------------------------- dtypes


def _numpy_working_dtype(dtype: np.dtype) -> np.dtype:
    """SciPy's LAPACK dtype rule: f16/bool -> f32, ints -> f64, complex kept."""
    dtype = np.dtype(dtype)
    if dtype.kind == "c":
        return np.dtype(np.complex64) if dtype.itemsize <= 8 else np.dtype(np.complex128)
    if dtype.kind == "f":
        return np.dtype(np.float32) if dtype.itemsize <= 4 else np.dtype(np.float64)
    if dtype.kind == "b":
        return np.dtype(np.float32)
    if dtype.kind in "iu":
        return np.dtype(np.float64)
    raise UnsupportedDTypeError(_dtype_message("the input", dtype))


def _dtype_message(name: str, dtype: Any) -> str:
    return (
        f"{name} has dtype {dtype}, which cannot be cast to float(32, 64) or complex(64, 128); "
        "pass a numeric array (float, complex, integer or bool)"
        + (
            ", for example the tick counts x.astype(np.int64) of datetimes"
            if np.dtype(dtype).kind in "mM"
            else ""
        )
        + "."
    )


def working_dtype(x: Any):
    """Floating dtype in which the decompositions of ``x`` are computed.

    float16/bfloat16 and bool become float32, integers become float64, and
    float32/float64/complex64/complex128 are preserved (SciPy's rule).
    """
    name = backend_name(x)
    if name == "torch":
        import torch

        dt = x.dtype
        if dt in (torch.float32, torch.float64, torch.complex64, torch.complex128):
            return dt
        if dt in (torch.float16, torch.bfloat16, torch.bool):
            return torch.float32
        if dt == torch.complex32:
            return torch.complex64
        if not dt.is_floating_point and not dt.is_complex:
            return torch.float64
        raise UnsupportedDTypeError(
            f"unsupported dtype {dt}: pass a floating-point, complex or integer tensor."
        )
    if name == "jax":
        import jax.numpy as jnp

        np_dt = _numpy_working_dtype(np.dtype(x.dtype))
        # JAX runs in float32 unless x64 is enabled; keep what it can represent.
        return jnp.result_type(np_dt)
    return _numpy_working_dtype(np.asarray(x).dtype if not hasattr(x, "dtype") else x.dtype)


def is_scipy_sparse(x: Any) -> bool:
    """True for a ``scipy.sparse`` matrix or array (the entry points route it to :mod:`pivotal.sparse`)."""
    import scipy.sparse

    return scipy.sparse.issparse(x)


def is_complex(dtype: Any) -> bool:
    """True for complex dtypes of any backend."""
    if hasattr(dtype, "is_complex"):
        return bool(dtype.is_complex)
    return np.dtype(dtype).kind == "c"


def real_dtype(dtype: Any):
    """The real dtype matching ``dtype`` (complex128 -> float64)."""
    if hasattr(dtype, "is_complex"):
        import torch

        return {torch.complex64: torch.float32, torch.complex128: torch.float64}.get(dtype, dtype)
    return np.finfo(np.dtype(dtype)).dtype


def finfo(dtype: Any):
    """``torch.finfo`` of a PyTorch dtype, else ``numpy.finfo`` (NumPy and JAX dtypes, Python types)."""
    if hasattr(dtype, "is_floating_point"):  # a torch dtype
        import torch

        return torch.finfo(dtype)
    return np.finfo(np.dtype(dtype))


def unit_roundoff(dtype: Any) -> float:
    """Unit roundoff ``u = eps/2`` of ``dtype`` (LAPACK's ``dlamch('E')``)."""
    if hasattr(dtype, "is_complex") or hasattr(dtype, "is_floating_point"):
        import torch

        return float(torch.finfo(dtype).eps) / 2
    return float(np.finfo(np.dtype(dtype)).eps) / 2


# --------------------------------------------------------------------------- validation


def refuse_masked(a: Any, name: str = "a") -> None:
    """``ValueError`` for a ``numpy.ma.MaskedArray``, as SciPy: the mask would be silently dropped."""
    if isinstance(a, np.ma.MaskedArray):  # SciPy's error type and words
        raise ValueError(
            f"masked arrays are not supported ({name} is a numpy.ma.MaskedArray): linear algebra "
            f"cannot skip entries. Pass {name}.filled(value) to choose the masked entries' values, "
            f"or {name}.data to ignore the mask."
        )


def as_array(a: Any, name: str = "a"):
    """Return ``a`` as a backend array (lists and scalars become NumPy arrays)."""
    if backend_name(a) != "numpy":
        return a
    refuse_masked(a, name)
    if isinstance(a, np.ndarray):
        arr = a
    else:
        if hasattr(a, "toarray") and hasattr(a, "nnz"):
            raise TypeError(
                f"{name} is a scipy.sparse matrix; dense decompositions need a dense "
                f"array. Call {name}.toarray() first, or use pivotal.SparseLU / "
                "pivotal.SparseCholesky (pivotal.solve, factorize and lstsq accept sparse input)."
            )
        arr = np.asarray(a)
    if type(arr) is not np.ndarray:  # np.matrix and other subclasses: compute on the base class
        arr = np.asarray(arr)
    if arr.dtype == object or arr.dtype.kind in "SUVMm":
        raise UnsupportedDTypeError(_dtype_message(name, arr.dtype))
    return arr


def distinct_entries(x: Any) -> Any:
    """A view of ``x`` holding each entry once: every axis of stride 0 cut to length 1.

    Broadcast views (``numpy.broadcast_to``, ``torch.expand``) repeat their
    entries along the axes of stride 0; a scan of the view (finiteness, the
    largest entry) needs only this view, whose size is that of the memory
    behind it rather than the product of the shape (``10**12`` entries for
    ``numpy.broadcast_to(1.0, (10**6, 10**6))``).  Other arrays are
    returned unchanged.
    """
    name = backend_name(x)
    if name == "jax" or not hasattr(x, "shape") or len(x.shape) == 0:
        return x
    strides = x.stride() if name == "torch" else np.asarray(x).strides
    if all(s != 0 for s in strides):
        return x
    keep = [slice(0, 1) if s == 0 and d > 1 else slice(None) for s, d in zip(strides, x.shape, strict=True)]
    return x[tuple(keep)]


def _all_finite(x, name: str) -> bool:
    x = distinct_entries(x)
    if name == "torch":
        import torch

        if x.device.type == "cpu" and x.dtype not in (torch.bfloat16, torch.float16):
            # NumPy's scan of a zero-copy view is >10x faster than torch.isfinite(x).all().
            return bool(np.isfinite(x.detach().resolve_conj().resolve_neg().numpy()).all())
        return bool(torch.isfinite(x).all())
    if name == "jax":
        import jax.numpy as jnp

        x = concrete_value(x)  # under jax.grad outside jit the values are known; under jit they are not
        if x is None:
            return True  # nothing to check: documented in docs/autodiff.md ("What is checked under jit")
        import jax

        with jax.ensure_compile_time_eval():  # a concrete value inside a trace: evaluate, do not stage
            return bool(jnp.isfinite(x).all())
    return bool(np.isfinite(x).all())


def is_traced(x: Any) -> bool:
    """True for a JAX array being traced (``jax.jit``/``vmap``/``grad``): it has no values to inspect."""
    if backend_name(x) != "jax":
        return False
    import jax

    return isinstance(x, jax.core.Tracer)


def check_finite_or_raise(x: Any, name: str = "a") -> None:
    """Raise ``ValueError`` when ``x`` contains NaN or Inf."""
    if not _all_finite(x, backend_name(x)):
        raise ValueError(
            f"array must not contain infs or NaNs (found in {name}); clean the input, "
            "or pass check_finite=False if non-finite values are intended."
        )


def validate_matrix(
    a: Any,
    name: str = "a",
    *,
    square: bool = False,
    check_finite: bool = True,
    batch: bool = True,
    differentiable: bool = False,
):
    """The one validation helper at the top of every public function.

    Converts array-likes to arrays, checks the number of dimensions (``2`` or,
    with ``batch``, ``>= 2``), squareness and finiteness.  The dtype is left
    alone; :func:`working_copy` promotes it.  A tensor that requires grad
    is refused with an error naming the public function, unless the caller
    routes it through a derivative rule (``differentiable=True``).  The
    finiteness of a JAX array traced by ``jax.jit`` (no values) is not checked.

    Returns
    -------
    array
        ``a`` itself when it already is an array of a supported backend.
    """
    a = as_array(a, name)
    if type(a).__module__.startswith("torch"):
        refuse_functorch(a)
    if not differentiable:
        refuse_gradient(a, name)
    ndim = len(a.shape)
    if ndim < 2 or (ndim > 2 and not batch):
        want = "a 2-D array" if not batch else "at least two-dimensional, shape (M, N) or (..., M, N)"
        raise ValueError(
            f"expected {name} to be {want}, got shape {tuple(a.shape)}; "
            "reshape it (for a single row or column use a[None, :] or a[:, None])."
        )
    if square and a.shape[-1] != a.shape[-2]:
        raise ValueError(
            f"expected square matrix {name}: Last 2 dimensions of the array must be square, got shape "
            f"{tuple(a.shape)}; use lstsq (or a QR factorization) for rectangular systems."
        )
    if check_finite:
        check_finite_or_raise(a, name)
    return a


def check_int(value: Any, name: str, low: int | None = 0, *, allow_none: bool = False) -> int | None:
    """``value`` as an int of at least ``low`` (no bound for ``None``); ``None`` passes with ``allow_none``.

    ``TypeError`` unless it is an integer (``operator.index``: Python and NumPy
    integers, not floats); ``ValueError`` below ``low``.

    Examples
    --------
    >>> check_int(np.int64(3), "n"), check_int(None, "rank", allow_none=True)
    (3, None)
    >>> check_int(0, "t", 1)
    Traceback (most recent call last):
    ValueError: t must be at least 1, got 0
    >>> check_int(2.0, "rank", allow_none=True)
    Traceback (most recent call last):
    TypeError: rank must be an integer or None, got float
    """
    if value is None and allow_none:
        return None
    try:
        v = operator.index(value)
    except TypeError:
        kind = "an integer or None" if allow_none else "an integer"
        raise TypeError(f"{name} must be {kind}, got {type(value).__name__}") from None
    if low is not None and v < low:
        raise ValueError(f"{name} must be {'nonnegative' if low == 0 else f'at least {low}'}, got {v}")
    return v


def check_flag(value: Any, name: str) -> None:
    """``TypeError`` unless ``value`` is a bool (or an integer, as SciPy's LAPACK wrappers accept)."""
    if not isinstance(value, (bool, int, np.bool_, np.integer)):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__} {value!r}.")


def validate_rhs(
    b: Any,
    n: int,
    name: str = "b",
    *,
    check_finite: bool = True,
    a_name: str = "a",
    differentiable: bool = False,
):
    """Validate a right-hand side whose first core dimension must equal ``n``.

    ``b`` may be a vector ``(N,)``, a matrix ``(N, K)`` or a batch ``(..., N, K)``.
    """
    b = as_array(b, name)
    if type(b).__module__.startswith("torch"):
        refuse_functorch(b)
    if not differentiable:
        refuse_gradient(b, name)
    if len(b.shape) == 0 or b.shape[-1 if len(b.shape) == 1 else -2] != n:
        raise ValueError(
            f"shapes of {a_name} (N={n}) and {name} {tuple(b.shape)} are incompatible: "
            f"{name} must have {n} rows, shape ({n},) or ({n}, K)."
        )
    if check_finite:
        check_finite_or_raise(b, name)
    return b


def working_copy(a: Any, *, overwrite: bool = False, dtype: Any = None):
    """A writable array in the working dtype, safe for a kernel to overwrite.

    ``a`` itself is returned (and so overwritten) only when ``overwrite`` is
    true, ``a`` is writable and already has the working dtype, which is what
    ``overwrite_a=True`` promises in SciPy.  Read-only, non-contiguous and
    Fortran-ordered inputs are copied into a C-ordered array.
    """
    dtype = working_dtype(a) if dtype is None else dtype
    name = backend_name(a)
    if name == "torch":
        if overwrite and a.dtype == dtype and not a.requires_grad:
            return a
        return a.to(dtype=dtype, copy=True).contiguous()
    if name == "jax":
        raise TypeError("JAX arrays are immutable; pivotal's kernels need NumPy or PyTorch input.")
    a = np.asarray(a)
    if (
        overwrite
        and a.dtype == dtype
        and a.flags.writeable
        and (a.flags.c_contiguous or a.flags.f_contiguous)
    ):
        return a
    return np.array(a, dtype=dtype, order="C", copy=True)


def wrap_like(x: Any, original: Any) -> Any:
    """``x`` as the ndarray subclass of ``original`` (``np.matrix``, ...), as ``numpy.linalg`` returns it.

    Other inputs (plain arrays, lists, tensors) leave ``x`` as it is.
    """
    if isinstance(original, np.ndarray) and type(original) is not np.ndarray and isinstance(x, np.ndarray):
        return original.__array_wrap__(x)
    return x


def from_numpy(x: np.ndarray, like: Any, dtype: Any = None):
    """Convert a host NumPy array to the backend (and device) of ``like``."""
    name = backend_name(like)
    if name == "torch":
        import torch

        return torch.as_tensor(x, dtype=dtype, device=like.device)
    if name == "jax":
        import jax.numpy as jnp

        return jnp.asarray(x, dtype=dtype)
    return np.asarray(x, dtype=dtype)


def promote_dtypes(*dtypes: Any):
    """The common dtype of NumPy or PyTorch dtypes (all from one backend)."""
    if hasattr(dtypes[0], "is_complex"):
        import torch

        out = dtypes[0]
        for dt in dtypes[1:]:
            out = torch.promote_types(out, dt)
        return out
    return np.result_type(*dtypes)


def result_dtype(*arrays: Any):
    """Working dtype of a computation on ``arrays`` (each promoted by :func:`working_dtype`)."""
    return promote_dtypes(*(working_dtype(x) for x in arrays))


def device_of(x: Any):
    """The device of a backend array (``"cpu"`` for NumPy)."""
    return array_api_compat.device(x)


def conj_transpose(x: Any) -> Any:
    """``x^H`` of a 2-D array (a plain transpose for real dtypes; may be a view)."""
    xp = namespace(x)
    return xp.conj(x.T) if is_complex(x.dtype) else x.T


def dtype_name(dtype: Any) -> str:
    """``"float64"`` for ``numpy.float64`` and ``torch.float64`` alike (reports, reprs)."""
    return str(dtype).replace("torch.", "")


def astype(x: Any, dtype: Any) -> Any:
    """``x`` with ``dtype``, on its backend; ``x`` itself when it already has it."""
    if x.dtype == dtype:
        return x
    if backend_name(x) == "torch":
        return x.to(dtype)
    return x.astype(dtype)


def working(a: Any, dtype: Any = None) -> Any:
    """``a`` in its working dtype (SciPy's rule: integers -> float64, float16 -> float32); no copy if it has it."""
    dtype = working_dtype(a) if dtype is None else dtype
    if a.dtype == dtype:
        return a
    if backend_name(a) == "torch":
        return a.to(dtype)
    if backend_name(a) == "jax":
        return a.astype(dtype)
    return np.asarray(a, dtype=dtype)


def new_zeros(shape: tuple, like: Any) -> Any:
    """Zeros of ``shape`` with the dtype of ``like``, on its device for PyTorch (a NumPy array otherwise)."""
    if backend_name(like) == "torch":
        import torch

        return torch.zeros(shape, dtype=like.dtype, device=like.device)
    return np.zeros(shape, dtype=like.dtype)


def to_float(x: Any) -> float:
    """A Python float from a 0-d array of any backend (detached from autograd)."""
    if backend_name(x) == "torch":
        return float(x.detach())
    return float(x)


def conjugate_inplace(x: Any) -> Any:
    """Conjugate a complex array in place (NumPy or PyTorch)."""
    if backend_name(x) == "torch":
        return x.conj_physical_()
    return np.conjugate(x, out=x)


def zero_strict_upper(x: Any, block: int = 256) -> Any:
    """Set the strict upper triangle of a square ``x`` to zero, in place.

    Works in row blocks so that no ``n x n`` mask or copy is made; values in
    the upper triangle (NaN included) are overwritten, never read.
    """
    n = x.shape[0]
    xp = namespace(x)
    for i0 in range(0, n, block):
        i1 = min(i0 + block, n)
        x[i0:i1, i1:] = 0
        x[i0:i1, i0:i1] = xp.tril(x[i0:i1, i0:i1])
    return x


def to_numpy(x: Any) -> np.ndarray:
    """A NumPy view or copy of any backend array (host memory).

    A traced JAX array has no values to copy: it gets the clear ``TypeError``
    naming the public function, not JAX's ``TracerArrayConversionError``.
    """
    name = backend_name(x)
    if name == "torch":
        return x.detach().cpu().resolve_conj().numpy()
    if name == "jax":
        refuse_tracer(x, "input", "these arguments")
    return np.asarray(x)


def on_host(fn: Callable[..., Any], *arrays: Any) -> Any:
    """Run the NumPy implementation ``fn`` on host copies of torch/JAX ``arrays``, results back on their device."""
    like = next(x for x in arrays if x is not None)
    out = fn(*(None if x is None else to_numpy(x) for x in arrays))
    if isinstance(out, tuple):
        return tuple(from_numpy(np.ascontiguousarray(o), like) for o in out)
    return from_numpy(np.ascontiguousarray(out), like)


# --------------------------------------------------------------------------- batching


def _stack(items: list, like: Any):
    if backend_name(like) == "torch":
        import torch

        return torch.stack(items)
    return np.stack(items)


def apply_over_batch(
    core: Callable[..., Any],
    arrays: Sequence[tuple[Any, int]],
    *args: Any,
    **kwargs: Any,
):
    """Apply a 2-D ``core`` over the broadcast batch dimensions of ``arrays``.

    Parameters
    ----------
    core : callable
        ``core(*core_arrays, *args, **kwargs)``; returns an array, a tuple of
        arrays, or a tuple that mixes arrays and plain Python values.
    arrays : sequence of (array, core_ndim)
        Each input with the number of trailing dimensions the core consumes.
        An input with exactly ``core_ndim`` dimensions is broadcast.

    Returns
    -------
    The core's result with each array output stacked to ``batch + core shape``;
    non-array outputs are returned from the first batch element (they must be
    the same for every element).
    """
    batch_shapes = [tuple(a.shape[: len(a.shape) - nd]) for a, nd in arrays]
    if all(not s for s in batch_shapes):
        return core(*[a for a, _ in arrays], *args, **kwargs)
    try:
        batch = np.broadcast_shapes(*batch_shapes)
    except ValueError:
        raise ValueError(
            f"batch dimensions {batch_shapes} of the inputs do not broadcast; "
            "give them equal (or broadcastable) leading dimensions."
        ) from None
    like = arrays[0][0]
    if int(np.prod(batch)) == 0:
        # Empty batch: run the core on an identity-like matrix of the core
        # shape to learn the output shapes and dtypes, then return empty stacks.
        probe = core(*[_probe_core(a, nd) for a, nd in arrays], *args, **kwargs)
        return _map_outputs(probe, lambda o: _empty_batch(o, batch))
    results = []
    for idx in itertools.product(*(range(s) for s in batch)):
        items = []
        for (a, _), bshape in zip(arrays, batch_shapes, strict=True):
            off = len(batch) - len(bshape)
            sub = tuple(0 if bshape[i - off] == 1 else idx[i] for i in range(off, len(batch)))
            items.append(a[sub] if sub else a)
        results.append(core(*items, *args, **kwargs))
    first = results[0]
    if isinstance(first, tuple):
        out = []
        for j, item in enumerate(first):
            if _is_array(item):
                stacked = _stack([r[j] for r in results], like)
                out.append(stacked.reshape(tuple(batch) + tuple(item.shape)))
            else:
                out.append(item)
        return tuple(out)
    return _stack(results, like).reshape(tuple(batch) + tuple(first.shape))


def _is_array(x: Any) -> bool:
    return isinstance(x, np.ndarray) or (array_api_compat.is_array_api_obj(x) and not np.isscalar(x))


def _probe_core(a: Any, nd: int):
    """An identity-like core-shaped array (nonsingular, positive definite)."""
    core_shape = tuple(a.shape[len(a.shape) - nd :])
    probe = np.eye(*core_shape) if nd == 2 else np.ones(core_shape)
    if backend_name(a) == "torch":
        import torch

        return torch.as_tensor(probe, dtype=a.dtype, device=a.device)
    return probe.astype(np.asarray(a).dtype)


def _empty_batch(o: Any, batch: tuple):
    if not _is_array(o):
        return o
    shape = tuple(batch) + tuple(o.shape)
    if backend_name(o) == "torch":
        import torch

        return torch.empty(shape, dtype=o.dtype, device=o.device)
    return np.empty(shape, dtype=o.dtype)


def _map_outputs(result: Any, fn: Callable[[Any], Any]):
    if isinstance(result, tuple):
        return tuple(fn(r) for r in result)
    return fn(result)
