"""Refuse an interpreter that pyproject.toml's requires-python excludes, before pip fails deep in the lock.

Runs under whatever `python3` a learner has, so it sticks to syntax that old versions parse.
"""
import re
import sys
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def supported():
    """(minimum version, the versions listed as supported) from pyproject.toml."""
    text = PYPROJECT.read_text()
    minimum = tuple(int(n) for n in re.search(r'requires-python = ">=(\d+)\.(\d+)"', text).groups())
    listed = re.findall(r'"Programming Language :: Python :: (\d+\.\d+)"', text)
    return minimum, listed


def problem(version):
    """None when ``version`` (a sys.version_info-like tuple) may run the kit, else what to do about it."""
    minimum, listed = supported()
    if tuple(version[:2]) >= minimum:
        return None
    want = "%d.%d" % minimum
    return ("The kit needs Python %s or newer (supported: %s; CI tests %s); this is Python %d.%d.%d at %s.\n"
            "Install a supported Python (python.org, your package manager, e.g. `sudo apt install python%s`, "
            "`brew install python@%s`, or `pyenv install %s`), then point the Makefile at it:\n"
            "    make lab PYTHON=python%s\n"
            "(If .venv was made by the old Python, delete it first: make clean.)"
            % (want, ", ".join(listed), listed[0], version[0], version[1], version[2], sys.executable,
               want, want, want, want))


if __name__ == "__main__":
    message = problem(sys.version_info)
    if message:
        sys.stderr.write(message + "\n")
        sys.exit(1)
