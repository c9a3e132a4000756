import matplotlib
import pytest
import torch

matplotlib.use("Agg")

from labkit import attention, checkpoint, plots, widgets  # noqa: E402


@pytest.fixture(scope="module")
def minilm(prepared):
    from transformers import AutoModel, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(checkpoint("encoder"))
    model = AutoModel.from_pretrained(checkpoint("encoder"), attn_implementation="eager")
    batch = tok(["The cat sat on the mat.", "Hi!"], padding=True, return_tensors="pt")
    with torch.no_grad():
        out = model(**batch, output_attentions=True, output_hidden_states=True)
    return tok, batch, out


def labels(ticks):
    return [t.get_text() for t in ticks]


def test_grid_has_one_axes_per_layer_and_head_with_token_labels(minilm):
    tok, batch, out = minilm
    tokens = tok.convert_ids_to_tokens(batch["input_ids"][0])
    fig = plots.attention_grid(out.attentions, tokens)
    assert len(fig.axes) == 6 * 12
    first_column, bottom_left = fig.axes[12], fig.axes[5 * 12]
    assert labels(first_column.get_yticklabels()) == tokens  # queries down the left
    assert labels(bottom_left.get_xticklabels()) == tokens  # keys along the bottom
    shown = fig.axes[3 * 12 + 4].get_images()[0].get_array()
    assert torch.allclose(torch.as_tensor(shown), out.attentions[3][0, 4])


def test_head_and_average_views(minilm):
    tok, batch, out = minilm
    tokens = tok.convert_ids_to_tokens(batch["input_ids"][0])
    head = plots.attention_head(out.attentions, tokens, layer=2, head=7)
    assert labels(head.axes[0].get_xticklabels()) == tokens and head.axes[0].get_title() == "layer 2, head 7"
    average = plots.attention_average(out.attentions, tokens)
    assert len([ax for ax in average.axes if ax.get_images()]) == 6
    assert torch.allclose(torch.as_tensor(average.axes[1].get_images()[0].get_array()),
                          out.attentions[1][0].mean(0))


def test_bad_indexes_and_missing_weights_give_clear_errors(minilm):
    tok, batch, out = minilm
    tokens = tok.convert_ids_to_tokens(batch["input_ids"][0])
    with pytest.raises(ValueError, match="layer 6 is out of range: this model has layers 0 to 5"):
        plots.attention_head(out.attentions, tokens, layer=6, head=0)
    with pytest.raises(ValueError, match="head -1 is out of range: each layer has heads 0 to 11"):
        plots.attention_head(out.attentions, tokens, layer=0, head=-1)
    with pytest.raises(ValueError, match="attn_implementation='eager'"):
        plots.attention_grid(None, tokens)
    with pytest.raises(ValueError, match="3 token labels for"):
        plots.attention_grid(out.attentions, tokens[:3])
    with pytest.raises(ValueError, match="batch_index 5 is out of range"):
        attention.stack(out.attentions, batch_index=5)


def test_explorer_redraws_the_selected_head(minilm):
    tok, batch, out = minilm
    tokens = tok.convert_ids_to_tokens(batch["input_ids"][1])
    explorer = widgets.AttentionExplorer(out.attentions, tokens, batch_index=1)
    explorer.widget()
    explorer.layer.value, explorer.head.value = 4, 9
    assert explorer.figure.axes[0].get_title() == "layer 4, head 9"
    assert torch.allclose(torch.as_tensor(explorer.figure.axes[0].get_images()[0].get_array()),
                          out.attentions[4][1, 9])


def test_representation_drift_plots_every_token(minilm):
    tok, batch, out = minilm
    tokens = tok.convert_ids_to_tokens(batch["input_ids"][0])
    fig = plots.representation_drift(out.hidden_states, tokens)
    left, right = fig.axes[:2]
    assert len(left.lines) == len(right.lines) == len(tokens)
    assert len(right.lines[0].get_xdata()) == 7 and right.lines[0].get_ydata()[0] == pytest.approx(1.0)
