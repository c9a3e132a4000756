"""Notebook 12 writes lm-eval's multiple-choice loop by hand (`choice_logprobs`, acc, acc_norm); this runs that code,
taken from the notebook, and lm-eval itself on the notebook's own task file, and compares them.

lm-eval is not in the kit's lock (rouge-score, sqlitedict and word2number, which it requires, have no wheels), so the
test installs the pinned release into build/lm-eval once (pip, from the package index) and runs it in a subprocess
with that folder on its path.
"""
import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import labkit

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "12_evaluation.ipynb"
LM_EVAL = "lm_eval==0.4.13"
TARGET = ROOT / "build" / "lm-eval"
pytestmark = pytest.mark.network

RUN_LM_EVAL = """
import json, sys
import lm_eval
from lm_eval.tasks import TaskManager
checkpoint, folder = sys.argv[1:]
out = lm_eval.simple_evaluate(model="hf", model_args=f"pretrained={checkpoint},dtype=float32", device="cpu",
                              tasks=["tweet_sentiment"], task_manager=TaskManager(include_path=folder),
                              batch_size=4, log_samples=True, verbosity="ERROR")
samples = sorted(out["samples"]["tweet_sentiment"], key=lambda s: s["doc_id"])
scores = out["results"]["tweet_sentiment"]
print(json.dumps({"acc": scores["acc,none"], "acc_norm": scores["acc_norm,none"],
                  "loglikelihoods": [[ll for ll, _ in s["filtered_resps"]] for s in samples]}))
"""


def notebook_cell(defines: str) -> str:
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    return next("".join(c["source"]) for c in cells if c["cell_type"] == "code" and defines in "".join(c["source"]))


def notebook_definitions(defines: str) -> dict:
    """The imports, constants and functions of the notebook cell that holds `defines`, run (not its other lines)."""
    tree = ast.parse(notebook_cell(defines))
    kept = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef))
            or isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) and t.id.isupper() for t in node.targets)]
    namespace = {"np": np, "torch": torch}
    exec(compile(ast.Module(kept, type_ignores=[]), str(NOTEBOOK), "exec"), namespace)
    return namespace


def installed_lm_eval() -> Path:
    if not (TARGET / "lm_eval").is_dir():
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        "--target", str(TARGET), LM_EVAL], check=True)
    return TARGET


def test_the_notebooks_loop_gives_lm_evals_loglikelihoods_and_scores(prepared, tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    # the notebook's task file, written by the notebook's own cell into this test's learner folder
    namespace = {"labkit": labkit, "tweets": labkit.data.load_tweets()}
    exec(notebook_cell("TASK = f"), namespace)
    folder, rows = namespace["task_folder"], namespace["harness_tweets"]
    env = {**os.environ, "PYTHONPATH": str(installed_lm_eval()), "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
           "TQDM_DISABLE": "1"}
    done = subprocess.run([sys.executable, "-c", RUN_LM_EVAL, str(labkit.checkpoint("causal-lm")), str(folder)],
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    theirs = json.loads(done.stdout.strip().splitlines()[-1])

    code = notebook_definitions("def choice_logprobs(")
    tokenizer = AutoTokenizer.from_pretrained(labkit.checkpoint("causal-lm"))
    model = AutoModelForCausalLM.from_pretrained(labkit.checkpoint("causal-lm")).eval()
    ours = np.array([code["choice_logprobs"](model, tokenizer, f"Tweet: {row['text']}\nSentiment:", code["CHOICES"])
                     for row in rows])
    gold = np.array(rows["label"])
    np.testing.assert_allclose(ours, theirs["loglikelihoods"], atol=1e-3)
    assert np.mean(ours.argmax(1) == gold) == pytest.approx(theirs["acc"])
    lengths = np.array([len(c) for c in code["CHOICES"]])
    assert np.mean((ours / lengths).argmax(1) == gold) == pytest.approx(theirs["acc_norm"])
