"""labkit: the helper package behind the Transformers Lab Kit notebooks.

It does what is not the lesson (choosing a checkpoint, plotting, widgets, checks) so that the notebooks can teach
the plain `transformers` API. Notebooks use one style, ``import labkit`` and then::

    env = labkit.setup()                          # seeds, quiet logging, plot style, versions; env.device
    labkit.checkpoint("encoder")                  # a prepared folder (offline) or a Hub id, for from_pretrained
    labkit.catalogue(), labkit.using_hub(what)    # the models by role; skip a Hub-only cell offline
    labkit.data.load_tweets(), labkit.data.load_corpus()
    labkit.plots.<figure>(...)                    # matplotlib figures (labkit/plots/)
    labkit.views.TokenView(...), labkit.views.offline(bertviz_view)   # HTML views
    labkit.widgets.DecodingExplorer(...), labkit.widgets.AttentionExplorer(...)
    labkit.decoding.generate(...)                 # the generation loop, proven equal to model.generate
    labkit.attention.head_patterns(...)           # numbers computed from attention weights
    labkit.training.Recipe, labkit.training.classification_metrics
    labkit.deployment.median_seconds(run), labkit.server.page_url()   # timings; the Transformers.js page (09)
    labkit.check("tokenization.count_tokens", answer)  # exercises (labkit/exercises/): a verdict and a nudge
    labkit.hint("tokenization.count_tokens"), labkit.solution(...)  # the next hint; the reference answer
    labkit.progress.report()                      # the learner's exercises passed, per notebook
    labkit.doctor(), labkit.free_memory(), labkit.peak_memory_gib(), labkit.lean_allocator()  # memory chores
    labkit.background.live_status()               # what `labkit prepare` is still building behind JupyterLab

Every name above is public and documented; nothing starting with ``_`` is for notebooks. Heavy libraries (torch,
transformers) load on first use, so ``import labkit`` and the ``labkit`` command start fast even in a broken
environment.
"""
import importlib

__version__ = "0.1.0"

# name -> the module that defines it (imported on first use)
_FUNCTIONS = {
    "setup": "notebook", "free_memory": "notebook", "peak_memory_gib": "notebook", "lean_allocator": "notebook",
    "checkpoint": "checkpoints", "catalogue": "checkpoints", "using_hub": "checkpoints", "model_source": "checkpoints",
    "MissingAssetError": "assets", "UnknownRoleError": "assets",
    "kit_home": "settings",
    "check": "exercises", "hint": "exercises", "solution": "exercises",
    "doctor": "environment",
}
_MODULES = ("assets", "attention", "background", "checkpoints", "data", "decoding", "deployment", "environment", "exercises", "plots",
            "progress", "server", "settings", "training", "views", "widgets")


def __getattr__(name):
    if name in _FUNCTIONS:
        return getattr(importlib.import_module(f".{_FUNCTIONS[name]}", __name__), name)
    if name in _MODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'labkit' has no attribute {name!r}")


__all__ = [*_FUNCTIONS, *_MODULES, "__version__"]
