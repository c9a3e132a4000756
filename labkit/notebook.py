"""`labkit.setup()`: the first code cell of every notebook."""
from __future__ import annotations

import logging
import os
import platform as _platform
import sys
from dataclasses import dataclass

from . import settings as kit_settings
from .checkpoints import model_source
from .settings import best_device


@dataclass(frozen=True)
class Setup:
    device: str  # "cuda", "mps" or "cpu"
    source: str  # "offline" or "hub"
    platform: str  # "Colab", "Kaggle", "Binder" or "local"
    quiet: bool  # progress bars and library logging off (CI)


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
    # What must stay global, and why: the libraries and child processes read the environment, not our settings.
    # - LABKIT_SOURCE: `!labkit models` and other commands started from the notebook use the same model source;
    # - HF_HUB_OFFLINE: huggingface_hub reads it once, at import (so its constant is set too if already imported);
    # - PATH: `!transformers env` and `!labkit doctor` run from this kernel's environment, not another one;
    # - LABKIT_QUIET, TQDM_DISABLE, HF_HUB_DISABLE_PROGRESS_BARS: no progress bars from any library, here or in a
    #   child process.
    os.environ["LABKIT_SOURCE"] = chosen
    if chosen == "offline":
        os.environ["HF_HUB_OFFLINE"] = "1"
        if "huggingface_hub" in sys.modules:
            sys.modules["huggingface_hub"].constants.HF_HUB_OFFLINE = True
    bin_dir = os.path.dirname(sys.executable)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    quiet = kit_settings.settings().quiet if quiet is None else quiet
    if quiet:
        os.environ.update(LABKIT_QUIET="1", TQDM_DISABLE="1", HF_HUB_DISABLE_PROGRESS_BARS="1")
    kit_settings.reload()  # the settings now follow this notebook's choices

    from . import warnings_policy

    warnings_policy.install()  # before the libraries load: in `make test` their drift warnings are errors

    import datasets
    import matplotlib
    import torch
    import transformers

    transformers.set_seed(seed)
    transformers.logging.set_verbosity_error()
    datasets.logging.set_verbosity_error()
    logging.getLogger("torch.onnx").setLevel(logging.ERROR)  # the exporter's notes on torchvision's optional ops
    if quiet:
        transformers.utils.logging.disable_progress_bar()
        datasets.disable_progress_bars()
    matplotlib.rcParams.update(PLOT_STYLE)

    env = Setup(device=best_device(), source=chosen, platform=kit_settings.settings().platform, quiet=quiet)
    if show:
        from . import __version__

        where = f"offline ({kit_settings.shown(kit_settings.kit_home())})" if chosen == "offline" else "Hugging Face Hub"
        print(f"labkit {__version__} | Python {_platform.python_version()} | torch {torch.__version__} | "
              f"transformers {transformers.__version__} | datasets {datasets.__version__}\n"
              f"device: {env.device} | models: {where} | running on: {env.platform}")
    return env


def free_memory() -> None:
    """Collect garbage and hand freed memory back to the operating system (glibc keeps it otherwise), so that
    one notebook can train several models in turn within a small memory limit such as Binder's."""
    import gc

    gc.collect()
    if libc := _glibc():  # elsewhere (macOS, Windows): the collector alone
        libc.malloc_trim(0)


def _glibc():
    """The C library when it is glibc (Linux), else None."""
    import ctypes

    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:
        return None


def peak_memory_gib() -> float:
    """The most memory this process has held so far, in GiB (resident set size; Linux, macOS and Windows)."""
    import sys

    if sys.platform == "win32":
        import psutil

        return psutil.Process().memory_info().peak_wset / 2**30
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**30 if sys.platform == "darwin" else peak / 2**20  # bytes on macOS, KiB on Linux


def lean_allocator() -> None:
    """For a kernel that trains several models in turn within Binder's 1.5 GB (glibc, Linux): blocks of 1 MiB and more
    come from the operating system and go back to it when freed, and threads share at most two malloc arenas, so
    freed tensors do not stay counted in the kernel's memory. Costs a few percent of speed; elsewhere it does nothing."""
    if not (libc := _glibc()):
        return
    libc.mallopt(-3, 1 << 20)  # M_MMAP_THRESHOLD: fixed, so glibc no longer raises it as big blocks are freed
    libc.mallopt(-8, 2)  # M_ARENA_MAX
