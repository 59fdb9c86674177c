"""Matrix-free backward of top-k singular triplets and eigenpairs: :func:`svds_vjp`, :func:`eigsh_vjp`.

For ``k`` computed triplets ``A v_i = s_i u_i``, ``A^H u_i = s_i v_i``
(:func:`pivotal.randomized.svds`, :func:`~pivotal.randomized.rsvd`) or
eigenpairs ``A v_i = w_i v_i`` of a Hermitian ``A``
(:func:`~pivotal.randomized.eigsh`, :func:`~pivotal.randomized.reigh`,
:func:`~pivotal.randomized.nystrom`), the cotangent of ``A`` uses only these
pairs and products with ``A`` and ``A^H``: never a full decomposition.  It
is returned as a :class:`~pivotal.autodiff.LowRankGradient` of rank ``<= 2k``.
The triplets may come in any order (``svds`` returns ascending values,
``rsvd`` descending); the rule is the same.

Derivation (SVD)
----------------
Write ``A = U S V^H + A_c`` with ``U^H A_c = 0``, ``A_c V = 0``; ``P = I - U U^H``,
``Q = I - V V^H``.  The components of ``dU``, ``dV`` inside ``range(U)``,
``range(V)`` obey the full-SVD equations restricted to the ``k`` triplets,
so the in-subspace cotangent is ``U G V^H`` with ``G`` from
:func:`pivotal.autodiff.spectral_vjp.svd_core` (one formula for both
rules).  Projecting ``d(A V) = d(U S)`` with ``P`` and ``d(A^H U) = d(V S)``
with ``Q`` gives, for ``x_i = P du_i``, ``y_i = Q dv_i``,

    [s_i I, -A_c; -A_c^H, s_i I] [x_i; y_i] = [P dA v_i; Q dA^H u_i]

on ``range(P) x range(Q)`` (``A_c = P A Q``, and ``P A Q = P A = A Q`` for exact
triplets).  The matrix is Hermitian, so with
``[a_i; b_i] = M_i^{-1} [P gu_i; Q gv_i]`` (the issue's system) the loss moves
by ``Re(a_i^H dA v_i + u_i^H dA b_i)``: the complement cotangent is
``X V^H + U Y^H``, ``X = [a_i]``, ``Y = [b_i]``.  In all,

    A_bar = (U G + X) V^H + U Y^H      (rank <= 2k).

On the complement ``M_i`` has eigenvalues ``s_i +- s_c`` (``s_c`` the other
singular values of ``A``, and ``s_i`` on the null spaces): positive definite
exactly when ``s_i`` exceeds every singular value left out, i.e. for the
top-k triplets when ``s_k > s_{k+1}``.

The three ways to solve (``backward=``), all agreeing to rounding:

``"cg"`` (default; matrix-free)
    Eliminate ``a_i = (P gu_i + A b_i) / s_i`` (``m >= n``) and solve
    ``Q (s_i^2 I - A^H A) Q b_i = s_i Q gv_i + A^H P gu_i`` by conjugate
    gradients, the ``k`` columns in one block Krylov space
    (:func:`pivotal.krylov.block_cg`: the systems differ only by the shift
    ``s_i^2``), ``A A^H`` and the roles swapped when ``m < n``, so vectors
    have length ``min(m, n)``.  This is
    CG on the Schur complement of ``M_i``: its condition number
    ``s_i^2 / (s_i^2 - s_{k+1}^2)`` is smaller than that of ``M_i`` itself,
    ``(s_i + s_{k+1}) / (s_i - s_{k+1})``, and each step costs one product
    with ``A`` and one with ``A^H`` per column.
``"minres"``
    The same system by MINRES, which needs no definiteness: for triplets
    that are not the largest (``svds(which="SM")``).
``"block"``
    The same eliminated system formed densely, ``s_i^2 I - A^H A`` (or
    ``A A^H``), and solved directly: ``O(min(m, n)^3)`` per triplet, a
    reference for small ``A``.
``"augmented"``
    The seed notebook's bordered system ``[[s_i I, -A], [-A^H, s_i I], [U^H, 0],
    [0, V^H]] [a_i; b_i] = [P gu_i; Q gv_i; 0; 0]``, ``(m + n + 2k) x (m + n)``
    (``(m + n + 2) x (m + n)`` for ``k = 1``), solved densely by least squares;
    the border rows fix the component along the null vector ``[u_i; v_i]``.
    Dense NumPy, ``O((m + n)^3)`` per triplet: a reference for small ``A``.

Derivation (Hermitian eigenpairs)
---------------------------------
With ``P = I - V V^H``, ``x_i = P dv_i`` solves ``P (w_i I - A) P x_i = P dA v_i``,
so ``A_bar = V G V^H + X V^H`` with ``G`` from
:func:`~pivotal.autodiff.spectral_vjp.eigh_core` and
``x_i = (P (w_i I - A) P)^+ P gv_i``; the rule returns its Hermitian part
``(L V^H + V L^H) / 2``, ``L = V G + X``.  ``P (w_i I - A) P`` is definite on
the complement when ``|w_i|`` exceeds every eigenvalue left out
(``which="LM"``): ``"cg"`` then solves ``sign(w_i) (w_i I - A) x = sign(w_i) P gv_i``.
``"minres"`` (the default here) needs no such assumption; ``"block"`` and
``"augmented"`` are the dense references.

Tolerances.  Degenerate pairs inside the ``k`` use the masking and warning
of :mod:`pivotal.autodiff.spectral_vjp` (``tol``).  The Krylov solves stop at
a relative residual ``rtol``, default ``1000 u`` (``u`` the unit roundoff of
the dtype, ``1.1e-13`` in float64), after at most ``maxiter`` steps (default
``10 * min(m, n)``); each column's count and residual are reported
(``return_info=True``), and a column that does not converge warns with
its residual (``s_k`` too close to ``s_{k+1}``, or triplets not yet
converged).  The gradient is that of the exact triplets of ``A``: inputs
from randomized or iterative solvers must be converged (the residual
``||A v_i - s_i u_i||`` enters the gradient's error linearly).

References: the derivations of :mod:`pivotal.autodiff.spectral_vjp`;
for the implicit (adjoint) form of the complement, M. Seeger et al. 2017
and the seed notebook of issue 12.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._array import backend_name, from_numpy, is_complex, namespace, to_numpy, unit_roundoff
from ..errors import LinAlgWarning, warn_user
from .spectral_vjp import DegenerateSubspaceWarning, degenerate_tol, eigh_core, svd_core
from .topk_gradient import LowRankGradient
from .topk_krylov import ProductOperator, ShiftedOperator, SolveReport, solve_columns

__all__ = ["TopkBackwardInfo", "eigsh_vjp", "svds_vjp"]

_SVD_BACKWARDS = ("cg", "minres", "block", "augmented")

#: Default relative residual of the Krylov solves, in units of the unit roundoff.
RTOL_FACTOR = 1000.0


@dataclass(frozen=True)
class TopkBackwardInfo:
    """What the complement solve did.

    Attributes
    ----------
    backward : str
        The option used.
    iterations : tuple of int
        Krylov iterations per triplet (0 for the dense options).
    residuals : tuple of float
        Final relative residual per triplet: the block CG recurrence's for
        ``backward="cg"`` on the Gram systems (no extra product; full
        reorthogonalization keeps it within rounding of the true one), the
        true residual for MINRES and per-column CG.
    converged : bool
        The Krylov solver met its stopping test for every triplet (always True for the dense options).
    products : int
        Matrix-vector products with ``A`` or ``A^H`` (columns).
    """

    backward: str
    iterations: tuple[int, ...]
    residuals: tuple[float, ...]
    converged: bool
    products: int


def _ct(xp, x: Any) -> Any:
    return xp.conj(x.T) if is_complex(x.dtype) else x.T


def _check_backward(backward: Any) -> str:
    if backward not in _SVD_BACKWARDS:
        raise ValueError(f"backward must be one of {', '.join(map(repr, _SVD_BACKWARDS))}, got {backward!r}.")
    return backward


def _as_backend(x: Any, like: Any) -> Any:
    """``x`` (or None) in ``like``'s backend (sparse and LinearOperator ``A`` work on NumPy vectors)."""
    if x is None:
        return None
    if backend_name(x) == backend_name(like):
        return x
    return from_numpy(to_numpy(x), like)


