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


def sizing_table(root: Path = ROOT) -> str:
    """The classroom benchmark's figures and the server sizes computed from them (labkit.classroom.sizing)."""
    from labkit.classroom import sizing

    results = sizing.load(root / "assets" / "classroom_sizing.json")
    f, spawn = sizing.figures(results, root), results["spawn_s"]
    rows = [f"Measured on {results['measured']} ({results['cores']} cores, Python {results['python']}): the hub "
            f"answered in {results['hub_start_s']:.0f} s and {len(spawn)} servers started at once were ready in "
            f"{max(spawn.values()):.0f} s. The server's peak counts every process: the hub, its proxy and all "
            f"{len(spawn)} servers, idle or not.\n",
            "| notebook | learners at once | wall time (slowest) | peak PSS per learner | CPU per learner "
            "| server peak (all processes) |", "|---|---|---|---|---|---|"]
    for r in results["runs"]:
        rows.append(f"| {r['notebook']} | {r['learners']} | {max(r['wall_s']):.0f} s "
                    f"| {max(r['pss_mb']) / 1024:.2f} GB | {max(r['cpu_s']):.0f} s "
                    f"| {r['total_pss_mb'] / 1024:.2f} GB |")
    rows += ["", f"Per learner: {f['peak_mb'] / 1024:.2f} GB at peak, so {f['peak_mb'] * sizing.HEADROOM / 1024:.2f} "
             f"GB with 25 % headroom (TLJH advises 20-40 %); overhead {f['headroom_mb'] / 1024:.2f} GB (the hub and "
             "proxy's peak plus 1 GB for the system).\n",
             "| server memory | learners working at once | class size (60 % / 40 % at once) |", "|---|---|---|"]
    rows += [f"| {gb} GB | {now} | {high} to {low} |" for gb, now, high, low in sizing.servers(results)]
    low, high = (round(sizing.CLASS * share) for share in sorted(sizing.AT_ONCE))
    z2jh = sizing.z2jh_resources(results)
    rows += ["", f"**CPU.** Notebook 08 costs {f['cpu_08_s']:.0f} core-seconds per learner when "
             f"{sizing.busiest(results, '08')['learners']} run it at once (its slowest wall time x cores / "
             f"learners), so one core carries {f['per_core']} learners at once within 08's {f['minutes_08']} "
             f"class minutes. {sizing.CLASS} learners starting 08 together on an {sizing.CORES}-core server: the last "
             f"finishes after about {sizing.wait_08(results) / 60:.0f} minutes; with {low} to {high} of them at once "
             f"(40-60 %), {sizing.wait_08(results, low) / 60:.0f} to {sizing.wait_08(results, high) / 60:.0f} "
             "minutes. Start 08 while you explain the loop (the tips above).",
             "", f"**Per learner's server** (`classroom/z2jh/values.yaml`, and `tljh-config` limits from "
             f"`classroom/tljh/install.sh`): memory guarantee {z2jh['memory']['guarantee']}, limit "
             f"{z2jh['memory']['limit']}; cpu guarantee {z2jh['cpu']['guarantee']}, limit {z2jh['cpu']['limit']}."]
    return "\n".join(rows)


FILES = {"README.md": (("badges", badges), ("notebooks", table)),
         "docs/instructor.md": (("lessons", lesson_plan), ("sizing", sizing_table))}


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
