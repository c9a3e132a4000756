"""Attention maps with matplotlib: every layer x head at once, one head zoomed in, the average over heads, and how
token vectors drift through the layers. Each function looks at one input of the batch (``batch_index``).
"""
from __future__ import annotations

from typing import Sequence

from ..attention import check_position, check_tokens, layer_similarity, stack
from .charts import _plt


def attention_grid(attentions, tokens: Sequence[str], batch_index: int = 0, title: str | None = None):
    """Every layer (rows) x head (columns) as small heatmaps; query tokens down the left, key tokens along the
    bottom."""
    plt = _plt()
    weights = stack(attentions, batch_index)
    check_tokens(weights, tokens)
    layers, heads, n = weights.shape[0], weights.shape[1], len(tokens)
    size = 1.05 if n <= 12 else 1.6
    fig, axes = plt.subplots(layers, heads, figsize=(heads * size + 1.2, layers * size + 1.0), squeeze=False)
    for layer in range(layers):
        for head in range(heads):
            ax = axes[layer][head]
            ax.imshow(weights[layer, head].numpy(), vmin=0, vmax=1, cmap="viridis")
            ax.set_xticks(range(n), tokens if layer == layers - 1 else [""] * n, rotation=90, fontsize=6.5)
            ax.set_yticks(range(n), tokens if head == 0 else [""] * n, fontsize=6.5)
            ax.tick_params(length=0)
            ax.grid(False)
            if layer == 0:
                ax.set_title(f"head {head}", fontsize=10)
            if head == 0:
                ax.set_ylabel(f"layer {layer}", fontsize=10)
    fig.suptitle(title or f"Attention weights: {layers} layers x {heads} heads (rows: query, columns: key)")
    fig.tight_layout()
    return fig


def attention_head(attentions, tokens: Sequence[str], layer: int, head: int, batch_index: int = 0,
                   ax=None, values: bool = True):
    """One head, zoomed in, with its weights written in the cells."""
    plt = _plt()
    weights = stack(attentions, batch_index)
    check_position(weights, layer, head)
    check_tokens(weights, tokens)
    grid = weights[layer, head]
    fig = ax.figure if ax is not None else plt.figure(figsize=(0.45 * len(tokens) + 2.5, 0.4 * len(tokens) + 1.5))
    ax = ax or fig.add_subplot()
    image = ax.imshow(grid.numpy(), vmin=0, vmax=1, cmap="viridis")
    ax.set_xticks(range(len(tokens)), tokens, rotation=90)
    ax.set_yticks(range(len(tokens)), tokens)
    ax.set_xlabel("key (attended to)")
    ax.set_ylabel("query (attending)")
    ax.grid(False)
    if values and len(tokens) <= 16:
        for i in range(len(tokens)):
            for j in range(len(tokens)):
                if grid[i, j] >= 0.1:
                    ax.text(j, i, f"{grid[i, j]:.1f}", ha="center", va="center", fontsize=7,
                            color="black" if grid[i, j] > 0.6 else "white")
    ax.set_title(f"layer {layer}, head {head}")
    fig.colorbar(image, ax=ax, shrink=0.7)
    fig.tight_layout()
    return fig


def attention_average(attentions, tokens: Sequence[str], batch_index: int = 0):
    """For each layer, the attention averaged over its heads: one heatmap per layer, side by side."""
    plt = _plt()
    weights = stack(attentions, batch_index)
    check_tokens(weights, tokens)
    layers, n = weights.shape[0], len(tokens)
    fig, axes = plt.subplots(1, layers, figsize=(2.2 * layers + 1, 2.6), squeeze=False)
    for layer, ax in enumerate(axes[0]):
        ax.imshow(weights[layer].mean(0).numpy(), vmin=0, vmax=1, cmap="viridis")
        ax.set_xticks(range(n), tokens, rotation=90, fontsize=6)
        ax.set_yticks(range(n), tokens if layer == 0 else [""] * n, fontsize=6)
        ax.tick_params(length=0)
        ax.grid(False)
        ax.set_title(f"layer {layer}", fontsize=8)
    fig.suptitle("Attention averaged over heads")
    fig.tight_layout()
    return fig


