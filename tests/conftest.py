import pytest

from labkit import warnings_policy
from labkit.prepare import assets, missing_tool, status


def pytest_configure(config):
    """Drift warnings fail the test that raised them (allowed ones are listed, with why, in labkit.warnings_policy)."""
    for line in warnings_policy.pytest_filters():
        config.addinivalue_line("filterwarnings", line)


@pytest.fixture(scope="session")
def prepared():
    """The real kit home, prepared by `make test` (or `labkit prepare`) before the tests run."""
    problems = {name: p for name, p in status().items() if p}
    tools = {a.name: missing_tool(a) for a in assets() if a.name in problems and missing_tool(a)}
    if tools:  # prepare leaves these out with a warning; the tests need them (the browser test draws bertviz)
        pytest.fail(f"the kit home lacks {sorted(tools)}: {'; '.join(tools.values())}")
    if problems:
        pytest.fail(f"the kit home is not ready ({problems}): run `labkit prepare` first")


@pytest.fixture
def empty_home(tmp_path, monkeypatch):
    """An empty kit home, for tests that build or break assets without touching the real one."""
    monkeypatch.setenv("LABKIT_HOME", str(tmp_path / "kit"))
    monkeypatch.delenv("LABKIT_SOURCE", raising=False)
    return tmp_path / "kit"
