"""A classroom on a real JupyterHub on localhost (tests/support/hub.py), through the hub's REST API only.

As root (CI), each learner and the instructor is a Unix user of their own, made by the test, and the hub starts
their servers with LocalProcessSpawner, as TLJH does: the shared kit home, each home's permissions and nbgrader's
exchange are exercised as they are there. Otherwise every server runs as this one user (SimpleLocalProcessSpawner).
Five learners start their servers at once, pull the course with nbgitpuller from a file:// clone of this
repository, and run the kit in their own kernels; their progress lands in their own homes and the shared kit home
stays byte for byte the same. An instructor releases a lab through nbgrader's exchange, two learners fetch and
submit it, and nbgrader collects and autogrades it. Runs in the classroom environment (`make test-classroom`).
The tests share one hub and run in order; the last stops it and looks for processes left behind.
"""
from __future__ import annotations

import getpass
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

pytest.importorskip("jupyterhub", reason="the classroom extra (make test-classroom) installs JupyterHub")

from labkit.classroom.link import ROOT, pull_link  # noqa: E402
from labkit.exercises import load_all  # noqa: E402
from labkit.grading import course  # noqa: E402
from support.hub import LocalHub  # noqa: E402

pytestmark = [pytest.mark.classroom]
LEARNERS = ["ada", "ben", "chloe", "dev", "eli"]
# As root, as on TLJH: each learner and the instructor a Unix user of their own, made (and removed) by the test
UNIX_USERS = os.geteuid() == 0
MADE_HERE = ".labkit-hub-test"  # in the home of each user the test made: a user left by a killed run is removed
TARGET = "transformers-lab"  # the course's checkout, as install.sh's /srv/transformers-lab; nbgitpuller's folder
INSTALL_SH = ROOT / "classroom" / "tljh" / "install.sh"
KERNEL_PYTHON = os.environ.get("LABKIT_KERNEL_PYTHON", str(ROOT / ".venv" / "bin" / "python"))
LAB = "02_tokenizers"  # the nbgrader lab: its exercises run in seconds


def tree_hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}


