"""The generation loop of `model.generate`, written to be read, and proven equal to it (tests/test_decoding.py).

    tokenize -> forward -> last-position logits -> process -> pick -> append -> stop? -> decode

Logits processors and stopping criteria are transformers' own kinds of object: subclasses of ``LogitsProcessor``
(``processor(input_ids, scores) -> scores``) and ``StoppingCriteria`` (``criterion(input_ids, scores) -> a bool per
row``, True: that row is finished), so they compose the same way and ``model.generate(logits_processor=[...],
stopping_criteria=[...])`` accepts them too.
"""
from __future__ import annotations

import inspect
import math
from typing import Callable, Sequence

import torch
from transformers import LogitsProcessor, StoppingCriteria

Processor = Callable[[torch.LongTensor, torch.FloatTensor], torch.FloatTensor]
Criterion = Callable[[torch.LongTensor, torch.FloatTensor], torch.BoolTensor]
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


# ---------------------------------------------------------------- logits processors

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


# ---------------------------------------------------------------- stopping criteria

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


# ---------------------------------------------------------------- one forward step

class Stepper:
    """Runs the model on a growing batch and returns the next-token logits, with or without the KV cache.

    With the cache, the first call reads the whole prompt (prefill) and every later call reads only the newest
    token, reusing the keys and values stored for the earlier ones. Without it, every call re-reads everything.
    Positions come from the attention mask, so left-padded rows count their positions from their first real token.
    """

    def __init__(self, model, input_ids, attention_mask, use_cache: bool):
        from transformers import DynamicCache

        self.model, self.use_cache = model, use_cache
        self.cache = DynamicCache(config=model.config) if use_cache else None
        # like generate(): an all-ones mask carries no information and is dropped
        self.mask = None if attention_mask is None or bool((attention_mask == 1).all()) else attention_mask
        real = torch.ones_like(input_ids) if attention_mask is None else attention_mask
        self.positions = (real.long().cumsum(-1) - 1).masked_fill(real == 0, 0)
        self.logits_to_keep = "logits_to_keep" in inspect.signature(model.forward).parameters

    def next_logits(self, input_ids: torch.LongTensor) -> torch.FloatTensor:
        read = 1 if self.use_cache and self.cache.get_seq_length() > 0 else input_ids.shape[1]
        kwargs = {"logits_to_keep": 1} if self.logits_to_keep else {}
        out = self.model(input_ids=input_ids[:, -read:], attention_mask=self.mask,
                         position_ids=self.positions[:, -read:], past_key_values=self.cache,
                         use_cache=self.use_cache, return_dict=True, **kwargs)
        return out.logits[:, -1].to(dtype=torch.float32, copy=True)

    def advance(self, beam_order: torch.LongTensor | None = None) -> None:
        """Extend mask and positions by one token; after beam search reorders rows, reorder the cache too."""
        if self.mask is not None:
            self.mask = torch.cat([self.mask, self.mask.new_ones((self.mask.shape[0], 1))], dim=-1)
        self.positions = torch.cat([self.positions, self.positions[:, -1:] + 1], dim=-1)
        if beam_order is not None and self.cache is not None:
            self.cache.reorder_cache(beam_order)


# ---------------------------------------------------------------- generate

