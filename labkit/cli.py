"""The `labkit` command: `labkit prepare`, `labkit doctor`, `labkit models`, `labkit finetune`."""
from __future__ import annotations

import argparse
import sys


def _prepare(args) -> int:
    from .notebook import under_ci
    from .prepare import PrepareError, prepare

    try:
        prepare(only=args.only or None, quiet=args.quiet or under_ci(), keep_downloads=args.keep_downloads)
    except PrepareError as e:
        print(f"labkit prepare: {e}", file=sys.stderr)
        return 1
    return 0


def _doctor(args) -> int:
    from .doctor import doctor

    return doctor(hub_timeout=args.hub_timeout)


def _models(args) -> int:
    from .catalogue import catalogue

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


def _finetune(args) -> int:
    from .finetune import FinetuneConfig, finetune
    from .notebook import under_ci

    config = FinetuneConfig(output=args.output, model=args.model, data=args.data, epochs=args.epochs,
                            batch_size=args.batch_size, learning_rate=args.lr, train_size=args.train_size,
                            eval_size=args.eval_size, max_length=args.max_length, freeze_base=args.freeze,
                            seed=args.seed)
    try:
        finetune(config, quiet=args.quiet or under_ci())
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
    f = sub.add_parser("finetune", help="fine-tune a classifier (runs under accelerate launch and torchrun too)")
    f.add_argument("--output", required=True, help="folder for the model, tokenizer and metrics.json")
    f.add_argument("--model", default="encoder", help="catalogue role, local folder or Hub id (default: encoder)")
    f.add_argument("--data", default="tweets", help="'tweets' or a CSV with text and label columns")
    f.add_argument("--epochs", type=float, default=2.0)
    f.add_argument("--batch-size", type=int, default=32, help="per device")
    f.add_argument("--lr", type=float, default=1e-4, help="learning rate")
    f.add_argument("--train-size", type=int, default=3000, help="training examples (0 = all)")
    f.add_argument("--eval-size", type=int, default=1000, help="validation examples (0 = all)")
    f.add_argument("--max-length", type=int, default=64, help="tokens per example")
    f.add_argument("--freeze", action="store_true", help="train only the classification head")
    f.add_argument("--seed", type=int, default=0)
    f.add_argument("--quiet", action="store_true", help="no progress bars (the default under CI)")
    f.set_defaults(run=_finetune)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
