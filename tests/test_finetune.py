"""`labkit finetune` on CPU with small subsets; the output folder is an ordinary checkpoint."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from transformers import AutoModelForSequenceClassification, pipeline

from labkit.cli import main

ROOT = Path(__file__).resolve().parents[1]
REVIEWS = str(ROOT / "assets/mini_reviews.csv")


def files(folder):
    return {p.name for p in Path(folder).iterdir()}


def test_finetune_on_tweets_saves_a_loadable_classifier(prepared, tmp_path):
    out = tmp_path / "tweets"
    assert main(["finetune", "--output", str(out), "--train-size", "96", "--eval-size", "64", "--epochs", "1",
                 "--max-length", "32", "--quiet"]) == 0
    assert files(out) >= {"config.json", "model.safetensors", "tokenizer.json", "metrics.json"}
    assert "checkpoints" not in files(out) and not any(name.endswith(".bin") for name in files(out))
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["held_out"] == "test split" and metrics["held_out_examples"] == 1000
    assert metrics["train_examples"] == 96 and 0 <= metrics["accuracy"] <= 1
    model = AutoModelForSequenceClassification.from_pretrained(out)
    assert model.config.id2label == {0: "negative", 1: "neutral", 2: "positive"}
    prediction = pipeline("text-classification", model=str(out))("What a lovely flight!")[0]
    assert prediction["label"] in ("negative", "neutral", "positive")


def test_finetune_a_csv_with_a_frozen_base(prepared, tmp_path):
    out = tmp_path / "reviews"
    assert main(["finetune", "--output", str(out), "--data", REVIEWS, "--epochs", "1", "--batch-size", "8",
                 "--freeze", "--quiet"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["labels"] == ["negative", "positive"] and metrics["held_out"] == "validation split"
    assert metrics["config"]["freeze_base"] is True


def test_bad_arguments_are_refused(tmp_path, capsys):
    assert main(["finetune", "--output", str(tmp_path / "x"), "--epochs", "0"]) == 2
    assert "epochs must be > 0" in capsys.readouterr().err
    assert main(["finetune", "--output", str(tmp_path / "x"), "--data", "nope.csv"]) == 2
    assert "no data file 'nope.csv'" in capsys.readouterr().err


@pytest.mark.skipif(sys.platform == "win32", reason="torchrun with gloo on Linux and macOS")
def test_the_same_command_runs_as_two_processes_under_torchrun(prepared, tmp_path):
    out = tmp_path / "ddp"
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "-m", "labkit.cli",
               "finetune", "--output", str(out), "--data", REVIEWS, "--epochs", "1", "--batch-size", "4", "--quiet"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=ROOT,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["processes"] == 2
    assert AutoModelForSequenceClassification.from_pretrained(out).num_labels == 2
