"""Notebook 04: the generation loop by hand."""
from __future__ import annotations

from . import Wrong, exercise
from .fixtures import close, greedy_changed_by, library_calls, observe_generate, tiny_model, tokenizer_for


@exercise("greedy_pick", "Write pick_greedy(logits) that takes (batch, vocab) next-token logits and returns the "
                         "id of the most likely token for each row, shape (batch,).",
          hints=("Greedy decoding takes, in every row, the single most likely token.",
                 "The most likely token has the highest logit; you want its position (an id), not its value.",
                 "argmax over the vocabulary dimension (the last one)."),
          solution="""
              def pick_greedy(logits):
                  return logits.argmax(dim=-1)
          """,
          why="Softmax keeps the order of the logits, so the highest logit is the most likely token; argmax over the "
              "last dimension gives its id for every row.")
def _greedy_pick(pick_greedy):
    import torch

    for rows in (3, 1):  # a batch of one must keep its batch dimension too
        logits = torch.randn(rows, 10, generator=torch.Generator().manual_seed(4))
        got = torch.as_tensor(pick_greedy(logits))
        if got.shape == (10,):
            raise Wrong("you took the best row for each token; take the best token for each row")
        if got.shape != (rows,):
            raise Wrong(f"expected one id per row, shape ({rows},), got {tuple(got.shape)} for {rows} row(s): "
                        "do not drop the batch dimension")
        if got.dtype.is_floating_point:
            raise Wrong("return token ids (integers), not probabilities or logits")
        if not torch.equal(got, logits.argmax(dim=-1)):
            raise Wrong("not the most likely token of every row")


@exercise("temperature", "Write apply_temperature(logits, t) that rescales logits so that t < 1 sharpens and "
                         "t > 1 flattens the distribution.",
          hints=("Temperature changes how far apart the logits are before softmax.",
                 "A small t must make the gaps larger, a large t smaller: one arithmetic operation with t.",
                 "Divide the logits by t."),
          solution="""
              def apply_temperature(logits, t):
                  return logits / t
          """,
          why="softmax(logits / t): t < 1 stretches the gaps between logits (sharper), t > 1 shrinks them (flatter), "
              "t = 1 changes nothing; transformers' TemperatureLogitsWarper does exactly this.")
def _temperature(apply_temperature):
    import torch

    # two rows of different spread; only the distribution softmax makes of the answer counts, so
    # log_softmax(logits) / t or (logits - max) / t are right too
    logits = torch.tensor([[2.0, 1.0, 0.5, -1.0], [6.0, -2.0, 0.0, 3.0]])
    for t in (0.5, 0.8, 1.0, 1.7, 3.0):
        got = torch.as_tensor(apply_temperature(logits.clone(), t)).float()
        if got.shape != logits.shape:
            raise Wrong(f"return scores of the same shape as the logits, {tuple(logits.shape)}; got "
                        f"{tuple(got.shape)}")
        expected = (logits / t).softmax(dim=-1)
        if t != 1 and close(got.softmax(dim=-1), (logits * t).softmax(dim=-1)):
            raise Wrong("that does the opposite: with your version t = 0.5 flattens the distribution")
        if not close(got.softmax(dim=-1), expected):
            raise Wrong(f"at t = {t} softmax of your scores is not the tempered distribution: a temperature "
                        "rescales every logit by the same factor, for any t")


@exercise("top_k", "Write top_k_filter(scores, k) that keeps the k highest scores of each row and sets all "
                   "others to -inf (so softmax gives them probability 0).",
          hints=("Find, for each row, the k-th best score: everything below it goes.",
                 "torch.topk(scores, k) gives the k best values of each row, sorted; the last of them is the "
                 "threshold.",
                 "scores.masked_fill(scores < kth, float('-inf')), with kth = topk's values[..., -1:]."),
          solution="""
              import torch


              def top_k_filter(scores, k):
                  kth_best = torch.topk(scores, k).values[..., -1:]  # keepdim: one threshold per row
                  return scores.masked_fill(scores < kth_best, float("-inf"))
          """,
          why="Everything below a row's k-th best score becomes -inf, so softmax gives it probability exactly 0; the "
              "k best keep their scores, as in transformers' TopKLogitsWarper.")
