"""bertviz's views with their scripts inlined from the kit home (the browser test proves they draw offline)."""
import pytest
import torch
from bertviz import head_view
from IPython.display import HTML

from labkit import views
from labkit.assets import NPM, asset


def view():
    attention = torch.softmax(torch.randn(1, 2, 3, 3), dim=-1)
    return head_view((attention, attention), ["a", "b", "c"], html_action="return")


def test_the_cdn_scripts_are_replaced_by_the_pinned_copies(prepared):
    original = view().data
    assert views.REQUIRE_TAG in original
    html = views.offline(view()).data
    assert views.REQUIRE_TAG not in html
    for saved in (saved for package in NPM.values() for _, saved in package.files):  # each pinned script, whole
        assert (asset("bertviz-scripts").path / saved).read_text() in html
    assert html.index("d3.min") > html.index("define(name")  # bertviz asks require.js after the modules exist
    assert "requirejs(['jquery', 'd3']" in html


def test_without_the_scripts_the_view_is_unchanged_and_says_why(empty_home, capsys):
    original = view()
    assert views.offline(original) is original
    assert "stays blank offline" in capsys.readouterr().out


@pytest.mark.parametrize("wrong", [HTML("<div>not bertviz</div>"), "a string", None])
def test_anything_but_a_bertviz_view_is_refused(wrong):
    with pytest.raises(ValueError, match="html_action='return'"):
        views.offline(wrong)


def test_token_view_shows_a_character_split_over_byte_tokens_once(prepared):
    from transformers import AutoTokenizer

    from labkit import checkpoint

    tok = AutoTokenizer.from_pretrained(checkpoint("causal-lm"))
    view = views.TokenView(tok, "the 🤗 tokenizers")
    assert view.pieces[0] == "the" and view.pieces[-1] == "izers"
    split = [piece for piece in view.pieces if "\\x" in piece]  # the emoji's 4 bytes, each token its own
    assert len(split) == 3 and "".join(split).replace(" ", "") == "\\xf0\\x9f\\xa4\\x97"
    html = view._repr_html_()
    assert html.count("🤗") == 1 and html.count("<span") == len(view)
    assert list(view.characters.values()) == ["🤗"]