def _vectors_like(op: ProductOperator, A: Any, X: Any) -> Any:
    """``X`` in the backend the products with ``A`` return (``A``'s for dense, NumPy otherwise)."""
    if op.kind != "dense":
        return to_numpy(X)
    return _as_backend(X, A)


def _defaults(dtype: Any, p: int, rtol: float | None, maxiter: int | None) -> tuple[float, int]:
    u = unit_roundoff(dtype)
    if rtol is None:
        rtol = RTOL_FACTOR * u
    elif not (isinstance(rtol, (int, float)) and math.isfinite(rtol) and 0 < rtol < 1):
        raise ValueError(f"rtol must be a number in (0, 1), got {rtol!r}.")
    if maxiter is None:
        maxiter = max(10 * p, 20)
    elif not (isinstance(maxiter, int) and maxiter > 0):
        raise ValueError(f"maxiter must be a positive int, got {maxiter!r}.")
    return float(rtol), int(maxiter)


def _finish(report: SolveReport, rtol: float, products: int, what: str) -> TopkBackwardInfo:
    converged = all(report.converged)
    if not converged:
        bad = [i for i, c in enumerate(report.converged) if not c]
        worst = max(report.residuals[i] for i in bad)
        warn_user(
            LinAlgWarning(
                f"{what}: the complement solve ({report.method}) stopped at relative residual {worst:.2e} "
                f"(rtol {rtol:.1e}) for pairs {bad} after {max(report.iterations)} iterations; the gradient "
                "is inaccurate. The k-th value is (nearly) repeated by the (k+1)-th (compute more pairs), "
                "the pairs are not converged, or maxiter is too small."
            )
        )
    return TopkBackwardInfo(
        report.method, tuple(report.iterations), tuple(report.residuals), converged, int(products)
    )


