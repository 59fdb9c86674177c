"""Randomized QRCP (HQRRP) against LAPACK's QRCP, ``scipy.linalg.qr(A, pivoting=True)`` (issue 5).

A thin wrapper over the shared case ``rqrcp`` of :mod:`pivotal.bench` (the
one ``pivotal bench`` runs).  For each size and input, prints SciPy's time
(``dgeqp3``), ours (:func:`pivotal.rqrcp`, full factorization), the ratio
ours / SciPy (below 1: pivotal is faster), both numerical ranks
(``max(m, n) eps |R_00|`` on ``|diag(R)|``, the rule of QRCP and of
``rqrcp``) and both ``||A P - Q R||_F / ||A||_F``.  (Unpivoted QR,
``dgeqrf``, which bounds any column-pivoted QR's speed-up, is timed by
``bench_overheads.py table``.)

Inputs: ``full`` is Gaussian (full rank); ``deficient`` is
``gallery.rank_deficient(n, n, n // 4, kappa=1e3)`` (rank ``n / 4``);
``lowrank`` is an outer product of rank 50.

Target (issue 5): >= 3x faster (ratio <= 0.33) than ``scipy.linalg.qr(pivoting=True)`` on
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

try:
    from _timing import machine_line, run_cases
except ImportError:  # run as a module from the repository root
    from benchmarks._timing import machine_line, run_cases


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
    print(machine_line() + f", OPENBLAS_NUM_THREADS={threads}")
    sizes = [
        {"n": n, "kind": kind, "mode": args.mode, "block_size": args.block_size, "seed": args.seed}
        for n in args.sizes
        for kind in args.kinds
    ]
    run_cases({"rqrcp": sizes}, args.repeat)


if __name__ == "__main__":
    main()