def _top_k(top_k_filter):
    import torch

    from transformers import TopKLogitsWarper

    from ..decoding import TopK

    scores = torch.randn(2, 12, generator=torch.Generator().manual_seed(5))
    for k in (1, 3, 5):
        with library_calls(TopKLogitsWarper, TopK) as used:
            got = torch.as_tensor(top_k_filter(scores.clone(), k))
        if used:
            raise Wrong(f"that is a ready-made filter ({used[0]}): write this one yourself with torch, to see what "
                        "it does")
        expected = TopK(k)(None, scores.clone())
        if got.shape != scores.shape:
            raise Wrong(f"return scores of the same shape as the input, {tuple(scores.shape)}; got {tuple(got.shape)}")
        if not torch.isinf(got).any():
            if close(got.softmax(dim=-1), expected.softmax(dim=-1)):
                raise Wrong("a large negative fill (-1e9, torch.finfo(dtype).min) gives probability 0 after softmax "
                            "too, but it is still a finite score: the task asks for -inf, the filter_value of "
                            "transformers' TopKLogitsWarper, so that torch.isfinite tells the kept tokens from the "
                            "removed ones (as section 4 counts them)")
            raise Wrong("filtered tokens must become -inf: a score of 0 still has a probability after softmax")
        if torch.isfinite(got).sum(-1).tolist() != [k, k]:
            raise Wrong(f"with k={k} each row must keep exactly {k} scores")
        if not torch.equal(got.to(expected.dtype), expected):
            raise Wrong("you kept the wrong scores, or changed them: keep the *highest* k as they are")


@exercise("sample_next", "Write sample_next(scores): for (batch, vocab) processed scores, draw one token id per row "
                         "with multinomial sampling from torch's global random generator, as model.generate does, "
                         "shape (batch,).",
          hints=("Sampling draws at random, in proportion to each token's probability.",
                 "softmax turns the scores into probabilities; torch.multinomial draws from them.",
                 "torch.multinomial(scores.softmax(dim=-1), num_samples=1), then drop the last dimension."),
          solution="""
              import torch


              def sample_next(scores):
                  probs = scores.softmax(dim=-1)
                  return torch.multinomial(probs, num_samples=1).squeeze(-1)
          """,
          why="multinomial draws one index per row with probability proportional to probs, using torch's global "
              "random generator, which is how model.generate(do_sample=True) picks a token (same seed, same draw).")
def _sample_next(sample_next):
    import torch

    for rows in (4, 1):  # a batch of one keeps its batch dimension too
        scores = torch.randn(rows, 30, generator=torch.Generator().manual_seed(9)) * 2
        torch.manual_seed(1234)  # two draws in a row from the generator as the caller left it
        expected = [torch.multinomial(scores.softmax(dim=-1), num_samples=1).squeeze(-1) for _ in range(2)]
        torch.manual_seed(1234)
        got = [torch.as_tensor(sample_next(scores.clone())) for _ in range(2)]
        if got[0].shape == (rows, 1):
            raise Wrong("one id per row, shape (batch,): you left an extra dimension")
        if got[0].shape != (rows,):
            raise Wrong(f"expected one token id per row, shape ({rows},), got {tuple(got[0].shape)} for {rows} "
                        "row(s): do not drop the batch dimension")
        if torch.equal(got[0], scores.argmax(dim=-1)) and not torch.equal(got[0], expected[0]):
            raise Wrong("that is greedy decoding: sampling draws at random")
        if torch.equal(got[0], got[1]) and not torch.equal(expected[0], expected[1]):
            raise Wrong("two calls gave the same draw: do not seed inside your function or give it a fresh "
                        "generator (the caller seeds once, and every later call must draw afresh)")
        if not all(torch.equal(g, e) for g, e in zip(got, expected)):
            if _follows(sample_next, scores[:1].softmax(dim=-1)):
                raise Wrong("your ids follow the right probabilities, but they are not the draw torch.multinomial "
                            "makes from torch's global generator as the caller seeded it: the check compares exact "
                            "ids under the caller's seed, as model.generate(do_sample=True) draws them (another "
                            "sampler, such as an inverse CDF, or another generator draws other ids)")
            raise Wrong("not the draw torch.multinomial makes under the caller's seed: sample from each row's "
                        "probabilities with the random generator as it is")


def _follows(sample_next, probs, draws=4000) -> bool:
    """Whether many draws from one row's probabilities come up about as often as those probabilities say."""
    import torch

    torch.manual_seed(7)
    ids = torch.as_tensor(sample_next(probs.log().expand(draws, -1).clone())).long().flatten()
    if ids.numel() != draws or ids.min() < 0 or ids.max() >= probs.shape[-1]:
        return False
    frequency = torch.bincount(ids, minlength=probs.shape[-1]) / draws
    return bool((frequency - probs[0]).abs().max() < 0.04)  # 5 standard errors at most


