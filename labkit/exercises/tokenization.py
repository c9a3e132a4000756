"""Notebook 02: tokenizers, special tokens, padding."""
from __future__ import annotations

import math

from . import Wrong, exercise
from .fixtures import tokenizer_for


@exercise("count_tokens", "Write count_tokens(tokenizer, text) that returns how many tokens the text itself "
                          "becomes, without special tokens such as [CLS] or <|im_start|>.")
def _count_tokens(count_tokens):
    texts = ["Tokenizers split text into pieces.", "unbelievably tokenizable!!", "Hello world"]
    for role in ("encoder", "causal-lm"):
        tokenizer = tokenizer_for(role)
        for text in texts:
            got, expected = count_tokens(tokenizer, text), len(tokenizer(text, add_special_tokens=False).input_ids)
            if got == len(tokenizer(text).input_ids) and got != expected:
                raise Wrong("tokenizer(text) adds special tokens ([CLS] ... [SEP] for MiniLM): pass "
                            "add_special_tokens=False, or count tokenizer.tokenize(text)")
            if got == len(text.split()) and got != expected:
                raise Wrong("tokens are not words: a word can become several sub-word tokens")
            if got != expected:
                raise Wrong(f"{text!r} with the {role} tokenizer is {expected} tokens, you said {got}")


@exercise("special_ids", "Give (first_id, last_id): the ids MiniLM's tokenizer puts around every sentence.")
def _special_ids(answer):
    tokenizer = tokenizer_for("encoder")
    expected = (tokenizer.cls_token_id, tokenizer.sep_token_id)
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        raise Wrong("give a pair of two integers, e.g. (7, 8)")
    if tuple(answer) == (expected[1], expected[0]):
        raise Wrong("right ids, wrong order: [CLS] comes first, [SEP] last")
    if tuple(answer) != expected:
        raise Wrong("encode any sentence and look at input_ids[0] and input_ids[-1], or use tokenizer.cls_token_id "
                    "and tokenizer.sep_token_id")


@exercise("pad_fraction", "Write pad_fraction(batch) that returns the share of positions in a padded batch "
                          "(a tokenizer output with attention_mask) that are padding.")
def _pad_fraction(pad_fraction):
    batches = [  # SmolLM2 pads with <|im_end|>, which is also a real token in its chat texts
        (tokenizer_for("encoder"), ["a short one", "a much longer sentence with quite a few more words in it", "hi"]),
        (tokenizer_for("causal-lm"), ["<|im_end|> ends every chat turn", "hi"]),
    ]
    for tokenizer, texts in batches:
        batch = tokenizer(texts, padding=True, return_tensors="pt")
        mask = batch["attention_mask"]
        expected = float((mask == 0).sum() / mask.numel())
        got = float(pad_fraction(batch))
        pad_ids = float((batch["input_ids"] == tokenizer.pad_token_id).sum() / mask.numel())
        if math.isclose(got, 1 - expected, rel_tol=1e-6):
            raise Wrong("that is the share of real tokens: attention_mask is 1 for real tokens and 0 for padding")
        if math.isclose(got, pad_ids, rel_tol=1e-6) and not math.isclose(got, expected, rel_tol=1e-6):
            raise Wrong("the pad token can also be a real token (SmolLM2 pads with <|im_end|>, which ends every chat "
                        "turn): which part of the tokenizer's output says for sure what is padding?")
        if not math.isclose(got, expected, rel_tol=1e-6):
            raise Wrong("count the zeros in attention_mask and divide by its total number of entries")
