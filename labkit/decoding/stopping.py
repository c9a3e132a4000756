"""Stopping criteria: ``criterion(input_ids, scores) -> a bool per row`` (True: that row is finished), subclasses of
transformers' ``StoppingCriteria``."""
from __future__ import annotations

from typing import Callable, Sequence

import torch
from transformers import StoppingCriteria

from .processors import _require, _Shown

Criterion = Callable[[torch.LongTensor, torch.FloatTensor], torch.BoolTensor]


class MaxLength(_Shown, StoppingCriteria):
    """Stop every row once the sequence (prompt + new tokens) reaches max_length."""

    def __init__(self, max_length: int):
        self.max_length = max_length

    def __call__(self, input_ids, scores, **kwargs):
        return torch.full((input_ids.shape[0],), input_ids.shape[1] >= self.max_length, dtype=torch.bool)


class EosToken(_Shown, StoppingCriteria):
    """Stop a row when its last token is one of the end-of-sequence ids."""

    def __init__(self, eos_token_id: int | Sequence[int]):
        ids = [eos_token_id] if isinstance(eos_token_id, int) else list(eos_token_id)
        _require(bool(ids) and all(isinstance(i, int) and i >= 0 for i in ids),
                 f"eos_token_id must be a token id or a list of them, got {eos_token_id!r}")
        self.eos_token_id, self.eos = eos_token_id, torch.tensor(ids)

    def __call__(self, input_ids, scores, **kwargs):
        return torch.isin(input_ids[:, -1], self.eos.to(input_ids.device))


class StopStrings(_Shown, StoppingCriteria):
    """Stop a row when one of the strings appears in its text and overlaps the last token, as transformers'
    StopStringCriteria does: the last token may run past the string ("stop" with the tokens "st", "opera"), but a
    string that ends before the last token does not count (it would have stopped the row a step earlier).

    The window of tokens is decoded together, never token by token: a byte-level tokenizer cuts a character outside
    ASCII ("끝", an emoji) into byte tokens that each decode to the replacement character "\ufffd". So the last
    token's share of the text starts at the first character it completes: the text before it, less the replacement
    characters its unfinished bytes decode to.

    Only tokens after ``prompt_length`` are read, and only the last ``lookback`` of them."""

    def __init__(self, tokenizer, stop_strings: Sequence[str], prompt_length: int = 0, lookback: int = 16):
        _require(bool(stop_strings) and all(isinstance(s, str) and s for s in stop_strings),
                 f"stop_strings must be non-empty strings, got {stop_strings!r}")
        self.tokenizer, self.stop_strings = tokenizer, tuple(stop_strings)
        self.prompt_length, self.lookback = prompt_length, lookback

    def __call__(self, input_ids, scores, **kwargs):
        window = input_ids[:, max(self.prompt_length, input_ids.shape[1] - self.lookback):]
        texts = self.tokenizer.batch_decode(window)  # the tail, up to and including the last token
        # the same without the last token, less a character whose bytes the last token completes
        heads = [head.rstrip("\ufffd") for head in self.tokenizer.batch_decode(window[:, :-1])]
        return torch.tensor([any(s in text[max(0, len(head) - len(s) + 1):] for s in self.stop_strings)
                             for text, head in zip(texts, heads)], dtype=torch.bool)


def any_criterion(criteria: Sequence[Criterion], input_ids, scores):
    """True for the rows that any criterion says are done. A criterion may answer one bool per row, or a single
    bool for every row (as transformers' StoppingCriteriaList allows)."""
    done = torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)
    for criterion in criteria:
        done = done | torch.as_tensor(criterion(input_ids, scores), dtype=torch.bool, device=done.device)
    return done
