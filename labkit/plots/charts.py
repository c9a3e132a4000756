"""General charts: probabilities, similarities, bars, hidden states, temperature and top-k / top-p cut-offs."""
from __future__ import annotations

import textwrap
from typing import Sequence


def _plt():
    import matplotlib.pyplot as plt

    return plt


def probability_bars(probs, labels: Sequence[str], texts: Sequence[str], title: str = "Predicted probabilities"):
    """One row of horizontal bars per text: the probability of each label."""
    import numpy as np

    probs = np.asarray(probs, dtype=float)
    if probs.shape != (len(texts), len(labels)):
        raise ValueError(f"probs has shape {probs.shape}; expected (texts, labels) = ({len(texts)}, {len(labels)})")
    plt = _plt()
    fig, axes = plt.subplots(1, len(texts), figsize=(3.2 * len(texts), 2.4), sharex=True, squeeze=False)
    for ax, row, text in zip(axes[0], probs, texts):
        ax.barh(list(labels), row, color=["#08519c" if i == row.argmax() else "#9ecae1" for i in range(len(row))])
        ax.set_xlim(0, 1)
        ax.set_title(textwrap.fill(text, 34), fontsize=9)  # the whole text, wrapped
        ax.invert_yaxis()
    axes[0][0].set_xlabel("probability")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def similarity_heatmap(matrix, labels: Sequence[str], title: str = "Cosine similarity"):
    """A labelled square heatmap with the value written in each cell."""
    import numpy as np

    matrix = np.asarray(matrix, dtype=float)
    if matrix.shape != (len(labels), len(labels)):
        raise ValueError(f"matrix has shape {matrix.shape}; expected ({len(labels)}, {len(labels)})")
    plt = _plt()
    fig, ax = plt.subplots(figsize=(1.2 * len(labels) + 2.5, 1.0 * len(labels) + 1.2))
    image = ax.imshow(matrix, vmin=min(0.0, matrix.min()), vmax=1.0, cmap="viridis")
    wrapped = [textwrap.fill(label, 22) for label in labels]  # the whole label, on several lines
    ax.set_xticks(range(len(labels)), wrapped, rotation=30, ha="right")
    ax.set_yticks(range(len(labels)), wrapped)
    ax.grid(False)
    for i in range(len(labels)):
        for j in range(len(labels)):
            ax.text(j, i, f"{matrix[i, j]:.2f}", ha="center", va="center",
                    color="black" if matrix[i, j] > 0.6 else "white", fontsize=9)
    fig.colorbar(image, ax=ax, shrink=0.8)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def bars(values: dict, title: str, ylabel: str, annotate: str = "{:,.0f}", width: float | None = None,
         rotate: float = 0):
    """A simple labelled bar chart of {name: value}, each bar annotated with its value (``width`` in inches;
    ``rotate`` turns long names by that many degrees so that they do not overlap)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(width or 1.6 * len(values) + 2.5, 3.2))
    names, heights = list(values), list(values.values())
    drawn = ax.bar(names, heights, color="#3182bd")
    ax.bar_label(drawn, [annotate.format(v) for v in heights], padding=2)
    if rotate:
        plt.setp(ax.get_xticklabels(), rotation=rotate, ha="right", rotation_mode="anchor")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.margins(y=0.15)
    fig.tight_layout()
    return fig


def bar_panels(panels: dict, title: str, ylabel: str, annotate: str = "{:,.1f}", share_y: bool = False):
    """One bar chart per panel, side by side: {panel: {name: value}} (for example the time per call of several
    runtimes at batch 1 and at batch 32), each on its own scale, or on one scale with ``share_y``."""
    plt = _plt()
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.4), squeeze=False, sharey=share_y)
    colours = ("#3182bd", "#e6550d", "#31a354", "#756bb1", "#636363")
    for ax, (panel, values) in zip(axes[0], panels.items()):
        names, heights = list(values), list(values.values())
        drawn = ax.bar(range(len(names)), heights, color=colours[:len(names)])
        ax.bar_label(drawn, [annotate.format(v) for v in heights], padding=2)
        ax.set_xticks(range(len(names)), [n.replace(" ", "\n", 1) for n in names])
        ax.set_title(panel)
        ax.set_ylabel(ylabel)
        ax.margins(y=0.15)
    fig.suptitle(title, fontweight="bold")
    fig.tight_layout()
    return fig


def hidden_states_heatmap(hidden, tokens: Sequence[str], dims: int = 48, title: str = "last_hidden_state[0]"):
    """One sentence's hidden states as a (tokens x hidden) image: a row of numbers per token."""
    import numpy as np

    hidden = np.asarray(hidden, dtype=float)
    if hidden.ndim != 2 or hidden.shape[0] != len(tokens):
        raise ValueError(f"hidden has shape {hidden.shape}; expected (tokens, hidden) with {len(tokens)} tokens")
    plt = _plt()
    shown = hidden[:, :dims]
    fig, ax = plt.subplots(figsize=(9, 0.32 * len(tokens) + 1.4))
    image = ax.imshow(shown, aspect="auto", cmap="RdBu_r", vmin=-abs(shown).max(), vmax=abs(shown).max())
    ax.set_yticks(range(len(tokens)), tokens)
    ax.set_xlabel(f"hidden dimension (first {shown.shape[1]} of {hidden.shape[1]})")
    ax.set_ylabel("token (sequence axis)")
    ax.grid(False)
    fig.colorbar(image, ax=ax, shrink=0.8, label="value of the hidden dimension")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def temperature_curves(logits, labels: Sequence[str], temperatures=(0.5, 1.0, 1.5), top: int = 12):
    """softmax(logits / T) for several T over the same most likely tokens: low T sharpens, high T flattens."""
    import torch

    logits = torch.as_tensor(logits, dtype=torch.float32)
    order = logits.argsort(descending=True)[:top]
    plt = _plt()
    fig, ax = plt.subplots(figsize=(9, 3.6))
    width = 0.8 / len(temperatures)
    for i, t in enumerate(temperatures):
        probs = torch.softmax(logits / t, dim=-1)[order]
        ax.bar([x + (i - (len(temperatures) - 1) / 2) * width for x in range(len(order))], probs, width,
               label=f"T = {t}")
    ax.set_xticks(range(len(order)), [labels[int(i)] for i in order], rotation=45, ha="right")
    ax.set_ylabel("probability")
    ax.set_title(f"Next-token probabilities at different temperatures (top {len(order)} tokens)")
    ax.legend()
    fig.tight_layout()
    return fig