def _dense_report(method: str, k: int) -> SolveReport:
    return SolveReport(method, [0] * k, [0.0] * k, [True] * k)


# --------------------------------------------------------------------------- SVD


def svds_vjp(
    A: Any,
    U: Any,
    s: Any,
    Vh: Any,
    gU: Any | None = None,
    gs: Any | None = None,
    gVh: Any | None = None,
    *,
    backward: str = "cg",
    tol: float | None = None,
    rtol: float | None = None,
    maxiter: int | None = None,
    warn: bool = True,
    return_info: bool = False,
) -> LowRankGradient | tuple[LowRankGradient, TopkBackwardInfo]:
    """Cotangent of ``A`` for ``k`` singular triplets ``U, s, Vh`` (as :func:`pivotal.randomized.svds` returns).

    Parameters
    ----------
    A : (m, n) array, scipy.sparse matrix or LinearOperator
        The matrix the triplets belong to (NumPy, PyTorch or JAX when dense).
    U : (m, k) array
    s : (k,) array
    Vh : (k, n) array
        Converged singular triplets, in any order (``svds``: ascending;
        ``rsvd``: descending).
    gU, gs, gVh : arrays or None
        Cotangents of ``U``, ``s``, ``Vh`` (None: zero), PyTorch's
        convention for complex input (``dL = Re tr(g^H dX)``).
    backward : {"cg", "minres", "block", "augmented"}
        How the complement system is solved (module notes); all agree.
    tol : float, optional
        Degeneracy tolerance inside the ``k`` values (default
        ``max(m, n) * eps * max(s)``).
    rtol, maxiter : optional
        Krylov stopping rule (default ``1000 u`` and ``10 * min(m, n)``).
    warn : bool
        Warn on a basis-dependent loss inside a repeated value.
    return_info : bool
        Also return a :class:`TopkBackwardInfo`.

    Returns
    -------
    gA : LowRankGradient
        ``(U G + X) V^H + U Y^H``; ``gA.to_dense()``, ``gA.on_pattern(A)``
        for a sparse ``A``.
    info : TopkBackwardInfo
        Only with ``return_info=True``.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.autodiff.topk_vjp import svds_vjp
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((40, 20))
    >>> U, s, Vh = np.linalg.svd(A, full_matrices=False)
    >>> gU = np.zeros((40, 1)); gU[0, 0] = 1.0        # L = U[0, 0]
    >>> g = svds_vjp(A, U[:, :1], s[:1], Vh[:1], gU, None, None)
    >>> full = np.zeros_like(U); full[0, 0] = 1.0
    >>> from pivotal.autodiff.spectral_vjp import svd_vjp
    >>> np.allclose(g.to_dense(), svd_vjp(U, s, Vh, full, None, None))
    True
    """
    backward = _check_backward(backward)
    op = ProductOperator(A)
    m, n = op.shape
    like = _vectors_like(op, A, U)
    U, s, Vh = like, _as_backend(s, like), _as_backend(Vh, like)
    gU, gs, gVh = _as_backend(gU, like), _as_backend(gs, like), _as_backend(gVh, like)
    xp = namespace(U)
    k = int(s.shape[0])
    if U.shape != (m, k) or Vh.shape != (k, n) or len(s.shape) != 1:
        raise ValueError(
            f"shapes do not match A {(m, n)}: U {tuple(U.shape)} must be (m, k), s {tuple(s.shape)} (k,), "
            f"Vh {tuple(Vh.shape)} (k, n)."
        )
    for name, g, shape in (("gU", gU, (m, k)), ("gs", gs, (k,)), ("gVh", gVh, (k, n))):
        if g is not None and tuple(g.shape) != shape:
            raise ValueError(f"{name} has shape {tuple(g.shape)}, expected {shape} (that of its output).")
    rtol, maxiter = _defaults(U.dtype, min(m, n), rtol, maxiter)
    V = _ct(xp, Vh)
    gV = _ct(xp, gVh) if gVh is not None else None
    J = _ct(xp, U) @ gU if gU is not None else None
    K = Vh @ gV if gV is not None else None
    G = svd_core(s, J, K, gs, tol=tol, size=max(m, n), warn=warn)
    if G.dtype != U.dtype:
        G = xp.astype(G, U.dtype)
    left = U @ G
    report = _dense_report(backward, k)
    if gU is None and gV is None:
        X = Y = None
    else:
        a = gU - U @ J if gU is not None else xp.zeros_like(U)
        b = gV - V @ K if gV is not None else xp.zeros_like(V)
        X, Y, report = _svd_complement_nonzero(op, U, s, V, a, b, backward, rtol, maxiter, tol, warn)
    info = _finish(report, rtol, op.n_products, "svds_vjp")
    if X is None:
        grad = LowRankGradient(left, V)
    else:
        grad = LowRankGradient(xp.concat([left + X, U], axis=1), xp.concat([V, Y], axis=1))
    return (grad, info) if return_info else grad


