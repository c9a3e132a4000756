"""Every exercise check accepts a correct answer and rejects typical wrong ones. Reference answers live here."""
import pytest
import torch

from labkit.exercises import check, load_all


def softmax_ok(logits):
    e = torch.exp(logits - logits.max(-1, keepdim=True).values)
    return e / e.sum(-1, keepdim=True)


def pad_ids_fraction(batch):
    """A plausible wrong answer: count the pad token's id (0 for MiniLM, 2 for SmolLM2) as if it were only padding."""
    pad_id = 0 if "token_type_ids" in batch else 2
    return (batch["input_ids"] == pad_id).float().mean()


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
    "pipelines.softmax": (softmax_ok, [lambda x: torch.softmax(x, dim=0), lambda x: torch.exp(x),
                                       lambda x: x / x.sum(-1, keepdim=True), lambda x: torch.softmax(x, dim=-1),
                                       lambda x: torch.exp(x) / torch.exp(x).sum(-1, keepdim=True)]),
    "pipelines.to_labels": (lambda logits, id2label: [id2label[int(i)] for i in logits.argmax(-1)],
                            [lambda logits, id2label: logits.argmax(-1),
                             lambda logits, id2label: [id2label[int(i)] for i in logits.argmin(-1)]]),
    "pipelines.cosine": (lambda a, b: (a @ b) / (a.norm() * b.norm()),
                         [lambda a, b: a @ b, lambda a, b: a.norm() - b.norm()]),
    "tokenization.count_tokens": (tokens_ok, [lambda tok, text: len(tok(text).input_ids),
                                              lambda tok, text: len(text.split())]),
    "tokenization.special_ids": ((101, 102), [(102, 101), (0, 0), 101]),
    "tokenization.pad_fraction": (lambda b: (b["attention_mask"] == 0).float().mean(),
                                  [lambda b: b["attention_mask"].float().mean(), lambda b: 0.0,
                                   pad_ids_fraction]),
    "models.hidden_shape": (hidden_shape_ok, [(2, 384), (2, 3, 384)]),
    "models.batch_dim": (lambda ids: torch.tensor([ids]), [lambda ids: torch.tensor(ids), lambda ids: [ids],
                                                           lambda ids: torch.tensor([ids], dtype=torch.float32)]),
    "models.head_params": (1155, [1152, 384, 3]),
    "models.cross_shape": ((2, 4, 4, 10), [(2, 4, 10, 4), (2, 4, 4, 4), (2, 4, 10, 10), (2, 4, 10)]),
    "generation.greedy_pick": (lambda logits: logits.argmax(-1), [lambda logits: logits.argmax(0),
                                                                  lambda logits: logits.softmax(-1).max(-1).values,
                                                                  lambda logits: logits.argmin(-1)]),
    "generation.temperature": (lambda logits, t: logits / t,
                               [lambda logits, t: logits * t, lambda logits, t: logits - t]),
    "generation.top_k": (top_k_ok, [
        lambda s, k: s.masked_fill(s < s.topk(k).values[..., -1:], 0.0),
        lambda s, k: s.masked_fill(s > s.topk(k, largest=False).values[..., -1:], -torch.inf),
        lambda s, k: s.masked_fill(s < s.topk(k + 1).values[..., -1:], -torch.inf)]),
    "generation.sample_next": (lambda s: torch.multinomial(s.softmax(-1), 1).squeeze(-1),
                               [lambda s: s.argmax(-1), lambda s: torch.multinomial(s.softmax(-1), 1),
                                lambda s: torch.multinomial(s.softmax(0).T, 1).squeeze(-1)]),
    "decoding.nucleus_size": (3, [2, 4, 5]),
    "decoding.top_k_1": (True, [False, "yes", 1.0]),
    "attention.attention_shape": ((2, 12, 9, 9), [(2, 9, 9), (6, 2, 12, 9, 9), (2, 9, 9, 12)]),
    "attention.visible_keys": (lambda i: i + 1, [lambda i: i, lambda i: 6 - i]),
    "attention.previous_token": (lambda w: w.diagonal(offset=-1).mean(), [lambda w: w.diagonal(offset=1).mean(),
                                                                          lambda w: w.diagonal().mean(),
                                                                          lambda w: w.mean()]),
    "attention.weights_by_hand": (lambda q, k: torch.softmax(q @ k.T / q.shape[-1] ** 0.5, dim=-1),
                                  [lambda q, k: torch.softmax(q @ k.T, dim=-1),
                                   lambda q, k: torch.softmax(q @ k.T / q.shape[-1] ** 0.5, dim=0),
                                   lambda q, k: torch.softmax(q @ k.T / q.shape[-1], dim=-1),
                                   lambda q, k: q @ k.T]),
    "data.is_long": (lambda e: len(e["text"].split()) > 20, [lambda e: len(e["text"].split()) >= 20,
                                                             lambda e: len(e["text"]) > 200,
                                                             lambda e: len(e["text"]) > 100]),
    "data.tokenize_batch": (lambda b: _minilm()(b["text"], truncation=True, max_length=32),
                            [lambda b: _minilm()(b["text"], truncation=True, max_length=32, padding="max_length"),
                             lambda b: _minilm()(b["text"]), lambda b: {"input_ids": b["text"]}]),
    "finetuning.accuracy": (lambda logits, labels: (logits.argmax(-1) == labels).mean(),
                            [lambda logits, labels: (logits.argmax(-1) == labels).sum(),
                             lambda logits, labels: (logits.argmin(-1) == labels).mean()]),
    "finetuning.trainable": (1155, [0, 1155 + 384 * 384 + 384, 22_713_219]),
}


def test_every_exercise_has_cases():
    assert set(load_all()) == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_accepts_the_reference_answer(name, prepared, capsys):
    answer = CASES[name][0]
    if name == "models.hidden_shape":
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

    assert check("pipelines.softmax", ...) is False
    assert check("pipelines.softmax", still_todo) is False
    assert check("tokenization.count_tokens", still_todo_with_comment) is False
    assert capsys.readouterr().out.count("not attempted yet") == 3


def test_a_check_never_raises(capsys):
    def broken(logits):
        return 1 / 0

    assert check("pipelines.softmax", broken) is False
    assert "raised ZeroDivisionError" in capsys.readouterr().out
    assert check("no.such.exercise", 1) is False
    assert "known: attention.attention_shape" in capsys.readouterr().out
