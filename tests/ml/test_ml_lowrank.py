"""low_rank_approx and lora_init (pivotal.ml.lowrank): Eckart-Young errors, certificates, dtypes."""

from __future__ import annotations

import numpy as np
import pytest

from pivotal.errors import LinAlgWarning
from pivotal.ml import GaLoreProjector, lora_init, low_rank_approx

EPS = float(np.finfo(np.float64).eps)


def _matrix(m, n, spectrum, seed=0):
    rng = np.random.default_rng(seed)
    U, _ = np.linalg.qr(rng.standard_normal((m, min(m, n))))
    V, _ = np.linalg.qr(rng.standard_normal((n, min(m, n))))
    s = spectrum(np.arange(1, min(m, n) + 1))
    return (U * s) @ V.T, s


SPECTRA = {"decaying": lambda i: 1.0 / i, "fast": lambda i: 0.7**i}


@pytest.mark.parametrize("name", sorted(SPECTRA))
def test_svd_method_is_the_eckart_young_optimum(name):
    W, s = _matrix(120, 80, SPECTRA[name])
    a = low_rank_approx(W, 10, method="svd")
    opt_f = np.sqrt(np.sum(s[10:] ** 2))
    assert a.method == "svd" and a.rank == 10 and a.spectral_ratio_bound == 1.0
    assert abs(a.optimal_spectral - s[10]) < 10 * 120 * EPS * s[0]
    assert abs(a.spectral_error - s[10]) < 10 * 120 * EPS * s[0]
    # computed from the residual: accurate to ~ sqrt(m n) u ||W|| in absolute terms
    assert abs(a.frobenius_error - opt_f) < 100 * 120 * EPS * s[0]
    U, sv, Vh = a
    assert np.abs((U * sv) @ Vh - W).max() <= a.spectral_error + 100 * 120 * EPS * s[0]


@pytest.mark.parametrize("method", ["rsvd", "block_krylov", "krylov"])
@pytest.mark.parametrize("name", sorted(SPECTRA))
def test_randomized_errors_are_certified(method, name):
    W, s = _matrix(600, 300, SPECTRA[name], seed=1)
    a = low_rank_approx(W, 12, method=method, random_state=0)
    U, sv, Vh = a
    E = W - (U * sv) @ Vh
    true_spec, true_fro = np.linalg.norm(E, 2), np.linalg.norm(E)
    assert abs(a.frobenius_error - true_fro) < 1e-10 * true_fro + 1e3 * EPS * s[0]
    # the power estimate is a lower bound, the probabilistic bound an upper one (failure prob. 1e-6)
    assert a.spectral_error <= true_spec * (1 + 1e-10)
    assert a.spectral_error >= 0.9 * true_spec
    assert a.spectral_error_bound >= true_spec
    assert true_spec >= s[12] * (1 - 1e-10)  # Eckart-Young: nothing beats the optimum
    assert true_spec / s[12] <= a.spectral_ratio_bound
    assert a.optimal_spectral is None and a.optimal_frobenius is None


def test_tolerance_chooses_the_smallest_rank():
    W, s = _matrix(100, 60, SPECTRA["fast"], seed=2)
    a = low_rank_approx(W, None, tol=1e-3, method="svd")
    tails = np.sqrt(np.cumsum((s**2)[::-1])[::-1])
    expected = int(np.flatnonzero(np.append(tails[1:], 0) <= 1e-3 * tails[0])[0]) + 1
    assert a.rank == expected and a.frobenius_error <= 1e-3 * np.linalg.norm(W) * (1 + 1e-8)
    b = low_rank_approx(W, 5, tol=1e-3, method="svd")
    assert b.rank == 5


def test_low_rank_approx_bad_input():
    W = np.eye(4)
    with pytest.raises(ValueError, match="give rank, tol or both"):
        low_rank_approx(W)
    with pytest.raises(ValueError, match="rank must be an integer"):
        low_rank_approx(W, 5)
    with pytest.raises(ValueError, match="method must be one of"):
        low_rank_approx(W, 2, method="lanczos")
    with pytest.raises(ValueError, match="tol must lie in"):
        low_rank_approx(W, 2, tol=2.0)


