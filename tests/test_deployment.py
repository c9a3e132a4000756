"""labkit.deployment: the ONNX export the tests and the benchmark use (notebook 09 writes the same one itself), on a
tiny BERT classifier, checked against PyTorch with ONNX Runtime on shapes the sample never had."""
import json

import numpy as np
import pytest

from labkit.deployment import export_onnx, median_seconds


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory):
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import BertConfig, BertForSequenceClassification, PreTrainedTokenizerFast

    import torch

    torch.manual_seed(0)
    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "a", "first", "second", "and", "longer", "example", ","]
    backend = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, pad_token="[PAD]", unk_token="[UNK]",
                                        model_input_names=["input_ids", "token_type_ids", "attention_mask"])
    config = BertConfig(vocab_size=len(words), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=64, num_labels=3)
    return BertForSequenceClassification(config).eval(), tokenizer


def test_export_runs_in_onnx_runtime_like_pytorch_on_new_shapes(tiny_bert, tmp_path):
    import onnxruntime as ort
    import torch

    model, tokenizer = tiny_bert
    path = export_onnx(model, tokenizer, tmp_path / "tiny", ["logits"])
    assert path == tmp_path / "tiny" / "onnx" / "model.onnx"
    assert {"config.json", "tokenizer.json", "tokenizer_config.json"} <= {p.name for p in (tmp_path / "tiny").iterdir()}
    assert not list((tmp_path / "tiny" / "onnx").glob("*.data"))  # the weights are inside the one file
    assert len(json.loads((tmp_path / "tiny" / "config.json").read_text())["id2label"]) == 3
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    shapes = {i.name: i.shape for i in session.get_inputs()}
    assert shapes == {name: ["batch", "sequence"] for name in ("input_ids", "token_type_ids", "attention_mask")}
    generator = torch.Generator().manual_seed(1)
    for batch, length in ((1, 3), (5, 17)):  # neither is the sample's (2, 7)
        ids = torch.randint(4, 11, (batch, length), generator=generator)
        inputs = {"input_ids": ids, "token_type_ids": torch.zeros_like(ids), "attention_mask": torch.ones_like(ids)}
        with torch.no_grad():
            expected = model(**inputs).logits.numpy()
        (got,) = session.run(["logits"], {k: v.numpy() for k, v in inputs.items()})
        np.testing.assert_allclose(got, expected, atol=1e-5)


def test_median_seconds_is_the_median_of_the_timed_calls(monkeypatch):
    import labkit.deployment as deployment

    clock = iter([0.0, 1.0, 10.0, 13.0, 20.0, 22.0])  # calls of 1, 3 and 2 seconds
    monkeypatch.setattr(deployment.time, "perf_counter", lambda: next(clock))
    calls = []
    assert median_seconds(lambda: calls.append(1), repeat=3, warmup=2) == 2.0
    assert len(calls) == 5  # warm-up calls are made but not timed
