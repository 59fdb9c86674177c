"""LSQR for least squares ``min ||A x - b||^2 + damp^2 ||x||^2``, batched over right-hand sides."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .._array import from_numpy, real_dtype
from .._tracing import needs_rule
from ._columns import cnorm
from ._differentiable import route
from ._result import KrylovInfo
from ._system import check_tolerance, host, setup, warn_breakdown

__all__ = ["lsqr"]

_MESSAGES = (
    "The exact solution is x = 0",
    "Ax - b is small enough, given atol, btol",
    "The least-squares solution is good enough, given atol",
    "The estimate of cond(Abar) has exceeded conlim",
    "Ax - b is small enough for this machine",
    "The least-squares solution is good enough for this machine",
    "Cond(Abar) seems to be too large for this machine",
    "The iteration limit has been reached",
)
_CONVERGED = (0, 1, 2, 4, 5)


def _sym_ortho(a: np.ndarray, b: np.ndarray):
    """SciPy's ``_sym_ortho`` (a stable Givens rotation) on arrays: ``(c, s, r)``."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    c = np.zeros_like(a)
    s = np.zeros_like(a)
    r = np.zeros_like(a)
    bz = b == 0
    az = (a == 0) & ~bz
    big_b = ~bz & ~az & (np.abs(b) > np.abs(a))
    rest = ~bz & ~az & ~big_b
    c[bz], r[bz] = np.sign(a[bz]), np.abs(a[bz])
    s[az], r[az] = np.sign(b[az]), np.abs(b[az])
    tau = a[big_b] / b[big_b]
    s[big_b] = np.sign(b[big_b]) / np.sqrt(1 + tau * tau)
    c[big_b] = s[big_b] * tau
    r[big_b] = b[big_b] / s[big_b]
    tau = b[rest] / a[rest]
    c[rest] = np.sign(a[rest]) / np.sqrt(1 + tau * tau)
    s[rest] = c[rest] * tau
    r[rest] = a[rest] / c[rest]
    return c, s, r


def _safe_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den != 0, num / np.where(den != 0, den, 1.0), 0.0)


