"""Notebook 02: tokenizers, special tokens, padding."""
from __future__ import annotations

import math

from . import Wrong, exercise
from .fixtures import tokenizer_for


@exercise("count_tokens", "Write count_tokens(tokenizer, text) that returns how many tokens the text itself "
                          "becomes, without special tokens such as [CLS] or <|im_start|>.",
          hints=("Calling the tokenizer adds the model's special tokens around your text; the exercise wants only "
                 "the text's own tokens.",
                 "Either ask the tokenizer not to add special tokens (an argument of tokenizer(...)), or use the "
                 "step that only splits text into tokens.",
                 "len(tokenizer.tokenize(text)), or len(tokenizer(text, add_special_tokens=False).input_ids)."),
          solution="""
              def count_tokens(tokenizer, text):
                  return len(tokenizer(text, add_special_tokens=False).input_ids)
          """,
          why="add_special_tokens=False leaves out [CLS]/[SEP] (MiniLM) or any template tokens, so what is counted "
              "is the text's own sub-word tokens, the same for every tokenizer API.")
def _count_tokens(count_tokens):
    texts = ["Tokenizers split text into pieces.", "unbelievably tokenizable!!", "Hello world"]
    for role in ("encoder", "causal-lm"):
        tokenizer = tokenizer_for(role)
        for text in texts:
            got, expected = count_tokens(tokenizer, text), len(tokenizer(text, add_special_tokens=False).input_ids)
            if got == len(tokenizer(text).input_ids) and got != expected:
                raise Wrong("you count the special tokens the tokenizer adds ([CLS] ... [SEP] for MiniLM) too")
            if got == len(text.split()) and got != expected:
                raise Wrong("tokens are not words: a word can become several sub-word tokens")
            if got != expected:
                raise Wrong(f"{text!r} with the {role} tokenizer gives another count than yours")


@exercise("special_ids", "Give (first_id, last_id): the ids MiniLM's tokenizer puts around every sentence.",
          hints=("Encode any sentence with MiniLM's tokenizer and look at the two ends of input_ids.",
                 "The tokenizer also names them: its cls_token_id and sep_token_id attributes.",
                 "special_ids = (tokenizer.cls_token_id, tokenizer.sep_token_id) for MiniLM's tokenizer."),
          solution="""
              from transformers import AutoTokenizer

              tokenizer = AutoTokenizer.from_pretrained(labkit.checkpoint("encoder"))
              special_ids = (tokenizer.cls_token_id, tokenizer.sep_token_id)
          """,
          why="BERT-style tokenizers wrap every sequence as [CLS] ... [SEP]; their ids come from the tokenizer, so "
              "reading the attributes works for any checkpoint instead of remembering numbers.")
def _special_ids(answer):
    tokenizer = tokenizer_for("encoder")
    expected = (tokenizer.cls_token_id, tokenizer.sep_token_id)
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        raise Wrong("give a pair of two integers, e.g. (7, 8)")
    if tuple(answer) == (expected[1], expected[0]):
        raise Wrong("right ids, wrong order: which token opens a sequence, which closes it?")
    if tuple(answer) != expected:
        raise Wrong("those are not the ids at the two ends of MiniLM's input_ids")


@exercise("pad_fraction", "Write pad_fraction(batch) that returns the share of positions in a padded batch "
                          "(a tokenizer output with attention_mask) that are padding.",
          hints=("Which part of the tokenizer's output marks, position by position, what is real and what is "
                 "padding?",
                 "attention_mask is 1 for real tokens and 0 for padding; the pad token's id is not a safe test, "
                 "since the pad token can also be a real token (SmolLM2 pads with <|im_end|>).",
                 "Count the zeros of batch['attention_mask'] and divide by its number of entries (numel())."),
          solution="""
              def pad_fraction(batch):
                  mask = batch["attention_mask"]
                  return float((mask == 0).sum() / mask.numel())
          """,
          why="The attention mask is the tokenizer's own record of which positions it padded; counting pad ids "
              "over-counts whenever the pad token also occurs in the text.")
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
            raise Wrong("that is the share of real tokens, the opposite of padding")
        if math.isclose(got, pad_ids, rel_tol=1e-6) and not math.isclose(got, expected, rel_tol=1e-6):
            raise Wrong("the pad token can also be a real token (SmolLM2 pads with <|im_end|>, which ends every chat "
                        "turn): which part of the tokenizer's output says for sure what is padding?")
        if not math.isclose(got, expected, rel_tol=1e-6):
            raise Wrong("not the share of padded positions in the whole batch")
