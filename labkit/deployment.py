"""Taking a model out of PyTorch, for the tests and the benchmark of notebook 09 (the notebook writes the same export
itself: it is the lesson): an ONNX file in the folder layout that ONNX Runtime and Transformers.js read, and timings
measured side by side.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable


def export_onnx(model, tokenizer, folder: str | Path, output_names: list[str]) -> Path:
    """``folder/onnx/model.onnx`` (torch.onnx.export, dynamic batch and sequence axes) beside the model's config and
    tokenizer files: the layout Transformers.js loads with ``pipeline(task, folder_name)``."""
    import torch

    folder = Path(folder)
    (folder / "onnx").mkdir(parents=True, exist_ok=True)
    sample = tokenizer(["a first example", "and a second, longer example"], padding=True, return_tensors="pt")
    batch, sequence = torch.export.Dim("batch"), torch.export.Dim("sequence", max=model.config.max_position_embeddings)
    path = folder / "onnx" / "model.onnx"
    with torch.no_grad():
        torch.onnx.export(model.eval(), (), path, kwargs=dict(sample), input_names=list(sample),
                          output_names=output_names, dynamic_shapes={name: {0: batch, 1: sequence} for name in sample},
                          dynamo=True, external_data=False, verbose=False)
    model.config.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return path


def median_seconds(run: Callable[[], object], repeat: int = 5, warmup: int = 1) -> float:
    """The median wall time of ``run()`` over ``repeat`` calls, after ``warmup`` untimed ones."""
    for _ in range(warmup):
        run()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]
