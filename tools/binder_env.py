"""Write binder/environment.yml from requirements.lock: conda-forge's CPU-only torch, every other pin unchanged, and
the classroom hub's packages (JupyterHub, nbgitpuller) from requirements-classroom.lock.

Run after `make lock` (tests/test_environment_files.py fails while the Binder file is stale):
    python tools/binder_env.py
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"
BINDER_ENV = ROOT / "binder" / "environment.yml"
# Only for the browser tests (tests/e2e): not needed in the Binder image.
NOT_ON_BINDER = {"playwright", "greenlet"}
# The image is also the classroom's single-user image (classroom/z2jh): JupyterHub 5 and nbgitpuller, and what they
# need beyond requirements.lock, at the versions of requirements-classroom.lock (tests/test_hub.py checks the list).
CLASSROOM_LOCK = ROOT / "requirements-classroom.lock"
ON_HUB = {"jupyterhub", "nbgitpuller", "alembic", "mako", "sqlalchemy", "certipy", "cryptography", "oauthlib", "pamela"}

HEADER = """\
# Binder image (repo2docker reads binder/ and ignores the files at the repository root).
# Generated from requirements.lock by tools/binder_env.py; do not edit by hand.
# torch comes from conda-forge's CPU-only build (pytorch-cpu): the default Linux wheel from PyPI brings several GB
# of CUDA libraries that Binder has neither a GPU nor the room for. Every other package: the exact version CI tests.
# binder/postBuild then installs the kit from this repository and prepares the offline models.
"""


def read_lock(path: Path = LOCK) -> dict[str, str]:
    """{normalised name: version} of every `name==version` line."""
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[normalise(name)] = version
    return pins


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def image_pins(lock: Path = LOCK, classroom: Path = CLASSROOM_LOCK) -> dict[str, str]:
    """requirements.lock's pins, and the hub's packages from the classroom lock."""
    hub = {name: version for name, version in read_lock(classroom).items() if name in ON_HUB}
    return read_lock(lock) | hub


def render(pins: dict[str, str], python: str = "3.11") -> str:
    lines = [HEADER, "name: transformers-lab", "channels:", "  - conda-forge", "  - nodefaults", "dependencies:",
             f"  - python={python}", "  - pip", f"  - pytorch-cpu={pins['torch']}",
             "  - nodejs  # npm: labkit prepare fetches bertviz's scripts with it, so the views draw offline",
             "  - pip:"]
    lines += [f"      - {name}=={version}" for name, version in sorted(pins.items())
              if name != "torch" and name not in NOT_ON_BINDER]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    text = render(image_pins())
    if "--check" in sys.argv:
        sys.exit(0 if BINDER_ENV.read_text() == text else "binder/environment.yml is stale: python tools/binder_env.py")
    BINDER_ENV.write_text(text)
    print(f"wrote {BINDER_ENV.relative_to(ROOT)}")
