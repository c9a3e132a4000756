"""Notebook 12: evaluation (perplexity, a paired bootstrap interval, calibration error, a counterfactual flip rate)."""
from __future__ import annotations

import math
import re
import zlib

from . import Wrong, exercise
from .fixtures import number, tiny_model, tokenizer_for


@exercise("perplexity", "Write perplexity_of(model, tokenizer, text): the perplexity of a causal LM on a short text "
                        "(one window, no special tokens added), from the loss the model computes itself.",
          hints=("Perplexity is built from the mean negative log-likelihood per token, the number a causal LM "
                 "returns as its loss when it is given labels.",
                 "Tokenize the text as a batch of one, and pass the input ids as the labels too: the model shifts "
                 "them itself. Then undo the logarithm.",
                 "ids = tokenizer(text, return_tensors='pt', add_special_tokens=False).input_ids; "
                 "torch.exp(model(ids, labels=ids).loss)"),
          solution="""
              import torch

              def perplexity_of(model, tokenizer, text):
                  ids = tokenizer(text, return_tensors="pt", add_special_tokens=False).input_ids
                  with torch.no_grad():
                      return float(torch.exp(model(ids, labels=ids).loss))
          """,
          why="Called with labels, a causal LM shifts them by one and returns the mean cross-entropy of each token "
              "given the ones before it (the mean NLL per token); perplexity is its exponential.")
def _perplexity(perplexity_of):
    import torch

    tokenizer = tokenizer_for("causal-lm")
    model = tiny_model("llama", vocab_size=len(tokenizer), seed=1)
    torch.nn.init.normal_(model.lm_head.weight, std=0.6)  # peaked predictions: a wrong answer lands far from the right one
    given = []
    model.register_forward_pre_hook(  # labels: a keyword, or forward's sixth argument
        lambda _, args, kwargs: given.append(kwargs.get("labels", args[5] if len(args) > 5 else None) is not None),
        with_kwargs=True)
    for text in ("The cat sat on the mat.", "Evaluation needs error bars, and a paired test for two models."):
        ids = tokenizer(text, return_tensors="pt", add_special_tokens=False).input_ids
        logits = model(ids).logits[0].detach()
        nll = torch.nn.functional.cross_entropy(logits[:-1], ids[0, 1:], reduction="none")
        given.clear()
        got = number(perplexity_of(model, tokenizer, text), "the perplexity")
        if not any(given):
            raise Wrong("use the loss the model computes itself: call it with labels")
        expected = float(nll.mean().exp())
        if abs(got - expected) <= 1e-3 * expected:
            continue
        if abs(got - float(nll.mean())) < 1e-3:
            raise Wrong("that is the loss, the mean NLL: perplexity is its exponential")
        if got > 0 and (math.isinf(got) or math.log(got) > 3 * float(nll.mean())):  # exp(a sum) is far larger
            raise Wrong("the NLL is summed over the tokens: perplexity uses its mean per token")
        if abs(got - float(2 ** nll.mean())) <= 1e-3 * float(2 ** nll.mean()):
            raise Wrong("the loss is a natural logarithm: undo it with exp, not a power of 2")
        shifted = float(torch.nn.functional.cross_entropy(logits[:-2], ids[0, 2:]).exp())  # the labels shifted by hand
        if abs(got - shifted) <= 1e-3 * shifted:
            raise Wrong("the labels are shifted twice: pass the input ids as labels, the model shifts them itself")
        raise Wrong("not the perplexity of the model on this text: the exponential of the loss it returns when "
                    "given the text's own ids as labels")
    return True


@exercise("paired_interval", "Write paired_interval(correct_a, correct_b, n_resamples, seed): the 95% paired-bootstrap "
                             "percentile interval (low, high) for accuracy(A) - accuracy(B) on the same test set, "
                             "correct_a and correct_b being 0/1 arrays; draw with np.random.default_rng(seed).",
          hints=("Paired means that both models are scored on the same resampled examples: one draw of example "
                 "indices serves both.",
                 "Draw n_resamples rows of len(correct_a) indices with replacement; for each row, the difference of "
                 "the two accuracies; then the percentiles that leave 2.5% on each side.",
                 "rows = rng.integers(0, n, size=(n_resamples, n)); "
                 "np.percentile(a[rows].mean(1) - b[rows].mean(1), [2.5, 97.5])"),
          solution="""
              import numpy as np

              def paired_interval(correct_a, correct_b, n_resamples, seed):
                  a, b = np.asarray(correct_a), np.asarray(correct_b)
                  rows = np.random.default_rng(seed).integers(len(a), size=(n_resamples, len(a)))
                  return tuple(np.percentile(a[rows].mean(1) - b[rows].mean(1), [2.5, 97.5]))
          """,
          why="Resampling examples (not models) keeps each example's two outcomes together, so what both models get "
              "right or wrong cancels out; the middle 95% of the resampled differences is the interval.")
