"""The time table .ci/run prints: the root conftest.py records a real pytest run's seconds and outcomes, and
tools/ci_times.py lays the stages, the notebooks (nbval beside the browser) and the slow files out."""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import ci_times  # noqa: E402


def test_a_pytest_run_records_its_seconds_per_file_and_its_outcomes(tmp_path):
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "test_sample.py").write_text("import time\ndef test_slow(): time.sleep(0.2)\n"
                                          "def test_fails(): assert False\n")
    target = tmp_path / "times" / "test.json"
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "conftest",
                    str(tests / "test_sample.py")],  # the root conftest.py as a plugin: the test lies outside it
                   cwd=ROOT, env={**os.environ, "LABKIT_TIMES": str(target)}, capture_output=True)
    recorded = json.loads(target.read_text())
    (file, seconds), = recorded["files"].items()
    assert file.endswith("test_sample.py") and seconds >= 0.2
    assert (recorded["passed"], recorded["failed"]) == (1, 1)


def test_the_table_shows_stages_notebooks_side_by_side_and_a_closing_count(tmp_path, capsys):
    (tmp_path / "stages.tsv").write_text("install\t65\t0\ntest\t1500\t0\ntest-e2e\t900\t1\n")
    (tmp_path / "test.json").write_text(json.dumps({
        "files": {"notebooks/04_generation_loop.ipynb": 125.0, "tests/test_check.py": 40.0, "tests/test_x.py": 2.0},
        "tests": {}, "passed": 700, "failed": 0}))
    (tmp_path / "test-e2e.json").write_text(json.dumps({
        "files": {"tests/e2e/test_notebooks_in_browser.py": 100.0},
        "tests": {"tests/e2e/test_notebooks_in_browser.py::test_run_all_reaches_the_last_cell[04_generation_loop]":
                  95.0}, "passed": 15, "failed": 1}))
    ci_times.main(tmp_path)
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("test-e2e") and "15:00" in line and "FAILED (exit 1)" in line for line in lines)
    assert any(line.split()[:4] == ["04_generation_loop", "2:05", "1:35", "3:40"] for line in lines)
    assert any(line.startswith("tests/test_check.py") for line in lines)
    assert not any(line.startswith("tests/test_x.py") for line in lines)  # under 30 s
    assert lines[-1] == "all: 715 passed, 1 failed"
