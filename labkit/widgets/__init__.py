"""ipywidgets for the notebooks. Their callbacks are plain methods, so tests and benchmarks call them without a
browser.

decoding.py: DecodingExplorer (notebook 05); attention.py: AttentionExplorer (notebook 06).
"""
from .attention import AttentionExplorer
from .decoding import STRATEGIES, DecodingExplorer

__all__ = ["AttentionExplorer", "DecodingExplorer", "STRATEGIES"]
