"""The course as an nbgrader source course: each exercise's answer cell an autograded answer, its check a locked test.

For every ``labkit.check("<id>", answer)`` cell of a notebook, the source notebook gets two cells with nbgrader's
metadata (schema version 3):

- the answer: the exercise's reference solution between ``### BEGIN SOLUTION`` / ``### END SOLUTION`` (for a
  function, only its body, so the learner's version keeps the signature); ``nbgrader generate_assignment`` replaces
  it with nbgrader's stub in the learners' version;
- the test, locked, with points: ``assert`` on the check run afresh from the package (``graded``), so that a check
  rebound in an answer cell does not pass it, and a wrong answer fails the cell instead of printing a cross.

Each notebook is an assignment named after it (``02_tokenizers``). The learners' version needs nothing from nbgrader
to run: only labkit, like the course itself.
"""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path

CHECK = re.compile(r'^passed = labkit\.check\("(?P<id>[\w.]+)", (?P<answer>\w+)\)\s*$', re.M)
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
POINTS = 1


def test_cell_source(name: str, answer: str) -> str:
    """The locked test: the check loaded afresh from labkit's files, asserted (nbgrader gives full marks to a test
    cell that does not raise)."""
    return (f"# autograded: {name} ({POINTS} point)\n"
            "import importlib\n\n"
            f'assert importlib.reload(importlib.import_module("labkit.exercises")).graded("{name}", {answer})')


def answer_cell_source(solution: str, answer: str) -> str:
    """The reference solution with nbgrader's markers; a function's ``def`` line stays outside them."""
    tree = ast.parse(solution)
    last = tree.body[-1]
    lines = solution.splitlines()
    if isinstance(last, ast.FunctionDef) and last.name == answer:
        head = lines[:last.body[0].lineno - 1]  # imports and the signature
        body = lines[last.body[0].lineno - 1:]
        indent = " " * last.body[0].col_offset
        return "\n".join(head + [indent + BEGIN] + body + [indent + END])
    return "\n".join([f"# {answer} = ...", BEGIN] + lines + [END])


def _metadata(grade_id: str, *, grade: bool, solution: bool, locked: bool, points: int | None = None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3, "solution": solution}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def _cell(source: str, metadata: dict) -> dict:
    return {"cell_type": "code", "execution_count": None, "metadata": metadata, "outputs": [], "source": source}


def source_notebook(notebook: dict) -> tuple[dict, list[str]]:
    """A course notebook as nbgrader's source version, and the ids of the exercises it grades."""
    from ..exercises import load_all

    exercises, cells, graded = load_all(), [], []
    for cell in notebook["cells"]:
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        match = CHECK.search(source) if cell["cell_type"] == "code" else None
        if not match:
            cells.append({k: v for k, v in cell.items() if k != "id"} | {"source": source})
            continue
        name, answer = match["id"], match["answer"]
        ex = exercises[name]
        slug = name.replace(".", "-")
        cells.append(_cell(answer_cell_source(ex.solution, answer),
                           _metadata(f"{slug}-answer", grade=False, solution=True, locked=False)))
        cells.append(_cell(test_cell_source(name, answer),
                           _metadata(slug, grade=True, solution=False, locked=True, points=POINTS)))
        graded.append(name)
    clean = {"cells": cells, "metadata": notebook["metadata"], "nbformat": 4, "nbformat_minor": 4}
    for cell in clean["cells"]:
        if cell["cell_type"] == "code":
            cell.update(outputs=[], execution_count=None)
    return clean, graded


NBGRADER_CONFIG = '''\
# Written by `labkit grade` / labkit.grading.course: an nbgrader course made from the Transformers Lab Kit.
c = get_config()  # noqa: F821
c.CourseDirectory.root = {root!r}
c.CourseDirectory.course_id = "transformers-lab-kit"
c.Exchange.root = {exchange!r}
# a test cell deleted from a submission is put back from the source, and grades 0, instead of silently missing
c.OverwriteCells.add_missing_cells = True
'''


def build(notebooks: list[Path], root: Path, exchange: Path | None = None) -> dict[str, list[str]]:
    """Write ``root/source/<notebook>/<notebook>.ipynb`` for each notebook and ``root/nbgrader_config.py``;
    return {assignment: graded exercise ids}."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "nbgrader_config.py").write_text(NBGRADER_CONFIG.format(
        root=str(root.resolve()), exchange=str((exchange or root / "exchange").resolve())))
    assignments = {}
    for path in notebooks:
        notebook, graded = source_notebook(json.loads(path.read_text()))
        if not graded:
            continue
        folder = root / "source" / path.stem
        folder.mkdir(parents=True, exist_ok=True)
        (folder / path.name).write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")
        assignments[path.stem] = graded
    return assignments


def course_notebooks() -> list[Path]:
    """The kit's own notebooks (a source checkout: ``<repo>/notebooks``)."""
    folder = Path(__file__).resolve().parents[2] / "notebooks"
    found = sorted(folder.glob("[0-9][0-9]_*.ipynb"))
    if not found:
        raise FileNotFoundError(f"no course notebooks in {folder}: pass --notebooks FOLDER")
    return found


