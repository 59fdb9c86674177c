"""K-FAC (pivotal.ml.kfac): the Kronecker identity, fallbacks, hooks on Linear/Conv2d, and training speed."""

from __future__ import annotations

import numpy as np
import pytest

from pivotal.errors import LinAlgWarning
from pivotal.ml import KFACPreconditioner, damped_cholesky, kfac_precondition

torch = pytest.importorskip("torch")

EPS = float(np.finfo(np.float64).eps)


def _spd(n, seed, kappa=10.0):
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return (Q * np.geomspace(1, 1 / kappa, n)) @ Q.T


@pytest.mark.parametrize("pi_damping", [False, True])
@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_kfac_equals_the_kronecker_inverse(pi_damping, backend):
    A, G = _spd(5, 0), _spd(3, 1) * 7.0
    grad = np.random.default_rng(2).standard_normal((3, 5))
    damping = 1e-2
    if pi_damping:
        pi = np.sqrt((np.trace(A) / 5) / (np.trace(G) / 3))
        la, lg = pi * np.sqrt(damping), np.sqrt(damping) / pi
    else:
        la = lg = np.sqrt(damping)
    # vec(G^-1 X A^-1) = (A^-1 kron G^-1) vec(X) with column-major vec (A symmetric)
    K = np.kron(A + la * np.eye(5), G + lg * np.eye(3))
    expected = np.linalg.solve(K, grad.reshape(-1, order="F")).reshape(3, 5, order="F")
    args = (A, G, grad) if backend == "numpy" else tuple(torch.tensor(x) for x in (A, G, grad))
    out = kfac_precondition(*args, damping, pi_damping=pi_damping)
    out = np.asarray(out)
    kappa = np.linalg.cond(K)
    assert np.abs(out - expected).max() < 10 * 15 * kappa * EPS * np.abs(expected).max()
    assert np.abs(out - expected).max() < 1e-10 * np.abs(expected).max()


def test_near_singular_float32_factor_gives_no_nan():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((200, 3)).astype(np.float32)
    acts = np.column_stack([a, a[:, :1] * 1.0, a[:, 1:2] - a[:, 2:3]])  # rank 3 of 5, float32
    A = torch.tensor(acts.T @ acts / 200)
    G = torch.tensor(_spd(2, 4), dtype=torch.float32)
    grad = torch.tensor(rng.standard_normal((2, 5)), dtype=torch.float32)
    with pytest.warns(LinAlgWarning, match="K-FAC"):
        out = kfac_precondition(A, G, grad, 1e-14, pi_damping=False)
    assert out.dtype == torch.float32 and bool(torch.isfinite(out).all())


def test_damped_cholesky_reports_what_it_did():
    C = np.array([[1.0, 1.0], [1.0, 1.0]], dtype=np.float32)  # singular
    with pytest.warns(LinAlgWarning, match="damping"):
        L, used, promoted = damped_cholesky(C, 1e-12)
    assert used >= 1e-12 and np.isfinite(np.asarray(L)).all()
    L, used, promoted = damped_cholesky(np.eye(3), 1e-3)
    assert used == 1e-3 and not promoted


def test_kfac_bad_input():
    with pytest.raises(ValueError, match="damping must be"):
        kfac_precondition(np.eye(2), np.eye(2), np.ones((2, 2)), 0.0)
    with pytest.raises(ValueError, match="shapes do not match"):
        kfac_precondition(np.eye(3), np.eye(2), np.ones((2, 2)), 1e-3)
    with pytest.raises(ValueError, match="no Linear or Conv2d"):
        KFACPreconditioner(torch.nn.Tanh())
    with pytest.raises(ValueError, match="groups=1"):
        KFACPreconditioner(torch.nn.Conv2d(4, 4, 3, groups=2))


