"""A class's server, sized from ``assets/classroom_sizing.json`` (``make benchmark-classroom``): one source for
docs/instructor.md's sizing table (``tools/course_tables.py``) and the z2jh values' resources (tested).

TLJH's rule (its "Estimate Memory / CPU / Disk needed"): memory = concurrent learners x memory per learner +
overhead, planning for 40-60 % of a class at once, each learner given their measured peak plus 20-40 % headroom.
Here the peak is the highest PSS one learner's server and kernel reached on the heaviest notebook, each learner gets
it plus 25 % (their limit), and the overhead is the hub and proxy's measured peak (with every learner busy) plus
1 GB for the operating system.
CPU: notebook 08 is the heaviest; its cost per learner is measured with the most learners at once (slowest wall
time x cores / learners: core-seconds that include what sharing the cores costs), and a core carries as many
concurrent learners as it can train 08 for within 08's class minutes.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

from .link import ROOT, notebook_path

RESULTS = ROOT / "assets" / "classroom_sizing.json"
OS_MB = 1024
HEADROOM = 1.25  # a learner's limit: their measured peak plus 25 %
AT_ONCE = (0.6, 0.4)  # share of the class working at the same moment: plan for 40-60 %
SERVERS_GB = (8, 16, 32, 64)
CLASS = 30  # the class whose wait for notebook 08 the table gives, on an 8-core server
CORES = 8


def load(path: Path = RESULTS) -> dict:
    return json.loads(path.read_text())


def peaks(results: dict) -> dict[str, float]:
    """Per notebook: the highest PSS (MB) any one learner reached, whatever the number at once."""
    out = {}
    for run in results["runs"]:
        out[run["notebook"]] = max(out.get(run["notebook"], 0), *run["pss_mb"])
    return out


def busiest(results: dict, notebook: str) -> dict:
    """The run of ``notebook`` with the most learners at once."""
    return max((r for r in results["runs"] if r["notebook"] == notebook), key=lambda r: r["learners"])


def core_seconds(results: dict, notebook: str) -> float:
    run = busiest(results, notebook)
    return max(run["wall_s"]) * results["cores"] / run["learners"]


def figures(results: dict, root: Path = ROOT) -> dict:
    peak = max(peaks(results).values())
    headroom = busiest(results, "08")["hub_proxy_pss_mb"] + OS_MB  # every server busy: only the hub and proxy
    cpu_08 = core_seconds(results, "08")
    notebook = root / notebook_path("08", root / "notebooks")
    minutes_08 = json.loads(notebook.read_text())["metadata"]["labkit"]["minutes"]
    per_core = max(1, math.floor(minutes_08 * 60 / cpu_08))
    return {"peak_mb": peak, "headroom_mb": headroom, "cpu_08_s": cpu_08, "minutes_08": minutes_08,
            "per_core": per_core}


def servers(results: dict) -> list[tuple[int, int, int, int]]:
    """(GB, concurrent learners, class size at 60 % at once, at 40 %) per server size."""
    f = figures(results)
    rows = []
    for gb in SERVERS_GB:
        concurrent = max(0, math.floor((gb * 1024 - f["headroom_mb"]) / (f["peak_mb"] * HEADROOM)))
        rows.append((gb, concurrent, *(math.floor(concurrent / share) for share in AT_ONCE)))
    return rows


def wait_08(results: dict, learners: int = CLASS, cores: int = CORES) -> float:
    """Seconds until the last of ``learners`` running 08 together finishes on ``cores`` (CPU time shared evenly)."""
    return learners * figures(results)["cpu_08_s"] / cores


def z2jh_resources(results: dict) -> dict:
    """singleuser's memory and cpu for the chart: the guarantee is the peak at 50 % at once (a node packed by
    guarantees has room for half its learners at their peak), the limit the peak plus 25 %; the cpu guarantee is one
    core's share per concurrent learner, the limit 2 cores."""
    f = figures(results)
    return {"memory": {"guarantee": gigabytes(f["peak_mb"] * 0.5), "limit": gigabytes(f["peak_mb"] * HEADROOM)},
            "cpu": {"guarantee": round(1 / f["per_core"], 2), "limit": 2}}


def gigabytes(mb: float) -> str:
    """Rounded up to a quarter: 1100 MB -> '1.25G'."""
    return f"{math.ceil(mb / 256) / 4:g}G"
