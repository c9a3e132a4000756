"""Beam search, vectorised over the batch like transformers' own: the same candidates, scores and stopping rule."""
from __future__ import annotations

import torch

from .processors import apply_processors
from .step import Stepper
from .stopping import MaxLength, any_criterion


def beam_search(model, input_ids, attention_mask, processors, criteria, num_beams, num_return_sequences,
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
