"""The classroom's files and commands that need no hub: `labkit classroom link`, the TLJH script, the sizing rule.
(tests/test_hub.py runs a real hub; tests/test_z2jh_values.py checks the Kubernetes values.)"""
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import yaml

from labkit.classroom import sizing
from labkit.classroom.link import pull_link
from labkit.cli import main

ROOT = Path(__file__).resolve().parents[1]
INSTALL = ROOT / "classroom" / "tljh" / "install.sh"


def test_the_link_pulls_the_course_and_opens_the_notebook():
    link = pull_link("https://hub.example.org/", notebook="4")
    parsed = urlparse(link)
    assert parsed.netloc == "hub.example.org" and parsed.path == "/hub/user-redirect/git-pull"
    assert parse_qs(parsed.query) == {
        "repo": ["https://github.com/transformers-lab-kit/transformers-lab-kit"], "branch": ["main"],
        "targetpath": ["transformers-lab-kit"],
        "urlpath": ["lab/tree/transformers-lab-kit/notebooks/04_generation_loop.ipynb"]}
    assert parse_qs(urlparse(pull_link("http://localhost:8000")).query)["urlpath"] == ["lab/tree/transformers-lab-kit"]


@pytest.mark.parametrize("args, message", [
    (["--hub", "hub.example.org"], "is not a hub's address: give its URL"),
    (["--hub", "https://hub.example.org", "--notebook", "99"], "no notebook '99' in the course: pass one of 00, 01"),
    (["--hub", "https://hub.example.org", "--notebook", "pipelines"], "no notebook 'pipelines'"),
])
def test_a_wrong_link_request_says_what_to_pass(capsys, args, message):
    assert main(["classroom", "link", *args]) == 2
    assert message in capsys.readouterr().err


def test_without_a_checkout_the_link_asks_for_the_repository(monkeypatch, tmp_path, capsys):
    from labkit.classroom import link

    monkeypatch.setattr(link, "ROOT", tmp_path)  # as installed from a wheel: no pyproject.toml beside the package
    assert main(["classroom", "link", "--hub", "https://hub.example.org"]) == 2
    assert "pass --repo URL" in capsys.readouterr().err
    fork = link.pull_link("https://hub.example.org", repo="https://example.org/fork.git")
    assert fork.endswith("targetpath=fork&urlpath=lab%2Ftree%2Ffork")


def test_the_tljh_script_parses_and_its_pins_come_from_the_locks():
    subprocess.run(["bash", "-n", str(INSTALL)], check=True)
    script = INSTALL.read_text()
    pins = re.findall(r"\$\(pin (\S+) (\S+)\)", script)
    assert {name for name, _ in pins} == {"torch", "nbgitpuller", "nbgrader"}
    for name, lock in pins:
        assert re.search(rf"^{name}==\S+$", (ROOT / lock).read_text(), re.M), (name, lock)


def test_the_tljh_limits_are_the_benchmarks():
    one_liner = re.search(r"-c \\\n\s+'(.+)'\)", INSTALL.read_text())[1]
    out = subprocess.run([sys.executable, "-c", one_liner], capture_output=True, text=True, check=True).stdout
    resources = sizing.z2jh_resources(sizing.load())
    assert out.split() == [resources["memory"]["limit"], str(resources["cpu"]["limit"])]


def test_the_z2jh_resources_are_the_benchmarks():
    values = yaml.safe_load((ROOT / "classroom" / "z2jh" / "values.yaml").read_text())["singleuser"]
    resources = sizing.z2jh_resources(sizing.load())
    assert values["memory"] == resources["memory"]
    assert values["cpu"] == resources["cpu"]


