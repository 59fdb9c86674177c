"""lora_init (PiSSA) against PEFT's fast path torch.svd_lowrank(niter=4) and full torch.linalg.svd (issue 14).

A thin wrapper over the shared case ``lora_init`` of :mod:`pivotal.bench`
(the one ``pivotal bench`` runs).  For each weight (float32, decaying and
flat spectra) prints the time of ``pivotal.ml.lora_init(W, r)``, of
``torch.svd_lowrank(W, q=r, niter=4)`` (PEFT's ``pissa_niter_4``) and of
``torch.linalg.svd``, the ratio ours / peer, and the Frobenius error of each
rank-r part relative to the Eckart-Young optimum.  Target: at equal or
better error, at most 0.5x svd_lowrank's time.

Usage::

    python benchmarks/bench_lowrank.py                    # 4096 x 4096 and 4096 x 11008, r = 16
    python benchmarks/bench_lowrank.py --sizes 2048x2048 --repeats 3
"""

from __future__ import annotations

import argparse

try:
    from _timing import machine_line, run_cases
except ImportError:  # run as a module from the repository root
    from benchmarks._timing import machine_line, run_cases


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="4096x4096,4096x11008")
    parser.add_argument("--r", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    import torch

    print(machine_line())
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    sizes = []
    for size in args.sizes.split(","):
        m, n = (int(x) for x in size.split("x"))
        sizes += [{"m": m, "n": n, "r": args.r, "spectrum": s} for s in ("decaying", "flat")]
    run_cases({"lora_init": sizes}, args.repeats)


if __name__ == "__main__":
    main()