def generate(model, input_ids: torch.LongTensor, attention_mask: torch.LongTensor | None = None, *,
             max_new_tokens: int, do_sample: bool = False, temperature: float = 1.0, top_k: int = 0,
             top_p: float = 1.0, min_p: float | None = None, repetition_penalty: float = 1.0, num_beams: int = 1,
             num_return_sequences: int = 1, length_penalty: float = 1.0, early_stopping: bool = False,
             eos_token_id: int | Sequence[int] | None = None, pad_token_id: int | None = None,
             use_cache: bool = True, stopping_criteria: Sequence[Criterion] = (),
             logits_processors: Sequence[Processor] | None = None,
             on_beam_step: Callable[[dict], None] | None = None) -> torch.LongTensor:
    """Prompt + new tokens, like ``model.generate`` with the same settings (greedy, sampling or beam search).

    ``top_k=0`` and ``top_p=1.0`` switch those filters off (transformers' generate defaults to top_k=50 when
    sampling: pass top_k explicitly to both). EOS and padding ids default to the model's generation_config, as in
    transformers; ``eos_token_id=[]`` never stops early. Rows that finish early are filled with ``pad_token_id``.
    ``on_beam_step`` receives, after each beam-search step, the open beams and finished hypotheses with their scores
    (to show the search step by step).
    """
    input_ids = _check_prompt(input_ids)
    _require(isinstance(max_new_tokens, int) and max_new_tokens >= 1,
             f"max_new_tokens must be an integer >= 1, got {max_new_tokens!r}")
    _require(isinstance(num_beams, int) and num_beams >= 1, f"num_beams must be an integer >= 1, got {num_beams!r}")
    _require(isinstance(num_return_sequences, int) and 1 <= num_return_sequences,
             f"num_return_sequences must be an integer >= 1, got {num_return_sequences!r}")
    _require(num_beams == 1 or num_return_sequences <= num_beams,
             f"num_return_sequences ({num_return_sequences}) cannot exceed num_beams ({num_beams})")
    _require(num_beams == 1 or not do_sample, "beam sampling (num_beams > 1 with do_sample=True) is not covered "
                                              "here; use num_beams=1 to sample or do_sample=False for beams")
    if attention_mask is not None:
        _require(attention_mask.shape == input_ids.shape,
                 f"attention_mask shape {tuple(attention_mask.shape)} differs from input_ids {tuple(input_ids.shape)}")
    defaults = getattr(model, "generation_config", None)  # like generate(): the model's own EOS and padding ids
    if eos_token_id is None and defaults is not None:
        eos_token_id = defaults.eos_token_id
    if pad_token_id is None and defaults is not None:
        pad_token_id = defaults.pad_token_id
    eos = EosToken(eos_token_id) if eos_token_id not in (None, []) else None  # [] = never stop early
    if pad_token_id is None and eos is not None:
        pad_token_id = int(eos.eos[0])
    criteria = [MaxLength(input_ids.shape[1] + max_new_tokens), *([eos] if eos else []), *stopping_criteria]

    copies = num_beams * (num_return_sequences if num_beams == 1 else 1)
    input_ids = input_ids.repeat_interleave(copies, dim=0)
    if attention_mask is not None:
        attention_mask = attention_mask.repeat_interleave(copies, dim=0)
    processors = list(logits_processors) if logits_processors is not None else build_processors(
        do_sample=do_sample, temperature=temperature, top_k=top_k, top_p=top_p, min_p=min_p,
        repetition_penalty=repetition_penalty, min_tokens_to_keep=1 if num_beams == 1 else 2,
        attention_mask=attention_mask)
    with torch.no_grad():
        if num_beams == 1:
            return _sample_or_greedy(model, input_ids, attention_mask, processors, criteria, do_sample,
                                     pad_token_id if eos else None, use_cache)
        return _beam_search(model, input_ids, attention_mask, processors, criteria, num_beams,
                            num_return_sequences, length_penalty, early_stopping, pad_token_id, eos, use_cache,
                            on_beam_step)


def _check_prompt(input_ids) -> torch.LongTensor:
    _require(isinstance(input_ids, torch.Tensor), f"input_ids must be a tensor, got {type(input_ids).__name__}: "
                                                  f"use tokenizer(text, return_tensors='pt').input_ids")
    _require(input_ids.dim() == 2, f"input_ids must be 2-D (batch, sequence), got shape {tuple(input_ids.shape)}: "
                                   f"for one prompt use input_ids[None] or tokenizer(text, return_tensors='pt')")
    _require(input_ids.shape[1] > 0 and input_ids.shape[0] > 0,
             "the prompt is empty: give at least one token (for a chat model, apply the chat template; for a "
             "base model, start with tokenizer.bos_token)")
    return input_ids


def _sample_or_greedy(model, input_ids, attention_mask, processors, criteria, do_sample, pad_token_id, use_cache):
    stepper = Stepper(model, input_ids, attention_mask, use_cache)
    unfinished = torch.ones(input_ids.shape[0], dtype=torch.long, device=input_ids.device)
    while True:
        logits = stepper.next_logits(input_ids)                     # forward: last-position logits
        scores = apply_processors(processors, input_ids, logits)    # penalties, temperature, top-k, top-p
        if do_sample:                                               # pick: draw from the distribution ...
            next_tokens = torch.multinomial(scores.softmax(dim=-1), num_samples=1).squeeze(1)
        else:                                                       # ... or take the most likely token
            next_tokens = scores.argmax(dim=-1)
        if pad_token_id is not None:                                # finished rows only receive padding
            next_tokens = next_tokens * unfinished + pad_token_id * (1 - unfinished)
        input_ids = torch.cat([input_ids, next_tokens[:, None]], dim=-1)   # append
        stepper.advance()
        unfinished = unfinished & ~any_criterion(criteria, input_ids, scores)  # stop?
        if unfinished.max() == 0:
            return input_ids


