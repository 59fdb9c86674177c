"""Shared test helpers: backends, dtypes, LAPACK-style ratios."""

from __future__ import annotations

import numpy as np

from pivotal._array import unit_roundoff

try:
    import torch
except ImportError:  # pragma: no cover - torch is a test dependency
    torch = None

DTYPES = [np.float32, np.float64, np.complex64, np.complex128]
REAL_DTYPES = [np.float32, np.float64]
BACKENDS = ["numpy", "torch"]

# LAPACK's test threshold for its ratios.
THRESH = 30.0


def to_backend(x: np.ndarray, backend: str):
    """Convert a NumPy array to ``backend`` (same dtype)."""
    if backend == "torch":
        return torch.from_numpy(np.ascontiguousarray(x))
    return x


def to_np(x) -> np.ndarray:
    """Any backend array to NumPy."""
    if torch is not None and isinstance(x, torch.Tensor):
        return x.detach().cpu().resolve_conj().numpy()
    return np.asarray(x)


def u_of(dtype) -> float:
    """Unit roundoff of ``dtype`` (LAPACK's eps)."""
    return unit_roundoff(np.dtype(dtype))


def norm1(x: np.ndarray) -> float:
    x = np.asarray(x)
    if x.size == 0:
        return 0.0
    if x.ndim == 1:
        return float(np.abs(x).sum())
    return float(np.abs(x).sum(axis=0).max())


def widen(x) -> np.ndarray:
    """``x`` as a NumPy float64 or complex128 array (for reference computations)."""
    x = np.asarray(to_np(x))
    return x.astype(np.complex128 if np.iscomplexobj(x) else np.float64)


def orth_ratio(q, dtype) -> float:
    """LAPACK-style loss of orthogonality ``||I - Q^H Q||_1 / (m u)``."""
    q = widen(q)
    m, k = q.shape
    if k == 0:
        return 0.0
    return norm1(np.eye(k) - q.conj().T @ q) / (max(m, 1) * u_of(dtype))


def reconstruction_ratio(a: np.ndarray, product: np.ndarray, dtype=None) -> float:
    """LAPACK ``xGET01``-style ``||A - product||_1 / (n ||A||_1 u)``."""
    wide = np.complex128 if np.iscomplexobj(a) or np.iscomplexobj(product) else np.float64
    a = np.asarray(a, dtype=wide)
    dtype = dtype or np.asarray(product).dtype
    n = max(a.shape) if a.size else 1
    anorm = norm1(a)
    resid = norm1(a - np.asarray(product, dtype=a.dtype))
    if anorm == 0:
        return 0.0 if resid == 0 else np.inf
    return resid / (n * anorm * u_of(dtype))


def solve_residual_ratio(a: np.ndarray, x: np.ndarray, b: np.ndarray, dtype=None) -> float:
    """LAPACK ``xGET02``-style ``||b - A x||_1 / (n ||A||_1 ||x||_1 u)`` (max over columns)."""
    wide = np.complex128 if np.iscomplexobj(a) or np.iscomplexobj(x) else np.float64
    a = np.asarray(a, dtype=wide)
    x = np.asarray(x, dtype=wide).reshape(a.shape[1], -1)
    b = np.asarray(b, dtype=wide).reshape(a.shape[0], -1)
    dtype = dtype or np.asarray(x).dtype
    n = max(a.shape[0], 1)
    anorm = norm1(a)
    ratios = [0.0]
    for j in range(x.shape[1]):
        r = norm1(b[:, j] - a @ x[:, j])
        xn = norm1(x[:, j])
        if anorm == 0 or xn == 0:
            ratios.append(0.0 if r == 0 else np.inf)
        else:
            ratios.append(r / (n * anorm * xn * u_of(dtype)))
    return float(np.max(ratios))  # NaN (a NaN solution) propagates and fails every "< THRESH"


