"""Where the kit keeps its prepared models and data (the "kit home")."""
from __future__ import annotations

import os
from pathlib import Path

HOME_ENV = "LABKIT_HOME"


def kit_home() -> Path:
    """The kit home: ``$LABKIT_HOME`` if set, else ``labkit`` in the user's cache folder."""
    if os.environ.get(HOME_ENV):
        return Path(os.environ[HOME_ENV]).expanduser().resolve()
    if os.name == "nt" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "labkit"
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache).expanduser() / "labkit"
