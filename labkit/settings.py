"""The kit's settings, read from the environment in one place, once, and the small helpers every module shares.

| variable                 | setting          | default                                               |
|--------------------------|------------------|-------------------------------------------------------|
| `LABKIT_HOME`            | home             | the user's cache folder + `labkit` (platformdirs)     |
| `LABKIT_USER_DIR`        | user_dir         | the user's data folder + `labkit` (platformdirs)      |
| `LABKIT_SOURCE`          | source           | `offline` (or `hub`)                                  |
| `CI`, `LABKIT_QUIET`     | quiet            | off: progress bars and library logging stay on        |
| `LABKIT_STRICT_WARNINGS` | strict_warnings  | off: drift warnings warn (on in `make test`: errors)  |
| `HF_ENDPOINT`            | hub_endpoint     | https://huggingface.co                                |
| `LABKIT_SENTIMENT_TWEETS`| sentiment_tweets | 0: the recipe's 6,000 (fewer: a quicker, weaker build)|
| Colab's, Kaggle's, Binder's own variables | platform | `local`                                  |

``settings()`` reads them the first time it is called; ``reload()`` reads them again (tests, and ``setup()`` when a
notebook picks another model source).
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Mapping

SOURCES = ("offline", "hub")
HUB = "https://huggingface.co"


def _on(value: str | None) -> bool:
    return (value or "").strip().lower() not in ("", "0", "false", "no", "off")


@dataclass(frozen=True)
class Settings:
    home: Path  # the kit home: prepared models, data and scripts (only read once ready: may be a shared folder)
    user_dir: Path  # the learner's own writable folder: exercise progress and what their runs write
    source: str  # where checkpoint() looks: "offline" or "hub" (validated by checkpoints.model_source)
    quiet: bool  # no progress bars or library logging (CI, `make test`)
    strict_warnings: bool  # drift warnings are errors (`make test`)
    hub_endpoint: str
    platform: str  # "Colab", "Kaggle", "Binder" or "local"
    sentiment_tweets: int = 0  # training tweets of the classifier `labkit prepare` builds; 0: its recipe's (builds.py)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        if env.get("LABKIT_HOME"):
            home = Path(env["LABKIT_HOME"]).expanduser().resolve()
        else:  # ~/.cache/labkit on Linux (or $XDG_CACHE_HOME), ~/Library/Caches/labkit, %LOCALAPPDATA%\labkit\Cache
            import platformdirs

            home = Path(platformdirs.user_cache_dir("labkit", appauthor=False))
        if env.get("LABKIT_USER_DIR"):
            user_dir = Path(env["LABKIT_USER_DIR"]).expanduser().resolve()
        else:  # ~/.local/share/labkit on Linux (or $XDG_DATA_HOME), ~/Library/Application Support/labkit, %APPDATA%
            import platformdirs

            user_dir = Path(platformdirs.user_data_dir("labkit", appauthor=False, roaming=True))
        return cls(home=home, user_dir=user_dir, source=(env.get("LABKIT_SOURCE") or "offline").strip().lower(),
                   quiet=_on(env.get("CI")) or _on(env.get("LABKIT_QUIET")),
                   strict_warnings=_on(env.get("LABKIT_STRICT_WARNINGS")),
                   hub_endpoint=env.get("HF_ENDPOINT") or HUB, platform=detect_platform(env),
                   sentiment_tweets=_count(env, "LABKIT_SENTIMENT_TWEETS"))


def _count(env: Mapping[str, str], name: str) -> int:
    value = (env.get(name) or "0").strip()
    if not value.isdigit():
        raise ValueError(f"{name}={value!r}: give a whole number of tweets (such as 3000), or unset it for the default")
    return int(value)


def detect_platform(env: Mapping[str, str]) -> str:
    if "COLAB_RELEASE_TAG" in env or "COLAB_GPU" in env or "google.colab" in sys.modules:
        return "Colab"
    if "KAGGLE_KERNEL_RUN_TYPE" in env or "KAGGLE_URL_BASE" in env:
        return "Kaggle"
    if "BINDER_LAUNCH_HOST" in env or "BINDER_REPO_URL" in env or "BINDER_SERVICE_HOST" in env:
        return "Binder"
    return "local"


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings.from_env()


def reload() -> Settings:
    settings.cache_clear()
    return settings()


def kit_home() -> Path:
    """The kit home: ``$LABKIT_HOME`` if set, else ``labkit`` in the user's cache folder."""
    return settings().home


def user_dir() -> Path:
    """The learner's own writable folder: ``$LABKIT_USER_DIR`` if set, else ``labkit`` in the user's data folder."""
    return settings().user_dir


# ---------------------------------------------------------------- shared helpers

def shown(path: Path) -> str:
    """A path as a learner reads it: ``~/...`` under the home folder, so no one's user name is printed."""
    path = Path(path)
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)


def best_device() -> str:
    """"cuda", "mps" or "cpu": the fastest device torch can use here."""
    import torch

    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def unreachable(url: str, timeout: float = 3.0) -> str | None:
    """Why ``url`` cannot be reached (a short reason), or None when it answers."""
    import urllib.request

    try:
        urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout)
    except Exception as e:  # URLError, timeouts, TLS errors: all mean "not from here"
        return str(getattr(e, "reason", e))
    return None