def test_the_sizing_rule_on_known_figures():
    runs = [{"notebook": "08", "learners": 1, "pss_mb": [1500], "cpu_s": [200.0], "wall_s": [160.0],
             "hub_proxy_pss_mb": 200, "total_pss_mb": 1700},
            {"notebook": "08", "learners": 2, "pss_mb": [1400, 1450], "cpu_s": [290.0] * 2, "wall_s": [290.0, 300.0],
             "hub_proxy_pss_mb": 200, "total_pss_mb": 3000},
            {"notebook": "04", "learners": 3, "pss_mb": [1000, 1100, 1200], "cpu_s": [90.0] * 3,
             "wall_s": [150.0] * 3, "hub_proxy_pss_mb": 250, "total_pss_mb": 3500}]
    results = {"runs": runs, "cores": 2}
    f = sizing.figures(results)
    assert f["cpu_08_s"] == 300.0  # two at once on 2 cores: the slower took 300 s, so 300 core-seconds each
    assert (f["peak_mb"], f["headroom_mb"], f["per_core"]) == (1500, 200 + 1024, 4)  # 20 min x 60 / 300 s
    assert sizing.servers(results)[0] == (8, 3, 5, 7)  # (8192 - 1224) // (1500 x 1.25) = 3 at once; 3 / 0.6, 3 / 0.4
    assert sizing.wait_08(results) == 30 * 300 / 8
    assert sizing.z2jh_resources(results) == {"memory": {"guarantee": "0.75G", "limit": "2G"},
                                              "cpu": {"guarantee": 0.25, "limit": 2}}


def homes_with_copies(homes: Path, folder: str) -> None:
    """TLJH's homes: two learners who pulled the course (one ran 02), one who never did, one with a checkpoint only."""
    for user in ("jupyter-ada", "jupyter-ben", "jupyter-chloe", "jupyter-dev"):
        (homes / user).mkdir(parents=True)
    for user, text in (("jupyter-ada", '{"ada": 1}'), ("jupyter-ben", '{"ben": 1}')):
        (homes / user / folder / "notebooks").mkdir(parents=True)
        (homes / user / folder / "notebooks" / "02_tokenizers.ipynb").write_text(text)
    checkpoints = homes / "jupyter-dev" / folder / "notebooks" / ".ipynb_checkpoints"
    checkpoints.mkdir(parents=True)
    (checkpoints / "02_tokenizers-checkpoint.ipynb").write_text('{"dev": 1}')


def test_collect_copies_each_learners_notebook_and_names_whose_is_missing(tmp_path, capsys):
    homes, out = tmp_path / "home", tmp_path / "submissions"
    homes_with_copies(homes, ROOT.name)  # the folder the link to this checkout pulls into
    assert main(["classroom", "collect", "02", "--homes", str(homes), "--out", str(out)]) == 0
    assert {str(p.relative_to(out)): p.read_text() for p in sorted(out.rglob("*.ipynb"))} == {
        "ada/02_tokenizers.ipynb": '{"ada": 1}', "ben/02_tokenizers.ipynb": '{"ben": 1}'}
    report = capsys.readouterr().out
    assert "collected 02_tokenizers.ipynb from 2 learner(s)" in report
    assert "no copy of it in the home of: chloe, dev" in report  # dev's checkpoint is not their notebook


def test_collect_says_what_is_wrong(tmp_path, capsys):
    homes = tmp_path / "home"
    homes_with_copies(homes, "elsewhere")
    assert main(["classroom", "collect", "02", "--homes", str(homes), "--out", str(tmp_path / "s")]) == 1
    assert "collected 02_tokenizers.ipynb from 0 learner(s)" in capsys.readouterr().out  # wrong folder: nothing
    assert main(["classroom", "collect", "02_tokenizers", "--homes", str(homes), "--out", str(tmp_path / "s"),
                 "--folder", "elsewhere"]) == 0
    assert main(["classroom", "collect", "99", "--homes", str(homes)]) == 2
    assert "no notebook '99' in the course" in capsys.readouterr().err
    assert main(["classroom", "collect", "02", "--homes", str(tmp_path / "nowhere")]) == 2
    assert "no such folder" in capsys.readouterr().err


def test_collect_names_the_homes_it_may_not_read(tmp_path, monkeypatch):
    """Homes are closed to other users (TLJH: chmod o-rwx); this runs as root in CI, which reads them all, so the
    refusal is the one the operating system raises for anyone else."""
    from labkit.classroom import collect

    homes = tmp_path / "home"
    homes_with_copies(homes, ROOT.name)
    real = Path.is_file

    def refused(path):
        if "jupyter-ben" in str(path):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(Path, "is_file", refused)
    found = collect.collect("02", homes, tmp_path / "s")
    assert sorted(found.copied) == ["ada"] and found.unreadable == ["ben"]
    assert "could not read the home of: ben (run as root: sudo)" in found.report()
