"""Notebook 06: attention weights and masks."""
from __future__ import annotations

import math
import random
from functools import lru_cache

from . import Wrong, exercise
from .fixtures import as_shape, close, code_calls, config_for, tokenizer_for, torch_functions


@exercise("attention_shape", "Give the shape of outputs.attentions[0] when MiniLM reads a batch of 2 sentences "
                             "padded to 9 tokens with output_attentions=True.",
          hints=("One layer's attention holds a map for every head of every sentence in the batch.",
                 "Each map is (query, key): every one of the 9 positions weighs all 9 positions. The number of heads "
                 "is in the config.",
                 "(batch, num_attention_heads, 9, 9)."),
          solution="""
              from transformers import AutoConfig

              heads = AutoConfig.from_pretrained(labkit.checkpoint("encoder")).num_attention_heads
              attention_shape = (2, heads, 9, 9)  # (batch, heads, query, key)
          """,
          why="Each layer returns, for every sentence and every head, a (query, key) matrix of weights over the padded "
              "positions; outputs.attentions holds one such tensor per layer.")
def _attention_shape(answer):
    heads = config_for("encoder").num_attention_heads
    expected = (2, heads, 9, 9)
    got = as_shape(answer)
    if got == (2, 9, 9):
        raise Wrong("there is one map per head, not one per sentence")
    if isinstance(got, tuple) and len(got) == 5 and got[1:] == expected:
        raise Wrong("that is all layers stacked; outputs.attentions[0] is one layer")
    if got != expected:
        raise Wrong("four dimensions: batch, heads, and the two sides of the attention map; check their order")


@exercise("visible_keys", "Write visible_keys(i): how many keys the token at position i (from 0) can attend to "
                          "in a causal decoder.",
          hints=("A causal decoder must not look at the future: which positions are left for token i?",
                 "Positions 0, 1, ..., i are allowed; is the token itself among them?",
                 "Count the positions 0..i inclusive."),
          solution="""
              def visible_keys(i):
                  return i + 1  # positions 0, 1, ..., i: the past and the token itself
          """,
          why="The causal mask blocks every key after the query's position; the diagonal (a token attending to "
              "itself) is allowed, so position i sees i + 1 keys.")
def _visible_keys(visible_keys):
    got = [visible_keys(i) for i in range(6)]
    if got == list(range(6)):
        raise Wrong("one short at every position: what about the token itself?")
    if got != [i + 1 for i in range(6)]:
        raise Wrong("a causal token sees the past, never the future; yours does not count that")
    later = random.sample(range(6, 4096), 5)  # any position, not only the first few
    try:
        right_later = [visible_keys(i) for i in later] == [i + 1 for i in later]
    except Exception:
        right_later = False
    if not right_later:
        raise Wrong(f"right for positions 0 to 5, not for every position (try i = {later[0]})")


@exercise("previous_token", "Write previous_token_score(weights): for one head's (query, key) map, the average "
                            "weight each token (except the first) gives to the token just before it.",
          hints=("Rows are queries and columns are keys: find the cells of the map where a token looks at its left "
                 "neighbour.",
                 "Those entries (i, i - 1) form a diagonal of the matrix, just below the main one.",
                 "weights.diagonal(offset=-1).mean()"),
          solution="""
              def previous_token_score(weights):
                  return weights.diagonal(offset=-1).mean()  # entries (1, 0), (2, 1), ...: each token's previous one
          """,
          why="The entries (i, i - 1) lie on the diagonal just below the main one; averaging them measures how much a "
              "head looks one token back (a previous-token head scores near 1).")
def _previous_token(previous_token_score):
    import torch

    from .. import attention

    for n in (7, random.randint(4, 12)):
        weights = torch.softmax(torch.randn(n, n), dim=-1)
        target = attention.head_patterns.__code__
        with code_calls(lambda code: code is target) as used:  # however the function was imported or named
            got = float(previous_token_score(weights.clone()))
        if used:
            raise Wrong("labkit.attention.head_patterns does the lesson's work: read the entries from the map yourself")
        _check_previous_token(weights, got)


def _check_previous_token(weights, got):
    expected = float(weights.diagonal(offset=-1).mean())
    if math.isclose(got, float(weights.diagonal(offset=1).mean()), rel_tol=1e-5):
        raise Wrong("that is the *next* token: rows are queries, columns are keys")
    if math.isclose(got, float(weights.diagonal().mean()), rel_tol=1e-5):
        raise Wrong("that is each token attending to itself")
    if not math.isclose(got, expected, rel_tol=1e-5):
        raise Wrong("not the average weight from each token to the one just before it")


@exercise("weights_by_hand", "Write attention_weights(q, k): one head's attention weights from its queries and keys, "
                             "both (tokens, d) tensors, as a (query, key) tensor whose rows sum to 1 (no mask).",
          hints=("Every query is compared with every key; the comparisons then become a distribution per query.",
                 "The comparison is a dot product (q @ k.T), scaled by the square root of d before the softmax.",
                 "torch.softmax(q @ k.T / d ** 0.5, dim=-1), with d = q.shape[-1]."),
          solution="""
              import torch


              def attention_weights(q, k):
                  d = q.shape[-1]
                  return torch.softmax(q @ k.T / d ** 0.5, dim=-1)  # one distribution over the keys per query
          """,
          why="q @ k.T scores every (query, key) pair; dividing by sqrt(d) keeps the scores' spread independent of "
              "the head size, so softmax over the keys is not too peaked: softmax(Q K^T / sqrt(d)).")
