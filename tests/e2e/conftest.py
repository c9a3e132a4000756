"""A real JupyterLab and a real browser: Debian's Chromium driven by Playwright (no browser download).

`make test-e2e` installs Chromium through apt when it is missing and runs these tests; `.ci/run` calls it.
The server runs on a copy of the course with outputs stripped, so everything the tests see was computed in this
browser session, and it is always stopped (with its kernels) when the session ends.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("LABKIT_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = Path(__file__).parent / "screenshots"
# The flags that keep Chromium quiet on a machine with a closed network.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# JupyterLab user settings: no news pop-up, every cell in the page (no virtual scrolling).
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                        "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


@dataclass
class Lab:
    url: str
    token: str
    root: Path
    log: Path

    @property
    def user_dir(self) -> Path:  # the learner's folder of every kernel (and of labkit's server extension)
        return self.root / "learner"

    def api(self, path: str, method: str = "GET"):
        request = urllib.request.Request(f"{self.url}/api/{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def copy_course(root: Path) -> None:
    """notebooks/ (outputs and execution counts stripped) and assets/, side by side as in the repository."""
    (root / "notebooks").mkdir(parents=True)
    for source in sorted((REPO / "notebooks").glob("*.ipynb")):
        nb = json.loads(source.read_text())
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                cell["outputs"], cell["execution_count"] = [], None
        (root / "notebooks" / source.name).write_text(json.dumps(nb, indent=1))
    shutil.copytree(REPO / "assets", root / "assets")


def stop(process: subprocess.Popen) -> None:
    """SIGTERM to the server's process group (kernels included), SIGKILL after 15 s."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


@contextmanager
def running_lab(root: Path, **env_values: str):
    """JupyterLab on a stripped copy of the course in ``root``, with these extra environment variables; stopped,
    kernels included, on exit."""
    copy_course(root)
    for name, values in LAB_SETTINGS.items():
        path = root / "lab-settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    token, port = secrets.token_hex(16), free_port()
    env = {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(root / "lab-settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(root / "lab-workspaces"), "JUPYTER_RUNTIME_DIR": str(root / "runtime"),
           "LABKIT_USER_DIR": str(root / "learner"), **env_values}
    env.pop("LABKIT_QUIET", None)  # learners' settings: the kernels behave as on a laptop
    log = root / "jupyterlab.log"
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={root / 'notebooks'}", "--ServerApp.allow_root=True"]
    with open(log, "w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=root,
                                   start_new_session=True)
    server = Lab(f"http://127.0.0.1:{port}", token, root, log)
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                pytest.fail(f"JupyterLab exited with code {process.returncode}:\n{server.log_tail()}")
            try:
                server.api("status")
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not answer within 90 s:\n{server.log_tail()}")
                time.sleep(0.5)
        yield server
    finally:
        stop(process)


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    with running_lab(tmp_path_factory.mktemp("course")) as server:
        yield server


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        message = f"no Chromium at {CHROMIUM}: run `make test-e2e` (installs Debian's chromium) or set LABKIT_CHROMIUM"
        if os.environ.get("LABKIT_E2E_REQUIRED"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=60_000)
        try:
            yield browser
        finally:
            browser.close()


LOCAL = ("127.0.0.1", "localhost", "[::1]")


@pytest.fixture
def page(browser, lab):
    """A fresh browser tab that can reach only this machine: every request leaving localhost is aborted and listed
    in ``page.blocked``, as in a classroom with no internet."""
    # service workers would bypass the route below (Playwright cannot see their requests)
    context = browser.new_context(viewport={"width": 1500, "height": 1000}, service_workers="block")
    blocked = []

    def only_local(route):
        host = urllib.parse.urlsplit(route.request.url).hostname or ""
        if route.request.url.startswith(("data:", "blob:")) or host in LOCAL or f"[{host}]" in LOCAL:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    page = context.new_page()
    page.blocked = blocked
    page.set_default_timeout(30_000)
    try:
        yield page
    finally:
        context.close()
        for session in lab.api("sessions"):  # one kernel at a time keeps memory low
            lab.api(f"sessions/{session['id']}", method="DELETE")


TIMES: dict[str, float] = {}  # notebook -> seconds of Run All in the browser, printed at the end


def pytest_terminal_summary(terminalreporter):
    if TIMES:
        terminalreporter.section("Run All in JupyterLab (Chromium), per notebook")
        for name, seconds in TIMES.items():
            terminalreporter.write_line(f"{name:32s} {seconds:6.1f} s")
        terminalreporter.write_line(f"{'all notebooks':32s} {sum(TIMES.values()):6.1f} s")


@pytest.fixture
def screenshot(request):
    """screenshot(page, step) -> tests/e2e/screenshots/<test>-<NN>-<step>.png, kept after the run."""
    SCREENSHOTS.mkdir(exist_ok=True)
    test = request.node.name.removeprefix("test_")
    for old in SCREENSHOTS.glob(f"{test}-*.png"):
        old.unlink()
    taken = []

    def take(page, step: str) -> Path:
        path = SCREENSHOTS / f"{test}-{len(taken) + 1:02d}-{step}.png"
        page.screenshot(path=path)
        taken.append(path)
        return path

    return take
