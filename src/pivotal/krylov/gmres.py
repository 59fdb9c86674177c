"""Restarted GMRES for general square ``A``, batched over right-hand sides."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._array import from_numpy
from .._tracing import needs_rule
from ..kernels.arnoldi import gmres_cycle
from ._columns import cnorm, update
from ._differentiable import route
from ._system import check_maxiter, finish, host, setup, start, warn_breakdown

__all__ = ["gmres"]

_CALLBACK_TYPES = ("x", "pr_norm", "legacy")


def gmres(
    A: Any,
    b: Any,
    x0: Any = None,
    *,
    rtol: float = 1e-5,
    atol: float = 0.0,
    restart: int | None = None,
    maxiter: int | None = None,
    M: Any = None,
    callback: Callable[[Any], Any] | None = None,
    callback_type: str | None = None,
    return_info: bool = False,
    check_finite: bool = True,
):
    """Solve ``A x = b`` by restarted, left-preconditioned GMRES.

    The signature, defaults and return value are those of
    :func:`scipy.sparse.linalg.gmres`; ``b`` may hold several right-hand
    sides (columns), each iterated independently in one batched loop.

    Parameters
    ----------
    A : array, sparse matrix, LinearOperator, object with ``matmat``, or callable
        The ``(n, n)`` operator (see :func:`~pivotal.krylov.cg` for the
        accepted forms).
    b : (n,) or (n, k) array
        Right-hand side(s), NumPy, PyTorch or JAX.
    x0 : array of ``b``'s shape, optional
        Initial guess (zeros by default); a column with ``b_j = 0`` returns
        ``x_j = 0``, as SciPy.
    rtol, atol : float, optional
        Column ``j`` has converged when its true residual (recomputed after
        each restart cycle) satisfies ``||b_j - A x_j|| <= max(rtol ||b_j||,
        atol)``.
    restart : int, optional
        Krylov dimension of a cycle, ``min(20, n)`` by default.
    maxiter : int, optional
        Number of restart cycles, ``10 n`` by default (SciPy's).  With
        ``callback_type="legacy"`` (and a callback), the number of inner
        iterations instead, as SciPy.
    M : Factorization, array, sparse matrix, LinearOperator or callable, optional
        Preconditioner approximating ``A^{-1}`` (applied as ``M r``, on the
        left: Arnoldi runs on ``M A``).  A pivotal ``Factorization`` of a
        matrix near ``A`` (for example of a low-precision or incomplete
        copy) is applied as its solve.
    callback : callable, optional
        See ``callback_type``.
    callback_type : {"x", "pr_norm", "legacy"}, optional
        ``"x"``: ``callback(xk)`` after each restart cycle.  ``"pr_norm"``:
        ``callback(res)`` after each inner iteration with the relative
        preconditioned residual ``||M r|| / ||b||`` (a float for ``b`` of
        shape ``(n,)``, a ``(k,)`` NumPy array for ``(n, k)``).
        ``"legacy"`` (the default): as ``"pr_norm"``, with ``maxiter``
        counting inner iterations.
    return_info : bool, optional (keyword-only)
        Return a :class:`~pivotal.krylov.KrylovInfo` instead of ``info``.
    check_finite : bool, optional (keyword-only)
        Refuse NaN/Inf in ``b``, ``x0`` and an array or sparse ``A``.

    Returns
    -------
    x : array of ``b``'s shape, dtype and backend
    info : int or KrylovInfo
        ``0`` when every column converged, ``maxiter`` when one did not,
        ``-1`` when one met a non-finite value (with a warning).

    Warns
    -----
    LinAlgWarning
        When the Krylov space of a column becomes invariant (a breakdown of
        Arnoldi) before its residual meets the tolerance: ``A`` (or ``M``)
        is singular on it.  The column stops (``info = maxiter``, SciPy's
        code for it).

    Notes
    -----
    SciPy's algorithm, per column: each cycle runs Arnoldi on ``M A`` from
    ``M r`` (CGS2 orthogonalization, Givens rotations) until the
    preconditioned residual estimate meets an inner tolerance ``ptol``,
    adapted between cycles as SciPy adapts it; the true residual then
    decides convergence, so the stopping test needs no drift allowance.
    Iteration counts in ``KrylovInfo.iterations`` are inner iterations over
    all cycles.

    The solve never writes into its inputs; its derivative is a GMRES solve
    with ``A^H`` (and ``M^H`` as preconditioner).

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.krylov import gmres
    >>> A = np.array([[3.0, 2.0, 0.0], [-1.0, 3.0, 1.0], [0.0, -2.0, 4.0]])
    >>> b = np.array([1.0, 0.0, 2.0])
    >>> x, info = gmres(A, b, rtol=1e-12)
    >>> info, bool(np.allclose(A @ x, b))
    (0, True)
    """
    if callback_type is not None and callback_type not in _CALLBACK_TYPES:
        raise ValueError(f"Unknown callback_type: {callback_type!r}; use one of {_CALLBACK_TYPES}.")
    ctype = (callback_type or "legacy") if callback is not None else None
    if needs_rule(A, b):  # differentiable: the adjoint solve (pivotal.autodiff.krylov_rules)
        options = {
            "rtol": rtol,
            "atol": atol,
            "restart": restart,
            "maxiter": maxiter,
            "callback_type": callback_type,
            "check_finite": check_finite,
        }
        return route(gmres, A, b, x0, M, callback, return_info, options)
    sys = setup(
        "gmres",
        A,
        b,
        x0,
        rtol=rtol,
        atol=atol,
        maxiter=maxiter,
        M=M,
        maxiter_per_n=10,
        check_finite=check_finite,
    )
    xp = sys.xp
    n, k = sys.n, sys.k
    restart = min(check_maxiter(restart, 20, "restart"), max(n, 1))
    zeros_k = np.zeros(k, dtype=np.int64)
    if n == 0 or k == 0:
        ok = np.ones(k, bool)
        return finish(sys, "gmres", sys.zeros(), zeros_k, ok, ~ok, sys.maxiter, return_info)
    bnorm = host(sys.bnorm).astype(np.float64)
    tol = host(sys.tol).astype(np.float64)
    live = bnorm > 0
    x, r = start(sys)
    rnorm = host(cnorm(xp, r)).astype(np.float64)
    done = ~live | (rnorm < tol)
    broken = np.zeros(k, bool)
    its = np.zeros(k, dtype=np.int64)
    mb = host(cnorm(xp, sys.psolve(sys.b))).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.ones(k)
        ptol = mb * np.minimum(factor, np.where(live, tol / np.where(live, bnorm, 1.0), 0.0))
    inner_total = [0]
    legacy_limit = sys.maxiter if ctype == "legacy" else None

    def apply(V):
        return sys.psolve(sys.matmat(V))

    def on_step(presid, stepping):
        inner_total[0] += 1
        if ctype in ("legacy", "pr_norm"):
            with np.errstate(divide="ignore", invalid="ignore"):
                rel = np.where(bnorm > 0, presid / np.where(bnorm > 0, bnorm, 1.0), 0.0)
            callback(float(rel[0]) if sys.vector else rel)

    eps = sys.eps
    for _cycle in range(sys.maxiter):
        active = ~(done | broken)
        if not active.any():
            break
        z = sys.psolve(r)
        beta = host(cnorm(xp, z)).astype(np.float64)
        m = restart
        if legacy_limit is not None:
            m = min(m, legacy_limit - inner_total[0])
            if m <= 0:
                break
        out = gmres_cycle(apply, z, beta, ptol, m=m, eps=eps, active=active, on_step=on_step)
        its += out.iterations
        step = active & out.finite
        x = update(xp, _dev(step, sys.b), x + out.dx, x)
        r = sys.b - sys.matmat(x)
        rnorm_new = host(cnorm(xp, r)).astype(np.float64)
        bad = active & (~out.finite | ~np.isfinite(rnorm_new))
        if bad.any():
            warn_breakdown(
                "gmres",
                f"a non-finite value in column(s) {np.flatnonzero(bad).tolist()} (A or M produced "
                "non-finite values); those columns stop (info = -1).",
            )
            broken |= bad
        rnorm = np.where(active & ~bad, rnorm_new, rnorm)
        now = active & ~bad & (rnorm <= tol)
        done |= now
        stuck = active & ~bad & ~now & out.happy
        if stuck.any():
            warn_breakdown(
                "gmres",
                f"the Krylov space of column(s) {np.flatnonzero(stuck).tolist()} became invariant before "
                "the residual met the tolerance: A (or M) is singular on it; those columns stop.",
            )
            done |= stuck  # stopped; not converged (rnorm > tol), so info = maxiter as SciPy's
        # SciPy's adaptive inner tolerance.
        with np.errstate(divide="ignore", invalid="ignore"):
            met = out.presid <= ptol
            factor = np.where(met, np.maximum(eps, 0.25 * factor), np.minimum(1.0, 1.5 * factor))
            ptol = np.where(
                rnorm > 0, out.presid * np.minimum(factor, tol / np.where(rnorm > 0, rnorm, 1.0)), 0.0
            )
        if ctype == "x":
            callback(sys.user(x))
        if legacy_limit is not None and inner_total[0] >= legacy_limit:
            break
    converged = rnorm <= tol
    converged |= ~live  # b_j = 0: x_j = 0 exactly
    limit = sys.maxiter
    return finish(sys, "gmres", x, its, converged, broken, limit, return_info)


def _dev(mask: np.ndarray, like: Any) -> Any:
    """A host bool mask as an array of ``like``'s backend and device."""
    return from_numpy(mask, like) if not isinstance(like, np.ndarray) else mask
