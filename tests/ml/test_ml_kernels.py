"""pivotal.ml.kernels against scikit-learn's kernels and finite differences.

Tolerances: kernel entries are O(1) functions of scaled squared distances
``s``; ours come from one GEMM on centred points (absolute error about
``4 eps max|z|^2`` in ``s``, times ``|dk/ds| <= 1``), scikit-learn's from
``pdist``.  Gradient contractions are sums of ``n^2`` products, compared
relative to ``sum |W| |dK|`` (the sum's condition), with the ``n eps`` bound of
recursive summation.  Finite differences are central with step ``h = 1e-6``
(truncation ``h^2``, cancellation ``eps / h``).
"""

from __future__ import annotations

import numpy as np
import pytest

sk = pytest.importorskip("sklearn.gaussian_process.kernels")

from pivotal.ml import kernels as pk  # noqa: E402
from pivotal.ml.kernels import base as kbase  # noqa: E402

EPS = np.finfo(float).eps


def _pairs():
    ls3 = [0.5, 1.0, 2.0]
    return {
        "rbf-ard": (pk.RBF(ls3), sk.RBF(ls3)),
        "rbf-iso": (pk.RBF(0.7), sk.RBF(0.7)),
        "matern05-ard": (pk.Matern(ls3, nu=0.5), sk.Matern(ls3, nu=0.5)),
        "matern15-iso": (pk.Matern(0.8, nu=1.5), sk.Matern(0.8, nu=1.5)),
        "matern25-ard": (pk.Matern(ls3, nu=2.5), sk.Matern(ls3, nu=2.5)),
        "matern-inf": (pk.Matern(0.9, nu=np.inf), sk.Matern(0.9, nu=np.inf)),
        "rq": (pk.RationalQuadratic(0.9, 1.7), sk.RationalQuadratic(0.9, 1.7)),
        "expsine": (pk.ExpSineSquared(1.2, 2.5), sk.ExpSineSquared(1.2, 2.5)),
        "dot": (pk.DotProduct(0.7), sk.DotProduct(0.7)),
        "white": (pk.WhiteKernel(0.3), sk.WhiteKernel(0.3)),
        "constant": (pk.ConstantKernel(2.0), sk.ConstantKernel(2.0)),
        "c*rbf+white": (
            pk.ConstantKernel(2.0) * pk.RBF(ls3) + pk.WhiteKernel(0.1),
            sk.ConstantKernel(2.0) * sk.RBF(ls3) + sk.WhiteKernel(0.1),
        ),
        "matern*expsine+dot": (
            pk.Matern(0.8, nu=1.5) * pk.ExpSineSquared(1.0, 3.0) + pk.DotProduct(0.5),
            sk.Matern(0.8, nu=1.5) * sk.ExpSineSquared(1.0, 3.0) + sk.DotProduct(0.5),
        ),
        "fixed-length-scale": (
            pk.ConstantKernel(1.5) * pk.RBF(ls3, "fixed"),
            sk.ConstantKernel(1.5) * sk.RBF(ls3, "fixed"),
        ),
        "scalar*kernel": (3.0 * pk.RBF(1.0) + 0.5, 3.0 * sk.RBF(1.0) + 0.5),
    }


PAIRS = _pairs()


@pytest.fixture
def data():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((37, 3)) + 5.0  # off-centre: the centring must make this harmless
    W = rng.standard_normal((37, 37))
    return X, W + W.T, rng.standard_normal((11, 3)) + 5.0


def _k_tol(X):
    z2 = np.max(np.sum((X - X.mean(0)) ** 2, axis=1)) / 0.25  # smallest length scale 0.5
    return 64 * EPS * max(z2, 1.0)


