"""Shared set-up of the autodiff tests: float64 JAX, well-conditioned test matrices, tolerances."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest

from pivotal import gallery

EPS = float(np.finfo(np.float64).eps)


def matrix(n: int, kappa: float = 10.0, seed: int = 0, complex_: bool = False) -> np.ndarray:
    """A random ``n x n`` matrix with 2-norm condition number ``kappa`` (gallery.randsvd)."""
    a = gallery.randsvd(n, kappa, 3, random_state=seed)
    if complex_:
        rng = np.random.default_rng(seed + 100)
        q, _ = np.linalg.qr(rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n)))
        a = q @ a
    return a


def spd(n: int, kappa: float = 10.0, seed: int = 0, complex_: bool = False) -> np.ndarray:
    """A Hermitian positive definite matrix with condition number ``kappa``."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, n)) + (1j * rng.standard_normal((n, n)) if complex_ else 0)
    q, _ = np.linalg.qr(z)
    d = np.geomspace(1.0, 1.0 / kappa, n)
    a = (q * d) @ q.conj().T
    return (a + a.conj().T) / 2


def grad_tol(n: int, kappa: float) -> float:
    """Relative agreement of two backward-stable gradient computations of a solve-based function.

    Each gradient is a product of at most three solves/inverses with the
    same matrix; each is accurate to ``c n u kappa`` relatively, so two of
    them agree to ``3 * 2 * n * kappa**2 * u`` (``kappa**2``: the gradient
    ``-A^{-H} x_bar x^H`` compounds two solves), with ``c = 10`` for the
    constants of the LU/Cholesky error bounds.
    """
    return 60 * n * kappa**2 * EPS


def rel(x, y) -> float:
    x, y = np.asarray(x), np.asarray(y)
    return float(np.linalg.norm(x - y) / max(np.linalg.norm(y), 1e-300))


@contextlib.contextmanager
def jax_x64():
    """``jax_enable_x64`` on for the block (restored afterwards)."""
    import jax

    old = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        yield
    finally:
        jax.config.update("jax_enable_x64", old)


def tensor(a, dtype=None, grad: bool = True):
    """A torch tensor of ``a`` (float64 unless ``dtype`` says otherwise) that requires grad."""
    import torch

    return torch.tensor(a, dtype=dtype or torch.float64, requires_grad=grad)


@pytest.fixture
def jx():
    """The ``jax`` module with float64 enabled for the test."""
    jax = pytest.importorskip("jax")
    with jax_x64():
        yield jax
