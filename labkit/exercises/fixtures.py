"""What the checkers share: the real models' tokenizers and configs (loaded once), and comparisons."""
from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=None)
def tokenizer_for(role: str):
    from transformers import AutoTokenizer

    from ..checkpoints import checkpoint

    return AutoTokenizer.from_pretrained(checkpoint(role))


@lru_cache(maxsize=None)
def config_for(role: str):
    from transformers import AutoConfig

    from ..checkpoints import checkpoint

    return AutoConfig.from_pretrained(checkpoint(role))


def as_shape(answer):
    """A shape answer as a tuple (a tuple, list or torch.Size), or the answer unchanged."""
    return tuple(answer) if hasattr(answer, "__len__") and not isinstance(answer, str) else answer


def close(a, b, tol=1e-4) -> bool:
    import torch

    a, b = torch.as_tensor(a, dtype=torch.float32), torch.as_tensor(b, dtype=torch.float32)
    return a.shape == b.shape and bool(torch.allclose(a, b, atol=tol, rtol=tol))