def representation_drift(hidden_states, tokens: Sequence[str], batch_index: int = 0):
    """How each token's vector changes through the layers: cosine similarity of layer l with layer l-1 (left), and
    with the embedding it started from (right)."""
    step, start = layer_similarity(hidden_states, tokens, batch_index)
    plt = _plt()
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4), layout="constrained")
    colours = plt.get_cmap("tab10").colors  # 10 strong colours, then a new line style and marker: every token its own
    for t, token in enumerate(tokens):
        style = dict(marker="os^"[t // 10 % 3], markersize=4, color=colours[t % 10],
                     linestyle=("-", "--", ":")[t // 10 % 3], label=f"{t} {token}")
        left.plot(range(1, len(start)), step[:, t].numpy(), **style)
        right.plot(range(len(start)), start[:, t].numpy(), **style)
    left.set_title("similarity to the previous\nhidden state")
    right.set_title("similarity to the token's embedding\n(hidden_states[0])")  # two lines: clear of the legend
    for ax in (left, right):
        ax.set_xlabel("i in hidden_states[i] (0 = embeddings, i = after layer i - 1)")
        ax.set_ylabel("cosine similarity")
    fig.legend(*right.get_legend_handles_labels(), fontsize=7, ncol=2, loc="outside right upper",
               title="position, token")
    return fig


def attention_flow(tokens: int, hidden: int, heads: int, head_size: int, kv_heads: int | None = None,
                   bias: bool = False, norm: str | None = None, rotary: bool = False):
    """The path of one attention layer as boxes and arrows, with this model's shapes: X -> Q, K, V ->
    softmax(Q K^T / sqrt(d) + mask) -> weights . V -> heads joined -> output projection, added to X.
    ``bias``: the projections add a bias (BERT); ``norm``: "pre" (RMSNorm before attention, Llama) or "post"
    (LayerNorm after the residual, BERT); ``rotary``: queries and keys rotated by position (RoPE)."""
    from matplotlib.patches import FancyBboxPatch

    kv_heads = kv_heads or heads
    fig, ax = _plt().subplots(figsize=(12, 4.2))
    ax.set_xlim(0, 12.2)
    ax.set_ylim(0, 4.3)
    ax.axis("off")
    width, height = 1.95, 0.9
    x = "X'" if norm == "pre" else "X"

    def projection(name):
        linear = f"{x} W_{name}" + (f" + b_{name}" if bias else "")
        return f"RoPE({linear})" if rotary and name in "QK" else linear

    boxes = {  # name: (left, bottom, text)
        "x": (0.1, 1.8, f"X: the layer's input\n({tokens} tokens, {hidden})"
                        + ("\nX' = RMSNorm(X)" if norm == "pre" else "")),
        "q": (2.55, 3.1, f"Q = {projection('Q')}\n({heads} heads, {tokens}, {head_size})"),
        "k": (2.55, 1.8, f"K = {projection('K')}\n({kv_heads} heads, {tokens}, {head_size})"),
        "v": (2.55, 0.5, f"V = {projection('V')}\n({kv_heads} heads, {tokens}, {head_size})"),
        "w": (5.0, 2.45, f"weights = softmax(\nQ K\u1d40 / \u221a{head_size} + mask)\n({heads}, {tokens}, {tokens})"),
        "o": (7.45, 1.8, f"weights \u00b7 V, heads joined\n({tokens}, {heads} x {head_size})"),
        "y": (9.9, 1.8, ("W_O + b_O" if bias else "W_O") + ", then + X"
                        + ("\nthen LayerNorm" if norm == "post" else "") + f"\n({tokens}, {hidden})"),
    }
    for left, bottom, text in boxes.values():
        ax.add_patch(FancyBboxPatch((left, bottom), width, height, boxstyle="round,pad=0.05", facecolor="#deebf7",
                                    edgecolor="#3182bd"))
        ax.text(left + width / 2, bottom + height / 2, text, ha="center", va="center", fontsize=8)
    for start, end in (("x", "q"), ("x", "k"), ("x", "v"), ("q", "w"), ("k", "w"), ("w", "o"), ("v", "o"),
                       ("o", "y")):
        (x0, y0, _), (x1, y1, _) = boxes[start], boxes[end]
        ax.annotate("", xy=(x1, y1 + height / 2), xytext=(x0 + width, y0 + height / 2),
                    arrowprops=dict(arrowstyle="->", color="#636363"))
    if kv_heads != heads:
        ax.text(2.55 + width / 2, 1.62, f"each K, V head serves {heads // kv_heads} query heads", ha="center",
                va="top", fontsize=7, color="#d62728")
    ax.set_title("One attention layer: each head compares queries with keys, then averages the values")
    fig.tight_layout()
    return fig
