"""labkit: the helper package behind the Transformers Lab Kit notebooks.

It does what is not the lesson (choosing a checkpoint, plotting, widgets, checks) so that the notebooks can
teach the plain `transformers` API. Heavy libraries (torch, transformers) are imported only inside the functions
that need them, so `import labkit` and the `labkit` command start fast and work even in a broken environment.
"""
__version__ = "0.1.0"

from . import plots
from .checkpoints import MissingAssetError, UnknownRoleError, catalogue, checkpoint, model_source, using_hub
from .exercises import check
from .environment import doctor
from .notebook import free_memory, setup
from .settings import kit_home

_SUBMODULES = ("attention", "data", "decoding", "offline_views", "training", "widgets")  # import torch: loaded on first use


def __getattr__(name):
    if name in _SUBMODULES:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'labkit' has no attribute {name!r}")


__all__ = ["check", "free_memory", "MissingAssetError", "UnknownRoleError", "catalogue", "checkpoint", "doctor", "kit_home",
           "model_source", "plots", "setup", "using_hub", "__version__", *_SUBMODULES]
