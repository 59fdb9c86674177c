"""MINRES for Hermitian (possibly indefinite) ``A``, batched over right-hand sides."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._tracing import needs_rule
from ._columns import cdot, cnorm, sdiv, update
from ._differentiable import route
from ._system import finish, host, setup, start, warn_breakdown

__all__ = ["minres"]


def minres(
    A: Any,
    b: Any,
    x0: Any = None,
    *,
    rtol: float = 1e-5,
    shift: float = 0.0,
    maxiter: int | None = None,
    M: Any = None,
    callback: Callable[[Any], Any] | None = None,
    show: bool = False,
    check: bool = False,
    atol: float = 0.0,
    return_info: bool = False,
    check_finite: bool = True,
):
    """Solve ``(A - shift I) x = b`` by MINRES, for Hermitian ``A`` (indefinite allowed).

    The signature, defaults and return value are those of
    :func:`scipy.sparse.linalg.minres`, plus keyword-only ``atol``,
    ``return_info`` and ``check_finite``; ``b`` may hold several
    right-hand sides (columns), each iterated independently in one batched
    loop.

    Parameters
    ----------
    A : array, sparse matrix, LinearOperator, object with ``matmat``, or callable
        The Hermitian ``(n, n)`` operator (see :func:`~pivotal.krylov.cg`
        for the accepted forms).
    b : (n,) or (n, k) array
        Right-hand side(s), NumPy, PyTorch or JAX.
    x0 : array of ``b``'s shape, optional
        Initial guess (zeros by default); a column with ``b_j = 0`` returns
        ``x_j = 0``, as SciPy.
    rtol : float, optional
        Relative tolerance; see Notes for the stopping test.
    shift : float, optional
        Solve ``(A - shift I) x = b``.
    maxiter : int, optional
        Iteration limit, ``5 n`` by default (SciPy's).
    M : Factorization, array, sparse matrix, LinearOperator or callable, optional
        Hermitian positive definite preconditioner approximating
        ``A^{-1}`` (applied as ``M r``; a pivotal ``Factorization`` as its
        solve).
    callback : callable, optional
        ``callback(xk)`` after each iteration.
    show : bool, optional
        Print one line per iteration (largest residual over the columns).
    check : bool, optional
        Test that ``A`` and ``M`` look Hermitian (SciPy's test, two extra
        products), raising ``ValueError`` if not.
    atol : float, optional (keyword-only)
        Absolute tolerance (see Notes).
    return_info : bool, optional (keyword-only)
        Return a :class:`~pivotal.krylov.KrylovInfo` instead of ``info``.
    check_finite : bool, optional (keyword-only)
        Refuse NaN/Inf in ``b``, ``x0`` and an array or sparse ``A``.

    Returns
    -------
    x : array of ``b``'s shape, dtype and backend
    info : int or KrylovInfo
        ``0`` when every column converged, ``maxiter`` when one did not,
        ``-1`` when one met a non-finite residual (with a warning).

    Raises
    ------
    ValueError
        When ``r^H M r < 0`` (``M`` not positive definite; SciPy raises
        too), or ``check=True`` finds ``A`` or ``M`` not Hermitian.

    Notes
    -----
    Column ``j`` stops when its residual satisfies
    ``||r_j|| < max(rtol ||b_j||, atol)``, the test of
    :func:`~pivotal.krylov.cg` and :func:`~pivotal.krylov.gmres`.  SciPy's
    minres stops on ``||r|| / (||T_k||_F ||x||) <= rtol`` instead (an
    estimate of the normwise backward error), which is weaker for
    ill-conditioned ``A``: the returned ``x`` therefore satisfies SciPy's
    test too, in as many or more iterations.  Without ``M``, ``||r_j||`` is
    MINRES's recursively updated ``|phibar|``; with ``M`` (where
    ``|phibar|`` is the ``M``-norm of the residual) the residual vector is
    updated by the recurrence of ``(A - shift I) w`` (no extra product).
    Algorithm: Paige and Saunders (1975), as in SciPy's ``minres``.

    The solve never writes into its inputs; its derivative is another
    MINRES solve with the same Hermitian operator.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.krylov import minres
    >>> A = np.diag([3.0, 1.0, -2.0, -0.5])  # symmetric indefinite
    >>> b = np.ones(4)
    >>> x, info = minres(A, b, rtol=1e-12)
    >>> info, bool(np.allclose(x, 1 / np.diag(A)))
    (0, True)
    """
    if needs_rule(A, b):  # differentiable: the adjoint solve (pivotal.autodiff.krylov_rules)
        options = {
            "rtol": rtol,
            "shift": shift,
            "maxiter": maxiter,
            "show": show,
            "check": check,
            "atol": atol,
            "check_finite": check_finite,
        }
        return route(minres, A, b, x0, M, callback, return_info, options)
    sys = setup(
        "minres",
        A,
        b,
        x0,
        rtol=rtol,
        atol=atol,
        maxiter=maxiter,
        M=M,
        maxiter_per_n=5,
        check_finite=check_finite,
    )
    shift = float(shift)
    xp = sys.xp
    false = sys.bnorm != sys.bnorm
    iters = xp.astype(false, xp.int32)
    if sys.n == 0 or sys.k == 0:
        return finish(sys, "minres", sys.zeros(), iters, ~false, false, sys.maxiter, return_info)

    def op(v):
        return sys.matmat(v) - shift * v if shift else sys.matmat(v)

    zero = sys.zeros()
    x, r1 = start(sys, op)
    y = sys.psolve(r1)
    beta1sq = xp.real(cdot(xp, r1, y, sys.cplx))
    if bool(xp.any(beta1sq < 0)):
        raise ValueError(
            "minres: r^H M r < 0 for the initial residual: the preconditioner M is not positive "
            "definite (MINRES needs a Hermitian positive definite M)."
        )
    beta1 = xp.sqrt(beta1sq)
    if check:
        _check_hermitian(sys, op, r1, y)
    precond = sys.M is not None
    rvec = r1 if precond else None
    rnorm = cnorm(xp, r1) if precond else beta1
    done = (rnorm < sys.tol) | (rnorm == 0) | (beta1 == 0)
    broken = false
    zk = xp.zeros_like(beta1)
    oldb, beta, dbar, epsln, phibar = zk, beta1, zk, zk, beta1
    cs, sn = zk - 1, zk
    w = w2 = zero
    aw = aw2 = zero
    r2 = r1
    eps = sys.eps
    if show:
        print(
            f"minres: n = {sys.n}, k = {sys.k}, shift = {shift:.6g}, maxiter = {sys.maxiter}, rtol = {rtol:.2e}"
        )
    for itn in range(1, sys.maxiter + 1):
        active = ~(done | broken)
        if not bool(xp.any(active)):
            break
        v = y * sdiv(xp, xp.ones_like(beta), beta)
        av = op(v)
        y = av
        if itn >= 2:
            y = y - sdiv(xp, beta, oldb) * r1
        alfa = xp.real(cdot(xp, v, y, sys.cplx))
        y = y - sdiv(xp, alfa, beta) * r2
        r1, r2 = r2, y
        y = sys.psolve(r2)
        oldb = beta
        beta2 = xp.real(cdot(xp, r2, y, sys.cplx))
        if bool(xp.any(active & (beta2 < 0))):
            raise ValueError(
                f"minres: r^H M r < 0 at iteration {itn}: the preconditioner M is not positive definite "
                "(or A is not Hermitian)."
            )
        beta = xp.sqrt(xp.maximum(beta2, zk))
        oldeps = epsln
        delta = cs * dbar + sn * alfa
        gbar = sn * dbar - cs * alfa
        epsln = sn * beta
        dbar = -cs * beta
        gamma = xp.maximum(xp.hypot(gbar, beta), zk + eps)
        cs = gbar / gamma
        sn = beta / gamma
        phi = cs * phibar
        phibar = sn * phibar
        w1, w2 = w2, w
        w = (v - oldeps * w1 - delta * w2) / gamma
        x = update(xp, active, x + phi * w, x)
        if precond:
            aw1, aw2 = aw2, aw
            aw = (av - oldeps * aw1 - delta * aw2) / gamma
            rvec = update(xp, active, rvec - phi * aw, rvec)
            rnorm = cnorm(xp, rvec)
        else:
            rnorm = xp.abs(phibar)
        iters = iters + xp.astype(active, xp.int32)
        bad = active & ~xp.isfinite(rnorm)
        if bool(xp.any(bad)):
            warn_breakdown(
                "minres",
                f"the residual became non-finite in column(s) {np.flatnonzero(host(bad)).tolist()} at "
                f"iteration {itn} (A or M produced non-finite values); those columns stop (info = -1).",
            )
            broken = broken | bad
        done = done | (active & ~bad & ((rnorm < sys.tol) | (rnorm == 0)))
        if show:
            print(f"minres: {itn:6d}  max ||r|| = {float(xp.max(xp.where(active, rnorm, zk))):.3e}")
        if callback is not None:
            callback(sys.user(x))
    return finish(sys, "minres", x, iters, done, broken, sys.maxiter, return_info, op)


def _check_hermitian(sys, op, r1, y) -> None:
    """SciPy's symmetry tests of ``A`` and ``M`` (``minres(check=True)``), on every column."""
    xp = sys.xp
    eps = sys.eps
    w = op(y)
    r2 = op(w)
    s = xp.real(cdot(xp, w, w, sys.cplx))
    t = xp.real(cdot(xp, y, r2, sys.cplx))
    if bool(xp.any(xp.abs(s - t) > (s + eps) * eps ** (1.0 / 3.0))):
        raise ValueError("minres: A does not look Hermitian (y^H A (A y) != (A y)^H (A y)); use gmres.")
    if sys.M is not None:
        r2 = sys.psolve(y)
        s = xp.real(cdot(xp, y, y, sys.cplx))
        t = xp.real(cdot(xp, r1, r2, sys.cplx))
        if bool(xp.any(xp.abs(s - t) > (s + eps) * eps ** (1.0 / 3.0))):
            raise ValueError("minres: the preconditioner M does not look Hermitian.")
