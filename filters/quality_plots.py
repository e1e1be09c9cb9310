"""The calibration picture of a trained quality model (``calibration.png``), from its held-out documents."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipeline.atomic import atomic_write


def calibration_plot(path: Path, task: str, y: np.ndarray, p: np.ndarray, metrics: dict) -> None:
    """Write a PNG: for a classifier, the fraction positive against the predicted P(positive) in 10 bins
    (a reliability diagram, the diagonal = perfectly calibrated); for a regressor, predicted grade against
    the true label, one dot a held-out document. ``metrics`` gives the headline in the legend or title."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 5))
    if not len(y):
        ax.text(0.5, 0.5, "no held-out documents", ha="center")
    elif task == "classify":
        bins = np.linspace(0, 1, 11)
        idx = np.clip(np.digitize(p, bins) - 1, 0, 9)
        xs = [p[idx == b].mean() for b in range(10) if (idx == b).any()]
        ys = [y[idx == b].mean() for b in range(10) if (idx == b).any()]
        ax.plot([0, 1], [0, 1], "k:", label="perfectly calibrated")
        ax.plot(xs, ys, "o-", label=f"model (ROC AUC {metrics['roc_auc'] or float('nan'):.3f})")
        ax.set_xlabel("predicted P(positive), 10 bins")
        ax.set_ylabel("fraction positive (held out)")
        ax.legend(loc="upper left")
    else:
        ax.scatter(y, p, s=6, alpha=0.4)
        lo, hi = float(min(y.min(), p.min())), float(max(y.max(), p.max()))
        ax.plot([lo, hi], [lo, hi], "k:")
        ax.set_xlabel("true label (held out)")
        ax.set_ylabel("predicted grade")
        ax.set_title(f"Spearman {metrics['spearman'] or float('nan'):.3f}")
    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=100, format="png"))
    plt.close(fig)
