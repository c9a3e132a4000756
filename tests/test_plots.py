import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from labkit import plots, views  # noqa: E402


def test_probability_bars_one_axes_per_text():
    fig = plots.probability_bars([[0.1, 0.2, 0.7], [0.6, 0.3, 0.1]], ["neg", "neu", "pos"], ["a", "b"])
    assert len(fig.axes) == 2
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["neg", "neu", "pos"]
    with pytest.raises(ValueError, match="expected \\(texts, labels\\)"):
        plots.probability_bars([[0.5, 0.5]], ["neg", "neu", "pos"], ["a"])


def test_similarity_heatmap_labels_and_values():
    fig = plots.similarity_heatmap(np.eye(3), ["x", "y", "z"])
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["x", "y", "z"]
    assert sorted(t.get_text() for t in ax.texts).count("1.00") == 3
    with pytest.raises(ValueError):
        plots.similarity_heatmap(np.eye(2), ["x", "y", "z"])


def test_hidden_states_heatmap_rows_are_tokens():
    fig = plots.hidden_states_heatmap(np.random.rand(4, 384), ["[CLS]", "hi", "!", "[SEP]"], dims=10)
    assert fig.axes[0].get_images()[0].get_array().shape == (4, 10)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["[CLS]", "hi", "!", "[SEP]"]
    with pytest.raises(ValueError, match="3 tokens"):
        plots.hidden_states_heatmap(np.zeros((4, 8)), ["a", "b", "c"])


def test_cutoff_plot_counts_top_p_over_the_whole_vocabulary():
    import torch
    from transformers import TopPLogitsWarper

    probs = torch.full((197,), 0.5 / 187)  # ten tokens carry half the mass, 187 share the rest
    probs[:10] = 0.05
    fig = plots.cutoff_plot(probs, [str(i) for i in range(197)], top_k=10, top_p=0.9, show=30)
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    kept = int(torch.isfinite(TopPLogitsWarper(0.9)(None, probs.log()[None])).sum())
    assert kept > 30 and f"top-p = 0.9: keeps {kept} tokens (beyond the 30 shown)" in legend
    assert "top-k = 10: keeps 10 tokens" in legend
    cut = [line for line in fig.axes[0].get_lines() if line.get_linestyle() == ":"][0]
    assert cut.get_xdata()[0] == 29.5  # marked at the right edge of the 30 bars


def test_bars_are_annotated():
    fig = plots.bars({"a": 1000, "b": 250}, "t", "tokens")
    assert [t.get_text() for t in fig.axes[0].texts] == ["1,000", "250"]


def test_bar_panels_one_axes_per_panel_each_on_its_own_scale():
    fig = plots.bar_panels({"batch 1": {"PyTorch": 7.0, "ONNX Runtime": 3.0},
                            "batch 32": {"PyTorch": 280.0, "ONNX Runtime": 180.0}}, "t", "ms")
    assert [ax.get_title() for ax in fig.axes] == ["batch 1", "batch 32"]
    assert [t.get_text() for t in fig.axes[1].texts] == ["280.0", "180.0"]
    assert fig.axes[0].get_ylim()[1] < 10 < fig.axes[1].get_ylim()[1]
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["PyTorch", "ONNX\nRuntime"]


def test_token_view_shows_the_original_text(prepared):
    from transformers import AutoTokenizer

    from labkit import checkpoint

    tok = AutoTokenizer.from_pretrained(checkpoint("causal-lm"))
    view = views.TokenView(tok, "Hello 🤗 world")
    assert view.pieces[0] == "Hello" and view.pieces[-1] == " world"  # the original text, not "Ġworld"
    assert len(view) == len(tok.tokenize("Hello 🤗 world"))
    assert repr(view).startswith(f"SmolLM2-135M-Instruct ({len(view)} tokens): Hello|")
    html = view._repr_html_()
    assert html.count("<span") == len(view) and "world" in html


