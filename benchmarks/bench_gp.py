"""``pivotal.ml.GaussianProcessRegressor`` against scikit-learn's (issue 13).

Two modes, each printing scikit-learn's figure, ours, and the ratio
(scikit-learn / ours: above 1 means pivotal is faster or smaller):

* ``fit`` (default): the shared case ``gp`` of :mod:`pivotal.bench` (the one
  ``pivotal bench`` runs): ``fit`` with the L-BFGS-B optimiser, ARD RBF + White on
  ``d`` features, from the same start and the same restarts
  (``random_state`` fixed, so both draw the same restart points).  Time,
  peak traced memory (``tracemalloc``: NumPy's allocations, not BLAS
  workspace), the final log marginal likelihood of each, and the number of
  likelihood evaluations.  Issue 13's target, at n = 2000 and 5000, d = 8:
  >= 3x faster at equal or better LML, peak memory <= 1/2 of scikit-learn's.
* ``components``: one LML-gradient evaluation's two expensive parts, ours
  against the alternatives: ``K^{-1}`` by LAPACK ``potri`` in the factor's memory (used)
  against ``potrs`` on an identity and ``trsm(L, I)`` + ``syrk``; the GEMM gradient
  contraction (used) against exact differences per dimension (the earlier path) and against
  building ``dK/dtheta`` (``n x n x p``) and contracting it with ``einsum``
  (scikit-learn's way).  Median of ``--repeats`` paired runs.
* ``evaluation``: one log-marginal-likelihood-and-gradient evaluation at
  fixed hyperparameters (timed after the fit that sets each model up), by
  ``method="cholesky"`` and ``method="cg"`` (``--cg probes:rank:rtol ...``, one row
  each, and ``--store-kernel``), with
  scikit-learn's (its ``n x n x p`` gradient tensor; skipped with the memory
  it would need when that exceeds ``--max-gib``) and, where ``gpytorch`` is
  installed, GPyTorch's exact GP on CPU (float64, its default CG/Lanczos
  path: ``max_cholesky_size=0``), all in the same run.  Time, peak traced
  memory (GPyTorch's torch allocations are not traced: its memory column
  is left blank), the LML and its difference from the exact one, and cg's
  reported standard error.  Issue 13's configuration: ``--n 20000 --d 8``.

* ``path``: ours and scikit-learn's LML + gradient, timed one after the other at every
  ``--every``-th point of our L-BFGS-B path (the same path both optimisers take): a per-
  evaluation ratio that a machine's changing load affects less than two separate fits.

``fit --method cg`` fits ours by the matrix-free path (``--probes``,
``--rank``).

Usage::

    python benchmarks/bench_gp.py fit --n 2000 --d 8 --restarts 0
    python benchmarks/bench_gp.py fit --n 5000 --d 8 --restarts 0
    python benchmarks/bench_gp.py components --n 2000 --d 8
    python benchmarks/bench_gp.py evaluation --n 20000 --d 8
    python benchmarks/bench_gp.py path --n 2000 --d 8 --every 5
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np
import scipy.linalg as sl
from scipy.linalg import lapack

try:
    from _timing import machine_line, paired_medians, run_cases
except ImportError:  # run as a module from the repository root
    from benchmarks._timing import machine_line, paired_medians, run_cases

from pivotal.ml import GaussianProcessRegressor
from pivotal.ml import kernels as pk


def _problem(n: int, d: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n, d))
    w = rng.standard_normal(d) / np.arange(1, d + 1)  # decaying relevance: a real ARD problem
    y = np.sin(3 * X @ w) + 0.5 * X[:, 0] ** 2 + 0.1 * rng.standard_normal(n)
    return X, y


def _timed_peak(fn):
    tracemalloc.start()
    t0 = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return out, dt, peak


def bench_fit(
    n: int, d: int, restarts: int, method: str = "auto", cg_options: dict | None = None, memory: str = "fit"
) -> None:
    """The shared case ``gp`` (one timed fit each), then each side's peak traced memory and our fit report.

    ``memory="fit"`` fits each side again under ``tracemalloc``; ``"evaluation"`` traces one
    LML + gradient evaluation of each at the start (the fit's peak is its evaluations' peak
    plus the training data), which at n = 5000 saves the two traced fits' quarter hour.
    """
    from sklearn.gaussian_process import GaussianProcessRegressor as SkGPR
    from sklearn.gaussian_process import kernels as sk

    from pivotal.bench.cases_ml import GP, gp_problem

    params = {"n": n, "d": d, "restarts": restarts, "method": method, "cg_options": cg_options}
    print(machine_line())
    print(f"fit with L-BFGS-B, n={n}, d={d}, ARD RBF + White, restarts={restarts}, ours: method={method!r}")
    run_cases({"gp": [params]}, 1)
    problem = gp_problem(params)
    if memory == "fit":
        ours, _, m_ours = _timed_peak(lambda: GP.ours.run(problem))
        ref, _, m_ref = _timed_peak(lambda: GP.peers[0].run(problem))
        what = "the whole fit"
    else:
        start = pk.ConstantKernel(1.0) * pk.RBF(np.ones(d)) + pk.WhiteKernel(0.1)
        sk_start = sk.ConstantKernel(1.0) * sk.RBF(np.ones(d)) + sk.WhiteKernel(0.1)
        options = None if method == "cholesky" else cg_options
        ours = GaussianProcessRegressor(
            start, optimizer=None, method=method, cg_options=options, random_state=0
        )
        ours.fit(problem.x, problem.y)
        ref = SkGPR(sk_start, optimizer=None).fit(problem.x, problem.y)
        _, _, m_ours = _timed_peak(lambda: ours.log_marginal_likelihood(start.theta, eval_gradient=True))
        _, _, m_ref = _timed_peak(lambda: ref.log_marginal_likelihood(start.theta, eval_gradient=True))
        what = "one LML + gradient evaluation at the start; the report below is at the start too"
    print(
        f"  peak traced memory ({what}): scikit-learn {m_ref / 2**20:.1f} MiB, pivotal "
        f"{m_ours / 2**20:.1f} MiB (ratio sklearn/ours {m_ref / m_ours:.2f}x)"
    )
    r = ours.fit_report_
    print(f"  our report: rcond {r.rcond:.3g}, backward error {r.backward_error:.3g}, jitter {r.jitter:g}")
    print(f"  method {r.method}: {r.method_reason}")
    if r.iterative is not None:
        lml_exact = ref.log_marginal_likelihood(ours.kernel_.theta)  # sklearn's exact LML at our theta
        print(
            f"  cg: {r.iterative}; exact LML at our theta {lml_exact:.10g} "
            f"(sklearn's optimum {ref.log_marginal_likelihood_value_:.10g})"
        )


def _sk_tensor_gib(n: int, p: int) -> float:
    return 8.0 * n * n * (p + 3) / 2**30  # K, the n x n x p gradient, K^{-1} and a temporary


def bench_evaluation(n: int, d: int, cg_configs: list[dict], max_gib: float) -> None:
    """One LML + gradient evaluation per method, timed apart from the fit that sets the model up.

    Each row is printed as soon as it is measured (a peer running out of memory loses only its own).
    """
    from sklearn.gaussian_process import GaussianProcessRegressor as SkGPR
    from sklearn.gaussian_process import kernels as sk

    X, y = _problem(n, d)
    ls = np.full(d, 0.8)
    kernel = pk.ConstantKernel(1.0) * pk.RBF(ls) + pk.WhiteKernel(0.1)
    theta = kernel.theta
    print(machine_line())
    print(f"one LML + gradient evaluation, n={n}, d={d}, ARD RBF + White (p={kernel.n_dims})")
    exact_lml = None

    def show(name, t, m, lml, note=""):
        if t is None:
            print(f"  {name}", flush=True)
            return
        diff = "" if exact_lml is None or lml is None else f"  LML - exact {lml - exact_lml:+.3g}"
        mem = "" if m is None else f"  peak {m / 2**20:8.1f} MiB"
        print(f"  {name}: {t:8.2f} s{mem}  LML {lml:.10g}{diff}  {note}", flush=True)

    exact_gib = 16.0 * n * n / 2**30
    if exact_gib <= max_gib:
        exact = GaussianProcessRegressor(kernel, optimizer=None, method="cholesky").fit(X, y)
        (lml, _g), t, m = _timed_peak(lambda: exact.log_marginal_likelihood(theta, eval_gradient=True))
        exact_lml = lml
        show("pivotal cholesky", t, m, lml)
        del exact
    else:
        show(
            f"pivotal cholesky: skipped, needs {exact_gib:.1f} GiB (--max-gib {max_gib:g})", None, None, None
        )
    for opts in cg_configs:
        gp = GaussianProcessRegressor(kernel, optimizer=None, method="cg", random_state=0, cg_options=opts)
        t0 = time.perf_counter()
        gp.fit(X, y)
        t_fit = time.perf_counter() - t0
        (lml, _g), t, m = _timed_peak(lambda gp=gp: gp.log_marginal_likelihood(theta, eval_gradient=True))
        it = gp.fit_report_.iterative
        name = (
            f"pivotal cg ({it['probes']} probes, rank {it['rank']}, rtol {it['cg_options']['rtol']:g}, "
            f"{it['iterations']} iterations, K {it['kernel_storage']}; the fit before it: {t_fit:.2f} s)"
        )
        show(name, t, m, lml, f"reported stderr {it['lml_stderr']:.3g}")
        del gp
    sk_gib = _sk_tensor_gib(n, kernel.n_dims)
    if sk_gib <= max_gib:
        ref = SkGPR(sk.ConstantKernel(1.0) * sk.RBF(ls) + sk.WhiteKernel(0.1), optimizer=None).fit(X, y)
        (lml, _g), t, m = _timed_peak(lambda: ref.log_marginal_likelihood(theta, eval_gradient=True))
        show("scikit-learn", t, m, lml)
        del ref
    else:
        show(f"scikit-learn: skipped, needs about {sk_gib:.1f} GiB (--max-gib {max_gib:g})", None, None, None)
    show(*_gpytorch_evaluation(X, y, ls))


def _cg_config(text: str) -> dict:
    """``"probes:rank:rtol"`` (e.g. ``16:100:1e-6``) as ``cg_options``."""
    probes, rank, rtol = text.split(":")
    return {"probes": int(probes), "rank": int(rank), "rtol": float(rtol)}


def _gpytorch_evaluation(X, y, ls):
    try:
        import gpytorch
        import torch
    except ImportError:
        return ("gpytorch: not installed", None, None, None, "")

    class _Exact(gpytorch.models.ExactGP):
        def __init__(self, x, t, lik):
            super().__init__(x, t, lik)
            self.mean_module = gpytorch.means.ZeroMean()
            self.covar_module = gpytorch.kernels.ScaleKernel(
                gpytorch.kernels.RBFKernel(ard_num_dims=x.shape[1])
            )

        def forward(self, x):
            return gpytorch.distributions.MultivariateNormal(self.mean_module(x), self.covar_module(x))

    x = torch.from_numpy(X)
    t = torch.from_numpy(y)
    lik = gpytorch.likelihoods.GaussianLikelihood().double()
    model = _Exact(x, t, lik).double()
    model.covar_module.base_kernel.lengthscale = torch.from_numpy(ls)
    model.covar_module.outputscale = 1.0
    lik.noise = 0.1
    model.train()
    lik.train()
    mll = gpytorch.mlls.ExactMarginalLogLikelihood(lik, model)

    def run():
        model.zero_grad()
        with gpytorch.settings.max_cholesky_size(0):
            value = mll(model(x), t) * len(y)  # gpytorch divides by n
        value.backward()
        return float(value.detach())

    torch.manual_seed(0)
    st = gpytorch.settings
    t0 = time.perf_counter()
    lml = run()
    name = (
        f"gpytorch {gpytorch.__version__} exact GP, CG/Lanczos path ({st.num_trace_samples.value()} probes, "
        f"preconditioner rank {st.max_preconditioner_size.value()}, CG tolerance {st.cg_tolerance.value():g}, "
        f"{torch.get_num_threads()} torch threads)"
    )
    return (
        name,
        time.perf_counter() - t0,
        None,
        lml,
        "",
    )


def bench_components(n: int, d: int, repeats: int) -> None:
    X, _ = _problem(n, d)
    k = pk.ConstantKernel(1.0) * pk.RBF(np.ones(d)) + pk.WhiteKernel(0.1)
    K = k(X)
    L = np.linalg.cholesky(K)
    W = np.random.default_rng(1).standard_normal((n, n))
    W = W + W.T

    from pivotal._backends import numpy as bnp

    def potri():  # what the GP does: potri in the factor's memory, then the other triangle mirrored
        return bnp.cholesky_inverse_inplace(np.array(L.T, order="F"), lower=False)  # a copy to overwrite

    def potrs_eye():  # the earlier choice: potrs on an identity it overwrites
        return lapack.dpotrs(L.T, np.eye(n, order="F"), lower=0, overwrite_b=1)[0]  # L.T: Fortran order

    def trsm_syrk():
        Li = sl.solve_triangular(L, np.eye(n), lower=True, check_finite=False)
        return sl.blas.dsyrk(1.0, Li, trans=1)

    def contraction():
        return k.contract_gradient(X, W)

    def exact_differences():  # the earlier contraction: one n x n pass per dimension
        from pivotal.ml.kernels import stationary

        saved = stationary.CANCELLATION_LIMIT
        stationary.CANCELLATION_LIMIT = 0.0  # every dimension of every block by exact differences
        try:
            return k.contract_gradient(X, W)
        finally:
            stationary.CANCELLATION_LIMIT = saved

    def tensor():
        _, G = k(X, eval_gradient=True)
        return np.einsum("ik,ikj->j", W, G)

    print(machine_line())
    print(f"one LML-gradient evaluation's parts, n={n}, d={d}, p={k.n_dims} (median of {repeats})")
    t_potri, t_eye, t_syrk = paired_medians([potri, potrs_eye, trsm_syrk], repeats)
    print(
        f"  K^-1: potri in place {t_potri:.3f} s (used), potrs(L, I) in place {t_eye:.3f} s, "
        f"trsm(L, I) + syrk {t_syrk:.3f} s"
    )
    t_con, t_exact, t_ten = paired_medians([contraction, exact_differences, tensor], repeats)
    _, _, m_con = _timed_peak(contraction)
    _, _, m_ten = _timed_peak(tensor)
    print(
        f"  gradient: n x n x p tensor + einsum {t_ten:.3f} s (peak {m_ten / 2**20:.0f} MiB), blockwise "
        f"exact differences {t_exact:.3f} s, GEMM contraction {t_con:.3f} s (used; peak "
        f"{m_con / 2**20:.0f} MiB), ratio tensor / used {t_ten / t_con:.2f}x"
    )
    t_chol = paired_medians([lambda: np.linalg.cholesky(K)], repeats)[0]
    print(f"  for scale: one Cholesky {t_chol:.3f} s")


def bench_path(n: int, d: int, every: int) -> None:
    """Ours and scikit-learn's LML + gradient, interleaved, at every ``every``-th point of our L-BFGS-B path.

    The two optimisers take the same path (same start, same evaluation count); pairing the
    evaluations at the same theta, one after the other, makes the ratio robust to a machine whose
    load changes during a fit.
    """
    import os

    import scipy.optimize
    from sklearn.gaussian_process import GaussianProcessRegressor as SkGPR
    from sklearn.gaussian_process import kernels as sk

    X, y = _problem(n, d)
    kernel = pk.ConstantKernel(1.0) * pk.RBF(np.ones(d)) + pk.WhiteKernel(0.1)
    ours = GaussianProcessRegressor(kernel, optimizer=None, method="cholesky").fit(X, y)
    ref = SkGPR(sk.ConstantKernel(1.0) * sk.RBF(np.ones(d)) + sk.WhiteKernel(0.1), optimizer=None).fit(X, y)
    path = []

    def f(theta):
        path.append(theta.copy())
        lml, g = ours.log_marginal_likelihood(theta, eval_gradient=True)
        return -lml, -g

    print(machine_line())
    t0 = time.perf_counter()
    res = scipy.optimize.minimize(f, kernel.theta, method="L-BFGS-B", jac=True, bounds=kernel.bounds)
    print(
        f"our path: {len(path)} evaluations in {time.perf_counter() - t0:.1f} s, final LML {-res.fun:.10g} "
        f"({res.message})"
    )
    t_ours, t_ref, d_lml, d_g = [], [], [], []
    for theta in path[::every]:
        t0 = time.perf_counter()
        a = ours.log_marginal_likelihood(theta, eval_gradient=True)
        t_ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        b = ref.log_marginal_likelihood(theta, eval_gradient=True)
        t_ref.append(time.perf_counter() - t0)
        d_lml.append(abs(a[0] - b[0]) / abs(b[0]))
        d_g.append(float(np.max(np.abs(a[1] - b[1])) / np.max(np.abs(b[1]))))
    t_ours, t_ref = np.array(t_ours), np.array(t_ref)
    print(
        f"  {len(t_ours)} paired evaluations: ours {t_ours.sum():.2f} s (median {np.median(t_ours):.3f}), "
        f"scikit-learn {t_ref.sum():.2f} s (median {np.median(t_ref):.3f}); ratio of sums "
        f"{t_ref.sum() / t_ours.sum():.2f}x, median of ratios {np.median(t_ref / t_ours):.2f}x"
    )
    print(
        f"  agreement: LML {max(d_lml):.2g} relative, gradient {max(d_g):.2g} (relative to its largest entry)"
    )
    print(f"  load average at the end: {os.getloadavg()}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mode", nargs="?", default="fit", choices=["fit", "components", "evaluation", "path"])
    ap.add_argument("--every", type=int, default=5, help="path mode: pair every k-th evaluation")
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--d", type=int, default=8)
    ap.add_argument("--restarts", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--method", default="auto", choices=["auto", "cholesky", "cg"])
    ap.add_argument("--probes", type=int, default=16)
    ap.add_argument("--rank", type=int, default=100)
    ap.add_argument(
        "--cg",
        nargs="+",
        type=_cg_config,
        default=None,
        help="evaluation mode: cg configurations probes:rank:rtol (default: --probes, --rank, rtol 1e-6)",
    )
    ap.add_argument(
        "--store-kernel", default="auto", choices=["auto", "yes", "no"], help="cg_options['store_kernel']"
    )
    ap.add_argument("--max-gib", type=float, default=8.0, help="skip an exact path needing more memory")
    ap.add_argument(
        "--memory", default="fit", choices=["fit", "evaluation"], help="fit mode: what peak memory traces"
    )
    a = ap.parse_args()
    if a.mode == "fit":
        bench_fit(a.n, a.d, a.restarts, a.method, {"probes": a.probes, "rank": a.rank}, a.memory)
    elif a.mode == "evaluation":
        store = {"auto": "auto", "yes": True, "no": False}[a.store_kernel]
        configs = a.cg or [{"probes": a.probes, "rank": a.rank, "rtol": 1e-6}]
        bench_evaluation(a.n, a.d, [{**c, "store_kernel": store} for c in configs], a.max_gib)
    elif a.mode == "path":
        bench_path(a.n, a.d, a.every)
    else:
        bench_components(a.n, a.d, a.repeats)


if __name__ == "__main__":
    main()
