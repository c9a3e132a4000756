"""``labkit grade SUBMISSIONS...``: a folder of collected notebooks, graded by nbgrader's own autograde.

Each submission is ``<learner>/<NN_notebook>.ipynb`` (a folder of such folders works too, and so does nbgrader's
``submitted/<learner>/<assignment>/`` layout). The run builds the course's nbgrader source version, lays the
submissions out as nbgrader expects, runs ``nbgrader generate_assignment``, ``autograde`` (each kernel in the sandbox,
offline, with a per-cell timeout) and ``export``, then writes:

- ``grades.csv``: learner, notebook, exercise, points, max_points, status, where status is one of ``graded``,
  ``needs manual grading`` (nbgrader could not find the graded cells: metadata stripped), ``unreadable`` (not a
  notebook: nbgrader would drop it with a log line), ``timed out`` or ``kernel died`` (the limits stopped it), so a
  silent 0 never looks like a real one;
- ``summary.csv``: per exercise, how many learners passed it (where the room struggles).

One bad file never stops the run: nbgrader grades the others and the bad one gets its status.
"""
from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from . import course
from .sandbox import KERNEL_NAME, Limits, ipc_address, kernel_spec, missing_tools, readable_paths

STATUS_TIMEOUT, STATUS_DIED = "timed out", "kernel died"


@dataclass
class Row:
    learner: str
    notebook: str
    exercise: str
    points: float
    max_points: float
    status: str


class GradeError(Exception):
    """Grading cannot start (no nbgrader, no sandbox tools, no notebooks): the message says what to do."""


def find_submissions(paths: list[Path], notebooks: set[str]) -> tuple[dict, list[tuple[str, str, Path]]]:
    """{(learner, notebook): file} for every course notebook found under ``paths``, and the files that are not one."""
    found, strays = {}, []
    for path in paths:
        files = [path] if path.is_file() else sorted(path.rglob("*.ipynb"))
        for file in files:
            if ".ipynb_checkpoints" in file.parts:
                continue
            parts = file.relative_to(path).parts if path.is_dir() else (file.parent.name, file.name)
            learner = next((p for p in parts[:-1] if p not in ("submitted",) and p not in notebooks), None)
            learner = learner or (path.name if path.is_dir() else file.parent.name)
            learner = re.sub(r"[^A-Za-z0-9_-]", "_", learner)
            if file.stem in notebooks:
                found[(learner, file.stem)] = file
            else:
                strays.append((learner, file.stem, file))
    return found, strays


def readable(file: Path) -> bool:
    try:
        return isinstance(json.loads(file.read_text(encoding="utf-8")).get("cells"), list)
    except (ValueError, UnicodeDecodeError, AttributeError):
        return False


def _nbgrader(root: Path, env: dict, *args: str, log) -> int:
    command = [sys.executable, "-m", "nbgrader", *args]
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
    log.write(f"$ nbgrader {' '.join(args)}  (exit {done.returncode})\n{done.stdout}{done.stderr}\n")
    return done.returncode


