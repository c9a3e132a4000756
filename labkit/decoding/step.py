"""One forward step of the loop: the model on the growing batch, the next-token logits out, with or without the KV
cache (shared by the sampling / greedy loop and beam search)."""
from __future__ import annotations

import inspect

import torch


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
                         position_ids=self.positions[:, -read:], cache=self.cache,
                         use_cache=self.use_cache, return_dict=True, **kwargs)
        return out.logits[:, -1].to(dtype=torch.float32, copy=True)

    def advance(self, beam_order: torch.LongTensor | None = None) -> None:
        """Extend mask and positions by one token; after beam search reorders rows, reorder the cache too."""
        if self.mask is not None:
            self.mask = torch.cat([self.mask, self.mask.new_ones((self.mask.shape[0], 1))], dim=-1)
        self.positions = torch.cat([self.positions, self.positions[:, -1:] + 1], dim=-1)
        if beam_order is not None and self.cache is not None:
            self.cache.reorder_cache(beam_order)