def random_matrix(rng, shape, dtype) -> np.ndarray:
    """Gaussian matrix of ``dtype`` (complex parts both Gaussian)."""
    x = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    return x.astype(dtype)


def lstsq_forward_bound(a, b, x, dtype, rank=None) -> float:
    """Normwise relative error bound for a backward-stable least-squares solution (Wedin).

    A solver whose answer solves a problem perturbed by ``eps (||A||, ||b||)`` with
    ``eps = THRESH m u`` (LAPACK's test threshold times the ``m u`` of Householder QR)
    has, to first order, ``||x_hat - x|| / ||x|| <= eps (2 kappa + kappa**2 ||r|| / (||A|| ||x||))``
    with ``kappa = sigma_1 / sigma_rank`` (the 2-norm condition number of the rank-``rank``
    part; Higham 2002, Thm. 20.1).  ``x`` is the reference solution; with several right-hand
    sides the largest bound over the columns is returned.
    """
    a = widen(a)
    x = widen(x).reshape(a.shape[1], -1)
    b = widen(b).reshape(a.shape[0], -1)
    s = np.linalg.svd(a, compute_uv=False)
    k = int(np.count_nonzero(s > 0)) if rank is None else rank
    if k == 0:
        return 0.0
    kappa = s[0] / s[k - 1]
    eps = THRESH * max(a.shape) * u_of(dtype)
    worst = 0.0
    for j in range(x.shape[1]):
        xn = np.linalg.norm(x[:, j])
        rn = np.linalg.norm(b[:, j] - a @ x[:, j])
        worst = max(worst, eps * (2 * kappa + (kappa**2 * rn / (s[0] * xn) if xn else 0.0)))
    return worst


def assert_lstsq_close(x, x_ref, a, b, dtype, rank=None) -> None:
    """``x`` and ``x_ref`` (two backward-stable solutions) agree to twice :func:`lstsq_forward_bound`."""
    x = widen(x).reshape(np.shape(x_ref)[0], -1)
    x_ref = widen(x_ref).reshape(x.shape)
    bound = 2 * lstsq_forward_bound(a, b, x_ref, dtype, rank)
    for j in range(x.shape[1]):
        err = np.linalg.norm(x[:, j] - x_ref[:, j])
        assert err <= bound * np.linalg.norm(x_ref[:, j]), (j, err / np.linalg.norm(x_ref[:, j]), bound)


def assert_solve_close(x, x_ref, a, dtype=None) -> None:
    """Two backward-stable solutions of ``A x = b`` agree to ``2 THRESH n u kappa_1(A)``.

    Each solution is exact for a system perturbed by ``THRESH n u`` relative (the ratio
    :func:`solve_residual_ratio` bounds), so each is within ``THRESH n u kappa_1(A)`` of the
    true solution to first order (Higham 2002, Thm. 7.2); compared normwise per column, so
    a small component is not held to a relative accuracy nothing guarantees.  ``a`` may be
    a batch ``(..., n, n)`` matching ``x``'s leading dimensions.
    """
    a = widen(a)
    x = widen(x)
    x_ref = widen(x_ref)
    dtype = dtype or np.asarray(to_np(x)).dtype
    if a.ndim > 2:
        x, x_ref = np.broadcast_arrays(x, x_ref)
        for idx in np.ndindex(a.shape[:-2]):
            assert_solve_close(x[idx], x_ref[idx], a[idx], dtype)
        return
    n = max(a.shape[0], 1)
    kappa = np.linalg.cond(a, 1) if a.size else 1.0
    tol = 2 * THRESH * n * u_of(dtype) * kappa
    x = x.reshape(a.shape[1], -1)
    x_ref = x_ref.reshape(x.shape)
    for j in range(x.shape[1]):
        ref = norm1(x_ref[:, j])
        assert norm1(x[:, j] - x_ref[:, j]) <= tol * ref, (j, norm1(x[:, j] - x_ref[:, j]) / ref, tol)
