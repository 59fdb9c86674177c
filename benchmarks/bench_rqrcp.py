"""Randomized QRCP (HQRRP) against LAPACK's QRCP, ``scipy.linalg.qr(A, pivoting=True)`` (issue 5).

For each size and input, prints SciPy's time (``dgeqp3``), ours
(:func:`pivotal.randomized._rqrcp`, full factorization), the speed-up, both
numerical ranks (``max(m, n) eps |R_00|`` on ``|diag(R)|``, the rule of
QRCP and of ``rqrcp``) and both ``||A P - Q R||_F / ||A||_F``.  For context
it also times unpivoted QR, ``scipy.linalg.qr(A)`` (``dgeqrf``), which no
column-pivoted QR can beat: HQRRP does the same BLAS-3 trailing updates
plus the sketch, so ``geqp3 / geqrf`` bounds the speed-up on a machine.

Inputs: ``full`` is Gaussian (full rank); ``deficient`` is
``gallery.rank_deficient(n, n, n // 4, kappa=1e3)`` (rank ``n / 4``);
``lowrank`` is an outer product of rank 50.

Target (issue 5): >= 3x faster than ``scipy.linalg.qr(pivoting=True)`` on
4000 x 4000, with the same numerical rank on rank-deficient inputs.

Usage::

    python benchmarks/bench_rqrcp.py                       # 2000 and 4000, mode economic
    python benchmarks/bench_rqrcp.py --sizes 4000 --mode r --repeat 3
    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_rqrcp.py   # single-threaded BLAS

``--mode economic`` (default) forms ``Q`` in both (``?orgqr``), ``r`` and
``raw`` do not; ``--block-size`` sets HQRRP's block size.
"""

from __future__ import annotations

import argparse
import os

import numpy as np
import scipy.linalg as sl

import pivotal as pv
from pivotal.randomized import rqrcp

try:
    from _timing import machine_line, paired_medians
except ImportError:  # run as a module from the repository root
    from benchmarks._timing import machine_line, paired_medians


def _rank(r: np.ndarray, shape) -> int:
    d = np.abs(np.diag(r))
    if d.size == 0 or d[0] == 0:
        return 0
    small = d <= max(shape) * np.finfo(r.dtype).eps * d[0]
    return int(np.argmax(small)) if small.any() else int(d.size)


def _resid(A: np.ndarray, Q: np.ndarray, R: np.ndarray, P: np.ndarray) -> float:
    return float(np.linalg.norm(A[:, P] - Q @ R) / np.linalg.norm(A))


def _matrix(kind: str, n: int, rng) -> np.ndarray:
    if kind == "full":
        return rng.standard_normal((n, n))
    if kind == "deficient":
        return pv.gallery.rank_deficient(n, n, n // 4, kappa=1e3, random_state=rng)
    x = rng.standard_normal((n, 50))
    return x @ rng.standard_normal((50, n))


def bench(sizes, kinds, mode: str, repeat: int, block_size, seed: int) -> None:
    rng = np.random.default_rng(seed)
    for n in sizes:
        for kind in kinds:
            A = _matrix(kind, n, rng)
            t_geqrf, t_s, t_o = paired_medians(
                [
                    lambda A=A: sl.qr(A, mode=mode, check_finite=False),
                    lambda A=A: sl.qr(A, pivoting=True, mode=mode, check_finite=False),
                    lambda A=A: rqrcp(
                        A, mode=mode, block_size=block_size, random_state=seed, check_finite=False
                    ),
                ],
                repeat,
            )
            Qs, Rs, Ps = sl.qr(A, pivoting=True, mode="economic")
            res = rqrcp(A, block_size=block_size, random_state=seed)
            Qo, Ro, Po = res
            print(
                f"n={n:5d} {kind:9s} mode={mode:8s} scipy geqp3 {t_s:7.3f}s  rqrcp {t_o:7.3f}s  "
                f"speed-up {t_s / t_o:5.2f}x  (geqrf, no pivoting: {t_geqrf:6.3f}s = {t_s / t_geqrf:4.2f}x)  "
                f"rank scipy {_rank(Rs, A.shape)} rqrcp {res.rank}  "
                f"|AP-QR|/|A| scipy {_resid(A, Qs, Rs, Ps):.1e} rqrcp {_resid(A, Qo, Ro, Po):.1e}",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 4000])
    parser.add_argument(
        "--kinds",
        nargs="+",
        default=["full", "deficient", "lowrank"],
        choices=["full", "deficient", "lowrank"],
    )
    parser.add_argument("--mode", choices=["economic", "r", "raw"], default="economic")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--block-size", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    print(machine_line() + f", OPENBLAS_NUM_THREADS={threads}, load average {load}")
    bench(args.sizes, args.kinds, args.mode, args.repeat, args.block_size, args.seed)


if __name__ == "__main__":
    main()