def roles(home: Path, role: str, **env) -> None:
    """classroom/tljh/nbgrader_extensions.sh for ``role``, as install.sh or the instructor runs it."""
    env = {k: v for k, v in os.environ.items() if k != "JUPYTER_CONFIG_DIR"} | {
        "HOME": str(home), "JUPYTER": str(Path(sys.executable).parent / "jupyter")} | env
    done = subprocess.run(["bash", str(ROOT / "classroom" / "tljh" / "nbgrader_extensions.sh"), role], env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def disabled_in_lab(hub, name: str, token: str) -> set[str]:
    """The JupyterLab plugins ``name``'s lab page turns off (its page config, as the browser gets it)."""
    page = hub.server(name, "lab", token)
    page.raise_for_status()
    data = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', page.text, re.S)
    return set(json.loads(data.group(1))["disabledExtensions"])


def make_users(names: list[str]) -> None:
    import pwd

    for name in names:
        try:
            home = Path(pwd.getpwnam(name).pw_dir)
        except KeyError:
            pass
        else:
            if not (home / MADE_HERE).exists():
                pytest.fail(f"a Unix user {name!r} exists that this test did not make: run it where none does")
            subprocess.run(["userdel", "--remove", name], check=True, capture_output=True)
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", name], check=True)
        home = Path(pwd.getpwnam(name).pw_dir)
        (home / MADE_HERE).touch()
        home.chmod(home.stat().st_mode & ~0o007)  # TLJH's ensure_user: chmod o-rwx on each new home


def remove_users(names: list[str]) -> None:
    for name in names:
        subprocess.run(["userdel", "--remove", name], capture_output=True)


@pytest.fixture(scope="module")
def hub(tmp_path_factory, request):
    import tempfile

    from labkit.settings import kit_home

    if UNIX_USERS:  # folders the learners' own users can enter (pytest's are root's alone)
        tmp = Path(tempfile.mkdtemp(prefix="labkit-hub-"))
        tmp.chmod(0o755)
        request.addfinalizer(lambda: shutil.rmtree(tmp, ignore_errors=True))
        make_users([*LEARNERS, "instructor"])
        request.addfinalizer(lambda: remove_users([*LEARNERS, "instructor"]))
        shared_home = tmp / "kit-home"  # prepared by the admin, read-only for learners: install.sh's chmod
        if subprocess.run(["cp", "-al", str(kit_home()), str(shared_home)]).returncode:  # hard links, or a copy
            subprocess.run(["cp", "-a", str(kit_home()), str(shared_home)], check=True)
        subprocess.run(["chmod", "-R", "a+rX,go-w", str(shared_home)], check=True)
    else:
        tmp, shared_home = tmp_path_factory.mktemp("hub"), kit_home()
    exchange = tmp / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)  # install.sh's
    learner_config = tmp / "learner-config"  # each learner's nbgrader: where the exchange is (install.sh's file)
    learner_config.mkdir()
    (learner_config / "nbgrader_config.py").write_text(
        f"import os\nc = get_config()\nc.Exchange.root = {str(exchange)!r}\n"
        'c.CourseDirectory.course_id = "transformers-lab-kit"\n'
        # with one Unix user for all, the student id is the hub's name for the learner (nbgrader's is the Unix user's)
        + ("" if UNIX_USERS else 'c.CourseDirectory.student_id = os.environ["JUPYTERHUB_USER"]\n'))
    # Jupyter reads a virtualenv's settings before the user's when the user owns it, as this one test user owns every
    # environment here; on TLJH root owns /opt/tljh/user, so a learner's own ~/.jupyter comes first
    environment = {"JUPYTER_CONFIG_PATH": str(learner_config), "JUPYTER_PREFER_ENV_PATH": "0"}
    # nbgrader's extensions as install.sh sets them in TLJH's environment: here the classroom one, undone at the end
    roles(tmp, "learners")
    request.addfinalizer(lambda: roles(tmp, "everyone"))
    # the course's checkout, as install.sh's, with its line that lets the learners' git read it (a system setting:
    # here in a file of its own)
    repo, git_config = tmp / TARGET, tmp / "gitconfig"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(repo)], check=True)
    line = re.search(r"^git config --system --get-all safe.directory .*$", INSTALL_SH.read_text(), re.M).group(0)
    subprocess.run(["bash", "-c", line], env={**os.environ, "KIT": str(repo), "GIT_CONFIG_SYSTEM": str(git_config)},
                   check=True)
    environment["GIT_CONFIG_SYSTEM"] = str(git_config)
    hub = LocalHub(root=tmp / "jupyterhub", kernel_python=KERNEL_PYTHON, kit_home=shared_home,
                   environment=environment, unix_users=UNIX_USERS)
    hub.state = {"tmp": tmp, "exchange": exchange, "repo": f"file://{repo}", "kit_before": tree_hashes(shared_home)}
    hub.start()
    yield hub
    hub.stop()


def test_five_learners_start_their_servers_at_once(hub):
    ready = hub.spawn(LEARNERS)
    print(f"hub answered in {hub.started_in:.1f} s; servers ready in "
          + ", ".join(f"{name} {s:.1f} s" for name, s in ready.items()))
    assert sorted(ready) == LEARNERS
    hub.state["tokens"] = {name: hub.user_token(name) for name in LEARNERS}


def test_each_pulls_the_course_with_its_nbgitpuller_link(hub):
    link = pull_link(hub.url, notebook="01", repo=hub.state["repo"])  # what `labkit classroom link` prints
    with ThreadPoolExecutor(len(LEARNERS)) as pool:
        events = dict(zip(LEARNERS, pool.map(lambda name: hub.pull(name, hub.state["tokens"][name], link), LEARNERS)))
    opens = parse_qs(urlparse(link).query)["urlpath"][0].removeprefix("lab/tree/")
    for name in LEARNERS:
        assert events[name][-1]["phase"] == "finished"
        assert (hub.home(name) / opens).is_file()  # the notebook the link opens
    assert opens == f"{TARGET}/notebooks/01_pipelines.ipynb"


KIT_CODE = """
import os

import labkit
from labkit.environment import doctor
from transformers import pipeline

print("settings:", {{key: os.environ.get(key) for key in ("LABKIT_HOME", "LABKIT_SOURCE", "HF_HUB_OFFLINE")}})
lines = []
print("doctor:", doctor(hub_timeout=0.5, out=lines.append), lines[-1])
classifier = pipeline("sentiment-analysis", model=labkit.checkpoint("sentiment"))
print("label:", classifier("What a wonderful flight, thank you!")[0]["label"])
{solution}
passed = labkit.check("first_steps.labels_of", labels_of)
print("passed:", passed, "progress:", labkit.progress.progress_file())
"""


