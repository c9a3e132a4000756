"""Notebook 07: datasets, filter and map."""
from __future__ import annotations

from . import Wrong, exercise
from .fixtures import tokenizer_for


@exercise("is_long", "Write is_long(example) for Dataset.filter: True when the example's text has more than 20 "
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


@exercise("tokenize_batch", "Write tokenize_batch(batch) for dataset.map(tokenize_batch, batched=True): tokenize "
                            "batch['text'] with MiniLM's tokenizer, truncated to 32 tokens, without padding.")
def _tokenize_batch(tokenize_batch):
    tokenizer = tokenizer_for("encoder")
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
