"""The generation loop of `model.generate`, written to be read, and proven equal to it (tests/test_decoding.py).

    tokenize -> forward -> last-position logits -> process -> pick -> append -> stop? -> decode

Logits processors and stopping criteria are transformers' own kinds of object: subclasses of ``LogitsProcessor``
(``processor(input_ids, scores) -> scores``) and ``StoppingCriteria`` (``criterion(input_ids, scores) -> a bool per
row``, True: that row is finished), so they compose the same way and ``model.generate(logits_processor=[...],
stopping_criteria=[...])`` accepts them too.
"""
from .beam import beam_search
from .loop import generate
from .processors import (MinP, RepetitionPenalty, Temperature, TopK, TopP, apply_processors, build_processors)
from .step import Stepper
from .stopping import EosToken, MaxLength, StopStrings, any_criterion

__all__ = ["EosToken", "MaxLength", "MinP", "RepetitionPenalty", "StopStrings", "Stepper", "Temperature", "TopK",
           "TopP", "any_criterion", "apply_processors", "beam_search", "build_processors", "generate"]
