"""pytest set-up shared by the library tests, nbval and the browser tests.

nbval compares only cells tagged ``nbval-check-output`` (we run it with --nbval-lax). Even there, rich HTML,
JavaScript, widget views and stderr (warnings, progress bars) are left out of the comparison. With
``--outputs-from=FOLDER`` nbval compares the notebooks saved there by the browser suite's Run All instead of executing
them again (tests/support/saved_outputs.py). Where tests/test_background.py runs notebooks 00 and 01 under nbval
(with the same options), their own runs are left out.

With ``LABKIT_TIMES=<file.json>`` (set by .ci/run), a run writes its seconds per test file (a notebook under nbval
is one file) and per test of 5 s or more there, for ``tools/ci_times.py``'s time table.

`make test` runs the tests in pytest-xdist workers (one file per worker at a time, so a notebook's cells stay in
order in one kernel); each worker's torch, and the kernels it starts, get an equal share of the cores.
"""
import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("LABKIT_QUIET", "1")  # no progress bars in test runs (kernels inherit this)
if (workers := int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))) > 1:  # before torch is imported
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // workers)))


def pytest_addoption(parser):
    parser.addoption("--outputs-from", metavar="FOLDER", default=None,
                     help="nbval: compare the notebooks saved in FOLDER (by make test-e2e) instead of executing them")


def pytest_configure(config):
    if folder := config.getoption("outputs_from"):
        from tests.support import saved_outputs

        saved_outputs.install(Path(folder))


def pytest_collectstart(collector):
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("text/html", "application/javascript", "stderr",
                                   "application/vnd.jupyter.widget-view+json")


# test_background runs these notebooks under nbval, with make test's options, while the classifier trains
BACKGROUND_TEST = "test_background.py::test_notebooks_run_while_the_classifier_trains_in_the_background"
BACKGROUND_NOTEBOOKS = ("00_setup_check.ipynb", "01_pipelines.ipynb")


@pytest.hookimpl(trylast=True)  # after -m and -k have deselected what they deselect
def pytest_collection_modifyitems(config, items):
    """Each notebook compared once: when the background test runs (not under .ci/run's -m "not browser_twin"), its
    nbval run of 00 and 01 is their comparison, and their own runs are deselected."""
    if not any(item.nodeid.endswith(BACKGROUND_TEST) for item in items):
        return
    repeated = [item for item in items if item.path.name in BACKGROUND_NOTEBOOKS]
    if repeated:
        config.hook.pytest_deselected(items=repeated)
        items[:] = [item for item in items if item.path.name not in BACKGROUND_NOTEBOOKS]


_seconds: dict[str, dict[str, float]] = {"files": {}, "tests": {}}
_failed: set[str] = set()
_passed: set[str] = set()


def pytest_runtest_logreport(report):
    if os.environ.get("LABKIT_TIMES"):  # setup, call and teardown of each test, added up
        file = report.nodeid.split("::")[0]
        _seconds["files"][file] = _seconds["files"].get(file, 0.0) + report.duration
        _seconds["tests"][report.nodeid] = _seconds["tests"].get(report.nodeid, 0.0) + report.duration
        if report.failed:
            _failed.add(report.nodeid)
        elif report.when == "call" and report.passed:
            _passed.add(report.nodeid)


def pytest_sessionfinish(session):
    if (target := os.environ.get("LABKIT_TIMES")) and not hasattr(session.config, "workerinput"):  # xdist main
        slow = {test: s for test, s in _seconds["tests"].items() if s >= 5}
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        Path(target).write_text(json.dumps({"files": _seconds["files"], "tests": slow,
                                            "passed": len(_passed - _failed), "failed": len(_failed)}, indent=1))
