"""``matrix_power``: NumPy's semantics, negative powers through pivotal's inverse, backends and gradients."""

from __future__ import annotations

import numpy as np
import pytest

import pivotal as pv

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, 8])
def test_positive_powers_match_numpy_exactly_for_integers(n):
    a = np.array([[1, 2, 0], [0, 1, 3], [1, 0, 1]])
    out = pv.matrix_power(a, n)
    assert out.dtype == a.dtype  # integers stay integers, as NumPy
    np.testing.assert_array_equal(out, np.linalg.matrix_power(a, n))


@pytest.mark.parametrize("n", [-1, -2, -5])
def test_negative_powers(n):
    """A^n A^|n| = I to the accuracy of the inverse: ||A^n A^|n| - I|| <= c |n| n u κ(A)^|n|-ish; κ ~ 3 here."""
    rng = np.random.default_rng(0)
    size = 6
    a = 2 * np.eye(size) + rng.standard_normal((size, size)) / np.sqrt(size)
    out = pv.matrix_power(a, n)
    prod = out @ np.linalg.matrix_power(a, -n)
    kappa = np.linalg.cond(a, 1)
    assert np.abs(prod - np.eye(size)).max() / (size * 2**-53 * kappa ** abs(n) * abs(n)) < 30


def test_negative_power_of_singular_matrix_raises_with_index():
    a = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 1.0, 1.0]])
    with pytest.raises(pv.SingularMatrixError) as info:
        pv.matrix_power(a, -2)
    assert info.value.index is not None


def test_exponent_must_be_an_integer_and_bad_input():
    with pytest.raises(TypeError, match="integer"):
        pv.matrix_power(np.eye(2), 1.5)
    assert pv.matrix_power(np.eye(2), np.int64(2)).shape == (2, 2)
    with pytest.raises(ValueError, match="square"):
        pv.matrix_power(np.ones((2, 3)), 2)
    with pytest.raises(ValueError, match="infs or NaNs"):
        pv.matrix_power(np.array([[np.inf, 0.0], [0.0, 1.0]]), 2)


def test_batched_and_empty():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((2, 3, 4, 4))
    np.testing.assert_allclose(pv.matrix_power(a, 3), np.linalg.matrix_power(a, 3), rtol=1e-13)
    np.testing.assert_array_equal(pv.matrix_power(a, 0), np.broadcast_to(np.eye(4), a.shape))
    assert pv.matrix_power(np.zeros((0, 0)), 3).shape == (0, 0)


@pytest.mark.parametrize("n", [0, 3, -2])
def test_torch_values_and_gradcheck(n):
    rng = np.random.default_rng(2)
    a = 2 * np.eye(4) + rng.standard_normal((4, 4)) / 2
    t = torch.tensor(a, requires_grad=True)
    out = pv.matrix_power(t, n)
    assert isinstance(out, torch.Tensor)
    np.testing.assert_allclose(out.detach().numpy(), np.linalg.matrix_power(a, n), rtol=1e-12, atol=1e-14)
    if n != 0:
        assert torch.autograd.gradcheck(lambda x: pv.matrix_power(x, n), (t,))


def test_jax_values_and_gradients(x64):
    pytest.importorskip("jax")
    import jax.numpy as jnp
    from jax.test_util import check_grads

    rng = np.random.default_rng(3)
    a = 2 * np.eye(4) + rng.standard_normal((4, 4)) / 2
    for n in (3, -2):
        out = pv.matrix_power(jnp.asarray(a), n)
        assert type(out).__module__.startswith("jax")
        np.testing.assert_allclose(np.asarray(out), np.linalg.matrix_power(a, n), rtol=1e-12)
        check_grads(lambda x, n=n: pv.matrix_power(x, n), (jnp.asarray(a),), order=1, modes=["rev"])
