"""Static checks on every notebook: nbval executes them, these make sure nothing escapes it."""
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
OUTDATED = re.compile(r"evaluation_strategy|torch_dtype\s*=|transformers-cli|load_metric\(|evaluate\.load\(")


def code_cells(path):
    cells = json.loads(path.read_text())["cells"]
    return [c for c in cells if c["cell_type"] == "code" and "".join(c["source"]).strip()]


def test_there_are_notebooks_and_they_are_numbered():
    assert NOTEBOOKS, "no notebooks found"
    for path in NOTEBOOKS:
        assert re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", path.name), f"{path.name}: name it NN_topic.ipynb"
    numbers = [p.name[:2] for p in NOTEBOOKS]
    assert len(numbers) == len(set(numbers)), "two notebooks share a number"


def test_every_notebook_is_collected_by_nbval():
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "--nbval-lax",
                           "-p", "no:cacheprovider", "notebooks"], cwd=ROOT, capture_output=True, text=True)
    collected = {line.split("::")[0] for line in done.stdout.splitlines() if "::" in line}
    assert collected == {f"notebooks/{p.name}" for p in NOTEBOOKS}, done.stdout[-2000:]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_saved_from_one_clean_run_in_order(path):
    counts = [c["execution_count"] for c in code_cells(path)]
    assert None not in counts, f"{path.name}: cells never executed; run the notebook top to bottom and save"
    assert counts == list(range(1, len(counts) + 1)), f"{path.name}: cells out of execution order: {counts}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_stored_errors_except_expected_ones(path):
    for cell in code_cells(path):
        source = "".join(cell["source"])
        errors = [o for o in cell["outputs"] if o["output_type"] == "error"]
        assert not errors or "NBVAL_RAISES_EXCEPTION" in source, f"{path.name}: error stored in:\n{source[:200]}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_conventions(path):
    notebook = json.loads(path.read_text())
    first = "".join(code_cells(path)[0]["source"])
    assert "labkit.setup()" in first, f"{path.name}: the first code cell must call labkit.setup()"
    assert "learn" in "".join(notebook["cells"][0]["source"]).lower() or "you will" in "".join(
        notebook["cells"][0]["source"]).lower(), f"{path.name}: state the learning goals at the top"
    meta = notebook["metadata"].get("labkit", {})
    assert meta.get("title") and meta.get("minutes") and meta.get("topics"), f"{path.name}: labkit metadata"
    checked = [c for c in code_cells(path) if "NBVAL_CHECK_OUTPUT" in "".join(c["source"])]
    assert checked, f"{path.name}: mark at least one short deterministic cell with # NBVAL_CHECK_OUTPUT"
    for cell in checked:
        text = "".join("".join(o.get("text", "")) for o in cell["outputs"])
        assert len(text) < 2000, f"{path.name}: a checked output should be short"
    for cell in code_cells(path):
        for line in "".join(cell["source"]).splitlines():
            if not line.lstrip().startswith("#"):
                assert not OUTDATED.search(line), f"{path.name}: outdated API: {line}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_listed_in_the_readme(path):
    assert f"notebooks/{path.name}" in (ROOT / "README.md").read_text(), f"add {path.name} to the README table"
