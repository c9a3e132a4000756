"""A real JupyterHub on localhost, driven through its REST API only, and a kernel in a learner's server driven over
Jupyter's websocket protocol as JupyterLab drives it: for the hub test and ``benchmarks/classroom.py`` (test support,
not part of the installed ``labkit``).

The hub runs from the classroom environment (JupyterHub 5, nbgitpuller, nbgrader) with its own proxy
(configurable-http-proxy from npm), the dummy authenticator and either ``SimpleLocalProcessSpawner`` (every learner a
folder under ``root/homes``, all running as this user) or, with ``unix_users`` and as root, ``LocalProcessSpawner``
(each learner a Unix user with their own home, as on TLJH). It loads the
classroom's own settings (``classroom/tljh/labkit_config.py``, the file TLJH gets), so the test proves them. Kernels
run the course's Python through a ``python3`` kernel spec, as one environment on TLJH would.

Every process it starts carries ``LABKIT_HUB_ID`` in its environment, so ``leftovers()`` finds any that outlive
``stop()``.
"""
from __future__ import annotations

import json
import os
import pwd
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlparse

import requests

from labkit.classroom.link import ROOT

CLASSROOM_CONFIG = ROOT / "classroom" / "tljh" / "labkit_config.py"
PROXY = ROOT / "classroom" / "proxy" / "node_modules" / ".bin" / "configurable-http-proxy"

HUB_CONFIG = """\
c = get_config()  # noqa: F821
load_subconfig({classroom!r})  # noqa: F821
c.JupyterHub.ip, c.JupyterHub.port, c.JupyterHub.hub_port = "127.0.0.1", {port}, {hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api_port}"
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.ConfigurableHTTPProxy.pid_file = {root!r} + "/proxy.pid"
c.JupyterHub.db_url = "sqlite:///" + {root!r} + "/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = {root!r} + "/cookie_secret"
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
{spawner}
c.Spawner.cmd = {singleuser!r}
c.Spawner.args = {args!r}
c.Spawner.environment.update({environment!r})
c.Spawner.start_timeout = c.Spawner.http_timeout = 300
c.JupyterHub.slow_spawn_timeout = 0  # POST /users/{{name}}/server answers at once (202) instead of waiting 10 s
c.JupyterHub.services = [{{"name": "instructor", "api_token": {token!r}}}]
c.JupyterHub.load_roles = [{{"name": "instructor", "services": ["instructor"],
                            "scopes": ["admin:users", "admin:servers", "tokens", "access:servers"]}}]
"""
SIMPLE_SPAWNER = ('c.JupyterHub.spawner_class = "simple"\n'
                  'c.SimpleLocalProcessSpawner.home_dir_template = {root!r} + "/homes/{{username}}"')
# As TLJH runs them: each learner's server as their own Unix user, in their home (/home/<name>)
UNIX_SPAWNER = 'c.JupyterHub.spawner_class = "localprocess"'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kernel_spec(folder: Path, python: str) -> Path:
    """A ``python3`` kernel spec running ``python`` (the course's packages) under ``folder/kernels``."""
    spec = folder / "kernels" / "python3"
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (Transformers Lab Kit)", "language": "python"}))
    return folder