def _paired_interval(paired_interval):
    import numpy as np

    rng = np.random.default_rng(7)
    n = 1500
    a = (rng.random(n) < 0.75).astype(int)
    b = a.copy()
    flip = rng.choice(n, 150, replace=False)  # the models disagree on 10% of the examples, correlated otherwise
    b[flip] = 1 - b[flip]
    intervals = []
    for seed in (0, 1):
        got = paired_interval(a.copy(), b.copy(), 2000, seed)
        try:
            low, high = (float(x) for x in got)
        except (TypeError, ValueError):
            raise Wrong("return two numbers: (low, high)") from None
        intervals.append((low, high))
        if seed == 0 and [float(x) for x in paired_interval(a.copy(), b.copy(), 2000, 0)] != [low, high]:
            raise Wrong("the same seed gives another interval: draw every resample from np.random.default_rng(seed)")
        rows = np.random.default_rng(seed).integers(0, n, size=(2000, n))
        expected = np.percentile(a[rows].mean(1) - b[rows].mean(1), [2.5, 97.5])
        tolerance = 0.08 * (expected[1] - expected[0])  # another way of drawing: another sample of resamples
        if abs(low - expected[0]) + abs(high - expected[1]) < tolerance:
            continue
        if abs(low + expected[1]) < tolerance and abs(high + expected[0]) < tolerance:
            raise Wrong("that is the interval for B minus A: the task asks for accuracy(A) - accuracy(B)")
        if low > high:
            raise Wrong("return (low, high), the lower end first")
        if high - low < 1e-9:
            raise Wrong("every resample gives the same difference: draw the examples with replacement")
        if high - low > 1.5 * (expected[1] - expected[0]):
            raise Wrong("the interval is far too wide: are the two models resampled separately? Paired means one "
                        "draw of examples for both")
        if high - low < 0.5 * (expected[1] - expected[0]):
            raise Wrong("the interval is far too narrow: is each resample's difference the mean over its own row of "
                        "examples, and does each row hold as many examples as the test set?")
        if high - low < 0.9 * (expected[1] - expected[0]):
            raise Wrong("the interval is too narrow for 95%: the percentiles that leave 2.5% on each side, of one "
                        "difference per resample (a row of as many examples as the test set)")
        raise Wrong("not the 95% paired-bootstrap percentile interval of the accuracy difference")
    one = [float(x) for x in paired_interval(a.copy(), b.copy(), 1, 0)]
    if one[0] != one[1]:
        raise Wrong("with n_resamples=1 there is one resampled difference, so low == high: draw n_resamples resamples")
    if intervals[0] == intervals[1]:
        raise Wrong("another seed gives the same interval: draw the resamples from np.random.default_rng(seed)")
    return True


def _ece_of(confidence, correct, n_bins, signed=False):
    import numpy as np

    bins = np.minimum((confidence * n_bins).astype(int), n_bins - 1)
    gaps = [(bins == b).mean() * (correct[bins == b].mean() - confidence[bins == b].mean())
            for b in range(n_bins) if (bins == b).any()]
    return sum(gaps) if signed else sum(abs(gap) for gap in gaps)


@exercise("ece", "Write ece(probs, labels, n_bins): the expected calibration error of predicted probabilities probs "
                 "(examples, classes) against the true labels, with n_bins equal-width confidence bins.",
          hints=("Each prediction's confidence is the probability of the label it predicts; bin the predictions by "
                 "that confidence, and compare each bin's accuracy with its mean confidence.",
                 "Sum over the bins that are not empty: (the bin's share of all examples) * |accuracy - mean "
                 "confidence|. A confidence of exactly 1.0 belongs to the last bin.",
                 "bins = np.minimum((confidence * n_bins).astype(int), n_bins - 1)"),
          solution="""
              import numpy as np

              def ece(probs, labels, n_bins):
                  probs, labels = np.asarray(probs), np.asarray(labels)
                  confidence, correct = probs.max(1), probs.argmax(1) == labels
                  bins = np.minimum((confidence * n_bins).astype(int), n_bins - 1)
                  return sum((bins == b).mean() * abs(correct[bins == b].mean() - confidence[bins == b].mean())
                             for b in range(n_bins) if (bins == b).any())
          """,
          why="ECE weighs each confidence bin's gap between accuracy and confidence by how many predictions fall in "
              "it; the confidence is the predicted label's probability, whether or not that label is right.")
