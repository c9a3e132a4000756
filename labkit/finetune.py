"""`labkit finetune`: notebook 08's recipe as a command that runs unchanged on one CPU or many GPUs.

    labkit finetune --output runs/minilm --epochs 2 --train-size 3000
    accelerate launch -m labkit.cli finetune --output runs/minilm --epochs 3 --train-size 0   # all GPUs
    torchrun --nproc_per_node 4 -m labkit.cli finetune --output runs/minilm --epochs 3

`Trainer` reads the distributed set-up from the launcher's environment and uses the GPUs it finds, so the code has
no device logic. Data: the kit's tweets (default) or any CSV with `text` and `label` columns.
"""
from __future__ import annotations

import json
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from .sentiment import accuracy_and_macro_f1, progress_callback


@dataclass
class FinetuneConfig:
    output: str
    model: str = "encoder"  # a catalogue role, a local folder or a Hub id
    data: str = "tweets"  # "tweets" or a CSV file with text and label columns
    epochs: float = 2.0
    batch_size: int = 32
    learning_rate: float = 1e-4
    train_size: int = 3000  # 0 = the whole training split
    eval_size: int = 1000  # validation examples used to pick the best epoch; 0 = all
    max_length: int = 64
    freeze_base: bool = False  # train only the new classification head
    seed: int = 0

    def validate(self) -> None:
        problems = []
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
        if problems:
            raise ValueError("; ".join(problems))


def load_splits(data: str, seed: int = 0):
    """(train, validation, test or None, label names): the kit's tweets, or a CSV with text and label columns
    (split 80 / 20 into train and validation, stratified)."""
    from datasets import ClassLabel, load_dataset

    from .data import load_tweets

    if data == "tweets":
        splits = load_tweets()
        return splits["train"], splits["validation"], splits["test"], splits["train"].features["label"].names
    path = Path(data)
    if not path.is_file():
        raise FileNotFoundError(f"no data file {data!r}: give 'tweets' or the path of a CSV with text and label "
                                f"columns")
    raw = load_dataset("csv", data_files=str(path), split="train")
    missing = {"text", "label"} - set(raw.column_names)
    if missing:
        raise ValueError(f"{path.name} has no column(s) {sorted(missing)}; found {raw.column_names}")
    if not isinstance(raw.features["label"], ClassLabel):
        raw = raw.class_encode_column("label")
    split = raw.train_test_split(test_size=0.2, stratify_by_column="label", seed=seed)
    return split["train"], split["test"], None, raw.features["label"].names


def finetune(config: FinetuneConfig, quiet: bool = False, log: Callable[[str], None] = print) -> dict:
    """Fine-tune a sequence classifier; save the best epoch's model, tokenizer and metrics into config.output."""
    import torch
    from transformers import (AutoModelForSequenceClassification, AutoTokenizer, DataCollatorWithPadding, Trainer,
                              TrainingArguments, set_seed)
    from transformers.trainer_callback import PrinterCallback

    from .catalogue import MODELS, checkpoint

    config.validate()
    started = time.perf_counter()
    set_seed(config.seed)
    source = checkpoint(config.model) if config.model in MODELS else config.model
    train, validation, test, names = load_splits(config.data, config.seed)
    if config.train_size:
        train = train.shuffle(seed=config.seed).select(range(min(config.train_size, len(train))))
    if config.eval_size:
        validation = validation.select(range(min(config.eval_size, len(validation))))
    tokenizer = AutoTokenizer.from_pretrained(source)
    keep = {"input_ids", "attention_mask", "token_type_ids", "label"}

    def tokenize(batch):
        return tokenizer(batch["text"], truncation=True, max_length=config.max_length)

    def prepare(split):
        split = split.map(tokenize, batched=True)
        return split.remove_columns([c for c in split.column_names if c not in keep])

    train, validation = prepare(train), prepare(validation)
    test = prepare(test) if test is not None else None

    model = AutoModelForSequenceClassification.from_pretrained(
        source, num_labels=len(names), id2label=dict(enumerate(names)),
        label2id={name: i for i, name in enumerate(names)})
    if config.freeze_base:
        model.base_model.requires_grad_(False)

    def compute_metrics(prediction):
        return accuracy_and_macro_f1(prediction.predictions.argmax(-1), prediction.label_ids, len(names))

    args = TrainingArguments(
        output_dir=str(Path(config.output) / "checkpoints"), num_train_epochs=config.epochs,
        learning_rate=config.learning_rate, per_device_train_batch_size=config.batch_size,
        per_device_eval_batch_size=128, warmup_steps=0.1, weight_decay=0.01, seed=config.seed,
        eval_strategy="epoch", save_strategy="epoch", save_total_limit=1, load_best_model_at_end=True,
        metric_for_best_model="accuracy", logging_steps=0.1, report_to="none", disable_tqdm=quiet,
        # without a GPU, use_cpu lets accelerate run several CPU processes (torchrun) as one job over gloo
        use_cpu=not torch.cuda.is_available(), dataloader_pin_memory=torch.cuda.is_available())
    trainer = Trainer(model=model, args=args, train_dataset=train, eval_dataset=validation,
                      processing_class=tokenizer, data_collator=DataCollatorWithPadding(tokenizer),
                      compute_metrics=compute_metrics)
    if quiet:
        trainer.remove_callback(PrinterCallback)
        trainer.add_callback(progress_callback(log))
    trainer.train()  # keeps the best epoch by validation accuracy (load_best_model_at_end)
    held_out = test if test is not None else validation
    metrics = trainer.evaluate(held_out, metric_key_prefix="held_out")
    if not trainer.is_world_process_zero():  # one process writes, however many are launched
        return {}
    trainer.model.save_pretrained(config.output)
    tokenizer.save_pretrained(config.output)
    shutil.rmtree(Path(config.output) / "checkpoints", ignore_errors=True)  # optimizer states: not needed now
    result = {"accuracy": metrics["held_out_accuracy"], "macro_f1": metrics["held_out_macro_f1"],
              "held_out": "test split" if test is not None else "validation split",
              "train_examples": len(train), "held_out_examples": len(held_out), "labels": names,
              "seconds": round(time.perf_counter() - started, 1), "processes": args.world_size,
              "config": asdict(config)}
    (Path(config.output) / "metrics.json").write_text(json.dumps(result, indent=1))
    log(f"saved to {config.output}: accuracy {result['accuracy']:.3f}, macro-F1 {result['macro_f1']:.3f} on "
        f"{len(held_out):,} held-out examples ({result['held_out']}; {result['seconds']} s, "
        f"{args.world_size} process(es))")
    return result
