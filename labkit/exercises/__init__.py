"""Exercise checks: ``labkit.check("tokenization.count_tokens", count_tokens)`` prints a pass, or a fail with a hint.

Each topic is a module here (pipelines.py, tokenization.py, ...); an exercise's id is ``<topic>.<name>``, so ids stay
the same when chapters are added or renumbered. A new notebook's exercises go into a new topic module, listed in
TOPICS.

A check never raises in the learner's notebook and returns True or False. An answer left as the placeholder
(``...``, or a function whose body is still ``...``) prints "not attempted yet". The checkers compute the truth
themselves from the real models; the reference answers live in tests/test_check.py, not in the notebooks.
"""
from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from typing import Any, Callable

PLACEHOLDER = ...
TOPICS = ("pipelines", "tokenization", "models", "generation", "decoding", "attention", "data", "finetuning")


class Wrong(Exception):
    """Raised by a checker with the hint to show."""


@dataclass(frozen=True)
class Exercise:
    name: str
    task: str
    verify: Callable[[Any], None]  # raises Wrong(hint) for a wrong answer


EXERCISES: dict[str, Exercise] = {}


def exercise(name: str, task: str):
    """Register ``verify`` as the checker of ``<topic>.<name>``, the topic being the module it is defined in."""
    def register(verify):
        key = f"{verify.__module__.rsplit('.', 1)[-1]}.{name}"
        EXERCISES[key] = Exercise(key, task, verify)
        return verify
    return register


def load_all() -> dict[str, Exercise]:
    """Every topic's exercises, registered (their modules are imported on the first check)."""
    for topic in TOPICS:
        importlib.import_module(f".{topic}", __name__)
    return EXERCISES


def _not_attempted(answer) -> bool:
    if answer is PLACEHOLDER:
        return True
    if callable(answer):  # a function whose body is still `...` returns None for any input
        try:
            source = inspect.getsource(answer)
        except (OSError, TypeError):
            return False
        body = [line.strip() for line in source.splitlines()[1:] if line.strip() and not line.strip().startswith("#")]
        return body in (["..."], ["pass"], ["return ..."])
    return False


def check(name: str, answer: Any) -> bool:
    """Check one exercise; print the verdict; return True only for a correct answer."""
    ex = load_all().get(name)
    if ex is None:
        print(f"? no exercise called {name!r}; known: {', '.join(sorted(EXERCISES))}")
        return False
    if _not_attempted(answer):
        print(f"○ {name}: not attempted yet. {ex.task}")
        return False
    try:
        ex.verify(answer)
    except Wrong as hint:
        print(f"✘ {name}: not yet. Hint: {hint}")
        return False
    except Exception as err:  # the learner's code failed: report it, never raise
        print(f"✘ {name}: your answer raised {type(err).__name__}: {err}")
        return False
    print(f"✔ {name}: correct!")
    return True