@pytest.mark.parametrize("name", list(PAIRS))
def test_value_gradient_and_api_match_sklearn(name, data):
    ours, ref = (k for k in _pairs()[name])
    X, W, Y = data
    if name.startswith("dot") or "dot" in name:
        X, Y = X - 5.0, Y - 5.0  # DotProduct is not translation invariant; keep entries O(1)
    K, G = ours(X, eval_gradient=True)
    Kr, Gr = ref(X, eval_gradient=True)
    scale = max(1.0, np.abs(Kr).max())
    assert np.abs(K - Kr).max() <= _k_tol(X) * scale
    assert G.shape == Gr.shape
    assert np.abs(G - Gr).max() <= _k_tol(X) * max(1.0, np.abs(Gr).max())
    assert np.abs(ours(X, Y) - ref(X, Y)).max() <= _k_tol(X) * scale
    np.testing.assert_allclose(ours.diag(X), np.diag(ours(X)), rtol=4 * X.shape[1] * EPS)  # GEMM vs dot
    np.testing.assert_allclose(ours.diag(X), ref.diag(X), rtol=8 * EPS)
    # theta, bounds, names, n_dims, flags
    np.testing.assert_array_equal(ours.theta, ref.theta)
    np.testing.assert_array_equal(ours.bounds, ref.bounds)
    assert [h.name for h in ours.hyperparameters] == [h.name for h in ref.hyperparameters]
    assert [h.fixed for h in ours.hyperparameters] == [h.fixed for h in ref.hyperparameters]
    assert ours.n_dims == ref.n_dims
    assert ours.requires_vector_input == ref.requires_vector_input
    assert ours.is_stationary() == ref.is_stationary()
    assert set(ours.get_params()) == set(ref.get_params())
    # the contraction equals sklearn's tensor contracted, relative to the sum's condition
    g = ours.contract_gradient(X, W)
    g_ref = np.einsum("ik,ikj->j", W, Gr)
    cond = np.einsum("ik,ikj->j", np.abs(W), np.abs(Gr))
    assert np.all(np.abs(g - g_ref) <= 4 * X.shape[0] * _k_tol(X) * np.maximum(cond, 1e-300))


@pytest.mark.parametrize("name", list(PAIRS))
def test_gradient_matches_finite_differences(name, data):
    ours = _pairs()[name][0]
    X, W, _ = data
    X = X - 5.0
    _, G = ours(X, eval_gradient=True)
    theta = ours.theta
    h = 1e-6
    for j in range(theta.size):
        tp, tm = theta.copy(), theta.copy()
        tp[j] += h
        tm[j] -= h
        fd = (ours.clone_with_theta(tp)(X) - ours.clone_with_theta(tm)(X)) / (2 * h)
        np.testing.assert_allclose(G[:, :, j], fd, atol=1e-8 * max(1.0, np.abs(fd).max()))
        fd_c = np.vdot(W, fd)
        assert abs(ours.contract_gradient(X, W)[j] - fd_c) <= 1e-8 * np.vdot(np.abs(W), np.abs(fd) + 1.0)


def test_blocked_equals_unblocked(monkeypatch, data):
    X, W, _ = data
    k = (
        pk.ConstantKernel(2.0) * pk.Matern([0.5, 1.0, 2.0], nu=2.5)
        + pk.WhiteKernel(0.1)
        + pk.RationalQuadratic()
    )
    K_one = k(X)
    g_one = k.contract_gradient(X, W)
    monkeypatch.setattr(kbase, "BLOCK_ELEMENTS", 5 * X.shape[0])  # blocks of 5 rows; matrix > 4 blocks
    np.testing.assert_array_equal(k(X), K_one)  # same arithmetic per entry
    np.testing.assert_allclose(k.contract_gradient(X, W), g_one, rtol=64 * EPS * X.shape[0])


