"""Attention maps with matplotlib: every layer x head at once, one head zoomed in, the average over heads, and a
layer/head explorer widget. They work offline and in tests.

``attentions`` is what a model returns with ``output_attentions=True`` (and ``attn_implementation="eager"``): one
tensor per layer of shape (batch, heads, query, key). Every function looks at one input of the batch.
"""
from __future__ import annotations

from typing import Sequence

import torch


def stack(attentions, batch_index: int = 0) -> torch.Tensor:
    """One input's attention weights as a (layers, heads, query, key) tensor, with a clear error for bad input."""
    if attentions is None or (isinstance(attentions, (tuple, list)) and (not attentions or None in attentions)):
        raise ValueError("no attention weights: load the model with attn_implementation='eager' and call it with "
                         "output_attentions=True (the default SDPA attention does not return them)")
    if isinstance(attentions, torch.Tensor) and attentions.dim() == 4:
        return attentions.detach().float()
    layers = torch.stack([a.detach().float() for a in attentions])  # (layers, batch, heads, q, k)
    if layers.dim() != 5:
        raise ValueError(f"expected one (batch, heads, query, key) tensor per layer, got shape {tuple(layers.shape)}")
    if not 0 <= batch_index < layers.shape[1]:
        raise ValueError(f"batch_index {batch_index} is out of range: the batch has {layers.shape[1]} inputs")
    return layers[:, batch_index]


def check_position(weights: torch.Tensor, layer: int | None = None, head: int | None = None) -> None:
    layers, heads = weights.shape[:2]
    if layer is not None and not (isinstance(layer, int) and 0 <= layer < layers):
        raise ValueError(f"layer {layer!r} is out of range: this model has layers 0 to {layers - 1}")
    if head is not None and not (isinstance(head, int) and 0 <= head < heads):
        raise ValueError(f"head {head!r} is out of range: each layer has heads 0 to {heads - 1}")


def _check_tokens(weights: torch.Tensor, tokens: Sequence[str]) -> None:
    if len(tokens) != weights.shape[-1]:
        raise ValueError(f"{len(tokens)} token labels for {weights.shape[-1]} positions: pass the tokens of the "
                         f"same input, e.g. tokenizer.convert_ids_to_tokens(input_ids[0])")


def attention_grid(attentions, tokens: Sequence[str], batch_index: int = 0, title: str | None = None):
    """Every layer (rows) x head (columns) as small heatmaps; query tokens down the left, key tokens along the bottom."""
    import matplotlib.pyplot as plt

    weights = stack(attentions, batch_index)
    _check_tokens(weights, tokens)
    layers, heads, n = weights.shape[0], weights.shape[1], len(tokens)
    size = 1.05 if n <= 12 else 1.4
    fig, axes = plt.subplots(layers, heads, figsize=(heads * size + 1.2, layers * size + 1.0), squeeze=False)
    for layer in range(layers):
        for head in range(heads):
            ax = axes[layer][head]
            ax.imshow(weights[layer, head].numpy(), vmin=0, vmax=1, cmap="viridis")
            ax.set_xticks(range(n), tokens if layer == layers - 1 else [""] * n, rotation=90, fontsize=5)
            ax.set_yticks(range(n), tokens if head == 0 else [""] * n, fontsize=5)
            ax.tick_params(length=0)
            ax.grid(False)
            if layer == 0:
                ax.set_title(f"head {head}", fontsize=7)
            if head == 0:
                ax.set_ylabel(f"layer {layer}", fontsize=7)
    fig.suptitle(title or f"Attention weights: {layers} layers x {heads} heads (rows: query, columns: key)")
    fig.tight_layout()
    return fig


