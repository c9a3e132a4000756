"""The `labkit` command: `labkit prepare`, `labkit doctor`, `labkit models`, `labkit finetune`, `labkit progress`,
`labkit grade`."""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field


def _prepare(args) -> int:
    from .prepare import PrepareError, prepare
    from .settings import settings

    try:
        prepare(only=args.only or None, quiet=args.quiet or settings().quiet, keep_downloads=args.keep_downloads)
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
    p.add_argument("--quiet", action="store_true", help="no progress bars (the default under CI)")
    p.add_argument("--keep-downloads", action="store_true", help="keep the fetched wheels in the kit home")
    p.set_defaults(run=_prepare)
    d = sub.add_parser("doctor", help="check the environment; exits 1 on a failure")
    d.add_argument("--hub-timeout", type=float, default=3.0, help="seconds to wait for the Hub (default 3)")
    d.set_defaults(run=_doctor)
    m = sub.add_parser("models", help="the model catalogue: roles, offline folders, Hub ids")
    m.add_argument("--source", choices=["offline", "hub"], help="default: $LABKIT_SOURCE or offline")
    m.set_defaults(run=_models)
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
