"""Value and gradient of a top-k SVD loss: pivotal (svds + matrix-free backward) against torch and JAX (issue 12).

The loss is the issue's reference function on the top ``k`` triplets,

    f(A) = sum_i xi_i s_i + phi_i^T u_i + psi_i^T v_i,

with the largest-|.| entry of each ``u_i`` made positive (the same rule for every
library).  For each size and ``k`` the script prints the median time of
value + gradient for

* ours: ``pivotal.randomized.svds(A, k)`` (default ``method="auto"``: ARPACK here;
  ``--method randomized`` for the block Krylov forward) and
  ``pivotal.autodiff.topk_vjp.svds_vjp`` (``backward="cg"``), the gradient
  kept as its rank-2k factors (``LowRankGradient``), and the same followed by
  ``to_dense()`` (the dense m x n array the peers return);
* ours (torch wired): what a PyTorch user writes, ``pv.svds(A_t, k)`` on a tensor
  that requires grad and ``f.backward()`` (rule ``svds``: the same forward and
  backward, the gradient multiplied out into ``A_t.grad``);
* torch autograd through ``torch.linalg.svd`` (full thin SVD);
* ``jax.jit(jax.value_and_grad(f))`` through ``jnp.linalg.svd``;

the ratios peer / ours, and the agreement ``||G - G_torch||_F / ||G_torch||_F``.
Test matrices: ``A = (I - 2uu^T) diag(sigma) (I - 2vv^T)`` with ``sigma_i = 1/i``
(benchmarks/bench_rsvd.householder_test_matrix: dense, exactly orthogonal factors).

Targets (issue 12): >= 30x faster than torch at 2000, >= 100x at 4000, agreement 1e-8.

``--sparse``: a ``scipy.sparse`` matrix of 10^6 x 10^4 with 10^7 nonzeros (uniform
entries; about 1 GB in all), where no full SVD can run: time of svds + backward
(k = 1) and the peak resident memory.

Usage::

    python benchmarks/bench_topk_grad.py                    # n = 2000, k = 1 and 8
    python benchmarks/bench_topk_grad.py --n 2000 4000 --repeat 3
    python benchmarks/bench_topk_grad.py --no-dense --sparse
    python benchmarks/bench_topk_grad.py --k 8 --method auto randomized
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

import pivotal as pv
from pivotal.autodiff.topk_vjp import svds_vjp
from pivotal.randomized import svds

try:
    from _timing import machine_line, paired_medians
    from bench_rsvd import householder_test_matrix, random_sparse
except ImportError:  # run as a module from the repository root
    from benchmarks._timing import machine_line, paired_medians
    from benchmarks.bench_rsvd import householder_test_matrix, random_sparse


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


def _torch_run(A, k, xi, phi, psi, triplets):
    """``run()`` -> (f, A.grad) by torch autograd, with ``triplets(A_t)`` the top k in descending order."""
    import torch

    At = torch.tensor(A, requires_grad=True)
    xi_t, phi_t, psi_t = torch.tensor(xi), torch.tensor(phi), torch.tensor(psi)

    def run():
        At.grad = None
        U, s, Vh = triplets(At)
        idx = torch.argmax(U.detach().abs(), dim=0)
        sg = torch.sign(U.detach()[idx, torch.arange(k)])
        U, Vh = U * sg, Vh * sg[:, None]
        f = (xi_t * s).sum() + (phi_t * U).sum() + (psi_t * Vh.T).sum()
        f.backward()
        return float(f.detach()), At.grad.numpy()

    return run


def ours_torch(A, k, xi, phi, psi, method="auto"):
    """What a PyTorch user writes: pv.svds on a tensor that requires grad, then f.backward()."""
    import torch

    def triplets(At):
        U, s, Vh = pv.svds(At, k, method=method)
        return torch.flip(U, (1,)), torch.flip(s, (0,)), torch.flip(Vh, (0,))

    return _torch_run(A, k, xi, phi, psi, triplets)


def torch_fn(A, k, xi, phi, psi):
    """Torch autograd through the full thin SVD."""
    import torch

    def triplets(At):
        U, s, Vh = torch.linalg.svd(At, full_matrices=False)
        return U[:, :k], s[:k], Vh[:k]

    return _torch_run(A, k, xi, phi, psi, triplets)


def jax_fn(A, k, xi, phi, psi):
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    Aj = jnp.asarray(A)

    def f(X):
        U, s, Vh = jnp.linalg.svd(X, full_matrices=False)
        U, s, Vh = U[:, :k], s[:k], Vh[:k]
        idx = jnp.argmax(jnp.abs(jax.lax.stop_gradient(U)), axis=0)
        sg = jnp.sign(jax.lax.stop_gradient(U)[idx, jnp.arange(k)])
        U, Vh = U * sg, Vh * sg[:, None]
        return (xi * s).sum() + (phi * U).sum() + (psi * Vh.T).sum()

    vg = jax.jit(jax.value_and_grad(f))

    def run():
        v, g = vg(Aj)
        return float(v), np.asarray(g.block_until_ready())

    return run


def dense_case(n: int, k: int, repeat: int, peers: bool, methods=("auto",)) -> None:
    sigma = 1.0 / np.arange(1, n + 1)
    A = householder_test_matrix(n, n, sigma, seed=0)
    rng = np.random.default_rng(1)
    xi, phi, psi = rng.standard_normal(k), rng.standard_normal((n, k)), rng.standard_normal((n, k))
    fns, labels = [], []
    for m in methods:
        fns += [
            lambda m=m: ours(A, k, xi, phi, psi, method=m),
            lambda m=m: ours(A, k, xi, phi, psi, dense=True, method=m),
            ours_torch(A, k, xi, phi, psi, method=m),
        ]
        labels += [f"ours {m} (low-rank)", f"ours {m} (+to_dense)", f"ours {m} (torch wired)"]
    if peers:
        fns += [torch_fn(A, k, xi, phi, psi), jax_fn(A, k, xi, phi, psi)]
        labels += ["torch", "jax"]
    times = paired_medians(fns, repeat)
    print(f"\nA {n} x {n}, sigma_i = 1/i, k = {k} (medians of {repeat}, interleaved):")
    grads = {}
    for j, m in enumerate(methods):
        split = [0.0, 0.0]
        f_ours, G, info = ours(A, k, xi, phi, psi, dense=True, split=split, method=m)
        grads[m] = (f_ours, G, fns[3 * j + 2]()[1])
        print(
            f"  method={m}: CG iterations {info.iterations}, products {info.products}, max residual "
            f"{max(info.residuals):.1e}; one run: svds {split[0] * 1e3:.1f} ms + backward "
            f"{split[1] * 1e3:.1f} ms"
        )
    for label, t in zip(labels, times, strict=True):
        print(f"  {label:32s} {t * 1e3:10.1f} ms")
    if peers:
        t_torch, t_jax = times[-2], times[-1]
        f_t, G_t = fns[-2]()
        f_j, G_j = fns[-1]()
        ref = np.linalg.norm(G_t)
        for j, m in enumerate(methods):
            f_ours, G, G_w = grads[m]
            lo, de, wi = times[3 * j : 3 * j + 3]
            print(
                f"  method={m}: ratio torch/ours {t_torch / lo:7.1f}x (dense {t_torch / de:.1f}x, wired "
                f"{t_torch / wi:.1f}x), jax/ours {t_jax / lo:7.1f}x (dense {t_jax / de:.1f}x)"
            )
            print(
                f"  method={m}: agreement ours vs torch {np.linalg.norm(G - G_t) / ref:.1e}, wired vs torch "
                f"{np.linalg.norm(G_w - G_t) / ref:.1e}, jax vs torch {np.linalg.norm(G_j - G_t) / ref:.1e}; "
                f"|f_ours - f_torch| {abs(f_ours - f_t):.1e}, |f_jax - f_torch| {abs(f_j - f_t):.1e}"
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
    p.add_argument("--no-peers", action="store_true", help="time ours only")
    p.add_argument("--no-dense", action="store_true", help="skip the dense cases")
    p.add_argument("--sparse", action="store_true", help="also the 1e6 x 1e4 sparse case (~1 GB)")
    p.add_argument(
        "--method", nargs="+", default=["auto"], help="svds forward methods to time (auto, randomized, ...)"
    )
    args = p.parse_args()
    print(machine_line())
    print(time.strftime("date: %Y-%m-%d %H:%M:%S %Z"))
    if not args.no_dense:
        for n in args.n:
            for k in args.k:
                dense_case(n, k, args.repeat, not args.no_peers, tuple(args.method))
    if args.sparse:
        sparse_case(10**6, 10**4, 10**7, 1)
    print(machine_line())  # the load again, after the run


if __name__ == "__main__":
    main()
