"""rsvd on Dask: a matrix larger than the cluster's memory (issue 5, "Scale out on Dask").

A ``dask.distributed.LocalCluster`` of ``--workers`` worker processes, each
with ``--memory-limit`` (default 500MB), factors a lazily generated
``m x n`` float64 matrix (default 2,000,000 x 200 = 3.2 GB, more than the
workers' memory together) with ``pivotal.randomized._rsvd(A, k)`` (k = 20,
defaults otherwise).  ``A`` is never materialised: each row chunk is
generated on a worker, from counter-based random numbers, whenever a pass
needs it::

    A = G diag(sigma) V^T / sqrt(m),   G Gaussian (m x n),  V orthogonal,  sigma_i = 0.9^i

The reference is the exact SVD computed on the same cluster by a TSQR
(``pivotal.kernels.tsqr.tsqr``: one pass over ``A``, then the SVD of the
``n x n`` R), so the "true" singular values are certified to rounding
(``G / sqrt(m)`` is only orthonormal in expectation, so the nominal
``sigma`` are off by ``O(1/sqrt(m))``; that deviation is printed too).

Prints the cluster's memory limit, the matrix size, the time of rsvd (``U``
kept lazy, as rsvd returns it; then the time to compute ``U^H U`` from it,
one more pass) and of the exact TSQR-SVD, and the accuracy:
``max_i |s_i - sigma_i| / sigma_1`` against the TSQR values, and
``||U^H U - I||``.

Usage::

    python benchmarks/bench_dask_rsvd.py                       # 2e6 x 200, 2 workers x 500MB
    python benchmarks/bench_dask_rsvd.py --m 200000 --workers 2 --memory-limit 200MB
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from pivotal.randomized._random import root_key, tile_normal


def _blocks(m: int, n: int, seed: int):
    rng = np.random.default_rng(seed)
    V, _ = np.linalg.qr(rng.standard_normal((n, n)))
    sigma = 0.9 ** np.arange(n)
    right = sigma[:, None] * V.T / np.sqrt(m)
    key = root_key(seed)

    def block(block_info=None):
        (r0, r1), _ = block_info[None]["array-location"]
        return tile_normal(key, r0, r1, n) @ right

    return block, sigma


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--m", type=int, default=2_000_000)
    p.add_argument("--n", type=int, default=200)
    p.add_argument("--k", type=int, default=20)
    p.add_argument("--chunk-rows", type=int, default=25_000)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--threads", type=int, default=1, help="threads per worker")
    p.add_argument("--memory-limit", default="500MB", help="per worker")
    p.add_argument("--n-iter", default="auto", help='power iterations (int) or "auto"')
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()

    import dask
    import dask.array as da
    from dask.distributed import Client, LocalCluster
    from dask.utils import format_bytes, parse_bytes

    from pivotal.kernels.tsqr import tsqr
    from pivotal.randomized import rsvd

    m, n, k = args.m, args.n, args.k
    n_iter = args.n_iter if args.n_iter == "auto" else int(args.n_iter)
    cluster = LocalCluster(
        n_workers=args.workers,
        threads_per_worker=args.threads,
        memory_limit=args.memory_limit,
        dashboard_address=None,
    )
    client = Client(cluster)
    try:
        block, sigma_nominal = _blocks(m, n, args.seed)
        chunks = (args.chunk_rows,) * (m // args.chunk_rows)
        if m % args.chunk_rows:
            chunks += (m % args.chunk_rows,)
        A = da.map_blocks(block, chunks=(chunks, (n,)), dtype=np.float64)
        total_limit = args.workers * parse_bytes(args.memory_limit)
        print(
            f"cluster      : {args.workers} worker processes x {args.threads} thread(s), "
            f"memory_limit={args.memory_limit} each ({format_bytes(total_limit)} in all)"
        )
        print(
            f"matrix       : {m} x {n} float64 = {format_bytes(A.nbytes)} "
            f"({A.nbytes / total_limit:.1f}x the cluster's memory), {len(chunks)} row chunks of "
            f"{format_bytes(args.chunk_rows * n * 8)}, generated lazily"
        )

        t0 = time.perf_counter()
        U, s, Vh = rsvd(A, k, n_iter=n_iter, random_state=args.seed)
        t_rsvd = time.perf_counter() - t0
        t0 = time.perf_counter()
        gram = (U.T @ U).compute()
        t_gram = time.perf_counter() - t0

        t0 = time.perf_counter()
        R = tsqr(A, check_finite=False)[1].compute()
        sigma = np.linalg.svd(R, compute_uv=False)
        t_tsqr = time.perf_counter() - t0

        err_s = float(np.max(np.abs(s - sigma[:k])) / sigma[0])
        orth_u = float(np.linalg.norm(gram - np.eye(k)))
        orth_v = float(np.linalg.norm(Vh @ Vh.T - np.eye(k)))
        dev = float(np.max(np.abs(sigma[:k] - sigma_nominal[:k])) / sigma_nominal[0])
        print(
            f"rsvd k={k:<4}  : {t_rsvd:8.2f} s  (n_iter={n_iter!r}; U lazy, s and Vh NumPy; computing U^H U from "
            f"U: {t_gram:.2f} s)"
        )
        print(
            f"exact (TSQR) : {t_tsqr:8.2f} s  (R of A, then svd(R)); ratio rsvd/TSQR-SVD "
            f"{t_rsvd / t_tsqr:.2f}"
        )
        print(
            f"accuracy     : max|s_i - sigma_i|/sigma_1 = {err_s:.2e} (sigma from TSQR); "
            f"||U^H U - I|| = {orth_u:.1e}; ||Vh Vh^H - I|| = {orth_v:.1e}"
        )
        print(
            f"nominal sigma: TSQR sigma vs 0.9^i differ by {dev:.1e} relative (G/sqrt(m) is "
            "orthonormal only in expectation)"
        )
        print(f"s[:5]        : {np.array2string(s[:5], precision=12)}")
        print(f"dask {dask.__version__}; numpy {np.__version__}")
    finally:
        client.close()
        cluster.close()


if __name__ == "__main__":
    main()
