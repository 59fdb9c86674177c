"""Gradients through ``pivotal.solve`` and ``pivotal.inv_quad_logdet`` against PyTorch autograd (issue 12).

Two comparisons, each printing torch's time, ours, the ratio (ours / torch:
below 1 means pivotal is faster) and the relative agreement of the gradients:

* ``solve``: value plus backward of ``sum(W * solve(A, B))`` at n = 2000 with
  100 right-hand sides, ``pivotal.solve`` (LU, its checks and the
  ``refine="auto"`` backward-error test, then one adjoint solve with the same
  factors) against ``torch.linalg.solve``.  Target: <= 1.2x torch's time.
* ``gp``: value plus gradient of ``b^T A^{-1} b + log det A`` (the Gaussian
  process negative log likelihood's data terms) at n = 4000,
  ``pivotal.inv_quad_logdet`` (one Cholesky, ``A^{-1}`` from the factor)
  against torch autograd through ``torch.linalg.cholesky`` +
  ``torch.cholesky_solve`` + the log det from the factor's diagonal.
  Target: <= 1.0x.

Both run in float64 on CPU tensors with torch's default thread count.

Usage::

    python benchmarks/bench_autodiff_solve.py            # both
    python benchmarks/bench_autodiff_solve.py solve --n 2000 --k 100 --repeats 5
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

import pivotal as pv

try:
    from _timing import machine_line, paired_medians
except ImportError:  # run as a module from the repository root
    from benchmarks._timing import machine_line, paired_medians


def _rel(x, y) -> float:
    return float(torch.linalg.norm(x - y) / torch.linalg.norm(y))


def bench_solve(n: int, k: int, repeats: int) -> None:
    rng = np.random.default_rng(0)
    A0 = torch.tensor(rng.standard_normal((n, n)) + np.sqrt(n) * np.eye(n))
    B0 = torch.tensor(rng.standard_normal((n, k)))
    W = torch.tensor(rng.standard_normal((n, k)))

    def run(solver):
        A = A0.clone().requires_grad_(True)
        B = B0.clone().requires_grad_(True)
        loss = (W * solver(A, B)).sum()
        gA, gB = torch.autograd.grad(loss, (A, B))
        return gA, gB

    ours = lambda: run(pv.solve)  # noqa: E731
    theirs = lambda: run(torch.linalg.solve)  # noqa: E731
    t_ours, t_torch = paired_medians([ours, theirs], repeats)
    (ga, gb), (ha, hb) = ours(), theirs()
    f_ours, b_ours = _split_times(pv.solve, A0, B0, W, repeats)
    f_torch, b_torch = _split_times(torch.linalg.solve, A0, B0, W, repeats)
    # exact gradients: B_bar = A^{-T} W, A_bar = -B_bar X^T, here from a float64 solve each side
    print(
        f"solve value+backward n={n} k={k}: torch {t_torch * 1e3:.1f} ms, pivotal {t_ours * 1e3:.1f} ms, "
        f"ratio {t_ours / t_torch:.2f} (target <= 1.2); gradient agreement |dA| {_rel(ga, ha):.1e}, "
        f"|dB| {_rel(gb, hb):.1e}"
    )
    print(
        f"  split: forward torch {f_torch * 1e3:.1f} ms, pivotal {f_ours * 1e3:.1f} ms (ratio {f_ours / f_torch:.2f}: "
        f"rcond estimate + refine='auto' check); backward torch {b_torch * 1e3:.1f} ms, pivotal "
        f"{b_ours * 1e3:.1f} ms (ratio {b_ours / b_torch:.2f})"
    )


def _split_times(solver, A0, B0, W, repeats: int) -> tuple[float, float]:
    """Median forward time and median backward time of ``sum(W * solver(A, B))``, each timed alone."""
    import statistics
    import time

    fwd, bwd = [], []
    for _ in range(repeats + 1):  # the first call warms up
        A = A0.clone().requires_grad_(True)
        B = B0.clone().requires_grad_(True)
        t0 = time.perf_counter()
        loss = (W * solver(A, B)).sum()
        t1 = time.perf_counter()
        torch.autograd.grad(loss, (A, B))
        t2 = time.perf_counter()
        fwd.append(t1 - t0)
        bwd.append(t2 - t1)
    return statistics.median(fwd[1:]), statistics.median(bwd[1:])


def bench_gp(n: int, repeats: int) -> None:
    rng = np.random.default_rng(1)
    x = np.sort(rng.uniform(0, 10, n))
    K0 = torch.tensor(np.exp(-0.5 * (x[:, None] - x[None, :]) ** 2) + 1e-2 * np.eye(n))  # RBF + noise
    y0 = torch.tensor(np.sin(x) + 0.1 * rng.standard_normal(n))

    def ours():
        K = K0.clone().requires_grad_(True)
        y = y0.clone().requires_grad_(True)
        q, ld = pv.inv_quad_logdet(K, y)
        return torch.autograd.grad(q + ld, (K, y)), float((q + ld).detach())

    def theirs():
        K = K0.clone().requires_grad_(True)
        y = y0.clone().requires_grad_(True)
        L = torch.linalg.cholesky(K)
        q = (y * torch.cholesky_solve(y[:, None], L)[:, 0]).sum()
        ld = 2 * torch.log(torch.diagonal(L)).sum()
        return torch.autograd.grad(q + ld, (K, y)), float((q + ld).detach())

    t_ours, t_torch = paired_medians([ours, theirs], repeats)
    ((gk, gy), v1), ((hk, hy), v2) = ours(), theirs()

    # torch's gradient of K is not symmetric (cholesky reads the lower triangle, ours the upper):
    # compare the gradients of symmetric perturbations, G + G^T - diag(G).
    def sym(g):
        return g + g.T - torch.diag(torch.diagonal(g))

    print(
        f"inv_quad_logdet value+gradient n={n}: torch {t_torch * 1e3:.1f} ms, pivotal {t_ours * 1e3:.1f} ms, "
        f"ratio {t_ours / t_torch:.2f} (target <= 1.0); value agreement {abs(v1 - v2) / abs(v2):.1e}, "
        f"gradient agreement |dK| {_rel(sym(gk), sym(hk)):.1e}, |dy| {_rel(gy, hy):.1e}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("which", nargs="?", choices=["solve", "gp", "all"], default="all")
    parser.add_argument("--n", type=int, default=None, help="matrix size (default 2000 / 4000)")
    parser.add_argument("--k", type=int, default=100, help="right-hand sides for solve")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(machine_line())
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    if args.which in ("solve", "all"):
        bench_solve(args.n or 2000, args.k, args.repeats)
    if args.which in ("gp", "all"):
        bench_gp(args.n or 4000, args.repeats)


if __name__ == "__main__":
    main()
