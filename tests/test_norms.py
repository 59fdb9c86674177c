"""``norm``: scipy.linalg.norm's ord/axis/keepdims/check_finite semantics on NumPy, PyTorch, JAX and sparse."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as sl
import scipy.sparse

import pivotal as pv

torch = pytest.importorskip("torch")


VECTOR_ORDS = [None, 1, 2, np.inf, -np.inf, 0, 3, -1, 0.5]
MATRIX_ORDS = [None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf]


def _cases():
    rng = np.random.default_rng(0)
    v = rng.standard_normal(7)
    m = rng.standard_normal((5, 4))
    t = rng.standard_normal((3, 5, 4))
    out = [(v, o, None) for o in VECTOR_ORDS]
    out += [(m, o, None) for o in MATRIX_ORDS]
    out += [(m, o, 0) for o in VECTOR_ORDS] + [(m, o, 1) for o in (None, 1, np.inf)]
    out += [(t, o, (1, 2)) for o in MATRIX_ORDS] + [(t, o, (2, 0)) for o in (1, "fro")] + [(t, None, None)]
    return out


CASES = _cases()


@pytest.mark.parametrize("i", range(len(CASES)))
@pytest.mark.parametrize("keepdims", [False, True])
def test_matches_scipy_on_numpy_torch_and_jax(i, keepdims, x64):
    a, ord_, axis = CASES[i]
    ref = sl.norm(a, ord=ord_, axis=axis, keepdims=keepdims)
    ours = pv.norm(a, ord=ord_, axis=axis, keepdims=keepdims)
    np.testing.assert_array_equal(ours, ref)  # the NumPy path is SciPy's
    t = pv.norm(torch.from_numpy(a), ord=ord_, axis=axis, keepdims=keepdims)
    assert isinstance(t, torch.Tensor) and t.shape == np.shape(ref)
    # Different summation orders: a norm is a sum of up to N terms, relative error <= N u (+ SVD's for 2, nuc).
    np.testing.assert_allclose(t.numpy(), ref, rtol=30 * a.size * 2**-53)
    jnp = pytest.importorskip("jax.numpy")

    j = pv.norm(jnp.asarray(a), ord=ord_, axis=axis, keepdims=keepdims)
    assert type(j).__module__.startswith("jax") and j.shape == np.shape(ref)
    np.testing.assert_allclose(np.asarray(j), ref, rtol=30 * a.size * 2**-53)


def test_vector_two_norm_does_not_overflow_or_underflow():
    big = np.array([1e300, 1e300])
    assert pv.norm(big) == pytest.approx(np.sqrt(2) * 1e300)
    tiny = np.array([3e-300, 4e-300])
    assert pv.norm(tiny) == pytest.approx(5e-300)


def test_frobenius_and_axis_norms_are_scaled_against_overflow():
    """NumPy's sqrt(sum |x|^2) overflows for 2-D input with entries 1e200 (nrm2 serves 1-D only)."""
    a = np.array([[3e200, 4e200], [0.0, 0.0]])
    assert pv.norm(a) == pytest.approx(5e200, rel=4 * 2**-52)
    np.testing.assert_allclose(pv.norm(a, axis=1), [5e200, 0.0], rtol=4 * 2**-52)
    tiny = np.array([[3e-310, 4e-310]], dtype=np.complex128)  # subnormal, complex
    assert pv.norm(tiny) == pytest.approx(5e-310, rel=1e-9)  # subnormals carry fewer digits
    assert pv.norm(np.array([[1.0, 2.0]], dtype=np.float16)).dtype == np.float32  # pivotal's rule


def test_integer_and_complex_and_empty():
    assert pv.norm([[3, 4]]) == 5.0
    assert pv.norm(np.array([3j, 4.0])) == 5.0
    assert pv.norm(torch.tensor([[3, 4]])) == 5.0
    assert pv.norm(np.zeros((0, 3))) == 0.0


def test_check_finite_and_invalid_ord():
    with pytest.raises(ValueError, match="infs or NaNs"):
        pv.norm(np.array([1.0, np.nan]))
    assert np.isnan(pv.norm(np.array([1.0, np.nan]), check_finite=False))
    with pytest.raises(ValueError, match="infs or NaNs"):
        pv.norm(torch.tensor([1.0, float("inf")]))
    with pytest.raises(ValueError, match="norm order"):
        pv.norm(np.ones((2, 2)), ord="bogus")
    with pytest.raises(ValueError, match="number of dimensions"):
        pv.norm(np.ones((2, 2, 2)), ord=1)  # 3-D needs axis (NumPy's rule)


def test_sparse_input_uses_scipy_sparse_norm():
    a = scipy.sparse.random(20, 10, density=0.3, random_state=1, format="csr")
    dense = a.toarray()
    for ord_ in (None, "fro", 1, np.inf):
        assert pv.norm(a, ord_) == pytest.approx(sl.norm(dense, ord_), rel=1e-14)
    np.testing.assert_allclose(pv.norm(a, axis=0), sl.norm(dense, axis=0), rtol=1e-14)
    with pytest.raises(ValueError, match="keepdims"):
        pv.norm(a, keepdims=True)


def test_torch_gradient_through_the_backend():
    rng = np.random.default_rng(2)
    a = torch.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    for ord_ in (None, "fro", 2, "nuc", 1):
        assert torch.autograd.gradcheck(lambda x, o=ord_: pv.norm(x, o), (a,))