def cutoff_plot(probs, labels: Sequence[str], top_k: int | None = None, top_p: float | None = None, show: int = 30):
    """Sorted probabilities (bars) and their running total over the whole vocabulary (line), with the top-k and
    top-p cuts drawn; a cut beyond the tokens shown is named in the legend and marked at the right edge."""
    import torch

    probs = torch.as_tensor(probs, dtype=torch.float32)
    values, order = probs.sort(descending=True)
    cumulative = values.cumsum(0)[:show].numpy()
    values, order = values[:show].numpy(), order[:show]
    plt = _plt()
    fig, ax = plt.subplots(figsize=(11, 3.8), layout="constrained")
    ax.bar(range(len(values)), values, color="#3182bd", label="probability (sorted)")
    twin = ax.twinx()
    twin.plot(range(len(values)), cumulative, color="#636363", marker=".", label="cumulative")
    twin.set_ylim(0, 1.05)
    twin.set_ylabel("cumulative probability")
    twin.grid(False)
    edge = len(values) - 0.5
    if top_k:
        beyond = f" (beyond the {len(values)} shown)" if top_k > len(values) else ""
        ax.axvline(min(top_k - 0.5, edge), color="#d62728", linestyle="--",
                   label=f"top-k = {top_k}: keeps {top_k} tokens{beyond}")
    if top_p:
        from ..decoding import TopP  # the count the sampler keeps, over the whole vocabulary

        kept = int(torch.isfinite(TopP(top_p)(None, probs.log()[None])).sum())
        beyond = f" (beyond the {len(values)} shown)" if kept > len(values) else ""
        ax.axvline(min(kept - 0.5, edge), color="#31a354", linestyle=":", linewidth=2,
                   label=f"top-p = {top_p}: keeps {kept} tokens{beyond}")
        twin.axhline(top_p, color="#31a354", linestyle=":", linewidth=0.8)
    ax.set_xlim(-0.6, edge + 0.1)
    ax.set_xticks(range(len(values)), [labels[int(i)] for i in order], rotation=60, ha="right", fontsize=8)
    ax.set_ylabel("probability")
    ax.set_title(f"Top-k and top-p cut the sorted distribution (the {len(values)} most likely tokens shown)")
    lines = ax.get_legend_handles_labels()
    more = twin.get_legend_handles_labels()
    fig.legend(lines[0] + more[0], lines[1] + more[1], loc="outside right upper", fontsize=8)  # off the curve
    return fig
