"""The decoding explorer's callbacks, called directly as a slider move or a click would."""
import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from labkit import checkpoint, decoding
from labkit.widgets import STRATEGIES, DecodingExplorer


@pytest.fixture(scope="module")
def explorer(prepared):
    path = checkpoint("causal-lm")
    return DecodingExplorer(AutoModelForCausalLM.from_pretrained(path), AutoTokenizer.from_pretrained(path))


def title(explorer):
    return explorer.status.get_text()


def test_slider_moves_redraw_from_cached_logits(explorer):
    passes = explorer.forward_passes
    explorer.top_k.value = 5
    assert "5 of 49,152 tokens kept" in title(explorer)
    assert sum(t.get_visible() for t in explorer.ax.texts if t.get_text() == "✕") == explorer.show - 5
    explorer.top_k.value = 0
    explorer.top_p.value = 0.5
    kept_at_half = int(title(explorer).split(" of")[0].replace(",", ""))
    explorer.temperature.value = 0.3  # sharper: fewer tokens needed to reach p
    kept_sharp = int(title(explorer).split(" of")[0].replace(",", ""))
    assert kept_sharp < kept_at_half
    assert explorer.forward_passes == passes  # no new forward pass for slider moves
    assert bytes(explorer.chart.value[:4]) == b"\x89PNG"  # the browser gets the redrawn chart
    assert explorer.readout.value.startswith(title(explorer).split(" (")[0])  # and the same numbers as text
    explorer.top_p.value, explorer.temperature.value = 1.0, 1.0


def test_the_readout_names_the_most_likely_token(explorer):
    explorer.top_k.value = 1
    after = explorer.distributions()[1]
    token = explorer.tokenizer.decode(int(after.argmax()))
    assert float(after.max()) == pytest.approx(1.0)
    assert explorer.readout.value == f"1 of 49,152 tokens kept · most likely next token: {token!r} at 100.0%".replace(
        "'", "&#x27;")
    explorer.top_k.value = 0


def test_the_chart_shows_before_and_after(explorer):
    explorer.temperature.value = 0.5
    bars = explorer.ax.patches
    before, after = bars[:explorer.show], bars[explorer.show:]
    assert len(before) == len(after) == explorer.show
    assert after[0].get_height() > before[0].get_height()  # T < 1 sharpens the favourite
    explorer.temperature.value = 1.0


def test_a_new_prompt_needs_one_forward_pass(explorer):
    passes = explorer.forward_passes
    explorer.prompt.value = "My favourite fruit is"
    explorer.top_k.value = 3
    assert explorer.forward_passes == passes + 1
    explorer.top_k.value = 0


def test_generate_button_equals_the_library_loop(explorer):
    explorer.prompt.value = "The three primary colours are"
    explorer.max_new_tokens.value, explorer.seed.value, explorer.top_k.value = 8, 7, 40
    text = explorer.on_generate()
    ids = explorer.prompt_ids()
    torch.manual_seed(7)
    expected = decoding.generate(explorer.model, ids, **explorer.settings())
    assert text == explorer.tokenizer.decode(expected[0, ids.shape[1]:], skip_special_tokens=True)
    assert text in explorer.output.value.replace("&#x27;", "'")
    explorer.top_k.value = 0


def test_the_shown_call_is_model_generate_with_the_same_settings(explorer):
    explorer.prompt.value = "The three primary colours are"
    explorer.max_new_tokens.value, explorer.seed.value, explorer.repetition_penalty.value = 6, 5, 1.3
    text = explorer.on_generate()
    kwargs = explorer.generate_kwargs()
    assert kwargs["top_k"] == 0 and "top_k=0" in explorer.call.value  # never generate's default of 50
    ids = explorer.prompt_ids()
    torch.manual_seed(5)
    library = explorer.model.generate(ids, attention_mask=torch.ones_like(ids), **kwargs)
    assert text == explorer.tokenizer.decode(library[0, ids.shape[1]:], skip_special_tokens=True)
    explorer.num_beams.value = 3
    assert explorer.generate_call() == "model.generate(input_ids, do_sample=False, num_beams=3, " \
                                       "repetition_penalty=1.3, max_new_tokens=6)"
    explorer.num_beams.value, explorer.repetition_penalty.value = 1, 1.0


def test_beams_switch_sampling_off(explorer):
    explorer.num_beams.value = 3
    assert explorer.settings()["do_sample"] is False
    explorer.num_beams.value = 1
    explorer.do_sample.value = False
    assert explorer.settings()["do_sample"] is False
    explorer.do_sample.value = True


def test_empty_prompt_shows_an_error_instead_of_raising(explorer):
    explorer.prompt.value = ""
    assert explorer.on_generate() == ""
    assert "prompt is empty" in explorer.output.value
    explorer.prompt.value = "The three primary colours are"


def test_compare_runs_every_strategy(explorer):
    explorer.max_new_tokens.value = 6
    results = explorer.on_compare()
    assert list(results) == list(STRATEGIES)
    ids = explorer.prompt_ids()
    greedy = decoding.generate(explorer.model, ids, max_new_tokens=6)
    assert results["greedy"] == explorer.tokenizer.decode(greedy[0, ids.shape[1]:], skip_special_tokens=True)
    assert explorer.output.value.count("<tr>") == len(STRATEGIES)
