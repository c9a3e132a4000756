"""classroom/tljh/install.sh, checked without a TLJH server: its syntax, and every pin and path it names exists."""
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
INSTALL = ROOT / "classroom" / "tljh" / "install.sh"


def test_install_sh_parses():
    for script in (INSTALL, INSTALL.with_name("nbgrader_extensions.sh")):  # the second one runs in tests/test_hub.py
        done = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr


def test_every_pin_it_reads_is_in_its_lock():
    pins = re.findall(r"\$\(pin ([\w.-]+) ([\w.-]+)\)", INSTALL.read_text())
    assert {name for name, _ in pins} >= {"torch", "nbgitpuller", "nbgrader"}
    for name, lock in pins:
        assert re.search(rf"^{re.escape(name)}==\S+", (ROOT / lock).read_text(), re.M), f"{name} is not in {lock}"


def test_every_file_of_the_kit_it_names_exists():
    paths = re.findall(r'\$KIT/([\w./-]+)', INSTALL.read_text())
    assert "jupyter-config/labkit.json" in paths and "requirements.lock" in paths
    assert [p for p in paths if not (ROOT / p).exists()] == []


def test_it_installs_what_grading_and_the_offline_views_need():
    """bubblewrap for `labkit grade`'s sandbox, and its unprivileged user; npm for 06's and 09's offline assets."""
    text = INSTALL.read_text()
    apt = re.search(r"apt-get install[^\n]*", text).group(0).split()
    assert "bubblewrap" in apt and "npm" in apt
    assert re.search(r"useradd --system [^\n]*labkit-grader", text)


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("runuser"), reason="creates a Unix user: run as root")
def test_a_learner_can_pull_the_course_installed_by_root():
    """The links pull from the root-owned checkout install.sh ran from: as another Unix user, git refuses it until
    install.sh's safe.directory line has run, then clones it."""
    line = re.search(r"^git config --system --get-all safe.directory .*$", INSTALL.read_text(), re.M).group(0)
    tmp_path = Path(tempfile.mkdtemp(prefix="labkit-tljh-"))  # outside pytest's folders, which only root can enter
    tmp_path.chmod(0o755)
    kit, system_config, learner = tmp_path / "transformers-lab", tmp_path / "gitconfig", f"labkit-t{os.getpid()}"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(kit)], check=True)
    subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", learner], check=True)
    try:
        def clone(folder):
            home = tmp_path / folder
            home.mkdir()
            shutil.chown(home, learner)  # the learner's own home
            return subprocess.run(["runuser", "-u", learner, "--", "env", f"HOME={home}",
                                   f"GIT_CONFIG_SYSTEM={system_config}", "git", "clone", "--quiet",
                                   f"file://{kit}", str(home / "course")], capture_output=True, text=True)

        refused = clone("before")
        assert refused.returncode != 0 and "dubious ownership" in refused.stderr
        as_root = {**os.environ, "KIT": str(kit), "GIT_CONFIG_SYSTEM": str(system_config)}
        for _ in range(2):  # install.sh run again (an update) adds nothing
            subprocess.run(["bash", "-c", line], env=as_root, check=True)
        assert system_config.read_text().count("directory =") == 1
        pulled = clone("after")
        assert pulled.returncode == 0, pulled.stderr
        assert (tmp_path / "after" / "course" / "notebooks" / "00_setup_check.ipynb").is_file()
    finally:
        subprocess.run(["userdel", learner], check=False)
        shutil.rmtree(tmp_path)
