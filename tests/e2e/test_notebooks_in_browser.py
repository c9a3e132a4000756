"""The notebooks as a learner meets them: JupyterLab in Chromium with no internet, Run All Cells, widgets moved with
the mouse. Every notebook in notebooks/ runs to its last cell; some get more checks (EXTRA, below).

Screenshots of each step land in tests/e2e/screenshots/ and are kept (CI keeps them as artifacts). Each notebook is
saved after its Run All into build/run-all/, where `make test-e2e` has nbval compare its outputs with the committed
ones (tests/support/saved_outputs.py): the one execution of each notebook in CI serves both proofs.
"""
import json
import re
import shutil
import time
from pathlib import Path

import pytest

from conftest import REPO, TIMES
from lab_ui import broken_images, cell_with_source, open_notebook, outputs, run_all, save_notebook
from playwright.sync_api import expect

NOTEBOOKS = REPO / "notebooks"
SAVED = REPO / "build" / "run-all"  # each notebook as saved after its Run All, for nbval's comparison


def tagged_raising(path: Path) -> set[int]:
    """The code cells (0-based, as JupyterLab lists them) tagged raises-exception."""
    cells = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    return {i for i, c in enumerate(cells) if "raises-exception" in c["metadata"].get("tags", [])}


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.stem)
def test_run_all_reaches_the_last_cell(path, page, lab, screenshot):
    open_notebook(page, lab, path.name)
    started = time.monotonic()
    run_all(page, raising=tagged_raising(path), timeout_s=600)
    TIMES[path.name] = time.monotonic() - started
    SAVED.mkdir(parents=True, exist_ok=True)
    shutil.copy(save_notebook(page, lab, path.name), SAVED / path.name)
    screenshot(page, "done")
    assert broken_images(page) == []
    EXTRA.get(path.stem[:2], lambda *args: None)(page, screenshot)
    assert page.blocked == [], f"the page tried to leave localhost: {page.blocked[:5]}"


def doctor_reports_no_failure(page, screenshot):
    doctor = cell_with_source(page, "labkit.doctor()")
    doctor.scroll_into_view_if_needed()
    screenshot(page, "doctor")
    report = doctor.locator(".jp-OutputArea-output").inner_text()
    lines = [line for line in report.splitlines() if line.startswith("[")]
    assert any(line.startswith("[OK]   transformers") for line in lines), report
    assert any(line.startswith("[OK]   offline") for line in lines), report
    assert not [line for line in lines if line.startswith("[FAIL]")], report
    assert "doctor: no failures, ready for the course" in [text.strip() for text in outputs(page)]


def temperature_slider_redraws_chart_and_text(page, screenshot):
    cell = cell_with_source(page, "explorer.widget()")
    # the readout is right under the chart (the generate call the settings stand for comes next)
    chart, readout = cell.locator("img.widget-image"), cell.locator(".widget-image + .widget-html")
    generated = cell.locator(".widget-html").last
    slider = cell.locator(".widget-slider").filter(has_text="temperature")
    cell.scroll_into_view_if_needed()
    # the state the notebook's last cell leaves: the default prompt and settings (T = 1, no cut), nothing generated
    expect(readout).to_have_text(re.compile(r"^49,152 of 49,152 tokens kept"))
    expect(generated).to_contain_text("Press Generate.")
    expect(chart).to_have_attribute("src", re.compile("."))
    screenshot(page, "explorer")

    before = dict(src=chart.get_attribute("src"), png=chart.screenshot(), text=readout.inner_text(),
                  value=slider.locator(".widget-readout").inner_text())
    handle = slider.locator(".noUi-handle").bounding_box()
    x, y = handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - 50, y, steps=10)  # drag left: a lower temperature
    page.mouse.up()
    expect(readout).not_to_have_text(before["text"], timeout=30_000)
    expect(chart).not_to_have_attribute("src", before["src"], timeout=30_000)
    screenshot(page, "temperature-lowered")
    temperature = float(slider.locator(".widget-readout").inner_text())
    assert temperature < float(before["value"]) == 1.0
    assert chart.screenshot() != before["png"]  # the pixels changed, not only the URL
    assert re.fullmatch(r"[\d,]+ of 49,152 tokens kept · most likely next token: .+ at [\d.]+%", readout.inner_text())

    cell.get_by_role("button", name="Generate").click()
    expect(generated).to_contain_text("The three primary colours are", timeout=120_000)
    screenshot(page, "generated")
    text = generated.inner_text()
    assert text.startswith("The three primary colours are") and len(text) > 40, text
    assert re.search(r"\d+\.\d s, seed 0$", text), text