def _svd_complement_nonzero(op, U, s, V, a, b, backward, rtol, maxiter, tol, warn):
    """:func:`_svd_complement` for the triplets with ``s_i > tol``; zero for the others.

    A zero singular value's vectors are arbitrary within the null spaces of
    ``A`` and ``A^H`` (its system ``M_i`` is singular): their complement
    cotangent is dropped, with a :class:`DegenerateSubspaceWarning` when it
    is not zero beyond rounding.
    """
    xp = namespace(U)
    k = int(s.shape[0])
    sn = to_numpy(s)
    t = float(to_numpy(degenerate_tol(s, max(op.shape)))[0, 0]) if tol is None else float(tol)
    keep = np.flatnonzero(sn > t)
    if keep.size == k:
        return _svd_complement(op, U, s, V, a, b, backward, rtol, maxiter)
    drop = np.flatnonzero(sn <= t)
    an, bn = to_numpy(a)[:, drop], to_numpy(b)[:, drop]
    scale = float(np.linalg.norm(to_numpy(a)) + np.linalg.norm(to_numpy(b)))
    if (
        warn
        and float(np.linalg.norm(an) + np.linalg.norm(bn)) > math.sqrt(2 * unit_roundoff(U.dtype)) * scale
    ):
        warn_user(DegenerateSubspaceWarning([(int(i), int(i)) for i in drop], "zero singular values"))
    E = from_numpy(np.eye(k, dtype=to_numpy(U[:1, :1]).dtype)[keep], U)  # rows: the kept triplets
    report = _dense_report(backward, k)
    if keep.size == 0:
        return xp.zeros_like(U), xp.zeros_like(V), report
    pick = _ct(xp, E)
    s_keep = from_numpy(np.ascontiguousarray(sn[keep]), U)
    X, Y, sub = _svd_complement(op, U, s_keep, V, a @ pick, b @ pick, backward, rtol, maxiter)
    for name in ("iterations", "residuals", "converged"):
        full = getattr(report, name)
        for j, i in enumerate(keep):
            full[i] = getattr(sub, name)[j]
    return X @ E, Y @ E, report


