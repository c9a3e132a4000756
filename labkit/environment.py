"""`labkit doctor` (``labkit.doctor()`` in a notebook): is this environment ready for the course? One [OK] /
[WARN] / [FAIL] line per check."""
from __future__ import annotations

import importlib
import importlib.metadata
import shutil
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .checkpoints import model_source
from .settings import best_device, kit_home, settings, shown, unreachable

INSTALL_HINT = "run `make install` in the course folder (or `pip install -r requirements.lock`)"

# (import name, distribution name, what the course needs it for); the supported versions are the kit's own
# requirements (pyproject.toml), read from the installed package's metadata
PACKAGES = [
    ("torch", "torch", "tensors and models"),
    ("transformers", "transformers", "the library this course teaches"),
    ("datasets", "datasets", "loading and processing data"),
    ("tokenizers", "tokenizers", "fast tokenizers"),
    ("accelerate", "accelerate", "Trainer and device placement"),
    ("peft", "peft", "LoRA adapters"),
    ("trl", "trl", "SFTTrainer and DPOTrainer"),
    ("gguf", "gguf", "reading the SmolLM2 GGUF file"),
    ("matplotlib", "matplotlib", "figures"),
    ("ipywidgets", "ipywidgets", "interactive widgets"),
    ("jupyterlab_widgets", "jupyterlab_widgets", "the widgets' JupyterLab front end"),
    ("bertviz", "bertviz", "interactive attention views"),
    ("onnx", "onnx", "reading ONNX graphs"),
    ("onnxscript", "onnxscript", "torch.onnx.export's dynamo exporter"),
    ("onnxruntime", "onnxruntime", "running and quantizing ONNX models"),
    ("langchain_core", "langchain-core", "LangChain: a prompt template piped into a model"),
]


@lru_cache(maxsize=1)
def required_versions() -> dict[str, str]:
    """{distribution: version range} from the installed kit's Requires-Dist (its pyproject.toml dependencies)."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    try:
        requires = importlib.metadata.requires("labkit") or []
    except importlib.metadata.PackageNotFoundError:
        return {}
    ranges = {}
    for line in requires:
        req = Requirement(line)
        if req.marker is None:  # extras such as [test] are not the course's
            ranges[canonicalize_name(req.name)] = str(req.specifier)
    return ranges


@dataclass(frozen=True)
class Check:
    status: str  # OK, WARN or FAIL
    name: str
    detail: str
    fix: str = ""

    def line(self) -> str:
        hint = f"\n       fix: {self.fix}" if self.fix and self.status != "OK" else ""
        return f"[{self.status}]{' ' * (5 - len(self.status))}{self.name}: {self.detail}{hint}"


def check_python() -> Check:
    """Against the kit's own Requires-Python (pyproject.toml, as installed)."""
    from importlib.metadata import PackageNotFoundError, metadata
    from packaging.specifiers import SpecifierSet

    version = ".".join(map(str, sys.version_info[:3]))
    try:
        wanted = metadata("labkit")["Requires-Python"]
    except PackageNotFoundError:
        return Check("WARN", "Python", f"{version} (the kit is not installed, so its range is unknown)",
                     "run `make install`")
    if version not in SpecifierSet(wanted):
        oldest = wanted.lstrip(">=")
        return Check("FAIL", "Python", f"{version} is outside the supported range {wanted}",
                     f"install Python {oldest} or newer and run `make lab PYTHON=python{oldest}`")
    return Check("OK", "Python", version)


def check_package(module: str, dist: str, purpose: str, wanted: str | None = None) -> Check:
    """Importable, and its version within ``wanted`` (default: the range the kit requires)."""
    from packaging.specifiers import SpecifierSet
    from packaging.utils import canonicalize_name

    try:
        importlib.import_module(module)
        version = importlib.metadata.version(dist)
    except Exception as e:  # a broken install can raise more than ImportError
        return Check("FAIL", module, f"cannot be imported ({type(e).__name__}: {e}); needed for {purpose}",
                     INSTALL_HINT)
    wanted = required_versions().get(canonicalize_name(dist), "") if wanted is None else wanted
    if version not in SpecifierSet(wanted, prereleases=True):
        return Check("FAIL", module, f"{version} is outside the supported range {wanted}", INSTALL_HINT)
    return Check("OK", module, version)


