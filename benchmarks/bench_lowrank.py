"""lora_init (PiSSA) against PEFT's fast path torch.svd_lowrank(niter=4) and full torch.linalg.svd (issue 14).

For each weight (float32, decaying and flat spectra) prints the time of
``torch.linalg.svd``, of ``torch.svd_lowrank(W, q=r, niter=4)`` (PEFT's
``pissa_niter_4``), and of ``pivotal.ml.lora_init(W, r)``, with the ratio
ours / svd_lowrank and the Frobenius error of each rank-r part relative to the
Eckart-Young optimum (from the full SVD).  Target: at equal or better error,
at most 0.5x svd_lowrank's time.

Usage::

    python benchmarks/bench_lowrank.py                    # 4096 x 4096 and 4096 x 11008, r = 16
    python benchmarks/bench_lowrank.py --sizes 2048x2048 --repeats 3
"""

from __future__ import annotations

import argparse

import torch

from pivotal.ml import lora_init

try:
    from _timing import machine_line, paired_medians
except ImportError:  # run as a module from the repository root
    from benchmarks._timing import machine_line, paired_medians


def _weight(m: int, n: int, spectrum: str, seed: int = 0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    k = min(m, n)
    U, _ = torch.linalg.qr(torch.randn(m, k, generator=gen))
    V, _ = torch.linalg.qr(torch.randn(n, k, generator=gen))
    i = torch.arange(1, k + 1, dtype=torch.float32)
    s = 1 / i if spectrum == "decaying" else 1 / (1 + 0.01 * i)  # "flat": slow decay, tiny gaps
    return (U * s) @ V.T


def bench(m: int, n: int, r: int, spectrum: str, repeats: int) -> None:
    W = _weight(m, n, spectrum)
    full = lambda: torch.linalg.svd(W, full_matrices=False)  # noqa: E731
    fast = lambda: torch.svd_lowrank(W, q=r, niter=4)  # noqa: E731
    ours = lambda: lora_init(W, r, random_state=0)  # noqa: E731
    t_full, t_fast, t_ours = paired_medians([full, fast, ours], repeats)
    s = torch.linalg.svdvals(W.double())
    opt = float(torch.sqrt(torch.sum(s[r:] ** 2)))
    U, S, V = fast()
    err_fast = float(torch.linalg.norm(W.double() - (U * S).double() @ V.double().T)) / opt
    B, A, _ = ours()
    err_ours = float(torch.linalg.norm(W.double() - B.double() @ A.double())) / opt
    print(
        f"{m}x{n} r={r} {spectrum}: torch.linalg.svd {t_full:.2f} s, svd_lowrank(niter=4) {t_fast:.3f} s, "
        f"pivotal lora_init {t_ours:.3f} s, ratio ours/svd_lowrank {t_ours / t_fast:.2f} (target <= 0.5); "
        f"Frobenius error / Eckart-Young: svd_lowrank {err_fast:.6f}, pivotal {err_ours:.6f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="4096x4096,4096x11008")
    parser.add_argument("--r", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(machine_line())
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    for size in args.sizes.split(","):
        m, n = (int(x) for x in size.split("x"))
        for spectrum in ("decaying", "flat"):
            bench(m, n, args.r, spectrum, args.repeats)


if __name__ == "__main__":
    main()
