"""Notebook 04: the generation loop by hand."""
from __future__ import annotations

from . import Wrong, exercise
from .fixtures import close


@exercise("greedy_pick", "Write pick_greedy(logits) that takes (batch, vocab) next-token logits and returns the "
                         "id of the most likely token for each row, shape (batch,).")
def _greedy_pick(pick_greedy):
    import torch

    logits = torch.randn(3, 10, generator=torch.Generator().manual_seed(4))
    got = torch.as_tensor(pick_greedy(logits))
    if got.shape == (10,):
        raise Wrong("you took the best row for each token; take the best token for each row: argmax over dim=-1")
    if got.shape != (3,):
        raise Wrong(f"expected one id per row, shape (3,), got {tuple(got.shape)}")
    if got.dtype.is_floating_point:
        raise Wrong("return token ids (integers, e.g. from argmax), not probabilities")
    if not torch.equal(got, logits.argmax(dim=-1)):
        raise Wrong("greedy picks the highest logit: logits.argmax(dim=-1)")


@exercise("temperature", "Write apply_temperature(logits, t) that rescales logits so that t < 1 sharpens and "
                         "t > 1 flattens the distribution.")
def _temperature(apply_temperature):
    import torch

    logits = torch.tensor([[2.0, 1.0, 0.5, -1.0]])
    for t in (0.5, 2.0):
        got = torch.as_tensor(apply_temperature(logits.clone(), t))
        if close(got, logits * t) and not close(got, logits / t):
            raise Wrong("multiplying by t does the opposite: divide the logits by the temperature")
        if not close(got, logits / t):
            raise Wrong("temperature divides the logits before softmax: logits / t")


@exercise("top_k", "Write top_k_filter(scores, k) that keeps the k highest scores of each row and sets all "
                   "others to -inf (so softmax gives them probability 0).")
def _top_k(top_k_filter):
    import torch

    from ..decoding import TopK

    scores = torch.randn(2, 12, generator=torch.Generator().manual_seed(5))
    for k in (1, 3, 5):
        got = torch.as_tensor(top_k_filter(scores.clone(), k))
        expected = TopK(k)(None, scores.clone())
        if not torch.isinf(got).any():
            raise Wrong("filtered tokens must become -inf (float('-inf')), not 0: exp(0) is not 0")
        if torch.isfinite(got).sum(-1).tolist() != [k, k]:
            raise Wrong(f"with k={k} each row must keep exactly {k} scores")
        if not torch.equal(got, expected):
            raise Wrong("keep the *highest* k scores unchanged (torch.topk gives the k-th best value)")


@exercise("sample_next", "Write sample_next(scores): for (batch, vocab) processed scores, draw one token id per row "
                         "with multinomial sampling, shape (batch,).")
def _sample_next(sample_next):
    import torch

    scores = torch.randn(4, 30, generator=torch.Generator().manual_seed(9)) * 2
    torch.manual_seed(0)
    expected = torch.multinomial(scores.softmax(dim=-1), num_samples=1).squeeze(-1)
    torch.manual_seed(0)
    got = torch.as_tensor(sample_next(scores.clone()))
    if got.shape == (4, 1):
        raise Wrong("one id per row, shape (batch,): drop the last dimension that num_samples=1 leaves")
    if got.shape != (4,):
        raise Wrong(f"expected one token id per row, shape (4,), got {tuple(got.shape)}")
    if torch.equal(got, scores.argmax(dim=-1)) and not torch.equal(got, expected):
        raise Wrong("that is greedy decoding: sampling draws at random, in proportion to the probabilities")
    if not torch.equal(got, expected):
        raise Wrong("turn the scores into probabilities first, then draw once per row with the random generator "
                    "as it is (do not seed inside your function)")
