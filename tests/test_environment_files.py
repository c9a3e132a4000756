"""The environment files that are not run in CI (Binder's, conda's) checked statically against requirements.lock."""
import os
import re
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import binder_env  # noqa: E402

LOCK = binder_env.read_lock()


def pins(entries) -> dict[str, str]:
    """{name: version} for each `name==version` (pip) or `name=version` (conda) entry; other entries ignored."""
    found = {}
    for entry in entries:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*==?\s*([^=\s]+)", entry)
        if match:
            found[binder_env.normalise(match[1])] = match[2]
    return found


def load(path: Path) -> tuple[list[str], list[str], dict]:
    env = yaml.safe_load(path.read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    pip = next((d["pip"] for d in env["dependencies"] if isinstance(d, dict)), [])
    return conda, pip, env


def test_the_lock_pins_every_package_once_and_torch_is_the_cpu_build():
    lines = [line for line in (ROOT / "requirements.lock").read_text().splitlines() if line and line[0] != "#"]
    assert all(re.fullmatch(r"[A-Za-z0-9_.-]+==[^=\s]+", line) for line in lines), "only name==version lines"
    assert len(LOCK) == len(lines), "a package is pinned twice"
    assert LOCK["torch"] == "2.13.0" and not any(name.startswith("nvidia-") for name in LOCK)


def test_binder_environment_is_conda_forge_cpu_torch_and_the_locked_versions():
    conda, pip, env = load(ROOT / "binder" / "environment.yml")
    assert env["channels"][0] == "conda-forge" and "defaults" not in env["channels"]
    assert pins(conda) == {"python": "3.11", "pytorch-cpu": LOCK["torch"]}
    assert "pip" in conda and "nodejs" in conda  # npm, for bertviz's offline scripts
    pinned = pins(pip)
    assert len(pinned) == len(pip), f"every pip entry is pinned: {[p for p in pip if '==' not in p]}"
    assert "torch" not in pinned, "torch comes from conda-forge's CPU build, not from PyPI"
    image = binder_env.image_pins()  # the lock's pins and the hub's packages from the classroom lock
    disagree = {n: (v, image.get(n)) for n, v in pinned.items() if image.get(n) != v}
    assert not disagree, f"(Binder, locks) versions differ: {disagree}; run python tools/binder_env.py"
    assert binder_env.ON_HUB <= set(pinned), "JupyterHub and nbgitpuller: the image is the classroom's too"
    missing = set(LOCK) - set(pinned) - {"torch"} - binder_env.NOT_ON_BINDER
    assert not missing, f"in the lock but not on Binder: {sorted(missing)}"


def test_binder_environment_is_not_stale():
    expected = binder_env.render(binder_env.image_pins())
    assert (ROOT / "binder" / "environment.yml").read_text() == expected, "run: python tools/binder_env.py"


def test_binder_post_build_installs_the_kit_and_prepares_with_set_e():
    post_build = ROOT / "binder" / "postBuild"
    text = post_build.read_text()
    assert text.startswith("#!/bin/bash\n") and os.access(post_build, os.X_OK)
    commands = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert commands[0].startswith("set -e"), "stop the build at the first failing command"
    assert "python -m pip install --no-deps --editable ." in commands
    assert "labkit prepare" in commands
    home = 'export LABKIT_HOME="${LABKIT_HOME:-${NB_PYTHON_PREFIX}/share/labkit}"'
    assert commands.index(home) < commands.index("labkit prepare"), "prepare outside $HOME (JupyterHub mounts it)"
    start = (ROOT / "binder" / "start").read_text().splitlines()
    assert os.access(ROOT / "binder" / "start", os.X_OK) and home in start and start[-1] == 'exec "$@"'
    assert not (ROOT / "binder" / "requirements.txt").exists(), "one environment file in binder/, not two"


def test_root_conda_environment_installs_the_lock_and_the_kit():
    conda, pip, env = load(ROOT / "environment.yml")
    assert env["channels"] == ["conda-forge"]
    assert pins(conda) == {"python": "3.11"}
    assert pip == ["-r requirements.lock", "-e ."]


@pytest.mark.parametrize("requirement", tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
    "dependencies"])
def test_pyproject_ranges_admit_the_locked_versions(requirement):
    req = Requirement(requirement)
    locked = LOCK[binder_env.normalise(req.name)]
    assert req.specifier.contains(locked, prereleases=True), f"{req.name} {locked} is outside {req.specifier}"


@pytest.mark.parametrize("requirement", tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
    "optional-dependencies"]["classroom"])
def test_the_classroom_lock_pins_the_classroom_extra_apart_from_the_learners(requirement):
    """nbgrader and its notebook 7 stay out of the learners' lock; its own lock pins them within pyproject's range."""
    classroom = binder_env.read_lock(ROOT / "requirements-classroom.lock")
    req = Requirement(requirement)
    locked = classroom[binder_env.normalise(req.name)]
    assert req.specifier.contains(locked, prereleases=True), f"{req.name} {locked} is outside {req.specifier}"
    assert "nbgrader" in classroom and "nbgrader" not in LOCK and "notebook" not in LOCK