def test_each_runs_the_kit_in_its_own_kernel(hub):
    import textwrap

    code = KIT_CODE.format(solution=textwrap.dedent(load_all()["first_steps.labels_of"].solution))

    def run(name):
        kernel = hub.kernel(name, hub.state["tokens"][name], path=f"{TARGET}/notebooks")
        try:
            return kernel.run(code)
        finally:
            kernel.shutdown()

    with ThreadPoolExecutor(len(LEARNERS)) as pool:
        outputs = dict(zip(LEARNERS, pool.map(run, LEARNERS)))
    for name, out in outputs.items():
        home = hub.home(name)
        progress = home / ".local" / "share" / "labkit" / "progress.json"
        # classroom/tljh/labkit_config.py's settings (the hub loaded the file TLJH gets), then the kit on them
        assert f"settings: {{'LABKIT_HOME': '{hub.kit_home}', 'LABKIT_SOURCE': 'offline', 'HF_HUB_OFFLINE': '1'}}" in out
        assert "doctor: 0 " in out and "0 failed" in out and "ready for the course" in out, out
        assert "label: positive" in out, out
        assert f"passed: True progress: {progress}" in out, out
        assert json.loads(progress.read_text())["exercises"]["first_steps.labels_of"]["passed"], progress.read_text()
        assert progress.owner() == (name if UNIX_USERS else getpass.getuser())  # written by the learner's own user


def test_the_shared_kit_home_is_unchanged(hub):
    assert tree_hashes(hub.kit_home) == hub.state["kit_before"]


def test_a_learner_cannot_reach_another_learners_server(hub):
    tokens = hub.state["tokens"]
    assert hub.server("ada", "api/status", tokens["ada"]).status_code == 200
    assert hub.server("ben", "api/status", tokens["ada"]).status_code == 403
    assert hub.server("ben", "api/contents", tokens["ada"]).status_code == 403


def nbgrader(hub, *args, cwd: Path):
    env = dict(os.environ, JUPYTER_PATH=str(hub.root / "share"),  # the python3 kernel spec: the course's Python
               PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))  # nbgrader runs alembic
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, f"nbgrader {' '.join(args)}:\n{done.stdout}{done.stderr}"
    return done


def test_a_lab_goes_out_and_comes_back_graded_through_nbgrader(hub):
    root = hub.home("instructor") / "course"  # ~/course, where Formgrader looks (nbgrader_extensions.sh)
    assignments = course.build([ROOT / "notebooks" / f"{LAB}.ipynb"], root, exchange=hub.state["exchange"])
    with open(root / "nbgrader_config.py", "a") as f:
        f.write("c.Execute.timeout = 120\n")
    nbgrader(hub, "generate_assignment", LAB, cwd=root)
    nbgrader(hub, "release_assignment", LAB, cwd=root)
    tokens, solutions = hub.state["tokens"], load_all()
    for name in ("ada", "ben"):
        args = {"course_id": "transformers-lab-kit", "assignment_id": LAB}
        r = hub.server(name, "assignments/fetch", tokens[name], "POST", data=args)
        assert r.ok, r.text
        path = f"api/contents/{LAB}/{LAB}.ipynb"
        model = hub.server(name, path, tokens[name]).json()
        if name == "ada":  # ada answers every exercise; ben hands the lab in as fetched
            for cell in model["content"]["cells"]:
                if "YOUR CODE HERE" in cell["source"]:
                    exercise = cell["metadata"]["nbgrader"]["grade_id"].removesuffix("-answer").replace("-", ".")
                    cell["source"] = solutions[exercise].solution
            assert hub.server(name, path, tokens[name], "PUT", json={
                "type": "notebook", "format": "json", "content": model["content"]}).ok
        r = hub.server(name, "assignments/submit", tokens[name], "POST", data=args)
        assert r.ok and r.json()["success"], r.text
    nbgrader(hub, "collect", LAB, cwd=root)
    nbgrader(hub, "autograde", LAB, cwd=root)
    grades = nbgrader(hub, "export", "--to", "grades.csv", cwd=root)
    import csv

    rows = {row["student_id"]: row for row in csv.DictReader(open(root / "grades.csv"))}
    possible = float(len(assignments[LAB]) * course.POINTS)
    assert sorted(rows) == ["ada", "ben"], grades.stdout
    assert float(rows["ada"]["score"]) == possible == float(rows["ada"]["max_score"])
    assert float(rows["ben"]["score"]) == 0.0


