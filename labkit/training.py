"""One recipe for fine-tuning a sequence classifier with `Trainer`: the kit's sentiment model (`labkit prepare`),
`labkit finetune` and notebook 08 all start from ``Recipe``, and score with ``classification_metrics``.

    labkit finetune --output runs/minilm --epochs 2 --train-size 3000
    accelerate launch -m labkit.cli finetune --output runs/minilm --epochs 3 --train-size 0   # all GPUs
    torchrun --nproc_per_node 4 -m labkit.cli finetune --output runs/minilm --epochs 3

`Trainer` reads the distributed set-up from the launcher's environment and uses the GPUs it finds, so the code has
no device logic. The command's options are ``Recipe``'s fields (``HfArgumentParser``).
"""
from __future__ import annotations

import json
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable


@dataclass
class Recipe:
    output: str = field(default="", metadata={"help": "folder for the model, tokenizer and metrics.json (required)"})
    model: str = field(default="encoder", metadata={"help": "catalogue role, local folder or Hub id"})
    data: str = field(default="tweets", metadata={"help": "'tweets' or a CSV with text and label columns"})
    epochs: float = field(default=2.0, metadata={"help": "passes over the training examples"})
    batch_size: int = field(default=32, metadata={"help": "per device"})
    learning_rate: float = field(default=1e-4, metadata={"aliases": ["--lr"], "help": "peak, after the warm-up"})
    warmup: float = field(default=0.1, metadata={"help": "share of the steps that warm the learning rate up"})
    weight_decay: float = field(default=0.01, metadata={"help": "AdamW's decoupled weight decay"})
    train_size: int = field(default=3000, metadata={"help": "training examples (0 = all)"})
    eval_size: int = field(default=1000, metadata={"help": "validation examples (0 = all)"})
    max_length: int = field(default=64, metadata={"help": "tokens per example"})
    group_by_length: bool = field(default=False, metadata={"help": "batch examples of similar length together "
                                                                   "(less padding, same examples)"})
    freeze_base: bool = field(default=False, metadata={"aliases": ["--freeze"],
                                                       "help": "train only the classification head"})
    freeze_embeddings: bool = field(default=False, metadata={"help": "keep the embedding layer fixed "
                                                                     "(word, position, token-type embeddings)"})
    select_best: bool = field(default=True, metadata={"help": "score the validation split after each epoch and "
                                                              "keep the best epoch"})
    seed: int = field(default=0, metadata={"help": "for the data's order and the new head's weights"})

    def validate(self) -> None:
        problems = [] if self.output else ["give an output folder (--output runs/NAME)"]
        if self.epochs <= 0:
            problems.append(f"epochs must be > 0, got {self.epochs}")
        if self.batch_size < 1:
            problems.append(f"batch size must be >= 1, got {self.batch_size}")
        if not 0 < self.learning_rate < 1:
            problems.append(f"learning rate must be in (0, 1), got {self.learning_rate}")
        if self.train_size < 0 or self.eval_size < 0:
            problems.append("train and eval sizes must be >= 0 (0 = all)")
        if self.max_length < 8:
            problems.append(f"max length must be >= 8 tokens, got {self.max_length}")
        if self.data != "tweets" and not Path(self.data).is_file():
            problems.append(f"no data file {self.data!r}: give 'tweets' or the path of a CSV with text and label "
                            f"columns")
        if problems:
            raise ValueError("; ".join(problems))


# ---------------------------------------------------------------- metrics (NumPy: evaluate.load needs the Hub)

def confusion_counts(labels, predictions, num_labels: int):
    """A (true, predicted) count matrix."""
    import numpy as np

    counts = np.zeros((num_labels, num_labels), dtype=int)
    np.add.at(counts, (np.asarray(labels, dtype=int), np.asarray(predictions, dtype=int)), 1)
    return counts


def classification_metrics(predictions, labels, num_labels: int) -> dict:
    """Accuracy and macro-averaged F1 (a class never predicted and never present scores 0)."""
    import numpy as np

    counts = confusion_counts(labels, predictions, num_labels)
    tp = np.diag(counts)
    precision = tp / np.maximum(counts.sum(0), 1)
    recall = tp / np.maximum(counts.sum(1), 1)
    f1 = np.where(tp > 0, 2 * precision * recall / np.maximum(precision + recall, 1e-12), 0.0)
    return {"accuracy": float(tp.sum() / max(counts.sum(), 1)), "macro_f1": float(f1.mean())}


def metrics_for(num_labels: int):
    """A ``compute_metrics`` function for ``Trainer``: logits in, accuracy and macro-F1 out."""
    def compute_metrics(prediction):
        return classification_metrics(prediction.predictions.argmax(-1), prediction.label_ids, num_labels)
    return compute_metrics


# ---------------------------------------------------------------- data

def load_splits(data: str, seed: int = 0):
    """(train, validation, test or None, label names): the kit's tweets (their fixed split, so the test split stays
    held out), or a CSV with text and label columns split 80 / 20 into train and validation, stratified."""
    from datasets import ClassLabel, load_dataset

    from .data import load_tweets

    if data == "tweets":
        splits = load_tweets()
        return splits["train"], splits["validation"], splits["test"], splits["train"].features["label"].names
    path = Path(data)
    raw = load_dataset("csv", data_files=str(path), split="train")
    missing = {"text", "label"} - set(raw.column_names)
    if missing:
        raise ValueError(f"{path.name} has no column(s) {sorted(missing)}; found {raw.column_names}")
    if not isinstance(raw.features["label"], ClassLabel):
        raw = raw.class_encode_column("label")
    split = raw.train_test_split(test_size=0.2, stratify_by_column="label", seed=seed)
    return split["train"], split["test"], None, raw.features["label"].names


