"""Preconditioned conjugate gradients for Hermitian positive definite ``A``, batched over right-hand sides."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._tracing import needs_rule
from ._columns import cdot, cnorm, sdiv, update
from ._differentiable import route
from ._system import finish, host, setup, start, warn_breakdown

__all__ = ["cg"]


def cg(
    A: Any,
    b: Any,
    x0: Any = None,
    *,
    rtol: float = 1e-5,
    atol: float = 0.0,
    maxiter: int | None = None,
    M: Any = None,
    callback: Callable[[Any], Any] | None = None,
    return_info: bool = False,
    check_finite: bool = True,
):
    """Solve ``A x = b`` by the (preconditioned) conjugate gradient method.

    The signature, defaults and return value are those of
    :func:`scipy.sparse.linalg.cg`; ``b`` may also hold several right-hand
    sides (columns), each iterated independently in one batched loop.

    Parameters
    ----------
    A : array, sparse matrix, LinearOperator, object with ``matmat``, or callable
        The Hermitian positive definite ``(n, n)`` operator: a NumPy,
        PyTorch or JAX array (of ``b``'s backend), a ``scipy.sparse``
        matrix or ``LinearOperator`` (NumPy ``b``), an object whose
        ``matmat`` takes an ``(n, k)`` block of ``b``'s backend, or a
        callable ``v -> A v`` on vectors (called once per column).
    b : (n,) or (n, k) array
        Right-hand side(s).  NumPy, PyTorch (any device) or JAX; the
        iteration runs in that namespace and on that device.
    x0 : array of ``b``'s shape, optional
        Initial guess (zeros by default).  As in SciPy, a column with
        ``b_j = 0`` returns ``x_j = 0`` whatever ``x0``.
    rtol, atol : float, optional
        Column ``j`` has converged when its recursively updated residual
        satisfies ``||r_j|| < max(rtol * ||b_j||, atol)`` (SciPy's test,
        applied per column).
    maxiter : int, optional
        Iteration limit, ``10 n`` by default (SciPy's).
    M : Factorization, array, sparse matrix, LinearOperator or callable, optional
        Preconditioner approximating ``A^{-1}`` (SciPy's convention: ``M``
        is applied, ``z = M r``).  A pivotal ``Factorization`` of a matrix
        near ``A`` (for example ``pv.factorize(A_approx)``) is applied as
        its solve.  Must be Hermitian positive definite.
    callback : callable, optional
        Called as ``callback(xk)`` after each iteration with the current
        iterate, of ``b``'s shape.
    return_info : bool, optional (keyword-only)
        Return a :class:`~pivotal.krylov.KrylovInfo` (iterations, true
        residual norms, converged and breakdown flags per column) instead
        of the integer ``info``.  Its ``extra["lanczos"]`` holds, per column,
        the ``(diagonal, off_diagonal)`` of the Lanczos tridiagonal ``T`` that
        the CG coefficients define (of ``M^{1/2} A M^{1/2}``, started from
        ``M^{1/2} r_0``): ``||M^{1/2} r_0||^2 e_1^T f(T) e_1`` approximates
        ``r_0^T M^{1/2} f(M^{1/2} A M^{1/2}) M^{1/2} r_0`` (stochastic Lanczos
        quadrature; Gardner et al. 2018 call this mBCG).
    check_finite : bool, optional (keyword-only)
        Refuse NaN/Inf in ``b``, ``x0`` and an array or sparse ``A`` (one
        scan each); a non-finite product met later is a breakdown.

    Returns
    -------
    x : array of ``b``'s shape, dtype and backend
        The last iterate of each column.
    info : int or KrylovInfo
        SciPy's code: ``0`` when every column converged, ``maxiter`` when
        one did not, ``-1`` on breakdown of one (with a warning).

    Warns
    -----
    LinAlgWarning
        On breakdown: ``p^H A p <= 0`` (``A`` is not positive definite, use
        :func:`minres` for Hermitian indefinite and :func:`gmres` for
        general ``A``), ``r^H M r <= 0`` (``M`` is not positive definite),
        or a non-finite residual.  The column stops at its last iterate.

    Notes
    -----
    Each column runs Hestenes-Stiefel CG with its own scalars; a column
    stops changing once it converges or breaks down, while the others go
    on.  The stopping test uses the recursively updated residual, which
    drifts from the true ``b - A x`` by rounding errors of order
    ``u (||b|| + k ||A|| ||x||)`` after ``k`` iterations (Greenbaum 1997,
    sec. 7.3); ``KrylovInfo.residual_norms`` reports the true residual.

    The solve never writes into ``A``, ``b`` or ``x0``.  Its derivative is
    another solve with ``A^H`` (``= A``): ``dL/db = A^{-1} dL/dx`` and
    ``dL/dA = -(dL/db) x^H``.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.krylov import cg
    >>> A = np.array([[4.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 2.0]])
    >>> b = np.array([1.0, 2.0, 3.0])
    >>> x, info = cg(A, b, rtol=1e-10)
    >>> info, bool(np.linalg.norm(b - A @ x) <= 1e-10 * np.linalg.norm(b))
    (0, True)
    >>> X, info = cg(A, np.stack([b, 2 * b], axis=1), rtol=1e-10)  # two right-hand sides
    >>> X.shape, bool(np.allclose(X[:, 1], 2 * x))
    ((3, 2), True)
    """
    if needs_rule(A, b):  # differentiable: the adjoint solve (pivotal.autodiff.krylov_rules)
        options = {"rtol": rtol, "atol": atol, "maxiter": maxiter, "check_finite": check_finite}
        return route(cg, A, b, x0, M, callback, return_info, options)
    sys = setup(
        "cg",
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
    k = sys.k
    false = sys.bnorm != sys.bnorm  # all False (no column is NaN after validation), on b's device
    iters = xp.astype(false, xp.int32)
    if sys.n == 0 or k == 0:
        return finish(sys, "cg", sys.zeros(), iters, ~false, false, sys.maxiter, return_info)
    x, r = start(sys)
    rn = cnorm(xp, r)
    done = (rn < sys.tol) | (rn == 0)
    broken = false
    p = rho_prev = None
    steps: list[tuple[Any, Any]] = []  # (alpha, rho) per iteration, for info.extra["lanczos"]
    for it in range(sys.maxiter):
        active = ~(done | broken)
        if not bool(xp.any(active)):
            break
        z = sys.psolve(r)
        rho = xp.real(cdot(xp, r, z, sys.cplx))
        bad_m = active & ~(rho > 0)
        ok = active & ~bad_m
        if p is None:
            p = z
        else:
            p = z + sdiv(xp, rho, rho_prev, ok) * p
        q = sys.matmat(p)
        pq = xp.real(cdot(xp, p, q, sys.cplx))
        bad_a = ok & ~(pq > 0)
        step = ok & ~bad_a
        alpha = sdiv(xp, rho, pq, step)
        x = update(xp, step, x + alpha * p, x)
        r = update(xp, step, r - alpha * q, r)
        rho_prev = rho
        if return_info:
            steps.append((alpha, rho))
        iters = iters + xp.astype(step, xp.int32)
        rn = cnorm(xp, r)
        bad_r = step & ~xp.isfinite(rn)  # from a non-finite product
        new_bad = bad_m | bad_a | bad_r
        if bool(xp.any(new_bad)):
            _warn(host(bad_m), host(bad_a), host(bad_r), host(rho), host(pq), it + 1)
            broken = broken | new_bad
        done = done | (step & ~bad_r & ((rn < sys.tol) | (rn == 0)))
        if callback is not None:
            callback(sys.user(x))
    out = finish(sys, "cg", x, iters, done, broken, sys.maxiter, return_info)
    if return_info:
        out[1].extra["lanczos"] = _lanczos(steps, out[1].iterations, k)
    return out


def _lanczos(steps: list, iterations: np.ndarray, k: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The Lanczos tridiagonal of each column, from its CG coefficients (Saad 2003, eq. 6.103).

    With ``alpha_i`` the step lengths and ``beta_i = rho_{i+1} / rho_i``, the
    ``j``-step Lanczos matrix of ``M^{1/2} A M^{1/2}`` started from
    ``M^{1/2} r_0 / ||.||`` has diagonal ``1/alpha_i + beta_{i-1}/alpha_{i-1}``
    and off-diagonal ``sqrt(beta_i)/alpha_i``.  Returns ``(diagonal,
    off_diagonal)`` host arrays per column, of the column's iteration count.
    """
    if not steps:
        return [(np.empty(0), np.empty(0)) for _ in range(k)]
    al = np.stack([host(a) for a, _ in steps]).astype(np.float64).reshape(len(steps), -1)
    rho = np.stack([host(r) for _, r in steps]).astype(np.float64).reshape(len(steps), -1)
    out = []
    for j in range(k):
        m = int(iterations[j])
        a, r = al[:m, j], rho[: m + 1, j]
        beta = r[1:m] / r[: m - 1] if m > 1 else np.empty(0)
        diag = 1.0 / a
        diag[1:] += beta / a[:-1]
        out.append((diag, np.sqrt(beta) / a[:-1]))
    return out


def _warn(bad_m, bad_a, bad_r, rho, pq, it: int) -> None:
    parts = []
    if bad_a.any():
        j = int(np.flatnonzero(bad_a)[0])
        parts.append(
            f"p^H A p = {pq[j]:.3g} <= 0 in column(s) {np.flatnonzero(bad_a).tolist()} at iteration {it}: "
            "A is not positive definite (use minres for Hermitian indefinite A, gmres for general A)"
        )
    if bad_m.any():
        j = int(np.flatnonzero(bad_m)[0])
        parts.append(
            f"r^H M r = {rho[j]:.3g} <= 0 in column(s) {np.flatnonzero(bad_m).tolist()} at iteration {it}: "
            "the preconditioner M is not positive definite"
        )
    if bad_r.any():
        parts.append(
            f"the residual became non-finite in column(s) {np.flatnonzero(bad_r).tolist()} at iteration {it} "
            "(A or M produced non-finite values)"
        )
    warn_breakdown("cg", "; ".join(parts) + "; those columns stop at their last iterate (info = -1).")
