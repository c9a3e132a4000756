"""``labkit classroom link``: the nbgitpuller link that pulls the course into a learner's home and opens a notebook.

A learner clicks ``<hub>/hub/user-redirect/git-pull?repo=...&branch=...&urlpath=...``: the hub sends them to their own
server, whose nbgitpuller extension clones the repository into ``~/<repository name>`` the first time and merges
the course's new commits into it later, then opens ``urlpath``.
"""
from __future__ import annotations

import tomllib
from pathlib import Path
from urllib.parse import urlencode, urlparse

ROOT = Path(__file__).resolve().parents[2]  # a source checkout: pyproject.toml and notebooks/


def repository_url() -> str:
    """The course's repository, from pyproject.toml's [project.urls] (the one place a fork changes it)."""
    pyproject = ROOT / "pyproject.toml"
    if not pyproject.is_file():  # labkit installed from a wheel: no checkout beside it
        raise ValueError(f"no {pyproject} (labkit is not running from a checkout of the course): pass --repo URL")
    return tomllib.loads(pyproject.read_text())["project"]["urls"]["Repository"]


def notebook_path(number: str, folder: Path = ROOT / "notebooks") -> str:
    """'04' -> 'notebooks/04_generation_loop.ipynb'; an unknown number says which exist."""
    found = sorted(folder.glob(f"{number.zfill(2)}_*.ipynb")) if number.isdigit() else []
    if not found:
        known = ", ".join(p.name[:2] for p in sorted(folder.glob("[0-9][0-9]_*.ipynb")))
        raise ValueError(f"no notebook {number!r} in the course: pass one of {known}")
    return f"notebooks/{found[0].name}"


def pull_link(hub: str, *, notebook: str | None = None, repo: str | None = None, branch: str = "main",
              target: str | None = None) -> str:
    """The link for ``hub`` (its public address, e.g. https://hub.example.org); opens JupyterLab in the course folder,
    or on ``notebook`` ('04')."""
    parsed = urlparse(hub)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError(f"--hub {hub!r} is not a hub's address: give its URL, e.g. https://hub.example.org")
    repo = repo or repository_url()
    target = target or repo.rstrip("/").split("/")[-1].removesuffix(".git")
    urlpath = f"lab/tree/{target}" + (f"/{notebook_path(notebook)}" if notebook else "")
    query = urlencode({"repo": repo, "branch": branch, "targetpath": target, "urlpath": urlpath})
    return f"{hub.rstrip('/')}/hub/user-redirect/git-pull?{query}"