def _weights_by_hand(attention_weights):
    import torch

    for tokens, d in ((5, 16), (9, 64)):  # two head sizes: the scale must follow d
        q, k = torch.randn(tokens, d) * 3, torch.randn(tokens, d) * 3
        with torch_functions() as called, code_calls(_ready_made_code) as used:
            got = torch.as_tensor(attention_weights(q.clone(), k.clone()))
        ready_made = [name for name in called if name in READY_MADE or "scaled_dot_product" in name]
        if ready_made:
            raise Wrong(f"{READY_MADE.get(ready_made[0], 'torch.' + ready_made[0])} does it for you: compute the "
                        "weights step by step")
        if used:
            raise Wrong(f"transformers' {used[0]} does it for you: compute the weights step by step")
        _check_weights(got, q, k, d)


def _check_weights(got, q, k, d):
    import torch

    expected = torch.softmax(q @ k.T / d ** 0.5, dim=-1)
    if got.shape != expected.shape:
        raise Wrong(f"expected one weight per (query, key) pair, shape {tuple(expected.shape)}, got {tuple(got.shape)}")
    if close(got, torch.softmax(q @ k.T, dim=-1)):
        raise Wrong("right idea, but the scores are not scaled: large dot products make the softmax too peaked")
    if close(got, torch.softmax(q @ k.T / d ** 0.5, dim=0)):
        raise Wrong("your columns sum to 1: each query's row must be the distribution")
    if close(got, torch.softmax(q @ k.T / d, dim=-1)):
        raise Wrong("scaled too much: the usual scale grows more slowly than d")
    if d != 16 and close(got, torch.softmax(q @ k.T / 4, dim=-1)):
        raise Wrong("your scale is a fixed number: take it from the q and k you are given")
    if not close(got, expected):
        raise Wrong("not the scaled dot-product attention weights: check each step")


@exercise("eager_model", "Write attention_model(checkpoint) that loads a model whose forward pass returns its "
                         "attention weights when asked with output_attentions=True.",
          hints=("A model loaded with the default settings computes attention with a fused kernel that never builds "
                 "the weight matrices.",
                 "from_pretrained takes an attn_implementation argument; one implementation computes the weights "
                 "step by step.",
                 "AutoModel.from_pretrained(checkpoint, attn_implementation='eager')."),
          solution="""
              from transformers import AutoModel


              def attention_model(checkpoint):
                  return AutoModel.from_pretrained(checkpoint, attn_implementation="eager")
          """,
          why="The default 'sdpa' implementation calls PyTorch's fused scaled_dot_product_attention, which returns "
              "only the result; 'eager' computes softmax(Q K^T / sqrt(d)) explicitly and can return it.")
def _eager_model(attention_model):
    from ..checkpoints import checkpoint

    for role in ("encoder", "causal-lm"):  # two checkpoints: the one you are given must be the one loaded
        model, config = attention_model(checkpoint(role)), config_for(role)
        if (model.config.model_type, model.config.num_hidden_layers) != (config.model_type, config.num_hidden_layers):
            raise Wrong("load the checkpoint you are given, not another model")
        attentions = _attentions(model, role)
        if not attentions:
            raise Wrong(f"this model returned no attention weights ({attentions!r}): its attention implementation, "
                        f"{model.config._attn_implementation!r}, never forms them")
        expected = _reference_attentions(role)
        if len(attentions) != len(expected) or attentions[0].shape != expected[0].shape:
            raise Wrong("these attention weights do not have the checkpoint's shape: load the checkpoint as it is")
        # compared in float32, with a tolerance for the answer's dtype (bfloat16 keeps about 3 significant digits)
        if not all(close(a, b, tol=_dtype_tolerance().get(a.dtype, 1e-4)) for a, b in zip(attentions, expected)):
            raise Wrong("these weights are not the checkpoint's: load its trained weights with from_pretrained, in eval "
                        "mode (its default; train() turns dropout on, which changes them)")


def _dtype_tolerance():
    import torch

    return {torch.bfloat16: 5e-2, torch.float16: 1e-2}


def _attentions(model, role):
    import torch

    inputs = tokenizer_for(role)("Attention, please.", return_tensors="pt")
    with torch.no_grad():
        return model(**inputs, output_attentions=True).attentions


@lru_cache(maxsize=None)
def _reference_attentions(role):
    from transformers import AutoModel

    from ..checkpoints import checkpoint

    return _attentions(AutoModel.from_pretrained(checkpoint(role), attn_implementation="eager"), role)


# what computes the attention weights for you: a check of a by-hand answer rejects them
READY_MADE = {"scaled_dot_product_attention": "F.scaled_dot_product_attention",
              "multi_head_attention_forward": "nn.MultiheadAttention (F.multi_head_attention_forward)"}


def _ready_made_code(code):
    """True for transformers' own attention functions (eager_attention_forward and the like)."""
    return "transformers" in code.co_filename.replace("\\", "/").split("/") and "attention" in code.co_name
