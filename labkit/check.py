"""Exercise checks: ``labkit.check.check("02.count_tokens", count_tokens)`` prints a pass, or a fail with a hint.

A check never raises in the learner's notebook and returns True or False. An answer left as the placeholder
(``...``, or a function whose body is still ``...``) prints "not attempted yet". The checkers compute the truth
themselves from the real models; the reference answers live in tests/test_check.py, not in the notebooks.
"""
from __future__ import annotations

import inspect
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable

PLACEHOLDER = ...


class Wrong(Exception):
    """Raised by a checker with the hint to show."""


@dataclass(frozen=True)
class Exercise:
    name: str
    task: str
    verify: Callable[[Any], None]  # raises Wrong(hint) for a wrong answer


EXERCISES: dict[str, Exercise] = {}


def exercise(name: str, task: str):
    def register(verify):
        EXERCISES[name] = Exercise(name, task, verify)
        return verify
    return register


def _not_attempted(answer) -> bool:
    if answer is PLACEHOLDER:
        return True
    if callable(answer):  # a function whose body is still `...` returns None for any input
        try:
            source = inspect.getsource(answer)
        except (OSError, TypeError):
            return False
        body = [line.strip() for line in source.splitlines()[1:] if line.strip() and not line.strip().startswith("#")]
        return body in (["..."], ["pass"], ["return ..."])
    return False


def check(name: str, answer: Any) -> bool:
    """Check one exercise; print the verdict; return True only for a correct answer."""
    ex = EXERCISES.get(name)
    if ex is None:
        print(f"? no exercise called {name!r}; known: {', '.join(sorted(EXERCISES))}")
        return False
    if _not_attempted(answer):
        print(f"○ {name}: not attempted yet. {ex.task}")
        return False
    try:
        ex.verify(answer)
    except Wrong as hint:
        print(f"✘ {name}: not yet. Hint: {hint}")
        return False
    except Exception as err:  # the learner's code failed: report it, never raise
        print(f"✘ {name}: your answer raised {type(err).__name__}: {err}")
        return False
    print(f"✔ {name}: correct!")
    return True


# ---------------------------------------------------------------- shared fixtures (loaded once)

@lru_cache(maxsize=None)
def _tokenizer(role: str):
    from transformers import AutoTokenizer

    from .checkpoints import checkpoint

    return AutoTokenizer.from_pretrained(checkpoint(role))


@lru_cache(maxsize=None)
def _config(role: str):
    from transformers import AutoConfig

    from .checkpoints import checkpoint

    return AutoConfig.from_pretrained(checkpoint(role))


def _as_shape(answer):
    """A shape answer as a tuple (a tuple, list or torch.Size), or the answer unchanged."""
    return tuple(answer) if hasattr(answer, "__len__") and not isinstance(answer, str) else answer


def _close(a, b, tol=1e-4) -> bool:
    import torch

    a, b = torch.as_tensor(a, dtype=torch.float32), torch.as_tensor(b, dtype=torch.float32)
    return a.shape == b.shape and bool(torch.allclose(a, b, atol=tol, rtol=tol))


# ---------------------------------------------------------------- 01 pipelines

@exercise("01.softmax", "Write probabilities(logits) that turns a (batch, classes) tensor of logits into "
                        "probabilities, like the pipeline's post-processing.")
def _softmax(probabilities):
    import torch

    torch.manual_seed(0)
    for logits in (torch.randn(2, 3), torch.randn(4, 5) * 3):
        got = torch.as_tensor(probabilities(logits))
        if got.shape != logits.shape:
            raise Wrong(f"expected shape {tuple(logits.shape)}, got {tuple(got.shape)}: one probability per class")
        if not _close(got.sum(-1), torch.ones(len(logits))):
            if _close(got.sum(0), torch.ones(logits.shape[1])):
                raise Wrong("your probabilities sum to 1 down each column: normalise along the classes, dim=-1")
            raise Wrong("each row must sum to 1: exponentiate the logits, then divide by the row's sum")
        if not _close(got, torch.softmax(logits, dim=-1)):
            raise Wrong("rows sum to 1 but the values are off: softmax is exp(x) / sum(exp(x)) along dim=-1")


