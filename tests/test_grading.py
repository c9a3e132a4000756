"""`labkit grade` on nbgrader, for real: synthetic submissions of every kind (CHEATS) for two notebooks, autograded by
nbgrader's own autograde in the sandbox; hostile ones change nothing outside their folder.

Runs in the classroom environment (`make test-classroom`: nbgrader installed from requirements-classroom.lock), as
root or not; the kernels run the course's own Python ($LABKIT_KERNEL_PYTHON).
"""
import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("nbgrader", reason="the classroom extra (make test-classroom) installs nbgrader")

from labkit.exercises import load_all  # noqa: E402
from labkit.grading import course  # noqa: E402
from labkit.grading.grade import grade  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ("02_tokenizers", "05_decoding_explorer")
KERNEL_PYTHON = os.environ.get("LABKIT_KERNEL_PYTHON", str(ROOT / ".venv" / "bin" / "python"))
pytestmark = [pytest.mark.classroom]


def released(tmp: Path) -> dict[str, dict]:
    """The learners' version of each notebook, made by nbgrader's generate_assignment from the kit's source course."""
    root = tmp / "instructor"
    course.build([ROOT / "notebooks" / f"{n}.ipynb" for n in NOTEBOOKS], root)
    for name in NOTEBOOKS:
        subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", name, "--force"], cwd=root,
                       check=True, capture_output=True, env=dict(os.environ, PATH=f"{Path(sys.executable).parent}:"
                                                                               f"{os.environ['PATH']}"))
    return {n: json.loads((root / "release" / n / f"{n}.ipynb").read_text()) for n in NOTEBOOKS}


def answer_cells(nb):
    return [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("solution")]


def fill(nb, answer):
    """A copy of a released notebook with each answer cell's source replaced by answer(exercise)."""
    nb = json.loads(json.dumps(nb))
    exercises = load_all()
    for cell in answer_cells(nb):
        name = cell["metadata"]["nbgrader"]["grade_id"].removesuffix("-answer").replace("-", ".", 1)
        cell["source"] = answer(exercises[name])
    return nb


def correct(ex):
    return ex.solution


def wrong(ex):
    name = ex.answer_name
    is_function = any(line.startswith(f"def {name}(") for line in ex.solution.splitlines())
    return f"def {name}(*args):\n    return 0" if is_function else f"{name} = 0"


def raising(ex):
    return f"raise RuntimeError('my answer broke')\n{ex.answer_name} = None"


HOSTILE = r'''
import json, os, sqlite3, socket, signal, pathlib
report = {}
course = pathlib.Path(os.environ.get("LABKIT_COURSE_GUESS", "/nonexistent"))
for target in [course / "source" / "02_tokenizers" / "02_tokenizers.ipynb", course / "gradebook.db"]:
    try:
        target.read_bytes(); report[str(target)] = "read"
    except OSError as e:
        report[str(target)] = type(e).__name__
try:
    (course / "source" / "helper.py").write_text("GRADE = 100")
    report["write source"] = "written"
except OSError as e:
    report["write source"] = type(e).__name__
try:
    con = sqlite3.connect(course / "gradebook.db"); con.execute("create table pwned (x)"); con.commit()
    report["gradebook"] = "table added"
except Exception as e:
    report["gradebook"] = type(e).__name__
try:
    socket.create_connection(("127.0.0.1", 22), timeout=2); report["network"] = "connected"
except OSError as e:
    report["network"] = type(e).__name__
try:
    hog = bytearray(8 * 1024 ** 3); report["memory"] = "8 GB taken"
except MemoryError:
    report["memory"] = "MemoryError"
killed, mine = 0, {int(t) for t in os.listdir("/proc/self/task")}
for pid in set(range(1, 4096)) - mine:
    try:
        os.kill(pid, signal.SIGKILL); killed += 1
    except OSError:
        pass
report["killed"] = killed
print("HOSTILE REPORT", json.dumps(report))
'''


# What each synthetic learner hands in. Every exercise's check meets its correct and a wrong answer in both notebooks;
# the grader's own defences (a raising cell, a loop, a deleted answer, stripped metadata, edited tests, a rebound
# labkit.check) do not depend on the notebook, so each is tried once, on one of them: fewer autograded notebooks.
CHEATS = {"raising": "02_tokenizers", "looping": "02_tokenizers", "metadata-stripped": "02_tokenizers",
          "rebinding": "02_tokenizers", "answer-deleted": "05_decoding_explorer", "test-edited": "05_decoding_explorer"}


