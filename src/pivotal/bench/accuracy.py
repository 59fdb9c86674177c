"""Accuracy measures the benchmark cases report for our result and the peers' alike.

Each is a number where smaller is better unless its docstring says otherwise:
LAPACK-style factorization ratios (below 30 passes LAPACK's own tests),
orthogonality and reconstruction errors, forward and backward errors of
solutions, and low-rank errors relative to the Eckart-Young optimum.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.linalg as sl

U64 = float(np.finfo(np.float64).eps) / 2  # unit roundoff of float64


def _unit_roundoff(a: np.ndarray) -> float:
    return float(np.finfo(a.dtype).eps) / 2


def _norm1(a: np.ndarray) -> float:
    return float(np.abs(a).sum(axis=0).max())


def lu_ratio(a: np.ndarray, l: np.ndarray, u: np.ndarray, perm: np.ndarray) -> float:
    """``||A[perm] - L U||_1 / (n ||A||_1 u)``: LAPACK's test ratio for LU.

    Examples
    --------
    >>> a = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> p, l, u = sl.lu(a)
    >>> lu_ratio(a, l, u, np.argmax(p, axis=0)) < 30
    True
    """
    n = a.shape[0]
    return _norm1(a[perm] - l @ u) / (n * _norm1(a) * _unit_roundoff(a))


def cholesky_ratio(a: np.ndarray, l: np.ndarray) -> float:
    """``||A - L L^T||_1 / (n ||A||_1 u)``: LAPACK's test ratio for Cholesky (lower factor).

    Examples
    --------
    >>> a = np.array([[4.0, 2.0], [2.0, 3.0]])
    >>> cholesky_ratio(a, np.linalg.cholesky(a)) < 30
    True
    """
    n = a.shape[0]
    return _norm1(a - l @ l.T) / (n * _norm1(a) * _unit_roundoff(a))


def ldl_ratio(a: np.ndarray, l: np.ndarray, d: np.ndarray) -> float:
    """``||A - L D L^T||_1 / (n ||A||_1 u)`` for a symmetric indefinite factorization.

    Examples
    --------
    >>> a = np.array([[1.0, 2.0], [2.0, -1.0]])
    >>> l, d, _ = sl.ldl(a)
    >>> ldl_ratio(a, l, d) < 30
    True
    """
    n = a.shape[0]
    return _norm1(a - l @ d @ l.T) / (n * _norm1(a) * _unit_roundoff(a))


def orthogonality(q: np.ndarray) -> float:
    """``||I - Q^H Q||_2`` of the columns of ``q``.

    Examples
    --------
    >>> orthogonality(np.eye(3)[:, :2])
    0.0
    """
    q = np.asarray(q)
    return float(np.linalg.norm(np.eye(q.shape[1]) - q.conj().T @ q, 2))


def reconstruction(a: np.ndarray, approx: np.ndarray) -> float:
    """``||A - approx||_F / ||A||_F``: the relative reconstruction error of a factorization.

    Examples
    --------
    >>> a = np.array([[3.0, 0.0], [4.0, 1.0]])
    >>> q, r = np.linalg.qr(a)
    >>> reconstruction(a, q @ r) < 1e-15
    True
    """
    return float(np.linalg.norm(a - approx) / np.linalg.norm(a))


def forward_error(x: np.ndarray, x_ref: np.ndarray) -> float:
    """``||x - x_ref||_inf / ||x_ref||_inf``.

    Examples
    --------
    >>> forward_error(np.array([1.0, 2.1]), np.array([1.0, 2.0]))
    0.05
    """
    x, x_ref = np.asarray(x), np.asarray(x_ref)
    return float(np.max(np.abs(x - x_ref)) / np.max(np.abs(x_ref)))


def relative_difference(x: np.ndarray, ref: np.ndarray) -> float:
    """``||x - ref||_F / ||ref||_F`` (the agreement of two results, e.g. two gradients).

    Examples
    --------
    >>> relative_difference(np.array([3.0, 4.0]), np.array([3.0, 4.0]))
    0.0
    """
    x, ref = np.asarray(x), np.asarray(ref)
    return float(np.linalg.norm(x - ref) / np.linalg.norm(ref))


def residual_ratio(a: Any, x: np.ndarray, b: np.ndarray) -> float:
    """LAPACK's solve test ratio ``||b - A x||_1 / (||A||_1 ||x||_1 n u)`` (below 30 passes), dense or sparse ``A``.

    Columns of a multi-column ``x`` are measured together (``||.||_1`` of the matrices).

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> a = sp.csc_array(np.array([[4.0, 1.0], [1.0, 3.0]]))
    >>> residual_ratio(a, np.linalg.solve(a.toarray(), np.array([1.0, 2.0])), np.array([1.0, 2.0])) < 30
    True
    """
    import scipy.sparse

    x, b = np.asarray(x), np.asarray(b)
    r = b - a @ x
    norm_a = float(abs(a).sum(axis=0).max()) if scipy.sparse.issparse(a) else _norm1(np.asarray(a))
    x2 = x.reshape(x.shape[0], -1)
    denom = norm_a * float(np.abs(x2).sum(axis=0).max()) * a.shape[0] * _unit_roundoff(x2)
    return float(np.abs(r.reshape(r.shape[0], -1)).sum(axis=0).max() / denom) if denom else 0.0


def normal_equation_residual(a: np.ndarray, b: np.ndarray, x: np.ndarray) -> float:
    """``||A^T (b - A x)||_2 / (||A||_2^2 ||x||_2)``: a backward-error measure for least squares.

    Examples
    --------
    >>> a = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> b = np.array([1.0, 2.0, 4.0])
    >>> x = np.linalg.lstsq(a, b, rcond=None)[0]
    >>> normal_equation_residual(a, b, x) < 1e-15
    True
    """
    r = b - a @ x
    return float(np.linalg.norm(a.T @ r) / (np.linalg.norm(a, 2) ** 2 * np.linalg.norm(x)))


def accurate_solution(a: np.ndarray, b: np.ndarray, steps: int = 3) -> np.ndarray:
    """The solution of ``A x = b`` to well below float64's accuracy (for ``kappa(A) u << 1``).

    Float64 LU, then ``steps`` refinement steps whose residual ``b - A x`` is
    accumulated in ``numpy.longdouble`` with ``x`` kept as a pair
    ``x + lo`` (a double-double): the reference forward errors are measured
    against.  Where ``longdouble`` is float64 (some platforms) it is plain
    fixed-precision refinement.

    Examples
    --------
    >>> a = np.array([[2.0, 1.0], [1.0, 3.0]])
    >>> forward_error(accurate_solution(a, np.array([3.0, 4.0])), np.array([1.0, 1.0])) < 1e-15
    True
    """
    lu = sl.lu_factor(a)
    x = sl.lu_solve(lu, b)
    lo = np.zeros_like(x)
    al = a.astype(np.longdouble)
    for _ in range(steps):
        r = (b.astype(np.longdouble) - al @ (x.astype(np.longdouble) + lo)).astype(np.float64)
        d = sl.lu_solve(lu, r)
        s = x + (lo + d)
        lo = (lo + d) - (s - x)
        x = s
    return x


def spectral_error(a, u: np.ndarray, s: np.ndarray, vh: np.ndarray) -> float:
    """``||A - U diag(s) Vh||_2``, densely for small ``A``, else by Lanczos on the implicit residual.

    Examples
    --------
    >>> a = np.diag([3.0, 2.0, 1.0])
    >>> u, s, vh = np.linalg.svd(a)
    >>> round(spectral_error(a, u[:, :2], s[:2], vh[:2]), 12)
    1.0
    """
    import scipy.sparse
    import scipy.sparse.linalg as sla

    m, n = a.shape
    if not scipy.sparse.issparse(a) and m * n <= 1_000_000:
        return float(np.linalg.norm(a - (u * s) @ vh, 2))
    at = a.T.conj() if not scipy.sparse.issparse(a) else a.T.conj().tocsr()

    def mv(x):
        x = np.ravel(x)
        return a @ x - u @ (s * (vh @ x))

    def rmv(y):
        y = np.ravel(y)
        return at @ y - vh.conj().T @ (s * (u.conj().T @ y))

    op = sla.LinearOperator((m, n), matvec=mv, rmatvec=rmv, dtype=np.float64)
    return float(sla.svds(op, k=1, tol=1e-8, return_singular_vectors=False, random_state=0)[0])


def frobenius_error(a: np.ndarray, u: np.ndarray, s: np.ndarray, vh: np.ndarray) -> float:
    """``||A - U diag(s) Vh||_F``.

    Examples
    --------
    >>> a = np.diag([3.0, 2.0, 1.0])
    >>> u, s, vh = np.linalg.svd(a)
    >>> round(frobenius_error(a, u[:, :1], s[:1], vh[:1]) ** 2, 12)
    5.0
    """
    return float(np.linalg.norm(a - (u * s) @ vh))


class LstsqBackwardError:
    """Karlson-Walden estimate of a least-squares solution's backward error, in units of ``u``.

    ``||(A^T A + w^2 I)^{-1/2} A^T r|| / (||x|| ||A||_2)`` with ``w = ||r|| / ||x||``
    (within a factor sqrt(2) of the optimal backward error); the residual and
    ``A^T r`` are accumulated in ``numpy.longdouble`` and the SVD of ``A``
    comes from its R factor, computed once.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.standard_normal((50, 3)), rng.standard_normal(50)
    >>> LstsqBackwardError(a, b)(np.linalg.lstsq(a, b, rcond=None)[0]) < 10
    True
    """

    def __init__(self, a: np.ndarray, b: np.ndarray, block: int = 20000):
        self.a, self.b, self.block = a, b, block
        r = sl.qr(a, mode="r", check_finite=False)[0][: a.shape[1]]
        _, self.s, self.vt = np.linalg.svd(r)

    def __call__(self, x: np.ndarray) -> float:
        a, b = self.a, self.b
        xl = x.astype(np.longdouble)
        g = np.zeros(a.shape[1], dtype=np.longdouble)
        rr = np.longdouble(0)
        for i0 in range(0, a.shape[0], self.block):
            ab = a[i0 : i0 + self.block].astype(np.longdouble)
            r = b[i0 : i0 + self.block].astype(np.longdouble) - ab @ xl
            g += ab.T @ r
            rr += r @ r
        rn, xn = math.sqrt(float(rr)), float(np.linalg.norm(x))
        w = rn / xn
        z = (self.vt.astype(np.longdouble) @ g).astype(np.float64)
        return float(np.linalg.norm(z / np.sqrt(self.s**2 + w * w)) / xn) / float(self.s[0]) / U64


def numerical_rank(r: np.ndarray, shape: tuple[int, int]) -> int:
    """The rank QRCP reveals: the count of ``|R_kk| > max(m, n) eps |R_00|``.

    Examples
    --------
    >>> numerical_rank(np.diag([1.0, 1e-3, 1e-20]), (3, 3))
    2
    """
    d = np.abs(np.diag(r))
    if d.size == 0 or d[0] == 0:
        return 0
    small = d <= max(shape) * np.finfo(r.dtype).eps * d[0]
    return int(np.argmax(small)) if small.any() else int(d.size)
