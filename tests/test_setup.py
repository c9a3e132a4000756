import os
import subprocess
import sys

import pytest

from labkit.settings import Settings, detect_platform


def test_platform_detection():
    assert detect_platform({}) == "local"
    assert detect_platform({"COLAB_RELEASE_TAG": "release-colab"}) == "Colab"
    assert detect_platform({"KAGGLE_KERNEL_RUN_TYPE": "Interactive"}) == "Kaggle"
    assert detect_platform({"BINDER_LAUNCH_HOST": "https://mybinder.org/"}) == "Binder"


def test_ci_detection():
    def quiet(env):
        return Settings.from_env(env).quiet

    assert quiet({"CI": "true"}) and quiet({"LABKIT_QUIET": "1"})
    assert not quiet({}) and not quiet({"CI": "false", "LABKIT_QUIET": "0"})


def test_settings_are_read_from_the_environment_in_one_place(tmp_path, monkeypatch):
    home = Settings.from_env({"LABKIT_HOME": str(tmp_path), "LABKIT_SOURCE": " Hub ", "LABKIT_STRICT_WARNINGS": "1"})
    assert (home.home, home.source, home.strict_warnings, home.quiet) == (tmp_path, "hub", True, False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # platformdirs reads the process environment
    default = Settings.from_env({})
    assert (default.source, default.hub_endpoint) == ("offline", "https://huggingface.co")
    if sys.platform.startswith("linux"):  # platformdirs: the XDG cache folder on Linux
        assert default.home == tmp_path / "cache" / "labkit"


def test_a_quicker_classifier_build_is_a_different_recipe(kit_env):
    from labkit.assets import asset
    from labkit.builds import SENTIMENT_RECIPE, recipe_of

    default = recipe_of(asset("sentiment"))["training"]
    assert default["train_size"] == SENTIMENT_RECIPE.train_size == 6000
    kit_env(LABKIT_SENTIMENT_TWEETS="3000")  # the manifest differs, so `labkit prepare` without it builds again
    assert recipe_of(asset("sentiment"))["training"] == {**default, "train_size": 3000}
    for wrong in ("3k", "-5", "1.5"):
        with pytest.raises(ValueError, match="whole number of tweets"):
            Settings.from_env({"LABKIT_SENTIMENT_TWEETS": wrong})


def run_setup(code, **env):
    unset = ("CI", "LABKIT_QUIET", "LABKIT_SOURCE", "HF_HUB_OFFLINE", "TQDM_DISABLE", "HF_HUB_DISABLE_PROGRESS_BARS")
    full = {k: v for k, v in os.environ.items() if k not in unset}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**full, **env},
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_setup_seeds_quietens_and_reports():
    out = run_setup(
        "import os, sys, torch, labkit\n"
        "env = labkit.setup(seed=3); a = torch.rand(3)\n"
        "labkit.setup(seed=3, show=False); b = torch.rand(3)\n"
        "import matplotlib\n"
        "print('SAME', bool((a == b).all()), env.device, env.source, env.quiet, os.environ['HF_HUB_OFFLINE'],\n"
        "      os.environ.get('TQDM_DISABLE'), matplotlib.rcParams['axes.spines.top'],\n"
        "      os.path.dirname(sys.executable) in os.environ['PATH'].split(os.pathsep))\n",
        CI="true")
    first, second, last = out.splitlines()
    assert first.startswith("labkit ") and "torch " in first and "transformers 5." in first
    assert "device: cpu" in second or "device: cuda" in second or "device: mps" in second
    assert "models: offline" in second
    same, seeded, device, *rest = last.split()
    assert (same, seeded) == ("SAME", "True") and device in ("cpu", "cuda", "mps")
    assert rest == ["offline", "True", "1", "1", "False", "True"]  # source, quiet, hub off, no tqdm, style, PATH


def test_setup_for_the_hub_leaves_the_hub_on_and_progress_bars_outside_ci():
    out = run_setup("import os, labkit\nenv = labkit.setup(source='hub', show=False)\n"
                    "print(env.source, env.quiet, os.environ.get('HF_HUB_OFFLINE'), os.environ.get('TQDM_DISABLE'))")
    assert out.split() == ["hub", "False", "None", "None"]


# What a notebook cell's library call would raise: a drift warning attributed to the course's code.
DRIFT = ("import warnings, labkit; labkit.setup(show=False)\n"
         "for module in ('__main__', 'transformers.generation.utils', 'jupyter_client.session'):\n"
         "    try:\n"
         "        warnings.warn_explicit('old API', FutureWarning, 'x.py', 1, module=module)\n"
         "        print(module, 'warned')\n"
         "    except FutureWarning:\n"
         "        print(module, 'raised')\n")


def test_strict_kernels_turn_the_course_codes_drift_warnings_into_errors():
    out = run_setup(DRIFT, LABKIT_STRICT_WARNINGS="1").splitlines()
    assert out == ["__main__ raised", "transformers.generation.utils raised", "jupyter_client.session warned"]


def test_learners_kernels_only_warn():
    out = run_setup(DRIFT, LABKIT_STRICT_WARNINGS="0").splitlines()
    assert all(line.endswith("warned") for line in out) and len(out) == 3


def test_a_drift_warning_fails_a_library_test():
    """tests/conftest.py installs labkit.warnings_policy's filters: warn() raises here instead of printing."""
    import warnings

    import pytest

    for category in (DeprecationWarning, FutureWarning):
        with pytest.raises(category):
            warnings.warn("an API that will go away", category)


MEMORY_PROBE = r"""
import sys, threading
from labkit.notebook import lean_allocator, peak_memory_gib
if sys.argv[1] == "lean":
    lean_allocator()
def churn():  # what a training step does: blocks of a few MiB, freed in another order than they came
    kept = []
    for i in range(400):
        kept.append(bytearray(3 * 2**20 + i * 4096))
        if len(kept) > 40:
            kept.pop(len(kept) // 2)
threads = [threading.Thread(target=churn) for _ in range(4)]
[t.start() for t in threads]
[t.join() for t in threads]
held = int(open("/proc/self/statm").read().split()[1]) * 4096 / 2**30  # resident now, every block freed
print(held, peak_memory_gib())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator settings")
def test_the_peak_is_measured_with_and_without_the_lean_allocator():
    def run(mode):
        out = subprocess.run([sys.executable, "-c", MEMORY_PROBE, mode], capture_output=True, text=True, check=True)
        return [float(x) for x in out.stdout.split()]

    (held, peak), (lean_held, lean_peak) = run("default"), run("lean")
    assert 4 * 41 * 3 / 1024 <= peak < 2 and 4 * 41 * 3 / 1024 <= lean_peak < 2  # ~41 blocks of 3 MiB per thread
    assert peak >= held and lean_peak >= lean_held
    # How much glibc keeps by default depends on threads and load (2.3x to 5x here, 1.5x under CI's xdist), so the
    # allocator's saving is measured where it matters, on notebook 11 in benchmarks/notebooks.py, not asserted here.
