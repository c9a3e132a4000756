"""Each submission's kernel in a sandbox that needs no Docker: prlimit, bubblewrap, setpriv (Linux).

A submitted notebook is someone else's code, and the grader runs it. The kernel spec written by ``kernel_spec`` starts
``python -m labkit.grading.sandbox``, which runs the kernel as::

    prlimit (memory, CPU seconds, processes, file size)
      bwrap: new mount, PID, network, IPC and UTS namespaces; /usr and /etc, the kernel's Python and the kit home
             read-only; a throwaway home, /tmp and copy of the working folder; --die-with-parent
        setpriv (when the grader is root): an unprivileged user, no capabilities, no new privileges
          python -m ipykernel_launcher

so that it sees nothing of the instructor's files but the notebook's own folder (a copy), reaches no network, signals
no process outside, and cannot outgrow its limits. Jupyter talks to it over ``ipc`` sockets in a folder both sides
see (over TCP a kernel with no network never answers), and interrupts it by message (bubblewrap dies on SIGINT).
Run as root, bubblewrap sets up the mounts with root's rights (so it can read a Python under /root) and the kernel
then drops to the sandbox user; run as anyone else, bubblewrap uses a user namespace and the kernel keeps that user.
"""
from __future__ import annotations

import argparse
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

KERNEL_NAME = "labkit-sandbox"
TOOLS = {"bwrap": "bubblewrap", "prlimit": "util-linux", "setpriv": "util-linux"}


@dataclass(frozen=True)
class Limits:
    memory_mb: int = 6144  # address space: importing torch maps ~600 MB of it for ~200 MB resident
    cpu_seconds: int = 900
    processes: int = 512  # threads count too (torch starts one per core)
    file_mb: int = 200


def missing_tools() -> list[str]:
    """What the sandbox needs and this machine lacks, as install hints."""
    if not sys.platform.startswith("linux"):
        return [f"Linux (this is {sys.platform}): the sandbox uses Linux namespaces"]
    return [f"{tool} (Debian/Ubuntu package {package})" for tool, package in TOOLS.items() if not shutil.which(tool)]


def readable_paths(python: str) -> list[str]:
    """The folders the kernel's Python needs to see: its prefixes and import path (for an editable install of
    labkit, only the package folder, not the whole checkout that holds it)."""
    probe = ("import json, sys, importlib.util as u; spec = u.find_spec('labkit'); "
             "print(json.dumps([sys.prefix, sys.base_prefix, sys.executable, *sys.path, "
             "spec.submodule_search_locations[0] if spec else '']))")
    found = json.loads(subprocess.run([python, "-c", probe], capture_output=True, text=True, check=True).stdout)
    prefix, base, executable, *path, package = found
    paths = {prefix, base, str(Path(os.path.realpath(executable)).parent.parent)}
    for entry in path:
        if entry and Path(entry).exists() and not (package and Path(package).parent == Path(entry)):
            paths.add(entry)
    if package:
        paths.add(package)
    keep = sorted(p for p in paths if p and Path(p).exists())
    return [p for p in keep if not any(p != q and p.startswith(q.rstrip("/") + "/") for q in keep)]


def kernel_spec(folder: Path, python: str, *, user: str, limits: Limits, ro_paths: list[str]) -> str:
    """Write ``folder/kernels/labkit-sandbox/kernel.json`` (put ``folder`` on JUPYTER_PATH) and the folders its
    kernels use: ``folder/ipc`` (Jupyter's sockets: set KernelManager.ip to ``ipc_address(folder)``) and
    ``folder/scratch`` (each kernel's throwaway home and working copy). Return the kernel spec's name."""
    spec = folder / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True, exist_ok=True)
    for shared in ("ipc", "scratch"):
        (folder / shared).mkdir(exist_ok=True)
    (folder / "ipc").chmod(0o1777)  # the kernel, as the sandbox user, creates its sockets there
    options = {"python": python, "user": user, "limits": limits.__dict__, "ro_paths": ro_paths,
               "ipc_dir": str(folder / "ipc"), "scratch_dir": str(folder / "scratch")}
    (spec / "options.json").write_text(json.dumps(options, indent=1))
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "labkit.grading.sandbox", str(spec / "options.json"), "{connection_file}"],
        "display_name": "Python (labkit sandbox)", "language": "python", "interrupt_mode": "message",
        "metadata": {"debugger": False}}, indent=1))
    return KERNEL_NAME


