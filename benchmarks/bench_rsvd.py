"""Randomized SVD against scikit-learn and PyTorch (issue 5).

For each test matrix, prints the peers' times, ours, the ratio (ours / peer) and
the accuracy of each as ``err/opt = ||A - U diag(s) V^H||_2 / sigma_{k+1}`` (the
Eckart-Young optimum is 1) and the Frobenius analogue.  The dense comparisons
are the shared cases ``rsvd`` and ``rsvd_krylov`` of :mod:`pivotal.bench`
(the ones ``pivotal bench`` runs); ``--fixed-iter`` and ``--sklearn-iter``
add a table with those variants, and ``--sparse`` a sparse matrix (no peer
case covers them).

* ``pivotal.randomized._rsvd(A, k)`` with its defaults (``n_oversamples=10``,
  ``n_iter="auto"``, subspace iteration) and with ``method="block_krylov"``;
* ``sklearn.utils.extmath.randomized_svd(A, k)`` with its defaults
  (``n_oversamples=10``, ``n_iter="auto"`` = 7 power iterations here, LU
  normalisation), when scikit-learn is installed;
* ``torch.svd_lowrank(A, q=k + 10)`` (its default ``niter=2``; ``q = k + 10``
  gives it the same oversampling), when PyTorch is installed;
* ``fbpca.pca(A, k, raw=True)`` when fbpca is installed.

Test matrices: ``A = U diag(sigma) V^T`` (``m x n``) with ``sigma_i = 1/i`` and
``sigma_i = exp(-i/20)``.  ``U`` and ``V`` are single Householder reflections
(exactly orthogonal and dense, built in ``O(m n)``): every method here starts
from a Gaussian test matrix, whose distribution is invariant under orthogonal
transformations, so the error statistics are those of Haar-random ``U`` and
``V``, without the minutes an ``8000 x 3000`` QR costs on a small machine.

Target (issue 5): at equal error (err/opt <= 1.01), <= 0.6x scikit-learn's time.

Usage::

    python benchmarks/bench_rsvd.py                      # 8000 x 3000, k = 50
    python benchmarks/bench_rsvd.py --m 4000 --n 1500 --repeat 5
    python benchmarks/bench_rsvd.py --sparse             # also a sparse 1e6 x 1e4 matrix
    python benchmarks/bench_rsvd.py --sparse --no-dense --fixed-iter 7
"""

from __future__ import annotations

import argparse
import math

import numpy as np
import scipy.linalg
import scipy.sparse
import scipy.sparse.linalg as sla

from pivotal.bench.accuracy import frobenius_error as dense_frobenius_error
from pivotal.bench.accuracy import spectral_error
from pivotal.bench.cases_lstsq import householder_test_matrix
from pivotal.randomized import rsvd

try:
    from _timing import machine_line, paired_medians, run_cases
except ImportError:  # run as a module from the repository root
    from benchmarks._timing import machine_line, paired_medians, run_cases

__all__ = ["householder_test_matrix", "random_sparse"]  # bench_topk_grad imports them


def spectral_error_gram(A, G: np.ndarray, U, s, Vh) -> float:
    """``||A - U diag(s) Vh||_2`` for a very tall (sparse) ``A`` from its Gram matrix ``G = A^T A``.

    Lanczos on the ``n x n`` operator ``E^T E = G - C - C^T + Vh^T S^2 Vh`` with
    ``C = A^T U S Vh``: each product costs ``O(n^2)`` instead of a pass over
    ``A``, and the plateau spectra of random sparse matrices converge in
    seconds (``svds`` on the residual itself takes many minutes at 1e6 x 1e4).
    """
    AtU = np.asarray(A.T @ U)  # (n, k)

    def mv(x):
        x = np.ravel(x)
        svx = s * (Vh @ x)
        return G @ x - AtU @ svx - Vh.T @ (s * (AtU.T @ x)) + Vh.T @ (s * svx)

    n = G.shape[0]
    op = sla.LinearOperator((n, n), matvec=mv, dtype=np.float64)
    lam = sla.eigsh(op, k=1, which="LA", tol=1e-10, return_eigenvectors=False, v0=np.ones(n))
    return math.sqrt(max(float(lam[0]), 0.0))


def frobenius_error(A, U, s, Vh) -> float:
    if scipy.sparse.issparse(A):  # ||A - U S V^H||_F^2 = ||A||_F^2 - 2 tr(S U^H A V) + ||s||^2
        G = (U.T @ A) @ Vh.T  # U^T A V
        a2 = float(A.multiply(A).sum())
        return math.sqrt(max(a2 - 2 * float(np.sum(s * np.diag(G))) + float(np.sum(s**2)), 0.0))
    return dense_frobenius_error(A, U, s, Vh)


def random_sparse(m: int, n: int, density: float, seed: int = 0) -> scipy.sparse.csr_array:
    """Uniform [0, 1) entries at ``density * m * n`` uniformly random positions (CSR).

    ``scipy.sparse.random`` samples positions without replacement through a
    permutation of all ``m n`` of them (75 GiB at 1e6 x 1e4); drawing rows and
    columns independently is O(nnz), and the rare repeated positions are summed.
    """
    rng = np.random.default_rng(seed)
    nnz = round(density * m * n)
    rows = rng.integers(0, m, nnz)
    cols = rng.integers(0, n, nnz)
    return scipy.sparse.coo_array((rng.random(nnz), (rows, cols)), shape=(m, n)).tocsr()