@pytest.mark.parametrize("name", list(PAIRS))
@pytest.mark.parametrize("block_rows", [None, 5])
def test_matrix_free_product_and_low_rank_contraction(name, block_rows, monkeypatch, data):
    """``matmul`` and ``contract_gradient((A, B))`` equal the dense forms with ``K`` and ``W = A B^T``.

    Both sides sum the same products in another order (GEMM against a dense
    ``K``; a row-block GEMM and ``A_i B^T``): the error is bounded by
    ``n eps`` (times a GEMM's ``c`` for forming ``W``) relative to the sum of
    absolute values, the condition of the sum.
    """
    if block_rows:
        monkeypatch.setattr(kbase, "BLOCK_ELEMENTS", block_rows * data[0].shape[0])
    k = _pairs()[name][0]
    X = data[0] - 5.0
    n = X.shape[0]
    rng = np.random.default_rng(3)
    V = rng.standard_normal((n, 4))
    K = k(X)
    ref = K @ V
    assert np.all(np.abs(k.matmul(X, V) - ref) <= 4 * n * EPS * (np.abs(K) @ np.abs(V)))
    A, B = rng.standard_normal((n, 3)), rng.standard_normal((n, 3))
    W = A @ B.T
    _, G = k(X, eval_gradient=True)
    g_dense = np.einsum("ik,ikj->j", W, G)
    cond = np.einsum("ik,ikj->j", np.abs(A) @ np.abs(B).T, np.abs(G))
    g = k.contract_gradient(X, (A, B))
    assert g.shape == (k.n_dims,)
    assert np.all(np.abs(g - g_dense) <= 8 * n * EPS * np.maximum(cond, 1e-300))
    d = rng.standard_normal(n)  # and with a diagonal: W = A B^T + diag(d)
    g_dense = np.einsum("ik,ikj->j", W + np.diag(d), G)
    cond = np.einsum("ik,ikj->j", np.abs(A) @ np.abs(B).T + np.diag(np.abs(d)), np.abs(G))
    g = k.contract_gradient(X, (A, B, d))
    assert np.all(np.abs(g - g_dense) <= 8 * n * EPS * np.maximum(cond, 1e-300))


def test_low_rank_weights_validated(data):
    X = data[0]
    with pytest.raises(ValueError, match="pair"):
        pk.RBF().contract_gradient(X, (X, X, X, X))
    with pytest.raises(ValueError, match="d must have shape"):
        pk.RBF().contract_gradient(X, (X, X, X))
    with pytest.raises(ValueError, match="one shape"):
        pk.RBF().contract_gradient(X, (np.ones((37, 2)), np.ones((37, 3))))
    with pytest.raises(ValueError, match="expected"):
        pk.RBF().contract_gradient(X, (np.ones((5, 2)), np.ones((5, 2))))
    with pytest.raises(ValueError, match="rows"):
        pk.RBF().matmul(X, np.ones((5, 2)))


def test_squared_distances_safe():
    rng = np.random.default_rng(2)
    X = 1e6 + rng.standard_normal((50, 4)) * 1e-3  # raw GEMM would cancel catastrophically
    d = pk.squared_distances(X, X, diagonal_offset=0)
    assert np.all(d >= 0) and np.all(np.diag(d) == 0)
    Xc = X - X.mean(0)
    d = pk.squared_distances(Xc, Xc, diagonal_offset=0)
    exact = ((Xc[:, None, :] - Xc[None, :, :]) ** 2).sum(-1)
    assert np.abs(d - exact).max() <= 16 * EPS * np.max(np.sum(Xc**2, 1))
    # a row block of X against itself: zeros at (r, offset + r)
    blk = pk.squared_distances(Xc[10:20], Xc, diagonal_offset=10)
    assert np.all(blk[np.arange(10), 10 + np.arange(10)] == 0)
    # exact zeros on the kernel's diagonal, for far-off-centre input too
    K = pk.RBF([1e-3] * 4)(X)
    assert np.all(np.diag(K) == 1.0)


