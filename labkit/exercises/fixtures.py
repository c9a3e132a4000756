"""What the checkers share: the real models' tokenizers, configs and pipelines (loaded once), tiny random models,
and comparisons."""
from __future__ import annotations

from contextlib import contextmanager
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


@lru_cache(maxsize=None)
def model_for(role: str):
    from transformers import AutoModel

    from ..checkpoints import checkpoint

    return AutoModel.from_pretrained(checkpoint(role))


@lru_cache(maxsize=None)
def pipeline_for(task: str, role: str):
    from transformers import pipeline

    from ..checkpoints import checkpoint

    return pipeline(task, model=checkpoint(role))


def tiny_model(kind: str, vocab_size: int = 100, seed: int = 0):
    """A randomly initialised model of a few thousand parameters: "bert" (an encoder) or "llama" (a causal LM)."""
    import torch
    from transformers import AutoModel, AutoModelForCausalLM, BertConfig, LlamaConfig

    torch.manual_seed(seed)
    if kind == "bert":
        config = BertConfig(vocab_size=vocab_size, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                            intermediate_size=32, max_position_embeddings=64)
        return AutoModel.from_config(config).eval()
    config = LlamaConfig(vocab_size=vocab_size, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                         num_key_value_heads=1, intermediate_size=32, max_position_embeddings=128)
    return AutoModelForCausalLM.from_config(config).eval()


def number(value, what: str) -> float:
    """An answer that must be one number, as a float, or a Wrong that says so."""
    from . import Wrong

    try:
        return float(value.detach() if hasattr(value, "detach") else value)
    except (TypeError, ValueError):
        raise Wrong(f"return {what} as one number") from None


def as_shape(answer):
    """A shape answer as a tuple (a tuple, list or torch.Size), or the answer unchanged."""
    return tuple(answer) if hasattr(answer, "__len__") and not isinstance(answer, str) else answer


def close(a, b, tol=1e-4) -> bool:
    import torch

    a, b = torch.as_tensor(a, dtype=torch.float32), torch.as_tensor(b, dtype=torch.float32)
    return a.shape == b.shape and bool(torch.allclose(a, b, atol=tol, rtol=tol))


@contextmanager
def library_calls(*classes):
    """Records, in the list it yields, every call of these classes' instances inside the block: a check uses it to
    tell a hand-written answer from one that hands the lesson's work to a ready-made class."""
    calls, originals = [], {cls: cls.__call__ for cls in classes}

    def recording(original):
        def call(self, *args, **kwargs):
            calls.append(type(self).__name__)
            return original(self, *args, **kwargs)
        return call

    for cls, original in originals.items():
        cls.__call__ = recording(original)
    try:
        yield calls
    finally:
        for cls, original in originals.items():
            cls.__call__ = original


@contextmanager
def torch_functions():
    """Records, in the list it yields, the name of every torch function and tensor method called inside the block,
    however the answer refers to it (an alias, functools.partial, a module such as nn.Softmax, an aten op)."""
    from torch.overrides import TorchFunctionMode

    names = []

    class Recorder(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            names.append(getattr(func, "__name__", repr(func)))
            return func(*args, **(kwargs or {}))

    with Recorder():
        yield names


@contextmanager
def code_calls(wanted):
    """Records, in the list it yields, the names of the Python functions called inside the block whose code object
    satisfies ``wanted``: it sees the call itself, however the function was imported or renamed."""
    import sys

    calls, previous = [], sys.getprofile()

    def profile(frame, event, arg):
        if event == "call" and wanted(frame.f_code):
            calls.append(frame.f_code.co_name)
        if previous is not None:
            previous(frame, event, arg)

    sys.setprofile(profile)
    try:
        yield calls
    finally:
        sys.setprofile(previous)


# settings that make generate pick other tokens than plain greedy decoding, or stop elsewhere
NOT_PLAIN_GREEDY = ("repetition_penalty", "no_repeat_ngram_size", "bad_words_ids", "suppress_tokens", "sequence_bias",
                    "min_new_tokens", "min_length", "num_beams")


def greedy_changed_by(model, kwargs) -> str | None:
    """The first setting of this generate call (its keyword arguments or its generation_config) that differs from
    transformers' default and changes greedy decoding's choice; None if there is none."""
    import copy

    from transformers import GenerationConfig

    config = copy.deepcopy(kwargs.get("generation_config") or model.generation_config)
    config.update(**kwargs)
    default = GenerationConfig()
    return next((f"{name}={getattr(config, name)!r}" for name in NOT_PLAIN_GREEDY
                 if getattr(config, name, None) != getattr(default, name, None)), None)


def observe_generate(model) -> list:
    """Records the keyword arguments of each call of this model's generate in the list it returns."""
    calls, generate = [], model.generate

    def observed(*args, **kwargs):
        calls.append(kwargs)
        return generate(*args, **kwargs)
    model.generate = observed
    return calls
