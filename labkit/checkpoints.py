"""The models the course uses, by role, each with an offline checkpoint and its Hub original.

Notebooks stay on the plain ``transformers`` API::

    model = AutoModelForCausalLM.from_pretrained(labkit.checkpoint("causal-lm"))

``checkpoint`` returns a local folder (offline, the default) or a Hub id (``LABKIT_SOURCE=hub``).
"""
from __future__ import annotations

from .assets import MODELS, PREPARE_HINT, Asset, MissingAssetError, UnknownRoleError, is_ready
from .background import wait_for

__all__ = ["MissingAssetError", "UnknownRoleError", "catalogue", "checkpoint", "model_source", "using_hub"]
from .settings import SOURCES, settings

SOURCE_ENV = "LABKIT_SOURCE"


def model_source(source: str | None = None) -> str:
    """``offline`` (default) or ``hub``, from the argument or ``$LABKIT_SOURCE``."""
    chosen = (source or settings().source).strip().lower()
    if chosen not in SOURCES:
        raise ValueError(f"model source {chosen!r} is not one of {SOURCES}: "
                         f"pass source='offline' or 'hub', or set {SOURCE_ENV} to one of them")
    return chosen


def model_entry(role: str) -> Asset:
    if role not in MODELS:
        raise UnknownRoleError(f"unknown model role {role!r}; valid roles: {', '.join(MODELS)}")
    return MODELS[role]


def checkpoint(role: str, source: str | None = None) -> str:
    """What ``from_pretrained`` and ``pipeline(model=...)`` accept for a role: a local folder or a Hub id."""
    entry = model_entry(role)
    if model_source(source) == "hub":
        return entry.hub
    folder = entry.path
    if not is_ready(folder) and not wait_for(folder, f"model {role!r}"):  # waits while `labkit prepare` builds it
        raise MissingAssetError(f"the offline checkpoint for {role!r} is not prepared at {folder}: {PREPARE_HINT}, "
                                f"or use the Hub with source='hub' / {SOURCE_ENV}=hub when online")
    return str(folder)


def catalogue(source: str | None = None) -> list[dict]:
    """One row per role: what it is, where the offline copy lives, whether it is ready, and the Hub id."""
    chosen = model_source(source)
    rows = []
    for m in MODELS.values():
        folder = m.path
        rows.append({"role": m.name, "what": m.what, "hub": m.hub, "offline": str(folder),
                     "ready": is_ready(folder), "uses": m.hub if chosen == "hub" else str(folder)})
    return rows


def using_hub(what: str, source: str | None = None) -> bool:
    """True when the Hub is the model source; offline, print a one-line skip note instead and return False."""
    if model_source(source) == "hub":
        return True
    print(f"[skipped offline] {what} needs the Hugging Face Hub: when online, set {SOURCE_ENV}=hub "
          f"(or run labkit.setup(source='hub')) and run this cell again.")
    return False
