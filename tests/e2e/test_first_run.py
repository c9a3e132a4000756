"""A learner's first minutes after `make lab`: JupyterLab is open while the sentiment classifier still trains in a
background `labkit prepare`. Run All on notebook 00 needs only what is ready; on 01, which opens with the
classifier, it waits for it, saying what it waits for, and reaches the end. The same minutes under nbval, for a
`make test` without a browser: tests/test_background.py (.ci/run runs this one instead)."""
import json
from pathlib import Path

from conftest import running_lab
from lab_ui import open_notebook, run_all
from test_notebooks_in_browser import NOTEBOOKS, tagged_raising

import labkit
from labkit import background, environment
from labkit.prepare import prepare, start_background
from labkit.settings import settings


def test_run_all_while_the_classifier_trains_behind_jupyterlab(browser, home_training_sentiment, tmp_path,
                                                               screenshot):
    home = home_training_sentiment
    with running_lab(tmp_path / "course", LABKIT_HOME=str(home)) as lab:
        context = browser.new_context(viewport={"width": 1500, "height": 1000}, service_workers="block")
        page = context.new_page()
        open_notebook(page, lab, "00_setup_check.ipynb")
        run_all(page, raising=tagged_raising(NOTEBOOKS / "00_setup_check.ipynb"), timeout_s=300)
        screenshot(page, "00-done")
        state = background.building(home)
        assert state, "the classifier was ready before 00 ended: nothing was tested"
        assert "is building sentiment" in page.locator(".jp-Notebook").inner_text()  # 00's live status line
        lines = []
        assert start_background(home, log=lines.append) == state["pid"]  # `make lab` again: no second build
        assert "already building sentiment" in lines[0]
        doctor = {c.name: c for c in environment.check_assets()}["offline sentiment"]
        assert doctor.status == "WARN" and "is building sentiment" in doctor.detail  # a wait, not a failure
        for session in lab.api("sessions"):
            lab.api(f"sessions/{session['id']}", method="DELETE")

        open_notebook(page, lab, "01_pipelines.ipynb")
        run_all(page, raising=tagged_raising(NOTEBOOKS / "01_pipelines.ipynb"), timeout_s=600)
        screenshot(page, "01-done")
        assert "Waiting for the offline model 'sentiment'" in page.locator(".jp-Notebook").inner_text()
        assert background.building(home) is None and not (home / background.PROGRESS).exists()
        context.close()
    assert prepare(quiet=True, log=lambda line: None)["sentiment"] == "ready"
    metrics = json.loads((Path(labkit.checkpoint("sentiment")) / "metrics.json").read_text())
    # the background test's build (tests/conftest.py's BACKGROUND_TWEETS; the full recipe's accuracy is
    # test_offline_models')
    assert metrics["train_examples"] == settings().sentiment_tweets and metrics["accuracy"] >= 0.70
