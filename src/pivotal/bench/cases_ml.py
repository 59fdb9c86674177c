"""Machine-learning toolkit cases: Ridge, RidgeCV, PCA, Gaussian processes, LoRA initialisation and K-FAC.

Ported from ``benchmarks/bench_ridge.py``, ``bench_pca.py``, ``bench_gp.py``
(``fit``), ``bench_lowrank.py`` and ``bench_kfac.py``.
"""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

import numpy as np

from .registry import Case, Params, Side


def _ml():
    import pivotal.ml

    return pivotal.ml


def preload(*modules: str) -> None:
    """Import ``modules`` now (the installed ones), so that a case run without a warm-up does not time imports."""
    import contextlib
    import importlib

    for module in modules:
        with contextlib.suppress(ImportError):
            importlib.import_module(module)


# ------------------------------------------------------------------ Ridge and RidgeCV


def ridge_problem(p: Params) -> SimpleNamespace:
    """Features on different scales (column ``j`` scaled by ``10^(-2j/d)``), ``y = X w + 0.5`` noise."""
    n, d = p["n"], p["d"]
    rng = np.random.default_rng(p.get("seed", 0))
    x = rng.standard_normal((n, d)) * np.geomspace(1, 1e-2, d)
    y = x @ rng.standard_normal(d) + 0.5 * rng.standard_normal(n)
    return SimpleNamespace(x=x, y=y, alpha=1.0, alphas=np.logspace(-6, 4, p.get("alphas", 50)))


def ridge_kkt(x: np.ndarray, y: np.ndarray, alpha: float, coef: np.ndarray) -> float:
    """The relative residual of ridge's normal equations on centred data.

    ``||(Xc^T Xc + alpha I) w - Xc^T yc|| / (||Xc^T Xc + alpha I||_2 ||w|| + ||Xc^T yc||)``:
    a normwise backward error of the fitted coefficients (with an intercept).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.standard_normal((20, 3)), rng.standard_normal(20)
    >>> xc, yc = x - x.mean(0), y - y.mean()
    >>> w = np.linalg.solve(xc.T @ xc + 2.0 * np.eye(3), xc.T @ yc)
    >>> ridge_kkt(x, y, 2.0, w) < 1e-15
    True
    """
    xc, yc = x - x.mean(axis=0), y - y.mean()
    g = xc.T @ xc + alpha * np.eye(x.shape[1])
    rhs = xc.T @ yc
    return float(
        np.linalg.norm(g @ coef - rhs) / (np.linalg.norm(g, 2) * np.linalg.norm(coef) + np.linalg.norm(rhs))
    )


RIDGE = Case(
    name="ridge",
    description="pivotal.ml.Ridge(1.0) against sklearn.linear_model.Ridge(1.0)",
    setup=ridge_problem,
    ours=Side("pivotal.ml.Ridge", lambda q: _ml().Ridge(q.alpha).fit(q.x, q.y)),
    peers=(
        Side(
            "sklearn.linear_model.Ridge",
            lambda q: __import__("sklearn.linear_model").linear_model.Ridge(q.alpha).fit(q.x, q.y),
            "sklearn",
        ),
    ),
    accuracy=lambda q, est: {"normal_eq_residual": ridge_kkt(q.x, q.y, q.alpha, np.asarray(est.coef_))},
    metrics={
        "normal_eq_residual": "relative residual of (Xc^T Xc + alpha I) w = Xc^T yc (smaller is better)"
    },
    quick=({"n": 1000, "d": 50},),
    full=({"n": 20000, "d": 500},),
    label=lambda p: f"{p['n']}x{p['d']}",
)

RIDGE_CV = Case(
    name="ridge_cv",
    description="pivotal.ml.RidgeCV (leave-one-out over 50 alphas) against sklearn.linear_model.RidgeCV",
    setup=ridge_problem,
    ours=Side("pivotal.ml.RidgeCV", lambda q: _ml().RidgeCV(q.alphas).fit(q.x, q.y)),
    peers=(
        Side(
            "sklearn.linear_model.RidgeCV",
            lambda q: __import__("sklearn.linear_model").linear_model.RidgeCV(q.alphas).fit(q.x, q.y),
            "sklearn",
        ),
    ),
    accuracy=lambda q, est: {
        "alpha": float(est.alpha_),
        "normal_eq_residual": ridge_kkt(q.x, q.y, float(est.alpha_), np.asarray(est.coef_)),
    },
    metrics={
        "alpha": "the alpha chosen by leave-one-out (should agree)",
        "normal_eq_residual": "relative residual of the normal equations at that alpha (smaller is better)",
    },
    quick=({"n": 1000, "d": 50, "alphas": 20},),
    full=({"n": 20000, "d": 500, "alphas": 50},),
    label=lambda p: f"{p['n']}x{p['d']} {p['alphas']} alphas",
)

