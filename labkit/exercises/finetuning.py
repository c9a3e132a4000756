"""Notebook 08: fine-tuning with Trainer."""
from __future__ import annotations

import math

from . import Wrong, exercise
from .fixtures import config_for


@exercise("accuracy", "Write accuracy(logits, labels) for compute_metrics: the share of rows whose highest logit "
                      "is the true label (NumPy arrays in, a float out).",
          hints=("First turn each row of logits into the predicted class, then compare with the labels.",
                 "argmax along the last axis gives the predictions; comparing two arrays gives True/False per row, "
                 "and the mean of booleans is the share of True.",
                 "(logits.argmax(-1) == labels).mean()"),
          solution="""
              def accuracy(logits, labels):
                  predictions = logits.argmax(axis=-1)
                  return float((predictions == labels).mean())
          """,
          why="The predicted class is the largest logit (softmax keeps the order); the mean of the correct/incorrect "
              "booleans is the fraction correct.")
def _accuracy(accuracy):
    import numpy as np

    rng = np.random.default_rng(8)
    logits, labels = rng.normal(size=(50, 3)), rng.integers(0, 3, 50)
    expected = float((logits.argmax(-1) == labels).mean())
    got = float(accuracy(logits, labels))
    if math.isclose(got, expected * len(labels)):
        raise Wrong("that is the number of correct rows, not their share")
    if not math.isclose(got, expected, rel_tol=1e-9):
        raise Wrong("not the share of rows whose largest logit is the true label")


@exercise("trainable", "How many parameters stay trainable when you freeze MiniLM's whole base model "
                       "(model.base_model.requires_grad_(False)) in a 3-label sequence classifier?",
          hints=("Which parts of the classifier are not part of model.base_model?",
                 "The base model includes its pooler; what is left is the new classifier layer.",
                 "Count with sum(p.numel() for p in model.parameters() if p.requires_grad)."),
          solution="""
              from transformers import AutoModelForSequenceClassification

              frozen = AutoModelForSequenceClassification.from_pretrained(labkit.checkpoint("encoder"), num_labels=3)
              frozen.base_model.requires_grad_(False)
              trainable_parameters = sum(p.numel() for p in frozen.parameters() if p.requires_grad)
          """,
          why="requires_grad_(False) on base_model freezes the embeddings, every layer and the pooler; only the "
              "classifier (hidden_size x 3 weights and 3 biases) still gets gradients.")
def _trainable(answer):
    hidden = config_for("encoder").hidden_size
    expected = hidden * 3 + 3
    if answer == expected + hidden * hidden + hidden:
        raise Wrong("the pooler belongs to the base model (model.bert.pooler): it is frozen too")
    if answer == 0:
        raise Wrong("the new classifier head is not part of the base model: it still trains")
    if answer != expected:
        raise Wrong("that is not what is left trainable: count the parameters whose requires_grad is True")


@exercise("training_args", "Write make_args(output_dir) that returns TrainingArguments which evaluate and save at the "
                           "end of every epoch and load the best model (by eval loss) when training ends.",
          hints=("TrainingArguments has separate settings for when to evaluate, when to save, and what to keep.",
                 "Evaluating and saving must follow the same schedule for load_best_model_at_end to work; in "
                 "transformers 5 the evaluation setting is called eval_strategy.",
                 "eval_strategy='epoch', save_strategy='epoch', load_best_model_at_end=True."),
          solution="""
              from transformers import TrainingArguments


              def make_args(output_dir):
                  return TrainingArguments(output_dir=output_dir, eval_strategy="epoch", save_strategy="epoch",
                                           load_best_model_at_end=True)
          """,
          why="Trainer can only go back to the best epoch if it saved a checkpoint at each evaluation, so the two "
              "strategies must match; metric_for_best_model defaults to the eval loss.")
def _training_args(make_args):
    import tempfile

    from transformers import TrainingArguments

    with tempfile.TemporaryDirectory() as folder:
        try:
            args = make_args(folder)
        except TypeError as err:
            if "evaluation_strategy" in str(err):
                raise Wrong("evaluation_strategy was renamed in transformers 5") from None
            raise
        except ValueError as err:
            if "load_best_model_at_end" in str(err):
                raise Wrong("Trainer refused the arguments: to go back to the best epoch it must have saved one at "
                            "every evaluation") from None
            raise
    if not isinstance(args, TrainingArguments):
        raise Wrong("return a TrainingArguments object")
    if str(args.eval_strategy).split(".")[-1].lower() != "epoch":
        raise Wrong(f"evaluation runs on the schedule {args.eval_strategy!s}, not every epoch")
    if str(args.save_strategy).split(".")[-1].lower() != "epoch":
        raise Wrong(f"checkpoints are saved on the schedule {args.save_strategy!s}, not every epoch")
    if not args.load_best_model_at_end:
        raise Wrong("the model at the end is the last epoch's, not the best one")
    if args.metric_for_best_model not in (None, "loss", "eval_loss"):
        raise Wrong(f"the best model is chosen by {args.metric_for_best_model!r}; the task asks for the eval loss")