@exercise("01.to_labels", "Write to_labels(logits, id2label) that returns the predicted label name for each row.")
def _to_labels(to_labels):
    import torch

    id2label = _config("sentiment").id2label
    logits = torch.tensor([[2.0, 0.1, -1.0], [-0.5, 0.2, 3.0], [0.0, 1.5, 0.3]])
    got = to_labels(logits, id2label)
    expected = [id2label[i] for i in logits.argmax(-1).tolist()]
    if isinstance(got, torch.Tensor) or (got and not isinstance(list(got)[0], str)):
        raise Wrong("return label names such as 'positive', not class numbers: look them up in id2label")
    if list(got) != expected:
        raise Wrong("pick the class with the largest logit in each row (argmax along dim=-1), then map it with "
                    "id2label")


@exercise("01.cosine", "Write cosine(a, b) that returns the cosine similarity of two 1-D embedding tensors.")
def _cosine(cosine):
    import torch

    torch.manual_seed(1)
    for a, b in ((torch.randn(384), torch.randn(384)), (torch.tensor([3.0, 4.0]), torch.tensor([6.0, 8.0]))):
        got = float(cosine(a, b))
        expected = float(torch.nn.functional.cosine_similarity(a, b, dim=0))
        if math.isclose(got, float(a @ b), rel_tol=1e-4) and not math.isclose(got, expected, rel_tol=1e-4):
            raise Wrong("that is the dot product: divide it by the lengths (norms) of both vectors")
        if not math.isclose(got, expected, rel_tol=1e-4, abs_tol=1e-6):
            raise Wrong("cosine(a, b) = (a . b) / (|a| |b|); identical directions give 1.0")


# ---------------------------------------------------------------- 02 tokenizers

@exercise("02.count_tokens", "Write count_tokens(tokenizer, text) that returns how many tokens the text itself "
                             "becomes, without special tokens such as [CLS] or <|im_start|>.")
def _count_tokens(count_tokens):
    texts = ["Tokenizers split text into pieces.", "unbelievably tokenizable!!", "Hello world"]
    for role in ("encoder", "causal-lm"):
        tokenizer = _tokenizer(role)
        for text in texts:
            got, expected = count_tokens(tokenizer, text), len(tokenizer(text, add_special_tokens=False).input_ids)
            if got == len(tokenizer(text).input_ids) and got != expected:
                raise Wrong("tokenizer(text) adds special tokens ([CLS] ... [SEP] for MiniLM): pass "
                            "add_special_tokens=False, or count tokenizer.tokenize(text)")
            if got == len(text.split()) and got != expected:
                raise Wrong("tokens are not words: a word can become several sub-word tokens")
            if got != expected:
                raise Wrong(f"{text!r} with the {role} tokenizer is {expected} tokens, you said {got}")


@exercise("02.special_ids", "Give (first_id, last_id): the ids MiniLM's tokenizer puts around every sentence.")
def _special_ids(answer):
    tokenizer = _tokenizer("encoder")
    expected = (tokenizer.cls_token_id, tokenizer.sep_token_id)
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        raise Wrong("give a pair of two integers, e.g. (7, 8)")
    if tuple(answer) == (expected[1], expected[0]):
        raise Wrong("right ids, wrong order: [CLS] comes first, [SEP] last")
    if tuple(answer) != expected:
        raise Wrong("encode any sentence and look at input_ids[0] and input_ids[-1], or use tokenizer.cls_token_id "
                    "and tokenizer.sep_token_id")


@exercise("02.pad_fraction", "Write pad_fraction(batch) that returns the share of positions in a padded batch "
                             "(a tokenizer output with attention_mask) that are padding.")
