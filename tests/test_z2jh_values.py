"""classroom/z2jh/values.yaml validates against the pinned chart's schema after Helm's merge; broken copies fail."""
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from support.helm import merge, problems

ROOT = Path(__file__).resolve().parents[1]
CHART = ROOT / "tests" / "data" / "z2jh-4.4.0"
VALUES = ROOT / "classroom" / "z2jh" / "values.yaml"


def test_helm_merge_merges_maps_replaces_lists_and_deletes_nulls():
    defaults = {"a": {"x": 1, "y": 2}, "l": [1, 2], "gone": {"k": 1}, "keep": 3}
    assert merge(defaults, {"a": {"y": 5, "z": 6}, "l": [9], "gone": None}) == {
        "a": {"x": 1, "y": 5, "z": 6}, "l": [9], "keep": 3}
    assert defaults["a"] == {"x": 1, "y": 2}  # the chart's defaults are not changed


def test_the_class_values_validate_against_the_chart():
    assert problems(VALUES, CHART) == []


def test_the_override_alone_fails_the_schema(tmp_path):
    (tmp_path / "values.yaml").write_text("{}\n")  # a chart with no defaults: the override is all Helm sees
    (tmp_path / "values.schema.yaml").write_text((CHART / "values.schema.yaml").read_text())
    assert "(top): 'proxy' is a required property" in problems(VALUES, tmp_path)


@pytest.mark.parametrize("edit, expected", [
    (lambda v: v["singleuser"].update(memroy=v["singleuser"].pop("memory")), "'memroy' was unexpected"),
    (lambda v: v["cull"].update(timout=60), "'timout' was unexpected"),
    (lambda v: v["singleuser"]["cpu"].update(limit="two"), "singleuser.cpu.limit"),
    (lambda v: v.update(cull=None), "'cull' is a required property"),  # null deletes the chart's section too
    (lambda v: v["cull"].update(enabled=None), "'enabled' is a required property"),
])
def test_a_broken_copy_fails(tmp_path, edit, expected):
    values = yaml.safe_load(VALUES.read_text())
    edit(values)
    broken = tmp_path / "values.yaml"
    broken.write_text(yaml.safe_dump(values))
    found = problems(broken, CHART)
    assert any(expected in p for p in found), found


def merged_values(values: dict) -> dict:
    return merge(yaml.safe_load((CHART / "values.yaml").read_text()), values)


def test_the_chart_s_dummy_authenticator_cannot_be_deployed_by_accident():
    """z2jh's default authenticator is "dummy": in JupyterHub 5 it admits anyone with any password."""
    values = yaml.safe_load(VALUES.read_text())
    assert merged_values(values)["hub"]["config"]["JupyterHub"]["authenticator_class"] == "github"
    assert values["hub"]["config"]["Authenticator"]["admin_users"]  # and who the admin is, by their GitHub name
    del values["hub"]["config"]["JupyterHub"]["authenticator_class"]  # a copy that lost the line falls back ...
    assert merged_values(values)["hub"]["config"]["JupyterHub"]["authenticator_class"] == "dummy"  # ... to dummy


def poststart_command() -> list[str]:
    return yaml.safe_load(VALUES.read_text())["singleuser"]["lifecycleHooks"]["postStart"]["exec"]["command"]


@pytest.mark.parametrize("pull_exit", [0, 1])
def test_the_poststart_pull_runs_nbgitpuller_and_never_fails_the_container(tmp_path, pull_exit):
    """Kubernetes kills a container whose postStart hook fails: a failed pull must only warn."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "gitpuller"
    fake.write_text(f'#!/bin/sh\necho "$@" > "{tmp_path}/args"\nexit {pull_exit}\n')
    fake.chmod(0o755)
    done = subprocess.run(poststart_command(), cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"})
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "args").read_text().split() == [
        "https://github.com/transformers-lab-kit/transformers-lab-kit", "main", "transformers-lab-kit"]
    assert ("could not update" in done.stderr) == bool(pull_exit)


def test_the_image_keeps_its_repository_outside_the_learners_home_volume(tmp_path):
    """The chart mounts each learner's volume over /home/jovyan: binder/start and the installed kit must be elsewhere."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "repo2docker"
    fake.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{tmp_path}/args"\n')
    fake.chmod(0o755)
    done = subprocess.run(["bash", str(ROOT / "classroom/z2jh/build-image.sh"), "registry.example.org/lab:1", "."],
                          capture_output=True, text=True, env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"})
    assert done.returncode == 0, done.stderr
    args = (tmp_path / "args").read_text().split("\n")
    repo_dir = args[args.index("--target-repo-dir") + 1]
    assert not Path(repo_dir).is_relative_to("/home/jovyan")
    assert args[args.index("--user-id") + 1] == "1000"  # the uid the chart runs learners' pods as
    values = yaml.safe_load(VALUES.read_text())
    assert values["hub"]["config"]["KubeSpawner"]["notebook_dir"] == "/home/jovyan"  # learners still start at home
    assert merged_values(values)["singleuser"]["uid"] == 1000
