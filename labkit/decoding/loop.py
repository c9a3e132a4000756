"""The loop itself: one forward step (with or without the KV cache), then pick, append, stop? until done.

    tokenize -> forward -> last-position logits -> process -> pick -> append -> stop? -> decode
"""
from __future__ import annotations

from typing import Callable, Sequence

import torch

from .beam import beam_search
from .processors import Processor, _require, apply_processors, build_processors
from .step import Stepper
from .stopping import Criterion, EosToken, MaxLength, any_criterion


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
        return beam_search(model, input_ids, attention_mask, processors, criteria, num_beams,
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
