"""JAX backend for the SciPy-compatible functions.

JAX arrays are immutable, so pivotal's in-place kernels cannot run on them.
Requests that ``jax.scipy.linalg`` supports (partial-pivoting LU, Cholesky,
triangular solves) are computed there and stay traceable (pass
``check_finite=False`` under ``jax.jit``, since checking needs concrete
values).  Everything else (rook/complete/no pivoting, ``method="kernel"``,
``block_size``, LDL) is computed by pivotal's NumPy code on the host and
converted back: correct, but not traceable by ``jit``/``grad``.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import jax.scipy.linalg as jsl
import numpy as np

from .._array import to_numpy

name = "jax"


def to_host(x: Any) -> np.ndarray:
    """Copy a JAX array to a NumPy array (a traced one gets a clear ``TypeError`` naming the function)."""
    return to_numpy(x)


def from_host(x: Any) -> Any:
    """Convert NumPy results (arrays, tuples, bools) back to JAX arrays."""
    if isinstance(x, tuple):
        return tuple(from_host(v) for v in x)
    if isinstance(x, np.ndarray):
        return jnp.asarray(x)
    return x


def _lu_2d(a, permute_l: bool, p_indices: bool):
    if permute_l:
        return jsl.lu(a, permute_l=True)
    p, l, u = jsl.lu(a)
    if p_indices:
        return jnp.argmax(p, axis=-1).astype(jnp.int32), l, u
    return p, l, u


def lu(a, permute_l: bool = False, p_indices: bool = False):
    """``jax.scipy.linalg.lu`` with SciPy's ``p_indices`` and batching."""

    def fn(m):
        return _lu_2d(m, permute_l, p_indices)

    for _ in range(a.ndim - 2):
        fn = jax.vmap(fn)
    return fn(a)


def lu_factor(a):
    return jsl.lu_factor(a, check_finite=False)


def lu_solve(lu_and_piv, b, trans: int):
    return jsl.lu_solve(lu_and_piv, b, trans=trans, check_finite=False)


def cholesky(a, lower: bool):
    return jsl.cholesky(a, lower=lower, check_finite=False)


def cho_solve(c_and_lower, b):
    return jsl.cho_solve(c_and_lower, b, check_finite=False)


def solve_triangular(a, b, trans: int, lower: bool, unit_diagonal: bool):
    return jsl.solve_triangular(
        a, b, trans=trans, lower=lower, unit_diagonal=unit_diagonal, check_finite=False
    )