@exercise("continue_greedy", "Write continue_greedy(model, tokenizer, prompt, n) that uses model.generate to add n "
                             "greedy tokens to the prompt and returns only the new text.",
          hints=("model.generate returns the prompt's ids followed by the new ones.",
                 "Tokenize with return_tensors='pt', call generate with max_new_tokens=n and do_sample=False, then "
                 "decode only the ids after the prompt's length.",
                 "tokenizer.decode(output[0, inputs['input_ids'].shape[1]:], skip_special_tokens=True)"),
          solution="""
              def continue_greedy(model, tokenizer, prompt, n):
                  inputs = tokenizer(prompt, return_tensors="pt")
                  output = model.generate(**inputs, max_new_tokens=n, do_sample=False)
                  new_ids = output[0, inputs["input_ids"].shape[1]:]  # generate returns prompt + continuation
                  return tokenizer.decode(new_ids, skip_special_tokens=True)
          """,
          why="max_new_tokens counts only the tokens generate adds (max_length would count the prompt too), "
              "do_sample=False makes it greedy, and slicing off the prompt's length leaves the continuation.")
def _continue_greedy(continue_greedy):
    import torch
    from transformers import Pipeline

    tokenizer = tokenizer_for("causal-lm")
    model = tiny_model("llama", vocab_size=len(tokenizer), seed=3)  # random weights: any text, but a fixed one
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.do_sample = True  # as some checkpoints' generation_config.json do: greedy must be asked for
    generate_calls = observe_generate(model)
    for prompt, n, ends_early in (("The capital of France is", 6, False), ("Once upon a time", 3, False),
                                  ("Once upon a time", 5, True)):
        if ends_early:
            _end_at_second_token(model, tokenizer, prompt)
        inputs = tokenizer(prompt, return_tensors="pt")
        with torch.no_grad():
            output = model.generate(**inputs, max_new_tokens=n, do_sample=False)
        expected = tokenizer.decode(output[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True)
        generate_calls.clear()
        torch.manual_seed(0)
        with library_calls(Pipeline) as used:
            got = continue_greedy(model, tokenizer, prompt, n)
        if used:
            raise Wrong("a pipeline does the slicing for you: call model.generate yourself and take the new ids")
        if not generate_calls:
            raise Wrong("your answer never calls model.generate: the task is to let generate run the loop (section 1 "
                        "wrote it by hand) and to take the new text out of what it returns")
        asked = generate_calls[-1]
        if asked.get("do_sample", getattr(asked.get("generation_config"), "do_sample", False)):
            raise Wrong("do_sample=True samples, whatever else you set (top_k=1 still draws among tokens tied for "
                        "first): greedy decoding is do_sample=False")
        if changed := greedy_changed_by(model, asked):
            raise Wrong(f"{changed} changes which token greedy decoding picks (or when it may stop): the task asks "
                        "for plain greedy decoding")
        if not isinstance(got, str):
            raise Wrong("return the new text as a string (decode the ids)")
        if got.startswith(prompt) and got != expected:
            raise Wrong("your text starts with the prompt: return only what the model added")
        if ends_early and got.startswith(expected) and got != expected:
            raise Wrong("this continuation ends with the end-of-sequence token, and your text keeps it: the new "
                        "text is only what is written, without special tokens")
        if expected.startswith(got) and got != expected:
            raise Wrong(f"too few tokens: the prompt's tokens count against a max_length; ask for {n} *new* tokens")
        if got != expected:
            raise Wrong(f"not the greedy continuation of {n} new tokens: is sampling off (this model's own "
                        "generation_config samples), do you use n, and do you decode only the new ids?")


def _end_at_second_token(model, tokenizer, prompt):
    """Make greedy decoding pick end-of-sequence where it picked its second new token: the end-of-sequence row of
    the output layer becomes a copy of that token's row, and argmax takes the lower id of a tie."""
    import torch

    ids = tokenizer(prompt, return_tensors="pt").input_ids
    with torch.no_grad():
        second = int(model.generate(ids, max_new_tokens=2, do_sample=False)[0, -1])
        model.lm_head.weight[model.generation_config.eos_token_id] = model.lm_head.weight[second]