def _svd_complement(op, U, s, V, a, b, backward, rtol, maxiter):
    """``X = [a_i]``, ``Y = [b_i]`` of the module notes, by the chosen ``backward``."""
    xp = namespace(U)
    s_ = xp.astype(s, U.dtype) if s.dtype != U.dtype else s
    m, n = op.shape
    if backward == "augmented":
        return (*_svd_augmented(op, U, s, V, a, b), _dense_report(backward, int(s.shape[0])))
    right = n <= m  # unknown of length min(m, n)
    W = V if right else U
    ones = xp.ones_like(s_)
    if right:  # (s^2 - A^H A) y = s b + A^H a
        rhs = b * s_[None, :] + op.rmatmat(a)
    else:  # (s^2 - A A^H) x = s a + A b
        rhs = a * s_[None, :] + op.matmat(b)
    M = ShiftedOperator(op, "right" if right else "left", W, s_ * s_, ones)
    rhs = M.project(rhs)
    if backward == "block":
        Z = _dense_solve(op, M, rhs)
        report = _dense_report(backward, int(s.shape[0]))
    else:
        Z, report = solve_columns(backward, M, rhs, rtol=rtol, maxiter=maxiter)
    if right:
        Y = M.project(Z)
        X = (a + op.matmat(Y)) / s_[None, :]
        X = X - U @ (_ct(xp, U) @ X)
    else:
        X = M.project(Z)
        Y = (b + op.rmatmat(X)) / s_[None, :]
        Y = Y - V @ (_ct(xp, V) @ Y)
    return X, Y, report


def _dense_solve(op: ProductOperator, M: ShiftedOperator, rhs: Any) -> Any:
    """The ``"block"`` option: each column's projected system formed densely, plus ``W W^H``, solved by LU."""
    xp = namespace(rhs)
    Ad = op.dense(rhs)
    Ad = xp.astype(Ad, rhs.dtype) if Ad.dtype != rhs.dtype else Ad
    if M.gram == "right":
        B = _ct(xp, Ad) @ Ad
    elif M.gram == "left":
        B = Ad @ _ct(xp, Ad)
    else:
        B = Ad
    p = int(B.shape[0])
    eye = xp.eye(p, dtype=rhs.dtype)
    W = M.W
    Pm = eye - W @ _ct(xp, W)
    cols = []
    for i in range(int(rhs.shape[1])):
        Mi = Pm @ ((M.shift[i] * eye - B) * M.sign[i]) @ Pm + W @ _ct(xp, W)
        cols.append(xp.linalg.solve(Mi, rhs[:, i : i + 1]))
    return xp.concat(cols, axis=1) if cols else rhs


def _svd_augmented(op, U, s, V, a, b):
    """The bordered system ``[[s I, -A], [-A^H, s I], [U^H, 0], [0, V^H]]``, least squares (NumPy)."""
    Ad = to_numpy(op.dense(U))
    Un, Vn, sn, an, bn = (to_numpy(x) for x in (U, V, s, a, b))
    m, n = Ad.shape
    k, kk = sn.shape[0], Un.shape[1]  # triplets solved for; vectors projected out
    dt = np.result_type(Ad, Un, an)
    X = np.zeros((m, k), dtype=dt)
    Y = np.zeros((n, k), dtype=dt)
    border = np.block([[Un.conj().T, np.zeros((kk, n))], [np.zeros((kk, m)), Vn.conj().T]])
    for i in range(k):
        K = np.block([[sn[i] * np.eye(m), -Ad], [-Ad.conj().T, sn[i] * np.eye(n)]])
        K = np.vstack([K, border]).astype(dt)
        r = np.concatenate([an[:, i], bn[:, i], np.zeros(2 * kk)]).astype(dt)
        z = np.linalg.lstsq(K, r, rcond=None)[0]
        X[:, i], Y[:, i] = z[:m], z[m:]
    return from_numpy(X, U), from_numpy(Y, U)


# --------------------------------------------------------------------------- Hermitian eigenpairs


