"""Notebook 01: pipelines, their post-processing, embeddings."""
from __future__ import annotations

import math

from . import Wrong, exercise
from .fixtures import close, config_for


@exercise("softmax", "Write probabilities(logits) that turns a (batch, classes) tensor of logits into "
                     "probabilities, like the pipeline's post-processing, without a ready-made softmax.")
def _softmax(probabilities):
    import torch

    called = getattr(getattr(probabilities, "__code__", None), "co_names", ())  # the names its code uses
    if any(name.lower() == "softmax" for name in called):
        raise Wrong("write the formula yourself instead of calling a softmax: that is the point of the exercise")
    torch.manual_seed(0)
    large = torch.tensor([[1000.0, 1001.0, 1002.0], [-1000.0, 0.0, 1000.0]])  # exp() of these overflows
    for logits in (torch.randn(2, 3), torch.randn(4, 5) * 3, large):
        got = torch.as_tensor(probabilities(logits))
        if got.shape != logits.shape:
            raise Wrong(f"expected shape {tuple(logits.shape)}, got {tuple(got.shape)}: one probability per class")
        if not torch.isfinite(got).all():
            raise Wrong("with large logits (1000 and more) you get nan or inf: exp() overflows. Adding the same "
                        "number to every logit of a row does not change the result")
        if not close(got.sum(-1), torch.ones(len(logits))):
            if close(got.sum(0), torch.ones(logits.shape[1])):
                raise Wrong("your probabilities sum to 1 down each column: normalise along the classes, dim=-1")
            raise Wrong("each row must sum to 1: exponentiate the logits, then divide by the row's sum")
        if not close(got, torch.softmax(logits, dim=-1)):
            raise Wrong("rows sum to 1 but the values are off: softmax is exp(x) / sum(exp(x)) along dim=-1")


@exercise("to_labels", "Write to_labels(logits, id2label) that returns the predicted label name for each row.")
def _to_labels(to_labels):
    import torch

    id2label = config_for("sentiment").id2label
    logits = torch.tensor([[2.0, 0.1, -1.0], [-0.5, 0.2, 3.0], [0.0, 1.5, 0.3]])
    got = to_labels(logits, id2label)
    expected = [id2label[i] for i in logits.argmax(-1).tolist()]
    if isinstance(got, torch.Tensor) or (got and not isinstance(list(got)[0], str)):
        raise Wrong("return label names such as 'positive', not class numbers: look them up in id2label")
    if list(got) != expected:
        raise Wrong("pick the class with the largest logit in each row (argmax along dim=-1), then map it with "
                    "id2label")


@exercise("cosine", "Write cosine(a, b) that returns the cosine similarity of two 1-D embedding tensors.")
def _cosine(cosine):
    import torch

    torch.manual_seed(1)
    for a, b in ((torch.randn(384), torch.randn(384)), (torch.tensor([3.0, 4.0]), torch.tensor([6.0, 8.0]))):
        got = float(cosine(a, b))
        expected = float(torch.nn.functional.cosine_similarity(a, b, dim=0))
        if math.isclose(got, float(a @ b), rel_tol=1e-4) and not math.isclose(got, expected, rel_tol=1e-4):
            raise Wrong("that is the dot product: divide it by the lengths (norms) of both vectors")
        if not math.isclose(got, expected, rel_tol=1e-4, abs_tol=1e-6):
            raise Wrong("cosine(a, b) = (a . b) / (|a| |b|); identical directions give 1.0")
