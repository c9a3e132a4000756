"""Static checks on every notebook: nbval executes them, these make sure nothing escapes it."""
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
REPOSITORY = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Repository"]
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


RAISES = "raises-exception"  # the cell tag that JupyterLab's Run All, nbclient, nbconvert and nbval all honour
CHECK = "nbval-check-output"  # nbval --nbval-lax compares only these cells' outputs


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_only_tagged_cells_raise(path):
    """A cell that raises on purpose carries the tag (else Run All stops there), and a tagged cell does raise."""
    for cell in code_cells(path):
        source = "".join(cell["source"])
        tagged = RAISES in cell["metadata"].get("tags", [])
        errors = [o for o in cell["outputs"] if o["output_type"] == "error"]
        problem = "an untagged cell raised" if errors else f"a cell tagged {RAISES!r} did not raise"
        assert bool(errors) == tagged, f"{path.name}: {problem}:\n{source[:200]}"
        assert "NBVAL_" not in source, (
            f"{path.name}: use nbval's cell tags ({CHECK!r}, {RAISES!r}, ...), not its comments on the learner's screen")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_conventions(path):
    notebook = json.loads(path.read_text())
    setup = "".join(code_cells(path)[1]["source"])
    assert "labkit.setup()" in setup, f"{path.name}: the code cell after the Colab one must call labkit.setup()"
    intro = "".join(next(c for c in notebook["cells"] if c["cell_type"] == "markdown")["source"]).lower()
    assert "learn" in intro or "you will" in intro, f"{path.name}: state the learning goals at the top"
    meta = notebook["metadata"].get("labkit", {})
    assert meta.get("title") and meta.get("minutes") and meta.get("topics"), f"{path.name}: labkit metadata"
    checked = [c for c in code_cells(path) if CHECK in c["metadata"].get("tags", [])]
    assert checked, f"{path.name}: tag at least one short deterministic cell {CHECK!r}"
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


# What a notebook reads from the kit home: catalogue roles, and the data sets behind the loaders.
USES = {r'checkpoint\("encoder"': "encoder", r'checkpoint\("causal-lm"': "causal-lm",
        r'checkpoint\("sentiment"': "sentiment", r"load_tweets\(": "tweets", r"load_corpus\(": "kjv"}
COLAB = re.compile(r'if "google\.colab" in sys\.modules:\n    %pip install --quiet "labkit @ git\+(?P<url>\S+)"\n'
                   r"    !labkit prepare(?: --only (?P<only>[a-z -]+))?$")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_the_first_cell_installs_the_kit_on_colab_only(path):
    first = json.loads(path.read_text())["cells"][0]
    source = "".join(first["source"])
    found = COLAB.search(source)
    assert first["cell_type"] == "code" and found, f"{path.name}: the first cell must be the Colab install cell"
    assert not first["outputs"], f"{path.name}: the Colab cell printed something outside Colab"
    assert found["url"] == REPOSITORY, f"{path.name}: install from {REPOSITORY} (pyproject's Repository URL)"
    if found["only"]:  # the assets it prepares cover what the notebook loads
        from labkit.prepare import assets

        needed = {asset for pattern, asset in USES.items() if re.search(pattern, path.read_text())}
        chosen = set(found["only"].split())
        chosen |= {n for a in assets() if a.name in chosen for n in a.needs}
        assert needed <= chosen, f"{path.name}: the Colab cell must also prepare {sorted(needed - chosen)}"


@pytest.mark.parametrize("colab", [True, False], ids=["on-colab", "elsewhere"])
def test_the_colab_cell_runs_pip_and_prepare_only_on_colab(colab, monkeypatch):
    """The first cell as IPython runs it, with Colab's module present or not, and the shell calls recorded."""
    import types

    from IPython.core.inputtransformer2 import TransformerManager

    source = "".join(json.loads(NOTEBOOKS[1].read_text())["cells"][0]["source"])
    calls = []
    shell = types.SimpleNamespace(run_line_magic=lambda magic, line: calls.append((magic, line)),
                                  system=lambda command: calls.append(("!", command)))
    if colab:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    exec(TransformerManager().transform_cell(source), {"get_ipython": lambda: shell})
    expected = [("pip", f'install --quiet "labkit @ git+{REPOSITORY}"'),
                ("!", "labkit prepare --only encoder causal-lm sentiment")]
    assert calls == (expected if colab else [])
