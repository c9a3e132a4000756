"""Notebook 08: fine-tuning with Trainer."""
from __future__ import annotations

import math
import os

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

    rng = np.random.default_rng()
    for rows, classes in ((50, 3), (37, 5), (8, 2)):
        logits, labels = rng.normal(size=(rows, classes)), rng.integers(0, classes, rows)
        right = rows * 2 // 3  # mostly right, as a trained model is: argmin (wrong on these rows) can never tie
        labels[:right] = logits[:right].argmax(-1)
        expected = float((logits.argmax(-1) == labels).mean())
        got = float(accuracy(logits, labels))
        if math.isclose(got, expected * rows) and expected * rows != expected:
            raise Wrong("that is the number of correct rows, not their share")
        if not math.isclose(got, expected, rel_tol=1e-6, abs_tol=1e-9):
            raise Wrong("not the share of rows whose largest logit is the true label")


@exercise("trainable", "In a 3-label sequence classifier on MiniLM, freeze the whole base model "
                       "(model.base_model.requires_grad_(False)), then unfreeze its last transformer layer "
                       "(model.base_model.encoder.layer[-1].requires_grad_(True)). How many parameters are trainable?",
          hints=("Build the classifier, make both calls, then count: which parts have requires_grad True?",
                 "Two parts train: the unfrozen layer and the classifier head, which is not part of base_model. "
                 "Sum p.numel() over the parameters whose requires_grad is True.",
                 "sum(p.numel() for p in model.parameters() if p.requires_grad) after both calls."),
          solution="""
              from transformers import AutoModelForSequenceClassification

              model = AutoModelForSequenceClassification.from_pretrained(labkit.checkpoint("encoder"), num_labels=3)
              model.base_model.requires_grad_(False)
              model.base_model.encoder.layer[-1].requires_grad_(True)
              trainable_parameters = sum(p.numel() for p in model.parameters() if p.requires_grad)
          """,
          why="requires_grad_(False) on base_model freezes the embeddings, every layer and the pooler; the last "
              "layer then trains again, and the new classifier (hidden_size x 3 weights and 3 biases) never stopped.")
def _trainable(answer):
    config = config_for("encoder")
    hidden, inner = config.hidden_size, config.intermediate_size
    layer = 4 * (hidden * hidden + hidden) + (hidden * inner + inner) + (inner * hidden + hidden) + 2 * 2 * hidden
    head, pooler = hidden * 3 + 3, hidden * hidden + hidden
    try:  # Python, NumPy and torch numbers alike; a string is not a count
        value = None if isinstance(answer, (str, bytes)) else float(answer)
    except (TypeError, ValueError):
        value = None
    if value is None or not value.is_integer():
        raise Wrong("give the count as a whole number")
    answer = int(value)
    if answer == layer:
        raise Wrong("the new classifier head is not part of the base model: it still trains")
    if answer == layer + head + pooler:
        raise Wrong("the pooler belongs to the base model (model.bert.pooler): it stays frozen")
    if answer == head:
        raise Wrong("the last transformer layer trains again after the second call")
    if answer == config.num_hidden_layers * layer + head:
        raise Wrong("only the last layer was unfrozen, not every layer")
    if answer == 16 + 2:  # a layer's weight and bias tensors, and the head's
        raise Wrong("that counts parameter tensors; count the numbers in them (p.numel())")
    if answer != layer + head:
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
                raise Wrong("evaluation_strategy is the old name of eval_strategy; transformers 5 no longer "
                            "accepts it") from None
            raise
        except ValueError as err:
            if "load_best_model_at_end" in str(err):
                raise Wrong("Trainer refused the arguments: to go back to the best epoch it must have saved one at "
                            "every evaluation") from None
            raise
    if not isinstance(args, TrainingArguments):
        raise Wrong("return a TrainingArguments object")
    if os.path.abspath(os.fspath(args.output_dir or "")) != os.path.abspath(folder):
        raise Wrong("the checkpoints must go to the output_dir make_args is given")
    if str(args.eval_strategy).split(".")[-1].lower() != "epoch":
        raise Wrong(f"evaluation runs on the schedule {args.eval_strategy!s}, not every epoch")
    if str(args.save_strategy).split(".")[-1].lower() != "epoch":
        raise Wrong(f"checkpoints are saved on the schedule {args.save_strategy!s}, not every epoch")
    if not args.load_best_model_at_end:
        raise Wrong("the model at the end is the last epoch's, not the best one")
    if args.eval_delay:
        raise Wrong(f"eval_delay={args.eval_delay} skips the first evaluations: the task asks for every epoch")
    if args.metric_for_best_model not in (None, "loss", "eval_loss"):
        raise Wrong(f"the best model is chosen by {args.metric_for_best_model!r}; the task asks for the eval loss")
    if args.greater_is_better:
        raise Wrong("with greater_is_better=True Trainer keeps the epoch with the highest loss: lower loss is better")
