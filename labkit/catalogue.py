"""The models the course uses, by role, each with an offline checkpoint and its Hub original.

Notebooks stay on the plain ``transformers`` API::

    model = AutoModelForCausalLM.from_pretrained(labkit.checkpoint("causal-lm"))

``checkpoint`` returns a local folder (offline, the default) or a Hub id (``LABKIT_SOURCE=hub``).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .paths import kit_home

SOURCE_ENV = "LABKIT_SOURCE"
SOURCES = ("offline", "hub")
PREPARE_HINT = "run `labkit prepare` (or `make prepare` in the course folder)"


@dataclass(frozen=True)
class Model:
    role: str
    offline: str  # folder under the kit home
    hub: str  # the public Hub checkpoint
    what: str


MODELS = {
    m.role: m
    for m in (
        Model("encoder", "models/all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2",
              "MiniLM-L6 encoder (BERT, 6 layers, 12 heads, hidden 384, WordPiece)"),
        Model("causal-lm", "models/SmolLM2-135M-Instruct", "HuggingFaceTB/SmolLM2-135M-Instruct",
              "SmolLM2-135M-Instruct decoder (Llama, 30 layers, byte-level BPE, chat template)"),
        Model("sentiment", "models/minilm-tweet-sentiment", "cardiffnlp/twitter-roberta-base-sentiment-latest",
              "3-way tweet sentiment classifier (negative / neutral / positive)"),
    )
}


class UnknownRoleError(KeyError, ValueError):
    def __str__(self) -> str:  # KeyError would print the message with quotes around it
        return self.args[0]


class MissingAssetError(FileNotFoundError):
    pass


def model_source(source: str | None = None) -> str:
    """``offline`` (default) or ``hub``, from the argument or ``$LABKIT_SOURCE``."""
    chosen = (source or os.environ.get(SOURCE_ENV) or "offline").strip().lower()
    if chosen not in SOURCES:
        raise ValueError(f"model source {chosen!r} is not one of {SOURCES}: "
                         f"pass source='offline' or 'hub', or set {SOURCE_ENV} to one of them")
    return chosen


def model_entry(role: str) -> Model:
    if role not in MODELS:
        raise UnknownRoleError(f"unknown model role {role!r}; valid roles: {', '.join(MODELS)}")
    return MODELS[role]


def is_ready(folder: Path) -> bool:
    """Cheap readiness test: the folder was finished by `labkit prepare` (it writes MANIFEST.json last)."""
    return (folder / "MANIFEST.json").is_file()


def checkpoint(role: str, source: str | None = None) -> str:
    """What ``from_pretrained`` and ``pipeline(model=...)`` accept for a role: a local folder or a Hub id."""
    entry = model_entry(role)
    if model_source(source) == "hub":
        return entry.hub
    folder = kit_home() / entry.offline
    if not is_ready(folder):
        raise MissingAssetError(f"the offline checkpoint for {role!r} is not prepared at {folder}: {PREPARE_HINT}, "
                                f"or use the Hub with source='hub' / {SOURCE_ENV}=hub when online")
    return str(folder)


def catalogue(source: str | None = None) -> list[dict]:
    """One row per role: what it is, where the offline copy lives, whether it is ready, and the Hub id."""
    chosen = model_source(source)
    rows = []
    for m in MODELS.values():
        folder = kit_home() / m.offline
        rows.append({"role": m.role, "what": m.what, "hub": m.hub, "offline": str(folder),
                     "ready": is_ready(folder), "uses": m.hub if chosen == "hub" else str(folder)})
    return rows


def using_hub(what: str, source: str | None = None) -> bool:
    """True when the Hub is the model source; offline, print a one-line skip note instead and return False."""
    if model_source(source) == "hub":
        return True
    print(f"[skipped offline] {what} needs a model from the Hugging Face Hub: when online, set {SOURCE_ENV}=hub "
          f"(or run labkit.setup(source='hub')) and run this cell again.")
    return False