# ------------------------------------------------------------------ PCA


def pca_problem(p: Params) -> SimpleNamespace:
    """Data with spectrum ``0.9^i`` (``decay="fast"``) or ``1/sqrt(i)`` (``"slow"``), offset by 3."""
    n, d, k = p["n"], p["d"], p["k"]
    rng = np.random.default_rng(p.get("seed", 0))
    r = min(n, d)
    s = 0.9 ** np.arange(r) if p.get("decay", "fast") == "fast" else 1 / np.sqrt(np.arange(1, r + 1))
    x = rng.standard_normal((n, r)) * s
    q, _ = np.linalg.qr(rng.standard_normal((d, r)))
    x = x @ q.T + 3.0
    xc = x - x.mean(axis=0)
    exact = np.linalg.eigvalsh(xc.T @ xc)[::-1][:k].sum() / (n - 1)
    return SimpleNamespace(x=x, k=k, exact=float(exact))


def _sk_pca(q: SimpleNamespace) -> Any:
    from sklearn import decomposition

    return decomposition.PCA(q.k, svd_solver="randomized", random_state=0).fit(q.x)


PCA = Case(
    name="pca",
    description="pivotal.ml.PCA(k, svd_solver='randomized') against scikit-learn's randomized PCA",
    setup=pca_problem,
    ours=Side("pivotal.ml.PCA", lambda q: _ml().PCA(q.k, svd_solver="randomized", random_state=0).fit(q.x)),
    peers=(Side("sklearn.decomposition.PCA(svd_solver='randomized')", _sk_pca, "sklearn"),),
    accuracy=lambda q, est: {"variance_captured": float(np.sum(est.explained_variance_)) / q.exact},
    metrics={
        "variance_captured": "sum of explained_variance_ / the exact top-k sum (1 is optimal, larger is better)"
    },
    quick=({"n": 1000, "d": 200, "k": 5, "decay": "slow"},),
    full=(
        {"n": 20000, "d": 2000, "k": 50, "decay": "fast"},
        {"n": 20000, "d": 2000, "k": 50, "decay": "slow"},
    ),
    label=lambda p: f"{p['n']}x{p['d']} k={p['k']} {p['decay']}",
)

# ------------------------------------------------------------------ Gaussian process


def gp_problem(p: Params) -> SimpleNamespace:
    """``X`` uniform in ``[-1, 1]^d``, ``y = sin(3 X w) + 0.5 x_0^2 + 0.1`` noise, decaying relevance ``w``.

    ``restarts`` (default 0) optimiser restarts each side, from the same random points;
    ``method`` (default ``"auto"``) and ``cg_options`` are passed to pivotal's estimator.
    """
    preload("pivotal.ml", "sklearn.gaussian_process")
    n, d = p["n"], p["d"]
    rng = np.random.default_rng(p.get("seed", 0))
    x = rng.uniform(-1, 1, (n, d))
    w = rng.standard_normal(d) / np.arange(1, d + 1)
    y = np.sin(3 * x @ w) + 0.5 * x[:, 0] ** 2 + 0.1 * rng.standard_normal(n)
    return SimpleNamespace(
        x=x,
        y=y,
        d=d,
        restarts=p.get("restarts", 0),
        method=p.get("method", "auto"),
        cg_options=p.get("cg_options"),
    )


def _our_gp(q: SimpleNamespace) -> Any:
    from pivotal.ml import kernels as pk

    kernel = pk.ConstantKernel(1.0) * pk.RBF(np.ones(q.d)) + pk.WhiteKernel(0.1)
    options = None if q.method == "cholesky" else q.cg_options
    gp = _ml().GaussianProcessRegressor(
        kernel, n_restarts_optimizer=q.restarts, random_state=0, method=q.method, cg_options=options
    )
    return gp.fit(q.x, q.y)


