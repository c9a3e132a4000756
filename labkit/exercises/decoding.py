"""Notebook 05: decoding strategies."""
from __future__ import annotations

from . import Wrong, exercise

NUCLEUS_PROBS = (0.5, 0.2, 0.15, 0.1, 0.05)


@exercise("nucleus_size", f"Next-token probabilities are {list(NUCLEUS_PROBS)}. How many tokens does top-p = 0.8 "
                          "keep?",
          hints=("Top-p keeps the most likely tokens until together they are likely enough.",
                 "Sort from high to low and keep a running total; stop at the token that makes the total reach 0.8, "
                 "and keep that token too.",
                 "0.5, then 0.5 + 0.2 = 0.7 (not yet 0.8), then add the next one."),
          solution="""
              nucleus_size = 3  # 0.5 + 0.2 = 0.7 < 0.8; adding 0.15 reaches 0.85, so the third token is kept too
          """,
          why="Top-p (nucleus) sampling keeps the smallest set of most likely tokens whose probabilities add up to at "
              "least p, including the token that crosses p; labkit.decoding.TopP and transformers' TopPLogitsWarper "
              "agree.")
def _nucleus_size(answer):
    import torch

    from ..decoding import TopP

    scores = torch.tensor([NUCLEUS_PROBS]).log()
    expected = int(torch.isfinite(TopP(0.8)(None, scores)).sum())
    if answer == expected - 1:
        raise Wrong("the tokens you kept add up to less than 0.8: top-p keeps the token that crosses p too")
    if answer != expected:
        raise Wrong("add the probabilities from the largest down and watch when the total reaches 0.8")


@exercise("top_k_1", "True or False: with top_k=1, sampling always gives the same text as greedy decoding, "
                     "whatever the temperature, top_p or seed.",
          hints=("Try it in the explorer: top-k at 1, then move the temperature and top-p sliders and watch the dark "
                 "bars.",
                 "Temperature rescales and top-p trims, but neither can change which single token is left.",
                 "A draw from one token with probability 1 always gives that token: the most likely one."),
          solution="""
              top_k_1_is_greedy = True
          """,
          why="top_k=1 leaves only the most likely token, with probability 1 after softmax; temperature keeps the "
              "order of the logits, so every draw is the greedy pick. (Only an exact tie for first place, which real "
              "scores almost never show, would leave two tokens: TopKLogitsWarper keeps every token tied with the "
              "k-th score.)")
def _top_k_1(answer):
    import numpy as np
    import torch

    one_bool = isinstance(answer, torch.Tensor) and answer.dtype == torch.bool and answer.numel() == 1
    if not (isinstance(answer, (bool, np.bool_)) or one_bool):
        raise Wrong("answer True or False")
    if not bool(answer):
        raise Wrong("think about what is left to draw from once top_k=1 has filtered the scores")


# settings that change what sampling draws from, with the values that leave it alone (None: not set)
NEUTRAL = {"min_p": (None, 0.0), "typical_p": (None, 1.0), "top_h": (None,), "epsilon_cutoff": (None, 0.0),
           "eta_cutoff": (None, 0.0), "repetition_penalty": (None, 1.0), "no_repeat_ngram_size": (None, 0)}


# the settings the task asks for, and settings that change neither what is drawn nor the length
ASKED = {"do_sample", "temperature", "top_p", "max_new_tokens", "top_k", "num_beams"}
HARMLESS = {"transformers_version", "pad_token_id", "bos_token_id", "eos_token_id", "decoder_start_token_id",
            "use_cache", "cache_implementation", "num_return_sequences", "return_dict_in_generate", "output_scores",
            "output_logits", "output_attentions", "output_hidden_states"}


@exercise("sampling_config", "Make sampling_config, a GenerationConfig that samples with temperature 0.7 and top-p "
                             "0.9 and writes at most 30 new tokens.",
          hints=("GenerationConfig takes the same keywords as model.generate; one of them switches sampling on.",
                 "Without do_sample=True, temperature and top_p are ignored (generate stays greedy and warns). "
                 "Count the 30 tokens with the option that leaves out the prompt.",
                 "GenerationConfig(do_sample=True, temperature=..., top_p=..., max_new_tokens=...)."),
          solution="""
              from transformers import GenerationConfig

              sampling_config = GenerationConfig(do_sample=True, temperature=0.7, top_p=0.9, max_new_tokens=30)
          """,
          why="do_sample=True turns the scores into a draw; temperature and top_p then shape what is drawn from; "
              "max_new_tokens counts only new tokens (max_length would count the prompt as well). top_k is left "
              "unset, so model.generate samples with its default top_k=50 as well; add top_k=0 to cut with top-p "
              "alone.")
def _sampling_config(config):
    import math

    from transformers import GenerationConfig

    if not isinstance(config, GenerationConfig):
        raise Wrong("make a transformers GenerationConfig object")
    if not config.do_sample:
        raise Wrong("this configuration decodes greedily: temperature and top_p are then ignored")
    if config.num_beams not in (None, 1):
        raise Wrong(f"num_beams={config.num_beams} with sampling is beam sampling, another strategy: keep one beam")
    if config.top_k == 1:
        raise Wrong("top_k=1 leaves one token to draw from: that is greedy decoding again")
    if config.top_k not in (None, 0, 50):
        raise Wrong(f"top_k={config.top_k} adds a cut the task does not ask for")
    changed = [name for name, neutral in NEUTRAL.items() if getattr(config, name, None) not in neutral]
    if changed:
        raise Wrong(f"{', '.join(changed)} also change what is drawn: the task asks for temperature and top_p only")
    if not (math.isclose(config.temperature or 1.0, 0.7, rel_tol=1e-6)
            and math.isclose(config.top_p or 1.0, 0.9, rel_tol=1e-6)):
        raise Wrong(f"temperature is {config.temperature} and top_p {config.top_p}: the task asks for 0.7 and 0.9")
    if config.max_new_tokens != 30:
        raise Wrong("the 30-token limit should count new tokens only, not the prompt")
    # every other setting must be the default's, or one that leaves the draw and the length alone
    extra = sorted(set(config.to_diff_dict()) - ASKED - HARMLESS - set(NEUTRAL))
    if extra:
        raise Wrong(f"{', '.join(extra)} change what is drawn or how long the text gets: the task asks for "
                    "do_sample, temperature, top_p and max_new_tokens only")
