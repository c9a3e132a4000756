"""API drift is caught before learners see it: in `make test` (LABKIT_STRICT_WARNINGS=1), a DeprecationWarning or
FutureWarning is an error, in the library tests (tests/conftest.py) and in every notebook's kernel (`setup()`).

A warning may be allowed only in ALLOWED, with the reason it is not ours to fix. Learners never see those either.
"""
from __future__ import annotations

import warnings

DRIFT = (DeprecationWarning, FutureWarning)
# In a kernel, the code a warning is attributed to: the notebook, the kit, or the course's libraries (a kernel's own
# machinery may warn about its own internals, which no notebook can change).
COURSE_CODE = r"(__main__|labkit|transformers|datasets|tokenizers|accelerate|peft|trl|torch|huggingface_hub|safetensors|onnx|onnxruntime|onnxscript|onnx_ir|langchain_core)(\..*)?"

# (category, message regex, why it is not ours to fix). Messages without ':' (pytest splits its filters on it).
ALLOWED: list[tuple[type[Warning], str, str]] = [
    (FutureWarning, "`is_gradient_checkpointing` is deprecated",
     "peft 0.21.2's get_peft_model reads transformers' deprecated alias (peft/peft_model.py); no notebook calls it"),
    (FutureWarning, r"`isinstance\(treespec, LeafSpec\)` is deprecated",
     "torch 2.13's own ONNX exporter unpickles a LeafSpec (torch.utils._pytree, attributed to copyreg)"),
    (UserWarning, "# The axis name", "torch 2.13's ONNX exporter notes that inputs sharing one named Dim share its "
                                    "name (torch/onnx/_internal/exporter/_dynamic_shapes.py): the names are used"),
]


def install(strict_mode: bool | None = None) -> None:
    """Drift warnings from the course's code become errors (strict) or keep Python's defaults; allowed ones are
    silenced either way."""
    from .settings import settings

    if settings().strict_warnings if strict_mode is None else strict_mode:
        for category in DRIFT:
            warnings.filterwarnings("error", category=category, module=COURSE_CODE)
    for category, message, _why in ALLOWED:
        warnings.filterwarnings("ignore", message=message, category=category)


def pytest_filters() -> list[str]:
    """The same policy as pytest `filterwarnings` lines (later lines win): every drift warning is an error."""
    return [*(f"error::{c.__name__}" for c in DRIFT),
            *(f"ignore:{message}:{category.__name__}" for category, message, _why in ALLOWED)]
