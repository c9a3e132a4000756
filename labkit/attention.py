"""Numbers computed from attention weights and hidden states: the weights of one input as a (layers, heads, query,
key) tensor, what each head mostly attends to, and how token vectors change through the layers. The figures are in
labkit.plots, the layer/head explorer in labkit.widgets.

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


def check_tokens(weights: torch.Tensor, tokens: Sequence[str]) -> None:
    if len(tokens) != weights.shape[-1]:
        raise ValueError(f"{len(tokens)} token labels for {weights.shape[-1]} positions: pass the tokens of the "
                         f"same input, e.g. tokenizer.convert_ids_to_tokens(input_ids[0])")


PUNCTUATION = set(".,;:!?'\"()-")


def head_patterns(attentions, tokens: Sequence[str], batch_index: int = 0) -> dict[str, torch.Tensor]:
    """For every (layer, head), the average attention a query token gives to: the previous token, the next token,
    itself, the first token ([CLS]), the [SEP] tokens, and punctuation. Each entry is a (layers, heads) tensor."""
    weights = stack(attentions, batch_index)
    check_tokens(weights, tokens)
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


def layer_similarity(hidden_states, tokens: Sequence[str], batch_index: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Cosine similarity of each token's vector with the layer before, (layers, tokens), and with the embedding it
    started from, (layers + 1, tokens)."""
    states = torch.stack([h[batch_index].detach().float() for h in hidden_states])  # (layers + 1, tokens, hidden)
    if states.shape[1] != len(tokens):
        raise ValueError(f"{len(tokens)} token labels for {states.shape[1]} positions")
    cos = torch.nn.functional.cosine_similarity
    step = torch.stack([cos(states[i], states[i - 1], dim=-1) for i in range(1, len(states))])
    start = torch.stack([cos(states[i], states[0], dim=-1) for i in range(len(states))])
    return step, start
