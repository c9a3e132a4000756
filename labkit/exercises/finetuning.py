"""Notebook 08: fine-tuning with Trainer."""
from __future__ import annotations

import math

from . import Wrong, exercise
from .fixtures import config_for


@exercise("accuracy", "Write accuracy(logits, labels) for compute_metrics: the share of rows whose highest logit "
                      "is the true label (NumPy arrays in, a float out).")
def _accuracy(accuracy):
    import numpy as np

    rng = np.random.default_rng(8)
    logits, labels = rng.normal(size=(50, 3)), rng.integers(0, 3, 50)
    expected = float((logits.argmax(-1) == labels).mean())
    got = float(accuracy(logits, labels))
    if math.isclose(got, expected * len(labels)):
        raise Wrong("that is the number of correct rows: divide by the number of rows")
    if not math.isclose(got, expected, rel_tol=1e-9):
        raise Wrong("(logits.argmax(-1) == labels).mean()")


@exercise("trainable", "How many parameters stay trainable when you freeze MiniLM's whole base model "
                       "(model.base_model.requires_grad_(False)) in a 3-label sequence classifier?")
def _trainable(answer):
    hidden = config_for("encoder").hidden_size
    expected = hidden * 3 + 3
    if answer == expected + hidden * hidden + hidden:
        raise Wrong("the pooler belongs to the base model (model.bert.pooler): it is frozen too")
    if answer == 0:
        raise Wrong("the new classifier head is not part of the base model: it still trains")
    if answer != expected:
        raise Wrong("only the classifier layer remains: hidden_size x 3 weights plus 3 biases; count with "
                    "sum(p.numel() for p in model.parameters() if p.requires_grad)")
