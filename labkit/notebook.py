"""`labkit.setup()`: the first code cell of every notebook."""
from __future__ import annotations

import os
import platform as _platform
import sys
from dataclasses import dataclass

from .catalogue import model_source
from .paths import kit_home


@dataclass(frozen=True)
class Setup:
    device: str  # "cuda", "mps" or "cpu"
    source: str  # "offline" or "hub"
    platform: str  # "Colab", "Kaggle", "Binder" or "local"
    quiet: bool  # progress bars and library logging off (CI)


def detect_platform(env: dict | None = None) -> str:
    env = os.environ if env is None else env
    if "COLAB_RELEASE_TAG" in env or "COLAB_GPU" in env or "google.colab" in sys.modules:
        return "Colab"
    if "KAGGLE_KERNEL_RUN_TYPE" in env or "KAGGLE_URL_BASE" in env:
        return "Kaggle"
    if "BINDER_LAUNCH_HOST" in env or "BINDER_REPO_URL" in env or "BINDER_SERVICE_HOST" in env:
        return "Binder"
    return "local"


def under_ci(env: dict | None = None) -> bool:
    """True in CI and in `make test` (they set CI or LABKIT_QUIET), where progress bars would spoil the logs."""
    env = os.environ if env is None else env
    return any(env.get(k, "").lower() not in ("", "0", "false", "no") for k in ("CI", "LABKIT_QUIET"))


def best_device() -> str:
    import torch

    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


PLOT_STYLE = {
    "figure.figsize": (7.0, 4.0), "figure.dpi": 100, "savefig.dpi": 100, "savefig.bbox": "tight",
    "axes.grid": True, "grid.alpha": 0.3, "axes.spines.top": False, "axes.spines.right": False,
    "axes.titleweight": "bold", "font.size": 10, "image.cmap": "viridis",
}


def setup(seed: int = 0, quiet: bool | None = None, source: str | None = None, show: bool = True) -> Setup:
    """Fixed seeds, quiet logging (and no progress bars under CI), one plot style, and a line of versions.

    Offline (the default source) also turns the Hub client off, so nothing waits on a network that is not there.
    """
    chosen = model_source(source)
    os.environ["LABKIT_SOURCE"] = chosen
    if chosen == "offline":
        os.environ["HF_HUB_OFFLINE"] = "1"
        if "huggingface_hub" in sys.modules:  # already imported: its constant was read at import time
            sys.modules["huggingface_hub"].constants.HF_HUB_OFFLINE = True
    bin_dir = os.path.dirname(sys.executable)  # so `!transformers env` and `!labkit doctor` use this kernel's env
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    quiet = under_ci() if quiet is None else quiet
    if quiet:
        os.environ["TQDM_DISABLE"] = "1"
        os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"

    from . import warnings_policy

    warnings_policy.install()  # before the libraries load: in `make test` their drift warnings are errors

    import datasets
    import matplotlib
    import torch
    import transformers

    transformers.set_seed(seed)
    transformers.logging.set_verbosity_error()
    datasets.logging.set_verbosity_error()
    if quiet:
        transformers.utils.logging.disable_progress_bar()
        datasets.disable_progress_bars()
    matplotlib.rcParams.update(PLOT_STYLE)

    env = Setup(device=best_device(), source=chosen, platform=detect_platform(), quiet=quiet)
    if show:
        from . import __version__

        where = f"offline ({kit_home()})" if chosen == "offline" else "Hugging Face Hub"
        print(f"labkit {__version__} | Python {_platform.python_version()} | torch {torch.__version__} | "
              f"transformers {transformers.__version__} | datasets {datasets.__version__}\n"
              f"device: {env.device} | models: {where} | running on: {env.platform}")
    return env


def free_memory() -> None:
    """Collect garbage and hand freed memory back to the operating system (glibc keeps it otherwise), so that
    one notebook can train several models in turn within a small memory limit such as Binder's."""
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except OSError:  # not glibc (macOS, Windows): the collector alone
        pass