def _sk_gp(q: SimpleNamespace) -> Any:
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process import kernels as sk

    kernel = sk.ConstantKernel(1.0) * sk.RBF(np.ones(q.d)) + sk.WhiteKernel(0.1)
    return GaussianProcessRegressor(kernel, n_restarts_optimizer=q.restarts, random_state=0).fit(q.x, q.y)


GP = Case(
    name="gp",
    description="pivotal.ml.GaussianProcessRegressor.fit (L-BFGS-B, ARD RBF + White) against scikit-learn's",
    setup=gp_problem,
    ours=Side("pivotal.ml.GaussianProcessRegressor.fit", _our_gp),
    peers=(Side("sklearn GaussianProcessRegressor.fit", _sk_gp, "sklearn"),),
    accuracy=lambda q, est: {"log_marginal_likelihood": float(est.log_marginal_likelihood_value_)},
    metrics={"log_marginal_likelihood": "the fitted log marginal likelihood (larger is better)"},
    quick=({"n": 100, "d": 2},),
    full=({"n": 2000, "d": 8},),
    max_repeats=2,
    warmup=0,
)

# ------------------------------------------------------------------ LoRA initialisation


def lora_problem(p: Params) -> SimpleNamespace:
    """A float32 weight ``U diag(s) V^T`` with ``s_i = 1/i`` (``"decaying"``) or ``1/(1 + 0.01 i)`` (``"flat"``)."""
    import torch

    m, n, r = p["m"], p["n"], p["r"]
    gen = torch.Generator().manual_seed(p.get("seed", 0))
    k = min(m, n)
    u, _ = torch.linalg.qr(torch.randn(m, k, generator=gen))
    v, _ = torch.linalg.qr(torch.randn(n, k, generator=gen))
    i = torch.arange(1, k + 1, dtype=torch.float32)
    s = 1 / i if p.get("spectrum", "decaying") == "decaying" else 1 / (1 + 0.01 * i)
    w = (u * s) @ v.T
    sv = torch.linalg.svdvals(w.double())
    return SimpleNamespace(w=w, r=r, opt=float(torch.sqrt(torch.sum(sv[r:] ** 2))))


def _lora_ours(q: SimpleNamespace, out: Any) -> Any:
    b, a, _ = out
    return b.double() @ a.double()


def _lowrank_peer(q: SimpleNamespace, out: Any) -> Any:
    u, s, v = out
    return (u * s).double() @ v.double().T


def _peft_pissa(q: SimpleNamespace) -> Any:
    """PEFT's ``init_lora_weights="pissa_niter_4"``: ``svd_lowrank(W, q=r, niter=4)``, then ``W - B A``."""
    import torch

    u, s, v = torch.svd_lowrank(q.w, q=q.r, niter=4)
    root = s.sqrt()
    b, a = u * root, root[:, None] * v.T
    return b, a, q.w - b @ a


def _svd_peer(q: SimpleNamespace, out: Any) -> Any:
    u, s, vh = out
    return (u[:, : q.r] * s[: q.r]).double() @ vh[: q.r].double()


def _lora_accuracy(q: SimpleNamespace, approx: Any) -> dict[str, float | None]:
    import torch

    return {"err_opt_F": float(torch.linalg.norm(q.w.double() - approx)) / q.opt}


LORA_INIT = Case(
    name="lora_init",
    description="pivotal.ml.lora_init (PiSSA) against PEFT's fast path torch.svd_lowrank(niter=4) and a full torch SVD",
    setup=lora_problem,
    ours=Side("pivotal.ml.lora_init", lambda q: _ml().lora_init(q.w, q.r, random_state=0), result=_lora_ours),
    peers=(
        Side(
            "torch.svd_lowrank(niter=4)",
            lambda q: __import__("torch").svd_lowrank(q.w, q=q.r, niter=4),
            "torch",
            _lowrank_peer,
        ),
        Side("PEFT pissa_niter_4 (svd_lowrank + residual)", _peft_pissa, "torch", _lora_ours),
        Side(
            "torch.linalg.svd (full)",
            lambda q: __import__("torch").linalg.svd(q.w, full_matrices=False),
            "torch",
            _svd_peer,
        ),
    ),
    accuracy=_lora_accuracy,
    metrics={"err_opt_F": "||W - B A||_F / Eckart-Young optimum (1 is optimal)"},
    quick=({"m": 256, "n": 256, "r": 8, "spectrum": "decaying"},),
    full=tuple(
        {"m": m, "n": n, "r": 16, "spectrum": s}
        for m, n in ((4096, 4096), (4096, 11008))
        for s in ("decaying", "flat")
    ),
    requires=("torch",),
    label=lambda p: f"{p['m']}x{p['n']} r={p['r']} {p['spectrum']}",
)

