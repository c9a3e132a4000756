"""pytest set-up shared by the library tests and nbval.

nbval compares only cells marked ``# NBVAL_CHECK_OUTPUT`` (we run it with --nbval-lax). Even there, rich HTML,
JavaScript, widget views and stderr (warnings, progress bars) are left out of the comparison.
"""
import os

os.environ.setdefault("LABKIT_QUIET", "1")  # no progress bars in test runs (kernels inherit this)


def pytest_collectstart(collector):
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("text/html", "application/javascript", "stderr",
                                   "application/vnd.jupyter.widget-view+json")
