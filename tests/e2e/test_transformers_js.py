"""Notebook 09's Transformers.js page in Chromium, offline: the ONNX exports of the encoder and the sentiment
classifier run in the browser (WebAssembly), served by the kit's Jupyter server extension, and give Python's answers.
"""
from __future__ import annotations

import json
import urllib.parse

import pytest

TEXTS = ["I love this course!", "The train was late again and nobody told us why.",
         "Paris is the capital of France.", "What a terrible, boring film."]


@pytest.fixture(scope="module")
def exported(prepared, lab):
    """The two models exported where the page looks (the learner's onnx folder), and Python's answers for TEXTS."""
    import torch
    from transformers import AutoModel, AutoModelForSequenceClassification, AutoTokenizer

    import labkit
    from labkit.deployment import export_onnx

    folder = lab.user_dir / "onnx"
    answers = {}
    for name, role, auto, outputs, extra in (
            ("minilm", "encoder", AutoModel, ["last_hidden_state"], {"add_pooling_layer": False}),  # as notebook 09
            ("sentiment", "sentiment", AutoModelForSequenceClassification, ["logits"], {})):
        tokenizer = AutoTokenizer.from_pretrained(labkit.checkpoint(role))
        model = auto.from_pretrained(labkit.checkpoint(role), **extra).eval()
        export_onnx(model, tokenizer, folder / name, outputs)
        batch = tokenizer(TEXTS, padding=True, return_tensors="pt")
        with torch.no_grad():
            out = model(**batch)
        if name == "minilm":  # mean pooling over the real tokens, then unit length: as the page asks
            mask = batch["attention_mask"].unsqueeze(-1).float()
            pooled = (out.last_hidden_state * mask).sum(1) / mask.sum(1)
            answers[name] = torch.nn.functional.normalize(pooled, dim=-1)
        else:
            answers[name] = [model.config.id2label[i] for i in out.logits.argmax(-1).tolist()]
    return answers


def test_the_page_gives_pythons_embeddings_and_labels_offline(page, lab, exported, screenshot):
    import torch

    console, failed = [], []  # what the page logged, and requests that did not succeed: shown when it fails
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("response", lambda response: failed.append(f"{response.status} {response.url}") if response.status >= 400
            else None)
    query = urllib.parse.urlencode({"token": lab.token, "texts": json.dumps(TEXTS)})
    page.goto(f"{lab.url}/labkit/page/transformers_js.html?{query}")
    page.wait_for_function("window.labkitResults || window.labkitError", timeout=120_000)
    screenshot(page, "results")
    error = page.evaluate("window.labkitError")
    assert error is None, "\n".join([error, *console, *failed])
    results = page.evaluate("window.labkitResults")
    assert results["device"] == "wasm"  # headless Chromium has no WebGPU adapter
    browser = torch.tensor(results["embeddings"])
    cosines = torch.nn.functional.cosine_similarity(browser, exported["minilm"], dim=-1)
    print("cosine browser vs Python:", [round(c, 7) for c in cosines.tolist()])
    assert browser.shape == exported["minilm"].shape == (len(TEXTS), 384)
    assert bool((cosines >= 0.999).all()), cosines
    assert [r["label"] for r in results["labels"]] == exported["sentiment"]
    assert not page.blocked, f"requests outside localhost: {page.blocked}"


def test_the_page_needs_the_servers_login(lab):
    import urllib.error
    import urllib.request

    for path in ("page/transformers_js.html", "kit/transformers-js/transformers.min.js", "onnx/minilm/config.json"):
        try:  # without the token, the server sends the browser to its login page
            with urllib.request.urlopen(f"{lab.url}/labkit/{path}", timeout=10) as response:
                assert "/login" in response.url, path
        except urllib.error.HTTPError as refused:
            assert refused.code == 403, path
