"""A learner's progress through the exercises, notebook by notebook: ``labkit.progress.report()`` in a notebook,
``labkit progress`` in a terminal. Each exercise's record is kept in ``<user dir>/progress.json``
(``labkit.exercises.records``), never in the kit home, which may be a read-only share.
"""
from __future__ import annotations

from .exercises import TOPICS, load_all
from .exercises.records import load, progress_file
from .settings import shown

__all__ = ["load", "progress_file", "report", "table"]


def table() -> list[dict]:
    """One row per notebook: its exercises, how many were attempted and passed, hints and solutions seen."""
    records, rows = load(), []
    for topic, notebook in TOPICS.items():
        names = [n for n in load_all() if n.split(".", 1)[0] == topic]
        mine = [records.get(n, {}) for n in names]
        rows.append({"notebook": notebook, "exercises": len(names),
                     "attempted": sum(1 for r in mine if r.get("attempts")),
                     "passed": sum(1 for r in mine if r.get("passed")),
                     "hints": sum(r.get("hints", 0) for r in mine),
                     "solutions": sum(1 for r in mine if r.get("solution"))})
    return rows


def report() -> str:
    """The progress table as text (``labkit progress``)."""
    rows = table()
    lines = [f"{'notebook':<22} {'passed':>8} {'tried':>6} {'hints':>6} {'solutions':>10}"]
    for r in rows:
        lines.append(f"{r['notebook']:<22} {r['passed']:>3} of {r['exercises']:<2} {r['attempted']:>6} "
                     f"{r['hints']:>6} {r['solutions']:>10}")
    passed, total = sum(r["passed"] for r in rows), sum(r["exercises"] for r in rows)
    lines.append(f"{'all':<22} {passed:>3} of {total:<2}   (kept in {shown(progress_file())})")
    return "\n".join(lines)
