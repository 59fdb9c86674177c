"""Experiment 12: Gaussian-process regression on sin(3x).

``pivotal.ml.GaussianProcessRegressor`` with ``C * RBF(l) + White(s_n^2)``
is fitted by maximum marginal likelihood on noisy samples of ``sin(3x)``.
The figure shows the posterior mean and 95% band, and the log marginal
likelihood over a grid of ``(l, s_n)`` (the signal variance held at its
fitted value) with the fitted optimum marked.
"""

from __future__ import annotations

import warnings

import numpy as np
from matplotlib.figure import Figure as MplFigure

from pivotal.lab._record import Claim, Figure, Outcome, Settings, Table, experiment
from pivotal.ml import RBF, ConstantKernel, GaussianProcessRegressor, WhiteKernel

NOISE = 0.1


@experiment("gp", "Gaussian-process regression on sin(3x)", order=12)
def run(settings: Settings) -> Outcome:
    n, grid, restarts = (20, 12, 1) if settings.quick else (40, 40, 3)
    rng = settings.rng(12)
    x = np.sort(rng.uniform(-2.0, 2.0, n))
    y = np.sin(3 * x) + NOISE * rng.standard_normal(n)
    kernel = ConstantKernel(1.0) * RBF(1.0) + WhiteKernel(0.01)
    with warnings.catch_warnings():
        warnings.simplefilter(
            "ignore", RuntimeWarning
        )  # a restart that stops early is reported in fit_report_
        gp = GaussianProcessRegressor(kernel, n_restarts_optimizer=restarts, random_state=settings.seed)
        gp.fit(x[:, None], y)
    theta = gp.kernel_.theta.copy()  # log [C, l, s_n^2]
    constant, length, noise_var = np.exp(theta)
    noise = float(np.sqrt(noise_var))
    lml_opt = float(gp.log_marginal_likelihood_value_)
    _, grad = gp.log_marginal_likelihood(theta, eval_gradient=True)

    # The landscape: a slice through the optimum (C fixed at its fitted value).
    lengths = np.geomspace(0.05, 3.0, grid)
    noises = np.geomspace(1e-3, 1.0, grid)
    lml = np.empty((grid, grid))
    for i, s in enumerate(noises):
        for j, ell in enumerate(lengths):
            lml[i, j] = gp.log_marginal_likelihood(np.array([theta[0], np.log(ell), 2 * np.log(s)]))
    i_best, j_best = np.unravel_index(np.argmax(lml), lml.shape)

    xs = np.linspace(-2.5, 2.5, 201)
    mean, std = gp.predict(xs[:, None], return_std=True)
    truth = np.sin(3 * xs)
    inside = np.abs(xs) <= 2.0
    covered = float(np.mean(np.abs(mean - truth)[inside] <= 1.96 * std[inside]))
    prior_std = float(np.sqrt(constant + noise_var))
    rmse = float(np.sqrt(np.mean((mean - truth)[inside] ** 2)))

    tol = 1e-8 * max(1.0, abs(lml_opt))
    claims = [
        Claim(
            "The fitted hyperparameters maximise the likelihood: no grid point beats the optimum",
            lml.max() <= lml_opt + tol,
            f"optimum LML {lml_opt:.6g} at l = {length:.3g}, s_n = {noise:.3g}; best of {grid}x{grid} grid "
            f"{lml.max():.6g} at l = {lengths[j_best]:.3g}, s_n = {noises[i_best]:.3g}",
        ),
        Claim(
            "The analytic gradient vanishes at the optimum (stationary point, |dLML/dlog theta| < 1e-3)",
            float(np.max(np.abs(grad))) < 1e-3,
            f"gradient {np.array2string(grad, precision=2)} (log C, log l, log s_n^2)",
        ),
        Claim(
            "Conditioning on data only shrinks the uncertainty: posterior std <= prior std everywhere",
            float(std.max()) <= prior_std * (1 + 1e-12),
            f"largest posterior std {std.max():.4g}, prior std sqrt(C + s_n^2) = {prior_std:.4g}",
        ),
        Claim(
            f"The noise level is recovered within a factor 2 (true s_n = {NOISE})",
            NOISE / 2 <= noise <= 2 * NOISE,
            f"fitted s_n = {noise:.3g} from n = {n} points",
        ),
        Claim(
            "The 95% predictive band covers sin(3x) at >= 90% of the points inside the data's range",
            covered >= 0.9,
            f"covered {covered:.1%} of 161 points in [-2, 2]; RMSE of the mean {rmse:.3g}",
        ),
    ]

    fig = MplFigure(figsize=(11, 4.2), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    ax1.fill_between(xs, mean - 1.96 * std, mean + 1.96 * std, color="tab:blue", alpha=0.2, label="95% band")
    ax1.plot(xs, truth, "k--", lw=1, label="sin(3x)")
    ax1.plot(xs, mean, "tab:blue", label="posterior mean")
    ax1.plot(x, y, "o", color="tab:red", ms=4, label=f"data (noise {NOISE})")
    ax1.set(xlabel="x", ylabel="y", title=f"GP posterior, n = {n}")
    ax1.legend(fontsize=8)
    levels = np.sort(
        lml_opt - np.array([100.0, 30.0, 10.0, 3.0, 1.0])
    )  # white lines: LML drops from the optimum
    cs = ax2.contourf(lengths, noises, np.maximum(lml, lml_opt - 250), levels=30, cmap="viridis")
    ax2.contour(lengths, noises, lml, levels=levels, colors="w", linewidths=0.5)
    fig.colorbar(cs, ax=ax2, label="log marginal likelihood")
    ax2.plot(length, noise, "r*", ms=14, label="optimum (L-BFGS-B)")
    ax2.axhline(NOISE, color="w", ls=":", lw=1, label="true noise")
    ax2.set(xscale="log", yscale="log", xlabel="length scale l", ylabel="noise s_n", title="LML landscape")
    ax2.legend(fontsize=8, loc="lower left")

    table = Table(
        "Fitted model",
        ("quantity", "value"),
        (
            ("signal variance C", float(constant)),
            ("length scale l", float(length)),
            ("noise s_n (true 0.1)", noise),
            ("log marginal likelihood", lml_opt),
            ("best grid LML", float(lml.max())),
            ("likelihood evaluations in the fit", int(gp.fit_report_.evaluations)),
            ("rcond of K (Hager-Higham)", float(gp.fit_report_.rcond)),
            ("coverage of the 95% band in [-2, 2]", covered),
            ("RMSE of the mean in [-2, 2]", rmse),
        ),
    )
    return Outcome(
        shows=(
            "A Gaussian process fitted by maximum marginal likelihood recovers sin(3x) from noisy samples, "
            "with an honest uncertainty band that widens away from the data.  Each likelihood evaluation is "
            "one Cholesky factorization of K + s_n^2 I; the landscape shows the trade-off between a short "
            "length scale with little noise (fitting the noise) and a long one with much noise (explaining "
            "everything as noise), with the maximum in between."
        ),
        figures=[
            Figure(
                "gp",
                "Posterior mean and 95% band against sin(3x); LML over (l, s_n) with the optimum (star) "
                "and the true noise level (dotted).",
                fig,
            )
        ],
        tables=[table],
        claims=claims,
        data={
            "n": n,
            "true_noise": NOISE,
            "theta": theta.tolist(),
            "length_scale": float(length),
            "noise": noise,
            "signal_variance": float(constant),
            "lml_optimum": lml_opt,
            "lml_gradient": grad.tolist(),
            "grid_length_scales": lengths.tolist(),
            "grid_noises": noises.tolist(),
            "grid_lml": lml.tolist(),
            "coverage": covered,
            "rmse": rmse,
            "max_posterior_std": float(std.max()),
            "prior_std": prior_std,
        },
    )
