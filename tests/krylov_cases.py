"""Test problems and error-analysis checks shared by the Krylov tests.

Two bounds, both from first principles rather than this machine's rounding:

* **Convergence claims** are checked on the true residual: a column that
  claims convergence has ``||b - A x|| <= max(rtol ||b||, atol) + drift``.
  The solvers stop on a recursively updated residual, which differs from
  the true one by the rounding of the updates: after ``k`` iterations at
  most about ``k * gamma_n * (||b|| + ||A|| max_i ||x_i||)`` (Greenbaum
  1997, "Estimating the attainable accuracy of recursively computed
  residual methods", Thm. 2; each step adds the rounding of one product
  with ``A``, ``gamma_n = n u / (1 - n u)``, and of two axpys).  The
  iterates' norms are bounded by ``||x||`` times a small factor for CG (its
  iterates grow monotonically from 0), so ``drift = (k + 2) * (n + 4) * u *
  (||b|| + ||A|| ||x||) * 4``; the factor 4 covers the iterate-norm growth
  of MINRES/GMRES and complex arithmetic (a complex product's error is at
  most ``sqrt(2)`` times a real one's, twice for the inner products).
* **Solutions** are compared with a reference (SciPy's, or a direct solve)
  through ``||x - y|| <= ||A^{-1}||_2 (||b - A x|| + ||b - A y||)``, an
  identity up to the rounding of the residuals themselves, with
  ``||A^{-1}||_2 = 1 / sigma_min(A)`` from the SVD of the matrix in use.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse

from .helpers import to_np, u_of


def spd(rng, n, cond, dtype=np.float64):
    """A Hermitian positive definite matrix with eigenvalues log-spaced in ``[1, cond]``."""
    return _from_eigs(rng, np.logspace(0, np.log10(cond), n), dtype)


def indefinite(rng, n, dtype=np.float64):
    """A Hermitian indefinite matrix with eigenvalues spread over ``[-3, -0.5] U [0.5, 5]``."""
    k = n // 3
    eigs = np.concatenate([-np.linspace(0.5, 3, k), np.linspace(0.5, 5, n - k)])
    return _from_eigs(rng, eigs, dtype)


def nonsymmetric(rng, n, dtype=np.float64):
    """A nonsymmetric, well-conditioned matrix: ``2 I`` plus a random perturbation of norm ~1."""
    a = 2 * np.eye(n) + rng.standard_normal((n, n)) / (2 * np.sqrt(n))
    if np.dtype(dtype).kind == "c":
        a = a + 1j * rng.standard_normal((n, n)) / (2 * np.sqrt(n))
    return a.astype(dtype)


def _from_eigs(rng, eigs, dtype):
    n = eigs.size
    z = rng.standard_normal((n, n))
    if np.dtype(dtype).kind == "c":
        z = z + 1j * rng.standard_normal((n, n))
    q, _ = np.linalg.qr(z)
    a = (q * eigs) @ q.conj().T
    a = (a + a.conj().T) / 2
    return a.astype(dtype)


def laplacian_2d(m):
    """The 5-point Laplacian on an ``m x m`` grid (exact small integers), as CSR."""
    t = scipy.sparse.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(m, m))
    eye = scipy.sparse.eye(m)
    return (scipy.sparse.kron(t, eye) + scipy.sparse.kron(eye, t)).tocsr()


def rhs(rng, n, k, dtype):
    shape = (n,) if k is None else (n, k)
    b = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        b = b + 1j * rng.standard_normal(shape)
    return b.astype(dtype)


def dense(a):
    return a.toarray() if scipy.sparse.issparse(a) else np.asarray(a)


def _cols(x):
    x = np.asarray(to_np(x))
    return x[:, None] if x.ndim == 1 else x


def drift(a, b, x, iters, dtype):
    """The rounding gap between the recursive and the true residual after ``iters`` iterations."""
    a = dense(a).astype(np.complex128 if np.iscomplexobj(a) else np.float64)
    n = a.shape[0]
    anorm = np.linalg.norm(a, 2) if a.size else 0.0
    bn = np.linalg.norm(_cols(b), axis=0)
    xn = np.linalg.norm(_cols(x), axis=0)
    return 4 * (np.asarray(iters) + 2) * (n + 4) * u_of(dtype) * (bn + anorm * xn)


def true_residual(a, b, x):
    a = dense(a).astype(np.complex128)
    return np.linalg.norm(_cols(b).astype(np.complex128) - a @ _cols(x).astype(np.complex128), axis=0)


def assert_converged(a, b, x, info, rtol, atol, dtype, shift=0.0):
    """Every column that claims convergence meets its tolerance on the true residual (module notes)."""
    a_eff = dense(a) - shift * np.eye(dense(a).shape[0]) if shift else a
    r = true_residual(a_eff, b, x)
    bn = np.linalg.norm(_cols(b), axis=0)
    tol = np.maximum(rtol * bn, atol)
    bound = tol + drift(a_eff, b, x, info.iterations, dtype)
    ok = info.converged
    assert np.all(r[ok] <= bound[ok]), (r, bound, info)
    np.testing.assert_allclose(info.residual_norms, r, rtol=1e-3, atol=float(np.max(bound, initial=0.0)))
    return r


def assert_close_to(a, b, x, y, dtype, shift=0.0):
    """``||x - y|| <= ||A^{-1}|| (||b - A x|| + ||b - A y||)`` per column (module notes)."""
    a = dense(a).astype(np.complex128) - shift * np.eye(dense(a).shape[0])
    smin = np.linalg.svd(a, compute_uv=False)[-1]
    rx, ry = true_residual(a, b, x), true_residual(a, b, y)
    diff = np.linalg.norm(_cols(x).astype(np.complex128) - _cols(y).astype(np.complex128), axis=0)
    slack = drift(a, b, x, 0, dtype) + drift(a, b, y, 0, dtype)
    assert np.all(diff <= (rx + ry + slack) / smin * (1 + 1e-6)), (diff, (rx + ry) / smin)
