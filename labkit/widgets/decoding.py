"""The decoding explorer: sliders for the generation settings, a live next-token chart, and generation on demand.

Moving a slider redraws the chart from the prompt's cached logits (no new forward pass). Generating runs only on
the button. The callbacks are plain methods, so tests (and the benchmark) call them without a browser.
"""
from __future__ import annotations

import math
import time
from html import escape

import torch

from .. import decoding

STRATEGIES = {
    "greedy": dict(do_sample=False),
    "beam search (4)": dict(do_sample=False, num_beams=4),
    "sampling T=0.7, top-k 50": dict(do_sample=True, temperature=0.7, top_k=50),
    "top-p 0.9, no top-k": dict(do_sample=True, top_p=0.9, top_k=0),
    "T=1.5, no top-k": dict(do_sample=True, temperature=1.5, top_k=0),
}


class DecodingExplorer:
    def __init__(self, model, tokenizer, prompt: str = "The three primary colours are", show: int = 20):
        import ipywidgets as w
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.model, self.tokenizer, self.show = model.eval(), tokenizer, show
        self._cache: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
        self.forward_passes = 0
        slider = dict(continuous_update=False, style={"description_width": "140px"},
                      layout=w.Layout(width="420px"))
        self.prompt = w.Textarea(value=prompt, description="prompt", continuous_update=False,
                                 layout=w.Layout(width="420px", height="60px"))
        self.temperature = w.FloatSlider(value=1.0, min=0.1, max=2.0, step=0.05, description="temperature", **slider)
        self.top_k = w.IntSlider(value=0, min=0, max=100, description="top-k (0 = off)", **slider)
        self.top_p = w.FloatSlider(value=1.0, min=0.05, max=1.0, step=0.05, description="top-p", **slider)
        self.repetition_penalty = w.FloatSlider(value=1.0, min=1.0, max=2.0, step=0.05,
                                                description="repetition penalty", **slider)
        self.do_sample = w.Checkbox(value=True, description="sample (off: greedy, or beam search if beams > 1)",
                                    layout=w.Layout(width="420px"))
        self.num_beams = w.IntSlider(value=1, min=1, max=4, description="beams (no sampling)", **slider)
        self.max_new_tokens = w.IntSlider(value=24, min=1, max=64, description="max new tokens", **slider)
        self.seed = w.IntSlider(value=0, min=0, max=99, description="seed", **slider)
        self.button = w.Button(description="Generate", button_style="primary", icon="play")
        self.compare_button = w.Button(description="Compare strategies", icon="columns")
        self.output = w.HTML(value="<i>Press Generate.</i>", layout=w.Layout(width="900px"))
        # the chart is a PNG image widget, rendered here: faster than displaying a figure into an Output widget
        self.chart = w.Image(format="png", layout=w.Layout(width="720px"))
        # the chart's numbers as text, under it: readable without the picture (screen readers, tests)
        self.readout = w.HTML(layout=w.Layout(width="720px"))
        # the transformers call the settings stand for, under the chart
        self.call = w.HTML(layout=w.Layout(width="720px"))
        self.figure = Figure(figsize=(9, 3.4), dpi=100)
        self.canvas = FigureCanvasAgg(self.figure)
        self.ax = self.figure.add_subplot()

        for control in self.controls:
            control.observe(self.on_change, names="value")
        self.button.on_click(self.on_generate)
        self.compare_button.on_click(self.on_compare)
        self.on_change()

    @property
    def controls(self):
        return [self.prompt, self.do_sample, self.temperature, self.top_k, self.top_p, self.repetition_penalty,
                self.num_beams, self.max_new_tokens, self.seed]

    def settings(self) -> dict:
        beams = self.num_beams.value
        return dict(do_sample=self.do_sample.value and beams == 1, temperature=self.temperature.value,
                    top_k=self.top_k.value, top_p=self.top_p.value, repetition_penalty=self.repetition_penalty.value,
                    num_beams=beams, max_new_tokens=self.max_new_tokens.value)

    def generate_kwargs(self) -> dict:
        """The keyword arguments of the ``model.generate`` call these settings stand for. When sampling, top_k is
        always given: left out, generate would cut to its default of 50 tokens, while the slider's 0 means no cut."""
        s = self.settings()
        kwargs = dict(do_sample=s["do_sample"])
        if s["do_sample"]:
            kwargs.update(temperature=round(s["temperature"], 4), top_k=s["top_k"], top_p=round(s["top_p"], 4))
        elif s["num_beams"] > 1:
            kwargs["num_beams"] = s["num_beams"]
        if s["repetition_penalty"] != 1.0:
            kwargs["repetition_penalty"] = round(s["repetition_penalty"], 4)
        return {**kwargs, "max_new_tokens": s["max_new_tokens"]}

    def generate_call(self) -> str:
        """``model.generate(input_ids, ...)`` with these settings, as code."""
        return "model.generate(input_ids, " + ", ".join(f"{k}={v!r}" for k, v in self.generate_kwargs().items()) + ")"

    def prompt_ids(self) -> torch.Tensor:
        ids = self.tokenizer(self.prompt.value, return_tensors="pt").input_ids
        if ids.shape[1] == 0:
            raise ValueError("the prompt is empty: type some text into the prompt box")
        return ids

    def logits(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(prompt ids, next-token logits), computed once per prompt text."""
        text = self.prompt.value
        if text not in self._cache:
            ids = self.prompt_ids()
            with torch.no_grad():
                self._cache[text] = ids, self.model(ids).logits[:, -1].float()
            self.forward_passes += 1
        return self._cache[text]

    def distributions(self):
        """Probabilities before and after the current processors, and which tokens the processors cut."""
        ids, logits = self.logits()
        s = self.settings()
        processors = decoding.build_processors(do_sample=True, temperature=s["temperature"], top_k=s["top_k"],
                                               top_p=s["top_p"], repetition_penalty=s["repetition_penalty"])
        before = logits.softmax(-1)[0]
        processed = decoding.apply_processors(processors, ids, logits.clone())
        after = processed.softmax(-1)[0]
        return before, after, ~torch.isfinite(processed[0])

    # ------------------------------------------------------------ callbacks (plain functions)

    def on_change(self, change=None):
        """Redraw the next-token chart from cached logits: before (light) vs after (dark) the processors.

        Axes, labels and the light bars are drawn once per prompt (and y-range) and kept as a background image;
        a slider move redraws only the dark bars, the cut marks and the status line on top of it (blitting).
        """
        try:
            before, after, cut = self.distributions()
        except ValueError as err:
            self.output.value = f"<b style='color:#b00'>{err}</b>"
            return None
        if getattr(self, "_drawn_for", None) != self.prompt.value:
            self._draw_axes(before)
        top = float(max(after[self._top].max(), before[self._top].max()))
        ylim = min(1.0, math.ceil(top * 1.15 * 4) / 4)  # steps of 0.25: the background rarely needs redrawing
        if ylim != self.ax.get_ylim()[1]:
            self.ax.set_ylim(0, ylim)
            self._background = None
        for bar, marker, token in zip(self._after_bars, self._marks, self._top):
            bar.set_height(float(after[token]))
            marker.set_visible(bool(cut[token]))
        kept = f"{int((~cut).sum()):,} of {len(cut):,} tokens kept"
        self.status.set_text(f"{kept} (✕ = cut)")
        best = int(after.argmax())
        self.readout.value = escape(f"{kept} · most likely next token: {self.tokenizer.decode(best)!r} "
                                    f"at {float(after[best]):.1%}")
        self.call.value = f"<small>Generate runs the same as</small> <code>{escape(self.generate_call())}</code>"
        self.chart.value = self.render_png()
        return self.figure

    def _draw_axes(self, before) -> None:
        """Bars for the prompt's most likely tokens (by the model's own probabilities), and their labels."""
        self._top = before.topk(self.show).indices
        labels = [repr(self.tokenizer.decode(int(i)))[1:-1].replace(" ", "␣") for i in self._top]
        ax, x = self.ax, range(len(self._top))
        ax.clear()
        ax.bar([i - 0.2 for i in x], before[self._top].numpy(), 0.4, color="#c6dbef", label="model (T = 1)")
        self._after_bars = ax.bar([i + 0.2 for i in x], before[self._top].numpy(), 0.4, color="#08519c",
                                  label="after your settings", animated=True)
        self._marks = [ax.text(i + 0.2, 0, "✕", color="#d62728", ha="center", va="bottom", fontsize=11,
                               animated=True) for i in x]
        # above the plot, left of the title: never on top of a bar
        # the status line above the plot (public: a notebook prints it)
        self.status = ax.text(0, 1.02, "", transform=ax.transAxes, va="bottom", fontsize=9, animated=True)
        ax.set_xticks(list(x), labels, rotation=45, ha="right", fontsize=8)
        ax.set_ylabel("probability")
        ax.set_title("next token after the prompt")
        ax.legend(loc="upper right")
        self.figure.tight_layout()
        self._drawn_for, self._background = self.prompt.value, None

    def render_png(self) -> bytes:
        """The chart as PNG bytes: the cached background plus the moving artists, zlib level 1 for speed."""
        import io

        from PIL import Image

        if self._background is None:
            self.canvas.draw()
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
        self.canvas.restore_region(self._background)
        for artist in (*self._after_bars, *self._marks, self.status):
            self.ax.draw_artist(artist)
        buffer = io.BytesIO()
        Image.frombuffer("RGBA", self.canvas.get_width_height(), self.canvas.buffer_rgba()).save(
            buffer, format="PNG", compress_level=1)
        return buffer.getvalue()

    def generate_text(self, **settings) -> str:
        ids = self.prompt_ids()
        torch.manual_seed(self.seed.value)
        out = decoding.generate(self.model, ids, **settings)
        return self.tokenizer.decode(out[0, ids.shape[1]:], skip_special_tokens=True)

    def on_generate(self, button=None) -> str:
        try:
            started = time.perf_counter()
            text = self.generate_text(**self.settings())
        except ValueError as err:
            self.output.value = f"<b style='color:#b00'>{escape(str(err))}</b>"
            return ""
        took = time.perf_counter() - started
        self.output.value = (f"<b>{escape(self.prompt.value)}</b>{escape(text)}"
                             f"<br><small>{took:.1f} s, seed {self.seed.value}</small>")
        return text

    def on_compare(self, button=None) -> dict[str, str]:
        """The same prompt under each strategy in STRATEGIES, side by side."""
        results = {name: self.generate_text(max_new_tokens=self.max_new_tokens.value, **s)
                   for name, s in STRATEGIES.items()}
        rows = "".join(f"<tr><td style='padding:2px 8px'><b>{escape(n)}</b></td><td>{escape(t)}</td></tr>"
                       for n, t in results.items())
        self.output.value = f"<table>{rows}</table>"
        return results

    def widget(self):
        import ipywidgets as w

        left = w.VBox(self.controls + [w.HBox([self.button, self.compare_button])])
        # side by side on a wide screen, the chart under the controls on a narrow one
        row = w.HBox([left, w.VBox([self.chart, self.readout, self.call])], layout=w.Layout(flex_flow="row wrap"))
        return w.VBox([row, self.output])
