"""bertviz's views with no internet: the scripts they load from a CDN, inlined from the kit home.

bertviz's ``head_view`` / ``model_view`` return HTML that loads require.js from a CDN and asks require.js for d3 and
jQuery from the same CDN, so offline the cell stays blank. ``offline(view)`` returns the same view with those three
scripts (pinned copies from the npm registry, fetched by `labkit prepare`) written into the page:

    display(labkit.offline_views.offline(head_view(attentions, tokens, html_action="return")))
"""
from __future__ import annotations

from .assets import asset

REQUIRE_TAG = '<script src="https://cdnjs.cloudflare.com/ajax/libs/require.js/2.3.6/require.min.js"></script>'
# d3 and jQuery run with AMD's `define` hidden, so they set window.d3 and window.jQuery; then they are named
# modules, and bertviz's requirejs(['jquery', 'd3'], ...) finds them defined instead of fetching them.
LIBRARY = "<script>(function (define, module, exports) {{\n{code}\n}}).call(window);</script>"
NAMED = ("<script>['d3', 'jquery'].forEach(function (name) {{ if (!requirejs.defined(name)) "
         "define(name, [], function () {{ return name === 'd3' ? window.d3 : window.jQuery; }}); }});</script>")


def scripts_folder():
    """Where `labkit prepare` puts the bertviz-scripts asset (its folder is defined once, in labkit.assets)."""
    return asset("bertviz-scripts").path


def read(name: str) -> str:
    code = (scripts_folder() / name).read_text(encoding="utf-8")
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
                         "(bertviz 1.4.x); a newer bertviz may load other scripts: see labkit/offline_views.py")
    folder = scripts_folder()
    if not (folder / "MANIFEST.json").is_file():
        print(f"bertviz's scripts are not in the kit home ({folder}): this view loads them from a CDN and stays "
              "blank offline. Install Node.js (npm) and run `labkit prepare` to draw it offline.")
        return view
    inlined = "".join([LIBRARY.format(code=read("d3.min.js")), LIBRARY.format(code=read("jquery.min.js")),
                       f"<script>{read('require.js')}</script>", NAMED])
    return HTML(html.replace(REQUIRE_TAG, inlined))