def cheat(kind, nb):
    """A released notebook filled in by a learner who tries `kind`."""
    if kind == "raising":
        return fill(nb, raising)
    if kind == "looping":
        looping = fill(nb, correct)
        answer_cells(looping)[0]["source"] = "while True:\n    pass"
        return looping
    if kind == "metadata-stripped":
        stripped = fill(nb, correct)
        for cell in stripped["cells"]:
            cell["metadata"].pop("nbgrader", None)
        return stripped
    if kind == "rebinding":
        rebinding = fill(nb, wrong)
        answer_cells(rebinding)[0]["source"] += "\nimport labkit\nlabkit.check = lambda *a: True"
        return rebinding
    if kind == "answer-deleted":
        deleted = fill(nb, correct)
        deleted["cells"].remove(answer_cells(deleted)[0])
        return deleted
    edited = fill(nb, wrong)  # test-edited
    for cell in edited["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade"):
            cell["source"] = "assert True"
    return edited


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("grading")
    release = released(tmp)
    subs = tmp / "submissions"

    def hand_in(kind, name, nb):
        (subs / kind).mkdir(parents=True, exist_ok=True)
        (subs / kind / f"{name}.ipynb").write_text(nb if isinstance(nb, str) else json.dumps(nb))

    for name, nb in release.items():
        hand_in("correct", name, fill(nb, correct))
        hand_in("wrong", name, fill(nb, wrong))
        hand_in("invalid-json", name, '{"cells": [')
    for kind, name in CHEATS.items():
        hand_in(kind, name, cheat(kind, release[name]))
    hostile = fill(release["02_tokenizers"], correct)
    answer_cells(hostile)[0]["source"] = HOSTILE + "\n" + answer_cells(hostile)[0]["source"]
    hand_in("hostile", "02_tokenizers", hostile)

    out = tmp / "out"
    course_root = out / "nbgrader" / "course"
    os.environ["LABKIT_COURSE_GUESS"] = str(course_root)  # the hostile notebook knows where the course lies
    rows = grade([subs], out, notebooks=[ROOT / "notebooks" / f"{n}.ipynb" for n in NOTEBOOKS], timeout=30,
                 sandbox=True, user="labkit-grader" if os.geteuid() == 0 else "nobody", kernel_python=KERNEL_PYTHON)
    by = {}
    for row in rows:
        by.setdefault((row.learner, row.notebook), []).append(row)
    return {"rows": rows, "by": by, "out": out, "course": course_root}


def points(graded, learner, notebook):
    return [r.points for r in graded["by"][(learner, notebook)]]


def statuses(graded, learner, notebook):
    return {r.status for r in graded["by"][(learner, notebook)]}


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_correct_answers_get_full_marks_and_wrong_ones_none(graded, notebook):
    assert points(graded, "correct", notebook) == [1.0, 1.0, 1.0]
    assert statuses(graded, "correct", notebook) == {"graded"}
    assert points(graded, "wrong", notebook) == [0.0, 0.0, 0.0]
    assert statuses(graded, "wrong", notebook) == {"graded"}


@pytest.mark.parametrize("kind", ["raising", "rebinding", "test-edited"])
def test_answers_that_raise_or_cheat_get_none(graded, kind):
    assert points(graded, kind, CHEATS[kind]) == [0.0, 0.0, 0.0]
    assert statuses(graded, kind, CHEATS[kind]) == {"graded"}


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_an_unreadable_notebook_says_so(graded, notebook):
    assert statuses(graded, "invalid-json", notebook) == {"unreadable"}


def test_every_silent_zero_has_a_status(graded):
    looping = graded["by"][("looping", CHEATS["looping"])]
    assert looping[0].points == 0 and looping[0].status == "timed out"
    deleted = points(graded, "answer-deleted", CHEATS["answer-deleted"])
    assert deleted[0] == 0.0 and deleted[1:] == [1.0, 1.0]
    stripped = statuses(graded, "metadata-stripped", CHEATS["metadata-stripped"])
    assert "needs manual grading" in stripped and stripped <= {"needs manual grading", "graded"}


def test_the_csvs_have_a_row_per_learner_notebook_and_exercise(graded):
    with open(graded["out"] / "grades.csv") as f:
        rows = list(csv.DictReader(f))
    assert set(rows[0]) == {"learner", "notebook", "exercise", "points", "max_points", "status"}
    assert len(rows) == len(graded["rows"])
    with open(graded["out"] / "summary.csv") as f:
        summary = {r["exercise"]: r for r in csv.DictReader(f)}
    assert set(summary) == {n for n, e in load_all().items() if e.topic in ("tokenization", "decoding")}
    for name, row in summary.items():  # passed = learners with full points in a graded row
        full = {r.learner for r in graded["rows"] if r.exercise == name and r.status == "graded" and r.points == 1}
        assert int(row["passed"]) == len(full) and "correct" in full
    assert int(summary["decoding.nucleus_size"]["passed"]) == 1  # the first answer: deleted or wrong


def test_hostile_submissions_change_nothing_outside_their_folder(graded):
    course_root = graded["course"]
    hostile = json.loads((course_root / "autograded" / "hostile" / "02_tokenizers" / "02_tokenizers.ipynb")
                         .read_text())
    printed = "".join("".join(o.get("text", "")) for c in hostile["cells"] for o in c.get("outputs", []))
    line = next(line for line in printed.splitlines() if line.startswith("HOSTILE REPORT "))
    report = json.loads(line.removeprefix("HOSTILE REPORT "))  # what the hostile cell could and could not do
    assert all(v in ("FileNotFoundError", "PermissionError") for k, v in report.items() if k.startswith("/"))
    assert report["write source"] in ("FileNotFoundError", "PermissionError")
    assert report["gradebook"] != "table added" and report["network"] != "connected"
    assert report["memory"] == "MemoryError"
    assert points(graded, "hostile", "02_tokenizers") == [1.0, 1.0, 1.0]  # it still ran, and its answers count
    import sqlite3

    tables = {r[0] for r in sqlite3.connect(course_root / "gradebook.db").execute(
        "select name from sqlite_master where type='table'")}
    assert "pwned" not in tables
    assert not (course_root / "source" / "helper.py").exists()
    assert (course_root / "source" / "02_tokenizers" / "02_tokenizers.ipynb").exists()
    assert [r.learner for r in graded["rows"] if r.learner == "wrong"], "the run went on after the hostile notebook"


def test_without_the_sandbox_tools_grading_refuses_unless_told(tmp_path, monkeypatch):
    from labkit.grading import grade as grading

    monkeypatch.setattr(grading, "missing_tools", lambda: ["bwrap (Debian/Ubuntu package bubblewrap)"])
    with pytest.raises(grading.GradeError, match="--no-sandbox"):
        grading.grade([tmp_path], tmp_path / "out")
    shutil.rmtree(tmp_path / "out", ignore_errors=True)
