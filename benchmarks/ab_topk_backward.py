"""A/B of the top-k value + gradient (issue 12, fifth session): svds forward by GKL or ARPACK, and torch; alternated.

The shared ``topk_grad`` case of :mod:`pivotal.bench` (``A = householder(diag(1/i))``, the reference loss on
the top ``k`` triplets): ``ours-gkl`` is ``svds(method="gkl")`` (thick-restarted Golub-Kahan-Lanczos, what
``"auto"`` picks for dense input) + ``svds_vjp``, ``ours-arpack`` the same with ``svds(method="lanczos")``
(SciPy's ARPACK, the forward before this change), ``torch`` autograd through ``torch.linalg.svd``
(``--no-torch`` leaves it out).  Medians of ``reps`` alternated repeats, both the wall time
(``time.perf_counter``) and the process CPU time (``time.process_time``); the forward / backward split of
ours is the wall time of each part.  Run with ``OPENBLAS_NUM_THREADS=1`` for single-thread figures (torch's
threads follow ``torch.set_num_threads``, set here to the same count).

Usage::

    python benchmarks/ab_topk_backward.py N REPS K [K ...] [--no-torch]     # e.g. 2000 5 1 8
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

from pivotal.autodiff.topk_vjp import svds_vjp
from pivotal.bench.cases_autodiff import _signs, _topk_torch, topk_problem
from pivotal.bench.timing import machine_line
from pivotal.randomized import svds


def ours(q, method, split):
    t0 = time.perf_counter()
    u, s, vh = svds(q.a, q.k, method=method)
    t1 = time.perf_counter()
    order = np.argsort(-s)
    u, s, vh = u[:, order], s[order], vh[order]
    sg = _signs(u)
    u, vh = u * sg, vh * sg[:, None]
    g, info = svds_vjp(q.a, u, s, vh, q.phi, q.xi, q.psi.T, return_info=True)
    split.append((t1 - t0, time.perf_counter() - t1, max(info.iterations)))
    return g


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    with_torch = "--no-torch" not in sys.argv
    n, reps, ks = int(args[0]), int(args[1]), [int(x) for x in args[2:]]
    threads = int(os.environ.get("OPENBLAS_NUM_THREADS", "0") or 0)
    if with_torch and threads:
        import torch

        torch.set_num_threads(threads)
    print(machine_line())
    print(
        time.strftime("date: %Y-%m-%d %H:%M:%S %Z"),
        f"OPENBLAS_NUM_THREADS={threads or 'default'}",
        flush=True,
    )
    for k in ks:
        q = topk_problem({"n": n, "k": k})
        splits = {"ours-gkl": [], "ours-arpack": []}
        fs = {
            "ours-gkl": lambda q=q, sp=splits: ours(q, "gkl", sp["ours-gkl"]),
            "ours-arpack": lambda q=q, sp=splits: ours(q, "lanczos", sp["ours-arpack"]),
        }
        if with_torch:
            fs["torch"] = lambda q=q: _topk_torch(q)
        for s, f in fs.items():
            g = f()  # warm-up, and the accuracy
            if s != "torch":
                G = g.to_dense()
                print(f"  {s}: grad error {np.linalg.norm(G - q.ref) / np.linalg.norm(q.ref):.1e}")
        wall = {s: [] for s in fs}
        cpu = {s: [] for s in fs}
        for _ in range(reps):
            for s, f in fs.items():
                c0, t0 = time.process_time(), time.perf_counter()
                f()
                wall[s].append(time.perf_counter() - t0)
                cpu[s].append(time.process_time() - c0)
        for s in fs:
            line = f"n={n} k={k} {s:12s} wall {1e3 * np.median(wall[s]):7.1f} ms  cpu {1e3 * np.median(cpu[s]):7.1f} ms"
            if s in splits:
                sp = np.array(splits[s][1:])
                line += (
                    f"  (forward {1e3 * np.median(sp[:, 0]):.1f} ms, backward {1e3 * np.median(sp[:, 1]):.1f} ms, "
                    f"CG iterations {int(np.median(sp[:, 2]))})"
                )
            if with_torch and s != "torch":
                line += (
                    f"  torch/ours wall {np.median(wall['torch']) / np.median(wall[s]):.1f}x"
                    f" cpu {np.median(cpu['torch']) / np.median(cpu[s]):.1f}x"
                )
            print(line, flush=True)
        print(f"  load {os.getloadavg()}", flush=True)
    print(machine_line())


if __name__ == "__main__":
    main()