def _ece(ece):
    import numpy as np

    rng = np.random.default_rng(3)
    logits = rng.normal(size=(300, 3)) * 2.5
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    labels = np.where((rng.random(300) < 0.6) | (probs.max(1) > 0.9), probs.argmax(1), rng.integers(0, 3, 300))
    probs[:12] = np.eye(3)[(labels[:12] + 1) % 3]  # certain, wrong predictions (confidence 1.0) in an under-confident bin
    for n_bins in (10, 5):
        got = number(ece(probs.copy(), labels.copy(), n_bins), "the ECE")
        confidence, correct = probs.max(1), probs.argmax(1) == labels
        if abs(got - _ece_of(confidence, correct, n_bins)) < 1e-6:
            continue
        true_class = probs[np.arange(len(labels)), labels]
        if abs(got - _ece_of(true_class, correct, n_bins)) < 1e-6:
            raise Wrong("the confidence is the probability of the predicted label, not of the true one")
        if abs(got - abs(correct.mean() - confidence.mean())) < 1e-6:
            raise Wrong("that is the gap over all examples at once: ECE compares them bin by bin")
        if abs(abs(got) - abs(_ece_of(confidence, correct, n_bins, signed=True))) < 1e-6:
            raise Wrong("gaps of opposite signs cancel out: each bin counts its absolute gap")
        raise Wrong("not the ECE: is each bin weighted by its share of the examples, with the absolute gap, over "
                    "the non-empty bins only, and a confidence of 1.0 in the last bin?")
    return True


def _swap(text, swaps):
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, sorted(swaps, key=len, reverse=True))) + r")\b", re.I)
    return pattern.sub(lambda m: (lambda w: w[0].upper() + w[1:] if m.group(0)[0].isupper() else w)(
        swaps[m.group(0).lower()]), text)


def _hash_predict(seen):
    """A classifier for the check: a label that changes with any change of the text, recording what it reads."""
    def predict(texts):
        seen.extend(texts)
        return [("negative", "neutral", "positive")[zlib.crc32(t.encode()) % 3] for t in texts]
    return predict


FLIP_TEXTS = ["He said the weather is great.", "She thinks the show was awful.", "The theme park opens today.",
              "his dog and her cat are friends", "Nothing changed here at all.", "I asked him.  She laughed!",
              "Tell him he is late again", "Ask him about the other one.", "She told her brother the news.", "There they go, somewhere else.", "He's (she said) with his sister."]
FLIP_SWAPS = {"he": "she", "she": "he", "him": "her", "his": "her", "her": "his"}


@exercise("flip_rate", "Write flip_rate(predict, texts, swaps): the share of counterfactual pairs whose predicted "
                       "label changes; swap whole words in one pass, ignoring case and keeping a capital first "
                       "letter, and count only the texts the swap changes.",
          hints=("Build each text's counterfactual first, and set aside the texts that it leaves unchanged: they "
                 "are not pairs.",
                 "Whole words in one pass: one regular expression with \\b around an alternation of all the words, "
                 "and a replacement function that looks each match up in swaps (lowercased).",
                 "pattern = re.compile(r'\\b(?:' + '|'.join(map(re.escape, swaps)) + r')\\b', re.IGNORECASE)"),
          solution="""
              import re

              def flip_rate(predict, texts, swaps):
                  pattern = re.compile(r"\\b(?:" + "|".join(map(re.escape, swaps)) + r")\\b", re.IGNORECASE)

                  def partner(match):
                      word = swaps[match.group().lower()]
                      return word[0].upper() + word[1:] if match.group()[0].isupper() else word
                  pairs = [(text, pattern.sub(partner, text)) for text in texts]
                  pairs = [(a, b) for a, b in pairs if a != b]
                  before, after = predict([a for a, _ in pairs]), predict([b for _, b in pairs])
                  return sum(x != y for x, y in zip(before, after)) / len(pairs)
          """,
          why="A counterfactual pair differs only in the swapped words: whole words (not 'the' inside 'then'), all "
              "swapped at once (he -> she and she -> he in one pass), and a text the swap leaves alone is no pair.")
def _flip_rate(flip_rate):
    seen = []
    got = number(flip_rate(_hash_predict(seen), list(FLIP_TEXTS), dict(FLIP_SWAPS)), "the flip rate")
    pairs = [(text, other) for text in FLIP_TEXTS if (other := _swap(text, FLIP_SWAPS)) != text]
    predict = _hash_predict([])
    before, after = predict([a for a, _ in pairs]), predict([b for _, b in pairs])
    expected = sum(x != y for x, y in zip(before, after)) / len(pairs)
    expected_texts = set(FLIP_TEXTS) | {b for _, b in pairs}
    if strange := [text for text in seen if text not in expected_texts]:
        raise Wrong(f"{strange[0]!r} was classified, but it is none of the texts nor a counterfactual of one: swap "
                    "whole words only (the 'he' inside 'the' is no word), all in one pass, case ignored, keeping a "
                    "capital first letter")
    if missing := sorted({text for pair in pairs for text in pair} - set(seen)):
        raise Wrong(f"{missing[0]!r} was never classified: every text the swap changes makes a pair (case ignored: "
                    "'He' is 'he' too)")
    if abs(got - expected) < 1e-6:
        return True
    if abs(got - expected * len(pairs) / len(FLIP_TEXTS)) < 1e-6:
        raise Wrong("the texts the swap leaves unchanged are counted: only real pairs count")
    raise Wrong("not the share of changed pairs whose predicted label differs")
