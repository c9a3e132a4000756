"""What `make` does before the course starts: the Python check, the supported versions, JupyterLab as root."""
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
SUPPORTED = [c.rsplit(" ", 1)[1] for c in PYPROJECT["classifiers"] if c.startswith("Programming Language :: Python ::")]
sys.path.insert(0, str(ROOT / "tools"))
import check_python  # noqa: E402
import latest_report  # noqa: E402  (the lock's pins, by canonical name)


def test_the_supported_versions_start_at_requires_python():
    assert PYPROJECT["requires-python"] == f">={SUPPORTED[0]}"
    assert check_python.supported() == (tuple(int(n) for n in SUPPORTED[0].split(".")), SUPPORTED)
    assert f"Python {SUPPORTED[0]}" in (ROOT / "README.md").read_text()


def uv() -> str | None:
    """The uv that `make install` used: on the PATH, or the one it bootstrapped into build/uv."""
    return shutil.which("uv") or next((str(p) for p in [ROOT / "build/uv/bin/uv"] if p.is_file()), None)


@pytest.mark.parametrize("version", SUPPORTED)
def test_the_lock_installs_from_wheels_on_each_supported_python(version, tmp_path):
    """Every pinned version resolves to a binary wheel for that Python, as pinned (metadata only: nothing installed):
    by uv in seconds, or by pip (a minute or two each) where `make install` found no uv."""
    lock = ROOT / "requirements.lock"
    if found := uv():
        command = [found, "pip", "compile", "--quiet", "--no-header", "--only-binary", ":all:", "--python-version",
                   version, str(lock), "-o", str(tmp_path / "resolved.txt")]
    else:
        command = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
                   "--only-binary=:all:", "--python-version", version, "--target", str(tmp_path / "t"),
                   "--report", str(tmp_path / "report.json"), "-r", str(lock)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    if found:
        resolved = [line.split(" ")[0].split("==") for line in (tmp_path / "resolved.txt").read_text().splitlines()
                    if "==" in line]
    else:
        resolved = [(i["metadata"]["name"], i["metadata"]["version"])
                    for i in json.loads((tmp_path / "report.json").read_text())["install"]]
    chosen = {latest_report.canonical(name): version.split("+")[0] for name, version in resolved}
    locked = latest_report.locked()
    assert {name: chosen.get(name) for name in locked} == locked


def test_an_older_python_is_refused_before_pip_with_what_to_do(tmp_path):
    """`make install` with a Python 3.10 (an interpreter that reports 3.10 to the check) stops with the fix."""
    fake = tmp_path / "python3.10"
    fake.write_text(f"#!/bin/sh\nexec {sys.executable} -c \"import sys, runpy; "
                    "sys.version_info = (3, 10, 12, 'final', 0); sys.argv = sys.argv[1:]; "
                    "runpy.run_path(sys.argv[0], run_name='__main__')\" \"$@\"\n")
    fake.chmod(0o755)
    done = subprocess.run(["make", "-s", "install", f"PYTHON={fake}", f"VENV={tmp_path / 'venv'}"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert f"The kit needs Python {SUPPORTED[0]} or newer" in done.stderr and "this is Python 3.10.12" in done.stderr
    assert f"make lab PYTHON=python{SUPPORTED[0]}" in done.stderr
    assert not (tmp_path / "venv").exists(), "nothing is installed for an unsupported Python"
    assert check_python.problem(sys.version_info) is None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(os.geteuid() != 0, reason="the --allow-root case needs root (containers, CI)")
def test_make_lab_serves_as_root(prepared):
    port, token = free_port(), secrets.token_hex(8)
    args = f"--no-browser --ServerApp.ip=127.0.0.1 --ServerApp.port={port} --IdentityProvider.token={token}"
    lab = subprocess.Popen(["make", "-s", "lab", f"LAB_ARGS={args}"], cwd=ROOT, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert lab.poll() is None, f"make lab exited ({lab.returncode}):\n{lab.stdout.read()[-2000:]}"
            try:
                request = urllib.request.Request(f"http://127.0.0.1:{port}/api/status",
                                                 headers={"Authorization": f"token {token}"})
                with urllib.request.urlopen(request, timeout=5) as response:
                    assert response.status == 200
                break
            except OSError:
                assert time.monotonic() < deadline, "JupyterLab did not answer within 120 s"
                time.sleep(1)
    finally:
        os.killpg(lab.pid, signal.SIGTERM)
        output = lab.communicate(timeout=30)[0]
    assert re.search(r"Running as root .*--allow-root", output), output[-2000:]
