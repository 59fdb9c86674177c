"""Small array-API helpers shared by the rules (batched ``(..., M, N)``, NumPy/PyTorch/JAX)."""

from __future__ import annotations

from typing import Any

from .._array import backend_name, is_complex, namespace
from .._effective import swap_last

__all__ = [
    "conj",
    "eye_like",
    "inverse_permutation",
    "lu_row_permutation",
    "mH",
    "outer",
    "real",
    "scaled_eye",
    "take_rows",
]


def conj(x: Any) -> Any:
    """``conj(x)``; ``x`` itself for real dtypes."""
    return namespace(x).conj(x) if is_complex(x.dtype) else x


def real(x: Any) -> Any:
    """The real part (``x`` itself for real dtypes)."""
    return namespace(x).real(x) if is_complex(x.dtype) else x


def mH(x: Any) -> Any:
    """Conjugate transpose of each matrix of a batch."""
    return conj(swap_last(x))


def outer(w: Any, z: Any) -> Any:
    """``w @ z^H`` for ``(..., n, k)`` blocks: the rank-k matrix of a solve's gradient."""
    return w @ mH(z)


def eye_like(a: Any) -> Any:
    """Identity of ``a``'s (square) matrix shape, dtype and device."""
    xp = namespace(a)
    n = a.shape[-1]
    dev = a.device if backend_name(a) == "torch" else None
    return xp.eye(n, dtype=a.dtype, device=dev)


def scaled_eye(s: Any, a: Any) -> Any:
    """``s[..., None, None] * I`` broadcast to ``a``'s shape (``s`` of shape ``a.shape[:-2]``)."""
    xp = namespace(a)
    eye = eye_like(a)
    out = xp.astype(s, a.dtype)[..., None, None] * eye
    return xp.broadcast_to(out, a.shape)


def take_rows(w: Any, perm: Any) -> Any:
    """``w[..., perm, :]`` with a (batched) row permutation ``perm`` of shape ``(..., n)``."""
    if len(perm.shape) == 1:
        return w[..., perm, :]
    name = backend_name(w)
    idx = perm[..., :, None]
    if name == "torch":
        import torch

        return torch.take_along_dim(w, idx.expand(*w.shape[:-1], 1).expand(w.shape), dim=-2)
    if name == "jax":
        import jax.numpy as jnp

        return jnp.take_along_axis(w, jnp.broadcast_to(idx, w.shape), axis=-2)
    import numpy as np

    return np.take_along_axis(w, np.broadcast_to(idx, w.shape), axis=-2)


def inverse_permutation(perm: Any) -> Any:
    """``argsort(perm)`` along the last axis (an integer array of ``perm``'s backend)."""
    return namespace(perm).argsort(perm, axis=-1)


def lu_row_permutation(piv: Any, m: int) -> Any:
    """The row permutation ``perm`` of ``k`` LAPACK interchanges ``piv``: ``A[perm] = L U``."""
    if backend_name(piv) == "jax":
        import jax

        return jax.lax.linalg.lu_pivots_to_permutation(piv, m)
    import numpy as np

    from .._array import from_numpy, to_numpy
    from .._permutations import ipiv_to_perm

    k = piv.shape[-1]
    host = to_numpy(piv).reshape(-1, k)
    perms = np.stack([ipiv_to_perm(q, m) for q in host]).reshape(tuple(piv.shape[:-1]) + (m,))
    if backend_name(piv) == "torch":
        import torch

        return from_numpy(perms, piv, torch.int64)
    return perms
