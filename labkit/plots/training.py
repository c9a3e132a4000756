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
    """Training loss per logging step and evaluation metrics per epoch, from ``trainer.state.log_history`` (one
    panel, the loss, when the run never evaluated)."""
    plt = _plt()
    train = [(e["epoch"], e["loss"]) for e in log_history if "loss" in e]
    evals = [e for e in log_history if "eval_loss" in e]
    if not evals:
        fig, ax = plt.subplots(figsize=(6, 3.4))
        if train:
            ax.plot(*zip(*train), marker=".", label="training loss")
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        ax.set_title(f"{title}: training loss")
        fig.tight_layout()
        return fig
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


def lora_matrices(module: str, d_in: int, d_out: int, rank: int):
    """LoRA on one linear layer, drawn to scale: the frozen weight W (d_out x d_in) beside the two matrices the
    adapter learns, B (d_out x rank) and A (rank x d_in), whose product B @ A has W's shape."""
    from matplotlib.patches import Rectangle

    if min(d_in, d_out, rank) < 1:
        raise ValueError(f"sizes must be >= 1, got d_in={d_in}, d_out={d_out}, rank={rank}")
    plt = _plt()
    gap = 0.25 * d_in
    fig, ax = plt.subplots(figsize=(9, 3.6))
    boxes = [("W (frozen)", 0, 0, d_in, d_out, "#bbbbbb"),
             ("B", d_in + gap, 0, rank, d_out, "#e4572e"),
             ("A", d_in + 2 * gap + rank, d_out - rank, d_in, rank, "#2e86ab")]
    for name, x, y, w, h, color in boxes:
        ax.add_patch(Rectangle((x, y), w, h, facecolor=color, edgecolor="black"))
        ax.text(x + w / 2, -0.06 * d_out, f"{name}\n{h} x {w}\n{w * h:,} weights", ha="center", va="top")
    ax.text(d_in + gap / 2, d_out / 2, "+", ha="center", va="center", fontsize=18)
    ax.text(d_in + 1.5 * gap + rank, d_out - rank / 2, "@", ha="center", va="center", fontsize=14)
    ax.set_xlim(-0.05 * d_in, 2 * d_in + 2 * gap + rank + 0.05 * d_in)
    ax.set_ylim(-0.45 * d_out, 1.05 * d_out)
    ax.set_aspect("equal")
    ax.axis("off")
    share = rank * (d_in + d_out) / (d_in * d_out)
    ax.set_title(f"{module}: output = W x + scale * B (A x); the adapter is {share:.1%} of W's size")
    fig.tight_layout()
    return fig
