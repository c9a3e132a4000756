"""Notebook 05: decoding strategies."""
from __future__ import annotations

from . import Wrong, exercise


NUCLEUS_PROBS = (0.5, 0.2, 0.15, 0.1, 0.05)


@exercise("nucleus_size", f"Next-token probabilities are {list(NUCLEUS_PROBS)}. How many tokens does top-p = 0.8 "
                          "keep?")
def _nucleus_size(answer):
    import torch

    from ..decoding import TopP

    scores = torch.tensor([NUCLEUS_PROBS]).log()
    expected = int(torch.isfinite(TopP(0.8)(None, scores)).sum())
    if answer == expected - 1:
        raise Wrong("0.5 + 0.2 = 0.7 is still below 0.8: top-p keeps tokens until the running total reaches p, "
                    "including the token that crosses it")
    if answer != expected:
        raise Wrong("sort the probabilities from high to low and add them up until the sum reaches 0.8")


@exercise("top_k_1", "True or False: with top_k=1, sampling always gives the same text as greedy decoding, "
                     "whatever the temperature, top_p or seed.")
def _top_k_1(answer):
    if not isinstance(answer, bool):
        raise Wrong("answer True or False")
    if answer is not True:
        raise Wrong("top_k=1 leaves a single token with probability 1: the draw has only one possible outcome")