def progress_lines(log: Callable[[str], None], lines: bool = True):
    """A Trainer callback that logs one line per logging step: progress a CI log without tqdm still shows. When
    ``log`` has a ``steps(done, total)`` method (`labkit prepare`'s progress file), every step is reported to it."""
    from transformers import TrainerCallback

    steps = getattr(log, "steps", None)

    class ProgressLines(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            if lines and logs and "loss" in logs:
                log(f"      step {state.global_step}/{state.max_steps}  epoch {state.epoch:.2f}  "
                    f"loss {float(logs['loss']):.3f}")

        def on_step_end(self, args, state, control, **kwargs):
            if steps:
                steps(state.global_step, state.max_steps)

    return ProgressLines()


# ---------------------------------------------------------------- the run

def train(recipe: Recipe, quiet: bool = False, log: Callable[[str], None] = print) -> tuple[object, dict]:
    """Fine-tune ``recipe.model`` (a folder or Hub id) on ``recipe.data``; score the held-out split (the test
    split, or validation for a CSV); save model, tokenizer and metrics.json into ``recipe.output``.
    Returns the trainer and the metrics (empty on all but the first process of a distributed run)."""
    import torch
    from transformers import (AutoModelForSequenceClassification, AutoTokenizer, DataCollatorWithPadding, Trainer,
                              TrainingArguments, set_seed)
    from transformers.trainer_callback import PrinterCallback
    from transformers.utils import logging

    recipe.validate()
    if quiet:  # no load report for the new head, no info lines
        logging.set_verbosity_error()
    started, output = time.perf_counter(), Path(recipe.output)
    set_seed(recipe.seed)
    train_split, validation, test, names = load_splits(recipe.data, recipe.seed)
    if recipe.train_size:
        train_split = train_split.shuffle(seed=recipe.seed).select(range(min(recipe.train_size, len(train_split))))
    if recipe.eval_size:
        validation = validation.select(range(min(recipe.eval_size, len(validation))))
    tokenizer = AutoTokenizer.from_pretrained(recipe.model)
    keep = {"input_ids", "attention_mask", "token_type_ids", "label"}

    def tokenize(split):
        split = split.map(lambda b: tokenizer(b["text"], truncation=True, max_length=recipe.max_length), batched=True)
        return split.remove_columns([c for c in split.column_names if c not in keep])

    held_out = test if test is not None else validation
    model = AutoModelForSequenceClassification.from_pretrained(
        recipe.model, num_labels=len(names), id2label=dict(enumerate(names)),
        label2id={name: i for i, name in enumerate(names)})
    if recipe.freeze_base:
        model.base_model.requires_grad_(False)
    elif recipe.freeze_embeddings:
        model.base_model.embeddings.requires_grad_(False)
    if recipe.select_best:  # score the validation split each epoch, keep the best epoch's weights
        best = dict(eval_strategy="epoch", save_strategy="epoch", save_total_limit=1, load_best_model_at_end=True,
                    metric_for_best_model="accuracy")
    else:
        best = dict(eval_strategy="no", save_strategy="no")
    args = TrainingArguments(
        output_dir=str(output / "checkpoints"), num_train_epochs=recipe.epochs, learning_rate=recipe.learning_rate,
        per_device_train_batch_size=recipe.batch_size, per_device_eval_batch_size=128, warmup_steps=recipe.warmup,
        weight_decay=recipe.weight_decay, seed=recipe.seed, logging_steps=0.1, report_to="none", disable_tqdm=quiet,
        train_sampling_strategy="group_by_length" if recipe.group_by_length else "random",
        # without a GPU, use_cpu lets accelerate run several CPU processes (torchrun) as one job over gloo
        use_cpu=not torch.cuda.is_available(), dataloader_pin_memory=torch.cuda.is_available(), **best)
    trainer = Trainer(model=model, args=args, train_dataset=tokenize(train_split),
                      eval_dataset=tokenize(validation) if recipe.select_best else None, processing_class=tokenizer,
                      data_collator=DataCollatorWithPadding(tokenizer), compute_metrics=metrics_for(len(names)))
    if quiet:  # one line per logging step instead of the raw dicts Trainer prints without tqdm
        trainer.remove_callback(PrinterCallback)
    if quiet or hasattr(log, "steps"):
        trainer.add_callback(progress_lines(log, lines=quiet))
    trainer.train()
    scores = trainer.evaluate(tokenize(held_out), metric_key_prefix="held_out")
    if not trainer.is_world_process_zero():  # one process writes, however many are launched
        return trainer, {}
    shutil.rmtree(output / "checkpoints", ignore_errors=True)  # optimizer states: not needed now
    trainer.model.save_pretrained(output)  # safetensors only; Trainer.save_model would add training_args.bin
    tokenizer.save_pretrained(output)
    metrics = {"accuracy": scores["held_out_accuracy"], "macro_f1": scores["held_out_macro_f1"],
               "held_out": "test split" if test is not None else "validation split",
               "train_examples": len(train_split), "held_out_examples": len(held_out), "labels": names,
               "seconds": round(time.perf_counter() - started, 1), "processes": args.world_size,
               "config": asdict(recipe)}
    (output / "metrics.json").write_text(json.dumps(metrics, indent=1))
    log(f"saved to {output}: accuracy {metrics['accuracy']:.3f}, macro-F1 {metrics['macro_f1']:.3f} on "
        f"{len(held_out):,} held-out examples ({metrics['held_out']}; {metrics['seconds']} s, "
        f"{args.world_size} process(es))")
    return trainer, metrics