def lsqr(
    A: Any,
    b: Any,
    damp: float = 0.0,
    atol: float = 1e-6,
    btol: float = 1e-6,
    conlim: float = 1e8,
    iter_lim: int | None = None,
    show: bool = False,
    calc_var: bool = False,
    x0: Any = None,
    *,
    return_info: bool = False,
    check_finite: bool = True,
):
    """Least squares ``min ||A x - b||^2 + damp^2 ||x||^2`` by LSQR (Paige and Saunders 1982).

    The signature, defaults and return value are those of
    :func:`scipy.sparse.linalg.lsqr`; ``b`` may hold several right-hand
    sides (columns), each iterated independently in one batched loop.

    Parameters
    ----------
    A : array, sparse matrix, LinearOperator, pair of callables, or object with ``rmatmat``
        The ``(m, n)`` operator, any shape.  LSQR needs products with ``A``
        and ``A^H``: a dense or sparse matrix or a ``LinearOperator``
        provides both; a pair ``(matvec, rmatvec)`` of callables on vectors,
        or an object with ``matmat``/``rmatmat`` (or ``matvec``/``rmatvec``,
        or ``adjoint()``) on ``(n, k)`` blocks of ``b``'s backend, too.
    b : (m,) or (m, k) array
        Right-hand side(s), NumPy, PyTorch or JAX.
    damp : float, optional
        Damping (Tikhonov) coefficient.
    atol, btol : float, optional
        Stopping tolerances (SciPy's): stop when ``||r|| <= btol ||b|| + atol
        ||A|| ||x||`` (a compatible system) or ``||A^H r|| <= atol ||A|| ||r||``
        (a least-squares solution), with Paige and Saunders' estimates of
        the norms; ``||A||`` is ``anorm``, the Frobenius norm of the
        bidiagonal matrix built so far (an estimate of ``||[A; damp I]||_F``,
        which it can exceed once the bidiagonalization loses
        orthogonality).
    conlim : float, optional
        Stop when the estimate of ``cond([A; damp I])`` exceeds it.
    iter_lim : int, optional
        Iteration limit, ``2 n`` by default.
    show : bool, optional
        Print one line per iteration (the largest residual estimate).
    calc_var : bool, optional
        Estimate the diagonal of ``(A^H A + damp^2 I)^{-1}`` (``var``).
    x0 : (n,) or (n, k) array, optional
        Initial guess.
    return_info : bool, optional (keyword-only)
        Return ``(x, KrylovInfo)`` instead of SciPy's tuple.
        ``KrylovInfo.info`` is the largest ``istop`` over the columns,
        ``converged`` marks ``istop`` in ``(0, 1, 2, 4, 5)``, and ``extra``
        holds SciPy's other outputs per column.
    check_finite : bool, optional (keyword-only)
        Refuse NaN/Inf in ``b``, ``x0`` and an array or sparse ``A``.

    Returns
    -------
    x, istop, itn, r1norm, r2norm, anorm, acond, arnorm, xnorm, var
        SciPy's tuple.  For ``b`` of shape ``(m,)`` the scalars are Python
        numbers and ``x``, ``var`` have shape ``(n,)``; for ``(m, k)``, each
        scalar becomes a ``(k,)`` NumPy array (per column), ``x`` and
        ``var`` have shape ``(n, k)``.  ``x`` and ``var`` are of ``b``'s
        backend.  ``istop``: 0 ``x = 0`` is exact, 1 compatible system
        solved (``atol``, ``btol``), 2 least-squares solution (``atol``), 3
        ``conlim`` exceeded, 4 and 5 as 1 and 2 to machine precision, 6
        condition too large for the machine, 7 ``iter_lim`` reached.

    Notes
    -----
    The per-column scalars of the recurrence are kept on the host (float64),
    one ``(k,)`` array each; the vectors stay in ``b``'s namespace and on its
    device.  The tests involving machine precision (``istop`` 4 to 6) use the
    unit roundoff of the working dtype (SciPy's uses float64's).

    The solve never writes into its inputs.  Its derivative needs the
    solution of the normal equations with the same operator: ``dL/db = A
    (A^H A + damp^2 I)^{-1} dL/dx``, another LSQR (or CG on the normal
    equations) with ``A`` and ``A^H``.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.krylov import lsqr
    >>> A = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 2.0]])
    >>> b = np.array([1.0, 2.0, 2.0])
    >>> x, istop, itn = lsqr(A, b, atol=1e-12, btol=1e-12)[:3]
    >>> bool(np.allclose(x, np.linalg.lstsq(A, b, rcond=None)[0])), istop in (1, 2)
    (True, True)
    """
    if needs_rule(A, b):  # differentiable: the adjoint solve (pivotal.autodiff.krylov_rules)
        options = {
            "damp": damp,
            "atol": atol,
            "btol": btol,
            "conlim": conlim,
            "iter_lim": iter_lim,
            "show": show,
            "calc_var": calc_var,
            "check_finite": check_finite,
        }
        return route(lsqr, A, b, x0, None, None, return_info, options)
    damp = check_tolerance(damp, "damp")
    if isinstance(conlim, bool) or not isinstance(conlim, numbers.Real) or not float(conlim) >= 0:
        raise ValueError(f"conlim must be a non-negative number (0 or inf: no limit), got {conlim!r}.")
    conlim = float(conlim)
    sys = setup(
        "lsqr",
        A,
        b,
        x0,
        rtol=btol,
        atol=atol,
        maxiter=iter_lim,
        M=None,
        maxiter_per_n=2,
        check_finite=check_finite,
        square=False,
        adjoint=True,
        rtol_name="btol",
        atol_name="atol",
    )
    xp = sys.xp
    m, k = sys.n, sys.k
    dtype = sys.dtype
    damp = float(damp)
    dampsq = damp * damp
    eps = sys.eps
    ctol = 1.0 / conlim if conlim > 0 else 0.0
    atol_v, btol_v = sys.atol, sys.rtol

    rdt = real_dtype(dtype)

    def dev(v: np.ndarray) -> Any:  # host float64 scalars per column -> (1, k) of the real working dtype
        v = np.asarray(v, dtype=np.float64)[None, :]
        return from_numpy(v, sys.b, rdt) if not isinstance(sys.b, np.ndarray) else v.astype(rdt)

    def norms(v: Any) -> np.ndarray:
        return host(cnorm(xp, v)).astype(np.float64)

    bnorm = norms(sys.b)
    u = sys.b
    if sys.x0 is not None:
        x = sys.x0
        u = u - sys.matmat(x)
        beta = norms(u)
    else:
        x = None
        beta = bnorm.copy()
    if m == 0 or k == 0:
        v = sys.rmatmat(u) if k else None
        n = int(v.shape[0]) if v is not None else max(sys.A.shape[1], 0)
        x = xp.zeros((n, k), dtype=dtype, **_dev_kw(sys.b)) if x is None else x
        zeros = (np.zeros(k, int), np.zeros(k, int), *(np.zeros(k),) * 6)
        return _out(sys, x, zeros, None, calc_var, return_info, damp)
    u = u * dev(_safe_div(np.ones(k), beta))
    v = sys.rmatmat(u)
    n = int(v.shape[0])
    if x is None:
        x = xp.zeros((n, k), dtype=dtype, **_dev_kw(sys.b))
    alfa = norms(v) * (beta > 0)
    v = v * dev(_safe_div(np.ones(k), alfa))
    w = v
    maxiter = sys.maxiter if iter_lim is not None else 2 * n  # SciPy's default: 2 n
    rhobar, phibar = alfa.copy(), beta.copy()
    rnorm = beta.copy()
    r1norm, r2norm = rnorm.copy(), rnorm.copy()
    arnorm = alfa * beta
    anorm = np.zeros(k)
    acond = np.zeros(k)
    ddnorm = np.zeros(k)
    res2 = np.zeros(k)
    xnorm = np.zeros(k)
    xxnorm = np.zeros(k)
    z = np.zeros(k)
    cs2 = -np.ones(k)
    sn2 = np.zeros(k)
    istop = np.zeros(k, dtype=np.int64)
    itn = np.zeros(k, dtype=np.int64)
    var = xp.zeros((n, k), dtype=_real(sys), **_dev_kw(sys.b)) if calc_var else None
    broken = np.zeros(k, dtype=bool)
    done = arnorm == 0  # x0 (or 0) is exact, or A^H b = 0: SciPy's early return, istop 0
    if show:
        print(f"lsqr: m = {m}, n = {n}, k = {k}, damp = {damp:.3e}, atol = {atol_v:.2e}, btol = {btol_v:.2e}")
    for it in range(1, maxiter + 1):
        live = ~done
        if not live.any():
            break
        itn += live
        u_new = sys.matmat(v) - u * dev(alfa)
        beta = norms(u_new)
        pos = beta > 0
        u = u_new * dev(_safe_div(np.ones(k), beta))
        anorm = np.where(live & pos, np.sqrt(anorm**2 + alfa**2 + beta**2 + dampsq), anorm)
        v_new = sys.rmatmat(u) - v * dev(beta)
        alfa_new = norms(v_new)
        v = _where(xp, pos, v_new * dev(_safe_div(np.ones(k), alfa_new)), v)
        alfa = np.where(pos, alfa_new, alfa)
        if damp > 0:
            rhobar1 = np.sqrt(rhobar**2 + dampsq)
            cs1 = rhobar / rhobar1
            sn1 = damp / rhobar1
            psi = sn1 * phibar
            phibar_d = cs1 * phibar
        else:
            rhobar1, psi, phibar_d = rhobar, np.zeros(k), phibar
        cs, sn, rho = _sym_ortho(rhobar1, beta)
        theta = sn * alfa
        rhobar_n = -cs * alfa
        phi = cs * phibar_d
        phibar_n = sn * phibar_d
        tau = sn * phi
        t1 = _safe_div(phi, rho)
        t2 = _safe_div(-theta, rho)
        inv_rho = _safe_div(np.ones(k), rho)
        dk = w * dev(inv_rho * live)
        x = x + w * dev(t1 * live)
        w = _where(xp, live, v + w * dev(t2), w)
        ddnorm = np.where(live, ddnorm + norms(dk) ** 2, ddnorm)
        if calc_var:
            var = var + xp.real(dk * xp.conj(dk)) if sys.cplx else var + dk * dk
        delta = sn2 * rho
        gambar = -cs2 * rho
        rhs = phi - delta * z
        zbar = _safe_div(rhs, gambar)
        xnorm_n = np.sqrt(xxnorm + zbar**2)
        gamma = np.sqrt(gambar**2 + theta**2)
        cs2_n = _safe_div(gambar, gamma)
        sn2_n = _safe_div(theta, gamma)
        z_n = _safe_div(rhs, gamma)
        xxnorm_n = xxnorm + z_n**2
        acond_n = anorm * np.sqrt(ddnorm)
        res1 = phibar_n**2
        res2_n = res2 + psi**2
        rnorm_n = np.sqrt(res1 + res2_n)
        arnorm_n = alfa * np.abs(tau)
        if damp > 0:
            r1sq = rnorm_n**2 - dampsq * xxnorm_n
            r1norm_n = np.where(r1sq < 0, -1.0, 1.0) * np.sqrt(np.abs(r1sq))  # SciPy's signed r1norm
        else:
            r1norm_n = rnorm_n
        # Commit the scalars of the live columns.
        sel = live
        rhobar = np.where(sel, rhobar_n, rhobar)
        phibar = np.where(sel, phibar_n, phibar)
        xnorm = np.where(sel, xnorm_n, xnorm)
        cs2 = np.where(sel, cs2_n, cs2)
        sn2 = np.where(sel, sn2_n, sn2)
        z = np.where(sel, z_n, z)
        xxnorm = np.where(sel, xxnorm_n, xxnorm)
        acond = np.where(sel, acond_n, acond)
        res2 = np.where(sel, res2_n, res2)
        rnorm = np.where(sel, rnorm_n, rnorm)
        arnorm = np.where(sel, arnorm_n, arnorm)
        r1norm = np.where(sel, r1norm_n, r1norm)
        r2norm = np.where(sel, rnorm_n, r2norm)
        with np.errstate(divide="ignore", invalid="ignore"):
            test1 = _safe_div(rnorm, bnorm)
            test2 = arnorm / (anorm * rnorm + eps)
            test3 = 1.0 / (acond + eps)
            t1_ = test1 / (1 + _safe_div(anorm * xnorm, bnorm))
            rtol_ = btol_v + atol_v * _safe_div(anorm * xnorm, bnorm)
        stop = np.zeros(k, dtype=np.int64)
        stop = np.where(itn >= maxiter, 7, stop)
        stop = np.where(1 + test3 <= 1, 6, stop)
        stop = np.where(1 + test2 <= 1, 5, stop)
        stop = np.where(1 + t1_ <= 1, 4, stop)
        stop = np.where(test3 <= ctol, 3, stop)
        stop = np.where(test2 <= atol_v, 2, stop)
        stop = np.where(test1 <= rtol_, 1, stop)
        nonfinite = live & ~(np.isfinite(rnorm) & np.isfinite(arnorm) & np.isfinite(alfa) & np.isfinite(beta))
        if nonfinite.any():
            warn_breakdown(
                "lsqr",
                f"a non-finite value in column(s) {np.flatnonzero(nonfinite).tolist()} at iteration {it} "
                "(A produced non-finite values); those columns stop.",
            )
            broken |= nonfinite
            stop = np.where(nonfinite, 7, stop)
        istop = np.where(live & (stop != 0), stop, istop)
        done |= live & (stop != 0)
        if show:
            print(f"lsqr: {it:6d}  max r1norm = {float(np.max(np.abs(r1norm))):.3e}")
    scalars = (istop, itn, r1norm, r2norm, anorm, acond, arnorm, xnorm)
    return _out(sys, x, scalars, var, calc_var, return_info, damp, broken)