def _peers(A, k: int, sklearn_iter: int | None = None):
    """``(label, fn)`` pairs; each ``fn`` returns ``(U, s, Vh)`` as NumPy arrays."""
    peers = []
    try:
        from sklearn.utils.extmath import randomized_svd

        peers.append(("sklearn", lambda: randomized_svd(A, k, random_state=0)))
        if sklearn_iter is not None:
            peers.append(
                (
                    f"sklearn q={sklearn_iter}",
                    lambda: randomized_svd(A, k, n_iter=sklearn_iter, random_state=0),
                )
            )
    except ImportError:
        print("(scikit-learn not installed: skipped)")
    try:
        import torch

        if not scipy.sparse.issparse(A):
            At = torch.from_numpy(A)

            def torch_lowrank():
                U, s, V = torch.svd_lowrank(At, q=k + 10)
                return U[:, :k].numpy(), s[:k].numpy(), V[:, :k].T.numpy()

            peers.append(("torch.svd_lowrank", torch_lowrank))
    except ImportError:
        print("(torch not installed: skipped)")
    try:
        import fbpca

        peers.append(("fbpca", lambda: fbpca.pca(A, k, raw=True)))
    except ImportError:
        pass
    return peers


def bench_case(
    label: str,
    A,
    sigma_tail: tuple[float, float],
    k: int,
    repeat: int,
    fixed_iter: int | None = None,
    sklearn_iter: int | None = None,
    gram: np.ndarray | None = None,
) -> None:
    opt2, optf = sigma_tail
    ours = [
        ("pivotal rsvd", lambda: rsvd(A, k, random_state=0)),
        ("pivotal rsvd krylov", lambda: rsvd(A, k, method="block_krylov", random_state=0)),
    ]
    if fixed_iter is not None:
        ours.append((f"pivotal rsvd q={fixed_iter}", lambda: rsvd(A, k, n_iter=fixed_iter, random_state=0)))
    peers = _peers(A, k, sklearn_iter)
    fns = [fn for _, fn in ours + peers]
    times = paired_medians(fns, repeat)
    results = {}
    for (name, fn), t in zip(ours + peers, times, strict=True):
        U, s, Vh = fn()
        e2 = (spectral_error(A, U, s, Vh) if gram is None else spectral_error_gram(A, gram, U, s, Vh)) / opt2
        ef = frobenius_error(A, U, s, Vh) / optf
        results[name] = (t, e2, ef)
    base = results.get("sklearn")
    print(f"\n{label}  (k = {k}, median of {repeat} alternating runs)")
    print(f"  {'method':22s} {'time (s)':>9s} {'/sklearn':>9s} {'err/opt (2)':>12s} {'err/opt (F)':>12s}")
    for name, (t, e2, ef) in results.items():
        ratio = f"{t / base[0]:9.2f}" if base else f"{'-':>9s}"
        print(f"  {name:22s} {t:9.3f} {ratio} {e2:12.5f} {ef:12.5f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--m", type=int, default=8000)
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--k", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sparse", action="store_true", help="also a sparse 1e6 x 1e4 matrix")
    parser.add_argument("--sparse-m", type=int, default=1_000_000)
    parser.add_argument("--sparse-n", type=int, default=10_000)
    parser.add_argument("--density", type=float, default=1e-3)
    parser.add_argument(
        "--fixed-iter", type=int, default=None, help="also time rsvd with this fixed n_iter (sklearn: 7)"
    )
    parser.add_argument(
        "--sklearn-iter",
        type=int,
        default=None,
        help="also time sklearn with this n_iter (equal-error check)",
    )
    parser.add_argument("--no-dense", action="store_true", help="skip the dense matrices")
    args = parser.parse_args()
    print(machine_line())
    try:
        from threadpoolctl import threadpool_info

        pools = ", ".join(f"{p['internal_api']} x{p['num_threads']}" for p in threadpool_info())
        print(f"thread pools: {pools}")
    except ImportError:
        pass
    m, n, k = args.m, args.n, args.k
    if not args.no_dense:
        # the shared cases (pivotal bench's): rsvd and rsvd_krylov against sklearn and torch
        sizes = [{"m": m, "n": n, "k": k, "decay": d} for d in ("harmonic", "exponential")]
        run_cases({"rsvd": sizes, "rsvd_krylov": sizes}, args.repeat)
    i = np.arange(1, n + 1, dtype=float)
    extra = args.fixed_iter is not None or args.sklearn_iter is not None
    dense = [("sigma_i = 1/i", 1 / i), ("sigma_i = exp(-i/20)", np.exp(-i / 20))]
    for name, sigma in [] if args.no_dense or not extra else dense:
        A = householder_test_matrix(m, n, sigma)
        tail = (sigma[k], float(np.sqrt(np.sum(sigma[k:] ** 2))))
        bench_case(f"{m} x {n} dense, {name}", A, tail, k, args.repeat, args.fixed_iter, args.sklearn_iter)
    if args.sparse:
        A = random_sparse(args.sparse_m, args.sparse_n, args.density)
        # The exact spectrum is unknown: the reference is the eigenvalues of the dense
        # Gram matrix A^T A (n x n; sigma_{k+1} is far above sqrt(u) sigma_1 here).
        gram = (A.T @ A).toarray()
        top = scipy.linalg.eigh(
            gram, eigvals_only=True, subset_by_index=[args.sparse_n - k - 1, args.sparse_n - 1]
        )
        ref = np.sqrt(np.maximum(top[::-1], 0.0))
        a2 = float(A.multiply(A).sum())
        tail = (float(ref[k]), math.sqrt(max(a2 - float(np.sum(ref[:k] ** 2)), 0.0)))
        bench_case(
            f"{args.sparse_m} x {args.sparse_n} sparse (density {args.density:g})",
            A,
            tail,
            k,
            args.repeat,
            args.fixed_iter,
            args.sklearn_iter,
            gram,
        )


if __name__ == "__main__":
    main()
