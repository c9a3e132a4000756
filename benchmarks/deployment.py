"""The sentiment classifier out of PyTorch, measured side by side in one run (notebook 09's comparison, larger):

    make benchmark-deployment      # or: python benchmarks/deployment.py [--tweets N]

PyTorch vs ONNX Runtime fp32 vs ONNX Runtime int8 (dynamic quantization) at batch 1 and batch 32, each a median
of several calls after a warm-up, on held-out tweets; then file size and held-out accuracy of the two ONNX files.
Prints the speed ratios against PyTorch. The exports go to a temporary folder.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("LABKIT_QUIET", "1")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tweets", type=int, default=1000, help="held-out tweets for the accuracy check")
    args = parser.parse_args(argv)

    import numpy as np
    import onnxruntime as ort
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.shape_inference import quant_pre_process
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    import labkit
    from labkit.deployment import export_onnx, median_seconds

    labkit.setup(show=False)
    tokenizer = AutoTokenizer.from_pretrained(labkit.checkpoint("sentiment"))
    model = AutoModelForSequenceClassification.from_pretrained(labkit.checkpoint("sentiment")).eval()
    test = labkit.data.load_tweets()["test"].select(range(args.tweets))
    texts, labels = test["text"], np.array(test["label"])

    with tempfile.TemporaryDirectory() as tmp:
        fp32 = export_onnx(model, tokenizer, Path(tmp) / "sentiment", ["logits"])
        prepared, int8 = fp32.with_name("prepared.onnx"), fp32.with_name("int8.onnx")
        quant_pre_process(fp32, prepared, skip_symbolic_shape=True)
        quantize_dynamic(prepared, int8, weight_type=QuantType.QInt8)
        sessions = {name: ort.InferenceSession(path, providers=["CPUExecutionProvider"])
                    for name, path in (("ONNX Runtime fp32", fp32), ("ONNX Runtime int8", int8))}
        sizes = {name: os.path.getsize(path) / 1e6 for name, path in (("ONNX Runtime fp32", fp32),
                                                                     ("ONNX Runtime int8", int8))}

        def torch_run(batch):
            with torch.no_grad():
                return model(**{k: torch.from_numpy(v) for k, v in batch.items()}).logits.numpy()

        runners = {"PyTorch": torch_run,
                   **{name: (lambda b, s=s: s.run(["logits"], dict(b))[0]) for name, s in sessions.items()}}
        one = tokenizer(texts[:1], return_tensors="np")
        many = tokenizer(texts[:32], padding=True, return_tensors="np")
        print(f"sentiment classifier (MiniLM-L6), {torch.get_num_threads()} threads, onnxruntime {ort.__version__}, "
              f"torch {torch.__version__}")
        print(f"{'':20s} {'batch 1 ms':>11s} {'ratio':>6s} {'batch 32 ms':>12s} {'ratio':>6s} {'accuracy':>9s} "
              f"{'file MB':>8s}")
        base = {}
        batches = [tokenizer(texts[i:i + 32], padding=True, return_tensors="np") for i in range(0, len(texts), 32)]
        for name, run in runners.items():
            t1 = median_seconds(lambda: run(one), repeat=30, warmup=3)
            t32 = median_seconds(lambda: run(many), repeat=7, warmup=1)
            base.setdefault("t1", t1), base.setdefault("t32", t32)
            accuracy = float((np.concatenate([run(b) for b in batches]).argmax(-1) == labels).mean())
            size = f"{sizes[name]:8.1f}" if name in sizes else f"{'-':>8s}"
            print(f"{name:20s} {1000 * t1:11.2f} {base['t1'] / t1:5.2f}x {1000 * t32:12.1f} {base['t32'] / t32:5.2f}x "
                  f"{accuracy:9.3f} {size}")
        print(f"ratios: PyTorch time / this runtime's time (higher is faster); accuracy on {len(texts)} held-out "
              f"tweets; int8 file {sizes['ONNX Runtime int8'] / sizes['ONNX Runtime fp32']:.0%} of fp32")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
