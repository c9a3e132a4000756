"""Evaluation figures: estimates with their confidence intervals, and reliability diagrams (notebook 12)."""
from __future__ import annotations

from .charts import _plt


def intervals(estimates: dict, title: str = "Estimates with 95% intervals", ylabel: str = "score"):
    """One point per {name: (value, low, high)}, with its interval drawn as an error bar and written beside it."""
    plt = _plt()
    names = list(estimates)
    values, lows, highs = zip(*(estimates[n] for n in names))
    fig, ax = plt.subplots(figsize=(1.9 * len(names) + 2, 3.4))
    for x, (value, low, high) in enumerate(zip(values, lows, highs)):
        if not low <= value <= high:
            raise ValueError(f"{names[x]!r}: {value} is outside its interval [{low}, {high}]")
        ax.errorbar(x, value, yerr=[[value - low], [high - value]], fmt="o", color="#3182bd", capsize=6)
        ax.annotate(f"{value:.3f}\n[{low:.3f}, {high:.3f}]", (x, high), textcoords="offset points", xytext=(0, 6),
                    ha="center", fontsize=8)
    ax.set_xticks(range(len(names)), names)
    ax.set_xlim(-0.6, len(names) - 0.4)
    ax.margins(y=0.35)
    ax.set(title=title, ylabel=ylabel)
    fig.tight_layout()
    return fig


def reliability_diagrams(panels: dict, labels, n_bins: int = 10):
    """One reliability diagram per {title: logits}: each equal-width confidence bin's accuracy (bars) against the
    diagonal of perfect calibration, with the share of examples in each bin written on its bar."""
    import numpy as np
    import torch

    plt = _plt()
    labels = np.asarray(labels)
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 4), squeeze=False, sharey=True)
    edges = np.linspace(0, 1, n_bins + 1)
    for ax, (title, logits) in zip(axes[0], panels.items()):
        probs = torch.softmax(torch.as_tensor(logits, dtype=torch.float64), -1).numpy()
        confidence, correct = probs.max(-1), probs.argmax(-1) == labels
        bins = np.minimum((confidence * n_bins).astype(int), n_bins - 1)
        for b in range(n_bins):
            in_bin = bins == b
            if in_bin.any():
                ax.bar(edges[b], correct[in_bin].mean(), width=1 / n_bins, align="edge", color="#3182bd",
                       edgecolor="white", label="accuracy in the bin" if b == bins.min() else None)
                ax.plot(confidence[in_bin].mean(), correct[in_bin].mean(), "o", color="#e6550d", markersize=4,
                        label="(mean confidence, accuracy)" if b == bins.min() else None)
                ax.text(edges[b] + 0.5 / n_bins, 0.02, f"{in_bin.mean():.0%}", ha="center", fontsize=7,
                        color="white", rotation=90)
        ax.plot([0, 1], [0, 1], "--", color="grey", label="perfect calibration")
        ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="confidence (the predicted label's probability)", title=title)
        ax.legend(loc="upper left", fontsize=8)
    axes[0][0].set_ylabel("accuracy")
    fig.suptitle("Reliability diagram (the white numbers: the share of examples in each bin)")
    fig.tight_layout()
    return fig
