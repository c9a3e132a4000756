"""Building the kit home behind JupyterLab: progress others can read, cells that wait, nothing half-written.

The integration test is what `make lab` does on a fresh machine: the sentiment classifier trains in a real
background `labkit prepare` (on 3,000 tweets: tests/conftest.py's BACKGROUND_TWEETS) while notebooks 00 and 01 run
under nbval: 00 needs only what is ready, 01 opens with the classifier and waits for it. Where this test runs, that
nbval run is 00's and 01's comparison (conftest.py leaves out their own runs).
"""
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

import labkit
from labkit import background, environment
from labkit.assets import ASSETS, MissingAssetError
from labkit.prepare import prepare, start_background
from labkit.settings import settings

REPO = Path(__file__).resolve().parents[1]
# make test's nbval options (Makefile's NBVAL)
NBVAL = re.search(r"^NBVAL := (.+)$", (REPO / "Makefile").read_text(), re.M).group(1).split()


def test_progress_is_written_whole_and_removed_when_the_run_ends(empty_home):
    empty_home.mkdir(parents=True)
    lines = []
    with pytest.raises(RuntimeError):
        with background.ProgressLog(empty_home, lines.append, total=3) as progress:
            assert background.describe(background.building(empty_home)) == "checking which assets need building"
            progress.start(2, "sentiment")
            progress.steps(30, 120)
            progress("step 30/120")
            state = background.building(empty_home)
            assert state["asset"] == "sentiment" and state["done"] == 0.25 and state["line"] == "step 30/120"
            assert "building sentiment (asset 2 of 3): 25% done" in background.describe(state)
            raise RuntimeError("the build failed")
    assert lines == ["step 30/120"] and (empty_home / background.LOG).read_text() == "step 30/120\n"
    assert sorted(p.name for p in empty_home.iterdir()) == [background.LOG]  # no progress file, no temporary file


def test_a_progress_file_left_by_a_killed_run_is_not_a_build(empty_home):
    empty_home.mkdir(parents=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (empty_home / background.PROGRESS).write_text(json.dumps(
        {"pid": dead.pid, "host": os.uname().nodename, "asset": "sentiment", "step": 1, "total": 1, "done": 0.5}))
    assert background.building(empty_home) is None
    assert background.wait_for(empty_home / "models/x", "model 'x'") is False  # returns at once


def test_with_nothing_building_a_missing_model_says_what_to_run(empty_home):
    with pytest.raises(MissingAssetError, match="labkit prepare"):
        labkit.checkpoint("sentiment")
    assert not [c for c in environment.check_assets() if "building" in c.detail]


def test_a_ready_kit_home_starts_nothing_and_writes_nothing(prepared):
    home = labkit.kit_home()
    before = sorted(p.name for p in home.iterdir())
    lines = []
    assert start_background(home, log=lines.append) is None
    assert sorted(p.name for p in home.iterdir()) == before and not lines
    assert background.summary() == f"All {len(ASSETS)} offline assets are ready."


def test_first_assets_are_what_notebook_00_loads_and_build_in_seconds():
    first = {a.name for a in ASSETS if a.first}
    assert first == {"tweets", "encoder", "causal-lm"}  # the sentiment classifier trains; it never blocks the lab
    assert not any(a.build == "sentiment_classifier" for a in ASSETS if a.first)


@pytest.mark.browser_twin  # tests/e2e/test_first_run.py: the same first minutes, Run All in JupyterLab
def test_notebooks_run_while_the_classifier_trains_in_the_background(home_training_sentiment, capsys):
    home = home_training_sentiment
    deadline = time.monotonic() + 60
    while not ((state := background.building(home)) and state["asset"] == "sentiment" and state["done"] > 0):
        assert time.monotonic() < deadline, (home / background.LOG).read_text()
        time.sleep(0.5)
    lines = []
    assert start_background(home, log=lines.append) == state["pid"]  # `make lab` again: no second build
    assert "already building sentiment" in lines[0]
    doctor = {c.name: c for c in environment.check_assets()}["offline sentiment"]
    assert doctor.status == "WARN" and "is building sentiment" in doctor.detail  # a wait, not a failure

    # nbval executes 00 and 01 in kernels of their own, as JupyterLab would, while the classifier trains
    notebooks = ["notebooks/00_setup_check.ipynb", "notebooks/01_pipelines.ipynb"]
    nbval = subprocess.Popen([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *NBVAL, *notebooks],
                             cwd=REPO, env={**os.environ, "LABKIT_HOME": str(home)}, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
    folder = labkit.checkpoint("sentiment")  # this process waits for the same build, with a progress bar
    assert "Waiting for the offline model 'sentiment'" in capsys.readouterr().out
    assert (Path(folder) / "MANIFEST.json").is_file()
    output, _ = nbval.communicate(timeout=600)
    assert nbval.returncode == 0, output[-3000:]
    assert background.building(home) is None and not (home / background.PROGRESS).exists()
    assert prepare(quiet=True, log=lambda line: None)["sentiment"] == "ready"
    metrics = json.loads((Path(folder) / "metrics.json").read_text())
    assert metrics["train_examples"] == settings().sentiment_tweets and metrics["accuracy"] >= 0.70  # 0.729
