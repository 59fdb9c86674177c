"""How often does ``lstsq(lapack_driver="gelsy")`` overestimate the rank?  (A measurement, not a timing.)

On random rank-deficient problems -- ``A = X Y`` with Gaussian ``X (m x r)``,
``Y (r x n)``, ``4 <= m, n <= 60``, ``1 <= r < min(m, n)``, and a Gaussian
``b`` -- ``sigma_{r+1}(A)`` is rounding noise near ``u ||A||``, right at the
default threshold ``cond = eps``, so a rank decision can go either way.  An
overestimated rank puts a noise direction into the solution: counted here as
``||x|| > 1000 ||x_min||``, ``x_min`` the minimum-norm solution of the
rank-``r`` problem (from the SVD).

Compared: SciPy's gelsy (LAPACK ``xGELSY``: QR with column pivoting, rank by
incremental condition estimation), ``pivotal.lstsq(..., lapack_driver="gelsy")``
on NumPy (LAPACK's geqp3 pivots, pivotal's port of the incremental condition
estimation) and on PyTorch (pivotal's QRCP kernel), and the rule pivotal used
before (``|R_kk| > eps |R_00|``).

Usage::

    python benchmarks/bench_gelsy_rank.py                 # 1000 problems, seed 20240611
    python benchmarks/bench_gelsy_rank.py --count 300 --no-torch
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
import scipy.linalg as sl

import pivotal as pv
from pivotal.factorizations.qr import QRPivoted


def problems(seed: int, count: int):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        m, n = (int(v) for v in rng.integers(4, 61, size=2))
        r = int(rng.integers(1, min(m, n)))
        yield rng.standard_normal((m, r)) @ rng.standard_normal((r, n)), rng.standard_normal(m), r


def minimum_norm(A: np.ndarray, b: np.ndarray, r: int) -> float:
    u, s, vh = np.linalg.svd(A, full_matrices=False)
    return float(np.linalg.norm(vh[:r].T @ ((u[:, :r].T @ b) / s[:r])))


def diagonal_rule(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The former rule: rank = #{k : |R_kk| > eps |R_00|} on geqp3's R."""
    F = QRPivoted(A, check_finite=False)
    d = np.abs(np.diag(F.R))
    F.rank = int(np.count_nonzero(d > np.finfo(float).eps * d[0]))
    return F.lstsq(b)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=20240611)
    ap.add_argument("--no-torch", action="store_true")
    args = ap.parse_args()
    solvers = {
        "scipy gelsy": lambda A, b: sl.lstsq(A, b, lapack_driver="gelsy")[:3:2],
        "pivotal gelsy (NumPy)": lambda A, b: pv.lstsq(A, b, lapack_driver="gelsy")[:3:2],
        "former |R_kk| rule": lambda A, b: (diagonal_rule(A, b), None),
    }
    if not args.no_torch:
        import torch

        def torch_gelsy(A, b):
            x, _, rank, _ = pv.lstsq(torch.as_tensor(A), torch.as_tensor(b), lapack_driver="gelsy")
            return x.numpy(), rank

        solvers["pivotal gelsy (torch)"] = torch_gelsy
    bad = dict.fromkeys(solvers, 0)
    rank_differs = dict.fromkeys(solvers, 0)
    for A, b, r in problems(args.seed, args.count):
        ref = minimum_norm(A, b, r)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            results = {name: f(A, b) for name, f in solvers.items()}
        lapack_rank = results["scipy gelsy"][1]
        for name, (x, rank) in results.items():
            bad[name] += bool(np.linalg.norm(x) > 1000 * ref)
            rank_differs[name] += rank is not None and rank != lapack_rank
    print(f"{args.count} random rank-deficient problems (seed {args.seed}):")
    for name in solvers:
        same = "" if name == "former |R_kk| rule" else f"   rank != LAPACK's: {rank_differs[name]}"
        print(
            f"  {name:24s} ||x|| > 1000 ||x_min||: {bad[name]:4d} ({100 * bad[name] / args.count:.1f}%){same}"
        )


if __name__ == "__main__":
    main()
