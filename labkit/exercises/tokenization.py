"""Notebook 02: tokenizers, special tokens, padding."""
from __future__ import annotations

import copy
import math
import random
from functools import lru_cache

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
    # a text can hold a special token of its own: SmolLM2's chat texts end every turn with <|im_end|>
    texts = ["Tokenizers split text into pieces.", "unbelievably tokenizable!!", "Hello world",
             "<|im_end|> ends every chat turn"]
    for name, tokenizer in (("MiniLM's tokenizer", tokenizer_for("encoder")),
                            ("SmolLM2's tokenizer", tokenizer_for("causal-lm")),
                            ("a SmolLM2 tokenizer made to add one start token", _with_start_token())):
        for text in texts:
            got, expected = count_tokens(tokenizer, text), len(tokenizer(text, add_special_tokens=False).input_ids)
            ids = tokenizer(text).input_ids
            with_special = len(ids)
            if got == expected:
                continue
            if got == with_special:
                raise Wrong(f"you count the special tokens the tokenizer adds around the text too ({name} adds "
                            f"{with_special - expected}; MiniLM's adds [CLS] ... [SEP])")
            if got == sum(i not in tokenizer.all_special_ids for i in ids):
                raise Wrong(f"dropping every special id also drops special tokens written in the text itself: "
                            f"{text!r} holds one, and it is one of the text's own tokens")
            if got == with_special - 2:
                raise Wrong(f"you subtract two special tokens, but {name} adds {with_special - expected}: "
                            "how many a tokenizer adds depends on the tokenizer")
            if got == len(text.split()):
                raise Wrong("tokens are not words: a word can become several sub-word tokens")
            raise Wrong(f"{text!r} with {name} gives another count than yours")


@lru_cache(maxsize=None)
def _with_start_token():
    """SmolLM2's tokenizer made to add one special token at the start (as Llama's tokenizers add <s>)."""
    from tokenizers import processors

    tokenizer = copy.deepcopy(tokenizer_for("causal-lm"))
    start = ("<|endoftext|>", tokenizer.convert_tokens_to_ids("<|endoftext|>"))
    tokenizer.backend_tokenizer.post_processor = processors.TemplateProcessing(
        single="<|endoftext|> $A", pair="<|endoftext|> $A $B", special_tokens=[start])
    return tokenizer


@exercise("special_ids", "Write special_ids(tokenizer) that returns (first_id, last_id): the ids the tokenizer puts "
                         "around every sentence, read from the tokenizer (it is checked on MiniLM's tokenizer and on "
                         "tokenizers with other vocabularies).",
          hints=("A tokenizer knows its own special tokens: it keeps each one, and its id, in attributes of its "
                 "own, so that no number needs to be typed in.",
                 "BERT-style tokenizers name them: one token classifies (it opens the sequence), one separates (it "
                 "closes it); every special token has a ..._token_id attribute.",
                 "(tokenizer.cls_token_id, tokenizer.sep_token_id), or the first and last of tokenizer(text).input_ids."),
          solution="""
              def special_ids(tokenizer):
                  return (tokenizer.cls_token_id, tokenizer.sep_token_id)
          """,
          why="BERT-style tokenizers wrap every sequence as [CLS] ... [SEP]; their ids belong to the tokenizer's "
              "vocabulary, so reading the attributes works for any checkpoint instead of remembering numbers.")
def _special_ids(special_ids):
    minilm = tokenizer_for("encoder")
    typed_in = (minilm.cls_token_id, minilm.sep_token_id)
    for seed, (first, last) in enumerate((("[CLS]", "[SEP]"), ("[CLS]", "[SEP]"), ("<s>", "</s>"))):
        tokenizer = minilm if seed == 0 else _wrapping_tokenizer(first, last, random.randrange(10**6))
        ids = tokenizer("hello world").input_ids
        expected = (ids[0], ids[-1])
        answer = special_ids(tokenizer)
        if not hasattr(answer, "__len__") or isinstance(answer, str) or len(answer) != 2:
            raise Wrong("return a pair of two integers, e.g. (7, 8)")
        if any(value is None for value in answer):
            raise Wrong("one of your ids is None: this tokenizer has no such special token")
        got = tuple(int(value) for value in answer)
        if got == expected:
            continue
        if got == expected[::-1]:
            raise Wrong("right ids, wrong order: which token opens a sequence, which closes it?")
        if got == typed_in:
            raise Wrong("those are MiniLM's ids typed in; another tokenizer has other ids: read them from the "
                        "tokenizer you are given")
        raise Wrong("those are not the ids at the two ends of this tokenizer's input_ids")


def _wrapping_tokenizer(first: str, last: str, seed: int):
    """A small word-level tokenizer that wraps every sentence in first ... last, its vocabulary shuffled by seed."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    tokens = ["[UNK]", "[PAD]", first, last, "hello", "world", "tokens", "are", "fast", "and", "slow"]
    random.Random(seed).shuffle(tokens)
    vocab = {token: i for i, token in enumerate(tokens)}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    backend.post_processor = processors.TemplateProcessing(
        single=f"{first} $A {last}", pair=f"{first} $A {last} $B:1 {last}:1",
        special_tokens=[(first, vocab[first]), (last, vocab[last])])
    names = {"bos_token": first, "eos_token": last} if first == "<s>" else {}  # RoBERTa's <s> is also its BOS
    return PreTrainedTokenizerFast(tokenizer_object=backend, unk_token="[UNK]", pad_token="[PAD]", cls_token=first,
                                   sep_token=last, **names)


@exercise("pad_fraction", "Write pad_fraction(batch) that returns the share of positions in a padded batch "
                          "(a tokenizer output with attention_mask, as tensors or as Python lists: write it for "
                          "either) that are padding.",
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
    try:
        _pad_fraction_on(pad_fraction, "pt")
    except Wrong:
        raise
    except Exception as on_tensors:  # written for plain-list masks (row.count(0))? give it the same batches as lists
        try:
            _pad_fraction_on(pad_fraction, None)
        except Wrong:
            raise
        except Exception:
            raise on_tensors from None


def _pad_fraction_on(pad_fraction, return_tensors):
    import torch

    batches = [  # SmolLM2 pads with <|im_end|>, which is also a real token in its chat texts
        (tokenizer_for("encoder"), ["a short one", "a much longer sentence with quite a few more words in it", "hi"]),
        (tokenizer_for("causal-lm"), ["<|im_end|> ends every chat turn", "hi"]),
    ]
    for tokenizer, texts in batches:
        batch = tokenizer(texts, padding=True, return_tensors=return_tensors)
        mask, input_ids = torch.as_tensor(batch["attention_mask"]), torch.as_tensor(batch["input_ids"])
        expected = float((mask == 0).sum() / mask.numel())
        got = float(pad_fraction(batch))
        pad_ids = float((input_ids == tokenizer.pad_token_id).sum() / mask.numel())
        if math.isclose(got, 1 - expected, rel_tol=1e-6):
            raise Wrong("that is the share of real tokens, the opposite of padding")
        if math.isclose(got, pad_ids, rel_tol=1e-6) and not math.isclose(got, expected, rel_tol=1e-6):
            raise Wrong("the pad token can also be a real token (SmolLM2 pads with <|im_end|>, which ends every chat "
                        "turn): which part of the tokenizer's output says for sure what is padding?")
        if not math.isclose(got, expected, rel_tol=1e-6):
            raise Wrong("not the share of padded positions in the whole batch")
