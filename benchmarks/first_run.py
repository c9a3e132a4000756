"""A new learner's first minutes: `make lab` on a fresh clone with an empty kit home, timed to four milestones.

    make benchmark-first-run                      # or: .venv/bin/python benchmarks/first_run.py [options]
    .venv/bin/python benchmarks/first_run.py --ref a90cdeb --installer pip    # an older commit, for comparison
    .venv/bin/python benchmarks/first_run.py --installers                     # pip vs uv pip, empty and warm cache

Seconds from starting `make lab` to: the environment installed, JupyterLab answering, notebook 00 run to its last
cell in Chromium (Run All, as a learner does), every offline asset ready. Package caches are this machine's own
(warm once anything was installed); the kit home starts empty. `--installers` instead installs the lock into fresh
virtual environments with pip and with uv, from an empty cache and then a warm one, and prints the ratios.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
from conftest import CHROMIUM, CHROMIUM_ARGS, LAB_SETTINGS, Lab, free_port, stop  # noqa: E402
from lab_ui import open_notebook, run_all  # noqa: E402

from labkit.assets import ASSETS  # noqa: E402
from labkit.background import PROGRESS  # noqa: E402

FIRST = "00_setup_check.ipynb"


def find_uv(tmp: Path) -> str:
    """uv from the PATH; "" where there is none, so that `make install` bootstraps it, as on a learner's machine."""
    return shutil.which("uv") or ""


def clone(tmp: Path, ref: str | None) -> Path:
    course = tmp / "course"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(course)], check=True)
    if ref:
        subprocess.run(["git", "-C", str(course), "checkout", "-q", ref], check=True)
    return course


def assets_ready(home: Path) -> bool:
    return not (home / PROGRESS).exists() and all((home / a.folder / "MANIFEST.json").is_file() for a in ASSETS)


def first_run(tmp: Path, ref: str | None, uv: str) -> dict[str, float]:
    course, home = clone(tmp, ref), tmp / "kit-home"
    for name, values in LAB_SETTINGS.items():
        (tmp / "lab-settings" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp / "lab-settings" / name).write_text(json.dumps(values))
    token, port = secrets.token_hex(16), free_port()
    env = {**os.environ, "LABKIT_HOME": str(home), "LABKIT_USER_DIR": str(tmp / "learner"), "UV": uv,
           "JUPYTERLAB_SETTINGS_DIR": str(tmp / "lab-settings"), "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces")}
    for name in ("LABKIT_QUIET", "CI", "VIRTUAL_ENV"):  # as on a learner's laptop
        env.pop(name, None)
    lab_args = (f"--no-browser --ServerApp.ip=127.0.0.1 --ServerApp.port={port} --ServerApp.port_retries=0 "
                f"--IdentityProvider.token={token}")
    log = tmp / "make-lab.log"
    started = time.monotonic()
    with open(log, "w") as out:
        make = subprocess.Popen(["make", "lab", f"LAB_ARGS={lab_args}"], cwd=course, env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    lab, times = Lab(f"http://127.0.0.1:{port}", token, course, log), {}

    def mark(name: str) -> None:
        times[name] = time.monotonic() - started
        print(f"{times[name]:7.1f} s  {name}", flush=True)

    try:
        while "JupyterLab answering" not in times:
            if make.poll() is not None:
                raise SystemExit(f"make lab exited with {make.returncode}:\n{lab.log_tail()}")
            if "environment installed" not in times and (course / ".venv/bin/.installed").exists():
                mark("environment installed")
            try:
                lab.api("status")
                mark("JupyterLab answering")
            except OSError:
                time.sleep(0.5)
        raising = {i for i, c in enumerate(c for c in json.loads((course / "notebooks" / FIRST).read_text())["cells"]
                                           if c["cell_type"] == "code")
                   if "raises-exception" in c["metadata"].get("tags", [])}
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            open_notebook(page, lab, FIRST)
            run_all(page, raising, timeout_s=900)
            mark("notebook 00 run to its end")
            browser.close()
        while not assets_ready(home):
            time.sleep(1)
        mark("every asset ready")
    finally:
        stop(make)
    return times


def install_time(tmp: Path, installer: str, uv: str, cache: Path) -> float:
    venv = tmp / f"venv-{installer}-{secrets.token_hex(3)}"
    env = {**os.environ, "UV": uv if installer == "uv" else "none", "PIP_CACHE_DIR": str(cache / "pip"),
           "UV_CACHE_DIR": str(cache / "uv")}
    env.pop("VIRTUAL_ENV", None)
    t0 = time.monotonic()  # a bootstrapped uv (none on the PATH) is installed afresh each time, and timed
    subprocess.run(["make", "install", f"VENV={venv}", f"UV_BOOTSTRAP={venv}-uv"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)  # pip's warnings about this machine's extra indexes, hundreds of lines
    seconds = time.monotonic() - t0
    shutil.rmtree(venv)
    shutil.rmtree(f"{venv}-uv", ignore_errors=True)
    return seconds


def installers(tmp: Path, uv: str) -> None:
    rows = {}
    for installer in ("pip", "uv"):
        cache = tmp / f"cache-{installer}"
        for state in ("empty cache", "warm cache"):
            rows[installer, state] = install_time(tmp, installer, uv, cache)
            print(f"{installer:>3} {state}: {rows[installer, state]:6.1f} s", flush=True)
    for state in ("empty cache", "warm cache"):
        print(f"{state}: uv is {rows['pip', state] / rows['uv', state]:.1f}x faster than pip "
              f"({rows['pip', state]:.0f} s vs {rows['uv', state]:.0f} s)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ref", help="the commit to clone (default: HEAD)")
    parser.add_argument("--installer", choices=["uv", "pip"], default="uv", help="what `make install` uses")
    parser.add_argument("--installers", action="store_true", help="compare pip and uv installs instead")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="labkit-first-run-") as tmp:
        tmp = Path(tmp)
        uv = find_uv(tmp)
        if args.installers:
            installers(tmp, uv)
        else:
            first_run(tmp, args.ref, uv if args.installer == "uv" else "none")
    return 0


if __name__ == "__main__":
    sys.exit(main())
