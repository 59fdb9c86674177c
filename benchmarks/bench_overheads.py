"""Issue 11 section 5: the four kernel ratios, where their time goes, and how they move with BLAS-3 speed.

The issue measured these on an AMD EPYC with AVX-512 (OpenBLAS SkylakeX
kernels) and found them past their targets; this script measures the same
four figures on any machine, splits our time into its parts, and shows how
each ratio moves when only the speed of BLAS-3 changes (OpenBLAS kernels
``OPENBLAS_CORETYPE=Prescott`` / ``Sandybridge`` / ``Haswell``, 1 or more
threads): a ratio that grows as ``gemm`` gets faster is paid for by work
that does not run at ``gemm`` speed (Python, BLAS-2 panels, copies), which a
machine with faster BLAS-3 pays in a larger share.

Rows of ``table`` (ratios as the issue states them):

* ``lu``: ``pivotal.lu_factor(A, method="kernel")`` against
  ``scipy.linalg.lu_factor``, n = 4000; time ours / SciPy (target <= 1.25).
* ``qr``: ``pivotal.qr(A, mode="raw", method="householder")`` (our blocked
  recursive Householder kernel) against ``scipy.linalg.qr(A, mode="raw")``,
  n = 2000; time ours / SciPy (target <= 1.3).
* ``mixed``: ``pivotal.solve(A, b, refine="mixed")`` against
  ``scipy.linalg.solve(A, b)``, n = 4000, ``randsvd`` with kappa = 1e3;
  speed-up SciPy / ours (target >= 1.5).
* ``rqrcp``: ``rqrcp(A, mode="r")`` against ``scipy.linalg.qr(A,
  pivoting=True, mode="r")`` (LAPACK ``dgeqp3``), Gaussian 4000 x 4000;
  speed-up SciPy / ours (target >= 3); ``dgeqrf`` is timed alongside.

Accuracy columns: for the factorizations, ``max ||(A P - F) x|| / (||A|| ||x||
u)`` over four Gaussian ``x`` (``F`` the factors applied to ``x``; the
column-pivoted QRs also report the numerical rank); for the solve, the
forward error ``||x - x*||_inf / ||x*||_inf``.

Usage (one command each; every timing is a median of alternating runs of
ours and the peer in one process, ``benchmarks/_timing.py``)::

    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_overheads.py table
    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_overheads.py breakdown
    python benchmarks/bench_overheads.py sweep --coretypes Prescott Sandybridge Haswell --threads 1

``sweep`` reruns ``table`` (``--rows`` selects rows) in a fresh process per
kernel and thread count (the variables are read when OpenBLAS loads) and
prints the ``dgemm`` rate of each configuration next to the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from typing import Any

import numpy as np
import scipy.linalg as sl
from scipy.linalg import blas, lapack

import pivotal as pv
from pivotal.kernels import householder
from pivotal.randomized import _rqrcp, rqrcp

try:
    from _timing import machine_line, paired_medians
except ImportError:  # run as a module from the repository root
    from benchmarks._timing import machine_line, paired_medians

ROWS = ("lu", "qr", "mixed", "rqrcp")
SIZES = {"lu": 4000, "qr": 2000, "mixed": 4000, "rqrcp": 4000}
U = np.finfo(np.float64).eps / 2


# --------------------------------------------------------------------------- accuracy probes


def _probe(a: np.ndarray, apply_factors) -> float:
    """``max_x ||a x - apply_factors(x)|| / (||a||_F ||x|| u)`` over four Gaussian ``x``."""
    x = np.random.default_rng(99).standard_normal((a.shape[1], 4))
    diff = a @ x - apply_factors(x)
    return float(np.max(np.linalg.norm(diff, axis=0) / np.linalg.norm(x, axis=0)) / (np.linalg.norm(a) * U))


def _lu_probe(a: np.ndarray, lu: np.ndarray, piv: np.ndarray) -> float:
    """Backward-error probe of LAPACK-style ``(lu, piv)`` (row interchanges): ``P A = L U``."""
    perm = np.arange(a.shape[0])
    for i, p in enumerate(np.asarray(piv).tolist()):
        perm[i], perm[p] = perm[p], perm[i]

    def apply(x):
        ux = np.triu(lu) @ x
        return np.tril(lu, -1) @ ux + ux

    return _probe(a[perm], apply)


def _qr_probe(a: np.ndarray, qr: np.ndarray, tau: np.ndarray) -> float:
    """Backward-error probe of compact Householder factors ``a = Q R``."""
    k = min(a.shape)

    def apply(x):
        rx = np.zeros((a.shape[0], x.shape[1]))
        rx[:k] = np.triu(qr[:k]) @ x
        return lapack.dormqr("L", "N", np.asfortranarray(qr[:, :k]), tau, rx, max(1, x.shape[1] * 64))[0]

    return _probe(a, apply)


def _rank(rdiag: np.ndarray, shape) -> int:
    d = np.abs(rdiag)
    if d.size == 0 or d[0] == 0:
        return 0
    return int(np.sum(d > max(shape) * np.finfo(np.float64).eps * d[0]))


# --------------------------------------------------------------------------- the four rows


def row_lu(n: int, repeat: int) -> dict[str, Any]:
    a = np.random.default_rng(0).standard_normal((n, n))
    t_peer, t_ours = paired_medians(
        [
            lambda: sl.lu_factor(a, check_finite=False),
            lambda: pv.lu_factor(a, check_finite=False, method="kernel"),
        ],
        repeat,
    )
    lu_s, piv_s = sl.lu_factor(a, check_finite=False)
    lu_o, piv_o = pv.lu_factor(a, check_finite=False, method="kernel")
    return {
        "row": "lu",
        "n": n,
        "what": "lu_factor(method='kernel') / scipy lu_factor",
        "peer": t_peer,
        "ours": t_ours,
        "ratio": t_ours / t_peer,
        "target": "<= 1.25",
        "acc_peer": _lu_probe(a, lu_s, piv_s),
        "acc_ours": _lu_probe(a, np.asarray(lu_o), np.asarray(piv_o)),
        "acc": "||(PA - LU)x|| / (||A|| ||x|| u)",
    }


def row_qr(n: int, repeat: int) -> dict[str, Any]:
    a = np.random.default_rng(1).standard_normal((n, n))
    t_peer, t_ours = paired_medians(
        [
            lambda: sl.qr(a, mode="raw", check_finite=False),
            lambda: pv.qr(a, mode="raw", method="householder", check_finite=False),
        ],
        repeat,
    )
    (qr_s, tau_s), _ = sl.qr(a, mode="raw", check_finite=False)
    (qr_o, tau_o), _ = pv.qr(a, mode="raw", method="householder", check_finite=False)
    return {
        "row": "qr",
        "n": n,
        "what": "qr(mode='raw', method='householder') / scipy qr(mode='raw')",
        "peer": t_peer,
        "ours": t_ours,
        "ratio": t_ours / t_peer,
        "target": "<= 1.3",
        "acc_peer": _qr_probe(a, qr_s, tau_s),
        "acc_ours": _qr_probe(a, np.asarray(qr_o), np.asarray(tau_o)),
        "acc": "||(A - QR)x|| / (||A|| ||x|| u)",
    }


def row_mixed(n: int, repeat: int, kappa: float = 1e3) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    a = pv.gallery.randsvd(n, kappa, 3, random_state=rng)
    x_true = rng.standard_normal(n)
    b = a @ x_true
    t_peer, t_ours = paired_medians(
        [lambda: sl.solve(a, b), lambda: pv.solve(a, b, refine="mixed")],
        repeat,
    )

    def err(x):
        return float(np.max(np.abs(x - x_true)) / np.max(np.abs(x_true)))

    return {
        "row": "mixed",
        "n": n,
        "what": f"scipy solve / solve(refine='mixed'), kappa={kappa:.0e}",
        "peer": t_peer,
        "ours": t_ours,
        "ratio": t_peer / t_ours,
        "target": ">= 1.5",
        "acc_peer": err(sl.solve(a, b)),
        "acc_ours": err(pv.solve(a, b, refine="mixed")),
        "acc": "forward error",
    }


def row_rqrcp(n: int, repeat: int, accuracy: bool = True, block_size: int | None = None) -> dict[str, Any]:
    a = np.random.default_rng(0).standard_normal((n, n))
    t_geqrf, t_peer, t_ours = paired_medians(
        [
            lambda: sl.qr(a, mode="r", check_finite=False),
            lambda: sl.qr(a, pivoting=True, mode="r", check_finite=False),
            lambda: rqrcp(a, mode="r", block_size=block_size, random_state=0, check_finite=False),
        ],
        repeat,
    )
    out = {
        "row": "rqrcp",
        "n": n,
        "what": f"scipy qr(pivoting=True, mode='r') / rqrcp(mode='r', block_size={block_size})",
        "peer": t_peer,
        "ours": t_ours,
        "ratio": t_peer / t_ours,
        "target": ">= 3",
        "geqrf": t_geqrf,
        "acc": "||(AP - QR)x|| / (||A|| ||x|| u); rank",
    }
    if accuracy:
        (qr_s, tau_s), _, p_s = sl.qr(a, pivoting=True, mode="raw", check_finite=False)
        res = rqrcp(a, mode="raw", block_size=block_size, random_state=0, check_finite=False)
        out["acc_peer"] = _qr_probe(a[:, p_s], qr_s, tau_s)
        out["acc_ours"] = _qr_probe(a[:, res.P], res.qr, res.tau)
        out["rank_peer"] = _rank(np.diag(qr_s), a.shape)
        out["rank_ours"] = res.rank
    return out


def _print_row(r: dict[str, Any]) -> None:
    acc = ""
    if "acc_peer" in r:
        acc = f"  accuracy ({r['acc']}) peer {r['acc_peer']:.3g} ours {r['acc_ours']:.3g}"
    if "rank_peer" in r:
        acc += f"  rank peer {r['rank_peer']} ours {r['rank_ours']}"
    extra = (
        f"  (dgeqrf {r['geqrf']:.3f}s: geqp3/geqrf {r['peer'] / r['geqrf']:.2f}, ours/geqrf {r['ours'] / r['geqrf']:.2f})"
        if "geqrf" in r
        else ""
    )
    print(
        f"{r['row']:6s} n={r['n']:5d}  peer {r['peer']:8.3f}s  ours {r['ours']:8.3f}s  "
        f"{r['what']}: {r['ratio']:5.2f} (target {r['target']}){extra}{acc}",
        flush=True,
    )


def table(
    rows, repeat: int, sizes: dict[str, int], as_json: bool, accuracy: bool, block_size: int | None = None
) -> list[dict]:
    out = []
    for name in rows:
        n = sizes[name]
        if name == "lu":
            r = row_lu(n, repeat)
        elif name == "qr":
            r = row_qr(n, repeat)
        elif name == "mixed":
            r = row_mixed(n, repeat)
        else:
            r = row_rqrcp(n, max(1, repeat - 2), accuracy, block_size)
        r["load"] = os.getloadavg() if hasattr(os, "getloadavg") else None
        out.append(r)
        print(json.dumps(r) if as_json else "", end="\n" if as_json else "", flush=True)
        if not as_json:
            _print_row(r)
    return out


# --------------------------------------------------------------------------- BLAS-3 speed probe


def gemm_rates(n: int = 2000, k: int = 64, repeat: int = 5) -> dict[str, float]:
    """GFLOP/s of ``dgemm`` for a rank-``k`` update ``C -= A B`` (the trailing-update shape) and for ``n^3``."""
    rng = np.random.default_rng(5)
    c = np.asfortranarray(rng.standard_normal((n, n)))
    a, b = np.asfortranarray(rng.standard_normal((n, k))), np.asfortranarray(rng.standard_normal((k, n)))
    a2 = np.asfortranarray(rng.standard_normal((n, n)))
    out = {}
    for name, (x, y, flops) in {"rank64": (a, b, 2.0 * n * n * k), "square": (a2, a2, 2.0 * n**3)}.items():
        blas.dgemm(-1.0, x, y, beta=1.0, c=c, overwrite_c=True)
        ts = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            blas.dgemm(-1.0, x, y, beta=1.0, c=c, overwrite_c=True)
            ts.append(time.perf_counter() - t0)
        out[name] = flops / float(np.median(ts)) / 1e9
    return out


# --------------------------------------------------------------------------- where the time goes


class _Timer:
    """Wraps module functions and adds their (exclusive) times to labels."""

    def __init__(self):
        self.t = defaultdict(float)
        self.calls = defaultdict(int)
        self._saved = []

    def wrap(self, owner, name: str, label) -> None:
        fn = getattr(owner, name)
        depth = [0]

        def wrapped(*args, **kwargs):
            if depth[0]:  # a recursive call: counted by the outermost
                return fn(*args, **kwargs)
            depth[0] += 1
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                depth[0] -= 1
                key = label(*args, **kwargs) if callable(label) else label
                self.t[key] += time.perf_counter() - t0
                self.calls[key] += 1

        self._saved.append((owner, name, fn))
        setattr(owner, name, wrapped)

    def restore(self) -> None:
        for owner, name, fn in reversed(self._saved):
            setattr(owner, name, fn)
        self._saved.clear()

    def report(self, total: float, title: str) -> None:
        print(f"{title}: {total:.3f}s in all")
        rest = total
        for key, t in sorted(self.t.items(), key=lambda kv: -kv[1]):
            print(f"    {key:44s} {t:7.3f}s  {100 * t / total:5.1f}%  ({self.calls[key]} calls)")
            rest -= t
        print(f"    {'rest (Python, small products, views)':44s} {rest:7.3f}s  {100 * rest / total:5.1f}%")


def _median_time(fn, repeat: int) -> float:
    fn()
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts))


def lapack_geqrf_panels(n: int, repeat: int = 3) -> tuple[int, float]:
    """``(nb, seconds)``: LAPACK ``dgeqrf``'s block size and the time of its unblocked panels (``dgeqr2``).

    ``dgeqrf`` on an ``(n - j) x nb`` panel runs ``dgeqr2`` (``k <= nb``), so the
    sum over the panels of one factorization is its BLAS-2 share.
    """
    work = lapack.dgeqrf(np.zeros((n, n), order="F"), lwork=-1)[2]
    nb = max(1, round(float(work[0]) / n))
    rng = np.random.default_rng(3)
    panels = [np.asfortranarray(rng.standard_normal((n - j, min(nb, n - j)))) for j in range(0, n, nb)]
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        for p in panels:
            lapack.dgeqrf(p, lwork=max(1, p.shape[1] * nb), overwrite_a=False)
        best = min(best, time.perf_counter() - t0)
    return nb, best


def breakdown_rqrcp(n: int, repeat: int) -> None:
    a = np.random.default_rng(0).standard_normal((n, n))
    b, d = _rqrcp.DEFAULT_BLOCK_SIZE, _rqrcp.DEFAULT_BLOCK_SIZE + _rqrcp.DEFAULT_OVERSAMPLES
    t_geqrf = _median_time(lambda: sl.qr(a, mode="r", check_finite=False), repeat)
    t_geqp3 = _median_time(lambda: sl.qr(a, pivoting=True, mode="r", check_finite=False), max(1, repeat - 2))
    t_total = _median_time(lambda: rqrcp(a, mode="r", random_state=0, check_finite=False), repeat)
    t_copy = _median_time(lambda: np.array(a, order="F"), repeat)
    nb, t_panels = lapack_geqrf_panels(n)
    tm = _Timer()

    panels = []

    def qrcp_label(x, backend):
        if x.shape[0] == d:
            return "QRCP of the sketch (LAPACK geqp3, BLAS-2)"
        if x.shape[1] == b:
            panels.append(x.shape)
            return "QRCP of the panels (LAPACK geqp3)"
        return "QRCP of the last <= 2b columns"

    tm.wrap(_rqrcp, "_qrcp_of", qrcp_label)
    tm.wrap(_rqrcp, "_permute_columns", "column interchanges (A and the sketch)")
    tm.wrap(_rqrcp, "_sketch", "sketch Y = G A (gemm)")
    tm.wrap(_rqrcp, "_scale_into_safe_range", "power-of-two scaling pass")
    tm.wrap(_rqrcp, "_zero_below_diagonal", "zeroing below the diagonal (mode r)")
    tm.wrap(householder, "larft", "T factors (larft)")
    tm.wrap(
        householder,
        "larfb",
        lambda v, t, c, side="left", trans=False: (
            "trailing update H^T A22 (larfb, gemm)" if side == "left" else "sketch downdate G H (larfb, gemm)"
        ),
    )
    tm.wrap(householder, "_copy_into", "panel copies back")
    t0 = time.perf_counter()
    rqrcp(a, mode="r", random_state=0, check_finite=False)
    t_instr = time.perf_counter() - t0
    tm.restore()
    print(
        f"\nrqrcp(A, mode='r'), Gaussian {n}x{n}, block {b}, sketch {d} rows: median {t_total:.3f}s; "
        f"scipy geqrf {t_geqrf:.3f}s, geqp3 {t_geqp3:.3f}s (geqp3/geqrf {t_geqp3 / t_geqrf:.2f}; "
        f"rqrcp/geqrf {t_total / t_geqrf:.2f}); one instrumented run:"
    )
    tm.t["copy into column-major order (SciPy pays it too)"] = t_copy
    tm.calls["copy into column-major order (SciPy pays it too)"] = 1
    tm.report(t_instr, "  rqrcp")
    print(
        f"  LAPACK dgeqrf (nb = {nb}): its unblocked panels (dgeqr2, BLAS-2) take {t_panels:.3f}s "
        f"= {100 * t_panels / t_geqrf:.0f}% of its {t_geqrf:.3f}s"
    )
    rng = np.random.default_rng(6)
    mats = [np.asfortranarray(rng.standard_normal(shape)) for shape in panels]
    times = {}
    for name, fn in {
        "geqp3 (what rqrcp runs)": lapack.dgeqp3,
        "geqrf (no pivoting)": lapack.dgeqrf,
        "geqrt (no pivoting, with T)": lambda p: lapack.dgeqrt(p.shape[1], p),
    }.items():
        best = np.inf
        for _ in range(3):
            t0 = time.perf_counter()
            for p in mats:
                fn(p)
            best = min(best, time.perf_counter() - t0)
        times[name] = best
    print(
        f"  the same {len(mats)} panels by LAPACK alone: "
        + ", ".join(f"{k} {v:.3f}s" for k, v in times.items())
        + " (pivoting inside the panel costs no more than not pivoting)"
    )


def breakdown_qr(n: int, repeat: int) -> None:
    a = np.random.default_rng(1).standard_normal((n, n))
    t_peer = _median_time(lambda: sl.qr(a, mode="raw", check_finite=False), repeat)
    t_total = _median_time(lambda: pv.qr(a, mode="raw", method="householder", check_finite=False), repeat)
    nb, t_panels = lapack_geqrf_panels(n)
    tm = _Timer()
    leaves = []

    def leaf_label(p, tau, xp, backend):
        leaves.append(p.shape)
        return "leaves: our unblocked geqr2 (Python loop, BLAS-2)"

    tm.wrap(householder, "_geqr2", leaf_label)
    tm.wrap(householder, "larft", "leaf T factors (larft)")
    in_panel = [0]
    tm.wrap(
        householder,
        "larfb",
        lambda *a, **k: "panel-internal updates (larfb)" if in_panel[0] else "trailing updates (larfb, gemm)",
    )
    tm.wrap(householder, "_colmajor_copy", "panel copies (column-major)")
    tm.wrap(householder, "_copy_into", "panel copies back")
    geqrt3 = householder._geqrt3

    def flagged(*args, **kwargs):
        in_panel[0] += 1
        try:
            return geqrt3(*args, **kwargs)
        finally:
            in_panel[0] -= 1

    householder._geqrt3 = flagged
    t0 = time.perf_counter()
    pv.qr(a, mode="raw", method="householder", check_finite=False)
    t_instr = time.perf_counter() - t0
    householder._geqrt3 = geqrt3
    tm.restore()
    rng = np.random.default_rng(4)
    shapes = [np.asfortranarray(rng.standard_normal(s)) for s in leaves]
    t_lapack_leaves = np.inf
    for _ in range(3):
        t0 = time.perf_counter()
        for p in shapes:
            lapack.dgeqrf(p, overwrite_a=False)
        t_lapack_leaves = min(t_lapack_leaves, time.perf_counter() - t0)
    print(
        f"\nqr(A, mode='raw', method='householder'), {n}x{n}, variant {householder.default_qr_variant(n, n)}: "
        f"median {t_total:.3f}s; scipy qr(mode='raw') "
        f"{t_peer:.3f}s (ratio {t_total / t_peer:.2f}); one instrumented run:"
    )
    tm.report(t_instr, "  kernel")
    print(
        f"  the same {len(leaves)} leaf panels factored by LAPACK (dgeqrf = dgeqr2 there): {t_lapack_leaves:.3f}s "
        f"(for comparison only: the kernel's leaves are its own code)"
    )
    print(
        f"  LAPACK dgeqrf (nb = {nb}): its unblocked panels (dgeqr2, BLAS-2) take {t_panels:.3f}s "
        f"= {100 * t_panels / t_peer:.0f}% of its {t_peer:.3f}s"
    )


def breakdown_lu(n: int, repeat: int) -> None:
    """Our LU kernel at ``n``: leaves, row interchanges, triangular solves and updates, and what surrounds them."""
    import pivotal.decompositions as dec
    from pivotal.kernels import lu as klu

    a = np.random.default_rng(0).standard_normal((n, n))
    t_peer = _median_time(lambda: sl.lu_factor(a, check_finite=False), repeat)
    t_total = _median_time(lambda: pv.lu_factor(a, check_finite=False, method="kernel"), repeat)
    tm = _Timer()
    tm.wrap(klu, "_leaf", "leaves: our unblocked LU (Python loop, dger)")
    tm.wrap(klu, "_permute_rows", "row interchanges outside the leaves")
    tm.wrap(klu, "_panel_update", "trsm + gemm updates (BLAS-3)")
    for name, label in (
        ("working_copy", "working copy of A"),
        ("max_abs", "max |a_ij| pass (scaling, growth)"),
        ("warn_on_growth", "growth check on U"),
        ("lu_compute", None),
    ):
        if label is not None and hasattr(dec, name):
            tm.wrap(dec, name, label)
    t0 = time.perf_counter()
    pv.lu_factor(a, check_finite=False, method="kernel")
    t_instr = time.perf_counter() - t0
    tm.restore()
    print(
        f"\nlu_factor(A, method='kernel'), {n}x{n}: median {t_total:.3f}s; scipy lu_factor {t_peer:.3f}s "
        f"(ratio {t_total / t_peer:.2f}); one instrumented run:"
    )
    tm.report(t_instr, "  lu_factor")


def breakdown_mixed(n: int, kappa: float = 1e3, top: int = 18) -> None:
    """``solve(A, b, refine="mixed")`` at ``n`` under cProfile: the functions that take the time (cumulative)."""
    import cProfile
    import pstats

    rng = np.random.default_rng(0)
    a = pv.gallery.randsvd(n, kappa, 3, random_state=rng)
    b = a @ rng.standard_normal(n)
    t_peer = _median_time(lambda: sl.solve(a, b), 3)
    t_ours = _median_time(lambda: pv.solve(a, b, refine="mixed"), 3)
    a32 = a.astype(np.float32)
    t_sgetrf = _median_time(lambda: lapack.sgetrf(a32), 3)
    t_dgetrf = _median_time(lambda: lapack.dgetrf(a), 3)
    prof = cProfile.Profile()
    prof.enable()
    pv.solve(a, b, refine="mixed")
    prof.disable()
    print(
        f"\nsolve(A, b, refine='mixed'), {n}x{n}, kappa {kappa:.0e}: median {t_ours:.3f}s; scipy solve "
        f"{t_peer:.3f}s (speed-up {t_peer / t_ours:.2f}); LAPACK alone: sgetrf {t_sgetrf:.3f}s, "
        f"dgetrf {t_dgetrf:.3f}s (dgetrf/sgetrf {t_dgetrf / t_sgetrf:.2f}); ours beyond sgetrf "
        f"{t_ours - t_sgetrf:.3f}s. Under cProfile (cumulative, pivotal and LAPACK/BLAS frames):"
    )
    stats = pstats.Stats(prof)
    rows = []
    for (file, line, func), (_, ncalls, tt, ct, _) in stats.stats.items():
        if "pivotal" in file or "scipy" in file or file == "~":
            rows.append((ct, tt, ncalls, f"{os.path.basename(file)}:{line}({func})" if file != "~" else func))
    for ct, tt, ncalls, name in sorted(rows, reverse=True)[:top]:
        print(f"    {name[:70]:70s} cum {ct:7.3f}s  own {tt:7.3f}s  ({ncalls} calls)")
    refine_mod = sys.modules.get("pivotal.refine")
    if refine_mod is not None and hasattr(refine_mod, "_working_rcond"):
        # diagnostic only: the same solve when the working-precision rcond is taken from the
        # float32 factors (what the certificate costs, not a proposal to drop it)
        orig = refine_mod._working_rcond

        def without():
            refine_mod._working_rcond = lambda prob, run: run.F.rcond()
            try:
                return pv.solve(a, b, refine="mixed")
            finally:
                refine_mod._working_rcond = orig

        t_peer2, t_with, t_without = paired_medians(
            [lambda: sl.solve(a, b), lambda: pv.solve(a, b, refine="mixed"), without], 3
        )
        print(
            f"  paired: scipy {t_peer2:.3f}s, mixed {t_with:.3f}s (speed-up {t_peer2 / t_with:.2f}), mixed with "
            f"refine._working_rcond replaced by the float32 factors' rcond {t_without:.3f}s (speed-up "
            f"{t_peer2 / t_without:.2f}); rcond(float32 LU) = {pv.LU(a32).rcond():.2e}, "
            f"theta = n u_32 / rcond = {n * 2.0**-24 / pv.LU(a32).rcond():.3g}"
        )


# --------------------------------------------------------------------------- sweep over BLAS kernels


def sweep(
    coretypes, threads, rows, repeat: int, sizes: dict[str, int], block_size: int | None = None
) -> None:
    print(
        f"{'kernel':12s} {'threads':>7s} {'rank-64 GF/s':>12s} {'gemm GF/s':>10s}  ratios (as in the table)"
    )
    for core in coretypes:
        for nt in threads:
            env = dict(os.environ, OPENBLAS_NUM_THREADS=str(nt), OMP_NUM_THREADS=str(nt))
            if core != "default":
                env["OPENBLAS_CORETYPE"] = core
            else:
                env.pop("OPENBLAS_CORETYPE", None)
            cmd = [
                sys.executable,
                os.path.abspath(__file__),
                "table",
                "--json",
                "--no-accuracy",
                "--repeat",
                str(repeat),
            ]
            cmd += ["--rows", *rows] + [f"--n-{r}={sizes[r]}" for r in rows] + ["--gemm"]
            if block_size is not None:
                cmd += ["--block-size", str(block_size)]
            out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
            if out.returncode:
                print(f"{core:12s} {nt:>7d}  failed: {out.stderr.strip().splitlines()[-1:]}")
                continue
            recs = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
            rates = next((r for r in recs if r.get("row") == "gemm"), {})
            parts = []
            for r in recs:
                if r.get("row") in ROWS:
                    s = f"{r['row']} {r['ratio']:.2f} (peer {r['peer']:.3f}s ours {r['ours']:.3f}s"
                    if "geqrf" in r:
                        s += f", ours/geqrf {r['ours'] / r['geqrf']:.2f}"
                    parts.append(s + ")")
            print(
                f"{core:12s} {nt:>7d} {rates.get('rank64', float('nan')):12.1f} {rates.get('square', float('nan')):10.1f}  "
                + "; ".join(parts)
                + f"  [load {recs[-1].get('load') if recs else None}]",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("which", choices=["table", "breakdown", "sweep"])
    parser.add_argument("--rows", nargs="+", choices=ROWS, default=list(ROWS))
    parser.add_argument("--repeat", type=int, default=5)
    for r in ROWS:
        parser.add_argument(f"--n-{r}", type=int, default=SIZES[r], dest=f"n_{r}")
    parser.add_argument("--json", action="store_true", help="table: one JSON object per row")
    parser.add_argument("--no-accuracy", action="store_true", help="table: skip rqrcp's accuracy calls")
    parser.add_argument("--gemm", action="store_true", help="table: also print the dgemm rates")
    parser.add_argument("--block-size", type=int, default=None, help="rqrcp's block_size (default: its own)")
    parser.add_argument("--coretypes", nargs="+", default=["Prescott", "Sandybridge", "Haswell"])
    parser.add_argument("--threads", type=int, nargs="+", default=[1])
    args = parser.parse_args()
    sizes = {r: getattr(args, f"n_{r}") for r in ROWS}
    if not args.json:
        print(machine_line(), f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'default')}")
    if args.which == "table":
        if args.gemm:
            rates = gemm_rates()
            print(json.dumps({"row": "gemm", **rates}) if args.json else f"dgemm GFLOP/s: {rates}")
        table(args.rows, args.repeat, sizes, args.json, not args.no_accuracy, args.block_size)
    elif args.which == "breakdown":
        if "qr" in args.rows:
            breakdown_qr(sizes["qr"], args.repeat)
        if "rqrcp" in args.rows:
            breakdown_rqrcp(sizes["rqrcp"], max(1, args.repeat - 2))
        if "lu" in args.rows:
            breakdown_lu(sizes["lu"], args.repeat)
        if "mixed" in args.rows:
            breakdown_mixed(sizes["mixed"])
    else:
        sweep(args.coretypes, args.threads, args.rows, args.repeat, sizes, args.block_size)


if __name__ == "__main__":
    main()
