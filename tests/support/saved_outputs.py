"""nbval on outputs saved by another run of the same notebooks, instead of executing them again.

The browser suite (tests/e2e) runs every notebook with JupyterLab's Run All and saves it into a folder;
``pytest notebooks --nbval-lax --outputs-from=FOLDER`` then gives each saved notebook to nbval as if its kernel had
just printed those outputs: nbval's own collection (cell tags, markers), sanitizers and comparison decide, cell by
cell, as when it executes. So CI executes each notebook once, and a notebook that was not saved there fails.
"""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbval import plugin


def install(folder: Path) -> None:
    """Make nbval read each cell's outputs from ``folder/<notebook name>`` instead of running a kernel."""

    def setup(self):  # IPyNbFile: the saved notebook instead of a kernel
        self.setup_sanitize_files()
        saved = folder / self.path.name
        if not saved.exists():
            pytest.fail(f"{saved} is missing: the run that saves the notebooks (make test-e2e) did not save it", pytrace=False)
        self.saved_cells = [c for c in nbformat.read(saved, as_version=4).cells if c.cell_type == "code"]

    def teardown(self):
        pass

    def runtest(self):  # IPyNbCell: what nbval's runtest does with the outputs a kernel sent
        if self.options["skip"]:
            pytest.skip()
        saved = self.parent.saved_cells[self.cell_num]
        if saved.source != self.cell.source:
            self.raise_cell_error("the saved notebook's cell differs from the committed one (saved from another "
                                  "version of the notebook?)")
        if saved.execution_count is None:
            self.raise_cell_error("the cell was not run in the saved notebook")
        outs = plugin.coalesce_streams([nbformat.from_dict(o) for o in saved.outputs])
        errors = [o for o in outs if o.output_type == "error"]
        if errors and not self.options["check_exception"]:
            self.raise_cell_error("Cell execution caused an exception", "\n".join(errors[0].traceback))
        if self.options["check"] and self.cell.execution_count is not None:
            if not self.compare_outputs(outs, plugin.coalesce_streams(self.cell.outputs)):
                self.raise_cell_error("Cell outputs differ", "\n".join(self.comparison_traceback))

    plugin.IPyNbFile.setup, plugin.IPyNbFile.teardown = setup, teardown
    plugin.IPyNbCell.runtest = runtest
