"""K-FAC against SGD and Adam on an MLP (784-512-256-10) with synthetic data (issue 14).

Trains the same network from the same initialisation with SGD (momentum
0.9, ``--lr``), Adam (1e-3), and plain SGD at ``--lr / 5`` preconditioned by
:class:`pivotal.ml.KFACPreconditioner`, full-batch on
a synthetic 10-class problem (inputs with a decaying covariance spectrum,
labels from a random teacher network), and prints for each the number of
steps and the wall time to reach the target training loss (or the loss
reached when it does not).  K-FAC does more work per step (factor updates
and, every ``inv_update_steps``, Cholesky factorizations of 785 x 785 and
513 x 513 factors), so it can win on steps and lose on time: both are printed.

Usage::

    python benchmarks/bench_kfac.py                       # 2048 samples, target loss 0.3
    python benchmarks/bench_kfac.py --n 1024 --max-steps 300 --target 0.5
"""

from __future__ import annotations

import argparse
import time

import torch

from pivotal.ml import KFACPreconditioner

try:
    from _timing import machine_line
except ImportError:  # run as a module from the repository root
    from benchmarks._timing import machine_line


def _data(n: int, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    scales = torch.logspace(0, -2, 784)
    X = torch.randn(n, 784, generator=gen) * scales
    teacher = torch.nn.Sequential(torch.nn.Linear(784, 64), torch.nn.Tanh(), torch.nn.Linear(64, 10))
    with torch.no_grad():
        for p in teacher.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * 3 / p.shape[-1] ** 0.5)
        y = teacher(X / scales.mean()).argmax(dim=1)
    return X, y


def _model(seed: int = 1):
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Linear(784, 512),
        torch.nn.ReLU(),
        torch.nn.Linear(512, 256),
        torch.nn.ReLU(),
        torch.nn.Linear(256, 10),
    )


def train(kind: str, X, y, target: float, max_steps: int, lr: float) -> tuple[int | None, float, float]:
    model = _model()
    if kind == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    elif kind == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    else:  # the natural-gradient step is larger: plain SGD at a fifth of the rate, no momentum
        opt = torch.optim.SGD(model.parameters(), lr=lr / 5)
    kfac = KFACPreconditioner(model, damping=1e-2, inv_update_steps=10) if kind == "kfac" else None
    t0 = time.perf_counter()
    loss = float("nan")
    for step in range(1, max_steps + 1):
        opt.zero_grad()
        out = torch.nn.functional.cross_entropy(model(X), y)
        loss = out.item()
        if loss < target:
            return step, time.perf_counter() - t0, loss
        out.backward()
        if kfac is not None:
            kfac.step()
        opt.step()
    return None, time.perf_counter() - t0, loss


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=2048)
    parser.add_argument("--target", type=float, default=0.3)
    parser.add_argument("--max-steps", type=int, default=500)
    parser.add_argument("--lr", type=float, default=0.05)
    args = parser.parse_args()
    print(machine_line())
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; float32, full batch of {args.n}")
    X, y = _data(args.n)
    for kind in ("sgd", "adam", "kfac"):
        steps, seconds, loss = train(kind, X, y, args.target, args.max_steps, args.lr)
        reached = f"{steps} steps" if steps else f"not reached in {args.max_steps} steps (loss {loss:.3f})"
        print(f"{kind:5s}: target loss {args.target} {reached}, {seconds:.1f} s")


if __name__ == "__main__":
    main()
