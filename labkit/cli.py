"""The `labkit` command: `labkit prepare`, `labkit doctor`, `labkit models`, `labkit finetune`, `labkit progress`,
`labkit grade`, `labkit classroom link`, `labkit classroom collect`."""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field


def _prepare(args) -> int:
    from .assets import ASSETS
    from .prepare import PrepareError, prepare, start_background
    from .settings import settings

    if args.background:
        start_background()
        return 0
    only = [a.name for a in ASSETS if a.first] if args.first else args.only
    try:
        prepare(only=only or None, quiet=args.quiet or settings().quiet, keep_downloads=args.keep_downloads)
    except PrepareError as e:
        print(f"labkit prepare: {e}", file=sys.stderr)
        return 1
    return 0


def _doctor(args) -> int:
    from .environment import doctor

    return doctor(hub_timeout=args.hub_timeout)


def _models(args) -> int:
    from .checkpoints import catalogue

    try:
        rows = catalogue(args.source)
    except ValueError as e:
        print(f"labkit models: {e}", file=sys.stderr)
        return 2
    for row in rows:
        state = "ready" if row["ready"] else "not prepared"
        print(f"{row['role']:<10} {row['what']}\n{'':<10} offline: {row['offline']} ({state})\n"
              f"{'':<10} hub:     {row['hub']}\n{'':<10} uses:    {row['uses']}")
    return 0


def _progress(args) -> int:
    from .progress import report

    print(report())
    return 0


def _grade(args) -> int:
    from pathlib import Path

    from .grading.grade import GradeError, grade, summary_text
    from .grading.sandbox import Limits

    notebooks = sorted(Path(args.notebooks).glob("[0-9][0-9]_*.ipynb")) if args.notebooks else None
    try:
        rows = grade([Path(p) for p in args.submissions], Path(args.out), notebooks=notebooks, timeout=args.timeout,
                     sandbox=not args.no_sandbox, user=args.user, kernel_python=args.kernel_python,
                     limits=Limits(memory_mb=args.memory_mb, cpu_seconds=args.cpu_seconds))
    except GradeError as e:
        print(f"labkit grade: {e}", file=sys.stderr)
        return 2
    print(summary_text(rows))
    print(f"grades: {Path(args.out) / 'grades.csv'}, per exercise: {Path(args.out) / 'summary.csv'}")
    return 0


def _classroom_link(args) -> int:
    from .classroom.link import pull_link

    try:
        print(pull_link(args.hub, notebook=args.notebook, repo=args.repo, branch=args.branch))
    except ValueError as e:
        print(f"labkit classroom link: {e}", file=sys.stderr)
        return 2
    return 0


def _classroom_collect(args) -> int:
    from pathlib import Path

    from .classroom.collect import collect

    try:
        found = collect(args.notebook, Path(args.homes), Path(args.out), folder=args.folder)
    except ValueError as e:
        print(f"labkit classroom collect: {e}", file=sys.stderr)
        return 2
    print(found.report())
    return 0 if found.copied else 1


@dataclass
class RunOptions:
    quiet: bool = field(default=False, metadata={"help": "no progress bars (the default under CI)"})


