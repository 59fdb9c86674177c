"""Value and gradient of a top-k SVD loss: pivotal (svds + matrix-free backward) against torch and JAX (issue 12).

The loss is the issue's reference function on the top ``k`` triplets,

    f(A) = sum_i xi_i s_i + phi_i^T u_i + psi_i^T v_i,

with the largest-|.| entry of each ``u_i`` made positive (the same rule for every
library).  The dense comparison is the shared case ``topk_grad`` of
:mod:`pivotal.bench` (the one ``pivotal bench`` runs): for each size, ``k`` and
``--method``, the median time of value + gradient for

* ours: ``pivotal.randomized.svds(A, k)`` (``method="auto"``: Golub-Kahan-Lanczos here, ``--method lanczos``: ARPACK;
  ``--method randomized`` for the block Krylov forward) and
  ``pivotal.autodiff.topk_vjp.svds_vjp`` (``backward="cg"``), the gradient
  kept as its rank-2k factors (``LowRankGradient``);
* torch autograd through ``torch.linalg.svd`` (full thin SVD);
* ``jax.jit(jax.value_and_grad(f))`` through ``jnp.linalg.svd``;

the ratio ours / peer, and each gradient's error ``||G - G_ref||_F / ||G_ref||_F``
against the closed-form gradient from a NumPy full SVD.  Test matrices:
``A = (I - 2uu^T) diag(sigma) (I - 2vv^T)`` with ``sigma_i = 1/i``
(``pivotal.bench.cases_lstsq.householder_test_matrix``: dense, exactly
orthogonal factors).

Targets (issue 12): >= 30x faster than torch at 2000 (ratio <= 1/30), >= 100x at 4000,
agreement 1e-8.

``--floor``: where our time goes, for each dense size and ``k``: the medians of the forward and of the
backward, how many products with ``A`` / ``A^H`` each makes (one vector at a time in the forward,
blocks of ``k`` columns in the backward), and the median time of one such product alone.  Products
times their count is the floor of that algorithm on this machine (the rest is orthogonalization and
small dense work).

``--sparse``: a ``scipy.sparse`` matrix of 10^6 x 10^4 with 10^7 nonzeros (uniform
entries; about 1 GB in all), where no full SVD can run: time of svds + backward
(k = 1) and the peak resident memory.

Usage::

    python benchmarks/bench_topk_grad.py                    # n = 2000, k = 1 and 8
    python benchmarks/bench_topk_grad.py --n 2000 4000 --repeat 3
    python benchmarks/bench_topk_grad.py --no-dense --sparse
    python benchmarks/bench_topk_grad.py --k 8 --method auto randomized
    python benchmarks/bench_topk_grad.py --no-dense --floor --n 2000 4000 --k 8
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from pivotal.autodiff.topk_vjp import svds_vjp
from pivotal.randomized import svds

try:
    from _timing import machine_line, run_cases
    from bench_rsvd import random_sparse
except ImportError:  # run as a module from the repository root
    from benchmarks._timing import machine_line, run_cases
    from benchmarks.bench_rsvd import random_sparse


def _signs(U):
    idx = np.argmax(np.abs(U), axis=0)
    return np.sign(U[idx, np.arange(U.shape[1])])


def ours(A, k, xi, phi, psi, dense=False, split=None, method="auto"):
    """(f, gradient, info) from pivotal: svds, then the matrix-free backward (``split``: their times)."""
    t0 = time.perf_counter()
    U, s, Vh = svds(A, k, method=method)
    t1 = time.perf_counter()
    order = np.argsort(-s)
    U, s, Vh = U[:, order], s[order], Vh[order]
    sg = _signs(U)
    U, Vh = U * sg, Vh * sg[:, None]
    f = float(xi @ s + np.sum(phi * U) + np.sum(psi * Vh.T))
    g, info = svds_vjp(A, U, s, Vh, phi, xi, psi.T, return_info=True)
    if split is not None:
        split[:] = [t1 - t0, time.perf_counter() - t1]
    return f, (g.to_dense() if dense else g), info


def _median_ms(fn, repeat: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * float(np.median(times))


def floor_case(n: int, k: int, repeat: int) -> None:
    """Forward / backward medians, their product counts and the time of one product (module notes)."""
    from pivotal.autodiff.topk_krylov import ProductOperator
    from pivotal.bench.cases_autodiff import topk_problem
    from pivotal.randomized._gkl import gkl_svds

    q = topk_problem({"n": n, "k": k})
    A = q.a
    U, s, Vh, gkl = gkl_svds(A, k)
    sg = _signs(U)
    U, Vh = U * sg, Vh * sg[:, None]
    _, info = svds_vjp(A, U, s, Vh, q.phi, q.xi, q.psi.T, return_info=True)
    t_fwd = _median_ms(lambda: gkl_svds(A, k), repeat)
    t_bwd = _median_ms(lambda: svds_vjp(A, U, s, Vh, q.phi, q.xi, q.psi.T), repeat)
    op = ProductOperator(A)
    v, V = np.ones(n), np.ones((n, k))
    t_mv = 0.5 * (_median_ms(lambda: A @ v, 5 * repeat) + _median_ms(lambda: A.T @ v, 5 * repeat))
    t_mm = 0.5 * (
        _median_ms(lambda: op.matmat(V), 5 * repeat) + _median_ms(lambda: op.rmatmat(V), 5 * repeat)
    )
    n_fwd, n_bwd = 2 * gkl["steps"], info.products // k
    print(
        f"n = {n}, k = {k}: forward {t_fwd:.1f} ms = {n_fwd} matrix-vector products x {t_mv:.2f} ms "
        f"({n_fwd * t_mv:.1f} ms) + {t_fwd - n_fwd * t_mv:.1f} ms; backward {t_bwd:.1f} ms = {n_bwd} products "
        f"with {k} columns x {t_mm:.2f} ms ({n_bwd * t_mm:.1f} ms) + {t_bwd - n_bwd * t_mm:.1f} ms "
        f"(block CG steps {max(info.iterations)})",
        flush=True,
    )


def sparse_case(m: int, n: int, nnz: int, k: int) -> None:
    t0 = time.perf_counter()
    S = random_sparse(m, n, nnz / (m * n), seed=0)
    t_build = time.perf_counter() - t0
    rng = np.random.default_rng(1)
    xi, phi, psi = rng.standard_normal(k), rng.standard_normal((m, k)), rng.standard_normal((n, k))
    t0 = time.perf_counter()
    _, g, info = ours(S, k, xi, phi, psi)
    t1 = time.perf_counter()
    on_pattern = g.on_pattern(S)
    t2 = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB -> GiB
    print(
        f"\nsparse {m} x {n}, {S.nnz} nonzeros (built in {t_build:.1f} s), k = {k}: value + gradient "
        f"{t1 - t0:.2f} s (CG iterations {info.iterations}, residual {max(info.residuals):.1e}), "
        f"gradient at A's pattern {t2 - t1:.2f} s ({on_pattern.nnz} entries); peak RSS {peak:.2f} GiB"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, nargs="+", default=[2000])
    p.add_argument("--k", type=int, nargs="+", default=[1, 8])
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--no-dense", action="store_true", help="skip the dense cases")
    p.add_argument("--sparse", action="store_true", help="also the 1e6 x 1e4 sparse case (~1 GB)")
    p.add_argument("--floor", action="store_true", help="also where our time goes (products and the rest)")
    p.add_argument(
        "--method", nargs="+", default=["auto"], help="svds forward methods to time (auto, randomized, ...)"
    )
    args = p.parse_args()
    print(machine_line())
    print(time.strftime("date: %Y-%m-%d %H:%M:%S %Z"))
    if not args.no_dense:
        sizes = [{"n": n, "k": k, "method": m} for n in args.n for k in args.k for m in args.method]
        run_cases({"topk_grad": sizes}, args.repeat)
    if args.floor:
        for n in args.n:
            for k in args.k:
                floor_case(n, k, args.repeat)
    if args.sparse:
        sparse_case(10**6, 10**4, 10**7, 1)
    print(machine_line())  # the load again, after the run


if __name__ == "__main__":
    main()