def _beam_search(model, input_ids, attention_mask, processors, criteria, num_beams, num_return_sequences,
                 length_penalty, early_stopping, pad_token_id, eos, use_cache, on_beam_step=None):
    """Keep the num_beams best partial sequences (by summed log-probability) and the best finished ones.

    Each step scores every (beam, next token) pair, keeps the 2 x num_beams best candidates (enough to still have
    num_beams open ones if some end in EOS), moves finished candidates into the set of hypotheses (their score
    divided by length ** length_penalty), and continues the best open ones. It stops when no open beam can beat
    the worst finished hypothesis, or at max_new_tokens.
    """
    rows, prompt_length = input_ids.shape
    batch = rows // num_beams
    max_length = next(c.max_length for c in criteria if isinstance(c, MaxLength))
    n_eos = len(eos.eos) if eos else 0
    keep = max(2, 1 + n_eos) * num_beams
    is_top_beam = torch.arange(keep) < num_beams
    fill = (pad_token_id or int(eos.eos[0])) if eos else -1

    running = torch.full((batch, num_beams, max_length), fill, dtype=torch.long)
    running[:, :, :prompt_length] = input_ids.view(batch, num_beams, prompt_length)
    finished = running.clone()
    running_scores = torch.zeros(batch, num_beams)
    running_scores[:, 1:] = -1e9  # all beams start identical: only the first one may expand at step one
    finished_scores = torch.full((batch, num_beams), -1e9)
    is_finished = torch.zeros(batch, num_beams, dtype=torch.bool)
    running_origin = torch.full((batch, num_beams, max_length - prompt_length), -1, dtype=torch.long)
    finished_origin = running_origin.clone()
    can_improve = torch.ones(batch, 1, dtype=torch.bool)
    hits_stop = torch.zeros(batch, num_beams, dtype=torch.bool)

    stepper = Stepper(model, input_ids, attention_mask, use_cache)
    length = prompt_length
    while True:
        flat = running[:, :, :length].reshape(batch * num_beams, length)
        log_probs = stepper.next_logits(flat).log_softmax(dim=-1)
        log_probs = apply_processors(processors, flat, log_probs)
        vocab = log_probs.shape[-1]
        # total score of every (beam, token) continuation, flattened per batch item
        totals = (log_probs.view(batch, num_beams, vocab) + running_scores[:, :, None]).view(batch, -1)
        cand_scores, cand_index = torch.topk(totals, k=keep)
        cand_beam, cand_token = cand_index // vocab, cand_index % vocab
        cand_seqs = _gather(running, cand_beam)
        cand_seqs[:, :, length] = cand_token
        cand_origin = _gather(running_origin, cand_beam)
        cand_origin[:, :, length - prompt_length] = cand_beam + torch.arange(batch)[:, None] * num_beams

        hits_stop = any_criterion(criteria, cand_seqs[:, :, :length + 1].reshape(batch * keep, -1), None)
        hits_stop = hits_stop.view(batch, keep)

        # open beams for the next step: the best candidates that did not just stop
        open_scores = cand_scores + hits_stop.float() * -1e9
        best_open = torch.topk(open_scores, k=num_beams).indices
        running, running_scores = _gather(cand_seqs, best_open), _gather(open_scores, best_open)
        running_origin = _gather(cand_origin, best_open)

        # finished hypotheses: merge the candidates that just stopped (among the top num_beams) with the old ones
        just_finished = hits_stop & is_top_beam[None, :]
        normalised = cand_scores / ((length + 1 - prompt_length) ** length_penalty)
        normalised = normalised + (is_finished.all(-1, keepdim=True) & early_stopping).float() * -1e9
        normalised = normalised + (~can_improve).float() * -1e9 + (~just_finished).float() * -1e9
        merged_scores = torch.cat([finished_scores, normalised], dim=1)
        best = torch.topk(merged_scores, k=num_beams).indices
        finished = _gather(torch.cat([finished, cand_seqs], dim=1), best)
        finished_scores = _gather(merged_scores, best)
        finished_origin = _gather(torch.cat([finished_origin, cand_origin], dim=1), best)
        is_finished = _gather(torch.cat([is_finished, just_finished], dim=1), best)

        stepper.advance(beam_order=running_origin[..., length - prompt_length].reshape(-1))
        length += 1
        if on_beam_step:
            on_beam_step({"step": length - prompt_length, "open": running[:, :, :length].clone(),
                          "open_scores": running_scores.clone(), "finished": finished[:, :, :length].clone(),
                          "finished_scores": finished_scores.clone(), "is_finished": is_finished.clone()})
        # can an open beam still beat the worst finished hypothesis?
        best_possible = running_scores[:, :1] / ((length - prompt_length) ** length_penalty)
        worst_finished = torch.where(is_finished, finished_scores.min(dim=1, keepdim=True).values, -1.0e9)
        can_improve = can_improve & (best_possible > worst_finished).any(dim=-1, keepdim=True)
        all_closed = is_finished.all() & (early_stopping is True)
        if not can_improve.any() or all_closed or hits_stop.all():
            break

    sequences = finished[:, :num_return_sequences].reshape(batch * num_return_sequences, -1)
    origins = finished_origin[:, :num_return_sequences].reshape(batch * num_return_sequences, -1)
    generated = int((origins + 1).bool().sum(dim=1).max())
    return sequences[:, :prompt_length + generated]


def _gather(tensor, index):
    """Pick entries along dim 1 (the beam axis) by index, broadcasting over the trailing dims."""
    while index.dim() < tensor.dim():
        index = index.unsqueeze(-1)
    return torch.take_along_dim(tensor, index, dim=1)