def check_widgets_frontend() -> Check:
    """ipywidgets 8 needs the JupyterLab extension that `jupyterlab_widgets` installs into the environment."""
    ext = Path(sys.prefix) / "share/jupyter/labextensions/@jupyter-widgets/jupyterlab-manager"
    if ext.is_dir():
        return Check("OK", "widgets front end", "JupyterLab extension installed")
    return Check("WARN", "widgets front end", f"no JupyterLab extension at {ext}: sliders may show as text",
                 "pip install 'jupyterlab_widgets>=3' in the environment that runs JupyterLab, then restart it")


def check_server_extension() -> Check:
    """labkit's Jupyter server extension serves notebook 09's Transformers.js page (labkit/server.py)."""
    from .server import CONFIG, enabled

    if enabled():
        return Check("OK", "Jupyter server extension", "labkit.server enabled (the Transformers.js page)")
    return Check("WARN", "Jupyter server extension", f"not enabled (no {Path(sys.prefix) / CONFIG}): notebook 09's "
                 "browser page will not load", "run `make install` in the course folder, then restart JupyterLab")


def check_accelerator() -> Check:
    import torch

    device = best_device()
    if device == "cuda":
        return Check("OK", "accelerator", f"CUDA: {torch.cuda.get_device_name(0)}")
    if device == "mps":
        return Check("OK", "accelerator", "Apple MPS")
    if shutil.which("nvidia-smi"):
        return Check("WARN", "accelerator", f"an NVIDIA GPU is present but torch {torch.__version__} cannot use it",
                     "install a CUDA build of torch (see the PyTorch install selector), or carry on with the CPU")
    return Check("OK", "accelerator", "none, CPU only (every notebook is sized for 2 CPU cores)")


def check_assets() -> list[Check]:
    from .background import LOG, building, describe
    from .prepare import assets, missing_tool, problem

    home, offline, run = kit_home(), model_source() == "offline", building()
    checks = []
    for asset in assets():
        why = problem(asset, home)
        if why is None:
            checks.append(Check("OK", f"offline {asset.name}", shown(home / asset.folder)))
        elif run is not None:  # `labkit prepare` is on it (in the background after `make lab`)
            doing = describe(run) if run["asset"] == asset.name else "waiting its turn"
            checks.append(Check("WARN", f"offline {asset.name}", f"{why}; `labkit prepare` is {doing}",
                                f"nothing: a cell that needs it waits for it (log: {home / LOG})"))
        elif missing_tool(asset):  # a view that needs the internet, not a broken course
            checks.append(Check("WARN", f"offline {asset.name}", why, missing_tool(asset)))
        else:
            checks.append(Check("FAIL" if offline else "WARN", f"offline {asset.name}", why,
                                "run `labkit prepare` (or `make prepare`)"))
    return checks


def check_hub(timeout: float = 3.0) -> Check:
    hub, needed = settings().hub_endpoint, model_source() == "hub"
    reason = unreachable(f"{hub}/api/models?limit=1", timeout)
    if reason is None:
        return Check("OK", "Hugging Face Hub", f"{hub} reachable; models: {model_source()} "
                     f"({'set LABKIT_SOURCE=hub to use Hub checkpoints' if not needed else 'Hub checkpoints'})")
    if needed:
        return Check("FAIL", "Hugging Face Hub", f"{hub} unreachable ({reason}) but LABKIT_SOURCE=hub",
                     "connect to the internet, or unset LABKIT_SOURCE to use the offline models")
    return Check("WARN", "Hugging Face Hub", f"unreachable ({reason}); the offline models are used",
                 "nothing to do offline; to try Hub models, get online and set LABKIT_SOURCE=hub")


def run_checks(hub_timeout: float = 3.0) -> list[Check]:
    checks = [check_python()] + [check_package(*p) for p in PACKAGES] + [check_widgets_frontend(),
                                                                        check_server_extension()]
    if checks[1].status == "OK":  # torch imports
        checks.append(check_accelerator())
    return checks + check_assets() + [check_hub(hub_timeout)]


def doctor(hub_timeout: float = 3.0, out=print) -> int:
    """Print the checks; return 1 when any failed (the command's exit status), else 0."""
    checks = run_checks(hub_timeout)
    for check in checks:
        out(check.line())
    failed = [c.name for c in checks if c.status == "FAIL"]
    warned = sum(c.status == "WARN" for c in checks)
    out(f"{len(checks)} checks: {len(failed)} failed, {warned} warnings" +
        (f" ({', '.join(failed)})" if failed else " - ready for the course"))
    return 1 if failed else 0
