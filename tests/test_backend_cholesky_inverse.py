"""``cholesky_inverse`` of the backend layer: A^{-1} from a Cholesky factor, NumPy (LAPACK potrs) and PyTorch.

Bound: the computed inverse ``X`` of an SPD ``A`` from a backward-stable factor
and two triangular solves satisfies ``||A X - I|| <= c n u cond(A)`` (Higham 2002,
sec. 14.3); with ``cond(A) = 1e3`` and ``c = 10`` that is the test's
``||A X - I||_F / (n u cond) < 10``, together with the symmetry of ``X``.
"""

from __future__ import annotations

import numpy as np
import pytest

from pivotal._backends import numpy as bnp


def _spd(n, cond, dtype, seed=0):
    rng = np.random.default_rng(seed)
    g = rng.standard_normal((n, n))
    if np.issubdtype(dtype, np.complexfloating):
        g = g + 1j * rng.standard_normal((n, n))
    q = np.linalg.qr(g)[0]
    return ((q * np.logspace(0, np.log10(cond), n)) @ q.conj().T).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128, np.float32])
@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("order", ["C", "F"])
def test_numpy_cholesky_inverse(dtype, lower, order):
    n, cond = 60, 1e3
    a = _spd(n, cond, dtype)
    low = np.linalg.cholesky(a.astype(np.complex128 if np.iscomplexobj(a) else np.float64)).astype(dtype)
    f = np.array(low if lower else low.conj().T, order=order)
    f_before = f.copy()
    x = bnp.cholesky_inverse(f, lower=lower)
    u = np.finfo(dtype).eps / 2
    assert x.dtype == dtype
    np.testing.assert_array_equal(f, f_before)  # the factor is not written
    assert np.linalg.norm(a @ x - np.eye(n)) / (n * u * cond) < 10
    assert np.linalg.norm(x - x.conj().T) <= 10 * n * u * np.linalg.norm(x)


def test_torch_cholesky_inverse_matches_numpy():
    torch = pytest.importorskip("torch")
    from pivotal._backends import torch as bt

    a = _spd(40, 1e3, np.float64, seed=1)
    low = np.linalg.cholesky(a)
    ref = bnp.cholesky_inverse(low, lower=True)
    for lower, f in ((True, low), (False, low.T)):
        x = bt.cholesky_inverse(torch.from_numpy(np.ascontiguousarray(f)), lower=lower)
        assert isinstance(x, torch.Tensor)
        assert np.linalg.norm(x.numpy() - ref) <= 1e3 * 40 * 1e-16 * np.linalg.norm(ref) * 10


@pytest.mark.parametrize("dtype", [np.float64, np.complex128, np.float32])
@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("n", [60, 300])
def test_numpy_cholesky_inverse_inplace(dtype, lower, order, n):
    cond = 1e3
    a = _spd(n, cond, dtype)
    low = np.linalg.cholesky(a.astype(np.complex128 if np.iscomplexobj(a) else np.float64)).astype(dtype)
    f = np.array(low if lower else low.conj().T, order=order)
    x = bnp.cholesky_inverse_inplace(f, lower=lower)
    u = np.finfo(dtype).eps / 2
    assert x is f and x.dtype == dtype
    assert np.linalg.norm(a @ x - np.eye(n)) / (n * u * cond) < 10
    np.testing.assert_array_equal(x, x.conj().T)  # both triangles, mirrored exactly
    ref = bnp.cholesky_inverse(np.array(low if lower else low.conj().T, order=order), lower=lower)
    assert np.linalg.norm(x - ref) <= 20 * n * u * cond * np.linalg.norm(ref)


def test_torch_cholesky_inverse_inplace_matches_numpy():
    torch = pytest.importorskip("torch")
    from pivotal._backends import torch as bt

    a = _spd(40, 1e3, np.float64, seed=2)
    low = np.linalg.cholesky(a)
    ref = bnp.cholesky_inverse(low, lower=True)
    t = torch.from_numpy(low.copy())
    x = bt.cholesky_inverse_inplace(t, lower=True)
    assert x is t
    assert np.linalg.norm(x.numpy() - ref) <= 1e3 * 40 * 1e-16 * np.linalg.norm(ref) * 10
