"""Every exercise check accepts a correct answer and rejects typical wrong ones. Reference answers live here."""
import pytest
import torch

from labkit.check import EXERCISES, check


def softmax_ok(logits):
    e = torch.exp(logits - logits.max(-1, keepdim=True).values)
    return e / e.sum(-1, keepdim=True)


def tokens_ok(tokenizer, text):
    return len(tokenizer.tokenize(text))


def top_k_ok(scores, k):
    kth = torch.topk(scores, k).values[..., -1:]
    return scores.masked_fill(scores < kth, float("-inf"))


def _minilm():
    from transformers import AutoTokenizer

    from labkit import checkpoint

    return AutoTokenizer.from_pretrained(checkpoint("encoder"))


def hidden_shape_ok():
    from transformers import AutoTokenizer

    from labkit import checkpoint

    tok = AutoTokenizer.from_pretrained(checkpoint("encoder"))
    return (2, tok(["Hello!", "How are you doing today?"], padding=True, return_tensors="pt").input_ids.shape[1], 384)


CASES = {
    "01.softmax": (softmax_ok, [lambda x: torch.softmax(x, dim=0), lambda x: torch.exp(x),
                                lambda x: x / x.sum(-1, keepdim=True)]),
    "01.to_labels": (lambda logits, id2label: [id2label[int(i)] for i in logits.argmax(-1)],
                     [lambda logits, id2label: logits.argmax(-1),
                      lambda logits, id2label: [id2label[int(i)] for i in logits.argmin(-1)]]),
    "01.cosine": (lambda a, b: (a @ b) / (a.norm() * b.norm()), [lambda a, b: a @ b, lambda a, b: a.norm() - b.norm()]),
    "02.count_tokens": (tokens_ok, [lambda tok, text: len(tok(text).input_ids), lambda tok, text: len(text.split())]),
    "02.special_ids": ((101, 102), [(102, 101), (0, 0), 101]),
    "02.pad_fraction": (lambda b: (b["attention_mask"] == 0).float().mean(),
                        [lambda b: b["attention_mask"].float().mean(), lambda b: 0.0]),
    "03.hidden_shape": (hidden_shape_ok, [(2, 384), (2, 3, 384)]),
    "03.batch_dim": (lambda ids: torch.tensor([ids]), [lambda ids: torch.tensor(ids), lambda ids: [ids],
                                                       lambda ids: torch.tensor([ids], dtype=torch.float32)]),
    "03.head_params": (1155, [1152, 384, 3]),
    "04.greedy_pick": (lambda logits: logits.argmax(-1), [lambda logits: logits.argmax(0),
                                                          lambda logits: logits.softmax(-1).max(-1).values,
                                                          lambda logits: logits.argmin(-1)]),
    "04.temperature": (lambda logits, t: logits / t, [lambda logits, t: logits * t, lambda logits, t: logits - t]),
    "04.top_k": (top_k_ok, [lambda s, k: s.masked_fill(s < s.topk(k).values[..., -1:], 0.0),
                            lambda s, k: s.masked_fill(s > s.topk(k, largest=False).values[..., -1:], -torch.inf),
                            lambda s, k: s.masked_fill(s < s.topk(k + 1).values[..., -1:], -torch.inf)]),
    "05.nucleus_size": (3, [2, 4, 5]),
    "05.top_k_1": (True, [False, "yes", 1.0]),
    "06.attention_shape": ((2, 12, 9, 9), [(2, 9, 9), (6, 2, 12, 9, 9), (2, 9, 9, 12)]),
    "06.visible_keys": (lambda i: i + 1, [lambda i: i, lambda i: 6 - i]),
    "06.previous_token": (lambda w: w.diagonal(offset=-1).mean(), [lambda w: w.diagonal(offset=1).mean(),
                                                                   lambda w: w.diagonal().mean(),
                                                                   lambda w: w.mean()]),
    "07.is_long": (lambda e: len(e["text"].split()) > 20, [lambda e: len(e["text"].split()) >= 20,
                                                            lambda e: len(e["text"]) > 200]),
    "07.tokenize_batch": (lambda b: _minilm()(b["text"], truncation=True, max_length=32),
                          [lambda b: _minilm()(b["text"], truncation=True, max_length=32, padding="max_length"),
                           lambda b: _minilm()(b["text"]), lambda b: {"input_ids": b["text"]}]),
    "08.accuracy": (lambda logits, labels: (logits.argmax(-1) == labels).mean(),
                    [lambda logits, labels: (logits.argmax(-1) == labels).sum(),
                     lambda logits, labels: (logits.argmin(-1) == labels).mean()]),
    "08.trainable": (1155, [0, 1155 + 384 * 384 + 384, 22_713_219]),
}


def test_every_exercise_has_cases():
    assert set(EXERCISES) == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_accepts_the_reference_answer(name, prepared, capsys):
    answer = CASES[name][0]
    if name == "03.hidden_shape":
        answer = answer()
    assert check(name, answer) is True
    assert capsys.readouterr().out.startswith(f"✔ {name}: correct")


@pytest.mark.parametrize("name", sorted(CASES))
def test_rejects_typical_wrong_answers_with_a_hint(name, prepared, capsys):
    for wrong in CASES[name][1]:
        assert check(name, wrong) is False, wrong
        out = capsys.readouterr().out
        assert out.startswith("✘") and ("Hint:" in out or "raised" in out)


def test_placeholders_are_not_attempted(capsys):
    def still_todo(logits):
        ...

    def still_todo_with_comment(tokenizer, text):
        # your code here
        ...

    assert check("01.softmax", ...) is False
    assert check("01.softmax", still_todo) is False
    assert check("02.count_tokens", still_todo_with_comment) is False
    assert capsys.readouterr().out.count("not attempted yet") == 3


def test_a_check_never_raises(capsys):
    def broken(logits):
        return 1 / 0

    assert check("01.softmax", broken) is False
    assert "raised ZeroDivisionError" in capsys.readouterr().out
    assert check("no.such.exercise", 1) is False
    assert "known: 01.cosine" in capsys.readouterr().out
