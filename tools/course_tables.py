"""Write the course tables from the notebooks' own metadata: the README's notebook table and launch badges, and
the lesson plan in docs/instructor.md with the measured run times (assets/notebook_timings.json).

Each notebook carries `metadata.labkit`: {"title", "minutes", "topics"}. The script rewrites what lies between
`<!-- NAME:start -->` and `<!-- NAME:end -->` markers; tests/test_course_tables.py fails while either file is stale.
Run `make tables` after editing a notebook's metadata, the Repository URL in pyproject.toml, or after
`make benchmark-notebooks` re-measured the notebooks.
"""
from __future__ import annotations

import json
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIMINGS = "assets/notebook_timings.json"
COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
BINDER_BADGE = "https://mybinder.org/badge_logo.svg"


def repository(root: Path = ROOT) -> str:
    """'owner/name' from pyproject's Repository URL."""
    url = tomllib.loads((root / "pyproject.toml").read_text())["project"]["urls"]["Repository"]
    return url.removeprefix("https://github.com/").strip("/")


def notebooks(root: Path = ROOT) -> list[tuple[str, dict]]:
    found = []
    for path in sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        meta = json.loads(path.read_text())["metadata"].get("labkit")
        if not meta or not all(meta.get(k) for k in ("title", "minutes", "topics")):
            raise ValueError(f"{path.name}: metadata.labkit needs a title, minutes and topics")
        found.append((path.name, meta))
    return found


def colab_url(repo: str, name: str) -> str:
    return f"https://colab.research.google.com/github/{repo}/blob/main/notebooks/{name}"


def table(root: Path = ROOT) -> str:
    repo, course = repository(root), notebooks(root)
    rows = ["| # | notebook | what you learn | minutes | open in |", "|---|---|---|---|---|"]
    for name, meta in course:
        rows.append(f"| {name[:2]} | [{meta['title']}](notebooks/{name}) | {', '.join(meta['topics'])} "
                    f"| {meta['minutes']} | [![Open in Colab]({COLAB_BADGE})]({colab_url(repo, name)}) |")
    total = sum(meta["minutes"] for _, meta in course)
    rows.append(f"\nAbout {total} minutes of class time in all ({len(course)} notebooks).")
    return "\n".join(rows)


def badges(root: Path = ROOT) -> str:
    repo = repository(root)
    binder = f"https://mybinder.org/v2/gh/{repo}/HEAD?urlpath=lab/tree/notebooks/00_setup_check.ipynb"
    colab = colab_url(repo, "00_setup_check.ipynb")
    return f"[![Binder]({BINDER_BADGE})]({binder}) [![Open in Colab]({COLAB_BADGE})]({colab})"


def lesson_plan(root: Path = ROOT) -> str:
    """Class minutes from the metadata; run time and peak memory as measured by benchmarks/notebooks.py --save."""
    timings = json.loads((root / TIMINGS).read_text())
    measured, machine = timings["notebooks"], timings["machine"]
    rows = ["| # | notebook | class minutes | Run All on "
            f"{machine['cpu_cores']} CPU cores | peak memory | what it teaches |", "|---|---|---|---|---|---|"]
    course = notebooks(root)
    for name, meta in course:
        if name not in measured:
            raise ValueError(f"{name} has no measured time in {TIMINGS}: run make benchmark-notebooks")
        m = measured[name]
        rows.append(f"| {name[:2]} | [{meta['title']}](../notebooks/{name}) | {meta['minutes']} | {m['seconds']:.0f} s "
                    f"| {m['peak_mb'] / 1024:.2f} GB | {', '.join(meta['topics'])} |")
    total = sum(measured[name]["seconds"] for name, _ in course)
    rows.append(f"\nMeasured on {machine['measured']} ({machine['cpu_cores']} cores, GPU: {machine['gpu']}, Python "
                f"{machine['python']}): every notebook run top to bottom in {total / 60:.1f} minutes.")
    return "\n".join(rows)


FILES = {"README.md": (("badges", badges), ("notebooks", table)), "docs/instructor.md": (("lessons", lesson_plan),)}


def render(path: str, text: str, root: Path = ROOT) -> str:
    for marker, make in FILES[path]:
        content = make(root)
        block = re.compile(rf"(<!-- {marker}:start -->\n)(?:.*?\n)?(<!-- {marker}:end -->)", re.S)
        if not block.search(text):
            raise ValueError(f"{path} has no <!-- {marker}:start --> ... <!-- {marker}:end --> block")
        text = block.sub(lambda m: m[1] + content + "\n" + m[2], text)
    return text


if __name__ == "__main__":
    stale = []
    for name in FILES:
        path = ROOT / name
        old = path.read_text()
        new = render(name, old)
        if new != old:
            stale.append(name)
            if "--check" not in sys.argv:
                path.write_text(new)
    if "--check" in sys.argv:
        sys.exit(f"stale: {', '.join(stale)}; run make tables" if stale else 0)
    print(f"updated: {', '.join(stale)}" if stale else "README.md and docs/instructor.md already up to date")