def ipc_address(folder: Path) -> str:
    return str(folder / "ipc" / "kernel")


def command(options: dict, connection_file: str, workdir: Path, scratch: Path) -> list[str]:
    """The whole chain, from prlimit to the kernel, for one kernel whose throwaway folders are in ``scratch``."""
    limits = Limits(**options["limits"])
    root = os.geteuid() == 0
    home, work = scratch / "home", scratch / "work"
    mb = 1024 * 1024
    chain = ["prlimit", f"--as={limits.memory_mb * mb}", f"--cpu={limits.cpu_seconds}",
             f"--nproc={limits.processes}", f"--fsize={limits.file_mb * mb}", "--core=0", "--"]
    chain += ["bwrap", "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-net", "--unshare-ipc",
              "--unshare-uts", "--unshare-cgroup-try", "--hostname", "sandbox"]
    if not root:
        chain += ["--unshare-user"]
    chain += ["--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc", "--proc", "/proc", "--dev", "/dev",
              "--tmpfs", "/tmp"]
    for link in ("bin", "lib", "lib64", "sbin"):
        if Path(f"/{link}").is_symlink():
            chain += ["--symlink", os.readlink(f"/{link}"), f"/{link}"]
    targets = [*options["ro_paths"], str(workdir), options["ipc_dir"]]
    parents = sorted({str(a) for t in targets for a in Path(t).parents if str(a) not in ("/", "/tmp")},
                     key=lambda a: a.count("/"))
    for folder in parents:  # bwrap would copy each parent's mode (/root is 0700): make them traversable
        chain += ["--perms", "0755", "--dir", folder]
    for path in options["ro_paths"]:
        chain += ["--ro-bind", path, path]
    chain += ["--bind", str(home), "/tmp/home", "--bind", str(work), str(workdir),
              "--bind", options["ipc_dir"], options["ipc_dir"], "--ro-bind", connection_file, "/tmp/connection.json",
              "--chdir", str(workdir), "--clearenv"]
    env = {"HOME": "/tmp/home", "LABKIT_USER_DIR": "/tmp/home/labkit", "PATH": "/usr/bin:/bin",
           "MALLOC_ARENA_MAX": "2", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "LANG": "C.UTF-8",
           "MPLBACKEND": "agg", "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "2")}
    env |= {k: v for k, v in os.environ.items() if k.startswith("LABKIT_") and k != "LABKIT_USER_DIR"}
    for key, value in env.items():
        chain += ["--setenv", key, value]
    chain += ["--"]
    if root:
        user = pwd.getpwnam(options["user"])
        chain += ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups",
                  "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all", "--"]
    return chain + [options["python"], "-m", "ipykernel_launcher", "-f", "/tmp/connection.json",
                    "--HistoryManager.hist_file=:memory:"]


def main(argv: list[str] | None = None) -> int:
    """The kernel spec's command: copy what the kernel may see into a scratch folder, then run it sandboxed."""
    parser = argparse.ArgumentParser(prog="python -m labkit.grading.sandbox")
    parser.add_argument("options")
    parser.add_argument("connection_file")
    args = parser.parse_args(argv)
    options = json.loads(Path(args.options).read_text())
    workdir = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="kernel-", dir=options["scratch_dir"]) as scratch:
        scratch = Path(scratch)
        shutil.copytree(workdir, scratch / "work", symlinks=True)  # the notebook's folder, a copy the kernel may spoil
        (scratch / "home").mkdir()
        connection = scratch / "connection.json"
        shutil.copy(args.connection_file, connection)  # root's runtime folder is private: hand the file in
        if os.geteuid() == 0:
            user = pwd.getpwnam(options["user"])
            for path in (scratch / "home", scratch / "work", *(scratch / "work").rglob("*")):
                os.chown(path, user.pw_uid, user.pw_gid, follow_symlinks=False)
            os.chown(connection, user.pw_uid, user.pw_gid)
        return subprocess.run(command(options, str(connection), workdir, scratch)).returncode


if __name__ == "__main__":
    sys.exit(main())