@dataclass
class LocalHub:
    root: Path  # scratch: config, database, logs, the learners' homes
    kernel_python: str  # the course's Python (.venv/bin/python)
    kit_home: Path  # the shared kit home every learner reads
    server_bin: Path = Path(sys.executable).parent  # jupyterhub and jupyterhub-singleuser
    environment: dict = field(default_factory=dict)  # more settings for every learner
    port: int = field(default_factory=free_port)
    token: str = field(default_factory=lambda: secrets.token_hex(16))  # the instructor service's
    hub_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    process: subprocess.Popen | None = None
    started_in: float = 0.0
    unix_users: bool = False  # each learner a Unix user (made beforehand): LocalProcessSpawner, as root

    def home(self, name: str) -> Path:
        return Path(pwd.getpwnam(name).pw_dir) if self.unix_users else self.root / "homes" / name

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120) -> float:
        """Start the hub and its proxy; return the seconds until the REST API answered."""
        if not PROXY.exists():
            raise FileNotFoundError(f"no proxy at {PROXY}: run `npm ci --prefix {PROXY.parents[2]}` "
                                    "(make classroom does)")
        self.root.mkdir(parents=True, exist_ok=True)
        kernel_python, singleuser = self.kernel_python, [str(self.server_bin / "jupyterhub-singleuser")]
        if self.unix_users:  # the learners run what they can read, under an interpreter they can run
            kernel_python = python_for_all(kernel_python, self.root / "kernel-python")
            singleuser = [python_for_all(str(self.server_bin / "python"), self.root / "server-python"), "-m",
                          "jupyterhub.singleuser"]
        env = {"LABKIT_HUB_ID": self.hub_id, "LABKIT_QUIET": "1",
               "JUPYTER_PATH": str(kernel_spec(self.root / "share", kernel_python))} | self.environment
        (self.root / "jupyterhub_config.py").write_text(HUB_CONFIG.format(
            classroom=str(CLASSROOM_CONFIG), port=self.port, hub_port=free_port(), proxy_api_port=free_port(),
            proxy=str(PROXY), root=str(self.root), singleuser=singleuser,
            spawner=UNIX_SPAWNER if self.unix_users else SIMPLE_SPAWNER.format(root=str(self.root)),
            args=["--allow-root"] if os.geteuid() == 0 and not self.unix_users else [], environment=env,
            token=self.token))
        env["LABKIT_HOME"] = str(self.kit_home)  # the hub's own: labkit_config.py hands it to every learner
        begin = time.monotonic()
        with open(self.root / "hub.log", "w") as log:
            self.process = subprocess.Popen(
                [str(self.server_bin / "jupyterhub"), "-f", "jupyterhub_config.py"], cwd=self.root, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
                env=dict(os.environ, **env, PATH=f"{self.server_bin}{os.pathsep}{os.environ['PATH']}"))
        while time.monotonic() - begin < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"the hub exited ({self.process.returncode}): see {self.root / 'hub.log'}")
            try:
                if requests.get(f"{self.url}/hub/api/", timeout=2).ok:
                    self.started_in = time.monotonic() - begin
                    return self.started_in
            except requests.ConnectionError:
                pass
            time.sleep(0.3)
        raise TimeoutError(f"the hub did not answer in {timeout:.0f} s: see {self.root / 'hub.log'}")

    def api(self, method: str, path: str, token: str | None = None, **kwargs) -> requests.Response:
        return requests.request(method, f"{self.url}/hub/api{path}", timeout=60,
                                headers={"Authorization": f"token {token or self.token}"}, **kwargs)

    def spawn(self, names: list[str], timeout: float = 300) -> dict[str, float]:
        """Create the learners and start all their servers at once; return each one's seconds until ready."""
        self.api("POST", "/users", json={"usernames": names}).raise_for_status()
        begin, waiting, ready = time.monotonic(), set(names), {}
        for name in names:  # slow_spawn_timeout 0: each answers 202 at once, so the spawns run concurrently
            r = self.api("POST", f"/users/{name}/server")
            if r.status_code not in (201, 202):
                raise RuntimeError(f"spawning {name}: {r.status_code} {r.text}")
        while waiting and time.monotonic() - begin < timeout:
            for name in sorted(waiting):
                server = self.api("GET", f"/users/{name}").json()["servers"].get("", {})
                if server.get("ready"):
                    ready[name] = time.monotonic() - begin
                    waiting.discard(name)
                elif not server.get("pending"):
                    raise RuntimeError(f"{name}'s server failed to start: see {self.root / 'hub.log'}")
            time.sleep(0.3)
        if waiting:
            raise TimeoutError(f"servers not ready after {timeout:.0f} s: {sorted(waiting)}")
        return ready

    def user_token(self, name: str) -> str:
        """A token of the learner's own (the rights of a logged-in learner: their own server only)."""
        r = self.api("POST", f"/users/{name}/tokens", json={"note": "hub test", "expires_in": 3600})
        r.raise_for_status()
        return r.json()["token"]

    def login(self, name: str) -> requests.Session:
        """A browser's session: logged in on the hub's login form (the dummy authenticator takes any password)."""
        session = requests.Session()
        session.get(f"{self.url}/hub/login", timeout=60).raise_for_status()
        r = session.post(f"{self.url}/hub/login", allow_redirects=False, timeout=60, data={
            "username": name, "password": "any", "_xsrf": session.cookies.get("_xsrf", "")})
        if r.status_code != 302:
            raise RuntimeError(f"logging in {name}: {r.status_code}")
        return session

    def server(self, name: str, path: str, token: str, method: str = "GET", **kwargs) -> requests.Response:
        """A request to ``name``'s single-user server through the proxy (``/user/<name>/<path>``)."""
        return requests.request(method, f"{self.url}/user/{name}/{path}", timeout=120,
                                headers={"Authorization": f"token {token}"}, **kwargs)

    def pull(self, name: str, token: str, link: str) -> list[dict]:
        """Follow an nbgitpuller link (``labkit classroom link``) as ``name``: the hub must send it to their own server,
        whose nbgitpuller then pulls (its own endpoint, the one its page streams); return its progress events."""
        query = urlparse(link).query
        browser, url = self.login(name), f"{self.url}/hub/user-redirect/git-pull?{query}"
        for _ in range(5):  # the hub's own redirects (user-redirect, spawn page), until the learner's server
            r = browser.get(url, allow_redirects=False, timeout=60)
            url = urljoin(url, r.headers.get("Location", ""))
            if r.status_code != 302 or not urlparse(url).path.startswith("/hub/"):
                break
        if not url.startswith(f"{self.url}/user/{name}/git-pull?"):
            raise RuntimeError(f"the hub sent {name}'s link to {r.status_code} {url}")
        r = self.server(name, f"git-pull/api?{query}", token, stream=True)
        r.raise_for_status()
        events = [json.loads(line[5:]) for line in r.iter_lines(decode_unicode=True) if line.startswith("data:")]
        if not events or events[-1].get("phase") != "finished":
            raise RuntimeError(f"nbgitpuller did not finish for {name}: {events[-3:]}")
        return events

    def kernel(self, name: str, token: str, path: str = "") -> Kernel:
        """A new kernel in ``name``'s server (the python3 spec: the course's Python), its cwd the folder ``path``."""
        r = self.server(name, "api/sessions", token, "POST", json={
            "path": f"{path}/hub-test-{uuid.uuid4().hex[:6]}.ipynb".lstrip("/"), "type": "notebook",
            "kernel": {"name": "python3"}})
        r.raise_for_status()
        return Kernel(self, name, token, r.json()["kernel"]["id"])

    def stop(self, timeout: float = 60) -> None:
        """Stop every server, then the hub (which stops its proxy)."""
        if self.process is None:
            return
        if self.process.poll() is None:
            for user in self.api("GET", "/users").json():
                if user["servers"]:
                    self.api("DELETE", f"/users/{user['name']}/server")
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None

    def leftovers(self) -> list[str]:
        """Processes started by this hub that still run: 'pid command' each."""
        return [f"{pid} {cmd}" for pid, cmd in processes(f"LABKIT_HUB_ID={self.hub_id}")]


