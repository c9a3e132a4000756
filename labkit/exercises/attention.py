"""Notebook 06: attention weights and masks."""
from __future__ import annotations

import math

from . import Wrong, exercise
from .fixtures import as_shape, close, config_for


@exercise("attention_shape", "Give the shape of outputs.attentions[0] when MiniLM reads a batch of 2 sentences "
                             "padded to 9 tokens with output_attentions=True.")
def _attention_shape(answer):
    heads = config_for("encoder").num_attention_heads
    expected = (2, heads, 9, 9)
    got = as_shape(answer)
    if got == (2, 9, 9):
        raise Wrong("one map per head: (batch, heads, query, key); num_attention_heads is in the config")
    if got == (6, 2, heads, 9, 9):
        raise Wrong("that is all layers stacked; outputs.attentions[0] is one layer")
    if got != expected:
        raise Wrong("(batch, heads, query, key): both query and key run over the 9 padded positions")


@exercise("visible_keys", "Write visible_keys(i): how many keys the token at position i (from 0) can attend to "
                          "in a causal decoder.")
def _visible_keys(visible_keys):
    got = [visible_keys(i) for i in range(6)]
    if got == list(range(6)):
        raise Wrong("a token also attends to itself: the diagonal is allowed")
    if got != [i + 1 for i in range(6)]:
        raise Wrong("the causal mask allows keys 0..i, everything up to and including the token itself")


@exercise("previous_token", "Write previous_token_score(weights): for one head's (query, key) map, the average "
                            "weight each token (except the first) gives to the token just before it.")
def _previous_token(previous_token_score):
    import torch

    weights = torch.softmax(torch.randn(7, 7, generator=torch.Generator().manual_seed(6)), dim=-1)
    expected = float(weights.diagonal(offset=-1).mean())
    got = float(previous_token_score(weights))
    if math.isclose(got, float(weights.diagonal(offset=1).mean()), rel_tol=1e-5):
        raise Wrong("that is the *next* token: row i (query) should read column i - 1 (key), below the diagonal")
    if math.isclose(got, float(weights.diagonal().mean()), rel_tol=1e-5):
        raise Wrong("that is the token itself (the diagonal); take the entries just below it")
    if not math.isclose(got, expected, rel_tol=1e-5):
        raise Wrong("average weights[i, i - 1] for i = 1 .. n-1, e.g. weights.diagonal(offset=-1).mean()")


@exercise("weights_by_hand", "Write attention_weights(q, k): one head's attention weights from its queries and keys, "
                             "both (tokens, d) tensors, as a (query, key) tensor whose rows sum to 1 (no mask).")
def _weights_by_hand(attention_weights):
    import torch

    generator = torch.Generator().manual_seed(7)
    q, k = torch.randn(5, 16, generator=generator) * 3, torch.randn(5, 16, generator=generator) * 3
    expected = torch.softmax(q @ k.T / 16 ** 0.5, dim=-1)
    got = torch.as_tensor(attention_weights(q.clone(), k.clone()))
    if got.shape != expected.shape:
        raise Wrong(f"expected one weight per (query, key) pair, shape {tuple(expected.shape)}, got {tuple(got.shape)}")
    if close(got, torch.softmax(q @ k.T, dim=-1)):
        raise Wrong("right idea, but the scores are not scaled: large dot products make the softmax too peaked")
    if close(got, torch.softmax(q @ k.T / 16 ** 0.5, dim=0)):
        raise Wrong("your columns sum to 1: each query's row must be the distribution")
    if close(got, torch.softmax(q @ k.T / 16, dim=-1)):
        raise Wrong("scaled by d; the usual scale is a square root")
    if not close(got, expected):
        raise Wrong("score every query against every key (a matrix product with k transposed), scale, then softmax "
                    "over the keys")