# ------------------------------------------------------------------ K-FAC


def kfac_problem(p: Params) -> SimpleNamespace:
    """A synthetic 10-class problem on 784 inputs with a decaying covariance, labels from a random teacher."""
    import torch

    preload("pivotal.ml")
    n = p["n"]
    gen = torch.Generator().manual_seed(p.get("seed", 0))
    scales = torch.logspace(0, -2, 784)
    x = torch.randn(n, 784, generator=gen) * scales
    teacher = torch.nn.Sequential(torch.nn.Linear(784, 64), torch.nn.Tanh(), torch.nn.Linear(64, 10))
    with torch.no_grad():
        for prm in teacher.parameters():
            prm.copy_(torch.randn(prm.shape, generator=gen) * 3 / prm.shape[-1] ** 0.5)
        y = teacher(x / scales.mean()).argmax(dim=1)
    return SimpleNamespace(x=x, y=y, target=p["target"], max_steps=p["max_steps"], lr=p.get("lr", 0.05))


def _mlp():
    import torch

    torch.manual_seed(1)
    return torch.nn.Sequential(
        torch.nn.Linear(784, 512),
        torch.nn.ReLU(),
        torch.nn.Linear(512, 256),
        torch.nn.ReLU(),
        torch.nn.Linear(256, 10),
    )


def train(kind: str, q: SimpleNamespace) -> SimpleNamespace:
    """Full-batch training until the loss is below ``q.target``: steps, seconds and final loss.

    ``kind``: ``"sgd"`` (momentum 0.9 at ``lr``), ``"adam"`` (1e-3) or ``"kfac"``
    (plain SGD at ``lr / 5`` preconditioned by :class:`pivotal.ml.KFACPreconditioner`).
    """
    import torch

    model = _mlp()
    if kind == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    elif kind == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=q.lr, momentum=0.9)
    else:  # the natural-gradient step is larger: plain SGD at a fifth of the rate, no momentum
        opt = torch.optim.SGD(model.parameters(), lr=q.lr / 5)
    kfac = _ml().KFACPreconditioner(model, damping=1e-2, inv_update_steps=10) if kind == "kfac" else None
    t0 = time.perf_counter()
    loss = float("nan")
    for step in range(1, q.max_steps + 1):
        opt.zero_grad()
        out = torch.nn.functional.cross_entropy(model(q.x), q.y)
        loss = out.item()
        if loss < q.target:
            return SimpleNamespace(steps=step, seconds=time.perf_counter() - t0, loss=loss, reached=True)
        out.backward()
        if kfac is not None:
            kfac.step()
        opt.step()
    return SimpleNamespace(steps=q.max_steps, seconds=time.perf_counter() - t0, loss=loss, reached=False)


KFAC = Case(
    name="kfac",
    description="training an MLP to a target loss: SGD + pivotal.ml.KFACPreconditioner against torch SGD and Adam",
    setup=kfac_problem,
    ours=Side("SGD + pivotal.ml.KFACPreconditioner", lambda q: train("kfac", q)),
    peers=(
        Side("torch.optim.SGD(momentum=0.9)", lambda q: train("sgd", q), "torch"),
        Side("torch.optim.Adam", lambda q: train("adam", q), "torch"),
    ),
    accuracy=lambda q, r: {"steps": float(r.steps), "final_loss": r.loss},
    metrics={
        "steps": "steps taken to reach the target loss (max_steps when not reached)",
        "final_loss": "the training loss at the end (smaller is better)",
    },
    quick=({"n": 64, "target": 1.0, "max_steps": 3},),
    full=({"n": 2048, "target": 0.3, "max_steps": 500},),
    requires=("torch",),
    max_repeats=1,
    warmup=0,
    label=lambda p: f"n={p['n']} target={p['target']}",
)

CASES = (RIDGE, RIDGE_CV, PCA, GP, LORA_INIT, KFAC)