def python_for_all(python: str, folder: Path) -> str:
    """``python``'s packages under an interpreter every Unix user may run: the venvs here may stand on an interpreter
    in a folder only root can enter (pyenv under /root). A venv of the system's Python of the same version, whose
    site-packages adds ``python``'s (a .pth line), and whose etc/ and share/ are ``python``'s (Jupyter's settings and
    data: server extensions, JupyterLab's files); the packages are read from where they are installed."""
    ask = "import site, sys; print(site.getsitepackages()[0], sys.prefix, '%d.%d' % sys.version_info[:2])"
    site_packages, prefix, version = subprocess.run([python, "-c", ask], capture_output=True, text=True,
                                                    check=True).stdout.split()
    system = Path(f"/usr/bin/python{version}")
    if not system.exists():
        raise FileNotFoundError(f"no {system}: the hub test's Unix users need the system's Python {version} "
                                f"(apt install python{version})")
    subprocess.run([str(system), "-m", "venv", "--without-pip", str(folder)], check=True)
    (folder / "lib" / f"python{version}" / "site-packages" / "course.pth").write_text(
        f"import site; site.addsitedir({site_packages!r})\n")
    for shared in ("etc", "share"):
        if (Path(prefix) / shared).exists():
            (folder / shared).symlink_to(Path(prefix) / shared)
    return str(folder / "bin" / "python")


def processes(marker: str) -> list[tuple[int, str]]:
    """(pid, command line) of each process whose environment holds ``marker`` ('KEY=value')."""
    found, needle = [], marker.encode() + b"\0"
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if needle in (entry / "environ").read_bytes() + b"\0":
                    found.append((int(entry.name), (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()))
            except OSError:  # gone, or not ours to read
                pass
    return found


@dataclass
class Kernel:
    hub: LocalHub
    name: str
    token: str
    id: str

    def run(self, code: str, timeout: float = 600) -> str:
        """Execute ``code``; return what it printed and its result; raise with the traceback on an error."""
        import websocket  # websocket-client, a dependency of jupyter_server

        ws = websocket.create_connection(
            f"ws://127.0.0.1:{self.hub.port}/user/{self.name}/api/kernels/{self.id}/channels",
            header=[f"Authorization: token {self.token}"], timeout=timeout)
        msg_id = uuid.uuid4().hex
        ws.send(json.dumps({"channel": "shell", "header": {
            "msg_id": msg_id, "msg_type": "execute_request", "session": uuid.uuid4().hex, "username": self.name,
            "version": "5.3"}, "parent_header": {}, "metadata": {}, "content": {
            "code": code, "silent": False, "store_history": True, "user_expressions": {}, "allow_stdin": False,
            "stop_on_error": True}}))
        out, error, idle, replied = [], None, False, False
        try:
            while not (idle and replied):
                msg = json.loads(ws.recv())
                if msg.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                kind, content = msg["msg_type"], msg["content"]
                if kind == "stream":
                    out.append(content["text"])
                elif kind in ("execute_result", "display_data"):
                    out.append(content["data"].get("text/plain", "") + "\n")
                elif kind == "error":
                    error = "\n".join(content["traceback"])
                idle |= kind == "status" and content["execution_state"] == "idle"
                replied |= kind == "execute_reply"
        finally:
            ws.close()
        if error:
            raise RuntimeError(f"{self.name}'s kernel raised:\n{error}")
        return "".join(out)

    def shutdown(self) -> None:
        self.hub.server(self.name, f"api/kernels/{self.id}", self.token, "DELETE")
