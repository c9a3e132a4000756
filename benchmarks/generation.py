"""Generation speed, measured side by side in one run on the bundled SmolLM2-135M-Instruct.

    make benchmark        # or: python benchmarks/generation.py

1. labkit.decoding.generate (KV cache) vs model.generate: tokens per second, identical tokens (target ratio >= 0.95).
2. With vs without the KV cache at 16, 64 and 256 new tokens: how the cost grows.
3. Decoding explorer: a slider move to a redrawn chart (target: median <= 50 ms).
"""
from __future__ import annotations

import os
import statistics
import sys
import time

import torch

os.environ.setdefault("LABKIT_QUIET", "1")


def best_of(fn, repeats):
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def main() -> int:
    import matplotlib

    matplotlib.use("Agg")
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging

    import labkit
    from labkit import decoding
    from labkit.widgets import DecodingExplorer

    logging.set_verbosity_error()
    torch.set_grad_enabled(False)
    path = labkit.checkpoint("causal-lm")
    tokenizer, model = AutoTokenizer.from_pretrained(path), AutoModelForCausalLM.from_pretrained(path).eval()
    ids = tokenizer("The history of the printing press begins", return_tensors="pt").input_ids
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, prompt {ids.shape[1]} tokens\n")
    failures = 0

    # 1. our loop vs the library, alternating runs, best of 3 each
    n = 64
    ours_times, lib_times = [], []
    for _ in range(3):
        t, ours = best_of(lambda: decoding.generate(model, ids, max_new_tokens=n, eos_token_id=[]), 1)
        ours_times.append(t)
        t, lib = best_of(lambda: model.generate(ids, max_new_tokens=n, min_new_tokens=n, do_sample=False), 1)
        lib_times.append(t)
    ratio = min(lib_times) / min(ours_times)
    same = torch.equal(ours, lib)
    ok = ratio >= 0.95 and same
    failures += not ok
    print(f"1. greedy, {n} new tokens, KV cache")
    print(f"   labkit.decoding.generate {n / min(ours_times):6.1f} tokens/s")
    print(f"   model.generate           {n / min(lib_times):6.1f} tokens/s")
    print(f"   ratio (ours / library)   {ratio:6.2f}   identical tokens: {same}   target >= 0.95: "
          f"{'met' if ok else 'MISSED'}\n")

    # 2. the cost of no cache
    print("2. with vs without the KV cache (labkit.decoding.generate, greedy)")
    print(f"   {'new tokens':>10} {'cache s':>8} {'no cache s':>10} {'speed-up':>8}")
    for n in (16, 64, 256):
        t_cache, a = best_of(lambda: decoding.generate(model, ids, max_new_tokens=n, eos_token_id=[]), 1)
        t_plain, b = best_of(lambda: decoding.generate(model, ids, max_new_tokens=n, eos_token_id=[],
                                                       use_cache=False), 1)
        print(f"   {n:>10} {t_cache:>8.2f} {t_plain:>10.2f} {t_plain / t_cache:>7.1f}x"
              f"{'' if torch.equal(a, b) else '   (tokens differ!)'}")
    print()

    # 3. a slider move, as the browser would send it
    explorer = DecodingExplorer(model, tokenizer)
    moves = []
    for i in range(30):
        start = time.perf_counter()
        explorer.temperature.value = 0.5 + (i % 10) / 10  # fires on_change: processors, redraw, PNG for the browser
        moves.append(time.perf_counter() - start)
    median_ms = statistics.median(moves) * 1000
    ok = median_ms <= 50
    failures += not ok
    print(f"3. explorer slider move -> redrawn chart: median {median_ms:.0f} ms over {len(moves)} moves, "
          f"{explorer.forward_passes} forward pass(es); target <= 50 ms: {'met' if ok else 'MISSED'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