def test_api_behaviour():
    k = pk.ConstantKernel(2.0) * pk.RBF([1.0, 2.0], length_scale_bounds=(1e-2, 1e2))
    assert k.n_dims == 3
    k2 = k.clone_with_theta(np.log([3.0, 4.0, 5.0]))
    assert k2.k1.constant_value == pytest.approx(3.0) and np.allclose(k2.k2.length_scale, [4.0, 5.0])
    assert k.k1.constant_value == 2.0  # the original is untouched
    k.set_params(k2__length_scale=[7.0, 8.0])
    assert np.allclose(k.get_params()["k2__length_scale"], [7.0, 8.0])
    np.testing.assert_array_equal(k.bounds[1:], np.log([[1e-2, 1e2]] * 2))
    with pytest.raises(ValueError, match="Invalid parameter"):
        k.set_params(nonsense=1)
    with pytest.raises(ValueError, match="free hyperparameters"):
        k.theta = [0.0]
    with pytest.raises(ValueError, match=r"nu=1\.0"):
        pk.Matern(1.0, nu=1.0)(np.zeros((2, 1)))
    with pytest.raises(ValueError, match="3 features"):
        pk.RBF([1.0, 2.0])(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="fixed"):
        _ = pk.RBF(1.0, "fixd").hyperparameters
    with pytest.raises(ValueError, match="only supported when Y is None"):
        pk.RBF()(np.zeros((2, 1)), np.zeros((2, 1)), eval_gradient=True)
    with pytest.raises(ValueError, match="W has shape"):
        pk.RBF().contract_gradient(np.zeros((3, 1)), np.zeros((2, 2)))
    assert pk.RBF(1.0) == pk.RBF(1.0) and pk.RBF(1.0) != pk.RBF(2.0)


def _devices(torch):
    return ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.mark.parametrize("name", list(PAIRS))
def test_torch_input_gives_the_numpy_results(name, data):
    """PyTorch tensors go through the same float64 host code: the results are the NumPy ones
    exactly (no rounding of their own), as float64 tensors on the input's device."""
    torch = pytest.importorskip("torch")
    k = _pairs()[name][0]
    X, W, Y = data
    V = W[:, :3]
    for device in _devices(torch):
        t = lambda a, dev=device: torch.as_tensor(a, device=dev)  # noqa: E731
        K, G = k(t(X), eval_gradient=True)
        for got, ref in ((K, k(X)), (G, k(X, eval_gradient=True)[1]), (k(t(X), t(Y)), k(X, Y))):
            assert isinstance(got, torch.Tensor) and got.dtype == torch.float64 and got.device.type == device
            np.testing.assert_array_equal(got.cpu().numpy(), ref)
        np.testing.assert_array_equal(k(t(X), Y).cpu().numpy(), k(X, Y))  # one tensor is enough
        np.testing.assert_array_equal(k.diag(t(X)).cpu().numpy(), k.diag(X))
        np.testing.assert_array_equal(k.matmul(t(X), t(V)).cpu().numpy(), k.matmul(X, V))
        g = k.contract_gradient(t(X), t(W))
        assert isinstance(g, np.ndarray)  # hyperparameter space: host NumPy, like theta
        np.testing.assert_array_equal(g, k.contract_gradient(X, W))
        low = k.contract_gradient(t(X), (t(V), t(V)))
        np.testing.assert_array_equal(low, k.contract_gradient(X, (V, V)))


def test_torch_float32_input_is_computed_in_float64():
    torch = pytest.importorskip("torch")
    X = np.random.default_rng(0).standard_normal((9, 2)).astype(np.float32)
    k = pk.RBF([0.7, 1.3]) + pk.WhiteKernel(0.1)
    K = k(torch.from_numpy(X))
    assert K.dtype == torch.float64
    np.testing.assert_array_equal(K.numpy(), k(X.astype(np.float64)))


def test_jax_input_refused():
    jnp = pytest.importorskip("jax.numpy")
    with pytest.raises(TypeError, match="NumPy arrays or PyTorch tensors"):
        pk.RBF()(jnp.zeros((3, 2)))