def attention_head(attentions, tokens: Sequence[str], layer: int, head: int, batch_index: int = 0,
                   ax=None, values: bool = True):
    """One head, zoomed in, with its weights written in the cells."""
    import matplotlib.pyplot as plt

    weights = stack(attentions, batch_index)
    check_position(weights, layer, head)
    _check_tokens(weights, tokens)
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
    import matplotlib.pyplot as plt

    weights = stack(attentions, batch_index)
    _check_tokens(weights, tokens)
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
    import matplotlib.pyplot as plt

    states = torch.stack([h[batch_index].detach().float() for h in hidden_states])  # (layers + 1, tokens, hidden)
    if states.shape[1] != len(tokens):
        raise ValueError(f"{len(tokens)} token labels for {states.shape[1]} positions")
    cos = torch.nn.functional.cosine_similarity
    step = torch.stack([cos(states[i], states[i - 1], dim=-1) for i in range(1, len(states))])  # (layers, tokens)
    start = torch.stack([cos(states[i], states[0], dim=-1) for i in range(len(states))])  # (layers + 1, tokens)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.6))
    for t, token in enumerate(tokens):
        left.plot(range(1, len(states)), step[:, t].numpy(), marker=".", label=token)
        right.plot(range(len(states)), start[:, t].numpy(), marker=".", label=token)
    left.set_title("similarity to the previous layer")
    right.set_title("similarity to the token's embedding (layer 0)")
    for ax in (left, right):
        ax.set_xlabel("layer")
        ax.set_ylabel("cosine similarity")
    right.legend(fontsize=7, ncol=2, loc="lower left")
    fig.tight_layout()
    return fig


PUNCTUATION = set(".,;:!?'\"()-")


def head_patterns(attentions, tokens: Sequence[str], batch_index: int = 0) -> dict[str, torch.Tensor]:
    """For every (layer, head), the average attention a query token gives to: the previous token, the next token,
    itself, the first token ([CLS]), the [SEP] tokens, and punctuation. Each entry is a (layers, heads) tensor."""
    weights = stack(attentions, batch_index)
    _check_tokens(weights, tokens)
    n = len(tokens)
    i = torch.arange(n)
    sep = [k for k, t in enumerate(tokens) if t in ("[SEP]", "</s>")]
    punct = [k for k, t in enumerate(tokens) if t in PUNCTUATION]
    return {
        "previous token": weights[..., i[1:], i[:-1]].mean(-1),
        "next token": weights[..., i[:-1], i[1:]].mean(-1),
        "itself": weights.diagonal(dim1=-2, dim2=-1).mean(-1),
        "first token": weights[..., :, 0].mean(-1),
        "[SEP]": weights[..., :, sep].sum(-1).mean(-1) if sep else torch.zeros(weights.shape[:2]),
        "punctuation": weights[..., :, punct].sum(-1).mean(-1) if punct else torch.zeros(weights.shape[:2]),
    }


class AttentionExplorer:
    """Layer and head selectors; changing either redraws the zoomed-in head (a plain method: ``show(layer, head)``)."""

    def __init__(self, attentions, tokens: Sequence[str], batch_index: int = 0):
        import ipywidgets as w

        self.weights = stack(attentions, batch_index)
        _check_tokens(self.weights, tokens)
        self.tokens = list(tokens)
        layers, heads = self.weights.shape[:2]
        self.layer = w.IntSlider(value=0, min=0, max=layers - 1, description="layer", continuous_update=False)
        self.head = w.IntSlider(value=0, min=0, max=heads - 1, description="head", continuous_update=False)
        self.output = w.Output()
        self.figure = None
        self.layer.observe(lambda change: self.show(), names="value")
        self.head.observe(lambda change: self.show(), names="value")

    def show(self, layer: int | None = None, head: int | None = None):
        import matplotlib.pyplot as plt
        from IPython.display import display

        layer = self.layer.value if layer is None else layer
        head = self.head.value if head is None else head
        if self.figure is not None:
            plt.close(self.figure)
        self.figure = attention_head(self.weights, self.tokens, layer, head)
        plt.close(self.figure)  # shown through the Output widget only
        self.output.clear_output(wait=True)
        with self.output:
            display(self.figure)
        return self.figure

    def widget(self):
        import ipywidgets as w

        self.show()
        return w.VBox([w.HBox([self.layer, self.head]), self.output])
