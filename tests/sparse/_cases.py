"""Sparse test matrices: the 2-D Laplacian, tridiagonal, random SPD, convection-diffusion, singular."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def available(module: str) -> bool:
    """True when ``module`` imports (an optional package of the ``sparse`` extra)."""
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def laplacian_2d(m: int, dtype=np.float64) -> sp.csc_array:
    """The 5-point Laplacian on an ``m x m`` grid (Dirichlet), ``n = m**2``; exact small integers."""
    t = sp.diags_array([-1.0, 2.0, -1.0], offsets=[-1, 0, 1], shape=(m, m))
    eye = sp.eye_array(m)
    return sp.csc_array(sp.kron(eye, t) + sp.kron(t, eye), dtype=dtype)


def tridiagonal(n: int, seed: int = 0) -> sp.csc_array:
    """A nonsymmetric, diagonally dominant tridiagonal matrix."""
    rng = np.random.default_rng(seed)
    lo, up = rng.uniform(-1, 1, n - 1), rng.uniform(-1, 1, n - 1)
    return sp.csc_array(sp.diags_array([lo, 3.0 + rng.uniform(0, 1, n), up], offsets=[-1, 0, 1]))


def random_spd(n: int, density: float = 0.02, seed: int = 0) -> sp.csc_array:
    """``B B^T + I`` with ``B`` random sparse: SPD, exactly symmetric by construction (B B^T is)."""
    b = sp.random_array((n, n), density=density, random_state=np.random.default_rng(seed), format="csr")
    a = b @ b.T
    a = (a + a.T) / 2  # the product is symmetric up to summation order: make it exact
    return sp.csc_array(a + sp.eye_array(n))


def convection_diffusion(m: int, peclet: float = 20.0) -> sp.csc_array:
    """Upwind convection-diffusion ``-Laplace u + c . grad u`` on an ``m x m`` grid: nonsymmetric."""
    h = 1.0 / (m + 1)
    c = peclet * h
    t = sp.diags_array([-1.0 - c, 2.0 + c, -1.0], offsets=[-1, 0, 1], shape=(m, m))
    s = sp.diags_array([-1.0, 2.0, -1.0], offsets=[-1, 0, 1], shape=(m, m))
    eye = sp.eye_array(m)
    return sp.csc_array(sp.kron(eye, t) + sp.kron(s, eye))


def singular(n: int, k: int) -> sp.csc_array:
    """A tridiagonal matrix whose column ``k`` is zero: structurally singular at ``k``."""
    a = sp.lil_array(tridiagonal(n))
    a[:, k] = 0
    return sp.csc_array(a)


def residual_ratio(a: sp.sparray, x: np.ndarray, b: np.ndarray, eps: float) -> float:
    """LAPACK's ``||b - A x||_1 / (||A||_1 ||x||_1 n eps)`` with sparse norms (worst column)."""
    n = a.shape[0]
    x2, b2 = x.reshape(n, -1), b.reshape(n, -1)
    r = b2 - a @ x2
    anorm = float(np.max(abs(a).sum(axis=0)))
    ratios = np.abs(r).sum(axis=0) / (anorm * np.abs(x2).sum(axis=0) * n * eps)
    return float(np.max(ratios))
