"""What `make test-latest` found: the versions that differ from requirements.lock, and the tests that broke.

    python tools/latest_report.py <python of the latest environment> <pytest junit xml>
"""
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

LOCK = Path(__file__).resolve().parents[1] / "requirements.lock"
WATCHED = ("torch", "transformers", "tokenizers", "datasets", "accelerate", "huggingface-hub", "safetensors",
           "jupyterlab", "ipywidgets", "nbval", "numpy", "bertviz")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def versions(python: str) -> dict[str, str]:
    listed = subprocess.run([python, "-m", "pip", "list", "--format=json", "--exclude-editable"],
                            capture_output=True, text=True, check=True).stdout
    return {canonical(p["name"]): p["version"].split("+")[0] for p in json.loads(listed)}


def locked() -> dict[str, str]:
    pins = (line.split("==") for line in LOCK.read_text().splitlines() if "==" in line and not line.startswith("#"))
    return {canonical(name): version for name, version in pins}


def main(python: str, junit: str) -> int:
    new, old = versions(python), locked()
    changed = sorted(n for n in new.keys() & old.keys() if new[n] != old[n])
    print("Newest releases that pyproject.toml admits, against requirements.lock:")
    for name in sorted(changed, key=lambda n: (n not in WATCHED, n)):
        print(f"  {'*' if name in WATCHED else ' '} {name}: {old[name]} -> {new[name]}")
    print(f"  ({len(changed)} changed, {len(new.keys() - old.keys())} new, {len(old.keys() - new.keys())} gone; "
          f"* = the course's core libraries)")
    suite = ET.parse(junit).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    broken = [f"{case.get('classname')}::{case.get('name')}: "
              + (case.find('failure') if case.find('failure') is not None else case.find('error')).get("message", "")
              .splitlines()[0][:160] for case in suite.iter("testcase")
              if case.find("failure") is not None or case.find("error") is not None]
    print(f"Tests: {suite.get('tests')} run, {len(broken)} failed or errored, {suite.get('skipped')} skipped")
    for line in broken:
        print(f"  FAILED {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