def test_fixed_krylov_is_near_optimal_and_stays_in_the_weights_backend():
    torch = pytest.importorskip("torch")
    W, s = _matrix(800, 600, SPECTRA["decaying"], seed=7)
    opt = np.sqrt(np.sum(s[16:] ** 2))
    for dtype in (torch.float64, torch.float32):
        Wt = torch.tensor(W, dtype=dtype)
        a = low_rank_approx(Wt, 16, method="krylov", random_state=0)
        U, sv, Vh = a
        assert (
            a.method == "krylov" and isinstance(U, torch.Tensor) and U.dtype == sv.dtype == Vh.dtype == dtype
        )
        u = float(torch.finfo(dtype).eps)
        assert (U.mT @ U - torch.eye(16, dtype=dtype)).abs().max() < 100 * u
        # block Krylov of depth 3 on 1/i: a polynomial filter of degree 7; Frobenius within 1% of the
        # optimum (measured 1.0001-1.003 over seeds on the benchmark's 4096^2 weights), plus rounding
        true_fro = float(torch.linalg.norm(Wt.double() - (U * sv).double() @ Vh.double()))
        assert opt <= true_fro * (1 + 10 * u) and true_fro <= 1.01 * opt
        assert abs(a.frobenius_error - true_fro) < 1e-3 * true_fro if dtype == torch.float32 else True


def test_fixed_krylov_on_a_weight_of_lower_rank_and_bad_input():
    rng = np.random.default_rng(8)
    W = rng.standard_normal((300, 5)) @ rng.standard_normal((5, 200))  # rank 5 < the Krylov basis
    a = low_rank_approx(W, 8, method="krylov", random_state=0)
    U, sv, Vh = a
    assert np.abs(U.T @ U - np.eye(8)).max() < 1e3 * EPS
    assert np.abs((U * sv) @ Vh - W).max() < 1e3 * EPS * np.abs(W).max()  # recovered exactly
    with pytest.raises(ValueError, match="fixed rank"):
        low_rank_approx(W, 8, tol=1e-3, method="krylov")
    W[3, 4] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        low_rank_approx(W, 8, method="krylov")


def test_lora_init_auto_solver_takes_krylov_on_large_weights():
    W, s = _matrix(600, 520, SPECTRA["decaying"], seed=9)
    init = lora_init(W, 16, random_state=0)
    assert init.approximation.method == "krylov"
    B, A, R = init
    assert np.abs(R + B @ A - W).max() < 100 * EPS * s[0]
    assert np.linalg.norm(R) <= 1.01 * np.sqrt(np.sum(s[16:] ** 2))
    assert lora_init(W[:500], 16).approximation.method == "svd"


# ------------------------------------------------------------------------------------------------ LoRA
@pytest.mark.parametrize("method", ["pissa", "svd"])
def test_lora_init_principal_part_reaches_eckart_young(method):
    W, s = _matrix(64, 48, SPECTRA["decaying"], seed=3)
    init = lora_init(W, 8, method=method, solver="svd")
    B, A, R = init
    assert B.shape == (64, 8) and A.shape == (8, 48) and R.shape == W.shape
    assert np.abs(R + B @ A - W).max() < 10 * 64 * EPS * s[0]
    opt = np.sqrt(np.sum(s[8:] ** 2))
    assert abs(np.linalg.norm(R) - opt) < 1e-10 * s[0]  # the residual is the optimal remainder
    assert abs(init.approximation.frobenius_error - opt) < 1e-10 * s[0]
    if method == "pissa":  # B and A carry sqrt(S) each: equal column / row norms
        assert np.allclose(np.linalg.norm(B, axis=0), np.linalg.norm(A, axis=1), rtol=1e-12)
    else:  # A has orthonormal rows
        assert np.abs(A @ A.T - np.eye(8)).max() < 100 * EPS


def test_lora_init_randomized_is_within_its_bound():
    W, s = _matrix(700, 500, SPECTRA["decaying"], seed=4)
    init = lora_init(W, 16, solver="rsvd", random_state=0)
    R = init.W_residual
    spec = np.linalg.norm(R, 2)
    assert spec / s[16] <= init.approximation.spectral_ratio_bound
    assert np.linalg.norm(R) <= 1.01 * np.sqrt(np.sum(s[16:] ** 2))  # adaptive power iterations: near optimal


@pytest.mark.parametrize("method", ["zeros", "gaussian"])
def test_lora_init_zero_product_methods(method):
    W = np.random.default_rng(5).standard_normal((20, 30))
    B, A, R = lora_init(W, 4, method=method, random_state=1)
    assert np.all(B == 0) and np.array_equal(R, W) and R is not W
    if method == "zeros":
        assert np.abs(A).max() <= 1 / np.sqrt(30)
    else:  # N(0, 1/r): the sample variance of 120 entries is within 5 standard errors of 1/4
        assert abs(A.var() - 0.25) < 5 * 0.25 * np.sqrt(2 / 120)
    with pytest.raises(ValueError, match="solver is used only by"):
        lora_init(W, 4, method=method, solver="svd")


