"""Figures for the notebooks. Each function draws on a new figure and returns it, so tests can inspect it.

charts.py: general charts; attention.py: attention maps; training.py: training curves, the confusion matrix and LoRA's
matrices; evaluation.py: confidence intervals and reliability diagrams.
"""
from .attention import attention_average, attention_flow, attention_grid, attention_head, representation_drift
from .charts import (bar_panels, bars, cutoff_plot, hidden_states_heatmap, probability_bars, similarity_heatmap,
                     temperature_curves)
from .evaluation import intervals, reliability_diagrams
from .training import confusion_matrix, lora_matrices, training_curves

__all__ = ["attention_average", "attention_flow", "attention_grid", "attention_head", "bar_panels", "bars", "confusion_matrix",
           "cutoff_plot", "hidden_states_heatmap", "intervals", "lora_matrices", "probability_bars", "reliability_diagrams", "representation_drift", "similarity_heatmap",
           "temperature_curves", "training_curves"]