def _pad_fraction(pad_fraction):
    tokenizer = _tokenizer("encoder")
    batch = tokenizer(["a short one", "a much longer sentence with quite a few more words in it", "hi"],
                      padding=True, return_tensors="pt")
    mask = batch["attention_mask"]
    expected = float((mask == 0).sum() / mask.numel())
    got = float(pad_fraction(batch))
    if math.isclose(got, 1 - expected, rel_tol=1e-6):
        raise Wrong("that is the share of real tokens: attention_mask is 1 for real tokens and 0 for padding")
    if not math.isclose(got, expected, rel_tol=1e-6):
        raise Wrong("count the zeros in attention_mask and divide by its total number of entries")


# ---------------------------------------------------------------- 03 models and heads

@exercise("03.hidden_shape", "Give the shape of last_hidden_state when MiniLM reads "
                             "tokenizer(['Hello!', 'How are you doing today?'], padding=True, return_tensors='pt').")
def _hidden_shape(answer):
    tokenizer = _tokenizer("encoder")
    length = tokenizer(["Hello!", "How are you doing today?"], padding=True, return_tensors="pt").input_ids.shape[1]
    expected = (2, length, _config("encoder").hidden_size)
    got = _as_shape(answer)
    if got == (2, expected[2]):
        raise Wrong("that is one vector per sentence; last_hidden_state has one vector per *token*: "
                    "(batch, sequence, hidden)")
    if got != expected:
        raise Wrong("(batch, sequence length after padding, hidden size): count the tokens of the longer sentence "
                    "with its special tokens, and read hidden_size from the config")


@exercise("03.batch_dim", "Write add_batch_dim(ids) that turns a list of token ids into the tensor a model "
                          "accepts (a batch of one).")
def _batch_dim(add_batch_dim):
    import torch

    ids = [101, 7592, 2088, 102]
    got = add_batch_dim(ids)
    if not isinstance(got, torch.Tensor):
        raise Wrong("return a torch tensor, e.g. with torch.tensor(...)")
    if got.shape == (4,):
        raise Wrong("that is a 1-D tensor; models expect (batch, sequence): wrap the list, torch.tensor([ids])")
    if got.shape != (1, 4) or got.tolist() != [ids] or got.dtype != torch.long:
        raise Wrong("expected shape (1, 4) of integer ids, in the same order")


@exercise("03.head_params", "How many new parameters does AutoModelForSequenceClassification add on top of "
                            "MiniLM for 3 labels (its `classifier` layer)?")
def _head_params(answer):
    hidden, labels = _config("encoder").hidden_size, 3
    if answer == hidden * labels:
        raise Wrong("close: a linear layer has a bias too, one per output")
    if answer != hidden * labels + labels:
        raise Wrong("the head is one nn.Linear(hidden_size, num_labels): weights hidden_size x num_labels, plus "
                    "the biases. hidden_size is in the config")


# ---------------------------------------------------------------- 04 the generation loop

@exercise("04.greedy_pick", "Write pick_greedy(logits) that takes (batch, vocab) next-token logits and returns the "
                            "id of the most likely token for each row, shape (batch,).")
def _greedy_pick(pick_greedy):
    import torch

    logits = torch.randn(3, 10, generator=torch.Generator().manual_seed(4))
    got = torch.as_tensor(pick_greedy(logits))
    if got.shape == (10,):
        raise Wrong("you took the best row for each token; take the best token for each row: argmax over dim=-1")
    if got.shape != (3,):
        raise Wrong(f"expected one id per row, shape (3,), got {tuple(got.shape)}")
    if got.dtype.is_floating_point:
        raise Wrong("return token ids (integers, e.g. from argmax), not probabilities")
    if not torch.equal(got, logits.argmax(dim=-1)):
        raise Wrong("greedy picks the highest logit: logits.argmax(dim=-1)")


