"""Notebook 07: datasets, filter and map."""
from __future__ import annotations

from . import Wrong, exercise
from .fixtures import tokenizer_for


@exercise("is_long", "Write is_long(example) for Dataset.filter: True when the example's text has more than 20 "
                     "words.")
def _is_long(is_long):
    examples = [" ".join(["word"] * n) for n in (5, 20, 21, 40)]
    examples += [" ".join(["a"] * 25), " ".join(["extraordinarily"] * 15)]  # many short words; few long ones
    expected = [len(text.split()) > 20 for text in examples]
    got = [bool(is_long({"text": text, "label": 0})) for text in examples]
    if got[1] and got[:1] + got[2:] == expected[:1] + expected[2:]:
        raise Wrong("exactly 20 words is not *more than* 20")
    if got[4:] == [False, True]:
        raise Wrong("25 one-letter words count as long, 15 long words do not: are you counting characters?")
    if got != expected:
        raise Wrong("split the text into words and count them")


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
