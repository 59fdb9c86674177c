"""``scipy.sparse`` input to pivotal's entry points: :func:`factorize`, :func:`solve`, :func:`lstsq`.

``pivotal.factorize``, ``pivotal.solve`` and ``pivotal.lstsq`` import this module lazily when they
receive a sparse matrix.  It returns plain values (the solve's report as a dict of
:class:`pivotal.SolveReport` fields) so that nothing here imports the dense entry points.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from ..kernels.condest import inv_onenormest
from ._input import hermitian_defect, sparse_matrix
from .cholesky import SparseCholesky, quiet_c_output
from .fill import SparseFactorization
from .lu import SparseLU

__all__ = [
    "BANDED_WIDTH",
    "LSTSQ_ROUTES",
    "SparseLstsqResult",
    "factorize",
    "lstsq",
    "solve",
    "spqr_binding",
    "structure",
]

#: Matrices whose bandwidth is at most this are factored in their natural order (no fill outside the band).
BANDED_WIDTH = 16
_ASSUME = {
    None: "auto",
    "auto": "auto",
    "general": "general",
    "gen": "general",
    "symmetric": "symmetric",
    "sym": "symmetric",
    "hermitian": "symmetric",
    "her": "symmetric",
    "positive definite": "positive definite",
    "pos": "positive definite",
}


def structure(a: sp.csc_array) -> dict[str, Any]:
    """What :func:`factorize` looks at: Hermitian, positive real diagonal, bandwidth."""
    n = a.shape[0]
    d = a.diagonal()
    coo = a.tocoo()
    bandwidth = int(np.max(np.abs(coo.row - coo.col))) if coo.nnz else 0
    herm = hermitian_defect(a) <= 64 * np.finfo(a.dtype).eps
    posdiag = bool(n > 0 and np.all(d.real > 0) and (not np.iscomplexobj(d) or np.all(d.imag == 0)))
    return {"hermitian": bool(herm), "positive_diagonal": posdiag, "bandwidth": bandwidth}


def factorize(
    A: Any, *, assume: str = "auto", check: bool = True, check_finite: bool = True
) -> SparseFactorization:
    """:func:`pivotal.factorize` for a sparse matrix: SparseCholesky when it may apply, else SparseLU.

    ``assume="auto"`` detects a Hermitian matrix with a positive real diagonal and tries
    :class:`SparseCholesky` (check=False), falling back to :class:`SparseLU` when a pivot is not
    positive; a general matrix goes to SparseLU (COLAMD; ``mmd_at_plus_a`` for a symmetric pattern).
    A matrix of bandwidth at most ``BANDED_WIDTH`` keeps its natural order.  ``.path`` records each
    step.  ``assume`` may also be ``"general"``, ``"symmetric"``/``"hermitian"`` (SparseLU with a
    symmetric ordering) or ``"positive definite"`` (SparseCholesky, raising on failure).
    """
    if assume not in _ASSUME:
        raise ValueError(
            f"assume={assume!r} is not understood for a sparse matrix; use one of "
            "'auto', 'general', 'symmetric', 'hermitian', 'positive definite'."
        )
    kind = _ASSUME[assume]
    a = sparse_matrix(A, "factorize", check_finite=check_finite)
    s = structure(a)
    banded = s["bandwidth"] <= BANDED_WIDTH
    path = [f"sparse {a.shape[0]}x{a.shape[1]}, nnz {a.nnz}, bandwidth {s['bandwidth']}"]
    if banded:
        path.append(f"banded (bandwidth <= {BANDED_WIDTH}): natural ordering")
    if kind == "auto":
        if s["hermitian"] and s["positive_diagonal"]:
            kind = "try cholesky"
            path.append("Hermitian, positive diagonal: try SparseCholesky")
        elif s["hermitian"]:
            kind = "symmetric"
            path.append("Hermitian, diagonal not positive: SparseLU")
        else:
            kind = "general"
            path.append("general")
    if kind in ("try cholesky", "positive definite"):
        F = SparseCholesky(a, ordering="natural" if banded else "amd", check=False, check_finite=False)
        if F.issuccess():
            F.path = path + F.path
            return F
        if kind == "positive definite":
            if check:
                F._raise_if_failed("factor the matrix")
            F.path = path + F.path
            return F
        path += F.path + [f"SparseCholesky failed at column {F.info - 1}: SparseLU"]
        kind = "symmetric"
    lu_order = "natural" if banded else ("mmd_at_plus_a" if kind == "symmetric" else "colamd")
    F = SparseLU(a, ordering=lu_order, check=check, check_finite=False)
    F.path = path + F.path
    return F


def for_determinant(A: Any, *, check_finite: bool = True) -> SparseFactorization:
    """The factorization behind :func:`pivotal.det` / :func:`pivotal.slogdet` of a sparse matrix.

    ``factorize``'s route without the singularity error: a singular matrix has determinant 0
    (``slogdet`` ``(0, -inf)``, NumPy's convention).
    """
    return factorize(A, check=False, check_finite=check_finite)


def _dense_rhs(b: Any, n: int, check_finite: bool) -> np.ndarray:
    if sp.issparse(b):
        raise TypeError("b is a scipy.sparse matrix; pass a dense right-hand side (b.toarray()).")
    if type(b).__module__.split(".")[0] != "numpy" and not isinstance(b, (list, tuple, int, float, complex)):
        raise TypeError(
            f"b is a {type(b).__module__.split('.')[0]} array; a sparse A solves with NumPy arrays "
            "(numpy.asarray(b))."
        )
    b = np.asarray(b)
    if b.ndim not in (1, 2) or b.shape[0] != n:
        raise ValueError(
            f"shapes of a (N={n}) and b {b.shape} are incompatible: b must be ({n},) or ({n}, K)."
        )
    if b.dtype.kind not in "fc":
        b = b.astype(np.float64)
    if check_finite and not np.isfinite(b).all():
        raise ValueError("b contains NaN or Inf; replace the non-finite entries (np.nan_to_num) first.")
    return b


def _residual(a: sp.sparray, x: np.ndarray, b: np.ndarray) -> np.ndarray:
    return b - a @ x


def solve(
    a: Any,
    b: Any,
    *,
    check_finite: bool = True,
    assume_a: str | None = None,
    transposed: bool = False,
    refine: Any = "auto",
    report: bool = True,
) -> tuple[np.ndarray, dict[str, Any] | None]:
    """:func:`pivotal.solve` for a sparse ``a``: ``(x, report fields)`` (``None`` without ``report``).

    The backward errors are computed with sparse products (``|A| |x|`` included), the forward
    error bound as LAPACK's ``FERR`` with Hager-Higham through the factor's solves.  With
    ``refine="auto"`` one or two steps of fixed-precision iterative refinement run when the
    componentwise backward error exceeds ``n * eps`` (``True``: always up to two, ``False``: none).
    """
    if refine not in ("auto", True, False):
        raise ValueError(
            f"refine={refine!r} is not supported for a sparse matrix: use 'auto', True or False "
            "(mixed precision needs a dense single-precision factorization)."
        )
    op = sparse_matrix(a, "solve", check_finite=check_finite)
    n = op.shape[0]
    b = _dense_rhs(b, n, check_finite)
    F = factorize(
        op, assume=_ASSUME.get(assume_a, assume_a) if assume_a is not None else "auto", check_finite=False
    )
    A = sp.csr_array(op.T) if transposed else sp.csr_array(op)
    trans = 1 if transposed else 0
    x = F.solve(b, trans=trans, check_finite=False)
    eps = float(np.finfo(np.result_type(F.dtype, b.dtype)).eps) / 2
    steps = 0
    absA = abs(A)
    for _ in range(2 if refine else 0):
        r = _residual(A, x, b)
        berr = _componentwise(r, absA, x, b)
        if refine == "auto" and berr <= n * eps:
            break
        x = x + F.solve(r, trans=trans, check_finite=False)
        steps += 1
    if not report:
        return x, None
    r = _residual(A, x, b)
    rnorm = float(np.max(abs(r))) if r.size else 0.0
    anorm_inf = float(np.max(absA.sum(axis=1))) if A.nnz else 0.0
    xn = float(np.max(abs(x))) if x.size else 0.0
    bn = float(np.max(abs(b))) if b.size else 0.0
    denom = anorm_inf * xn + bn
    fields = {
        "method": type(F).__name__,
        "path": list(F.path) + ([f"fixed-precision refinement, {steps} step(s)"] if steps else []),
        "rcond": F.rcond(),
        "backward_error": rnorm / denom if denom > 0 else 0.0,
        "componentwise_backward_error": _componentwise(r, absA, x, b),
        "forward_error_bound": _ferr(F, absA, r, x, b, trans, eps),
        "refinement": ("fixed" if steps else None),
        "refinement_steps": steps,
        "residual_norm": rnorm,
        "dtype": str(x.dtype),
        "factor_dtype": str(np.dtype(F.dtype)),
    }
    return x, fields


def _componentwise(r: np.ndarray, absA: sp.sparray, x: np.ndarray, b: np.ndarray) -> float:
    """Oettli-Prager ``max_i |r_i| / (|A| |x| + |b|)_i`` (0/0 counts as 0), worst column."""
    if r.size == 0:
        return 0.0
    w = absA @ abs(x) + abs(b)
    num = abs(r)
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.where(w > 0, num / np.where(w > 0, w, 1), np.where(num > 0, np.inf, 0.0))
    return float(np.max(q))


def _ferr(F, absA, r, x, b, trans: int, eps: float) -> float:
    """LAPACK's ``FERR``: ``|| |op(A)^{-1}| (|r| + n eps (|A||x| + |b|)) ||_inf / ||x||_inf``, estimated."""
    n = F.shape[0]
    if x.size == 0 or n == 0:
        return 0.0
    x2 = x.reshape(n, -1)
    W = (abs(r) + (n + 1) * eps * (absA @ abs(x) + abs(b))).reshape(n, -1)
    worst = 0.0
    ht = 2 if trans == 0 else 0  # the adjoint of op(A)
    for j in range(x2.shape[1]):
        w = W[:, j]
        xn = float(np.max(abs(x2[:, j])))
        if xn == 0:
            continue
        # ||op(A)^{-1} diag(w)||_inf = ||diag(w) op(A)^{-H}||_1; that matrix times v, and its adjoint.
        est = inv_onenormest(
            lambda v, w=w: w[:, None] * F._solve_core(np.asarray(v, dtype=F.dtype), ht),
            lambda v, w=w: F._solve_core(np.asarray(w[:, None] * v, dtype=F.dtype), trans),
            n,
            dtype=F.dtype,
            like=np.zeros(1, dtype=F.dtype),
        )
        worst = max(worst, est / xn)
    return float(worst)


# ----------------------------------------------------------------------------- least squares
LSTSQ_ROUTES = ("auto", "qr", "sketch", "lsmr", "lsqr")


class SparseLstsqResult(tuple):
    """``(x, residues, rank, s)`` as :func:`pivotal.lstsq` returns, with ``.method`` and ``.path``.

    ``method`` is the route that ran (``"qr"``: SuiteSparseQR through pyspqr; ``"sketch"``:
    LSQR preconditioned by the ``R`` of a sparse-sign sketch's QR; ``"lsmr"``/``"lsqr"``: the plain
    Krylov methods), ``path`` why, ``iterations`` the Krylov iterations (0 for ``"qr"``).
    """

    method: str
    path: list[str]
    iterations: int

    def __new__(cls, x, residues, rank, s, *, method: str, path: list[str], iterations: int):
        obj = super().__new__(cls, (x, residues, rank, s))
        obj.method, obj.path, obj.iterations = method, path, iterations
        return obj


def spqr_binding() -> Any:
    """pyspqr (SuiteSparseQR) when installed, else None."""
    try:
        import pyspqr
    except ImportError:
        return None
    return pyspqr


def lstsq(a: Any, b: Any, *, cond: float | None = None, method: str = "auto", check_finite: bool = True):
    """:func:`pivotal.lstsq` for a sparse ``a`` (see :class:`SparseLstsqResult`).

    ``"auto"`` takes ``"qr"`` when pyspqr is installed and the matrix is real with ``M >= N``, else
    ``"sketch"`` for tall problems (``M >= 2N``, ``N <= 2000``: the dense ``N x N`` preconditioner
    fits), else ``"lsmr"``.  ``cond`` is QR's relative rank cutoff (default ``eps``) and the
    Krylov routes' ``atol = btol`` (default ``eps`` for the preconditioned LSQR, whose system has a
    condition number near 3, and ``1e-12`` for plain LSMR/LSQR).
    """
    if method not in LSTSQ_ROUTES:
        raise ValueError(f"method={method!r} is not one of {LSTSQ_ROUTES} for a sparse matrix.")
    A = sparse_matrix(a, "lstsq", square=False, check_finite=check_finite)
    m, n = A.shape
    B = _dense_rhs(b, m, check_finite)
    vector = B.ndim == 1
    B2 = B.reshape(m, -1)
    eps = float(np.finfo(np.result_type(A.dtype, B.dtype)).eps)
    # QR: rank cutoff; sketch: LSQR on a system of condition ~3 reaches eps; plain Krylov: 1e-12.
    tol = float(cond) if cond is not None else (eps if method in ("qr", "sketch", "auto") else 1e-12)
    path = [f"sparse {m}x{n}, nnz {A.nnz}"]
    spqr = spqr_binding()
    if method == "auto":
        if spqr is not None and m >= n and not np.iscomplexobj(A.data):
            method = "qr"
            path.append("auto: SuiteSparseQR available (pyspqr)")
        elif m >= 2 * n and n <= 2000:
            method = "sketch"
            path.append("auto: tall, N <= 2000: sketch-preconditioned LSQR")
        else:
            method = "lsmr"
            path.append(
                "auto: LSMR" + ("" if spqr is not None else " (no sparse QR: pip install 'pivotal[sparse]')")
            )
    iterations = 0
    rank = n
    if method == "qr":
        X, rank, note = _lstsq_qr(spqr, A, B2, tol)
        path.append(note)
    elif method == "sketch":
        if m < n:
            raise ValueError(
                f"method='sketch' needs a tall matrix (M >= N), got {m}x{n}; use method='lsmr', which "
                "converges to the minimum-norm solution from x0 = 0."
            )
        X, iterations = _lstsq_sketch(A, B2, tol)
        path.append(f"sparse-sign sketch (8 n rows), QR of S A, LSQR on A R^-1: {iterations} iterations")
    else:
        X, iterations = _lstsq_krylov(A, B2, tol if cond is not None or tol >= 1e-12 else 1e-12, method)
        path.append(f"{method}: {iterations} iterations")
    R = B2 - A @ X
    residues = np.sum(abs(R) ** 2, axis=0) if (m > n and rank == n) else np.empty(0)
    if vector:
        X = X[:, 0]
        if residues.size:
            residues = residues[0]
    return SparseLstsqResult(X, residues, rank, None, method=method, path=path, iterations=iterations)


def _lstsq_qr(spqr, A, B, tol):
    m, n = A.shape
    if spqr is None:
        raise ImportError(
            "method='qr' for a sparse matrix needs SuiteSparseQR: pip install 'pivotal[sparse]' (pyspqr)."
        )
    if np.iscomplexobj(A.data) or m < n:
        raise ValueError("method='qr' (pyspqr) handles real matrices with M >= N; use method='lsmr'.")
    with quiet_c_output():  # pyspqr's CHOLMOD prints its statistics to stdout
        q, R, E = spqr.qr(sp.csc_matrix(A))
    R = sp.csr_array(R)[:n, :n]
    d = abs(R.diagonal())
    rank = int(np.sum(d > max(m, n) * tol * (d.max() if d.size else 0.0)))
    if rank < n:
        raise ValueError(
            f"A is numerically rank deficient (SuiteSparseQR's R has rank {rank} < {n}); sparse QR "
            "gives no minimum-norm solution: use method='lsmr' (from x0 = 0 it converges to it)."
        )
    import scipy.sparse.linalg as sla

    QtB = np.column_stack([q.T @ B[:, j] for j in range(B.shape[1])])[:n]
    Y = sla.spsolve_triangular(sp.csr_array(R), QtB, lower=False)
    Y = Y.reshape(n, -1)
    X = np.column_stack([E.rmatvec(Y[:, j]) for j in range(B.shape[1])])  # A E^T = Q R
    return X.astype(np.result_type(A.dtype, B.dtype)), rank, "SuiteSparseQR (pyspqr), AMD column ordering"


def _lstsq_sketch(A, B, tol):
    import scipy.linalg as sla_dense
    import scipy.sparse.linalg as sla

    from ..krylov import lsqr
    from ..randomized import sketch

    m, n = A.shape
    d = min(m, max(8 * n, n + 32))
    S = sketch("sparse_sign", d, m, random_state=0)
    SA = np.asarray(S.apply_left(A))
    R = sla_dense.qr(SA, mode="r")[0][:n]
    dt = np.result_type(A.dtype, B.dtype)

    def rsolve(v):
        return sla_dense.solve_triangular(R, v, lower=False)

    def rsolve_h(v):
        return sla_dense.solve_triangular(R, v, lower=False, trans="C")

    op = sla.LinearOperator(
        (m, n),
        matvec=lambda v: A @ rsolve(v),
        rmatvec=lambda v: rsolve_h(A.conj().T @ v),
        matmat=lambda V: A @ rsolve(V),
        rmatmat=lambda V: rsolve_h(A.conj().T @ V),
        dtype=dt,
    )
    Y, info = lsqr(op, B.astype(dt), atol=tol, btol=tol, iter_lim=max(100, 4 * n), return_info=True)
    X = rsolve(np.asarray(Y).reshape(n, -1))
    its = int(np.max(info.iterations, initial=0))
    return X, its


def _lstsq_krylov(A, B, tol, method):
    import scipy.sparse.linalg as sla

    m, n = A.shape
    X = np.empty((n, B.shape[1]), dtype=np.result_type(A.dtype, B.dtype))
    its = 0
    solver = sla.lsmr if method == "lsmr" else sla.lsqr
    for j in range(B.shape[1]):
        out = (
            solver(A, B[:, j], atol=tol, btol=tol, maxiter=max(1000, 10 * min(m, n)))
            if method == "lsmr"
            else solver(A, B[:, j], atol=tol, btol=tol, iter_lim=max(1000, 10 * min(m, n)))
        )
        X[:, j] = out[0]
        its = max(its, int(out[2]))
    return X, its
