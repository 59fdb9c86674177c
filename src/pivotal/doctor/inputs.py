"""What doctor accepts: the user's object as a host (NumPy) matrix, its storage, and the seeds it uses."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._array import backend_name, to_numpy
from .._array import working_dtype as _backend_working_dtype


def is_sparse(a: Any) -> bool:
    try:
        import scipy.sparse as sp
    except ImportError:  # pragma: no cover - scipy is a core dependency
        return False
    return bool(sp.issparse(a))


def storage(a: Any) -> tuple[str, str, str]:
    """``(backend, device, layout)`` of the user's object."""
    if is_sparse(a):
        return "scipy.sparse", "cpu", f"sparse {a.format} ({type(a).__name__})"
    name = backend_name(a)
    if name == "torch":
        if a.layout != __import__("torch").strided:
            return "torch", str(a.device), f"torch {a.layout}".replace("torch.", "")
        c = a.is_contiguous()
        f = a.ndim == 2 and a.mT.is_contiguous()
        return "torch", str(a.device), _layout(c, f)
    if name == "jax":
        try:
            device = ", ".join(sorted(str(d) for d in a.devices()))
        except (AttributeError, TypeError, RuntimeError):  # pragma: no cover - tracers and older JAX
            device = "unknown"
        return "jax", device.lower(), "C-contiguous (XLA buffer)"
    if isinstance(a, np.ndarray):
        return "numpy", "cpu", _layout(a.flags.c_contiguous, a.flags.f_contiguous)
    return "numpy", "cpu", f"converted from {type(a).__name__}"


def _layout(c: bool, f: bool) -> str:
    if c and f:
        return "C- and F-contiguous"
    if c:
        return "C-contiguous"
    if f:
        return "F-contiguous"
    return "strided (not contiguous)"


def host_dense(a: Any) -> np.ndarray:
    """The input as a 2-D NumPy array (a detached host copy for torch/JAX)."""
    if backend_name(a) == "torch":
        a = a.detach()
        if a.layout != __import__("torch").strided:
            a = a.to_dense()
    x = to_numpy(a) if backend_name(a) != "numpy" else np.asarray(a)
    if isinstance(x, np.matrix):
        x = np.asarray(x)
    return x


#: Largest dense size (entries) of a broadcast (stride-0) view that doctor materialises: 2 GiB in float64.
BROADCAST_LIMIT = 2**28


def dense_copy_of_broadcast(x: np.ndarray) -> np.ndarray:
    """``x``, or a dense copy of a broadcast view; a ``ValueError`` when that copy would be too large.

    A view with a stride-0 axis (``numpy.broadcast_to``, ``torch.expand``)
    holds one row or column however large its shape; doctor's analyses
    factor the dense matrix, which for ``broadcast_to(1.0, (10**6, 10**6))``
    would need 8 TB (and the entrywise counts alone scan ``10**12`` entries).
    Views up to :data:`BROADCAST_LIMIT` entries are copied and examined like
    any matrix; larger ones are refused before anything is scanned.
    """
    if x.ndim != 2 or all(st != 0 for st in x.strides) or x.size <= 1:
        return x
    if x.size > BROADCAST_LIMIT:
        m, n = x.shape
        raise ValueError(
            f"a is a broadcast (stride-0) view of shape {m} x {n}: its {x.size:.3g} entries repeat one "
            f"row or column, but doctor factors the dense matrix ({x.size * x.itemsize / 2**30:.3g} GiB), "
            f"which is refused beyond {BROADCAST_LIMIT:.3g} entries. Examine the distinct part "
            "(a[:1] or a[:, :1]), or a smaller matrix."
        )
    return np.ascontiguousarray(x)


def check_2d(shape: tuple, what: str = "a") -> tuple[int, int]:
    """``(M, N)`` of a 2-D shape; ``ValueError`` naming the fix otherwise."""
    if len(shape) != 2:
        raise ValueError(
            f"doctor examines one matrix: expected {what} of shape (M, N), got {tuple(shape)}; "
            "for a batch call doctor on each matrix (a[i])."
        )
    return int(shape[0]), int(shape[1])


def working_dtype(dtype: np.dtype) -> np.dtype:
    """The dtype the analyses run in (SciPy's LAPACK rule); ``TypeError`` for non-numeric input."""
    if dtype.kind not in "biufc":
        raise TypeError(f"doctor needs a numeric matrix, got dtype {dtype}.")
    return np.dtype(_backend_working_dtype(np.empty(0, dtype=dtype)))


def random_rhs(rng: np.random.Generator, m: int, dt: np.dtype) -> np.ndarray:
    """A standard normal vector of length ``m`` in ``dt`` (complex normal for complex ``dt``)."""
    b = rng.standard_normal(m)
    if dt.kind == "c":
        b = b + 1j * rng.standard_normal(m)
    return b.astype(dt)
