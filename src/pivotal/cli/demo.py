"""``pivotal demo``: the report of sample systems factored and solved.

``pivotal demo`` factors and solves sample systems with each factorization
and prints what a careful user wants to know about each answer: the
algorithm that ran, the backward error of the solve as a LAPACK-style
ratio, the condition estimate against the exact value, and the element
growth that explains a bad result.
"""

from __future__ import annotations

import time
import warnings

import numpy as np

__all__ = ["demo_report"]


def _residual_ratio(A: np.ndarray, x: np.ndarray, b: np.ndarray) -> float:
    """``||b - A x||_1 / (n ||A||_1 ||x||_1 u)``: below ~30 means backward stable."""
    n = A.shape[0]
    u = np.finfo(A.dtype).eps / 2
    r = np.abs(b - A @ x).sum()
    return float(r / (n * np.abs(A).sum(axis=0).max() * np.abs(x).sum() * u))


def demo_report(n: int = 200, seed: int = 0) -> str:
    """Build the text report printed by ``pivotal demo``.

    Parameters
    ----------
    n : int
        Size of the random systems.
    seed : int
        Random seed.

    Returns
    -------
    str
        The report.

    Examples
    --------
    >>> text = demo_report(n=30)
    >>> "Wilkinson" in text and "Cholesky" in text
    True
    """
    import pivotal as pv

    rng = np.random.default_rng(seed)
    lines = [
        f"pivotal {pv.__version__} demo: factor once, solve, and know the error (n={n})",
        "",
        "ratio = ||b - A x|| / (n ||A|| ||x|| u); below 30 means the solve was backward stable.",
        "",
    ]
    for section in (_factorizations, _growth, _solves, _low_rank, _tall_skinny, _blas):
        lines += section(n, rng)
    return "\n".join(lines)


def _factor_row(name: str, A: np.ndarray, F, b: np.ndarray) -> str:
    x = F.solve(b)
    exact = 1.0 / (np.linalg.norm(A, 1) * np.linalg.norm(np.linalg.inv(A), 1))
    label = f"{type(F).__name__} {F.algorithm}" if hasattr(F, "algorithm") else type(F).__name__
    return f"{name:<30} {label:<34} {_residual_ratio(A, x, b):9.2g} {F.rcond():10.2e} {exact:11.2e}"


def _factorizations(n: int, rng: np.random.Generator) -> list[str]:
    import pivotal as pv
    from pivotal import gallery

    header = f"{'system':<30} {'factorization':<34} {'ratio':>9} {'rcond est':>10} {'rcond exact':>11}"
    A = gallery.randsvd(n, 1e6, 3, random_state=rng)
    b = rng.standard_normal(n)
    S = gallery.random_spd(n, 1e8, 3, random_state=rng)
    rows = [
        _factor_row("general, kappa=1e6", A, pv.LU(A), b),
        _factor_row("general, kappa=1e6", A, pv.LU(A, method="kernel"), b),
        _factor_row("SPD, kappa=1e8", S, pv.Cholesky(S, lower=True), b),
        _factor_row("SPD, kappa=1e8", S, pv.Cholesky(S, lower=True, method="kernel"), b),
    ]
    K = gallery.random_symmetric_indefinite(n, 1e4, 3, random_state=rng)
    rows.append(_factor_row("symmetric indefinite, 1e4", K, pv.LDL(K), b))
    return [header, "-" * len(header), *rows]


def _growth(n: int, rng: np.random.Generator) -> list[str]:
    import pivotal as pv
    from pivotal import gallery

    G = gallery.gfpp(60)
    bg = rng.standard_normal(60)
    lines = [
        "",
        "Wilkinson's growth matrix gfpp(60): partial pivoting doubles the last column 59 times.",
        f"{'pivoting':<10} {'growth rho':>12} {'ratio':>12}",
    ]
    for piv in ("partial", "rook", "complete"):
        F = pv.LU(G, pivoting=piv)
        with warnings.catch_warnings():  # the growth is what the table shows
            warnings.simplefilter("ignore", pv.PivotGrowthWarning)
            x = F.solve(bg)
        lines.append(f"{piv:<10} {F.growth_factor():12.3g} {_residual_ratio(G, x, bg):12.3g}")
    return lines


def _solves(n: int, rng: np.random.Generator) -> list[str]:
    import pivotal as pv
    from pivotal import gallery

    G = gallery.gfpp(60)
    lines = [
        "",
        "pivotal.solve: SciPy's signature, the factorization chosen from the structure, and a certificate.",
        f"  {'system':<26} {'method':<11} {'refinement':<11} {'backward err':>12} {'fwd bound':>10} {'true err':>10}",
    ]
    cases = [
        ("Hilbert(10)", gallery.hilbert(10), {}),
        ("gfpp(60), refine=False", G, {"refine": False}),
        ("gfpp(60), refine='auto'", G, {}),
        ("kappa=1e5, refine='mixed'", gallery.randsvd(n, 1e5, 3, random_state=rng), {"refine": "mixed"}),
    ]
    for name, M, kw in cases:
        x_true = np.ones(M.shape[0])
        with warnings.catch_warnings():  # the certificate reports what the growth did
            warnings.simplefilter("ignore", pv.PivotGrowthWarning)
            x, rep = pv.solve(M, M @ x_true, return_report=True, **kw)
        err = np.abs(x - x_true).max() / np.abs(x).max()
        lines.append(
            f"  {name:<26} {rep.method:<11} {rep.refinement or 'none':<11} {rep.backward_error:12.1e} "
            f"{rep.forward_error_bound:10.1e} {err:10.1e}"
        )
    lines.append(
        "  (the true error never exceeds the bound; 'auto' refines only when the solve was not backward stable)"
    )
    return lines


def _low_rank(n: int, rng: np.random.Generator) -> list[str]:
    import pivotal as pv

    B = rng.standard_normal((n, 10))
    PC = pv.PivotedCholesky(B @ B.T)
    return [
        "",
        "Low-rank structure: pivoted Cholesky of a rank-10 PSD matrix.",
        f"detected rank {PC.rank} of {n}",
    ]


def _tall_skinny(n: int, rng: np.random.Generator) -> list[str]:
    import pivotal as pv
    from pivotal import gallery

    lines = ["", "Tall-skinny QR (20000 x 50) with method='auto': the path records what was tried."]
    for kappa in (1e3, 1e10):
        T = gallery.randsvd(50, kappa, 3, m=20000, random_state=rng)
        F = pv.QR(T)
        orth = np.linalg.norm(np.eye(50) - F.Q.T @ F.Q, 2)
        lines.append(f"  kappa={kappa:.0e}: {' -> '.join(F.path)};  ||I - Q^T Q|| = {orth:.1e}")
    x, _, rank, _ = pv.lstsq(T, T @ np.ones(50))
    lines.append(f"  lstsq on the kappa=1e10 matrix: rank {rank}, max |x - 1| = {np.abs(x - 1).max():.1e}")
    return lines


def _blas(n: int, rng: np.random.Generator) -> list[str]:
    import pivotal as pv

    m = 400
    lines = ["", f"BLAS-2 versus BLAS-3 with our own LU kernel (n={m}):"]
    M = rng.standard_normal((m, m))
    for label, bs in (
        ("unblocked (block_size=1)", 1),
        ("blocked (block_size=64)", 64),
        ("recursive (default)", None),
    ):
        t0 = time.perf_counter()
        pv.LU(M, block_size=bs, method="kernel")
        dt = time.perf_counter() - t0
        lines.append(f"  {label:<26} {2 * m**3 / 3 / dt / 1e9:8.2f} GFLOP/s")
    return lines