def eigsh_vjp(
    A: Any,
    w: Any,
    V: Any,
    gw: Any | None = None,
    gV: Any | None = None,
    *,
    backward: str = "minres",
    tol: float | None = None,
    rtol: float | None = None,
    maxiter: int | None = None,
    warn: bool = True,
    return_info: bool = False,
) -> LowRankGradient | tuple[LowRankGradient, TopkBackwardInfo]:
    """Cotangent of a Hermitian ``A`` for ``k`` eigenpairs ``w, V`` (as :func:`pivotal.randomized.eigsh` returns).

    Parameters
    ----------
    A : (n, n) array, scipy.sparse matrix or LinearOperator
        Hermitian; only ``A @ X`` is used.
    w : (k,) array
    V : (n, k) array
        Converged eigenpairs in any order (``eigsh``: ascending; ``reigh``:
        by decreasing ``|w|``; ``nystrom`` returns ``(V, w)``).
    gw, gV : arrays or None
        Cotangents (None: zero).
    backward : {"minres", "cg", "block", "augmented"}
        How the complement system ``P (w_i I - A) P x = P gv_i`` is solved;
        ``"cg"`` needs ``|w_i|`` above every eigenvalue left out (``which="LM"``).
    tol, rtol, maxiter, warn, return_info
        As in :func:`svds_vjp`.

    Returns
    -------
    gA : LowRankGradient
        Hermitian, ``(L V^H + V L^H) / 2`` with ``L = V G + X``.
    info : TopkBackwardInfo
        Only with ``return_info=True``.

    Examples
    --------
    >>> import numpy as np
    >>> from pivotal.autodiff.topk_vjp import eigsh_vjp
    >>> rng = np.random.default_rng(1)
    >>> B = rng.standard_normal((30, 30)); A = B + B.T
    >>> w, V = np.linalg.eigh(A)
    >>> g = eigsh_vjp(A, w[-1:], V[:, -1:], np.ones(1), None)   # L = lambda_max
    >>> np.allclose(g.to_dense(), np.outer(V[:, -1], V[:, -1]))
    True
    """
    backward = _check_backward(backward)
    op = ProductOperator(A, hermitian=True)
    n = op.shape[0]
    if op.shape[1] != n:
        raise ValueError(f"A must be square (Hermitian), got shape {op.shape}.")
    like = _vectors_like(op, A, V)
    V, w = like, _as_backend(w, like)
    gw, gV = _as_backend(gw, like), _as_backend(gV, like)
    xp = namespace(V)
    k = int(w.shape[0])
    if tuple(V.shape) != (n, k) or len(w.shape) != 1:
        raise ValueError(f"V {tuple(V.shape)} must be (n, k) and w {tuple(w.shape)} (k,) with n = {n}.")
    for name, g, shape in (("gw", gw, (k,)), ("gV", gV, (n, k))):
        if g is not None and tuple(g.shape) != shape:
            raise ValueError(f"{name} has shape {tuple(g.shape)}, expected {shape} (that of its output).")
    rtol, maxiter = _defaults(V.dtype, n, rtol, maxiter)
    J = _ct(xp, V) @ gV if gV is not None else None
    G = eigh_core(w, J, gw, tol=tol, size=n, warn=warn)
    if G.dtype != V.dtype:
        G = xp.astype(G, V.dtype)
    L = V @ G
    report = _dense_report(backward, k)
    if gV is not None:
        a = gV - V @ J
        w_ = xp.astype(w, V.dtype) if w.dtype != V.dtype else w
        sign = xp.ones_like(w_)
        if backward == "cg":  # sign(w_i) (w_i I - A) is positive definite on the complement for "LM" pairs
            sign = xp.where(xp.real(w_) < 0, -sign, sign)
        M = ShiftedOperator(op, "none", V, w_, sign)
        rhs = M.project(a * sign[None, :])  # twice projected: a null-space part of u ||gV|| stalls the solve
        if backward == "augmented":
            X = _eigh_augmented(op, V, w, a)
        elif backward == "block":
            X = _dense_solve(op, M, rhs)
        else:
            X, report = solve_columns(backward, M, rhs, rtol=rtol, maxiter=maxiter)
        X = X - V @ (_ct(xp, V) @ X)
        L = L + X
    info = _finish(report, rtol, op.n_products, "eigsh_vjp")
    half = 0.5 * L
    grad = LowRankGradient(xp.concat([half, V], axis=1), xp.concat([V, half], axis=1))
    return (grad, info) if return_info else grad


def _eigh_augmented(op, V, w, a):
    """The bordered system ``[[w_i I - A], [V^H]] x = [P gv_i; 0]``, least squares (NumPy)."""
    Ad = to_numpy(op.dense(V))
    Vn, wn, an = to_numpy(V), to_numpy(w), to_numpy(a)
    n, k = Vn.shape
    dt = np.result_type(Ad, Vn, an)
    X = np.zeros((n, k), dtype=dt)
    for i in range(k):
        K = np.vstack([wn[i] * np.eye(n) - Ad, Vn.conj().T]).astype(dt)
        r = np.concatenate([an[:, i], np.zeros(k)]).astype(dt)
        X[:, i] = np.linalg.lstsq(K, r, rcond=None)[0]
    return from_numpy(X, V)
