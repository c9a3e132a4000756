"""The kit home built behind JupyterLab. `make lab` prepares what notebook 00 needs first (``Asset.first``), then
`labkit prepare --background` (``labkit.prepare.start_background``) builds the rest in a detached process while the
learner reads.

Every `labkit prepare` run, foreground or background, writes its lines to ``<kit home>/prepare.log`` and keeps
``<kit home>/.progress.json`` up to date (the asset being built, its share done, the last line; replaced
atomically). `labkit doctor`, notebook 00's live status and any cell that needs an asset still being built
(``wait_for``, called by ``labkit.checkpoint``) read it.
"""
from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

from .settings import kit_home

PROGRESS = ".progress.json"
LOG = "prepare.log"


class ProgressLog:
    """What `prepare` passes its builds as ``log``: each line is printed, logged and kept in the progress file, and a
    build with countable work (training steps) reports its share done with ``steps``."""

    def __init__(self, home: Path, out, total: int):
        self.home, self.out, self.state = home, out, {"pid": os.getpid(), "host": socket.gethostname(),
                                                      "total": total, "step": 0, "asset": None, "done": 0.0}

    def __call__(self, line: str) -> None:
        self.out(line)
        with open(self.home / LOG, "a") as log:
            log.write(line + "\n")
        self.write(line=line.strip())

    def start(self, step: int, name: str) -> None:
        self.write(step=step, asset=name, done=0.0, started=time.time())

    def steps(self, done: int, total: int) -> None:
        self.write(done=done / max(total, 1))

    def write(self, **changes) -> None:
        self.state.update(changes)
        tmp = self.home / f"{PROGRESS}.{os.getpid()}"
        tmp.write_text(json.dumps(self.state))
        tmp.replace(self.home / PROGRESS)  # readers never see half a file

    def __enter__(self) -> "ProgressLog":
        (self.home / LOG).write_text("")  # this run's log, beside the progress file
        self.write()
        return self

    def __exit__(self, *exc) -> None:  # finished or failed: nothing is being built any more
        (self.home / PROGRESS).unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process (a classroom): it exists
        return True
    return True


def building(home: Path | None = None) -> dict | None:
    """The progress of the `labkit prepare` now running on this kit home, or None when none is."""
    try:
        state = json.loads(((home or kit_home()) / PROGRESS).read_text())
    except (OSError, ValueError):
        return None
    if state.get("host") != socket.gethostname() or not _alive(state.get("pid", -1)):
        return None  # left behind by a run that was killed
    return state


def describe(state: dict) -> str:
    """One line for people: which asset, how far, for how long."""
    if state.get("asset") is None:  # the run has started but not yet reached an asset to build
        return "checking which assets need building"
    seconds = time.time() - state.get("started", time.time())
    return (f"building {state['asset']} (asset {state['step']} of {state['total']}): {state['done']:.0%} done, "
            f"{seconds:.0f} s so far")


def wait_for(folder: Path, what: str, poll: float = 1.0) -> bool:
    """Wait, with a progress bar, while a `labkit prepare` run builds ``folder``. True once it is ready; False when
    no run is building it (the caller raises its own error that says what to do)."""
    from tqdm.auto import tqdm

    from .assets import is_ready

    state, bar = building(), None
    try:
        while state is not None and not is_ready(folder):
            if bar is None:
                print(f"Waiting for the offline {what}: `labkit prepare` is building it (log: "
                      f"{kit_home() / LOG}). This cell goes on by itself when it is ready.")
                bar = tqdm(total=100, desc=state.get("asset") or what, unit="%", bar_format="{l_bar}{bar}| {elapsed}")
            bar.set_description(f"{state.get('asset') or what} ({state['step']}/{state['total']})")
            bar.update(round(100 * state.get("done", 0.0)) - bar.n)
            time.sleep(poll)
            state = building()
    finally:
        if bar is not None:
            bar.close()
    return is_ready(folder)


def summary() -> str:
    """Which assets are ready (a cheap check: each folder's manifest), in one line."""
    from .assets import ASSETS, is_ready

    missing = [a.name for a in ASSETS if not is_ready(a.path)]
    if not missing:
        return f"All {len(ASSETS)} offline assets are ready."
    return f"Not prepared: {', '.join(missing)}. Run `labkit prepare` (or `make prepare`) in a terminal."


def live_status(poll: float = 1.0):
    """A line that follows `labkit prepare` live while it builds (notebook 00), then says what is ready. The cell
    returns at once; a thread updates the line."""
    import threading

    import ipywidgets as widgets

    line = widgets.HTML(layout=widgets.Layout(margin="0 0 0 8px"))

    def follow():
        while (state := building()) is not None:
            line.value = f"⏳ <code>labkit prepare</code> is {describe(state)}; log: <code>{kit_home() / LOG}</code>"
            time.sleep(poll)
        line.value = summary()

    follow_thread = threading.Thread(target=follow, daemon=True)
    line.value = summary() if building() is None else "⏳ ..."
    follow_thread.start()
    return line
