"""``inv_quad_logdet``: the Gaussian-process building block ``(b^H A^{-1} b, log det A)`` from one Cholesky.

The negative log marginal likelihood of a Gaussian process with kernel
matrix ``A`` and targets ``b`` is ``(b^T A^{-1} b + log det A + n log 2 pi) / 2``
(Rasmussen & Williams 2006, eq. 2.30); both terms and their gradients come
from one Cholesky factorization.  Differentiable on PyTorch and JAX (the
rule is in :mod:`pivotal.autodiff.det_rules`): the backward forms ``A^{-1}``
from the forward's factor (``L^{-H} L^{-1}``) and never refactors.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ._array import (
    astype,
    backend_name,
    namespace,
    result_dtype,
    to_numpy,
    validate_matrix,
    validate_rhs,
)
from ._backends import get_backend
from ._effective import effective_matrix
from ._tracing import concrete_value
from .autodiff import apply
from .errors import NotPositiveDefiniteError
from .factorizations import Cholesky

__all__ = ["InvQuadLogdetResult", "inv_quad_logdet"]


class InvQuadLogdetResult(NamedTuple):
    """``(inv_quad, logdet)``: ``sum_j b_j^H A^{-1} b_j`` and ``log det A``."""

    inv_quad: Any
    logdet: Any


def inv_quad_logdet(a: Any, b: Any, *, lower: bool = False, check_finite: bool = True) -> InvQuadLogdetResult:
    """``(b^H A^{-1} b, log det A)`` for Hermitian positive definite ``A``, from one Cholesky.

    Parameters
    ----------
    a : (..., N, N) array_like
        Hermitian positive definite; only the ``lower`` (or upper, the
        default, as :func:`pivotal.cholesky`) triangle is read.
    b : (N,) or (..., N, K) array_like
        For ``K`` columns the quadratic term is the sum over the columns,
        ``tr(B^H A^{-1} B)`` (GPyTorch's convention).
    lower : bool, keyword-only
    check_finite : bool, keyword-only
        Check ``a`` and ``b`` for NaN/Inf (skipped on arrays traced by
        ``jax.jit``, which have no values).

    Returns
    -------
    InvQuadLogdetResult
        ``(inv_quad, logdet)``, real arrays of shape ``(...)`` (NumPy
        scalars for one NumPy matrix).

    Raises
    ------
    NotPositiveDefiniteError
        ``A`` is not positive definite (``.index``: the failing column).
        Under ``jax.jit`` the values are unknown: a non-definite ``A`` gives NaN.

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> A = np.array([[4.0, 2.0], [2.0, 3.0]]); b = np.array([1.0, 2.0])
    >>> q, ld = pv.inv_quad_logdet(A, b)
    >>> bool(np.isclose(q, b @ np.linalg.solve(A, b))), bool(np.isclose(ld, np.log(8.0)))
    (True, True)
    """
    a = validate_matrix(a, square=True, check_finite=check_finite, differentiable=True)
    n = int(a.shape[-1])
    b = validate_rhs(b, n, check_finite=check_finite, a_name="a", differentiable=True)
    if backend_name(a) != backend_name(b):
        raise TypeError(
            f"a is a {backend_name(a)} array but b is a {backend_name(b)} array; convert b to the same type."
        )
    xp = namespace(a)
    dtype = result_dtype(a, b)
    b2 = xp.reshape(b, (n, 1)) if len(b.shape) == 1 else b
    batch = tuple(np.broadcast_shapes(tuple(a.shape[:-2]), tuple(b2.shape[:-2])))
    a2 = xp.broadcast_to(astype(a, dtype), batch + (n, n))
    b2 = xp.broadcast_to(astype(b2, dtype), batch + tuple(b2.shape[-2:]))
    m = effective_matrix(a2, "positive definite", lower)
    from .autodiff.det_rules import INV_QUAD_LOGDET

    if backend_name(a) == "jax":
        from .autodiff.jax_factors import factor

        solver = factor(m, "cholesky", lower=True)
        _check_definite_jax(solver.arrays[0])
        return InvQuadLogdetResult(*apply(INV_QUAD_LOGDET, _primal, m, b2, solver))

    def one(m1, b1):
        md = m1.detach() if backend_name(m1) == "torch" else m1
        F = Cholesky(md, lower=True, check=False, check_finite=False)
        if F.info:
            raise NotPositiveDefiniteError(F.info - 1)
        return apply(INV_QUAD_LOGDET, _primal, m1, b1, _CholeskySolver(F))

    if not batch:
        return InvQuadLogdetResult(*one(m, b2))
    flat_m = xp.reshape(m, (-1, n, n))
    flat_b = xp.reshape(b2, (-1, *b2.shape[-2:]))
    outs = [one(flat_m[i], flat_b[i]) for i in range(flat_m.shape[0])]
    q = xp.reshape(xp.stack([o[0] for o in outs]), batch)
    ld = xp.reshape(xp.stack([o[1] for o in outs]), batch)
    return InvQuadLogdetResult(q, ld)


def _primal(a, b, solver):
    xp = namespace(b)
    y = solver.solve(b, 0, check_finite=False)
    q = xp.sum(xp.real(xp.conj(b) * y), axis=(-2, -1))
    return q, solver.logdet()


def _check_definite_jax(c) -> None:
    """``NotPositiveDefiniteError`` for concrete JAX factors with a NaN pivot (under jit: nothing to check)."""
    c = concrete_value(c)
    if c is None:
        return
    import jax

    with jax.ensure_compile_time_eval():
        d = np.asarray(to_numpy(np.asarray(c))).diagonal(axis1=-2, axis2=-1).reshape(-1, c.shape[-1])
    bad = ~np.isfinite(d) | (d.real <= 0)
    if bad.any():
        raise NotPositiveDefiniteError(int(np.argmax(bad.any(axis=0))))


class _CholeskySolver:
    """A pivotal ``Cholesky`` seen by the rule: solves, ``logdet``, and ``A^{-1}`` from the factor."""

    def __init__(self, F: Cholesky):
        self.F = F

    def solve(self, b, trans=0, check_finite=False):
        return self.F.solve(b, trans, check_finite=False)

    def logdet(self):
        return self.F.slogdet()[1]  # real: log det of a positive definite matrix

    def inverse(self):
        """``A^{-1}`` from the factor (no refactoring), by the backend's ``cholesky_inverse``."""
        return get_backend(self.F.L).cholesky_inverse(self.F.L, lower=True)
