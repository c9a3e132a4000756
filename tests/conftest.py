import pytest

from labkit import settings, warnings_policy


def pytest_configure(config):
    """Drift warnings fail the test that raised them (allowed ones are listed, with why, in labkit.warnings_policy)."""
    for line in warnings_policy.pytest_filters():
        config.addinivalue_line("filterwarnings", line)


# Tests by kind (pyproject.toml's markers): a test that asks for the prepared kit home is an integration test; these
# modules' tests download from the package registries or build environments.
BY_MODULE = {"test_install.py": "install", "test_prepare.py": "network"}


def pytest_collection_modifyitems(items):
    for item in items:
        if "prepared" in getattr(item, "fixturenames", ()):
            item.add_marker("integration")
        if item.path.name in BY_MODULE:
            item.add_marker(BY_MODULE[item.path.name])


@pytest.fixture(scope="session")
def prepared():
    """The real kit home, prepared by `make test` (or `labkit prepare`) before the tests run."""
    from labkit.prepare import assets, missing_tool, status  # not in the classroom environment (nbgrader's)

    settings.reload()  # a session fixture starts before the test's own settings: not those the last test left
    problems = {name: p for name, p in status().items() if p}
    tools = {a.name: missing_tool(a) for a in assets() if a.name in problems and missing_tool(a)}
    if tools:  # prepare leaves these out with a warning; the tests need them (the browser test draws bertviz)
        pytest.fail(f"the kit home lacks {sorted(tools)}: {'; '.join(tools.values())}")
    if problems:
        pytest.fail(f"the kit home is not ready ({problems}): run `labkit prepare` first")


@pytest.fixture(autouse=True)
def fresh_settings(tmp_path_factory, monkeypatch):
    """labkit reads its settings once; each test starts from, and leaves behind, the settings of its environment,
    with a learner's folder (progress) of its own."""
    monkeypatch.setenv("LABKIT_USER_DIR", str(tmp_path_factory.mktemp("learner")))
    settings.reload()
    yield
    # the test's environment undone first (monkeypatch would undo it only after this), so what the next module's
    # fixtures read is the run's own settings, not this test's kit home
    monkeypatch.undo()
    settings.reload()


@pytest.fixture
def kit_env(monkeypatch):
    """Set (a value) or unset (None) environment variables for one test, and have labkit read them again."""
    def set_env(**values):
        for key, value in values.items():
            if value is None:
                monkeypatch.delenv(key, raising=False)
            else:
                monkeypatch.setenv(key, value)
        return settings.reload()
    return set_env


@pytest.fixture
def empty_home(tmp_path, kit_env):
    """An empty kit home, for tests that build or break assets without touching the real one."""
    kit_env(LABKIT_HOME=str(tmp_path / "kit"), LABKIT_SOURCE=None)
    return tmp_path / "kit"


# The fewest training tweets whose classifier still labels notebook 01's three checked sentences right (2,000 do not)
BACKGROUND_TWEETS = 3000


@pytest.fixture
def home_training_sentiment(prepared, tmp_path, kit_env):
    """What `make lab` leaves on a fresh machine: a kit home where every asset but the sentiment classifier is ready
    (links to the real ones) and a background `labkit prepare` training the classifier, on half the recipe's tweets
    (BACKGROUND_TWEETS: 1.5 minutes of one core instead of 3; the full recipe's accuracy is test_offline_models')."""
    import os
    import signal

    from labkit import background
    from labkit.assets import ASSETS
    from labkit.prepare import start_background

    real, home = settings.kit_home(), tmp_path / "kit-home"
    for asset in ASSETS:
        if asset.name != "sentiment":
            (home / asset.folder).parent.mkdir(parents=True, exist_ok=True)
            (home / asset.folder).symlink_to(real / asset.folder)
    kit_env(LABKIT_HOME=str(home), LABKIT_SENTIMENT_TWEETS=str(BACKGROUND_TWEETS))
    lines = []
    assert start_background(home, log=lines.append) and "building sentiment in the background" in lines[0]
    yield home
    if state := background.building(home):  # the test failed before the build ended
        os.kill(state["pid"], signal.SIGKILL)


# exercise -> (mutants killed, non-equivalent mutants), from tests/test_mutation.py's reports (they reach the main
# process under pytest-xdist too)
MUTATION_SCORES: dict[str, tuple[int, int]] = {}


def pytest_runtest_logreport(report):
    for key, value in report.user_properties:
        if key == "mutation_score":
            name, killed, counted = value
            MUTATION_SCORES[name] = (killed, counted)


def pytest_terminal_summary(terminalreporter):
    """The mutation score of each exercise's check, when test_mutation.py ran."""
    if MUTATION_SCORES:
        terminalreporter.section("mutation score of each exercise's check (killed / non-equivalent mutants)")
        for name, (killed, counted) in sorted(MUTATION_SCORES.items()):
            share = f"{killed / counted:.0%}" if counted else "-"
            terminalreporter.write_line(f"{name:32} {killed:3d} / {counted:3d}  {share}")
