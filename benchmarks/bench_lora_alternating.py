"""lora_init against torch.svd_lowrank(q=r, niter=4) and PEFT's whole pissa_niter_4 path, alternating (issue 14).

A trimmed companion of ``bench_lowrank.py`` for loaded machines: no full SVD, no float64 setup SVD (the
Eckart-Young optimum comes from the prescribed singular values), the three contenders run in turn five times with
seeds 0-4, and the medians and per-seed errors ||W - B A||_F / optimum are printed with the load average.
``THREADS`` sets torch's thread count (default 1: steadier under load).

Usage::

    PYTHONPATH=src python benchmarks/bench_lora_alternating.py 4096x4096 4096x11008
"""

import os
import sys
import time

import torch

from pivotal.ml import lora_init

torch.set_num_threads(int(os.environ.get("THREADS", "1")))


def problem(m, n, spec):
    gen = torch.Generator().manual_seed(0)
    k = min(m, n)
    u, _ = torch.linalg.qr(torch.randn(m, k, generator=gen))
    v, _ = torch.linalg.qr(torch.randn(n, k, generator=gen))
    i = torch.arange(1, k + 1, dtype=torch.float32)
    s = 1 / i if spec == "decaying" else 1 / (1 + 0.01 * i)
    return (u * s) @ v.T, s.double()


def peft(w, r):
    u, s, v = torch.svd_lowrank(w, q=r, niter=4)
    root = s.sqrt()
    b, a = u * root, root[:, None] * v.T
    return b, a, w - b @ a


r = 16
for size in sys.argv[1:]:
    m, n = [int(x) for x in size.split("x")]
    for spec in ("decaying", "flat"):
        w, s = problem(m, n, spec)
        opt = float(torch.sqrt(torch.sum(s[r:] ** 2)))
        T = {"ours": [], "svd_lowrank": [], "peft_path": []}
        E = {"ours": [], "peft_path": []}
        for rep in range(5):
            t0 = time.perf_counter()
            B, A, R = lora_init(w, r, random_state=rep)
            T["ours"].append(time.perf_counter() - t0)
            E["ours"].append(float(torch.linalg.norm(w.double() - B.double() @ A.double())) / opt)
            torch.manual_seed(rep)
            t0 = time.perf_counter()
            torch.svd_lowrank(w, q=r, niter=4)
            T["svd_lowrank"].append(time.perf_counter() - t0)
            torch.manual_seed(rep)
            t0 = time.perf_counter()
            B, A, R = peft(w, r)
            T["peft_path"].append(time.perf_counter() - t0)
            E["peft_path"].append(float(torch.linalg.norm(w.double() - B.double() @ A.double())) / opt)
        med = {k: sorted(v)[2] for k, v in T.items()}
        print(
            size,
            spec,
            {k: f"{v * 1e3:.0f}ms" for k, v in med.items()},
            f"ours/svd_lowrank {med['ours'] / med['svd_lowrank']:.2f} ours/peft_path {med['ours'] / med['peft_path']:.2f}",
            "err/EY ours",
            [round(e, 5) for e in E["ours"]],
            "peft",
            [round(e, 5) for e in E["peft_path"]],
            "load",
            os.getloadavg(),
            flush=True,
        )