def _exact_ard_contraction(k, X, W):
    """``sum_ik W_ik h_ik (z_ij - z_kj)^2`` per dimension by exact differences, and the GEMM form's bound.

    ``h`` is computed from the kernel's own squared distances, so that only the contraction differs.

    Returns ``(g, A, B)``: ``A_j = sum |W h| (z_ij - z_kj)^2`` (the exact form's error scale) and
    ``B_j = sum |W h| (z_ij^2 + z_kj^2)`` (the GEMM form's), with ``z`` the centred scaled points.
    """
    Z = (X - X.mean(0)) / np.asarray(k.length_scale)
    D = (Z[:, None, :] - Z[None, :, :]) ** 2
    s = kbase.squared_distances(Z, Z, diagonal_offset=0)  # the kernel's own s: same weights h
    H = W * k._weight(s, k._k_of_s(s))
    S = Z[:, None, :] ** 2 + Z[None, :, :] ** 2
    return (
        np.einsum("ik,ikj->j", H, D),
        np.einsum("ik,ikj->j", np.abs(H), D),
        np.einsum("ik,ikj->j", np.abs(H), S),
    )


@pytest.mark.parametrize("nu", [np.inf, 0.5, 1.5, 2.5])
@pytest.mark.parametrize("block_rows", [None, 7])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ard_gemm_contraction_matches_exact_differences(nu, block_rows, seed, monkeypatch):
    """The one-GEMM ARD contraction against exact coordinate differences, on random data.

    Error bound of the GEMM form: recursive sums of ``n^2`` products, ``n u B_j`` (``B_j`` from
    :func:`_exact_ard_contraction`); the reference's is ``n u A_j <= n u B_j``.
    """
    rng = np.random.default_rng(seed)
    n, d = 61, 4
    X = rng.standard_normal((n, d)) * rng.uniform(0.1, 3.0, d) + 10.0 * rng.standard_normal(d)
    W = rng.standard_normal((n, n))
    W = W + W.T
    ls = rng.uniform(0.3, 3.0, d)
    k = pk.Matern(ls, nu=nu) if np.isfinite(nu) else pk.RBF(ls)
    if block_rows:
        monkeypatch.setattr(kbase, "BLOCK_ELEMENTS", block_rows * n)
    g = k.contract_gradient(X, W)
    ref, _, B = _exact_ard_contraction(k, X, W)
    assert np.all(np.abs(g - ref) <= 4 * n * EPS * B)
    # and the product with a constant (one pass gives both halves) against the old two-pass sums
    c = pk.ConstantKernel(1.7) * k
    gc = c.contract_gradient(X, W)
    np.testing.assert_allclose(
        gc[0], 1.7 * np.vdot(W, k(X)), rtol=0, atol=4 * n * EPS * 1.7 * np.abs(W).sum()
    )
    assert np.all(np.abs(gc[1:] - 1.7 * ref) <= 4 * n * EPS * 1.7 * B)


