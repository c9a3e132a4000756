"""The learner's record of each exercise (attempts, passed, hints and solutions seen), kept in one small JSON file in
their own writable folder (no account). `labkit.check`, `hint` and `solution` write it; `labkit.progress` reads it.

``<user dir>/progress.json`` (``labkit.settings.user_dir()``, never the kit home, which may be a read-only share)::

    {"exercises": {"pipelines.softmax": {"attempts": 2, "passed": true, "hints": 1, "solution": false}}}

A file that cannot be written is reported once, never raised: the
check's verdict matters more than the bookkeeping.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from ..settings import user_dir

_warned: set[str] = set()


def progress_file() -> Path:
    return user_dir() / "progress.json"


def load() -> dict:
    """Every exercise's record ({} for a learner who has not started, or whose file is unreadable)."""
    try:
        data = json.loads(progress_file().read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as err:
        _warn(f"progress file {progress_file()} could not be read ({err}); starting from an empty one")
        return {}
    return data.get("exercises", {}) if isinstance(data, dict) else {}


def _update(name: str, change) -> dict:
    records = load()
    entry = records.setdefault(name, {"attempts": 0, "passed": False, "hints": 0, "solution": False})
    change(entry)
    path = progress_file()
    try:  # write a temporary file and rename it: a crash never leaves half a file
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".tmp", delete=False) as f:
            json.dump({"exercises": records}, f, indent=1, sort_keys=True)
        os.replace(f.name, path)
    except OSError as err:
        _warn(f"progress not saved: {path.parent} is not writable ({err.strerror}). "
              "Set LABKIT_USER_DIR to a folder of your own.")
    return entry


def _warn(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        print(f"  (labkit: {message})")


def record(name: str, passed: bool) -> None:
    """One attempt at ``name``; once passed it stays passed."""
    def change(entry):
        entry["attempts"] += 1
        entry["passed"] = entry["passed"] or passed
    _update(name, change)


def hints_seen(name: str) -> int:
    """How many hints of ``name`` the learner has seen."""
    return load().get(name, {}).get("hints", 0)


def hint_shown(name: str) -> None:
    _update(name, lambda entry: entry.update(hints=entry["hints"] + 1))


def solution_seen(name: str) -> None:
    _update(name, lambda entry: entry.update(solution=True))