def _finetune(options: list[str]) -> int:
    from dataclasses import replace

    from transformers import HfArgumentParser

    from .checkpoints import MODELS, checkpoint
    from .settings import settings
    from .training import Recipe, train

    parser = HfArgumentParser((Recipe, RunOptions), prog="labkit finetune",
                              description="fine-tune a sequence classifier (runs under accelerate launch and torchrun)")
    recipe, run = parser.parse_args_into_dataclasses(options)
    try:
        recipe.validate()  # before looking for the model, so a wrong setting is reported first
        if recipe.model in MODELS:  # a catalogue role: its offline folder or Hub id
            recipe = replace(recipe, model=checkpoint(recipe.model))
        train(recipe, quiet=run.quiet or settings().quiet)
    except (ValueError, FileNotFoundError) as e:
        print(f"labkit finetune: {e}", file=sys.stderr)
        return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="labkit", description="Transformers Lab Kit helper")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare", help="fetch, verify and build the offline models and data (once)")
    p.add_argument("--only", nargs="*", metavar="ASSET", help="only these assets (default: all)")
    p.add_argument("--first", action="store_true", help="only what notebook 00 needs (seconds; `make lab` starts so)")
    p.add_argument("--background", action="store_true",
                   help="build whatever is not ready in a detached process (log: <kit home>/prepare.log)")
    p.add_argument("--quiet", action="store_true", help="no progress bars (the default under CI)")
    p.add_argument("--keep-downloads", action="store_true", help="keep the fetched wheels in the kit home")
    p.set_defaults(run=_prepare)
    d = sub.add_parser("doctor", help="check the environment; exits 1 on a failure")
    d.add_argument("--hub-timeout", type=float, default=3.0, help="seconds to wait for the Hub (default 3)")
    d.set_defaults(run=_doctor)
    m = sub.add_parser("models", help="the model catalogue: roles, offline folders, Hub ids")
    m.add_argument("--source", choices=["offline", "hub"], help="default: $LABKIT_SOURCE or offline")
    m.set_defaults(run=_models)
    g = sub.add_parser("grade", help="autograde collected notebooks with nbgrader, each kernel sandboxed (instructors)")
    g.add_argument("submissions", nargs="+", help="folders of <learner>/<NN_notebook>.ipynb (or single notebooks)")
    g.add_argument("--out", default="grading", help="where grades.csv, summary.csv and nbgrader's files go")
    g.add_argument("--notebooks", help="the course notebooks (default: this checkout's notebooks/)")
    g.add_argument("--timeout", type=int, default=60, help="seconds per cell (default 60)")
    g.add_argument("--kernel-python", help="the Python with the course's packages that runs submissions "
                   "(default: $LABKIT_KERNEL_PYTHON, else this Python)")
    g.add_argument("--user", default="labkit-grader", help="the unprivileged user submissions run as (when root)")
    g.add_argument("--memory-mb", type=int, default=6144, help="address-space limit per kernel (default 6144)")
    g.add_argument("--cpu-seconds", type=int, default=900, help="CPU-time limit per kernel (default 900)")
    g.add_argument("--no-sandbox", action="store_true", help="run submissions with your own rights (trusted work "
                   "only; needed where the sandbox's Linux tools are missing)")
    g.set_defaults(run=_grade)
    c = sub.add_parser("classroom", help="JupyterHub helpers for instructors (docs/instructor.md)")
    actions = c.add_subparsers(dest="action", required=True)
    link = actions.add_parser("link", help="print the nbgitpuller link that pulls the course into each learner's home")
    link.add_argument("--hub", required=True, help="the hub's public address, e.g. https://hub.example.org")
    link.add_argument("--notebook", metavar="NN", help="open this notebook (e.g. 04) instead of the course folder")
    link.add_argument("--repo", help="the course repository (default: pyproject's Repository URL)")
    link.add_argument("--branch", default="main", help="the branch to pull (default main)")
    link.set_defaults(run=_classroom_link)
    co = actions.add_parser("collect", help="copy each learner's copy of a notebook out of the hub's homes (as root)")
    co.add_argument("notebook", metavar="NN", help="the notebook, e.g. 02 (or 02_tokenizers)")
    co.add_argument("--homes", default="/home", help="the learners' home folders (default /home, as on TLJH)")
    co.add_argument("--out", default="submissions", help="where <learner>/<NN_notebook>.ipynb go (default submissions)")
    co.add_argument("--folder", help="the course's folder in each home (default: this checkout's folder name, the "
                    "one its `labkit classroom link --repo file://...` pulls into)")
    co.set_defaults(run=_classroom_collect)
    sub.add_parser("progress", help="your exercises passed, per notebook (from your own progress file)"
                   ).set_defaults(run=_progress)
    # listed for `labkit --help`; main() hands its options to _finetune, whose parser reads them from Recipe
    sub.add_parser("finetune", help="fine-tune a classifier (runs under accelerate launch and torchrun too)")
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["finetune"]:
        return _finetune(argv[1:])
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
