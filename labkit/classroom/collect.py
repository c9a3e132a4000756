"""``labkit classroom collect``: each learner's copy of a course notebook, copied out of the hub's home folders.

The nbgitpuller link (``labkit classroom link``) puts the course into ``~/<folder>`` of every learner; this copies
``<home>/<folder>/notebooks/<NN_topic>.ipynb`` of each home under ``homes`` into ``out/<learner>/<NN_topic>.ipynb``,
the layout ``labkit grade`` reads. On TLJH a learner ``ada`` is the Unix user ``jupyter-ada`` (home
``/home/jupyter-ada``): the learner's name is the home's name without that prefix. Homes are private, so run it as
root (``sudo``).
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from .link import ROOT, notebook_path

TLJH_PREFIX = "jupyter-"  # TLJH's Unix name for hub user NAME


@dataclass
class Collected:
    notebook: str  # NN_topic.ipynb
    copied: dict[str, Path] = field(default_factory=dict)  # learner -> the copy in ``out``
    missing: list[str] = field(default_factory=list)  # learners whose home has no copy of the notebook
    unreadable: list[str] = field(default_factory=list)  # homes this user may not enter

    def report(self) -> str:
        lines = [f"collected {self.notebook} from {len(self.copied)} learner(s)"]
        if self.missing:
            lines.append(f"no copy of it in the home of: {', '.join(self.missing)}")
        if self.unreadable:
            lines.append(f"could not read the home of: {', '.join(self.unreadable)} (run as root: sudo)")
        return "\n".join(lines)


def learner_name(home: Path) -> str:
    return home.name.removeprefix(TLJH_PREFIX)


def collect(notebook: str, homes: Path, out: Path, folder: str | None = None) -> Collected:
    """Copy each learner's ``notebook`` ('02' or '02_tokenizers') out of ``homes``; ``folder`` is the course's folder
    in each home (default: this checkout's folder name, the one the link to it makes)."""
    name = Path(notebook_path(notebook.split("_")[0])).name
    folder = folder or ROOT.name
    if not homes.is_dir():
        raise ValueError(f"--homes {homes}: no such folder (the hub's home folders, /home on TLJH)")
    found = Collected(name)
    for home in sorted(p for p in homes.iterdir() if p.is_dir()):
        learner, source = learner_name(home), home / folder / "notebooks" / name
        try:
            if not source.is_file():
                found.missing.append(learner)
                continue
            target = out / learner / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)  # the file alone: not its owner, modes or checkpoints
        except PermissionError:
            found.unreadable.append(learner)
            continue
        found.copied[learner] = target
    return found
