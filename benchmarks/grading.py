"""Grading time: N submissions of one notebook through `labkit grade` (nbgrader's autograde, each kernel sandboxed),
and the same notebook executed once without nbgrader or the sandbox, side by side in one run.

    make benchmark-grading          # or: .venv-classroom/bin/python benchmarks/grading.py [N] [NOTEBOOK]

Prints seconds in all, per submission, and the ratio to a plain execution (what nbgrader and the sandbox add).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    notebook = sys.argv[2] if len(sys.argv) > 2 else "02_tokenizers"
    from labkit.grading import course
    from labkit.grading.grade import grade

    kernel_python = os.environ.get("LABKIT_KERNEL_PYTHON", str(ROOT / ".venv" / "bin" / "python"))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        source, _ = course.source_notebook(json.loads((ROOT / "notebooks" / f"{notebook}.ipynb").read_text()))
        for i in range(count):  # the source version holds the reference answers: every submission is correct
            (tmp / "subs" / f"learner{i:02d}").mkdir(parents=True)
            (tmp / "subs" / f"learner{i:02d}" / f"{notebook}.ipynb").write_text(json.dumps(source))
        (tmp / "plain.ipynb").write_text(json.dumps(source))
        start = time.perf_counter()
        subprocess.run([kernel_python, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
                        "--output", str(tmp / "plain-out.ipynb"), str(tmp / "plain.ipynb")],
                       check=True, capture_output=True, env=dict(os.environ, LABKIT_QUIET="1"))
        plain = time.perf_counter() - start
        start = time.perf_counter()
        rows = grade([tmp / "subs"], tmp / "out", notebooks=[ROOT / "notebooks" / f"{notebook}.ipynb"],
                     user=os.environ.get("GRADER_USER", "labkit-grader"), kernel_python=kernel_python)
        graded = time.perf_counter() - start
    full = sum(r.points == r.max_points and r.status == "graded" for r in rows)
    print(f"{notebook}: {count} submissions graded in {graded:.0f} s ({graded / count:.1f} s each; "
          f"{full} of {len(rows)} exercise rows at full points)")
    print(f"plain execution without nbgrader or sandbox: {plain:.1f} s; per-submission ratio {graded / count / plain:.2f}")
    return 0 if full == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
