"""The time table `.ci/run` prints at its end: each stage, each notebook under nbval and in the browser's Run All,
and the slowest test files, so that what a change costs CI shows in every CI log; its last line counts the tests
of all three pytest runs.

    python tools/ci_times.py build/ci-times

Reads ``stages.tsv`` (written by .ci/run: stage, seconds, exit status) and ``<stage>.json`` (seconds per test file
and per slow test, written by the root conftest.py when LABKIT_TIMES names the file).
"""
import json
import re
import sys
from pathlib import Path

BROWSER_RUN_ALL = re.compile(r"test_run_all_reaches_the_last_cell\[(\w+)\]$")


def load(folder: Path, stage: str) -> dict:
    path = folder / f"{stage}.json"
    return json.loads(path.read_text()) if path.is_file() else {"files": {}, "tests": {}}


def minutes(seconds: float) -> str:
    return f"{int(seconds // 60):3d}:{int(seconds % 60):02d}"


def main(folder: Path) -> None:
    rows = [line.split("\t") for line in (folder / "stages.tsv").read_text().splitlines()] \
        if (folder / "stages.tsv").is_file() else []
    print("\n==================== CI time table (min:s) ====================")
    for name, seconds, rc in rows:
        print(f"{name:34s} {minutes(int(seconds))}{'' if rc == '0' else f'   FAILED (exit {rc})'}")
    print(f"{'all stages':34s} {minutes(sum(int(s) for _, s, _ in rows))}")

    # nbval executes a notebook in `make test`, or compares what the browser's Run All saved in test-e2e (.ci/run)
    nbval = {Path(f).stem: s for stage in ("test", "test-e2e")
             for f, s in load(folder, stage)["files"].items() if f.endswith(".ipynb")}
    browser = {m.group(1): s for t, s in load(folder, "test-e2e")["tests"].items() if (m := BROWSER_RUN_ALL.search(t))}
    if nbval or browser:
        print(f"\n{'notebook':34s} {'nbval':>6s} {'browser':>8s} {'both':>6s}")
        for name in sorted(set(nbval) | set(browser)):
            a, b = nbval.get(name, 0.0), browser.get(name, 0.0)
            print(f"{name:34s} {minutes(a)} {minutes(b):>8s} {minutes(a + b)}")
        print(f"{'all notebooks':34s} {minutes(sum(nbval.values()))} {minutes(sum(browser.values())):>8s} "
              f"{minutes(sum(nbval.values()) + sum(browser.values()))}")

    print(f"\n{'test file (30 s or more)':52s} {'stage':>14s} {'min:s':>6s}")
    for stage in ("test", "test-e2e", "test-classroom"):
        files = load(folder, stage)["files"]
        tests = {f: s for f, s in files.items() if not f.endswith(".ipynb")}
        for name, seconds in sorted(tests.items(), key=lambda item: -item[1]):
            if seconds >= 30:
                print(f"{name:52s} {stage:>14s} {minutes(seconds)}")
        if tests:
            print(f"{'(all test files of ' + stage + ')':52s} {stage:>14s} {minutes(sum(tests.values()))}")
    runs = [load(folder, stage) for stage in ("test", "test-e2e", "test-classroom")]
    print(f"all: {sum(r.get('passed', 0) for r in runs)} passed, {sum(r.get('failed', 0) for r in runs)} failed")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
