"""Experiment 6: loss of orthogonality against κ for CGS, MGS, CGS2, Householder and Givens QR."""

from __future__ import annotations

import warnings

import numpy as np

from ... import QR, gallery, orthogonality_error
from .._record import Claim, Figure, Outcome, Settings, Table, experiment
from ..plotting import U, new_figure, reference_line

METHODS = ("cgs", "mgs", "cgs2", "householder", "givens")
LABELS = {"cgs": "CGS", "mgs": "MGS", "cgs2": "CGS2", "householder": "Householder", "givens": "Givens"}
MARKS = {"cgs": "o-", "mgs": "s-", "cgs2": "^-", "householder": "D-", "givens": "v:"}
M, N = 60, 20  # the randsvd matrices' shape


def _losses(a: np.ndarray) -> dict[str, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ill-conditioning is the point here
        return {m: float(orthogonality_error(QR(a, method=m).Q, norm=2)) for m in METHODS}


@experiment("orthogonality", "Loss of orthogonality against κ", order=6)
def run(settings: Settings) -> Outcome:
    hilbert_n = list(range(3, 13))
    step = 1.0 if settings.quick else 0.5
    exponents = [float(e) for e in np.arange(1.0, 15.01, step)]
    rng = settings.rng(6)
    hilb = {"n": hilbert_n, "kappa": [], **{m: [] for m in METHODS}}
    for n in hilbert_n:
        a = gallery.hilbert(n)
        hilb["kappa"].append(float(np.linalg.cond(a)))
        for m, v in _losses(a).items():
            hilb[m].append(v)
    rs = {"kappa": [10.0**e for e in exponents], **{m: [] for m in METHODS}}
    for e in exponents:
        a = gallery.randsvd(N, 10.0**e, m=M, random_state=rng)
        for m, v in _losses(a).items():
            rs[m].append(v)

    fig, axes = new_figure(2, width=5.2)
    for ax, data, title in (
        (axes[0], hilb, "Hilbert matrices, n = 3..12"),
        (axes[1], rs, f"randsvd {M}×{N}, mode 3"),
    ):
        k = np.array(data["kappa"])
        for m in METHODS:
            ax.loglog(k, np.maximum(data[m], U / 4), MARKS[m], label=LABELS[m], markersize=4)
        reference_line(ax, k, k * U, r"$\kappa u$")
        ax.plot(k, np.minimum(k**2 * U, 1e2), linestyle=":", color="0.25", label=r"$\kappa^2 u$")
        ax.set_xlabel(r"$\kappa_2(A)$")
        ax.set_ylabel(r"$\|I - Q^T Q\|_2$")
        ax.set_ylim(U / 8, 1e2)
        ax.set_title(title)
        ax.legend(fontsize=7, ncol=2)

    i12 = hilbert_n.index(12)
    ratio12 = hilb["cgs"][i12] / hilb["householder"][i12]
    stable_bound = M * N * U
    stable = max(max(d[m]) for d in (hilb, rs) for m in ("householder", "givens", "cgs2"))
    cols = {"hilbert": hilbert_n, "randsvd": [N] * len(exponents)}  # n, the number of columns
    mgs_ratio = max(
        v / (n * k * U)
        for d, c in ((hilb, cols["hilbert"]), (rs, cols["randsvd"]))
        for n, k, v in zip(c, d["kappa"], d["mgs"], strict=True)
    )
    cgs_ok = all(
        v <= n * k * k * U
        for d, c in ((hilb, cols["hilbert"]), (rs, cols["randsvd"]))
        for n, k, v in zip(c, d["kappa"], d["cgs"], strict=True)
        if k * k * U < 1
    )
    apart = min(c / g for k, c, g in zip(rs["kappa"], rs["cgs"], rs["mgs"], strict=True) if k >= 1e6)
    claims = [
        Claim(
            "On Hilbert(12) classical Gram–Schmidt's orthogonality error is more than 1000 times Householder's.",
            ratio12 > 1e3,
            f"CGS {hilb['cgs'][i12]:.3g}, Householder {hilb['householder'][i12]:.3g}: ratio {ratio12:.3g}",
        ),
        Claim(
            f"Householder, Givens and CGS2 keep Q orthogonal to working precision whatever κ (below mnu = {stable_bound:.2g}).",
            stable <= stable_bound,
            f"largest loss {stable:.3g} = {stable / U:.3g} u",
        ),
        Claim(
            "MGS loses orthogonality in proportion to κ: below n·κ·u everywhere (Björck).",
            mgs_ratio <= 1,
            f"largest loss/(nκu) = {mgs_ratio:.3g}",
        ),
        Claim(
            "CGS loses it like κ²: below n·κ²·u while κ²u < 1, and more than 100 times MGS's loss once κ >= 1e6.",
            cgs_ok and apart > 100,
            f"smallest CGS/MGS ratio for κ >= 1e6: {apart:.3g}",
        ),
    ]
    rows = tuple((n, hilb["kappa"][i], *(hilb[m][i] for m in METHODS)) for i, n in enumerate(hilbert_n))
    rs_rows = tuple(
        (rs["kappa"][i], *(rs[m][i] for m in METHODS))
        for i, e in enumerate(exponents)
        if float(e).is_integer() and e % 2 == 1
    )
    return Outcome(
        shows=(
            "How orthogonal is the computed Q? Householder and Givens QR apply orthogonal transformations "
            "and lose nothing, whatever the condition number κ of A. Gram–Schmidt builds Q from A's "
            "columns: modified Gram–Schmidt loses orthogonality like κu, classical Gram–Schmidt like "
            "κ²u (until Q is garbage), and classical Gram–Schmidt run twice (CGS2) is as good as "
            "Householder while κu < 1. All five are pivotal's kernels (pv.QR(A, method=...))."
        ),
        figures=[
            Figure(
                "orthogonality",
                "‖I - QᵀQ‖₂ against κ₂(A) on Hilbert matrices (left) and randsvd matrices (right), "
                "with κu (dashed) and κ²u (dotted).",
                fig,
            )
        ],
        tables=[
            Table("Hilbert matrices: ‖I - QᵀQ‖₂", ("n", "κ₂", *(LABELS[m] for m in METHODS)), rows),
            Table(f"randsvd {M}×{N}: ‖I - QᵀQ‖₂", ("κ₂", *(LABELS[m] for m in METHODS)), rs_rows),
        ],
        claims=claims,
        data={"hilbert": hilb, "randsvd": rs, "randsvd_shape": [M, N], "u": U},
    )