def test_lora_init_torch_half_precision_keeps_dtype_and_device():
    torch = pytest.importorskip("torch")
    W, s = _matrix(96, 64, SPECTRA["decaying"], seed=6)
    for dtype in (torch.float32, torch.bfloat16, torch.float16):
        Wt = torch.tensor(W, dtype=dtype)
        B, A, R = lora_init(Wt, 8, solver="svd")
        assert B.dtype == A.dtype == R.dtype == dtype and B.device == Wt.device
        # float32 accumulation: the reconstruction error is the storage dtype's rounding of |W|
        u = float(torch.finfo(dtype).eps)
        err = (R.double() + B.double() @ A.double() - Wt.double()).abs().max().item()
        assert err < 8 * u * s[0]


def test_lora_init_bad_input():
    W = np.ones((4, 3))
    with pytest.raises(ValueError, match="r must be an integer"):
        lora_init(W, 4)
    with pytest.raises(ValueError, match="method must be"):
        lora_init(W, 2, method="olora")


# --------------------------------------------------------------------------------------------- GaLore
def _torch():
    return pytest.importorskip("torch")


@pytest.mark.parametrize(
    ("shape", "proj_type", "side"),
    [
        ((60, 40), "std", "right"),
        ((40, 60), "std", "left"),
        ((60, 40), "reverse_std", "left"),
        ((60, 40), "left", "left"),
    ],
)
def test_galore_projection_is_exact_on_low_rank_gradients(shape, proj_type, side):
    torch = _torch()
    gen = torch.Generator().manual_seed(0)
    G = torch.randn(shape[0], 6, generator=gen, dtype=torch.float64) @ torch.randn(
        6, shape[1], generator=gen, dtype=torch.float64
    )
    proj = GaLoreProjector(6, proj_type=proj_type, random_state=0)
    low = proj.project(G, step=0)
    assert proj.side == side
    assert tuple(low.shape) == ((shape[0], 6) if side == "right" else (6, shape[1]))
    back = proj.project_back(low)
    assert (back - G).abs().max().item() < 1e3 * EPS * G.abs().max().item()
    P = proj.projector
    gram = P @ P.mT if side == "right" else P.mT @ P
    assert (gram - torch.eye(6, dtype=torch.float64)).abs().max().item() < 100 * EPS


def test_galore_subspace_matches_the_svd_and_warm_start_tracks_it():
    torch = _torch()
    W, _ = _matrix(80, 50, SPECTRA["fast"], seed=7)
    G = torch.tensor(W)
    proj = GaLoreProjector(5, update_proj_gap=2, random_state=1)
    proj.project(G, step=0)
    _, _, Vh = np.linalg.svd(W)
    top = Vh[:5]

    # sin of the largest principal angle ~ (s_6/s_5)^(2q+1) = 0.7^3 for one power iteration, plus the
    # oversampling's gain; the warm restart multiplies it by another (s_6/s_5)^2 per refresh
    def sine(P):
        return np.linalg.norm(top.T - P.numpy().T @ (P.numpy() @ top.T), 2)

    first = sine(proj.projector)
    for step in (2, 4, 6, 8):
        proj.project(G, step=step)
    assert sine(proj.projector) < 1e-6 and sine(proj.projector) < first
    assert proj.refreshes == 5 and proj.fallbacks == 0
    proj.project(G, step=9)  # not due: no refresh
    assert proj.refreshes == 5


def test_galore_keeps_the_previous_subspace_when_a_refresh_fails():
    torch = _torch()
    G = torch.randn(30, 20, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    proj = GaLoreProjector(4, update_proj_gap=1, random_state=0)
    proj.project(G, step=0)
    before = proj.projector.clone()
    bad = G.clone()
    bad[0, 0] = float("nan")
    with pytest.warns(LinAlgWarning, match="previous subspace is kept"):
        proj.project(bad, step=1)
    assert torch.equal(proj.projector, before) and proj.fallbacks == 1
    assert torch.count_nonzero(proj.projector) > 0  # never a zero projector (GaLore #58)
    with pytest.raises(ValueError, match="no subspace to fall back to"):
        GaLoreProjector(4).project(bad, step=0)


def test_galore_half_precision_gradients():
    torch = _torch()
    W, _ = _matrix(64, 48, SPECTRA["fast"], seed=8)
    G = torch.tensor(W, dtype=torch.bfloat16)
    proj = GaLoreProjector(8, random_state=0)
    low = proj.project(G, step=0)
    assert low.dtype == torch.bfloat16 and proj.projector.dtype == torch.float32
    assert torch.isfinite(proj.project_back(low).float()).all()


def test_galore_bad_input():
    torch = _torch()
    with pytest.raises(ValueError, match="rank must be a positive integer"):
        GaLoreProjector(0)
    with pytest.raises(ValueError, match="proj_type must be"):
        GaLoreProjector(2, proj_type="full")
    with pytest.raises(ValueError, match="exceeds"):
        GaLoreProjector(5).project(torch.ones(4, 3), step=0)
    with pytest.raises(RuntimeError, match="before project"):
        GaLoreProjector(2).project_back(torch.ones(2, 2))
