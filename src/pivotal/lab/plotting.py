"""Figure helpers shared by the experiments: matplotlib's object API only (no pyplot, no global state)."""

from __future__ import annotations

from typing import Any

__all__ = ["U", "new_figure", "reference_line"]

#: Unit roundoff of float64, ``2**-53``.
U = 2.0**-53


def new_figure(ncols: int = 1, *, width: float = 6.4, height: float = 4.0) -> tuple[Any, list[Any]]:
    """A ``matplotlib.figure.Figure`` with ``ncols`` side-by-side axes (a grid drawn on each)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width * ncols if ncols > 1 else width, height), layout="constrained")
    axes = [fig.add_subplot(1, ncols, i + 1) for i in range(ncols)]
    for ax in axes:
        ax.grid(True, which="major", alpha=0.3)
    return fig, axes


def reference_line(ax: Any, x: Any, y: Any, label: str) -> None:
    """A theory line: dashed grey-black, labelled (the legend names it)."""
    ax.plot(x, y, linestyle="--", color="0.25", linewidth=1.2, label=label)
