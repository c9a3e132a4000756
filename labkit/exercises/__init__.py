"""Exercises: ``labkit.check(id, answer)`` prints a pass, or a fail with a nudge; ``labkit.hint(id)`` gives the next,
more specific hint; ``labkit.solution(id)`` shows the reference answer and why it works.

Each topic is a module here (first_steps.py, pipelines.py, ...) and TOPICS maps it to its notebook; an exercise's id is
``<topic>.<name>``, so ids stay the same when chapters are added or renumbered. An exercise is registered with
``@exercise(name, task, hints=..., solution=..., why=...)`` on its checker: the checker raises ``Wrong(diagnosis)``
for a wrong answer, and computes the truth itself from the real models. The reference ``solution`` is the code of
the answer cell; tests run it and prove that it passes, and that plausible wrong answers fail.

A check never raises in the learner's notebook and returns True or False. An answer left as the placeholder
(``...``, or a function whose body is still ``...``) prints "not attempted yet". An error inside the kit itself (a
model that is not prepared) is reported as the kit's problem, with its fix. Attempts, hints and solutions seen are
kept in the learner's own progress file (``labkit.exercises.records``; ``labkit.progress`` reports it).
"""
from __future__ import annotations

import ast
import contextlib
import importlib
import inspect
import sys
import textwrap
from dataclasses import dataclass
from typing import Any, Callable

from . import records

PLACEHOLDER = ...
# topic -> the notebook that teaches it (the progress table's rows)
TOPICS = {"first_steps": "00_setup_check", "pipelines": "01_pipelines", "tokenization": "02_tokenizers",
          "models": "03_models_and_heads", "generation": "04_generation_loop", "decoding": "05_decoding_explorer",
          "attention": "06_attention", "data": "07_datasets", "finetuning": "08_finetuning",
          "deployment": "09_deployment", "lora": "10_lora",
          "chat": "11_chat_and_sft", "evaluation": "12_evaluation"}


class Wrong(Exception):
    """Raised by a checker with what is wrong about the answer (a nudge, never the solution)."""


@dataclass(frozen=True)
class Exercise:
    name: str  # "<topic>.<name>"
    task: str
    verify: Callable[[Any], None]  # raises Wrong(diagnosis) for a wrong answer
    hints: tuple[str, ...]  # from a nudge to nearly the answer: labkit.hint() gives them one at a time
    solution: str  # the reference answer: the code of the answer cell
    why: str  # one or two sentences on why the solution works

    @property
    def topic(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def answer_name(self) -> str:
        """The name the answer cell defines and the check is given: the solution's last function or variable."""
        for node in reversed(ast.parse(self.solution).body):
            if isinstance(node, ast.FunctionDef):
                return node.name
            if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
                return node.targets[0].id
        raise ValueError(f"{self.name}: the solution defines no function or variable")


EXERCISES: dict[str, Exercise] = {}


def exercise(name: str, task: str, *, hints: tuple[str, ...], solution: str, why: str):
    """Register ``verify`` as the checker of ``<topic>.<name>``, the topic being the module it is defined in."""
    def register(verify):
        key = f"{verify.__module__.rsplit('.', 1)[-1]}.{name}"
        EXERCISES[key] = Exercise(key, task, verify, tuple(hints), textwrap.dedent(solution).strip(), why)
        return verify
    return register


def load_all(fresh: bool = False) -> dict[str, Exercise]:
    """Every topic's exercises, registered (their modules are imported on the first check; ``fresh`` re-runs them,
    so that a checker a notebook has rebound is defined again from the package's files)."""
    for topic in TOPICS:
        module = importlib.import_module(f".{topic}", __name__)
        if fresh:
            importlib.reload(module)
    return EXERCISES


class KitError(Exception):
    """Raised by a checker when the kit itself cannot check (a model that is not prepared): not the learner's fault."""


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


def _find(name: str) -> Exercise | None:
    ex = load_all().get(name)
    if ex is None:
        print(f"? no exercise called {name!r}; known: {', '.join(sorted(EXERCISES))}")
    return ex


def _verdict(ex: Exercise, answer: Any) -> tuple[str, str]:
    """("passed" | "wrong" | "raised" | "kit" | "todo", the line to print)."""
    from ..assets import MissingAssetError

    if _not_attempted(answer):
        return "todo", f"○ {ex.name}: not attempted yet. {ex.task}"
    try:
        ex.verify(answer)
    except Wrong as diagnosis:
        return "wrong", f"✘ {ex.name}: not yet. {diagnosis}"
    except (KitError, MissingAssetError) as err:  # the kit could not check: say so, and how to fix it
        return "kit", f"! {ex.name}: the kit could not check your answer (not your mistake): {err}"
    except Exception as err:  # the learner's code failed: report it, never raise
        return "raised", f"✘ {ex.name}: your answer raised {type(err).__name__}: {err}"
    return "passed", f"✔ {ex.name}: correct!"


def check(name: str, answer: Any) -> bool:
    """Check one exercise; print the verdict; record it in the learner's progress; True only for a correct answer."""
    ex = _find(name)
    if ex is None:
        return False
    outcome, line = _verdict(ex, answer)
    if outcome in ("wrong", "raised"):
        line += f"\n  Stuck? labkit.hint({name!r}) gives a hint."
    print(line + "\n", end="")  # one write: print(line) writes the newline apart, which a notebook can store apart
    if outcome in ("passed", "wrong", "raised"):
        records.record(name, passed=outcome == "passed")
    return outcome == "passed"


def graded(name: str, answer: Any) -> bool:
    """The check as an autograder's test cell runs it: the checkers loaded afresh from the package (a rebound check
    in the notebook does not count), the verdict on stdout, nothing on stderr (a grader scores a cell that writes to
    stderr as failed), and no progress recorded."""
    ex = load_all(fresh=True).get(name)
    if ex is None:
        print(f"? no exercise called {name!r}")
        return False
    with contextlib.redirect_stderr(sys.stdout):
        outcome, line = _verdict(ex, answer)
    print(line)
    return outcome == "passed"


def hint(name: str) -> None:
    """Print the exercise's next hint (each call one more specific), then point to the solution."""
    ex = _find(name)
    if ex is None:
        return
    seen = records.hints_seen(name)
    if seen >= len(ex.hints):
        print(f"No more hints for {name}: labkit.solution({name!r}) shows the reference answer.")
        return
    records.hint_shown(name)
    print(f"Hint {seen + 1} of {len(ex.hints)} for {name}: {ex.hints[seen]}")


def solution(name: str) -> None:
    """Print the reference answer and why it works (and note in the progress file that it was seen)."""
    ex = _find(name)
    if ex is None:
        return
    records.solution_seen(name)
    print(f"Reference answer for {name}:\n\n{textwrap.indent(ex.solution, '    ')}\n\nWhy: {ex.why}")
