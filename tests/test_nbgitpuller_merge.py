"""What nbgitpuller's merge does to a course notebook that a learner has run (docs/instructor.md, "Links").

A run changes every code cell's outputs and execution count, never a source. The course then fixes one cell's source
and commits the re-executed notebook. After the learner's next click, nbgitpuller (its own GitPuller, the code behind
the link) must have brought the fix, the learner's edit of another cell must survive, and the file must stay a notebook.
"""
import json
import subprocess
from pathlib import Path

import pytest

pytest.importorskip("nbgitpuller", reason="the classroom extra (make test-classroom) installs nbgitpuller")
from nbgitpuller.pull import GitPuller  # noqa: E402

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "10_lora.ipynb"


def commit(repo: Path, message: str):
    for args in (["add", "."], ["-c", "user.name=course", "-c", "user.email=course@example.org", "commit", "-qm", message]):
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def write(path: Path, notebook: dict):
    path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")


def test_a_fix_reaches_a_learner_who_ran_the_notebook_and_their_own_edit_stays(tmp_path):
    course, home = tmp_path / "course", tmp_path / "home" / "transformers-lab-kit"
    course.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=course, check=True)
    notebook = json.loads(NOTEBOOK.read_text())
    write(course / NOTEBOOK.name, notebook)
    commit(course, "the course")

    def click():
        for _ in GitPuller(f"file://{course}", str(home), branch="main", depth=0).pull():
            pass

    click()
    code = [i for i, c in enumerate(notebook["cells"]) if c["cell_type"] == "code" and c.get("outputs")]
    fixed, edited = code[3], code[5]
    learner = json.loads((home / NOTEBOOK.name).read_text())
    for i in code:  # the learner's run
        learner["cells"][i]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": [f"learner's run {i}\n"]}]
        learner["cells"][i]["execution_count"] = 100 + i
    learner["cells"][edited]["source"] = ["# the learner's own version\n"]
    write(home / NOTEBOOK.name, learner)

    notebook["cells"][fixed]["source"] = ["# the course's fix\n"] + notebook["cells"][fixed]["source"]
    notebook["cells"][fixed]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["course re-run\n"]}]
    write(course / NOTEBOOK.name, notebook)
    commit(course, "a fix, re-executed")
    click()

    merged = json.loads((home / NOTEBOOK.name).read_text())  # still a notebook
    assert merged["cells"][fixed]["source"][0] == "# the course's fix\n"
    assert merged["cells"][edited]["source"] == ["# the learner's own version\n"]
    assert merged["cells"][fixed]["execution_count"] == 100 + fixed  # a mix: the fix beside the learner's count
    assert len(merged["cells"]) == len(notebook["cells"])