def _sandbox_config(root: Path, *, kernel_python: str, sandbox: bool, user: str, limits: Limits,
                    timeout: int) -> dict:
    """Append the run's execution settings to nbgrader_config.py; return the environment nbgrader runs in."""
    from ..settings import kit_home

    env = dict(os.environ, LABKIT_HOME=str(kit_home()), LABKIT_QUIET="1", PYTHONUNBUFFERED="1",
               PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))  # alembic
    lines = [f"c.Execute.timeout = {timeout}", "c.Execute.interrupt_on_timeout = True"]
    spec_dir = root.parent / "kernels"
    if sandbox:
        kernel_spec(spec_dir, kernel_python, user=user, limits=limits,
                    ro_paths=readable_paths(kernel_python) + [str(kit_home())])
        lines += ['c.KernelManager.transport = "ipc"', f"c.KernelManager.ip = {ipc_address(spec_dir)!r}"]
    else:
        folder = spec_dir / "kernels" / KERNEL_NAME
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "kernel.json").write_text(json.dumps({
            "argv": [kernel_python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python (labkit, no sandbox)", "language": "python"}))
    lines.append(f"c.Execute.kernel_name = {KERNEL_NAME!r}")
    with open(root / "nbgrader_config.py", "a") as f:
        f.write("\n".join(lines) + "\n")
    env["JUPYTER_PATH"] = str(spec_dir)
    return env


def _stopped_by_limits(autograded: Path) -> str | None:
    """"timed out" or "kernel died" when the autograded notebook shows that the limits stopped it."""
    if not autograded.exists():
        return None
    names = {o.get("ename") for cell in json.loads(autograded.read_text()).get("cells", [])
             for o in cell.get("outputs", []) if o.get("output_type") == "error"}
    if names & {"CellTimeoutError", "TimeoutError"}:
        return STATUS_TIMEOUT
    if names & {"DeadKernelError"}:
        return STATUS_DIED
    return None


def _results(root: Path, graded: dict[tuple[str, str], Path], assignments: dict[str, list[str]]) -> list[Row]:
    from nbgrader.api import Gradebook, MissingEntry

    rows = []
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        for (learner, notebook) in sorted(graded):
            stopped = _stopped_by_limits(root / "autograded" / learner / notebook / f"{notebook}.ipynb")
            try:
                nb = gb.find_submission_notebook(notebook, notebook, learner)
                grades = {g.name: g for g in nb.grades}
            except MissingEntry:
                grades = {}
            for name in assignments[notebook]:
                grade = grades.get(name.replace(".", "-"))
                if grade is None:
                    rows.append(Row(learner, notebook, name, 0.0, course.POINTS, "needs manual grading"))
                    continue
                points = float(grade.score or 0)
                status = "needs manual grading" if grade.needs_manual_grade else "graded"
                if stopped and points == 0:
                    status = stopped
                rows.append(Row(learner, notebook, name, points, float(grade.max_score), status))
    return rows


def grade(submissions: list[Path], out: Path, *, notebooks: list[Path] | None = None, timeout: int = 60,
          sandbox: bool = True, user: str = "labkit-grader", kernel_python: str | None = None,
          limits: Limits = Limits()) -> list[Row]:
    """Grade every course notebook under ``submissions`` into ``out`` (grades.csv, summary.csv, nbgrader.log)."""
    if sandbox and (missing := missing_tools()):
        raise GradeError(f"the grading sandbox needs {', '.join(missing)}; install it, or pass --no-sandbox to run "
                         "submissions with your own rights (only for work you trust)")
    if sandbox and os.geteuid() == 0:
        import pwd

        try:
            pwd.getpwnam(user)
        except KeyError:
            raise GradeError(f"no user {user!r} to run submissions as: create one with `useradd --system "
                             f"--no-create-home --shell /usr/sbin/nologin {user}` (or pass --user nobody)") from None
    notebooks = notebooks or course.course_notebooks()
    out = out.resolve()
    root = out / "nbgrader" / "course"
    shutil.rmtree(out / "nbgrader", ignore_errors=True)
    assignments = course.build(notebooks, root)
    found, strays = find_submissions(submissions, set(assignments))
    rows = [Row(learner, stem, "", 0.0, 0.0, "unreadable") for learner, stem, _ in strays]
    graded = {}
    for (learner, notebook), file in found.items():
        if not readable(file):
            rows += [Row(learner, notebook, name, 0.0, course.POINTS, "unreadable") for name in assignments[notebook]]
            continue
        target = root / "submitted" / learner / notebook / f"{notebook}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(file, target)
        graded[(learner, notebook)] = target
    kernel_python = kernel_python or os.environ.get("LABKIT_KERNEL_PYTHON") or sys.executable
    env = _sandbox_config(root, kernel_python=kernel_python, sandbox=sandbox, user=user,
                          limits=limits, timeout=timeout)
    with open(out / "nbgrader.log", "w") as log:
        for notebook in sorted({nb for _, nb in graded}):
            _nbgrader(root, env, "generate_assignment", notebook, "--force", log=log)
            _nbgrader(root, env, "autograde", notebook, "--force", log=log)
        _nbgrader(root, env, "export", "--to", str(out / "nbgrader-grades.csv"), log=log)
    rows += _results(root, graded, assignments)
    write_reports(rows, out)
    shutil.rmtree(out / "nbgrader" / "kernels" / "scratch", ignore_errors=True)
    return rows


def per_exercise(rows: list[Row]) -> dict[tuple[str, str], dict[str, int]]:
    """{(notebook, exercise): learners, graded, passed (full points in a graded row)}: where the room struggles."""
    counts = {}
    for r in rows:
        if r.exercise:
            entry = counts.setdefault((r.notebook, r.exercise), {"passed": 0, "graded": 0, "learners": 0})
            entry["learners"] += 1
            entry["graded"] += r.status == "graded"
            entry["passed"] += r.status == "graded" and r.points >= r.max_points
    return dict(sorted(counts.items()))


def write_reports(rows: list[Row], out: Path) -> None:
    with open(out / "grades.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(Row.__dataclass_fields__))
        writer.writeheader()
        writer.writerows(asdict(r) for r in rows)
    with open(out / "summary.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["notebook", "exercise", "passed", "graded", "learners"])
        for (notebook, name), e in per_exercise(rows).items():
            writer.writerow([notebook, name, e["passed"], e["graded"], e["learners"]])


def summary_text(rows: list[Row]) -> str:
    by_status = {}
    for r in rows:
        by_status[r.status] = by_status.get(r.status, 0) + 1
    lines = [f"{len({r.learner for r in rows})} learners, {len(rows)} rows: "
             + ", ".join(f"{n} {s}" for s, n in sorted(by_status.items()))]
    lines += [f"  {name:<32} passed by {e['passed']} of {e['learners']}" for (_, name), e in per_exercise(rows).items()]
    return "\n".join(lines)
