"""A/B of the top-k backward (issue 12, fourth session): ours, ours with the old per-column CG, torch; alternated.

The shared ``topk_grad`` case of :mod:`pivotal.bench` (``A = householder(diag(1/i))``, the reference loss on
the top ``k`` triplets): ``ours`` is ``svds`` + ``svds_vjp`` (its complement solves by
:func:`pivotal.krylov.block_cg`), ``ours-old-cg`` the same with the complement solved column by column by
the batched :func:`pivotal.krylov.cg` (the solver before this change, patched in), ``torch`` autograd
through ``torch.linalg.svd``.  Medians of ``reps`` alternated repeats.

Usage::

    python benchmarks/ab_topk_backward.py N REPS K [K ...]     # e.g. 2000 3 1 8
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

import pivotal.autodiff.topk_krylov as tk
import pivotal.autodiff.topk_vjp as tv
from pivotal.bench.cases_autodiff import _topk_ours, _topk_torch, topk_problem
from pivotal.bench.timing import machine_line
from pivotal.krylov import cg

NEW = tk.solve_columns


def old_solve_columns(method, M, B, *, rtol, maxiter):
    """The complement solve before block_cg: one batched CG iteration per column."""
    X, info = cg(M, B, rtol=rtol, atol=0.0, maxiter=maxiter, return_info=True, check_finite=False)
    bn = np.linalg.norm(B, axis=0)
    res = np.asarray(info.residual_norms) / np.where(bn > 0, bn, 1.0)
    return X, tk.SolveReport(
        method, list(map(int, info.iterations)), list(map(float, res)), list(map(bool, info.converged))
    )


def sides(q):
    def new():
        tv.solve_columns = NEW
        return _topk_ours(q)

    def old():
        tv.solve_columns = old_solve_columns
        return _topk_ours(q)

    return {"ours": new, "ours-old-cg": old, "torch": lambda: _topk_torch(q)}


def main() -> None:
    n, reps, ks = int(sys.argv[1]), int(sys.argv[2]), [int(x) for x in sys.argv[3:]]
    print(machine_line())
    print(time.strftime("date: %Y-%m-%d %H:%M:%S %Z"), flush=True)
    for k in ks:
        q = topk_problem({"n": n, "k": k})
        fs = sides(q)
        for f in fs.values():
            f()  # warm-up
        T = {s: [] for s in fs}
        for r in range(reps):
            for s, f in fs.items():
                t0 = time.perf_counter()
                g = f()
                T[s].append(time.perf_counter() - t0)
                if r == 0 and s != "torch":
                    G = g.to_dense()
                    print(f"  {s}: grad error {np.linalg.norm(G - q.ref) / np.linalg.norm(q.ref):.1e}")
        med = {s: float(np.median(v)) for s, v in T.items()}
        print(
            f"n={n} k={k}: ours {1e3 * med['ours']:.0f} ms, ours with per-column CG "
            f"{1e3 * med['ours-old-cg']:.0f} ms, torch {1e3 * med['torch']:.0f} ms; torch/ours "
            f"{med['torch'] / med['ours']:.1f}x, torch/ours-old {med['torch'] / med['ours-old-cg']:.1f}x; "
            f"load {os.getloadavg()}",
            flush=True,
        )
    print(machine_line())


if __name__ == "__main__":
    main()
