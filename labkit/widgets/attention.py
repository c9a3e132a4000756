"""The attention explorer: layer and head sliders that redraw one head's map (labkit.plots.attention_head)."""
from __future__ import annotations

from typing import Sequence

from ..attention import check_tokens, stack
from ..plots import attention_head


class AttentionExplorer:
    """Layer and head selectors; changing either redraws the zoomed-in head (a plain method: ``show(layer, head)``)."""

    def __init__(self, attentions, tokens: Sequence[str], batch_index: int = 0):
        import ipywidgets as w

        self.weights = stack(attentions, batch_index)
        check_tokens(self.weights, tokens)
        self.tokens = list(tokens)
        layers, heads = self.weights.shape[:2]
        self.layer = w.IntSlider(value=0, min=0, max=layers - 1, description="layer", continuous_update=False)
        self.head = w.IntSlider(value=0, min=0, max=heads - 1, description="head", continuous_update=False)
        self.output = w.Output()
        self.figure = None
        self.layer.observe(lambda change: self.show(), names="value")
        self.head.observe(lambda change: self.show(), names="value")

    def show(self, layer: int | None = None, head: int | None = None):
        import matplotlib.pyplot as plt
        from IPython.display import display

        layer = self.layer.value if layer is None else layer
        head = self.head.value if head is None else head
        if self.figure is not None:
            plt.close(self.figure)
        self.figure = attention_head(self.weights, self.tokens, layer, head)
        plt.close(self.figure)  # shown through the Output widget only
        self.output.clear_output(wait=True)
        with self.output:
            display(self.figure)
        return self.figure

    def widget(self):
        import ipywidgets as w

        self.show()
        return w.VBox([w.HBox([self.layer, self.head]), self.output])
