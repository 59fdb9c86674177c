"""Experiment 5: the Householder sign choice, the cancellation of the "bad" sign against the "good" one."""

from __future__ import annotations

import numpy as np

from ...kernels.householder import larfg
from .._record import Claim, Figure, Outcome, Settings, Table, experiment
from ..plotting import U, new_figure, reference_line

M = 10  # length of the vector reflected


def _reflect(x: np.ndarray, v: np.ndarray, tau: float) -> np.ndarray:
    """``H x`` with ``H = I - tau v v^T``."""
    return x - tau * v * (v @ x)


@experiment("householder_sign", "The Householder sign choice", order=5)
def run(settings: Settings) -> Outcome:
    step = 1.0 if settings.quick else 0.5
    deltas = [float(10.0**-k) for k in np.arange(0.5, 16.01, step)]
    rng = settings.rng(5)
    w = rng.standard_normal(M - 1)
    w /= np.linalg.norm(w)
    v1_err = {"good": [], "bad": []}
    tail_err = {"good": [], "bad": []}
    backward = {"good": [], "bad": []}
    for d in deltas:
        x = np.concatenate([[1.0], d * w])
        tail2 = float(x[1:] @ x[1:])
        norm_x = float(np.sqrt(1.0 + tail2))
        # Exact leading entries of v: 1 + ||x|| (good sign) and 1 - ||x|| = -t/(1 + ||x||) (bad sign,
        # Parlett's cancellation-free form), both accurate to a few u.
        exact = {"good": 1.0 + norm_x, "bad": -tail2 / (1.0 + norm_x)}
        # Good sign: pivotal's larfg, beta = -sign(alpha) ||x||, v = [1, x / (alpha - beta)].
        rest = x[1:].copy()
        beta, tau = larfg(x[0], rest)
        v_good = np.concatenate([[1.0], rest])
        computed = {"good": x[0] - beta}
        hx = {"good": _reflect(x, v_good, tau)}
        # Bad sign: beta = +||x||, v = x - ||x|| e1: the leading entry cancels.
        v_bad = x.copy()
        v_bad[0] = x[0] - np.linalg.norm(x)
        computed["bad"] = v_bad[0]
        vv = float(v_bad @ v_bad)
        hx["bad"] = _reflect(x, v_bad, 2.0 / vv)
        target = {"good": beta, "bad": norm_x}
        for s in ("good", "bad"):
            v1_err[s].append(float(abs(computed[s] - exact[s]) / abs(exact[s])))
            tail_err[s].append(float(np.linalg.norm(hx[s][1:]) / np.linalg.norm(x[1:])))
            r = hx[s].copy()
            r[0] -= target[s]
            backward[s].append(float(np.linalg.norm(r) / norm_x))

    fig, (ax, bx) = new_figure(2, width=5.2)
    floor = U / 4
    for s, mark, col in (("bad", "o-", "C3"), ("good", "s-", "C0")):
        label = "bad sign: v₁ = x₁ - ‖x‖" if s == "bad" else "good sign: v₁ = x₁ + ‖x‖ (pivotal larfg)"
        ax.loglog(deltas, np.maximum(v1_err[s], floor), mark, color=col, label=label)
        bx.loglog(deltas, np.maximum(backward[s], floor), mark, color=col, label=label)
    reference_line(ax, deltas, [U / d**2 for d in deltas], r"$u/\delta^2$")
    reference_line(bx, deltas, [min(U / d, d) for d in deltas], r"$\min(u/\delta, \delta)$")
    for axis in (ax, bx):
        axis.axhline(U, color="0.5", linestyle=":", label="u")
        axis.set_xlabel(r"$\delta = \|x_{2:m}\| / |x_1|$")
        axis.set_ylim(floor / 2, 10)
        axis.invert_xaxis()
        axis.legend(fontsize=7)
    ax.set_ylabel("relative error of v₁ (exact zero drawn at u/4)")
    ax.set_title("Cancellation in the reflector's leading entry")
    bx.set_ylabel(r"$\|Hx - \beta e_1\| / \|x\|$")
    bx.set_title("Backward error of the reflection")

    lost = [e for d, e in zip(deltas, v1_err["bad"], strict=True) if d * d < U / 2]
    tracked = all(e <= 8 * U / d**2 for d, e in zip(deltas, v1_err["bad"], strict=True) if d * d >= U / 2)
    good_max = max(*v1_err["good"], *tail_err["good"])
    claims = [
        Claim(
            "The good sign (pivotal's larfg) never cancels: v₁ and the annihilated part are accurate "
            f"to a few units of roundoff for every δ (below {M}u).",
            good_max <= M * U,
            f"largest error {good_max / U:.3g} u over δ = {deltas[0]:.2g}..{deltas[-1]:.2g}",
        ),
        Claim(
            "The bad sign cancels: v₁'s relative error follows u/δ² (within a factor 8) while δ² >= u/2, "
            "and every digit is lost (error >= 0.5) once δ² < u/2.",
            tracked and bool(lost) and min(lost) >= 0.5,
            f"error {v1_err['bad'][0]:.2g} at δ = {deltas[0]:.2g}; "
            + (f"smallest error for δ² < u/2: {min(lost):.3g}" if lost else "no δ with δ² < u/2"),
        ),
        Claim(
            "So the bad reflector fails at its job: for small δ it leaves the whole tail "
            "un-annihilated (ratio near 1), while the good one leaves at most a few u of it.",
            max(tail_err["bad"]) >= 0.5 and max(tail_err["good"]) <= M * U,
            f"largest remaining tail: bad {max(tail_err['bad']):.3g}, good {max(tail_err['good']):.3g}",
        ),
        Claim(
            "In backward-error terms, ‖Hx − βe₁‖/‖x‖ of the bad sign rises to about √u near δ = √u "
            f"(more than 10⁴u), while the good sign's stays below γ-sized 4mu = {4 * M}u.",
            max(backward["bad"]) > 1e4 * U and max(backward["good"]) <= 4 * M * U,
            f"largest backward error: bad {max(backward['bad']):.3g} = {max(backward['bad']) / U:.3g} u, "
            f"good {max(backward['good']) / U:.3g} u",
        ),
    ]
    rows = tuple(
        (d, v1_err["good"][i], v1_err["bad"][i], tail_err["good"][i], tail_err["bad"][i])
        for i, d in enumerate(deltas)
        if i % (2 if step == 0.5 else 1) == 0
    )
    return Outcome(
        shows=(
            "A Householder reflector H = I - 2vvᵀ/vᵀv maps x to ∓‖x‖e₁ with v = x ± ‖x‖e₁. When x is "
            "nearly parallel to e₁ (tail of relative size δ), the sign that subtracts, v₁ = x₁ - ‖x‖, "
            "cancels catastrophically: its relative error grows like u/δ² and all digits are gone once "
            "δ² < u, after which H no longer zeroes the tail. LAPACK's choice, v₁ = x₁ + sign(x₁)‖x‖, "
            f"which pivotal's larfg kernel uses, adds and stays accurate. Vectors of length {M}."
        ),
        figures=[
            Figure(
                "sign-sweep",
                "Left: relative error of the reflector's leading entry v₁ against δ, with u/δ² (dashed) "
                "and u (dotted). Right: backward error ‖Hx − βe₁‖/‖x‖ of the reflection, with "
                "min(u/δ, δ) (dashed).",
                fig,
            )
        ],
        tables=[
            Table(
                "Errors over the sweep",
                ("δ", "v₁ error, good", "v₁ error, bad", "tail left, good", "tail left, bad"),
                rows,
            )
        ],
        claims=claims,
        data={
            "delta": deltas,
            "v1_relative_error": v1_err,
            "tail_left": tail_err,
            "backward_error": backward,
            "m": M,
            "u": U,
        },
    )
