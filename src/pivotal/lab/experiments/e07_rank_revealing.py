"""Experiment 7: rank revelation, diag(R) of QR with column pivoting against the singular values."""

from __future__ import annotations

import math

import numpy as np

from ... import QRPivoted, gallery, svdvals
from .._record import Claim, Figure, Outcome, Settings, Table, experiment
from ..plotting import U, new_figure, reference_line

F_STRONG = 2.0  # Gu–Eisenstat's bound parameter f


def _rdiag(f: QRPivoted) -> list[float]:
    return [float(v) for v in np.abs(np.diag(np.asarray(f.R)))]


@experiment("rank_revealing", "Rank revelation: QRCP, Kahan's matrix and strong RRQR", order=7)
def run(settings: Settings) -> Outcome:
    m, n, rank = 40, 25, 4
    a = gallery.rank_deficient(m, n, rank, kappa=10.0, random_state=settings.rng(7))
    sv = [float(s) for s in svdvals(a)]
    qrcp = QRPivoted(a, method="kernel")
    r4 = _rdiag(qrcp)
    tol = max(m, n) * U * r4[0]  # NumPy's matrix_rank rule on |diag(R)|

    nk = 30
    kahan = gallery.kahan(nk)
    sk = [float(s) for s in svdvals(kahan)]
    plain = QRPivoted(kahan, method="kernel")
    strong = QRPivoted(kahan, rank_reveal="strong", rank=nk - 1, f=F_STRONG)
    rk_plain, rk_strong = _rdiag(plain), _rdiag(strong)
    ge = math.sqrt(1 + F_STRONG**2 * (nk - 1) * 1)  # sqrt(1 + f^2 k (n - k)) with k = n - 1
    identity = bool(np.array_equal(np.asarray(plain.p), np.arange(nk)))

    fig, (ax, bx) = new_figure(2, width=5.2)
    idx = np.arange(1, n + 1)
    ax.semilogy(idx, sv, "o-", color="0.2", label=r"singular values $\sigma_k$")
    ax.semilogy(idx, np.maximum(r4, U / 4), "s--", color="C0", label=r"QRCP $|R_{kk}|$")
    ax.axhline(tol, color="C3", linestyle=":", label=r"rank tolerance $\max(m,n)\,u\,|R_{11}|$")
    ax.set_xlabel("k")
    ax.set_title(f"Rank-{rank} matrix, {m}×{n}")
    ax.legend(fontsize=8)
    kk = np.arange(1, nk + 1)
    bx.semilogy(kk, sk, "o-", color="0.2", label=r"$\sigma_k$")
    bx.semilogy(kk, rk_plain, "s--", color="C3", label=r"QRCP $|R_{kk}|$")
    bx.semilogy(kk, rk_strong, "^:", color="C0", label=rf"strong RRQR (f = {F_STRONG:g}, k = n-1)")
    reference_line(bx, [nk - 3, nk], [sk[-1] * ge] * 2, r"$\sigma_n\sqrt{1+f^2k(n-k)}$")
    bx.set_xlabel("k")
    bx.set_title(f"Kahan's matrix, n = {nk}")
    bx.legend(fontsize=8)

    ratio_plain = rk_plain[-1] / sk[-1]
    ratio_strong = rk_strong[-1] / sk[-1]
    claims = [
        Claim(
            f"On an exactly rank-{rank} matrix QRCP's |R_kk| drop by more than 10¹² after k = {rank}: "
            f"the numerical rank it reports is {rank}.",
            qrcp.rank == rank and r4[rank - 1] / r4[rank] > 1e12 and r4[rank] <= tol < r4[rank - 1],
            f"rank {qrcp.rank}; |R_{rank}{rank}| = {r4[rank - 1]:.3g}, |R_{rank + 1}{rank + 1}| = {r4[rank]:.3g}, "
            f"tolerance {tol:.3g}",
        ),
        Claim(
            "On Kahan's matrix QRCP makes no interchange and its last |R_nn| overestimates σ_min "
            "by more than 1000 times: column pivoting fails to reveal the rank.",
            identity and ratio_plain > 1e3,
            f"permutation {'identity' if identity else 'NOT identity'}; |R_nn|/σ_min = {ratio_plain:.3g}",
        ),
        Claim(
            "Strong RRQR (Gu–Eisenstat) fixes it: |R_nn| is within √(1+f²k(n−k)) of σ_min.",
            sk[-1] * (1 - 1e-8) <= rk_strong[-1] <= ge * sk[-1],
            f"|R_nn|/σ_min = {ratio_strong:.3g} <= {ge:.3g}",
        ),
    ]
    rows = tuple((k + 1, sv[k], r4[k]) for k in range(min(8, n)))
    krows = tuple(
        (k, sk[k - 1], rk_plain[k - 1], rk_strong[k - 1]) for k in (1, 2, nk // 2, nk - 2, nk - 1, nk)
    )
    return Outcome(
        shows=(
            "QR with column pivoting (QRCP) picks at each step the column of largest remaining norm, so "
            "|R_kk| decreases and usually tracks the singular values: an exactly rank-deficient matrix "
            "shows a cliff after its rank. Usually is not always: on Kahan's matrix every column has the "
            "same norm, QRCP makes no interchange, and the last |R_nn| overestimates σ_min by thousands. "
            "The strong rank-revealing QR of Gu and Eisenstat swaps columns until |det R₁₁| cannot grow "
            "by more than f, which guarantees |R_nn| within a polynomial factor of σ_min."
        ),
        figures=[
            Figure(
                "rank-revelation",
                "Left: σ_k and QRCP's |R_kk| on a rank-4 matrix, with the rank tolerance (dotted). "
                "Right: Kahan's matrix, σ_k, QRCP and strong RRQR, with Gu–Eisenstat's bound on |R_nn| (dashed).",
                fig,
            )
        ],
        tables=[
            Table(f"Rank-{rank} matrix", ("k", "σ_k", "QRCP |R_kk|"), rows),
            Table(f"Kahan's matrix, n = {nk}", ("k", "σ_k", "QRCP |R_kk|", "strong RRQR |R_kk|"), krows),
        ],
        claims=claims,
        data={
            "rank_deficient": {
                "shape": [m, n],
                "rank": rank,
                "singular_values": sv,
                "qrcp_rdiag": r4,
                "tol": tol,
                "qrcp_rank": qrcp.rank,
            },
            "kahan": {
                "n": nk,
                "singular_values": sk,
                "qrcp_rdiag": rk_plain,
                "strong_rdiag": rk_strong,
                "qrcp_identity_permutation": identity,
                "gu_eisenstat_factor": ge,
                "f": F_STRONG,
            },
        },
    )
