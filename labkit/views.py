"""HTML views for the notebooks: a text with its token boundaries, and bertviz's attention views made to work with
no internet.

bertviz's ``head_view`` / ``model_view`` return HTML that loads require.js from a CDN and asks require.js for d3 and
jQuery from the same CDN, so offline the cell stays blank. ``offline(view)`` returns the same view with those three
scripts (pinned copies from the npm registry, fetched by `labkit prepare`) written into the page:

    display(labkit.views.offline(head_view(attentions, tokens, html_action="return")))
"""
from __future__ import annotations

from .assets import asset, is_ready


class TokenView:
    """A text with its token boundaries made visible: coloured boxes in a notebook, `tok|tok|tok` as plain text.

    A byte-level tokenizer can split one character (an emoji's 4 UTF-8 bytes) over several tokens, which then share
    that character's span of the text: each such token shows only its own bytes (``\\xa4``), and the character they
    spell follows the group once, outside the boxes."""

    COLOURS = ("#fde0dd", "#deebf7", "#e5f5e0", "#fff7bc", "#efedf5")

    def __init__(self, tokenizer, text: str, add_special_tokens: bool = False):
        encoded = tokenizer(text, add_special_tokens=add_special_tokens, return_offsets_mapping=True)
        self.name = getattr(tokenizer, "name_or_path", type(tokenizer).__name__).rstrip("/").split("/")[-1]
        self.ids = encoded["input_ids"]
        self.tokens = tokenizer.convert_ids_to_tokens(self.ids)
        spans = [tuple(span) for span in encoded["offset_mapping"]]
        # each token's piece of the original text (special tokens have an empty span, and an unknown token stands
        # for text it cannot spell: show the token itself)
        unknown = getattr(tokenizer, "unk_token", None)
        self.pieces = [text[s:e] if e > s and tok != unknown else tok for tok, (s, e) in zip(self.tokens, spans)]
        self.characters = {}  # index of the last token of a group that splits characters -> the text they spell
        k = 0
        while k < len(spans):
            end = k
            while end + 1 < len(spans) and spans[end + 1][0] < spans[end][1] and spans[end + 1][1] > spans[end + 1][0]:
                end += 1  # the next token starts inside this one's span: they share a character
            if end > k:
                for j in range(k, end + 1):
                    self.pieces[j] = _own_bytes(self.tokens[j])
                self.characters[end] = text[spans[k][0]:max(e for _, e in spans[k:end + 1])].strip()
            k = end + 1

    def __len__(self) -> int:
        return len(self.ids)

    def __repr__(self) -> str:
        return f"{self.name} ({len(self)} tokens): " + "|".join(self.tokens)

    def _repr_html_(self) -> str:
        from html import escape

        boxes = "".join(
            f'<span title="{escape(tok)} = id {i}" style="background:{self.COLOURS[k % len(self.COLOURS)]};'
            f'border-radius:3px;padding:1px 2px;margin:0 1px;font-family:monospace">{escape(piece)}</span>'
            + (f'<small style="color:#666">(= {escape(self.characters[k])})</small>' if k in self.characters else "")
            for k, (tok, i, piece) in enumerate(zip(self.tokens, self.ids, self.pieces)))
        return f"<div><b>{escape(self.name)}</b> · {len(self)} tokens<br>{boxes}</div>"


def _byte_map() -> dict[str, int]:
    """GPT-2's byte-level alphabet: the printable character that stands for each of the 256 byte values."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    chars, extra = {}, 0
    for byte in range(256):
        if byte in printable:
            chars[chr(byte)] = byte
        else:
            chars[chr(256 + extra)] = byte
            extra += 1
    return chars


def _own_bytes(token: str) -> str:
    """A byte-level token's own bytes, as text where they spell whole characters and as \\x.. escapes where they
    are part of one (the token itself when it is not byte-level)."""
    chars = _byte_map()
    if not all(c in chars for c in token):
        return token
    return bytes(chars[c] for c in token).decode("utf-8", errors="backslashreplace")


# ---------------------------------------------------------------- bertviz, offline

REQUIRE_TAG = '<script src="https://cdnjs.cloudflare.com/ajax/libs/require.js/2.3.6/require.min.js"></script>'
# d3 and jQuery run with AMD's `define` hidden, so they set window.d3 and window.jQuery; then they are named
# modules, and bertviz's requirejs(['jquery', 'd3'], ...) finds them defined instead of fetching them.
LIBRARY = "<script>(function (define, module, exports) {{\n{code}\n}}).call(window);</script>"
NAMED = ("<script>['d3', 'jquery'].forEach(function (name) {{ if (!requirejs.defined(name)) "
         "define(name, [], function () {{ return name === 'd3' ? window.d3 : window.jQuery; }}); }});</script>")


def read(name: str) -> str:
    code = (asset("bertviz-scripts").path / name).read_text(encoding="utf-8")
    if "</script" in code.lower():  # would end the inline <script> early
        raise ValueError(f"{name} contains '</script' and cannot be inlined")
    return code


def offline(view):
    """bertviz's view (``html_action="return"``) with require.js, d3 and jQuery inlined, or, if `labkit prepare`
    could not fetch them (no npm), the view unchanged and a line saying it needs the internet."""
    from IPython.display import HTML

    html = getattr(view, "data", None)
    if not isinstance(html, str) or REQUIRE_TAG not in html:
        raise ValueError("expected the HTML that bertviz's head_view / model_view return with html_action='return' "
                         "(bertviz 1.4.x); a newer bertviz may load other scripts: see labkit/views.py")
    folder = asset("bertviz-scripts").path
    if not is_ready(folder):
        print(f"bertviz's scripts are not in the kit home ({folder}): this view loads them from a CDN and stays "
              "blank offline. Install Node.js (npm) and run `labkit prepare` to draw it offline.")
        return view
    inlined = "".join([LIBRARY.format(code=read("d3.min.js")), LIBRARY.format(code=read("jquery.min.js")),
                       f"<script>{read('require.js')}</script>", NAMED])
    return HTML(html.replace(REQUIRE_TAG, inlined))
