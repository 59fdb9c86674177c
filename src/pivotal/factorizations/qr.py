"""The ``QR`` and ``QRPivoted`` factorization objects and the QR method selector."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import array_api_compat
import numpy as np

from .._array import (
    backend_name,
    is_complex,
    namespace,
    promote_dtypes,
    to_float,
    to_numpy,
    unit_roundoff,
    validate_rhs,
    working_copy,
    working_dtype,
)
from .._backends import get_backend
from .._permutations import perm_sign
from .._scaling import ldexp, max_abs
from ..errors import IllConditionedWarning, NotPositiveDefiniteError, SingularMatrixError
from ..kernels import cholqr, gram_schmidt, householder, qrcp, rrqr, tsqr
from ..kernels.condest import inv_onenormest, rcond_from
from ..kernels.triangular import solve_in_range
from .base import Factorization, _copy_as, dense_norm1, det_parts, factor_input, index_array, scalar_like
from .scaling import factor_exponent, scale_into_range, scale_upper

__all__ = ["QR", "QR_METHODS", "QRComputation", "QRPivoted", "qr_compute", "select_qr_method"]

#: Every QR algorithm reachable by name.
QR_METHODS = (
    "auto",
    "vendor",
    "householder",
    "givens",
    "cgs",
    "mgs",
    "cgs2",
    "cholqr2",
    "shifted_cholqr3",
    "rand_cholqr",
    "tsqr",
)

# Tall-skinny paths pay off from this aspect ratio on (issue 3: m >= ~8n).
TALL_SKINNY_RATIO = 8


@dataclass
class QRComputation:
    """A QR factorization in one of two representations.

    ``kind == "compact"``: LAPACK's compact Householder form ``(qr, tau)``.
    ``kind == "explicit"``: the thin ``Q`` (m x k) and ``R`` (k x n).
    """

    kind: str
    algorithm: str
    qr: Any = None
    tau: Any = None
    q: Any = None
    r: Any = None
    path: list[str] = field(default_factory=list)


def select_qr_method(shape: tuple[int, int], backend: str = "numpy") -> str:
    """The first method ``method="auto"`` tries for a matrix of ``shape``.

    Tall-skinny matrices (``m >= 8 n``) start with CholeskyQR2, whose cost
    is two Gram matrices and two triangular solves at BLAS-3 speed; the
    selector then checks the conditioning and falls back (shifted
    CholeskyQR3, then Householder) when CholeskyQR2 would lose
    orthogonality.  Everything else uses the vendor Householder QR.
    """
    m, n = shape
    if n >= 1 and m >= TALL_SKINNY_RATIO * n and m >= 64:
        return "cholqr2"
    return "vendor"


def _explicit(q: Any, r: Any, algorithm: str, path: list[str]) -> QRComputation:
    return QRComputation("explicit", algorithm, q=q, r=r, path=path)


def _householder(
    a: Any, method: str, block_size: int | None, path: list[str], overwrite_a: bool = False
) -> QRComputation:
    m, n = a.shape
    if method == "vendor" and block_size is None and m and n:
        backend = get_backend(a)
        qr_, tau = backend.vendor_geqrf(a)  # copies; never overwrites a
        name = "LAPACK geqrf" if backend.name == "numpy" else "torch.geqrf"
        path.append(f"householder, vendor ({name})")
        return QRComputation("compact", f"vendor ({name})", qr=qr_, tau=tau, path=path)
    work = working_copy(a, overwrite=overwrite_a)
    tau = householder.householder_qr(work, block_size=block_size)
    label = (
        "unblocked"
        if block_size == 1
        else ("default" if block_size is None else f"blocked, block_size={block_size}")
    )
    path.append(f"householder, kernel ({label})")
    return QRComputation("compact", f"kernel householder ({label})", qr=work, tau=tau, path=path)


def _triangular_rcond(r: Any) -> float:
    """1-norm reciprocal condition estimate of a square upper triangular ``r``.

    Estimated on ``2**e R`` when ``R`` lies outside the safe range
    (:mod:`pivotal.factorizations.scaling`; ``rcond`` is scale invariant):
    the inverse of a subnormal ``R`` overflows.
    """
    n = r.shape[0]
    if n == 0:
        return 1.0
    xp = namespace(r)
    d = xp.abs(xp.linalg.diagonal(r))
    if bool(xp.any(d == 0)):
        return 0.0
    backend = get_backend(r)

    def norms(t):
        abst = xp.abs(t)
        return to_float(xp.max(xp.sum(abst, axis=0))), to_float(xp.max(abst))

    r = xp.triu(r)  # a copy, which may be scaled
    _, anorm, _ = scale_into_range(r, norms)

    def solve(x, trans):
        y = _copy_as(x, r.dtype, xp)
        backend.trsm_inplace(r, y, lower=False, trans=trans)
        return y

    est = inv_onenormest(lambda x: solve(x, 0), lambda x: solve(x, 2), n, dtype=r.dtype, like=r)
    return rcond_from(anorm, est, n=n)


def _auto_tall(a: Any, path: list[str]) -> QRComputation:
    """CholeskyQR2 -> shifted CholeskyQR3 -> Householder.

    The CholeskyQR kernels refuse (``NotPositiveDefiniteError``) whenever
    their result would not be orthogonal to working precision: a Gram matrix
    that is not numerically positive definite, or a first-pass ``Q`` with
    condition number above 10.  Each refusal is recorded in ``path``.
    """
    for method, fn in (("cholqr2", cholqr.cholesky_qr2), ("shifted_cholqr3", cholqr.shifted_cholesky_qr3)):
        factors, err = _attempt(fn, a)
        if err is not None:
            path.append(f"{method} refused: too ill-conditioned (failed at column {err.index})")
        else:
            path.append(method)
            return _explicit(*factors, method, path)
    return _householder(a, "vendor", None, path)


def _attempt(fn, a: Any) -> tuple[Any, NotPositiveDefiniteError | None]:
    """``(fn(a), None)``, or ``(None, error)`` when the CholeskyQR kernel ``fn`` refuses."""
    try:
        return fn(a, check_finite=False), None
    except NotPositiveDefiniteError as err:
        return None, err


def qr_compute(
    a: Any,
    method: str = "auto",
    block_size: int | None = None,
    *,
    overwrite_a: bool = False,
    random_state: Any = None,
) -> QRComputation:
    """Compute a QR factorization of ``a`` with the named method.

    ``a`` is a validated 2-D NumPy array or PyTorch tensor.  The compact
    methods ("vendor", "householder") may overwrite ``a`` when
    ``overwrite_a``; the explicit ones never do.
    """
    if method not in QR_METHODS:
        raise ValueError(f"method={method!r} is not one of {QR_METHODS}.")
    if block_size is not None:
        if isinstance(block_size, bool) or int(block_size) != block_size or block_size < 1:
            raise ValueError(f"block_size must be a positive integer or None, got {block_size!r}.")
        if method not in ("householder", "auto"):
            raise ValueError(
                f"block_size applies to the Householder kernel only (method='householder'), "
                f"not to method={method!r}."
            )
        method = "householder"
    if random_state is not None and method not in ("rand_cholqr", "auto"):
        raise ValueError("random_state applies to method='rand_cholqr' only.")
    if a.dtype != working_dtype(a):
        a = working_copy(a)  # promote integers/half precision once, for every method
    m, n = a.shape
    path: list[str] = []
    if method == "auto":
        first = select_qr_method((m, n), backend_name(a))
        if first == "cholqr2":
            return _auto_tall(a, path)
        method = "vendor"
    if method in ("vendor", "householder"):
        return _householder(a, method, block_size, path, overwrite_a)
    if method == "givens":
        from ..kernels import givens

        r_full, rotations = givens.givens_qr(working_copy(a), check=False)
        k = min(m, n)
        q = givens.form_q(rotations, like=a, ncols=k)
        r = r_full[:k, :]
        path.append("givens")
        return _explicit(q, r, "givens", path)
    fn = {
        "cgs": gram_schmidt.cgs,
        "mgs": gram_schmidt.mgs,
        "cgs2": gram_schmidt.cgs2,
        "cholqr2": cholqr.cholesky_qr2,
        "shifted_cholqr3": cholqr.shifted_cholesky_qr3,
        "tsqr": tsqr.tsqr,
    }.get(method)
    if method == "rand_cholqr":
        q, r = cholqr.rand_cholesky_qr(a, random_state=random_state)
    else:
        if m < n and method != "tsqr":
            raise ValueError(
                f"method={method!r} needs m >= n (got {m}x{n}); use method='householder' or "
                "'vendor' for wide matrices."
            )
        q, r = fn(a)
    path.append(method)
    return _explicit(q, r, method, path)


class QR(Factorization):
    """QR factorization ``A = Q R`` (thin ``Q`` with orthonormal columns, upper ``R``).

    Parameters
    ----------
    a : (M, N) array_like
        NumPy array or PyTorch tensor.
    method : str, optional
        One of :data:`QR_METHODS`.  ``"auto"`` uses CholeskyQR2 for tall,
        well-conditioned matrices (checking the conditioning and falling
        back to shifted CholeskyQR3, then Householder) and LAPACK's
        Householder QR otherwise; ``"householder"`` is pivotal's blocked
        Householder kernel, ``"vendor"`` LAPACK ``geqrf`` / ``torch.geqrf``.
        ``.path`` records what was tried and why.
    block_size : int, optional
        Householder kernel block size (1 = textbook).  Selects the kernel.
    random_state : optional
        Seed for ``method="rand_cholqr"``.
    overwrite_a, check_finite : bool, optional

    Attributes
    ----------
    algorithm : str
        The method that produced the factors.
    path : list of str
        The selector's steps (useful with ``method="auto"``).

    Notes
    -----
    Unpacks as ``(Q, R)`` with ``Q`` thin (``M x K``, ``K = min(M, N)``).
    Numerical rank, null space and orthogonal bases need column pivoting:
    see :class:`QRPivoted`.

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> A = np.random.default_rng(0).standard_normal((1000, 20))
    >>> F = pv.QR(A)
    >>> F.algorithm
    'cholqr2'
    >>> Q, R = F
    >>> np.allclose(Q @ R, A), np.allclose(Q.T @ Q, np.eye(20))
    (True, True)
    >>> b = A @ np.ones(20)
    >>> np.allclose(F.lstsq(b), 1.0)
    True
    """

    def __init__(
        self,
        a: Any,
        *,
        method: str = "auto",
        block_size: int | None = None,
        random_state: Any = None,
        overwrite_a: bool = False,
        check_finite: bool = True,
    ):
        a = factor_input(
            a,
            type(self).__name__,
            square=False,
            check_finite=check_finite,
            jax_hint="for JAX arrays use pivotal.qr (jax.numpy.linalg.qr).",
            obj=self,  # solve, det, slogdet, inv: the rules of any factorization; lstsq: the qr rule
        )
        self._init_common(a)
        self._comp = qr_compute(a, method, block_size, overwrite_a=overwrite_a, random_state=random_state)
        self.algorithm = self._comp.algorithm
        self.path = self._comp.path
        self.info = 0
        self._fields = ("Q", "R")

    # ------------------------------------------------------------------ shared set-up
    def _init_common(self, a: Any) -> None:
        self._xp = namespace(a)
        self.shape = (int(a.shape[0]), int(a.shape[1]))
        self.dtype = working_dtype(a)
        self._cache: dict[str, Any] = {}

    def _sample(self) -> Any:
        c = self._comp
        return c.qr if c.kind == "compact" else c.r

    @property
    def _anorm(self) -> float:
        """``||2**_scale A||_1``, recomputed from the factors on demand (QR's own estimates use R)."""
        if "anorm" not in self._cache:
            self._cache["anorm"] = dense_norm1(self.Q @ self._r_factor()) if min(self.shape) else 0.0
        return self._cache["anorm"]

    # ------------------------------------------------------------------ factors
    def _r_factor(self) -> Any:
        """``R`` of the factored matrix ``2**_scale A`` (cached): the one solves, ranks and determinants use."""
        if "R" not in self._cache:
            c = self._comp
            if c.kind == "compact":
                k = min(self.shape)
                self._cache["R"] = self._xp.triu(c.qr[:k, :])
            else:
                self._cache["R"] = c.r
        return self._cache["R"]

    @property
    def R(self) -> Any:
        """Upper triangular (trapezoidal) factor of ``A``, ``K x N``."""
        if "R of A" not in self._cache:
            self._cache["R of A"] = self._unscaled(self._r_factor())
        return self._cache["R of A"]

    @property
    def Q(self) -> Any:
        """Thin orthonormal factor ``M x K``."""
        if "Q" not in self._cache:
            c = self._comp
            if c.kind == "compact":
                self._cache["Q"] = _form_q(c.qr, c.tau, min(self.shape))
            else:
                self._cache["Q"] = c.q
        return self._cache["Q"]

    def full_q(self) -> Any:
        """The square ``M x M`` orthogonal factor (Householder representations only)."""
        c = self._comp
        if c.kind != "compact":
            raise ValueError(
                f"method {self.algorithm!r} produces the thin Q only; use method='householder' "
                "or 'vendor' for the full M x M factor."
            )
        return _form_q(c.qr, c.tau, self.shape[0])

    def apply_q(self, x: Any, trans: bool = False) -> Any:
        """``Q @ x`` (``x`` has K rows) or, with ``trans``, ``Q^H @ x`` (``x`` has M rows).

        ``Q`` is the thin factor; the Householder representation applies it
        without forming it.
        """
        xp = self._xp
        m, n = self.shape
        k = min(m, n)
        vector = len(x.shape) == 1
        x2 = xp.reshape(x, (x.shape[0], 1)) if vector else x
        need = m if trans else k
        if x2.shape[0] != need:
            raise ValueError(f"x must have {need} rows for apply_q(trans={trans}), got {x2.shape[0]}.")
        dtype = promote_dtypes(self.dtype, x2.dtype)
        c = self._comp
        if c.kind == "compact":
            if trans:
                y = _copy_as(x2, dtype, xp)
                householder.apply_q(c.qr, c.tau, y, side="left", trans=True)
                y = y[:k, :]
            else:
                y = xp.zeros((m, x2.shape[1]), dtype=dtype, device=array_api_compat.device(x2))
                y[:k, :] = x2
                householder.apply_q(c.qr, c.tau, y, side="left", trans=False)
        else:
            q = c.q
            y = (xp.conj(q).T if is_complex(q.dtype) else q.T) @ x2 if trans else q @ x2
        return xp.reshape(y, (y.shape[0],)) if vector else y

    # ------------------------------------------------------------------ solving
    def _r_square(self) -> Any:
        return self._r_factor()[:, : min(self.shape)]

    def _solve_core(self, b: Any, trans: int) -> Any:
        return self._solve_qr(b, trans)

    def _solve_qr(self, b: Any, trans: int) -> Any:
        """Solve ``op(Q R) x = b`` (square; ``b`` is (n, k) in the working dtype)."""
        xp = self._xp
        backend = get_backend(b)
        r = self._r_square()
        if r.dtype != b.dtype:
            r = _copy_as(r, b.dtype, xp)
        if trans == 0:
            y = _copy_as(self.apply_q(b, trans=True), b.dtype, xp)
            solve_in_range(backend.trsm_inplace, r, y, lower=False)
            return y
        if trans == 1 and is_complex(self.dtype):
            return _copy_as(xp.conj(self._solve_qr(_copy_as(xp.conj(b), b.dtype, xp), 2)), b.dtype, xp)
        y = b
        solve_in_range(backend.trsm_inplace, r, y, lower=False, trans=2 if trans else 0)
        return _copy_as(self.apply_q(y), b.dtype, xp)

    def _failure_index(self) -> int | None:
        r = self._r_square()
        xp = self._xp
        zero = xp.nonzero(xp.linalg.diagonal(r) == 0)[0]
        return int(zero[0]) if zero.shape[0] else None

    def issuccess(self) -> bool:
        """QR always completes; a zero on R's diagonal shows up as singularity in solves."""
        return True

    def _raise_if_failed(self, what: str) -> None:
        idx = self._failure_index()
        if idx is not None:
            raise SingularMatrixError(
                idx,
                f"cannot {what}: R[{idx}, {idx}] is exactly zero, so A is rank deficient. "
                "Use QRPivoted(A).lstsq or pivotal.lstsq for the minimum-norm solution.",
            )

    def lstsq(self, b: Any) -> Any:
        """Least-squares solution ``argmin ||A x - b||`` for full column rank ``M >= N``.

        Warns
        -----
        IllConditionedWarning
            Once per factorization, when ``rcond()`` (of ``R``) is below
            machine epsilon: ``A`` is numerically rank deficient and the
            solution may be huge and meaningless -- the policy of
            ``pivotal.lstsq(A, b, method="qr")``.  Use :class:`QRPivoted`
            for the minimum-norm solution.
        """
        m, n = self.shape
        if m < n:
            raise ValueError(
                f"QR.lstsq needs M >= N (got {m}x{n}); for underdetermined systems use "
                "QRPivoted(A).lstsq or pivotal.lstsq (minimum-norm solutions)."
            )
        if self._routes(b):
            return self._lstsq_routed(b)
        b = self._lstsq_rhs(b)
        self._raise_if_failed("solve the least-squares problem")
        self._warn_if_unreliable()
        xp = self._xp
        y = self.apply_q(b, trans=True)
        vector = len(y.shape) == 1
        y2 = xp.reshape(y, (n, 1)) if vector else y
        y2 = _copy_as(y2, y2.dtype, xp)
        r = self._r_square()
        if r.dtype != y2.dtype:
            r = _copy_as(r, y2.dtype, xp)
        solve_in_range(get_backend(y2).trsm_inplace, r, y2, lower=False)
        ldexp(y2, self._scale, inplace=True)  # (2^e A) y = b: x = 2^e y
        return xp.reshape(y2, (n,)) if vector else y2

    def _lstsq_routed(self, b: Any) -> Any:
        """:meth:`lstsq` on the graph: ``x = R^{-1} Q^H b`` with the factors through the ``qr`` rule.

        The rule's forward hands back the factors already computed (copies: no
        refactoring); its backward differentiates them with respect to ``A``,
        and the triangular solve has its own rule.
        """
        from ..autodiff import apply
        from ..autodiff.factor_rules import trsm
        from ..autodiff.qr_rules import QR as QR_RULE

        m, n = self.shape
        b = validate_rhs(b, m, check_finite=False, differentiable=True)
        if len(b.shape) > 2:
            raise ValueError(
                f"lstsq takes b of shape ({m},) or ({m}, K), got {tuple(b.shape)}; "
                "solve the problems one at a time, or use pivotal.lstsq for a batch."
            )
        self._check_backend(b)
        self._raise_if_failed("solve the least-squares problem")
        self._warn_if_unreliable()
        xp = self._xp
        q, r = self.Q, self.R
        graph = self._graph_matrix()
        if graph is not None:
            q0, r0 = q, r

            def stored(a: Any, **_: Any) -> tuple[Any, Any]:
                return xp.asarray(q0, copy=True), xp.asarray(r0, copy=True)

            q, r = apply(QR_RULE, stored, graph, pivoting=False)
        dtype = xp.result_type(q.dtype, b.dtype)
        vector = len(b.shape) == 1
        b2 = xp.astype(xp.reshape(b, (m, 1)) if vector else b, dtype)
        qh = xp.astype(q, dtype).T
        qh = xp.conj(qh) if is_complex(dtype) else qh
        x = trsm(xp.astype(r[:, :n], dtype), qh @ b2, lower=False)
        return xp.reshape(x, (n,)) if vector else x

    def _lstsq_rhs(self, b: Any) -> Any:
        """``b`` of ``lstsq`` as an array of the factors' backend: ``(M,)`` or ``(M, K)`` (lists accepted)."""
        m = self.shape[0]
        b = validate_rhs(b, m, check_finite=False)
        if len(b.shape) > 2:
            raise ValueError(
                f"lstsq takes b of shape ({m},) or ({m}, K), got {tuple(b.shape)}; "
                "solve the problems one at a time, or use pivotal.lstsq for a batch."
            )
        self._check_backend(b)
        return b

    def _conditioning_warning(self) -> IllConditionedWarning | None:
        if min(self.shape) == 0:
            return None
        rc = _triangular_rcond(self._r_square())
        if rc >= 2.0 * unit_roundoff(self.dtype):
            return None
        return IllConditionedWarning(
            rc,
            f"R is (nearly) rank deficient (rcond={rc:.3g} < eps): A is numerically rank "
            "deficient, so the solution may be huge and has no correct digits. Use "
            "QRPivoted(A).lstsq or pivotal.lstsq for the minimum-norm solution.",
        )

    def rcond(self) -> float:
        """Reciprocal 1-norm condition estimate of ``R`` (LAPACK ``xTRCON`` style).

        ``kappa_2(A) = kappa_2(R)``, so this also estimates the conditioning
        of rectangular ``A``.  Uses the leading ``K x K`` block of ``R``.
        """
        return _triangular_rcond(self._r_square())

    @property
    def logabsdet(self) -> float:
        """``log |det A|`` for square ``A`` (``sum(log |R_ii|)``)."""
        return to_float(self.slogdet()[1])

    def _det_parts(self) -> tuple[np.ndarray, int]:
        return det_parts(self._xp.linalg.diagonal(self._r_factor()), sign=to_numpy(self._det_q())), 0

    def _det_q(self) -> Any:
        """det(Q) (modulus 1) of the square orthogonal factor."""
        c = self._comp
        if c.kind == "compact":
            return _reflectors_det(c.qr, c.tau)
        from .lu import LU

        sign, _ = LU(c.q).slogdet()
        return sign

    def _repr_extra(self) -> str:
        return f"algorithm={self.algorithm!r}"


class QRPivoted(QR):
    """Column-pivoted, rank-revealing QR: ``A[:, p] = Q R``.

    Parameters
    ----------
    a : (M, N) array_like
    rank_reveal : {None, "strong"}, optional
        ``None``: LAPACK ``geqp3``-style column pivoting (largest remaining
        column norm, with the norm-downdating safeguard).  ``"strong"``:
        Gu-Eisenstat strong RRQR for a target ``rank`` or ``tol``, which
        bounds ``sigma(R11)`` from below and ``sigma(R22)`` from above.
    rank : int, optional
        Target rank (strong RRQR) — also fixes ``.rank``.
    tol : float, optional
        Numerical-rank tolerance on ``|R_kk|``; default
        ``max(M, N) * eps * |R_00|`` (NumPy's ``matrix_rank`` rule applied to
        ``|diag(R)|``).
    method : {"auto", "kernel", "vendor"}, optional
        ``"vendor"`` is LAPACK ``geqp3`` (NumPy only); ``"kernel"`` pivotal's
        QRCP (also on PyTorch, CPU or GPU).
    block_size : int, optional
        Kernel block size (selects the kernel).
    f : float, optional
        Strong RRQR's bound parameter (> 1).

    Attributes
    ----------
    rank : int
        Numerical rank.

    Examples
    --------
    >>> import numpy as np, pivotal as pv
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((30, 5)) @ rng.standard_normal((5, 20))
    >>> F = pv.QRPivoted(A)
    >>> F.rank
    5
    >>> np.allclose(A @ F.null_space(), 0)
    True
    >>> Q, R, p = F
    >>> np.allclose(A[:, p], Q @ R)
    True
    """

    def __init__(
        self,
        a: Any,
        *,
        rank_reveal: str | None = None,
        rank: int | None = None,
        tol: float | None = None,
        method: str = "auto",
        block_size: int | None = None,
        f: float = 2.0,
        overwrite_a: bool = False,
        check_finite: bool = True,
    ):
        a = factor_input(
            a,
            "QRPivoted",
            square=False,
            check_finite=check_finite,
            jax_hint="for JAX arrays use pivotal.qr(..., pivoting=True).",
        )
        if rank_reveal not in (None, "strong"):
            raise ValueError(f"rank_reveal must be None or 'strong', got {rank_reveal!r}.")
        if method not in ("auto", "kernel", "vendor"):
            raise ValueError(f"method={method!r} is not one of ('auto', 'kernel', 'vendor').")
        if rank is not None and (int(rank) != rank or not 0 <= rank <= min(a.shape)):
            raise ValueError(
                f"rank must be an integer in [0, min(M, N)] = [0, {min(a.shape)}], got {rank!r}."
            )
        self._init_common(a)
        m, n = self.shape
        work = working_copy(a, overwrite=overwrite_a)
        # 2^e A is factored when A lies outside LAPACK's safe range (see .scaling): the numerical-rank
        # tolerance, of the order u |R_00|, must not underflow (it does for subnormal A), and the solves
        # keep the accuracy that subnormal factors would lose.
        e = factor_exponent(max_abs(work), work.dtype)
        ldexp(work, e, inplace=True)
        tol_e = _scaled_tol(tol, e, work)
        if rank_reveal == "strong":
            if method == "vendor":
                raise ValueError("strong RRQR is pivotal's own algorithm; use method='auto' or 'kernel'.")
            qr_, tau, perm, rk = rrqr.strong_rrqr(work, rank=rank, tol=tol_e, f=f)
            algorithm = f"strong rrqr (f={f})"
        else:
            use_vendor = method == "vendor" or (
                method == "auto" and block_size is None and backend_name(work) == "numpy"
            )
            if use_vendor and block_size is not None:
                raise ValueError(
                    "block_size selects pivotal's kernel; it cannot be combined with method='vendor'."
                )
            if use_vendor:
                try:
                    qr_, tau, perm = get_backend(work).vendor_geqp3(work)
                except NotImplementedError:
                    raise ValueError(
                        "method='vendor' (LAPACK geqp3) needs NumPy input; PyTorch tensors use "
                        "pivotal's QRCP kernel: pass method='kernel' or 'auto'."
                    ) from None
                algorithm = "vendor (LAPACK geqp3)"
            else:
                tau, perm = qrcp.qrcp(work, block_size=block_size)
                qr_ = work
                algorithm = "kernel qrcp"
            rk = None
        self._comp = QRComputation("compact", algorithm, qr=qr_, tau=tau, path=[algorithm])
        self._perm = np.asarray(perm)
        self.algorithm = algorithm
        self.path = self._comp.path
        self.info = 0
        self.tol = tol
        xp = self._xp
        k = min(m, n)
        if rk is None:
            if rank is not None:
                rk = int(rank)
            elif k == 0:
                rk = 0
            else:
                rk = qrcp.numerical_rank(xp.abs(xp.linalg.diagonal(qr_[:k, :k])), m, n, tol=tol_e)
        self.rank = int(rk)
        if e:
            # Solves, ranks and determinants use R of 2^e A; the compact factors kept are those of A
            # (the reflectors are scale free), as pivotal.qr(..., mode="raw") returns them.
            self._cache["R"] = xp.triu(qr_[:k, :])
            scale_upper(qr_, -e)
            self._scale = e
        self._fields = ("Q", "R", "p")

    @property
    def p(self) -> Any:
        """Column permutation: ``A[:, p] == Q @ R``."""
        return index_array(self._perm, self._sample())

    @property
    def P(self) -> Any:
        """Permutation matrix: ``A @ P == Q @ R``."""
        xp = self._xp
        eye = xp.eye(self.shape[1], dtype=self.dtype, device=array_api_compat.device(self._sample()))
        return eye[:, self.p]

    def _repr_extra(self) -> str:
        return f"rank={self.rank}, algorithm={self.algorithm!r}"

    # ------------------------------------------------------------------ square solves and determinant
    def _solve_core(self, b: Any, trans: int) -> Any:
        # A P = Q R with P = I[:, p]:  A x = b  <=>  Q R (P^T x) = b, so x[p] = (QR)^{-1} b;
        # op(A) = P op(QR):  op(A) x = b  <=>  op(QR) x = P^T b = b[p].
        if trans == 0:
            y = self._solve_qr(b, 0)
            x = self._xp.empty_like(y)
            x[index_array(self._perm, y), :] = y
            return x
        return self._solve_qr(b[index_array(self._perm, b), :], trans)

    def _det_parts(self) -> tuple[np.ndarray, int]:
        f, k = super()._det_parts()
        return (np.append(f, -1.0) if perm_sign(self._perm) < 0 else f), k

    # ------------------------------------------------------------------ complete orthogonal decomposition
    def _cod(self):
        """``[R11 R12] = T^H Z^H`` from a QR of ``[R11 R12]^H`` (n x r); cached."""
        if "cod" not in self._cache:
            xp = self._xp
            r = self.rank
            w = self._r_factor()[:r, :]
            w = xp.conj(w).T if is_complex(w.dtype) else w.T
            wq = working_copy(_copy_as(w, w.dtype, xp))
            tau = householder.householder_qr(wq)
            self._cache["cod"] = (wq, tau)
        return self._cache["cod"]

    def lstsq(self, b: Any) -> Any:
        """Minimum-norm least-squares solution (complete orthogonal decomposition).

        Uses the numerical rank: ``A P = Q [R11 R12; 0 R22]`` with ``R22``
        treated as zero, then ``[R11 R12] = T^H Z^H`` so that the minimum-norm
        solution is ``x = P Z T^{-H} (Q^H b)[:rank]``.
        """
        xp = self._xp
        n = self.shape[1]
        r = self.rank
        c = self.apply_q(self._lstsq_rhs(b), trans=True)
        vector = len(c.shape) == 1
        c2 = xp.reshape(c, (c.shape[0], 1)) if vector else c
        k = c2.shape[1]
        dtype = c2.dtype
        y = xp.zeros((n, k), dtype=dtype, device=array_api_compat.device(c2))
        if r:
            wq, tau = self._cod()
            t = xp.triu(wq[:r, :r])
            if t.dtype != dtype:
                t = _copy_as(t, dtype, xp)
            z = _copy_as(c2[:r, :], dtype, xp)
            solve_in_range(get_backend(z).trsm_inplace, t, z, lower=False, trans=2)
            y[:r, :] = z
            wq_d = wq if wq.dtype == dtype else _copy_as(wq, dtype, xp)
            tau_d = tau if tau.dtype == dtype else _copy_as(tau, dtype, xp)
            householder.apply_q(wq_d, tau_d, y, side="left", trans=False)
        x = xp.empty_like(y)
        x[index_array(self._perm, y), :] = ldexp(y, self._scale)  # (2^e A) y = b: x = 2^e y
        return xp.reshape(x, (n,)) if vector else x

    def null_space(self) -> Any:
        """Orthonormal basis (N x (N - rank)) of the numerical null space of ``A``."""
        xp = self._xp
        n = self.shape[1]
        r = self.rank
        if r == 0:
            basis = xp.eye(n, dtype=self.dtype, device=array_api_compat.device(self._sample()))
        else:
            wq, tau = self._cod()
            basis = _form_q(wq, tau, n)[:, r:]
        out = xp.empty_like(basis)
        out[index_array(self._perm, basis), :] = basis
        return out

    def orth(self) -> Any:
        """Orthonormal basis (M x rank) of the numerical range of ``A``."""
        return self.Q[:, : self.rank]

    def rcond(self) -> float:
        """Reciprocal condition estimate of ``R11`` (the leading ``rank x rank`` block)."""
        r = self.rank
        return _triangular_rcond(self._r_factor()[:r, :r])


def _scaled_tol(tol: Any, e: int, like: Any) -> Any:
    """The absolute rank tolerance ``tol`` for the factored ``2**e A``: ``tol * 2**e``.

    ``None`` stays ``None``, and anything ``numerical_rank`` refuses (negative,
    NaN, Inf) stays refused; a finite ``tol`` whose scaled value overflows
    ``like``'s dtype becomes its largest number (every ``|R_kk|`` is below it).
    """
    if tol is None or not e:
        return tol
    t = float(tol)
    with np.errstate(over="ignore", under="ignore"):
        scaled = float(np.ldexp(t, e))
    biggest = float(namespace(like).finfo(like.dtype).max)
    return min(scaled, biggest) if math.isfinite(t) and t >= 0 else scaled


def _reflectors_det(qr_: Any, tau: Any) -> Any:
    """``det(Q)`` for ``Q = H_0 H_1 ... H_{k-1}``, ``H_i = I - tau_i v_i v_i^H``.

    ``det(H_i) = 1 - tau_i ||v_i||^2`` (modulus one for LAPACK's reflectors:
    -1 for a real reflector with ``tau != 0``, 1 when ``tau == 0``).
    """
    xp = namespace(qr_)
    k = tau.shape[0]
    det = scalar_like(1.0, qr_.dtype, qr_)
    for i in range(k):
        v = qr_[i + 1 :, i]
        vnorm2 = 1.0 + xp.sum(xp.abs(v) ** 2)
        det = det * (1.0 - tau[i] * vnorm2)
    return det


def _form_q(qr_: Any, tau: Any, ncols: int) -> Any:
    return householder.form_q(qr_, tau, ncols)