@exercise("04.temperature", "Write apply_temperature(logits, t) that rescales logits so that t < 1 sharpens and "
                            "t > 1 flattens the distribution.")
def _temperature(apply_temperature):
    import torch

    logits = torch.tensor([[2.0, 1.0, 0.5, -1.0]])
    for t in (0.5, 2.0):
        got = torch.as_tensor(apply_temperature(logits.clone(), t))
        if _close(got, logits * t) and not _close(got, logits / t):
            raise Wrong("multiplying by t does the opposite: divide the logits by the temperature")
        if not _close(got, logits / t):
            raise Wrong("temperature divides the logits before softmax: logits / t")


@exercise("04.top_k", "Write top_k_filter(scores, k) that keeps the k highest scores of each row and sets all "
                      "others to -inf (so softmax gives them probability 0).")
def _top_k(top_k_filter):
    import torch

    from .decoding import TopK

    scores = torch.randn(2, 12, generator=torch.Generator().manual_seed(5))
    for k in (1, 3, 5):
        got = torch.as_tensor(top_k_filter(scores.clone(), k))
        expected = TopK(k)(None, scores.clone())
        if not torch.isinf(got).any():
            raise Wrong("filtered tokens must become -inf (float('-inf')), not 0: exp(0) is not 0")
        if torch.isfinite(got).sum(-1).tolist() != [k, k]:
            raise Wrong(f"with k={k} each row must keep exactly {k} scores")
        if not torch.equal(got, expected):
            raise Wrong("keep the *highest* k scores unchanged (torch.topk gives the k-th best value)")


# ---------------------------------------------------------------- 05 decoding explorer

NUCLEUS_PROBS = (0.5, 0.2, 0.15, 0.1, 0.05)


@exercise("05.nucleus_size", f"Next-token probabilities are {list(NUCLEUS_PROBS)}. How many tokens does top-p = 0.8 "
                             "keep?")
def _nucleus_size(answer):
    import torch

    from .decoding import TopP

    scores = torch.tensor([NUCLEUS_PROBS]).log()
    expected = int(torch.isfinite(TopP(0.8)(None, scores)).sum())
    if answer == expected - 1:
        raise Wrong("0.5 + 0.2 = 0.7 is still below 0.8: top-p keeps tokens until the running total reaches p, "
                    "including the token that crosses it")
    if answer != expected:
        raise Wrong("sort the probabilities from high to low and add them up until the sum reaches 0.8")


@exercise("05.top_k_1", "True or False: with top_k=1, sampling always gives the same text as greedy decoding, "
                        "whatever the temperature, top_p or seed.")
def _top_k_1(answer):
    if not isinstance(answer, bool):
        raise Wrong("answer True or False")
    if answer is not True:
        raise Wrong("top_k=1 leaves a single token with probability 1: the draw has only one possible outcome")


# ---------------------------------------------------------------- 06 attention

@exercise("06.attention_shape", "Give the shape of outputs.attentions[0] when MiniLM reads a batch of 2 sentences "
                                "padded to 9 tokens with output_attentions=True.")
def _attention_shape(answer):
    heads = _config("encoder").num_attention_heads
    expected = (2, heads, 9, 9)
    got = _as_shape(answer)
    if got == (2, 9, 9):
        raise Wrong("one map per head: (batch, heads, query, key); num_attention_heads is in the config")
    if got == (6, 2, heads, 9, 9):
        raise Wrong("that is all layers stacked; outputs.attentions[0] is one layer")
    if got != expected:
        raise Wrong("(batch, heads, query, key): both query and key run over the 9 padded positions")


@exercise("06.visible_keys", "Write visible_keys(i): how many keys the token at position i (from 0) can attend to "
                             "in a causal decoder.")
