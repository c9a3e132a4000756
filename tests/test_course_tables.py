"""The README's notebook table and the instructor guide's lesson plan are generated; they must not go stale."""
import json
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import course_tables  # noqa: E402


@pytest.mark.parametrize("name", sorted(course_tables.FILES))
def test_generated_tables_are_up_to_date(name):
    text = (ROOT / name).read_text()
    assert course_tables.render(name, text) == text, f"{name} is stale: run make tables"


def test_every_notebook_has_a_row_a_colab_link_and_a_measured_time():
    readme, guide = (ROOT / "README.md").read_text(), (ROOT / "docs" / "instructor.md").read_text()
    timings = json.loads((ROOT / course_tables.TIMINGS).read_text())["notebooks"]
    repo = course_tables.repository()
    assert "mybinder.org/v2/gh/" + repo in readme
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        meta = json.loads(path.read_text())["metadata"]["labkit"]
        row = next(line for line in readme.splitlines() if f"](notebooks/{path.name})" in line)
        assert f"[{meta['title']}]" in row and f"| {meta['minutes']} |" in row
        assert f"colab.research.google.com/github/{repo}/blob/main/notebooks/{path.name}" in row
        plan = next(line for line in guide.splitlines() if f"](../notebooks/{path.name})" in line)
        assert f"| {timings[path.name]['seconds']:.0f} s |" in plan


def test_a_metadata_change_makes_the_table_stale(tmp_path):
    """The staleness test can fail: edit one notebook's minutes in a copy of the course and render again."""
    for part in ("notebooks", "assets", "docs"):
        shutil.copytree(ROOT / part, tmp_path / part)
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    path = tmp_path / "notebooks" / "04_generation_loop.ipynb"
    notebook = json.loads(path.read_text())
    notebook["metadata"]["labkit"]["minutes"] = 99
    path.write_text(json.dumps(notebook))
    readme = (ROOT / "README.md").read_text()
    fresh = course_tables.render("README.md", readme, root=tmp_path)
    assert fresh != readme and "| 99 |" in fresh

    del notebook["metadata"]["labkit"]["topics"]
    path.write_text(json.dumps(notebook))
    with pytest.raises(ValueError, match="04_generation_loop.ipynb: metadata.labkit needs"):
        course_tables.render("README.md", readme, root=tmp_path)
