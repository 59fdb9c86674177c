"""The matrix a structured solve actually uses (SciPy ignores the entries outside the structure).

``effective_matrix(a, assume, lower)`` rebuilds it from the entries a
structure reads: one triangle of a symmetric/Hermitian matrix, the band of a
tridiagonal one, the diagonal of a diagonal one.  It is written with
array-API operations only (batched ``(..., N, N)``, NumPy, PyTorch and JAX),
so that autodiff differentiates through it: the gradient of a structured
solve with respect to ``a`` is the gradient with respect to the effective
matrix pulled back onto the entries that were read.
"""

from __future__ import annotations

from typing import Any

from ._array import is_complex, namespace

__all__ = ["STRUCTURES", "effective_matrix", "swap_last"]

STRUCTURES = (
    "auto",
    "general",
    "banded",
    "triangular",
    "diagonal",
    "tridiagonal",
    "upper triangular",
    "lower triangular",
    "symmetric",
    "hermitian",
    "positive definite",
)


def swap_last(a: Any) -> Any:
    """``a`` with its last two axes swapped (a transpose of each matrix of a batch)."""
    xp = namespace(a)
    axes = list(range(len(a.shape)))
    axes[-1], axes[-2] = axes[-2], axes[-1]
    return xp.permute_dims(a, tuple(axes))


def _diag_matrix(d: Any, like: Any) -> Any:
    """``(..., N, N)`` matrices with diagonal ``d`` (``(..., N)``), in ``like``'s dtype."""
    xp = namespace(like)
    n = like.shape[-1]
    eye = xp.eye(n, dtype=like.dtype, device=getattr(like, "device", None) if _is_torch(like) else None)
    return eye * xp.astype(d, like.dtype)[..., None, :]


def _is_torch(x: Any) -> bool:
    return type(x).__module__.startswith("torch")


def effective_matrix(a: Any, assume: str, lower: bool) -> Any:
    """The matrix that a solve with structure ``assume`` (``factorize``'s names) uses."""
    xp = namespace(a)
    if assume == "diagonal":
        return _diag_matrix(xp.linalg.diagonal(a), a)
    if assume == "tridiagonal":
        return xp.triu(xp.tril(a, k=1), k=-1)
    if assume == "upper triangular":
        return xp.triu(a)
    if assume == "lower triangular":
        return xp.tril(a)
    if assume in ("symmetric", "hermitian", "positive definite"):
        conj = assume != "symmetric" and is_complex(a.dtype)
        tri = xp.tril(a, k=-1) if lower else xp.triu(a, k=1)
        other = swap_last(xp.conj(tri) if conj else tri)
        d = xp.linalg.diagonal(a)
        return tri + other + _diag_matrix(xp.real(d) if conj else d, a)
    return a
