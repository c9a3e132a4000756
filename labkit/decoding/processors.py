"""Logits processors: ``processor(input_ids, scores) -> scores``, subclasses of transformers' ``LogitsProcessor``,
and the list `generate` builds from its settings, in the library's order."""
from __future__ import annotations

import inspect
import math
from typing import Callable, Sequence

import torch
from transformers import LogitsProcessor

Processor = Callable[[torch.LongTensor, torch.FloatTensor], torch.FloatTensor]
NEG_INF = -float("inf")


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise ValueError(message)


class _Shown:
    """A readable repr from the constructor's arguments: ``TopK(top_k=50, min_tokens_to_keep=1)``."""

    def __repr__(self) -> str:
        names = [n for n in inspect.signature(type(self).__init__).parameters if n != "self"]
        shown = [f"{n}={getattr(self, n)!r}" for n in names if n != "tokenizer" and hasattr(self, n)]
        return f"{type(self).__name__}({', '.join(shown)})"


class Temperature(_Shown, LogitsProcessor):
    """Divide the logits by T: T < 1 sharpens the distribution, T > 1 flattens it."""

    def __init__(self, temperature: float):
        _require(isinstance(temperature, (int, float)) and temperature > 0 and math.isfinite(temperature),
                 f"temperature must be a number > 0, got {temperature!r} (for always-the-most-likely token use "
                 f"do_sample=False)")
        self.temperature = float(temperature)

    def __call__(self, input_ids, scores):
        return scores / self.temperature


class TopK(_Shown, LogitsProcessor):
    """Keep the k highest-scoring tokens (ties with the k-th are kept too); set the rest to -inf."""

    def __init__(self, top_k: int, min_tokens_to_keep: int = 1, filter_value: float = NEG_INF):
        _require(isinstance(top_k, int) and not isinstance(top_k, bool) and top_k > 0,
                 f"top_k must be an integer >= 1, got {top_k!r} (top_k=0 in generate() means no top-k filter)")
        self.top_k, self.min_tokens_to_keep = max(top_k, min_tokens_to_keep), min_tokens_to_keep
        self.filter_value = filter_value

    def __call__(self, input_ids, scores):
        k = min(self.top_k, scores.size(-1))  # k larger than the vocabulary keeps everything
        kth_best = torch.topk(scores, k).values[..., -1:]
        return scores.masked_fill(scores < kth_best, self.filter_value)


class TopP(_Shown, LogitsProcessor):
    """Nucleus filter: keep the smallest set of most likely tokens whose probabilities add up to at least p."""

    def __init__(self, top_p: float, min_tokens_to_keep: int = 1, filter_value: float = NEG_INF):
        _require(isinstance(top_p, (int, float)) and 0 < top_p <= 1,
                 f"top_p must be in (0, 1], got {top_p!r} (1.0 keeps every token)")
        _require(isinstance(min_tokens_to_keep, int) and min_tokens_to_keep >= 1,
                 f"min_tokens_to_keep must be an integer >= 1, got {min_tokens_to_keep!r}")
        self.top_p, self.min_tokens_to_keep, self.filter_value = float(top_p), min_tokens_to_keep, filter_value

    def __call__(self, input_ids, scores):
        ascending, order = torch.sort(scores, descending=False)
        cumulative = ascending.softmax(dim=-1).cumsum(dim=-1)
        # the least likely tokens whose total probability stays within 1 - p are dropped
        drop_sorted = cumulative <= (1 - self.top_p)
        drop_sorted[..., -self.min_tokens_to_keep:] = False
        drop = drop_sorted.scatter(1, order, drop_sorted)  # back to vocabulary order
        return scores.masked_fill(drop, self.filter_value)


class MinP(_Shown, LogitsProcessor):
    """Keep tokens whose probability is at least min_p times the top token's probability."""

    def __init__(self, min_p: float, min_tokens_to_keep: int = 1, filter_value: float = NEG_INF):
        _require(isinstance(min_p, (int, float)) and 0 <= min_p <= 1, f"min_p must be in [0, 1], got {min_p!r}")
        self.min_p, self.min_tokens_to_keep, self.filter_value = float(min_p), min_tokens_to_keep, filter_value

    def __call__(self, input_ids, scores):
        probs = scores.softmax(dim=-1)
        drop = probs < self.min_p * probs.amax(dim=-1, keepdim=True)
        keep = torch.topk(probs, min(self.min_tokens_to_keep, probs.size(-1)), dim=-1).indices
        drop.scatter_(-1, keep, False)
        return scores.masked_fill(drop, self.filter_value)


class RepetitionPenalty(_Shown, LogitsProcessor):
    """Make tokens already in the sequence less likely: positive logits / penalty, negative logits * penalty.

    The first ``prompt_ignore_length`` positions are not counted as seen: one number for every row, or one per row.
    `generate` passes each row's left-padding length, so padding never penalises the pad token.
    """

    def __init__(self, penalty: float, prompt_ignore_length: int | torch.LongTensor | None = None):
        _require(isinstance(penalty, (int, float)) and penalty > 0 and math.isfinite(penalty),
                 f"repetition_penalty must be a number > 0, got {penalty!r} (1.0 = no penalty, 1.1-1.3 is typical)")
        self.penalty, self.prompt_ignore_length = float(penalty), prompt_ignore_length

    def __call__(self, input_ids, scores):
        ignored = torch.zeros_like(input_ids, dtype=torch.bool)
        if self.prompt_ignore_length is not None:
            start = torch.as_tensor(self.prompt_ignore_length, device=input_ids.device).reshape(-1, 1)
            ignored = torch.arange(input_ids.shape[1], device=input_ids.device) < start
        seen = torch.zeros(scores.shape[0], scores.shape[1] + 1, dtype=torch.bool, device=scores.device)
        seen.scatter_(1, input_ids.masked_fill(ignored, scores.shape[1]), True)  # ignored ids go to a spare column
        penalised = torch.where(scores < 0, scores * self.penalty, scores / self.penalty)
        return torch.where(seen[:, :-1], penalised, scores)


def apply_processors(processors: Sequence[Processor], input_ids, scores):
    for processor in processors:
        scores = processor(input_ids, scores)
    return scores


def build_processors(*, do_sample: bool, temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0,
                     min_p: float | None = None, repetition_penalty: float = 1.0,
                     min_tokens_to_keep: int = 1, attention_mask: torch.LongTensor | None = None) -> list[Processor]:
    """The processors `generate` would use, in the library's order: penalties first, then (sampling only)
    temperature, top-k, top-p, min-p. Each is validated even when it would be a no-op. With an attention mask,
    the repetition penalty leaves each row's left padding out, as `generate` does."""
    Temperature(temperature), RepetitionPenalty(repetition_penalty), TopP(top_p)  # validate every setting
    _require(isinstance(top_k, int) and not isinstance(top_k, bool) and top_k >= 0,
             f"top_k must be an integer >= 0 (0 = off), got {top_k!r}")
    processors: list[Processor] = []
    if repetition_penalty != 1.0:
        padding = None if attention_mask is None else (attention_mask != 0).int().argmax(dim=1)
        processors.append(RepetitionPenalty(repetition_penalty, prompt_ignore_length=padding))
    if do_sample:
        if temperature != 1.0:
            processors.append(Temperature(temperature))
        if top_k != 0:
            processors.append(TopK(top_k, min_tokens_to_keep))
        if top_p < 1.0:
            processors.append(TopP(top_p, min_tokens_to_keep))
        if min_p is not None:
            processors.append(MinP(min_p, min_tokens_to_keep))
    return processors
