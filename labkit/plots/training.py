"""Figures of a training run: loss and metric curves, and the confusion matrix."""
from __future__ import annotations

from typing import Sequence

from ..training import confusion_counts
from .charts import _plt


def confusion_matrix(labels, predictions, names: Sequence[str], title: str = "Confusion matrix"):
    """Counts of (true label, predicted label), with each row's share written in the cells."""
    import numpy as np

    k = len(names)
    counts = confusion_counts(labels, predictions, k)
    shares = counts / np.maximum(counts.sum(1, keepdims=True), 1)
    plt = _plt()
    fig, ax = plt.subplots(figsize=(1.3 * k + 2.2, 1.1 * k + 1.2))
    ax.imshow(shares, vmin=0, vmax=1, cmap="Blues")
    ax.set_xticks(range(k), names)
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.grid(False)
    for i in range(k):
        for j in range(k):
            ax.text(j, i, f"{counts[i, j]}\n{shares[i, j]:.0%}", ha="center", va="center",
                    color="white" if shares[i, j] > 0.5 else "black", fontsize=9)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def training_curves(log_history: list[dict], title: str = "Training"):
    """Training loss per logging step and evaluation metrics per epoch, from ``trainer.state.log_history``."""
    plt = _plt()
    train = [(e["epoch"], e["loss"]) for e in log_history if "loss" in e]
    evals = [e for e in log_history if "eval_loss" in e]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.4))
    if train:
        left.plot(*zip(*train), marker=".", label="training loss")
    if evals:
        left.plot([e["epoch"] for e in evals], [e["eval_loss"] for e in evals], marker="o", label="validation loss")
        for key in ("eval_accuracy", "eval_macro_f1"):
            if key in evals[0]:
                right.plot([e["epoch"] for e in evals], [e[key] for e in evals], marker="o",
                           label=key.removeprefix("eval_"))
    left.set_xlabel("epoch")
    left.set_title("loss")
    left.legend()
    right.set_xlabel("epoch")
    right.set_title("validation metrics")
    right.set_ylim(0, 1)
    if right.lines:
        right.legend()
    fig.suptitle(title)
    fig.tight_layout()
    return fig
