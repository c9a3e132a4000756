"""Time and peak memory of every notebook, executed top to bottom as a learner would (Kernel > Run All).

    make benchmark-notebooks            # or: python benchmarks/notebooks.py [--save] [notebooks/01_*.ipynb ...]

--save records the results in assets/notebook_timings.json, which the instructor guide's lesson plan is generated
from (tools/course_tables.py), so the times it shows are measured ones.

Targets from the course design: each notebook <= 90 s on 2 CPU cores (those in BUDGETS: their own, set by their
issues) and < 1.5 GB of memory (Binder's limit). Peak memory is the kernel process's maximum resident set size.
"""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT_MB = 1536
TIMINGS = ROOT / "assets" / "notebook_timings.json"

RUN_ONE = r"""
import json, resource, sys, time
import nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], as_version=4)
start = time.perf_counter()
NotebookClient(nb, timeout=900, kernel_name="python3",  # honours the raises-exception tag, stops on other errors
               resources={"metadata": {"path": sys.argv[2]}}).execute()
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the kernel: KiB on Linux, bytes on macOS
peak_mb = peak / 2**20 if sys.platform == "darwin" else peak / 1024
errors = [o["ename"] for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
          if o.get("output_type") == "error" and "raises-exception" not in c.metadata.get("tags", [])]
print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "errors": errors}))
"""


def measure(path: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", RUN_ONE, str(path), str(path.parent)], capture_output=True,
                          text=True, env={**os.environ, "LABKIT_QUIET": "1"})
    if done.returncode != 0:
        raise SystemExit(f"{path.name} could not be executed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# seconds of Run All for the notebooks that train or evaluate several models (the rest: 90)
BUDGETS = {"08_finetuning": 240, "10_lora": 240, "11_chat_and_sft": 300, "12_evaluation": 180}


def main(args: list[str]) -> int:
    save = "--save" in args
    notebooks = [Path(p) for p in args if p != "--save"] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    results = {}
    print(f"{'notebook':<32} {'seconds':>8} {'peak MB':>8}  verdict")
    failed = 0
    started = time.perf_counter()
    for path in notebooks:
        r = measure(path)
        results[path.name] = {"seconds": round(r["seconds"], 1), "peak_mb": round(r["peak_mb"])}
        budget = BUDGETS.get(path.stem, 90)
        problems = []
        if r["seconds"] > budget:
            problems.append(f"slower than {budget} s")
        if r["peak_mb"] > LIMIT_MB:
            problems.append(f"over {LIMIT_MB} MB")
        if r["errors"]:
            problems.append(f"errors: {r['errors']}")
        failed += bool(problems)
        print(f"{path.name:<32} {r['seconds']:>8.1f} {r['peak_mb']:>8.0f}  {'; '.join(problems) or 'ok'}")
    print(f"{len(notebooks)} notebooks in {time.perf_counter() - started:.0f} s, {failed} over budget")
    if save:
        recorded = json.loads(TIMINGS.read_text())["notebooks"] if TIMINGS.exists() else {}
        machine = {"cpu_cores": os.cpu_count(), "gpu": "none" if not _cuda() else "cuda",
                   "python": platform.python_version(), "measured": time.strftime("%Y-%m-%d")}
        TIMINGS.write_text(json.dumps({"machine": machine, "notebooks": {**recorded, **results}}, indent=1) + "\n")
        print(f"saved to {TIMINGS.relative_to(ROOT)}")
    return 1 if failed else 0


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