def test_ard_contraction_falls_back_to_exact_differences_where_it_would_cancel():
    """Two clusters far apart on the scale of the length scale: ``B_j / A_j`` is about 1e9 in
    dimension 0, beyond ``CANCELLATION_LIMIT``; the result keeps the exact form's accuracy,
    ``CANCELLATION_LIMIT n u A_j``, which the GEMM form alone misses by orders of magnitude."""
    from pivotal.ml.kernels import stationary

    rng = np.random.default_rng(3)
    n = 40
    X = rng.uniform(-1, 1, (n, 2))
    X[:, 0] = np.where(np.arange(n) < n // 2, -300.0, 300.0) + 0.01 * rng.standard_normal(n)
    W = rng.standard_normal((n, n))
    W = W + W.T
    k = pk.RBF([0.01, 1.0])
    ref, A, B = _exact_ard_contraction(k, X, W)
    assert B[0] > 1e8 * A[0]
    assert stationary.CANCELLATION_LIMIT <= 1e3
    tol = 1e3 * 4 * n * EPS * A  # without the fallback, dimension 0 is off by about 1.6e6 n u A_0
    assert np.all(np.abs(k.contract_gradient(X, W) - ref) <= tol)


@pytest.fixture
def kernel_threads():
    """``set_max_threads`` for the test, restored afterwards (the suite runs kernel passes on one thread)."""
    from pivotal.ml.kernels import base

    previous = base.set_max_threads(None)
    yield base.set_max_threads
    base.set_max_threads(previous)


def test_row_block_passes_do_not_depend_on_threads(monkeypatch, kernel_threads):
    """``for_row_blocks``: the thread pool gives the sequential loop's results, nested calls too.

    Each block computes the same numbers whichever thread runs it and the partial sums are added
    in block order, so the results agree to the last bit unless the BLAS splits a product's inner
    dimension differently when called from several threads: 1e-13 relative allows for that.
    """
    from pivotal.ml.kernels import base

    rng = np.random.default_rng(3)
    X = rng.uniform(-1, 1, (700, 3))  # several row blocks once BLOCK_ELEMENTS is small
    monkeypatch.setattr(base, "BLOCK_ELEMENTS", 700 * 64)
    k = pk.ConstantKernel(0.7) * pk.RBF([0.5, 1.0, 2.0]) + pk.WhiteKernel(0.1)
    W = rng.standard_normal((700, 700))
    V = rng.standard_normal((700, 4))
    out = {}
    for threads in (1, 2, 3):
        kernel_threads(threads)
        out[threads] = (k(X), k.matmul(X, V), k.contract_gradient(X, W))
    for threads in (2, 3):
        for a, b in zip(out[1], out[threads], strict=True):
            np.testing.assert_allclose(b, a, rtol=1e-13, atol=1e-13 * np.abs(a).max())
    # a pass started from inside a block runs there, without waiting on the pool
    kernel_threads(2)
    inner = base.for_row_blocks(
        lambda i0, i1: sum(base.for_row_blocks(lambda a, b: b - a, 700, 700)), 700, 700
    )
    assert inner == [700] * len(inner) and len(inner) > 1


def test_kernel_thread_count_settings(monkeypatch, kernel_threads):
    """``max_threads``: ``set_max_threads``, then ``PIVOTAL_NUM_THREADS``, then ``OMP_NUM_THREADS``,
    then the CPU count; one thread runs every block in the calling thread; bad values are refused."""
    import threading

    from pivotal.ml.kernels import base

    monkeypatch.delenv("PIVOTAL_NUM_THREADS", raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert base.max_threads() == base._cpu_count()
    monkeypatch.setenv("OMP_NUM_THREADS", "3,1")  # OpenMP's nested form: the outer level counts
    assert base.max_threads() == 3
    monkeypatch.setenv("OMP_NUM_THREADS", "false")  # not a count: OpenMP's business, not refused here
    assert base.max_threads() == base._cpu_count()
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    monkeypatch.setenv("PIVOTAL_NUM_THREADS", "2")
    assert base.max_threads() == 2
    assert kernel_threads(5) is None and base.max_threads() == 5
    assert kernel_threads(1) == 5
    monkeypatch.setattr(base, "BLOCK_ELEMENTS", 64 * 64)
    names = base.for_row_blocks(lambda i0, i1: threading.current_thread().name, 640, 64)
    assert names == [threading.current_thread().name] * 10
    kernel_threads(None)
    for bad in ("0", "-2", "two", "1.5"):
        monkeypatch.setenv("PIVOTAL_NUM_THREADS", bad)
        with pytest.raises(ValueError, match="PIVOTAL_NUM_THREADS"):
            base.max_threads()
    for bad in (0, -1, 2.0, True, "2"):
        with pytest.raises(ValueError, match="positive int"):
            kernel_threads(bad)
