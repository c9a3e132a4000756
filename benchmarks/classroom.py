"""A class on one server, measured: 1, 3 and 5 learners at once run heavy notebooks through a real hub.

Each learner's server (jupyterhub-singleuser) and kernel are sampled every half second for their PSS (proportional
set size: a page shared by several processes counts once, split between them, so the learners' figures add up to
the server's real use) and CPU time; each learner's wall time is from the first cell sent to the last cell's reply.
The results go to assets/classroom_sizing.json, from which `tools/course_tables.py` writes docs/instructor.md's
sizing table. Run by `make benchmark-classroom` (about an hour on 2 cores).

    python benchmarks/classroom.py [--learners 1 3 5] [--notebooks 04 06 08] [--save]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

from labkit.classroom.link import ROOT, notebook_path, pull_link
from labkit.settings import kit_home

sys.path.insert(0, str(ROOT / "tests"))  # the hub driver is the tests' support code, not part of labkit
from support.hub import LocalHub, processes  # noqa: E402

RESULTS = ROOT / "assets" / "classroom_sizing.json"
TARGET = "transformers-lab-kit"
TICK = os.sysconf("SC_CLK_TCK")


def pss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime
    except OSError:
        return 0.0


class Sampler(threading.Thread):
    """Peak PSS per learner of the group (their server and kernels together), of everything else ("hub+proxy": the
    hub, its proxy and the idle servers of learners outside the group) and of everything at once."""

    def __init__(self, hub: LocalHub, names: list[str]):
        super().__init__(daemon=True)
        self.hub, self.names, self.done = hub, names, threading.Event()
        self.peak = {name: 0.0 for name in names} | {"hub+proxy": 0.0, "total": 0.0}
        self.cpu = {name: {} for name in names}  # pid -> last CPU seconds seen

    def run(self):
        while not self.done.wait(0.5):
            now = {name: 0.0 for name in self.names} | {"hub+proxy": 0.0}
            for pid, _ in processes(f"LABKIT_HUB_ID={self.hub.hub_id}"):
                user = learner_of(pid)
                key = user if user in now else "hub+proxy"
                now[key] += pss_mb(pid)
                if user in self.cpu:
                    self.cpu[user][pid] = cpu_s(pid)
            now["total"] = sum(now.values())
            for key, value in now.items():
                self.peak[key] = max(self.peak[key], value)


def learner_of(pid: int) -> str | None:
    try:
        for item in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"):
            if item.startswith(b"JUPYTERHUB_USER="):
                return item.split(b"=", 1)[1].decode()
    except OSError:
        pass
    return None


def code_cells(number: str) -> list[tuple[str, bool]]:
    """(source, raises on purpose) of each code cell of the course notebook ``number``."""
    nb = json.loads((ROOT / notebook_path(number)).read_text())
    return [("".join(c["source"]), "raises-exception" in c.get("metadata", {}).get("tags", []))
            for c in nb["cells"] if c["cell_type"] == "code"]


def run_all(hub: LocalHub, name: str, token: str, number: str) -> float:
    """Run All of notebook ``number`` in a new kernel of ``name``'s server; return the wall seconds."""
    kernel = hub.kernel(name, token, path=f"{TARGET}/notebooks")
    begin = time.monotonic()
    try:
        for source, raises in code_cells(number):
            try:
                kernel.run(source, timeout=1800)
            except RuntimeError:
                if not raises:
                    raise
        return time.monotonic() - begin
    finally:
        kernel.shutdown()


def measure(learners: list[int], notebooks: list[str]) -> dict:
    with tempfile.TemporaryDirectory(prefix="labkit-classroom-") as tmp:
        tmp = Path(tmp)
        repo = tmp / f"{TARGET}.git"
        subprocess.run(["git", "clone", "--quiet", "--bare", str(ROOT), str(repo)], check=True)
        hub = LocalHub(root=tmp / "hub", kit_home=kit_home(),
                       kernel_python=os.environ.get("LABKIT_KERNEL_PYTHON", str(ROOT / ".venv/bin/python")))
        runs = []
        try:
            started = hub.start()
            names = [f"learner{i}" for i in range(1, max(learners) + 1)]
            spawn = hub.spawn(names)
            tokens = {n: hub.user_token(n) for n in names}
            link = pull_link(hub.url, repo=f"file://{repo}")
            for n in names:
                hub.pull(n, tokens[n], link)
            print(f"hub answered in {started:.1f} s; {len(names)} servers ready in {max(spawn.values()):.1f} s",
                  flush=True)
            for number in notebooks:
                for count in learners:
                    group = names[:count]
                    sampler = Sampler(hub, group)
                    sampler.start()
                    with ThreadPoolExecutor(count) as pool:
                        walls = list(pool.map(lambda n: run_all(hub, n, tokens[n], number), group))
                    sampler.done.set()
                    sampler.join()
                    run = {"notebook": number, "learners": count,
                           "wall_s": [round(w, 1) for w in walls],
                           "pss_mb": [round(sampler.peak[n]) for n in group],
                           "cpu_s": [round(sum(sampler.cpu[n].values()), 1) for n in group],
                           "hub_proxy_pss_mb": round(sampler.peak["hub+proxy"]),
                           "total_pss_mb": round(sampler.peak["total"])}
                    runs.append(run)
                    print(f"{number} x{count}: wall {max(walls):6.1f} s, peak PSS per learner "
                          f"{max(run['pss_mb'])} MB, CPU per learner {max(run['cpu_s'])} s, "
                          f"server total {run['total_pss_mb']} MB", flush=True)
        finally:
            hub.stop()
    return {"measured": date.today().isoformat(), "cores": os.cpu_count(), "python": platform.python_version(),
            "hub_start_s": round(started, 1), "spawn_s": {n: round(s, 1) for n, s in spawn.items()}, "runs": runs}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", nargs="+", type=int, default=[1, 3, 5])
    parser.add_argument("--notebooks", nargs="+", default=["04", "06", "08"])
    parser.add_argument("--save", action="store_true", help=f"write {RESULTS.relative_to(ROOT)}")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a killed run still stops its hub (measure's finally)
    results = measure(args.learners, args.notebooks)
    if args.save:
        RESULTS.write_text(json.dumps(results, indent=1) + "\n")
        print(f"saved {RESULTS.relative_to(ROOT)}; run `make tables` for docs/instructor.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