CLOSED = """
import os
for what, path in {paths!r}.items():
    try:
        os.listdir(path) if what != "kit home" else open(os.path.join(path, "mine.txt"), "w")
        print(what, "open")
    except PermissionError:
        print(what, "closed")
"""


@pytest.mark.skipif(not UNIX_USERS, reason="with one Unix user for all, nothing separates the learners but the hub")
def test_another_learners_home_their_submission_and_the_kit_home_are_closed_to_a_learner(hub):
    inbound = hub.state["exchange"] / "transformers-lab-kit" / "inbound"
    paths = {"ada's home": str(hub.home("ada")), "the exchange's inbound": str(inbound), "kit home": str(hub.kit_home)}
    token = hub.state["tokens"]["ben"]
    kernel = hub.kernel("ben", token)
    try:
        out = kernel.run(CLOSED.format(paths=paths))
    finally:
        kernel.shutdown()
    assert out.split("\n")[:3] == [f"{what} closed" for what in paths], out
    assert sorted(p.owner() for p in inbound.iterdir()) == ["ada", "ben"]  # each submission its learner's own


NBGRADER_LAB = {"@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment", "@jupyter/nbgrader:course-list"}


def test_learners_get_the_assignment_list_and_the_instructor_formgrader_on_the_course(hub):
    home = hub.home("instructor")  # with ~/course, the course the last test graded
    roles(home, "instructor", **hub.environment)  # in their own terminal on the hub: every server's environment
    if UNIX_USERS:  # what the test wrote there as root becomes theirs, as if they had written it
        subprocess.run(["chown", "-R", "instructor:instructor", str(home)], check=True)
    hub.spawn(["instructor"])
    token, ada = hub.user_token("instructor"), hub.state["tokens"]["ada"]

    assert disabled_in_lab(hub, "ada", ada) >= NBGRADER_LAB
    assert "@jupyter/nbgrader:assignment-list" not in disabled_in_lab(hub, "ada", ada)
    listed = hub.server("ada", "assignments?course_id=transformers-lab-kit", ada)  # the Assignment List's server side
    assert listed.ok and {a["assignment_id"] for a in listed.json()["value"]} == {LAB}, listed.text
    assert hub.server("ada", "formgrader/api/assignments", ada).status_code == 404

    assert not disabled_in_lab(hub, "instructor", token) & NBGRADER_LAB
    assignments = hub.server("instructor", "formgrader/api/assignments", token)
    assert assignments.ok and assignments.text.startswith("["), assignments.text  # JSON, not its error page
    rows = [(a["name"], a["num_submissions"], a["average_score"], a["max_score"]) for a in assignments.json()]
    assert rows == [(LAB, 2, 1.5, 3.0)]  # ada's full marks and ben's zero, from the gradebook in ~/course


def test_the_instructor_collects_each_learners_copy_of_a_notebook(hub, tmp_path):
    from labkit.classroom.collect import collect

    found = collect("01", hub.home("ada").parent, tmp_path / "submissions", folder=TARGET)  # `labkit classroom collect`
    assert sorted(found.copied) == LEARNERS and not found.unreadable, found.report()
    assert "instructor" in found.missing  # a home without the course
    course = (ROOT / "notebooks" / "01_pipelines.ipynb").read_bytes()
    assert all(p.read_bytes() == course and p.parent.name == name for name, p in found.copied.items())


def test_everything_stops_with_no_process_left_behind(hub):
    hub.stop()
    deadline = time.monotonic() + 20
    while hub.leftovers() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert hub.leftovers() == []


def test_the_binder_image_carries_what_the_hub_packages_need():
    """tools/binder_env.ON_HUB: JupyterHub and nbgitpuller, and every package they need that requirements.lock
    lacks (walked from this environment's installed metadata)."""
    from importlib.metadata import requires
    from packaging.requirements import Requirement

    sys.path.insert(0, str(ROOT / "tools"))
    import binder_env

    lock, needed, todo = binder_env.read_lock(), set(), ["jupyterhub", "nbgitpuller"]
    while todo:
        name = binder_env.normalise(todo.pop())
        if name in needed or name in lock:
            continue
        needed.add(name)
        for line in requires(name) or []:
            req = Requirement(line)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    assert needed == binder_env.ON_HUB