def attention_figures_and_bertviz_render(page, screenshot):
    # every figure the stored notebook has, and the attention explorer's head (drawn through an Output widget)
    stored = sum("image/png" in output.get("data", {}) for cell in json.loads(NOTEBOOKS.joinpath(
        "06_attention.ipynb").read_text())["cells"] for output in cell.get("outputs", []))
    assert stored >= 6
    expect(page.locator(".jp-Notebook .jp-OutputArea-output img")).to_have_count(stored + 1)
    assert broken_images(page) == []
    for source in ("attention_grid(", "attention_average(", "AttentionExplorer(", "representation_drift("):
        cell_with_source(page, source).scroll_into_view_if_needed()
        screenshot(page, source.rstrip("(").lower())
    explorer = cell_with_source(page, "AttentionExplorer(")
    figure = explorer.locator(".widget-output img")
    before, shown = figure.screenshot(), figure.element_handle()  # the image on screen before the click
    handle = explorer.locator(".widget-slider").filter(has_text="layer").locator(".noUi-handle").bounding_box()
    page.mouse.click(handle["x"] + handle["width"] / 2 + 60, handle["y"] + handle["height"] / 2)  # a later layer
    expect(explorer.locator(".widget-slider").filter(has_text="layer").locator(".widget-readout")).not_to_have_text(
        "0", timeout=30_000)
    # the redraw replaces that image (taken before the click: the kernel may redraw before this line runs)
    page.wait_for_function("img => img.isConnected === false", arg=shown, timeout=30_000)
    screenshot(page, "explorer-layer-changed")
    assert broken_images(page) == []
    assert explorer.locator(".widget-output img").screenshot() != before
    # bertviz, drawn from the kit's copies of its scripts (the page cannot reach a CDN)
    head = cell_with_source(page, "head_view(").locator("[id^='bertviz-'] svg")
    expect(head.locator("line").first).to_be_attached(timeout=30_000)
    head.scroll_into_view_if_needed()
    screenshot(page, "bertviz-head-view")
    assert head.locator("line").count() > 0 and head.locator("text").count() > 0
    model = cell_with_source(page, "model_view(").locator("[id^='bertviz-'] svg")
    expect(model.first).to_be_attached(timeout=30_000)
    assert model.locator("line").count() > 0


def transformers_js_page_runs_in_its_iframe(page, screenshot):
    # the page the notebook shows, served by labkit's server extension, runs the exports in this browser
    cell = cell_with_source(page, "IFrame(labkit.server.page_url(")
    cell.scroll_into_view_if_needed()
    frame = cell.frame_locator("iframe")
    expect(frame.locator("#status")).to_contain_text("models loaded", timeout=120_000)
    screenshot(page, "transformers-js-iframe")
    rows = frame.locator("#results tr")
    expect(rows).to_have_count(4)  # a header and the notebook's three sentences
    python = cell_with_source(page, "encoder_session = ort.InferenceSession(").locator(".jp-OutputArea-output")
    printed = [line.split()[0] for line in python.inner_text().strip().splitlines()]  # Python's label per sentence
    shown = [rows.nth(i).locator("td").nth(1).inner_text().split()[0] for i in range(1, 4)]
    assert shown == printed


# More checks after Run All, by notebook number.
EXTRA = {"00": doctor_reports_no_failure, "05": temperature_slider_redraws_chart_and_text,
         "06": attention_figures_and_bertviz_render, "09": transformers_js_page_runs_in_its_iframe}


def write_notebook(lab, name: str, tags: list[str]) -> None:
    cells = [{"cell_type": "code", "metadata": {"tags": tags if "raise" in source else []}, "outputs": [],
              "execution_count": None, "source": source}
             for source in ("x = 1", "raise ValueError('broken on purpose')", "y = 2")]
    notebook = {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                            "language": "python"}},
                "nbformat": 4, "nbformat_minor": 5}
    (lab.root / "notebooks" / name).write_text(json.dumps(notebook))


def test_run_all_reports_a_cell_that_raises(page, lab, screenshot):
    """The harness itself: an untagged error fails the run with the traceback, not a timeout."""
    write_notebook(lab, "broken.ipynb", tags=[])
    open_notebook(page, lab, "broken.ipynb")
    with pytest.raises(AssertionError, match="broken on purpose"):
        run_all(page, timeout_s=60)
    screenshot(page, "traceback")


def test_a_tagged_cell_raises_and_run_all_goes_on(page, lab, screenshot):
    """JupyterLab honours the raises-exception tag: the cells after it run too, and the harness accepts it."""
    write_notebook(lab, "tagged.ipynb", tags=["raises-exception"])
    open_notebook(page, lab, "tagged.ipynb")
    assert run_all(page, raising={1}, timeout_s=60) == ["[1]:", "[2]:", "[3]:"]
    screenshot(page, "tagged")
    write_notebook(lab, "untagged.ipynb", tags=[])  # the same cells untagged: the run stops at the error
    open_notebook(page, lab, "untagged.ipynb")
    with pytest.raises(AssertionError, match="broken on purpose"):
        run_all(page, raising=set(), timeout_s=60)
