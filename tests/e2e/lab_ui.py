"""What a learner does in JupyterLab, as Playwright steps: open a notebook, run all cells, read the outputs."""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

from playwright.sync_api import TimeoutError as PlaywrightTimeout

# Every code cell's prompt: "[ ]:" not run, "[*]:" running or queued, "[7]:" done.
PROMPTS = "[...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')].map(e => e.textContent.trim())"

TRACEBACK = "Traceback (most recent call last)"
# The code cells (0-based) whose output shows a traceback.
RAISED = f"""[...document.querySelectorAll('.jp-Notebook .jp-CodeCell')].map((c, i) =>
    [...c.querySelectorAll('.jp-OutputArea-output')].some(o => o.textContent.includes('{TRACEBACK}')) ? i : -1)
    .filter(i => i >= 0)"""


def open_notebook(page, lab, name: str, timeout_s: float = 90) -> None:
    """Open JupyterLab on a fresh workspace, double-click the notebook in the file browser (as a learner does),
    and wait until it has one kernel, idle. (Opening /lab/tree/NAME directly can start two kernels in a race.)"""
    page.goto(f"{lab.url}/lab?reset&token={lab.token}")
    item = page.locator(".jp-DirListing-item").filter(
        has=page.locator(".jp-DirListing-itemText", has_text=re.compile(f"^{re.escape(name)}$")))
    item.dblclick(timeout=timeout_s * 1000)
    page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").first.wait_for(timeout=timeout_s * 1000)
    page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(timeout=timeout_s * 1000)
    deadline = time.monotonic() + timeout_s
    while True:
        sessions = [s for s in lab.api("sessions") if s["path"].endswith(name)]
        if len(sessions) == 1 and sessions[0]["kernel"]["execution_state"] == "idle":
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{name}: expected one idle kernel, the server has {sessions}")
        page.wait_for_timeout(500)  # not time.sleep: the page (and its request routing) must keep running


def run_all(page, raising: set[int] = frozenset(), timeout_s: float = 300) -> list[str]:
    """Run > Run All Cells, from the menu; wait until every code cell ran, or until an unexpected traceback stops
    the run. ``raising`` holds the code cells (0-based) tagged ``raises-exception``: they must raise, and only they.
    """
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
    # cells are queued one after the other, so wait for all of them (or for an unexpected error, which stops it)
    done = f"""expected => {{
        const p = {PROMPTS};
        const raised = {RAISED};
        return raised.some(i => !expected.includes(i)) || (p.length > 0 && p.every(t => /^\\[\\d+\\]:$/.test(t)));
    }}"""
    try:
        page.wait_for_function(done, arg=sorted(raising), timeout=timeout_s * 1000, polling=500)
    except PlaywrightTimeout:
        raise AssertionError(f"the notebook did not finish in {timeout_s:.0f} s; prompts: {page.evaluate(PROMPTS)}")
    raised = set(page.evaluate(RAISED))
    unexpected = [page.locator(".jp-Notebook .jp-CodeCell").nth(i).locator(".jp-OutputArea-output").all_inner_texts()
                  for i in sorted(raised - raising)]
    assert not unexpected, f"a cell raised in the browser:\n{''.join(unexpected[0])[-2000:]}"
    assert raised == raising, f"cells tagged raises-exception that did not raise: {sorted(raising - raised)}"
    prompts = page.evaluate(PROMPTS)
    assert all(re.fullmatch(r"\[\d+\]:", p) for p in prompts), f"cells left without an execution count: {prompts}"
    return prompts


def outputs(page) -> list[str]:
    """The text of every output area, in order."""
    return page.locator(".jp-Notebook .jp-OutputArea-output").all_inner_texts()


def cell_with_source(page, text: str):
    """The code cell whose source contains text."""
    return page.locator(".jp-Notebook .jp-CodeCell").filter(has=page.locator(".jp-InputArea-editor", has_text=text))


def broken_images(page) -> list[str]:
    """Output images that did not load (naturalWidth 0), by their alt or src."""
    return page.evaluate("""() => [...document.querySelectorAll('.jp-Notebook .jp-OutputArea-output img')]
        .filter(img => !(img.complete && img.naturalWidth > 0)).map(img => img.alt || img.src.slice(0, 60))""")


def save_notebook(page, lab, name: str, timeout_s: float = 30) -> Path:
    """File > Save Notebook (Ctrl+S), as a learner saves; returns the file once every code cell in it has run."""
    page.locator(".jp-NotebookPanel .jp-Notebook").first.click(position={"x": 5, "y": 5})
    page.keyboard.press("Control+s")
    path = lab.root / "notebooks" / name
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            cells = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
        except ValueError:  # the server is still writing it
            cells = []
        if cells and all(c["execution_count"] for c in cells):
            return path
        if time.monotonic() > deadline:
            raise AssertionError(f"{name}: the saved file does not hold the run's outputs after {timeout_s:.0f} s")
        page.wait_for_timeout(500)
