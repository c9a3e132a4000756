"""Every shell script of the kit passes ShellCheck (Debian's, which `make classroom` installs with apt)."""
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def shell_scripts() -> list[Path]:
    """Tracked files that start with a bash or sh shebang (install.sh, .ci/run, binder/postBuild, ...)."""
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    found = []
    for name in tracked.split():
        path = ROOT / name
        if path.is_file() and path.suffix in ("", ".sh"):
            with open(path, "rb") as f:
                first = f.readline()
            if first.startswith(b"#!") and (b"bash" in first or first.rstrip().endswith(b"/sh")):
                found.append(path)
    return found


def test_the_scripts_are_found():
    names = {str(p.relative_to(ROOT)) for p in shell_scripts()}
    assert {"classroom/tljh/install.sh", "classroom/tljh/nbgrader_extensions.sh", "classroom/z2jh/build-image.sh",
            ".ci/run", "binder/postBuild"} <= names


@pytest.mark.skipif(not shutil.which("shellcheck"), reason="no shellcheck: `make classroom` installs it (apt)")
def test_shellcheck_finds_nothing():
    done = subprocess.run(["shellcheck", *map(str, shell_scripts())], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
