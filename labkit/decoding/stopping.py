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
    """Stop a row when its decoded text ends with one of the strings (a custom criterion, e.g. "\\n\\n")."""

    def __init__(self, tokenizer, stop_strings: Sequence[str], prompt_length: int, lookback: int = 16):
        _require(bool(stop_strings) and all(isinstance(s, str) and s for s in stop_strings),
                 f"stop_strings must be non-empty strings, got {stop_strings!r}")
        self.tokenizer, self.stop_strings = tokenizer, tuple(stop_strings)
        self.prompt_length, self.lookback = prompt_length, lookback

    def __call__(self, input_ids, scores, **kwargs):
        tails = self.tokenizer.batch_decode(input_ids[:, max(self.prompt_length, input_ids.shape[1] - self.lookback):])
        return torch.tensor([tail.endswith(self.stop_strings) for tail in tails], dtype=torch.bool)


def any_criterion(criteria: Sequence[Criterion], input_ids, scores):
    done = torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)
    for criterion in criteria:
        done = done | criterion(input_ids, scores).to(done.device)
    return done
