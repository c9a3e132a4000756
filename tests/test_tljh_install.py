"""classroom/tljh/install.sh, checked without a TLJH server: its syntax, and every pin and path it names exists."""
import re
import subprocess
from pathlib import Path

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