def _real(sys):
    return real_dtype(sys.dtype)


def _dev_kw(like: Any) -> dict:
    return {"device": like.device} if hasattr(like, "device") and not isinstance(like, np.ndarray) else {}


def _where(xp, mask: np.ndarray, new: Any, old: Any) -> Any:
    if not isinstance(old, np.ndarray):
        mask = from_numpy(mask, old)
    return xp.where(mask[None, :], new, old)


def _out(sys, x, scalars: tuple, var, calc_var: bool, return_info: bool, damp: float, broken=None):
    """SciPy's tuple (``scalars`` = istop, itn, r1norm, r2norm, anorm, acond, arnorm, xnorm), or the info."""
    xp = sys.xp
    n = int(x.shape[0])
    if var is None:
        var = xp.zeros((n, sys.k), dtype=_real(sys), **_dev_kw(sys.b))
    xu = sys.user(x)
    varu = sys.user(var)
    scal = [np.asarray(v) for v in scalars]
    if not return_info:
        if sys.vector:
            ist, it_ = int(scal[0][0]), int(scal[1][0])
            return (xu, ist, it_, *(float(v[0]) for v in scal[2:]), varu)
        return (xu, scal[0].astype(np.int64), scal[1].astype(np.int64), *scal[2:], varu)
    if sys.k and sys.n:
        r = sys.b - sys.matmat(x)
        res = np.sqrt(host(cnorm(xp, r)).astype(np.float64) ** 2 + damp**2 * host(cnorm(xp, x)) ** 2)
    else:
        res = np.zeros(sys.k)
    istop_a = scal[0].astype(np.int64)
    brk = np.zeros(sys.k, dtype=bool) if broken is None else broken
    conv = np.isin(istop_a, _CONVERGED) & ~brk
    info = int(istop_a.max(initial=0))
    xn = scal[7]
    tolerance = sys.rtol * host(sys.bnorm).astype(np.float64) + sys.atol * scal[4] * xn
    return xu, KrylovInfo(
        method="lsqr",
        info=info,
        iterations=scal[1].astype(np.int64),
        residual_norms=res,
        converged=conv,
        breakdown=brk,
        tolerance=tolerance,
        rtol=sys.rtol,
        atol=sys.atol,
        message="; ".join(sorted({_MESSAGES[int(i)] for i in istop_a})) if istop_a.size else "empty",
        extra={
            "istop": istop_a,
            "r1norm": scal[2],
            "r2norm": scal[3],
            "anorm": scal[4],
            "acond": scal[5],
            "arnorm": scal[6],
            "xnorm": xn,
            "var": varu if calc_var else None,
        },
    )
