"""A Jupyter server extension that serves notebook 09's Transformers.js page, so the notebook can show it in an
IFrame with no internet: the page (``labkit/pages/``), Transformers.js and its WebAssembly runtime from the kit home
(`labkit prepare`), and the ONNX models the learner exported into their own folder.

| URL under the server's base URL | folder                                  | documents may script the server |
|---------------------------------|-----------------------------------------|---------------------------------|
| ``labkit/page/``                | ``labkit/pages/`` (this package)        | yes: the kit's own page         |
| ``labkit/kit/``                 | ``<kit home>/web/`` (pinned, verified)  | yes: the page imports from here |
| ``labkit/onnx/``                | ``<user dir>/onnx/`` (the learner's)    | no: sandboxed, like ``/files/`` |

Every URL needs the same login as the rest of the server. pip installs the file that enables the extension
(``etc/jupyter/jupyter_server_config.d/labkit.json``, see pyproject.toml); `labkit doctor` checks it.
"""
from __future__ import annotations

import sys
from pathlib import Path

PAGES = Path(__file__).parent / "pages"
PAGE = "transformers_js.html"
CONFIG = Path("etc/jupyter/jupyter_server_config.d/labkit.json")  # relative to sys.prefix


def _jupyter_server_extension_points():
    return [{"module": "labkit.server"}]


def _load_jupyter_server_extension(serverapp) -> None:
    from jupyter_server.base.handlers import AuthenticatedFileHandler, JupyterHandler
    from jupyter_server.utils import url_path_join
    from tornado import web

    from .assets import asset
    from .settings import user_dir

    class KitFileHandler(JupyterHandler, web.StaticFileHandler):
        """The kit's own files, behind the server's login, allowed to run as ordinary same-origin pages."""

        auth_resource = "contents"

        @web.authenticated
        def get(self, path: str, include_body: bool = True):
            return web.StaticFileHandler.get(self, path, include_body)

        @web.authenticated
        def head(self, path: str):
            return web.StaticFileHandler.head(self, path)

        def compute_etag(self):  # no caching quirks between a rebuilt kit home and an open page
            return None

    base = serverapp.web_app.settings["base_url"]
    serverapp.web_app.add_handlers(".*$", [
        (url_path_join(base, "labkit/page/(.*)"), KitFileHandler, {"path": str(PAGES)}),
        (url_path_join(base, "labkit/kit/(.*)"), KitFileHandler, {"path": str(asset("transformers-js").path.parent)}),
        (url_path_join(base, "labkit/onnx/(.*)"), AuthenticatedFileHandler, {"path": str(user_dir() / "onnx")}),
    ])
    serverapp.log.info("labkit: serving the Transformers.js page at %s", url_path_join(base, "labkit/page", PAGE))


def page_url(query: str = "") -> str:
    """The page's address for an IFrame in a notebook: under JupyterHub (and Binder) the server's base URL is the
    hub's prefix for this user, which the kernel inherits as JUPYTERHUB_SERVICE_PREFIX; else ``/``."""
    import os

    base = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/").rstrip("/")
    return f"{base}/labkit/page/{PAGE}" + (f"?{query}" if query else "")


def enabled() -> bool:
    """Whether this Python environment's Jupyter server loads the extension (the file pip installs)."""
    import json

    path = Path(sys.prefix) / CONFIG
    try:
        return json.loads(path.read_text())["ServerApp"]["jpserver_extensions"]["labkit.server"] is True
    except (OSError, ValueError, KeyError):
        return False