def _visible_keys(visible_keys):
    got = [visible_keys(i) for i in range(6)]
    if got == list(range(6)):
        raise Wrong("a token also attends to itself: the diagonal is allowed")
    if got != [i + 1 for i in range(6)]:
        raise Wrong("the causal mask allows keys 0..i, everything up to and including the token itself")


@exercise("06.previous_token", "Write previous_token_score(weights): for one head's (query, key) map, the average "
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


# ---------------------------------------------------------------- 07 datasets

@exercise("07.is_long", "Write is_long(example) for Dataset.filter: True when the example's text has more than 20 "
                        "words.")
def _is_long(is_long):
    examples = [{"text": " ".join(["word"] * n), "label": 0} for n in (5, 20, 21, 40)]
    got = [bool(is_long(e)) for e in examples]
    if got == [False, True, True, True]:
        raise Wrong("exactly 20 words is not *more than* 20: use > 20")
    if got[:2] == [False, False] and got[2:] == [False, False]:
        raise Wrong("count words with len(example['text'].split()), not characters")
    if got != [False, False, True, True]:
        raise Wrong("return len(example['text'].split()) > 20")


@exercise("07.tokenize_batch", "Write tokenize_batch(batch) for dataset.map(tokenize_batch, batched=True): tokenize "
                               "batch['text'] with MiniLM's tokenizer, truncated to 32 tokens, without padding.")
def _tokenize_batch(tokenize_batch):
    tokenizer = _tokenizer("encoder")
    batch = {"text": ["short one", " ".join(["long"] * 100)], "label": [0, 1]}
    got = tokenize_batch(batch)
    if not hasattr(got, "keys") or "input_ids" not in got:
        raise Wrong("return what the tokenizer returns (a dict with input_ids and attention_mask)")
    ids = got["input_ids"]
    if len(ids) != 2:
        raise Wrong("batched=True passes a dict of lists: tokenize the whole list batch['text'] at once")
    expected = tokenizer(batch["text"], truncation=True, max_length=32)["input_ids"]
    if len(ids[1]) > 32:
        raise Wrong("truncate: truncation=True, max_length=32")
    if len(ids[0]) == len(ids[1]) and len(expected[0]) != len(expected[1]):
        raise Wrong("don't pad in map(): pad each batch later with DataCollatorWithPadding (dynamic padding)")
    if [list(x) for x in ids] != expected:
        raise Wrong("use the MiniLM tokenizer on batch['text'] with truncation=True, max_length=32")


# ---------------------------------------------------------------- 08 fine-tuning

@exercise("08.accuracy", "Write accuracy(logits, labels) for compute_metrics: the share of rows whose highest logit "
                         "is the true label (NumPy arrays in, a float out).")
def _accuracy(accuracy):
    import numpy as np

    rng = np.random.default_rng(8)
    logits, labels = rng.normal(size=(50, 3)), rng.integers(0, 3, 50)
    expected = float((logits.argmax(-1) == labels).mean())
    got = float(accuracy(logits, labels))
    if math.isclose(got, expected * len(labels)):
        raise Wrong("that is the number of correct rows: divide by the number of rows")
    if not math.isclose(got, expected, rel_tol=1e-9):
        raise Wrong("(logits.argmax(-1) == labels).mean()")


@exercise("08.trainable", "How many parameters stay trainable when you freeze MiniLM's whole base model "
                          "(model.base_model.requires_grad_(False)) in a 3-label sequence classifier?")
def _trainable(answer):
    hidden = _config("encoder").hidden_size
    expected = hidden * 3 + 3
    if answer == expected + hidden * hidden + hidden:
        raise Wrong("the pooler belongs to the base model (model.bert.pooler): it is frozen too")
    if answer == 0:
        raise Wrong("the new classifier head is not part of the base model: it still trains")
    if answer != expected:
        raise Wrong("only the classifier layer remains: hidden_size x 3 weights plus 3 biases; count with "
                    "sum(p.numel() for p in model.parameters() if p.requires_grad)")