def test_confusion_matrix_counts():
    fig = plots.confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 2, 0], ["neg", "neu", "pos"])
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts[0] == "1\n50%" and texts[8] == "2\n67%"  # row 0: one of two right; row 2: two of three


def test_training_curves_from_log_history():
    history = [{"loss": 1.0, "epoch": 0.5}, {"loss": 0.8, "epoch": 1.0},
               {"eval_loss": 0.7, "eval_accuracy": 0.6, "eval_macro_f1": 0.5, "epoch": 1.0},
               {"loss": 0.6, "epoch": 1.5}, {"eval_loss": 0.6, "eval_accuracy": 0.7, "eval_macro_f1": 0.6, "epoch": 2.0}]
    fig = plots.training_curves(history)
    left, right = fig.axes[:2]
    assert len(left.lines) == 2 and list(left.lines[0].get_ydata()) == [1.0, 0.8, 0.6]
    assert [line.get_label() for line in right.lines] == ["accuracy", "macro_f1"]
    only_training = plots.training_curves(history[:2])  # a run that never evaluated: the loss alone
    assert len(only_training.axes) == 1 and list(only_training.axes[0].lines[0].get_ydata()) == [1.0, 0.8]


def test_attention_flow_draws_the_shapes_of_the_model():
    grouped = [t.get_text() for t in plots.attention_flow(10, 576, 9, 64, kv_heads=3).axes[0].texts]
    assert any("Q = X W_Q\n(9 heads, 10, 64)" == t for t in grouped)
    assert any("K = X W_K\n(3 heads, 10, 64)" == t for t in grouped)
    assert any("serves 3 query heads" in t for t in grouped)
    plain = [t.get_text() for t in plots.attention_flow(17, 384, 12, 32).axes[0].texts]
    assert any("(12, 17, 17)" in t for t in plain) and not any("serves" in t for t in plain)


def test_lora_matrices_are_drawn_to_scale_with_their_sizes():
    fig = plots.lora_matrices("k_proj", d_in=576, d_out=192, rank=8)
    ax = fig.axes[0]
    sizes = [(p.get_width(), p.get_height()) for p in ax.patches]
    assert sizes == [(576, 192), (8, 192), (576, 8)]  # W, B, A: B @ A has W's shape
    texts = [t.get_text() for t in ax.texts]
    assert "W (frozen)\n192 x 576\n110,592 weights" in texts and "A\n8 x 576\n4,608 weights" in texts
    assert "5.6% of W's size" in ax.get_title()  # 8 * (576 + 192) / (576 * 192)
    with pytest.raises(ValueError, match="rank=0"):
        plots.lora_matrices("q_proj", 576, 576, 0)


def test_intervals_draw_each_estimate_inside_its_interval():
    fig = plots.intervals({"a": (0.7, 0.65, 0.75), "b": (0.5, 0.4, 0.55)})
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b"]
    assert [t.get_text() for t in ax.texts] == ["0.700\n[0.650, 0.750]", "0.500\n[0.400, 0.550]"]
    with pytest.raises(ValueError, match="outside its interval"):
        plots.intervals({"a": (0.9, 0.65, 0.75)})


def test_reliability_diagrams_bar_heights_are_each_bins_accuracy():
    # two bins of confidence: 0.55 (half right) and 0.95 (all right)
    logits = np.log([[0.55, 0.45], [0.55, 0.45], [0.95, 0.05], [0.95, 0.05]])
    fig = plots.reliability_diagrams({"x": logits, "y": logits * 2}, [0, 1, 0, 0], n_bins=10)
    assert len(fig.axes) == 2 and fig.axes[0].get_title() == "x"
    bars = sorted((round(p.get_x(), 2), round(p.get_height(), 2)) for p in fig.axes[0].patches)
    assert bars == [(0.5, 0.5), (0.9, 1.0)]
    assert [t.get_text() for t in fig.axes[0].texts] == ["50%", "50%"]