def _factors_by_hand(module, x, out_grad, batch):
    if isinstance(module, torch.nn.Conv2d):
        p = torch.nn.functional.unfold(x, module.kernel_size, padding=module.padding, stride=module.stride)
        a = p.transpose(1, 2).reshape(-1, p.shape[1])
        g = out_grad.permute(0, 2, 3, 1).reshape(-1, out_grad.shape[1]) * batch
    else:
        a, g = x, out_grad * batch
    a = torch.cat([a, torch.ones(a.shape[0], 1, dtype=a.dtype)], dim=1)
    return a.T @ a / a.shape[0], g.T @ g / g.shape[0]


@pytest.mark.parametrize("layer", ["linear", "conv"])
def test_preconditioner_uses_the_layer_factors(layer):
    gen = torch.Generator().manual_seed(5)
    if layer == "linear":
        module = torch.nn.Linear(6, 4).double()
        x = torch.randn(32, 6, generator=gen, dtype=torch.float64)
    else:
        module = torch.nn.Conv2d(2, 3, 3, padding=1).double()
        x = torch.randn(4, 2, 5, 5, generator=gen, dtype=torch.float64)
    kfac = KFACPreconditioner(module, damping=1e-2, pi_damping=False)
    out = module(x)
    out.retain_grad()
    (out**2).mean().backward()
    grad = torch.cat([module.weight.grad.reshape(module.weight.shape[0], -1), module.bias.grad[:, None]], 1)
    A, G = _factors_by_hand(module, x, out.grad, x.shape[0])
    expected = kfac_precondition(A, G, grad, 1e-2, pi_damping=False)
    kfac.step()
    got = torch.cat([module.weight.grad.reshape(module.weight.shape[0], -1), module.bias.grad[:, None]], 1)
    assert (got - expected).abs().max().item() < 1e-10 * expected.abs().max().item()


def test_factors_are_running_averages_and_refactored_on_schedule():
    model = torch.nn.Linear(3, 2).double()
    kfac = KFACPreconditioner(model, damping=1e-2, factor_decay=0.5, inv_update_steps=3)
    gen = torch.Generator().manual_seed(6)
    seen = []
    for _ in range(4):
        model.zero_grad()
        model(torch.randn(8, 3, generator=gen, dtype=torch.float64)).sum().backward()
        state = kfac._layers[0]
        before = state.LA
        kfac.step()
        seen.append(state.LA is not before)
    assert seen == [True, False, False, True]  # refactored at steps 0 and 3 only
    saved = kfac.state_dict()
    other = KFACPreconditioner(torch.nn.Linear(3, 2).double(), damping=1e-2)
    other.load_state_dict(saved)
    assert other.steps == 4 and torch.equal(other._layers[0].A, kfac._layers[0].A)
    kfac.remove()


def _train(use_kfac, lr=0.02, target=0.06, max_steps=600):
    torch.manual_seed(0)
    n, d = 256, 10
    gen = torch.Generator().manual_seed(1)
    scales = torch.logspace(0, -2, d, dtype=torch.float64)  # badly scaled inputs: hard for SGD
    X = torch.randn(n, d, generator=gen, dtype=torch.float64) * scales
    w = (
        torch.randn(d, 1, generator=gen, dtype=torch.float64)
        * torch.logspace(0, 2, d, dtype=torch.float64)[:, None]
        / 10
    )
    y = torch.tanh(X @ w) + 0.01 * torch.randn(n, 1, generator=gen, dtype=torch.float64)
    model = torch.nn.Sequential(torch.nn.Linear(d, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1)).double()
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    kfac = KFACPreconditioner(model, damping=1e-3, inv_update_steps=5) if use_kfac else None
    for step in range(1, max_steps + 1):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(X), y)
        if loss.item() < target:
            return step
        loss.backward()
        if kfac is not None:
            kfac.step()
        opt.step()
    return max_steps + 1


def test_kfac_reaches_the_target_loss_in_half_the_sgd_steps():
    sgd, kfac = _train(False), _train(True)
    assert kfac <= sgd / 2, (kfac, sgd)
