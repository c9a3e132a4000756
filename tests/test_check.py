"""Every exercise: its reference solution (in the package) passes, plausible wrong answers fail with the diagnosis
they should get, and neither a diagnosis nor the first hint gives the solution away. Hints, solutions, progress."""
import importlib
import json
import re

import pytest
import torch
import torch.nn.functional as F
from transformers.loss.loss_utils import fixed_cross_entropy

import labkit
from labkit import progress
from labkit.exercises import EXERCISES, check, graded, hint, load_all, solution
from tests.support.mutation import answer_of


def _minilm():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(labkit.checkpoint("encoder"))


def pad_ids_fraction(batch):
    """Count the pad token's id (0 for MiniLM, 2 for SmolLM2) as if it were only padding."""
    pad_id = 0 if "token_type_ids" in batch else 2
    return (batch["input_ids"] == pad_id).float().mean()


def decode_all(model, tokenizer, prompt, n):
    inputs = tokenizer(prompt, return_tensors="pt")
    return tokenizer.decode(model.generate(**inputs, max_new_tokens=n, do_sample=False)[0], skip_special_tokens=True)


def max_length_instead(model, tokenizer, prompt, n):
    inputs = tokenizer(prompt, return_tensors="pt")
    out = model.generate(**inputs, max_length=n, do_sample=False)
    return tokenizer.decode(out[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True)


def seeded_inside(scores):
    torch.manual_seed(1234)  # the caller's seed, set again at every call: every call draws the same
    return torch.multinomial(scores.softmax(-1), 1).squeeze(-1)


def inverse_cdf(scores):
    u = torch.rand(scores.shape[0], 1)  # a right sampler, but not torch.multinomial's draw under the same seed
    return (scores.softmax(-1).cumsum(-1) < u).sum(-1)


def greedy_by_hand(model, tokenizer, prompt, n):
    ids = tokenizer(prompt, return_tensors="pt").input_ids
    start = ids.shape[1]
    for _ in range(n):  # section 1's loop: the right tokens, but never model.generate
        ids = torch.cat([ids, model(ids).logits[:, -1].argmax(-1, keepdim=True)], dim=-1)
        if ids[0, -1] == tokenizer.eos_token_id:
            break
    return tokenizer.decode(ids[0, start:], skip_special_tokens=True)


def greedy_by_default(model, tokenizer, prompt, n):
    inputs = tokenizer(prompt, return_tensors="pt")  # greedy only where the model's generation_config says so
    return tokenizer.decode(model.generate(**inputs, max_new_tokens=n)[0, inputs["input_ids"].shape[1]:],
                            skip_special_tokens=True)


def keeping_special_tokens(model, tokenizer, prompt, n):
    inputs = tokenizer(prompt, return_tensors="pt")
    output = model.generate(**inputs, max_new_tokens=n, do_sample=False)
    return tokenizer.decode(output[0, inputs["input_ids"].shape[1]:])


def greedy_from_config(model, tokenizer, prompt, n):
    from transformers import GenerationConfig

    inputs = tokenizer(prompt, return_tensors="pt")
    output = model.generate(**inputs, generation_config=GenerationConfig(max_new_tokens=n, do_sample=False))
    return tokenizer.batch_decode(output[:, inputs["input_ids"].shape[1]:], skip_special_tokens=True)[0]


def sampling_with_top_k_1(model, tokenizer, prompt, n):
    """Greedy in all but name: top_k=1 sampling, which still draws among tokens tied for first."""
    inputs = tokenizer(prompt, return_tensors="pt")
    output = model.generate(**inputs, max_new_tokens=n, do_sample=True, top_k=1)
    return tokenizer.decode(output[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True)


def greedy_with(**settings):
    """continue_greedy that also passes these settings to model.generate."""
    def continue_greedy(model, tokenizer, prompt, n):
        inputs = tokenizer(prompt, return_tensors="pt")
        output = model.generate(**inputs, max_new_tokens=n, do_sample=False, **settings)
        return tokenizer.decode(output[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True)
    return continue_greedy


def six_new_tokens(model, tokenizer, prompt, n):
    return continue_greedy_with(model, tokenizer, prompt, 6)


def continue_greedy_with(model, tokenizer, prompt, n):
    inputs = tokenizer(prompt, return_tensors="pt")
    output = model.generate(**inputs, max_new_tokens=n, do_sample=False)
    return tokenizer.decode(output[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True)


def greedy_from_ids(model, tokenizer, prompt, n):
    ids = tokenizer(prompt, return_tensors="pt").input_ids
    new_ids = model.generate(ids, max_new_tokens=n, do_sample=False)[:, ids.shape[-1]:]
    return tokenizer.batch_decode(new_ids, skip_special_tokens=True)[0]


def pipeline_continuation(model, tokenizer, prompt, n):
    from transformers import pipeline

    generator = pipeline("text-generation", model=model, tokenizer=tokenizer)
    return generator(prompt, max_new_tokens=n, do_sample=False, return_full_text=False)[0]["generated_text"]


def pipeline_labels(model=None):
    from transformers import pipeline

    def labels_of(texts):
        classifier = pipeline("sentiment-analysis", model=model)
        return classifier(texts)
    return labels_of


def first_token_vectors(texts):
    import numpy as np
    from transformers import pipeline

    extractor = pipeline("feature-extraction", model=labkit.checkpoint("encoder"))
    return np.stack([np.array(o)[0][0] for o in extractor(texts)])


def mean_vectors_with_grad(texts):
    """Right: mean pooling over each text's own tokens, by hand, left attached to autograd (no torch.no_grad)."""
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(labkit.checkpoint("encoder"))
    model = AutoModel.from_pretrained(labkit.checkpoint("encoder"))
    return torch.stack([model(**tokenizer(text, return_tensors="pt")).last_hidden_state[0].mean(0) for text in texts])


def batched_mean_vectors(texts):
    import numpy as np
    from transformers import pipeline

    extractor = pipeline("feature-extraction", model=labkit.checkpoint("encoder"))
    return np.stack([np.array(o)[0].mean(axis=0) for o in extractor(texts, batch_size=2)])


def training_args(**kwargs):
    from transformers import TrainingArguments

    return lambda output_dir: TrainingArguments(output_dir=output_dir, **kwargs)


def generation_config(**kwargs):
    from transformers import GenerationConfig

    return GenerationConfig(**kwargs)


def classifier(auto="AutoModelForSequenceClassification", from_config=False, **kwargs):
    import transformers

    def load_classifier(num_labels):
        cls = getattr(transformers, auto)
        if from_config:
            config = transformers.AutoConfig.from_pretrained(labkit.checkpoint("encoder"), num_labels=num_labels)
            return cls.from_config(config)
        return cls.from_pretrained(labkit.checkpoint("encoder"), **kwargs)
    return load_classifier


def labels_set_after_loading(num_labels):
    model = classifier()(num_labels)
    model.config.num_labels = num_labels  # the config says so, but the head keeps its 2 outputs
    return model


def fine_tuned_head_resized(num_labels):
    from transformers import AutoModelForSequenceClassification

    return AutoModelForSequenceClassification.from_pretrained(labkit.checkpoint("sentiment"), num_labels=num_labels,
                                                              ignore_mismatched_sizes=True)


def head_sized_by_config(num_labels):
    from transformers import AutoConfig, AutoModelForSequenceClassification

    config = AutoConfig.from_pretrained(labkit.checkpoint("encoder"), num_labels=num_labels)
    return AutoModelForSequenceClassification.from_pretrained(labkit.checkpoint("encoder"), config=config)


def bert_head_from_id2label(num_labels):
    from transformers import BertForSequenceClassification

    return BertForSequenceClassification.from_pretrained(labkit.checkpoint("encoder"),
                                                         id2label={i: f"class {i}" for i in range(num_labels)})


# id -> [(a plausible wrong answer, a piece of the diagnosis it must get)]; the reference answer is the package's own
WRONG = {
    "first_steps.same_device": [(lambda model, inputs: inputs.to("cpu"), "ask the model where it is"),
                          (lambda model, inputs: inputs["input_ids"].to(model.device), "the whole tokenizer output"),
                          (lambda model, inputs: None, "returns nothing"),
                          (lambda model, inputs: inputs.to("meta"), "ask the model where it is"),
                          (lambda model, inputs: {"input_ids": inputs["input_ids"].to(model.device)},
                           "input_ids and attention_mask, both moved")],
    "first_steps.labels_of": [(pipeline_labels(), "without model="),
                        (lambda texts: [{"label": "positive"} for t in texts], "the pipeline's dicts"),
                        (lambda texts: ["positive"] * len(texts), "differ from the kit's sentiment model"),
                        (lambda texts: ["positive", "negative", "neutral", "negative"], "differ from the kit's"),
                        (lambda texts: [{"I love this, it is wonderful!": "positive", "ok": "neutral"}.get(
                            t, "negative") for t in texts], "differ from the kit's"),
                        (lambda texts: ["negative" if "worst" in t or "nobody" in t else
                                        "positive" if "love" in t else "neutral" for t in texts],
                         "differ from the kit's")],
    "first_steps.parameter_count": [(22.7, "millions"), (103, "counts weight tensors"),
                                    (22_713_219, "not the encoder's"), (10_795_392, "leaves the embeddings out"),
                                    ("22713216", "as one number")],
    "pipelines.softmax": [(lambda x: torch.softmax(x, dim=-1), "without a ready-made softmax"),
                          (lambda x: x.log_softmax(-1).exp(), "without a ready-made softmax"),
                          (torch.nn.Softmax(dim=-1), "without a ready-made softmax"),
                          (lambda x, sm=F.softmax: sm(x, dim=-1), "without a ready-made softmax"),
                          (lambda x: torch.from_numpy(importlib.import_module(
                              "transformers.pipelines.text_classification").softmax(x.numpy())),
                           "without a ready-made softmax"),
                          (lambda x: (x - x.max()).exp() / (x - x.max()).exp().sum(-1, keepdim=True), "its own shift"),
                          (lambda x: (x - x.amin(-1, keepdim=True)).exp() / (x - x.amin(-1, keepdim=True)).exp().sum(
                              -1, keepdim=True), "exp() overflows"),
                          (lambda x: torch.exp(x) / torch.exp(x).sum(-1, keepdim=True), "exp() overflows"),
                          (lambda x: (x - x.max()).exp() / (x - x.max()).exp().sum(0), "down each column"),
                          (lambda x: x / x.sum(-1, keepdim=True), "values are off")],
    "pipelines.to_labels": [(lambda logits, id2label: logits.argmax(-1), "not class numbers"),
                            (lambda logits, id2label: [id2label[int(i)] for i in logits.argmin(-1)], "wrong label"),
                            (lambda logits, id2label: [id2label[int(i)] for i in logits.argmax(0)],
                             "one label per row"),
                            (lambda logits, id2label: ["negative", "positive", "neutral"], "one label per row"),
                            (lambda logits, id2label: [list(id2label.values())[i] for i in logits.argmax(-1).tolist()],
                             "as a key"),
                            (lambda logits, id2label: [sorted(id2label.values())[i] for i in logits.argmax(-1)],
                             "alphabetical order")],
    "pipelines.cosine": [(lambda a, b: a @ b, "dot product"), (lambda a, b: a.norm() - b.norm(), "must give 1.0"),
                         (lambda a, b: F.cosine_similarity(a, b, dim=0), "without a ready-made cosine"),
                         (lambda a, b: abs(a @ b) / (a.norm() * b.norm()), "keeps its sign"),
                         (lambda a, b: ((a @ b) / (a.norm() * b.norm())).clamp(min=0), "keeps its sign"),
                         (lambda a, b: (a @ b) / (a @ a), "must give 1.0"),
                         (lambda a, b: 1 - F.cosine_embedding_loss(a[None], b[None], torch.tensor([1])),
                          "without a ready-made cosine")],
    "pipelines.sentence_vectors": [(first_token_vectors, "first token's vector"),
                                   (lambda texts: first_token_vectors(texts)[None], "one vector per text"),
                                   (batched_mean_vectors, "padding")],
    "tokenization.count_tokens": [(lambda tok, text: len(tok(text).input_ids), "special tokens"),
                                  (lambda tok, text: len(text.split()), "tokens are not words"),
                                  (lambda tok, text: len(tok(text).input_ids) - (2 if tok.cls_token else 0),
                                   "special tokens"),
                                  (lambda tok, text: len(tok(text).input_ids) - 2, "subtract two special tokens"),
                                  (lambda tok, text: sum(i not in tok.all_special_ids for i in tok(text).input_ids),
                                   "special tokens written in the text itself")],
    "tokenization.special_ids": [(lambda tok: (tok.sep_token_id, tok.cls_token_id), "wrong order"),
                                 (lambda tok: (101, 102), "typed in"),
                                 (lambda tok: (tok.bos_token_id, tok.eos_token_id), "is None"),
                                 (lambda tok: tok.convert_tokens_to_ids(["[CLS]", "[SEP]"]), "not the ids"),
                                 (lambda tok: tok("hi").input_ids[0], "a pair")],
    "tokenization.pad_fraction": [(lambda b: b["attention_mask"].float().mean(), "share of real tokens"),
                                  (pad_ids_fraction, "also be a real token"), (lambda b: 0.0, "not the share"),
                                  (lambda b: sum(row.count(1) for row in b["attention_mask"])
                                   / sum(len(row) for row in b["attention_mask"]), "share of real tokens")],
    "models.hidden_shape": [((2, 384), "one vector per *token*"), ((2, 3, 384), "sequence length is off")],
    "models.batch_dim": [(lambda ids: torch.tensor(ids), "1-D tensor"), (lambda ids: [ids], "torch tensor"),
                         (lambda ids: torch.tensor([ids], dtype=torch.float32), "integer ids"),
                         (lambda ids: torch.tensor([[101, 7592, 2088, 102]]), "same ids")],
    "models.head_params": [(1152, "more than weights"), (384, "one linear layer"), (3, "one linear layer")],
    "models.cross_shape": [((2, 4, 10, 4), "swapped"), ((2, 4, 4, 4), "decoder's own self-attention"),
                           ((2, 4, 10, 10), "encoder's self-attention"), ((2, 4, 10), "which side asks")],
    "models.new_head": [(classifier("AutoModel"), "no sequence-classification head"),
                        (classifier(), "asked for"),
                        (classifier(from_config=True), "random weights"),
                        (classifier(num_labels=5), "asked for"),
                        (labels_set_after_loading, "sized when the model is built"),
                        (fine_tuned_head_resized, "already fine-tuned")],
    "generation.greedy_pick": [(lambda logits: logits.argmax(0), "best row for each token"),
                               (lambda logits: logits.softmax(-1).max(-1).values, "token ids"),
                               (lambda logits: logits.argmin(-1), "not the most likely"),
                               (lambda logits: logits.topk(1).indices.squeeze(), "batch dimension"),
                               (lambda logits: logits.argmax(-1).squeeze(), "batch dimension")],
    "generation.temperature": [(lambda logits, t: logits * t, "the opposite"),
                               (lambda logits, t: logits - t, "for any t"),
                               (lambda logits, t: logits * (2.5 - t), "for any t"),  # right at t = 0.5 and 2 only
                               (lambda logits, t: logits / t ** 2, "for any t"),
                               (lambda logits, t: logits / (t * logits.std()), "for any t"),  # one global spread
                               (lambda logits, t: (logits / t).softmax(-1)[0], "same shape")],
    "generation.top_k": [(lambda s, k: s.masked_fill(s < s.topk(k).values[..., -1:], 0.0), "must become -inf"),
                         (lambda s, k: s.masked_fill(s > s.topk(k, largest=False).values[..., -1:], -torch.inf),
                          "wrong scores"),
                         (lambda s, k: s.masked_fill(s < s.topk(k + 1).values[..., -1:], -torch.inf), "exactly"),
                         (lambda s, k: __import__("transformers").TopKLogitsWarper(k)(None, s), "ready-made"),
                         (lambda s, k: labkit.decoding.TopK(k)(None, s), "ready-made"),
                         (lambda s, k: s.masked_fill(s < s.topk(k).values[..., -1:], torch.finfo(s.dtype).min),
                          "still a finite score"),
                         (lambda s, k: s.masked_fill(s < s.topk(k).values[..., -1:], -1e9), "torch.isfinite")],
    "generation.sample_next": [(lambda s: s.argmax(-1), "greedy decoding"),
                               (lambda s: torch.multinomial(s.softmax(-1), 1), "extra dimension"),
                               (lambda s: torch.multinomial(s.softmax(0).T, 1).squeeze(-1), "one token id per row"),
                               (lambda s: torch.multinomial(s.softmax(-1), 1, generator=torch.Generator()).squeeze(-1),
                                "fresh generator"),
                               (lambda s: torch.multinomial(s.softmax(-1), 1, generator=torch.Generator().manual_seed(
                                   int(torch.randint(1 << 30, ())))).squeeze(-1), "not the draw"),
                               (seeded_inside, "do not seed inside"),
                               (lambda s: torch.multinomial(s.softmax(-1), 1).squeeze(), "batch dimension"),
                               (inverse_cdf, "exact ids under the caller's seed")],
    "generation.continue_greedy": [(decode_all, "starts with the prompt"), (max_length_instead, "too few tokens"),
                                   (six_new_tokens, "do you use n"), (pipeline_continuation, "a pipeline"),
                                   (greedy_by_hand, "never calls model.generate"),
                                   (greedy_by_default, "is sampling off"),
                                   (keeping_special_tokens, "without special tokens"),
                                   (greedy_with(repetition_penalty=1.3), "repetition_penalty=1.3 changes"),
                                   (greedy_with(no_repeat_ngram_size=2), "no_repeat_ngram_size=2 changes"),
                                   (greedy_with(min_new_tokens=2), "min_new_tokens=2 changes"),
                                   (sampling_with_top_k_1, "do_sample=True samples")],
    "decoding.nucleus_size": [(2, "crosses p"), (4, "watch when"), (5, "watch when")],
    "decoding.top_k_1": [(False, "what is left"), ("yes", "True or False"), (1.0, "True or False"),
                         (torch.tensor(False), "what is left")],
    "decoding.sampling_config": [(generation_config(temperature=0.7, top_p=0.9, max_new_tokens=30), "greedily"),
                                 (generation_config(do_sample=True, temperature=0.7, top_p=0.9, max_new_tokens=30,
                                                    suppress_tokens=[2]), "suppress_tokens change"),
                                 (generation_config(do_sample=True, temperature=0.7, top_p=0.9, max_new_tokens=30,
                                                    min_new_tokens=30), "min_new_tokens change"),
                                 (generation_config(do_sample=True, temperature=0.7, top_p=0.9, max_length=30),
                                  "new tokens only"),
                                 (generation_config(do_sample=True, temperature=1 / 0.7, top_p=0.9,
                                                    max_new_tokens=30), "asks for 0.7"),
                                 ({"do_sample": True}, "GenerationConfig"),
                                 (generation_config(do_sample=True, temperature=0.7, top_p=0.9, max_new_tokens=30,
                                                    top_k=1), "greedy decoding again"),
                                 (generation_config(do_sample=True, temperature=0.7, top_p=0.9, max_new_tokens=30,
                                                    num_beams=4), "beam sampling"),
                                 (generation_config(do_sample=True, temperature=0.7, top_p=0.9, max_new_tokens=30,
                                                    top_k=40), "does not ask for"),
                                 (generation_config(do_sample=True, temperature=0.7, top_p=0.9, max_new_tokens=30,
                                                    repetition_penalty=1.2), "temperature and top_p only")],
    "attention.attention_shape": [((2, 9, 9), "one map per head"), ((6, 2, 12, 9, 9), "all layers"),
                                  ((2, 9, 9, 12), "their order"), ((2, 12, 9, 9, 1), "four dimensions")],
    "attention.visible_keys": [(lambda i: i, "the token itself"), (lambda i: 6 - i, "never the future"),
                               (lambda i: [1, 2, 3, 4, 5, 6][i], "every position"),
                               (lambda i: min(i + 1, 6), "every position")],
    "attention.previous_token": [(lambda w: w.diagonal(offset=1).mean(), "*next* token"),
                                 (lambda w: w.diagonal().mean(), "attending to itself"),
                                 (lambda w: w.mean(), "not the average"),
                                 (lambda w: labkit.attention.head_patterns(w[None, None, None], ["t"] * len(w))[
                                     "previous token"][0, 0], "head_patterns"),
                                 (eval("lambda w: head_patterns(w[None, None, None], ['t'] * len(w))['previous token']"
                                       "[0, 0]", {"head_patterns": labkit.attention.head_patterns}), "head_patterns")],
    "attention.weights_by_hand": [(lambda q, k: torch.softmax(q @ k.T, dim=-1), "not scaled"),
                                  (lambda q, k: torch.softmax(q @ k.T / q.shape[-1] ** 0.5, dim=0), "columns"),
                                  (lambda q, k: torch.softmax(q @ k.T / q.shape[-1], dim=-1), "scaled too much"),
                                  (lambda q, k: q @ k.T, "check each step"),
                                  (lambda q, k: torch.softmax(q @ k.T / 4, dim=-1), "fixed number"),
                                  (lambda q, k: F.scaled_dot_product_attention(q, k, torch.eye(len(k))),
                                   "scaled_dot_product_attention"),
                                  (lambda q, k: torch.ops.aten._scaled_dot_product_attention_math(
                                      q[None], k[None], k[None])[1][0], "scaled_dot_product_attention"),
                                  (lambda q, k: __import__("transformers").models.bert.modeling_bert
                                   .eager_attention_forward(torch.nn.Module(), q[None, None], k[None, None],
                                                            k[None, None], None)[1][0, 0], "eager_attention_forward"),
                                  (lambda q, k: torch.nn.MultiheadAttention(q.shape[-1], 1)(q, k, k)[1],
                                   "nn.MultiheadAttention")],
    "attention.eager_model": [(lambda ckpt: __import__("transformers").AutoModel.from_pretrained(ckpt),
                               "never forms them"),
                              (lambda ckpt: __import__("transformers").AutoModel.from_pretrained(
                                  labkit.checkpoint("causal-lm"), attn_implementation="eager"), "you are given"),
                              (lambda ckpt: __import__("transformers").AutoModel.from_pretrained(
                                  labkit.checkpoint("encoder"), attn_implementation="eager"), "you are given"),
                              (lambda ckpt: __import__("transformers").AutoModel.from_config(
                                  __import__("transformers").AutoConfig.from_pretrained(ckpt),
                                  attn_implementation="eager"), "trained weights"),
                              (lambda ckpt: __import__("transformers").AutoModel.from_pretrained(
                                  ckpt, attn_implementation="eager").train(), "dropout")],
    "data.is_long": [(lambda e: len(e["text"].split()) >= 20, "not *more than*"),
                     (lambda e: len(e["text"].split(" ")) > 20, "two spaces"),
                     (lambda e: e["text"].count(" ") >= 20, "two spaces"),
                     (lambda e: len(e["text"]) > 100, "what are you counting"),
                     (lambda e: len(e["text"]) > 200, "what are you counting"),
                     (lambda e: len(re.findall(r"\w+", e["text"])) > 20, "what separates")],
    "data.tokenize_batch": [(lambda b: _minilm()(b["text"], truncation=True, max_length=32, padding="max_length"),
                             "don't pad"),
                            (lambda b: _minilm()(b["text"]), "cut to 32"),
                            (lambda b: _minilm()(b["text"], truncation=True, max_length=32, add_special_tokens=False),
                             "not MiniLM's tokens"),
                            (lambda b: {"input_ids": _minilm()(b["text"], truncation=True, max_length=32)["input_ids"]},
                             "attention_mask"),
                            (lambda b: _minilm()(b["text"], truncation=True, max_length=32,
                                                 return_attention_mask=False), "attention_mask"),
                            (lambda b: _minilm()([" ".join(t.split()[:30]) for t in b["text"]]), "cut to 32"),
                            (lambda b: _minilm()([" ".join(t.split()[:10]) for t in b["text"]]), "not words")],
    "data.stratified_split": [(lambda d: d.train_test_split(test_size=0.2, seed=0), "proportions"),
                              (lambda d: d.train_test_split(test_size=20 / 80, stratify_by_column="label", seed=0),
                               "20% means 20"),
                              (lambda d: d.train_test_split(test_size=0.2, stratify_by_column="label", seed=1),
                               "seed 0"),
                              (lambda d: d.shuffle(seed=0).train_test_split(test_size=0.2, stratify_by_column="label",
                                                                            seed=0), "no shuffle of your own"),
                              (lambda d: {"train": d, "test": d}, "DatasetDict"),
                              (lambda d: d.train_test_split(test_size=20, stratify_by_column="label", seed=0),
                               "20% means 30"),
                              (lambda d: (s := d.train_test_split(test_size=0.2, stratify_by_column="label",
                                                                   seed=0)).update(train=d) or s, "both parts"),
                              (lambda d: (s := d.train_test_split(test_size=0.2, stratify_by_column="label", seed=0))
                               .update(train=d.select(range(len(d) * 4 // 5))) or s, "both parts")],
    "finetuning.accuracy": [(lambda logits, labels: (logits.argmax(-1) == labels).sum(), "number of correct rows"),
                            (lambda logits, labels: (logits.argmin(-1) == labels).mean(), "not the share"),
                            (lambda logits, labels: 0.34, "not the share"),
                            (lambda logits, labels: (logits.argmax() == labels).mean(), "not the share")],
    "finetuning.trainable": [(1_774_464, "still trains"), (1_775_619 + 384 * 384 + 384, "pooler"),
                             (1155, "trains again"), (6 * 1_774_464 + 1155, "not every layer"),
                             ("1775619", "whole number"), (22_713_219, "not what"), (18, "tensors")],
    "finetuning.training_args": [(training_args(eval_strategy="epoch", load_best_model_at_end=True), "refused"),
                                 (training_args(evaluation_strategy="epoch"), "old name of eval_strategy"),
                                 (training_args(eval_strategy="epoch", save_strategy="epoch", load_best_model_at_end=True,
                                                eval_delay=1), "eval_delay"),
                                 (training_args(eval_strategy="epoch", save_strategy="epoch"), "last epoch's"),
                                 (training_args(eval_strategy="steps", save_strategy="steps",
                                                load_best_model_at_end=True), "not every epoch"),
                                 (training_args(eval_strategy="epoch", save_strategy="epoch",
                                                load_best_model_at_end=True, greater_is_better=True), "highest loss"),
                                 (lambda output_dir: training_args(eval_strategy="epoch", save_strategy="epoch",
                                                                   load_best_model_at_end=True)("runs"), "output_dir")],
    "deployment.feed": [(lambda texts: dict(_sentiment_tokenizer()(texts, padding=True, return_tensors="pt")),
                         "NumPy arrays"),
                        (lambda texts: dict(_sentiment_tokenizer()(texts, return_tensors="np")), "could not make"),
                        (lambda texts: {k: v for k, v in _sentiment_tokenizer()(texts, padding=True,
                                                                                 return_tensors="np").items()
                                        if k != "token_type_ids"}, "also takes token_type_ids"),
                        (lambda texts: {k: v.astype("int32") for k, v in _sentiment_tokenizer()(
                            texts, padding=True, return_tensors="np").items()}, "int64"),
                        (lambda texts: dict(_sentiment_tokenizer()(texts, padding=True, truncation=True, max_length=8,
                                                                   return_tensors="np")), "nothing cut"),
                        (lambda texts: dict(_sentiment_tokenizer()(texts, padding=True, truncation=True, max_length=16,
                                                                   return_tensors="np")), "nothing cut"),
                        (lambda texts: dict(_sentiment_tokenizer()(texts, padding=True, return_tensors="np",
                                                                   return_special_tokens_mask=True)),
                         "no input named special_tokens_mask"),
                        (lambda texts: dict(_sentiment_tokenizer()(texts, padding=True, return_tensors="np",
                                                                   return_length=True)), "no input named length"),
                        (lambda texts: dict(_sentiment_tokenizer()(texts, padding="max_length", max_length=64,
                                                                   return_tensors="np")), "beyond the longest"),
                        (lambda texts: dict(_sentiment_tokenizer()(FEED_TEXTS, padding=True, return_tensors="np")),
                         "not what the classifier's own tokenizer makes")],
    "deployment.int8_size": [(22_713_219 * 4 / 1e6, "float32"), (22_713_219 * 2 / 1e6, "16 bits"),
                             (22_713_219 / 8 / 1e6, "1 bit"), (22_713_219 / 2**20, "MiB"), (11.7, "one byte each"),
                             ("22.7", "a string")],
    "deployment.dynamic_shapes": [(lambda: export_shapes(axes=(0,)), "both axes"),
                                  (lambda: export_shapes(names=("input_ids", "attention_mask")),
                                   "token_type_ids is missing"),
                                  (lambda: export_shapes(square=True), "square"),
                                  (lambda: {n: {0: "n", 1: "n"} for n in BERT_INPUTS}, "square"),
                                  (lambda: dims_for_all(torch.export.Dim("sequence", max=512),
                                                       torch.export.Dim("batch")),
                                   "other way round"),
                                  (lambda: dims_for_all(torch.export.Dim("batch", max=2),
                                                       torch.export.Dim("sequence", max=512)),
                                   "at most 2 rows"),
                                  (lambda: dims_for_all(torch.export.Dim.STATIC, torch.export.Dim.STATIC),
                                   "Dim.STATIC fixes"),
                                  (lambda: dims_for_all(torch.export.Dim("batch"),
                                                       torch.export.Dim("sequence", max=128)),
                                   "up to 512")],
    "lora.causal_lm_loss": [(lambda lg, lb: F.cross_entropy(lg.flatten(0, 1), lb.flatten(), ignore_index=-100),
                             "same position"),
                            (lambda lg, lb: F.cross_entropy(lg[:, :-1].flatten(0, 1), lb[:, 1:].flatten(),
                                                            ignore_index=-100, reduction="sum"), "the sum"),
                            (lambda lg, lb: F.cross_entropy(lg[:, 1:].flatten(0, 1), lb[:, :-1].flatten(),
                                                            ignore_index=-100), "not the loss the model"),
                            (lambda lg, lb: F.cross_entropy(lg[:, :-1].flatten(0, 1), lb[:, 1:].flatten(),
                                                            ignore_index=-100, reduction="none"), "one number"),
                            (lambda lg, lb: ready_made_causal_lm_loss(lg, lb), "transformers' own"),
                            (lambda lg, lb: fixed_cross_entropy(lg[:, :-1].flatten(0, 1), lb[:, 1:].flatten(),
                                                                ignore_index=-100), "transformers' own"),  # imported first
                            (lambda lg, lb: F.cross_entropy(lg[:, :-1].flatten(0, 1), lb[:, 1:].flatten(),
                                                            ignore_index=-100, label_smoothing=0.01),
                             "not the loss the model"),
                            (lambda lg, lb: F.cross_entropy(lg[:, :-1].flatten(0, 1), lb[:, 1:].flatten(),
                                                            ignore_index=-100, reduction="sum") / (lb != -100).sum(),
                             "before the shift"),
                            (lambda lg, lb: torch.stack([F.cross_entropy(row[:-1], row_labels[1:], ignore_index=-100)
                                                         for row, row_labels in zip(lg, lb)]).mean(), "each row"),
                            (lambda lg, lb: F.cross_entropy(lg[:-1].flatten(0, 1), lb[1:].flatten(),
                                                            ignore_index=-100), "not the loss the model")],
    "lora.adapter_size": [(8 * (576 + 576), "square"), (576 * 192, "frozen weight's own size"), (8 * 576, "only one"),
                          (8 * 576 * 192, "not their product")],
    "lora.config": [(lambda: lora_config(r=16, lora_alpha=8), "swapped"),
                    (lambda: lora_config(bias="lora_only"), "bias training"),
                    (lambda: lora_config(lora_bias=True), "bias training"),
                    (lambda: lora_config(target_modules=["query", "value"]), "no module of that name"),
                    (lambda: lora_config(target_modules="all-linear"), "query and value projections only"),
                    (lambda: lora_config(task_type=None), "which task"),
                    (lambda: lora_config(lora_dropout=0.1), "dropout"),
                    (lambda: lora_config(layers_to_transform=[0]), "layers it numbers"),
                    (lambda: lora_config(layers_to_transform=[0, 1]), "layers it numbers"),
                    (lambda: lora_config(layers_to_transform=[0, 1], layers_pattern="layers"), "layers it numbers"),
                    (lambda: lora_config(layers_to_transform=list(range(24, 30))), "layers it numbers"),
                    (lambda: lora_config(target_modules=r"model\.layers\.0\.self_attn\.(q|v)_proj"),
                     "some layers got no adapter"),
                    (lambda: lora_config(inference_mode=True), "nothing would train"),
                    (lambda: lora_config(rank_pattern={"v_proj": 4}), "a pattern overrides"),
                    (lambda: lora_config(use_rslora=True), "use_rslora"),
                    (lambda: lora_config(use_dora=True), "DoRA"),
                    (lambda: lora_config(init_lora_weights=False), "starts B at zero"),
                    (lambda: lora_config(modules_to_save=["lm_head"]), "lm_head would train in full")],
    "chat.reply_prompt": [(lambda tok, m: tok.apply_chat_template(m, tokenize=False), "nothing tells the model"),
                          (lambda tok, m: tok.apply_chat_template(m, add_generation_prompt=True), "a string"),
                          (lambda tok, m: tok.apply_chat_template(m, tokenize=False) + "<|im_start|>assistant\n",
                           "let the tokenizer's template"),
                          (lambda tok, m: tok.apply_chat_template(m, tokenize=False, continue_final_message=True),
                           "left open"),
                          (lambda tok, m: "".join(f"<|im_start|>{x['role']}\n{x['content']}<|im_end|>\n" for x in m)
                           + "<|im_start|>assistant\n", "not the text"),
                          (lambda tok, m: "\n".join(x["content"] for x in m), "not the text"),
                          (lambda tok, m: tok.apply_chat_template(m, tokenize=False, add_generation_prompt=True).strip(),
                           "just short"),
                          (lambda tok, m: __import__("jinja2").Template(tok.chat_template).render(
                              messages=m, add_generation_prompt=True), "not the text"),
                          (lambda tok, m: tok.apply_chat_template(m, tokenize=False) + (
                              "<|start_header_id|>assistant<|end_header_id|>\n\n" if "<|eot_id|>" in
                              tok.chat_template else "<|im_start|>assistant\n"), "let the tokenizer's template")],
    "chat.completion_labels": [(lambda p, c: (p + c, p + c), "train the prompt too"),
                               (lambda p, c: (p + c, [0] * len(p) + c), "0 is a real token id"),
                               (lambda p, c: (p + c, [-100] * (len(p) + len(c))), "nothing would be learned"),
                               (lambda p, c: (p + c, [-100] * len(p) + c[1:] + [-100]), "shifted by hand"),
                               (lambda p, c: (c, c), "whole example"),
                               (lambda p, c: (p + c, [-100] * (len(p) - 1) + c), "one label per input"),
                               (lambda p, c: (p + c, [-100] * len(p) + c, len(p)), "a pair"),
                               (lambda p, c: (p + c, [-100] * (len(p) - 1) + p[-1:] + c), "not all left out"),
                               (lambda p, c: (p + c, [x if x in c else -100 for x in p + c]), "by where they are"),
                               (lambda p, c: (p + c, [-100] * (p + c).index(c[0]) + (p + c)[(p + c).index(c[0]):]),
                                "not all left out"),
                               (lambda p, c: (p + c, [-100] * (len(p) - 3) + p[-3:] + c), "not all left out")],
    "chat.dpo_loss": [(lambda c, r, rc, rr, b: -F.logsigmoid(b * ((r - rr) - (c - rc))).mean(), "swapped"),
                      (lambda c, r, rc, rr, b: -F.logsigmoid(b * ((c - rc) - (r - rr))).mean().item(), "backpropagate"),
                      (lambda c, r, rc, rr, b: -F.logsigmoid(b * (c - r)).mean(), "reference model is missing"),
                      (lambda c, r, rc, rr, b: -F.logsigmoid((c - rc) - (r - rr)).mean(), "beta is missing"),
                      (lambda c, r, rc, rr, b: -F.logsigmoid(b * ((c - rc) - (r - rr))).sum(), "sum"),
                      (lambda c, r, rc, rr, b: F.logsigmoid(b * ((c - rc) - (r - rr))).mean(), "the sign"),
                      (lambda c, r, rc, rr, b: -F.logsigmoid(b * ((c - rc) - (r - rr))), "one number"),
                      (lambda c, r, rc, rr, b: -torch.sigmoid(b * ((c - rc) - (r - rr))).log().mean() + 0.01,
                       "not DPO's loss")],
}


import numpy as np  # noqa: E402  (notebook 12's answers)


def _ppl(tok, text):
    return tok(text, return_tensors="pt", add_special_tokens=False).input_ids


def _loss(model, ids, labels):
    with torch.no_grad():
        return model(ids, labels=labels).loss


def _bootstrap(a, b, n, seed, *, paired=True, q=(2.5, 97.5), replace=True, rows_of=None, axis=1):
    a, b = np.asarray(a, float), np.asarray(b, float)
    rng = np.random.default_rng(seed)
    if rows_of:  # resamples of n_resamples examples, not of the test set's size
        rows = rng.integers(0, len(a), size=(n, rows_of))
        return tuple(np.percentile(a[rows].mean(1) - b[rows].mean(1), q))
    if not replace:
        rows = np.stack([rng.permutation(len(a)) for _ in range(n)])
        return tuple(np.percentile(a[rows].mean(1) - b[rows].mean(1), q))
    rows = rng.integers(0, len(a), size=(n, len(a)))
    other = rows if paired else rng.integers(0, len(a), size=(n, len(a)))
    return tuple(np.percentile(a[rows].mean(axis) - b[other].mean(axis), q))


def _ece(probs, labels, n_bins, *, true_class=False, weighted=True, drop_certain=False, signed=False, own_bin=False):
    probs, labels = np.asarray(probs), np.asarray(labels)
    confidence = probs[np.arange(len(labels)), labels] if true_class else probs.max(1)
    correct = probs.argmax(1) == labels
    bins = (confidence * n_bins).astype(int) if drop_certain or own_bin else np.minimum((confidence * n_bins).astype(int), n_bins - 1)
    gaps = [((bins == b).mean(), correct[bins == b].mean() - confidence[bins == b].mean())
            for b in range(n_bins + own_bin) if (bins == b).any()]
    if not weighted:
        return float(np.mean([abs(g) for _, g in gaps]))
    return float(sum(w * (g if signed else abs(g)) for w, g in gaps))


def _flip(predict, texts, swaps, *, substrings=False, sequential=False, all_texts=False, case=False, count=False,
          split=False):
    def counterfactual(text):
        if split:  # word by word, joined again by single spaces
            return " ".join(swaps.get(word, word) for word in text.split())
        if substrings:
            for word, other in swaps.items():
                text = text.replace(word, other)
            return text
        if sequential:
            for word, other in swaps.items():
                text = re.sub(rf"\b{word}\b", other, text, flags=re.I)
            return text
        pattern = re.compile(r"\b(" + "|".join(swaps) + r")\b", 0 if case else re.I)
        return pattern.sub(lambda m: (lambda w: w[0].upper() + w[1:] if m.group(0)[0].isupper() else w)(
            swaps[m.group(0).lower()]), text)
    pairs = [(t, counterfactual(t)) for t in texts]
    kept = pairs if all_texts else [(a, b) for a, b in pairs if a != b]
    flips = sum(x != y for x, y in zip(predict([a for a, _ in kept]), predict([b for _, b in kept])))
    return flips if count else flips / len(kept)


WRONG_EVALUATION = {
    "evaluation.perplexity": [(lambda m, t, s: float(_loss(m, _ppl(t, s), _ppl(t, s))), "that is the loss"),
                              (lambda m, t, s: float(2 ** _loss(m, _ppl(t, s), _ppl(t, s))), "not a power of 2"),
                              (lambda m, t, s: float(torch.exp(_loss(m, _ppl(t, s)[:, :-1], _ppl(t, s)[:, 1:]))),
                               "shifted twice"),
                              (lambda m, t, s: float(torch.nn.functional.cross_entropy(
                                  m(_ppl(t, s)).logits[0, :-1].detach(), _ppl(t, s)[0, 1:]).exp()), "call it with labels"),
                              (lambda m, t, s: float(torch.exp(_loss(m, _ppl(t, s), _ppl(t, s)) * _ppl(t, s).size(1))),
                               "summed")],
    "evaluation.paired_interval": [(lambda a, b, n, s: _bootstrap(a, b, n, s, paired=False), "resampled separately"),
                                   (lambda a, b, n, s: _bootstrap(a, b, n, s, q=(5, 95)), "too narrow"),
                                   (lambda a, b, n, s: _bootstrap(b, a, n, s), "B minus A"),
                                   (lambda a, b, n, s: _bootstrap(a, b, n, s, replace=False), "with replacement"),
                                   (lambda a, b, n, s: _bootstrap(a, b, n, s)[::-1], "lower end first"),
                                   (lambda a, b, n, s: _bootstrap(a, b, n, 0), "another seed"),
                                   (lambda a, b, n, s: _bootstrap(a, b, n, None), "the same seed"),
                                   (lambda a, b, n, s: _bootstrap(a, b, n, s, rows_of=n), "as many examples as the test set"),
                                   (lambda a, b, n, s: _bootstrap(a, b, 500, s), "n_resamples=1"),
                                   (lambda a, b, n, s: _bootstrap(a, b, n, s, axis=0), "one difference per resample")],
    "evaluation.ece": [(lambda p, y, n: _ece(p, y, n, true_class=True), "not of the true one"),
                       (lambda p, y, n: _ece(p, y, n, weighted=False), "weighted by its share"),
                       (lambda p, y, n: _ece(p, y, n, drop_certain=True), "1.0 in the last bin"),
                       (lambda p, y, n: _ece(p, y, n, signed=True), "absolute gap"),
                       (lambda p, y, n: _ece(p, y, 1), "bin by bin"),
                       (lambda p, y, n: _ece(p, y, n, own_bin=True), "1.0 in the last bin")],
    "evaluation.flip_rate": [(lambda f, t, s: _flip(f, t, s, substrings=True), "whole words only"),
                             (lambda f, t, s: _flip(f, t, s, sequential=True), "all in one pass"),
                             (lambda f, t, s: _flip(f, t, s, case=True), "case ignored"),
                             (lambda f, t, s: _flip(f, t, s, all_texts=True), "only real pairs count"),
                             (lambda f, t, s: _flip(f, t, s, count=True), "not the share"),
                             (lambda f, t, s: _flip(f, t, s, split=True), "whole words only")],
}
RIGHT_EVALUATION = {
    "evaluation.perplexity": [lambda m, t, s: torch.exp(m(**t(s, return_tensors="pt", add_special_tokens=False),
                                                          labels=_ppl(t, s)).loss.detach()),
                              lambda m, t, s: np.exp(_loss(m, _ppl(t, s), _ppl(t, s)).item())],
    "evaluation.paired_interval": [lambda a, b, n, s: list(_bootstrap(a, b, n, s)),
                                   lambda a, b, n, s: np.array(_bootstrap(np.array(a, bool), np.array(b, bool), n, s))],
    "evaluation.ece": [lambda p, y, n: torch.tensor(_ece(p, y, n)), lambda p, y, n: np.float32(_ece(p, y, n))],
    "evaluation.flip_rate": [lambda f, t, s: np.float64(_flip(f, t, s)), lambda f, t, s: np.float32(_flip(f, t, s))],
}
WRONG.update(WRONG_EVALUATION)


BERT_INPUTS = ("input_ids", "token_type_ids", "attention_mask")


def _sentiment_tokenizer():
    from labkit.exercises.fixtures import tokenizer_for

    return tokenizer_for("sentiment")


def export_shapes(axes=(0, 1), names=BERT_INPUTS, shared=True, square=False):
    from torch.export import Dim

    def dims():
        batch = Dim("batch")
        return batch, batch if square else Dim("sequence", max=512)

    batch, sequence = dims()
    shapes = {}
    for name in names:
        if not shared:
            batch, sequence = dims()
        shapes[name] = {axis: (batch, sequence)[axis] for axis in axes}
    return shapes


FEED_TEXTS = ["Loving the new course!", "The train was late again, and nobody on the platform knew why: the board "
              "said nothing, the staff said nothing, and the next one was cancelled too."]  # deployment.feed's first


def dims_for_all(batch, sequence):
    return {name: {0: batch, 1: sequence} for name in BERT_INPUTS}


def ready_made_causal_lm_loss(logits, labels):
    from transformers.loss.loss_utils import ForCausalLMLoss

    return ForCausalLMLoss(logits, labels, vocab_size=logits.shape[-1])


def _np_int64_lists(texts):
    return {k: v.tolist() for k, v in _sentiment_tokenizer()(texts, padding=True, return_tensors="np").items()}


def lora_config(**overrides):
    from peft import LoraConfig

    settings = dict(r=8, lora_alpha=16, lora_dropout=0.0, target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM")
    return LoraConfig(**{**settings, **overrides})


def reference(name):
    """The package's reference answer for ``name``, run as a notebook cell runs it (with ``labkit`` imported)."""
    return answer_of(name, EXERCISES[name].solution)


# id -> right answers written another way than the reference, which the check must accept too
RIGHT = {
    "chat.reply_prompt": [lambda tok, m: tok.apply_chat_template(m, tokenize=False, add_generation_prompt=True,
                                                                 continue_final_message=False),
                          lambda tok, m: tok.decode(tok.apply_chat_template(m, add_generation_prompt=True)["input_ids"])],
    "chat.completion_labels": [lambda p, c: (p + c, [-100 for _ in p] + c), lambda p, c: [p + c, [-100] * len(p) + c],
                               lambda p, c: tuple(__import__("numpy").array(x) for x in (p + c, [-100] * len(p) + c))],
    "chat.dpo_loss": [lambda c, r, rc, rr, b: F.softplus(-b * ((c - r) - (rc - rr))).mean(),
                      lambda c, r, rc, rr, b: -torch.log(torch.sigmoid(b * ((c - rc) - (r - rr)))).mean().double()],
    "decoding.top_k_1": [__import__("numpy").True_, torch.tensor(True)],
    "decoding.sampling_config": [generation_config(do_sample=True, temperature=0.7, top_p=0.9, max_new_tokens=30,
                                                   top_k=0),
                                 generation_config(do_sample=True, temperature=0.7, top_p=0.9, max_new_tokens=30,
                                                   min_p=0.0),
                                 __import__("transformers").GenerationConfig.from_dict(
                                     {"do_sample": True, "temperature": 0.7, "top_p": 0.9, "max_new_tokens": 30,
                                      "eos_token_id": 2}),
                                 generation_config(do_sample=True, temperature=0.7, top_p=0.9, max_new_tokens=30,
                                                   pad_token_id=0, return_dict_in_generate=True)],
    "attention.visible_keys": [lambda i: len(range(i + 1)), lambda i: __import__("numpy").int64(i) + 1,
                               lambda i: torch.tensor(i) + 1],
    "attention.previous_token": [lambda w: torch.stack([w[i, i - 1] for i in range(1, len(w))]).mean(),
                                 lambda w: __import__("numpy").diagonal(w.numpy(), -1).mean()],
    "attention.weights_by_hand": [lambda q, k: F.softmax(torch.einsum("qd,kd->qk", q, k) / q.shape[1] ** 0.5, dim=1),
                                  lambda q, k: (q.double() @ k.double().T / q.shape[-1] ** 0.5).softmax(-1).numpy()],
    "attention.eager_model": [lambda ckpt: __import__("transformers").AutoModel.from_pretrained(
        ckpt, config=__import__("transformers").AutoConfig.from_pretrained(ckpt, attn_implementation="eager")),
                              lambda ckpt: __import__("transformers").AutoModel.from_pretrained(
        ckpt, attn_implementation="eager", dtype=torch.bfloat16)],
    "first_steps.same_device": [lambda model, inputs: {k: v.to(model.device) for k, v in inputs.items()},
                                lambda model, inputs: inputs.to(next(model.parameters()).device)],
    "first_steps.parameter_count": [__import__("numpy").int64(22_713_216), torch.tensor(22_713_216), 22_713_216.0],
    "pipelines.softmax": [lambda x: (x - x.logsumexp(-1, keepdim=True)).exp(),
                          eval("lambda x: softmax(x)",  # a hand-written helper that happens to be named softmax
                               {"softmax": lambda x: (x - x.max(-1, keepdim=True).values).exp()
                                / (x - x.max(-1, keepdim=True).values).exp().sum(-1, keepdim=True)}),
                          lambda x: (lambda e: e / e.sum(-1, keepdim=True))((x - x.amax(-1, keepdim=True)).exp())],
    "pipelines.to_labels": [lambda logits, id2label: [id2label[i] for i in logits.softmax(-1).argmax(-1).tolist()],
                            lambda logits, id2label: tuple(id2label[i.item()] for i in logits.argmax(-1))],
    "pipelines.cosine": [lambda a, b: (a / a.norm()) @ (b / b.norm()),
                         lambda a, b: (a.double() @ b.double()) / (a.double().norm() * b.double().norm())],
    "pipelines.sentence_vectors": [mean_vectors_with_grad,
                                   lambda texts: torch.as_tensor(reference("pipelines.sentence_vectors")(texts)).half(),
                                   lambda texts: torch.as_tensor(reference("pipelines.sentence_vectors")(texts))
                                   .bfloat16()],
    "generation.greedy_pick": [lambda logits: logits.topk(1, dim=-1).indices[:, 0],
                               lambda logits: logits.softmax(-1).argmax(-1, keepdim=True).squeeze(-1),
                               lambda logits: logits.numpy().argmax(-1)],
    "generation.temperature": [lambda logits, t: logits.log_softmax(-1) / t,
                               lambda logits, t: (logits - logits.max(-1, keepdim=True).values) / t,
                               lambda logits, t: logits * (1 / t),
                               lambda logits, t: (logits / t).numpy()],
    "generation.top_k": [lambda s, k: torch.where(s >= s.topk(k).values[:, -1:], s, float("-inf")),
                         lambda s, k: torch.full_like(s, -torch.inf).scatter(-1, s.topk(k).indices,
                                                                             s.topk(k).values),
                         lambda s, k: torch.where(s >= s.topk(k).values[:, -1:], s, -torch.inf).double()],
    "generation.sample_next": [lambda s: torch.multinomial(F.softmax(s, dim=1), 1)[:, 0],
                               lambda s: torch.multinomial(s.softmax(-1), num_samples=1).view(-1),
                               lambda s: torch.distributions.Categorical(logits=s).sample()],
    "generation.continue_greedy": [continue_greedy_with, greedy_from_ids, greedy_from_config],
    "tokenization.special_ids": [lambda tok: tok(["hi"], return_tensors="pt").input_ids[0, [0, -1]],
                                 lambda tok: tok("hi", return_tensors="np").input_ids[0, [0, -1]],
                                 lambda tok: [tok.cls_token_id, tok.sep_token_id]],
    "tokenization.count_tokens": [lambda tok, text: len(tok.tokenize(text)),
                                  lambda tok, text: len(tok(text, add_special_tokens=False, return_tensors="pt")
                                                        .input_ids[0])],
    "models.batch_dim": [lambda ids: torch.tensor([ids], dtype=torch.int32), lambda ids: torch.tensor(ids).unsqueeze(0),
                         lambda ids: torch.LongTensor(ids)[None]],
    "models.new_head": [head_sized_by_config, bert_head_from_id2label,
                        lambda n: classifier(num_labels=n, dtype=torch.bfloat16)(n)],
    "tokenization.pad_fraction": [lambda b: sum(row.count(0) for row in b["attention_mask"])
                                  / sum(len(row) for row in b["attention_mask"])],
    "finetuning.accuracy": [lambda logits, labels: float((logits.argmax(-1) == labels).astype("float32").mean()),
                            lambda logits, labels: (torch.tensor(logits).argmax(-1) == torch.tensor(labels))
                            .float().mean().item()],
    "finetuning.trainable": [torch.tensor([1_775_619]).numpy()[0], torch.tensor(1_775_619), 1_775_619.0,
                             torch.tensor(1_775_619.0).numpy(), torch.tensor(1_775_619.0)],
    "finetuning.training_args": [training_args(eval_strategy="epoch", save_strategy="epoch",
                                               load_best_model_at_end=True, metric_for_best_model="eval_loss")],
    "data.is_long": [lambda e: len(re.findall(r"\S+", e["text"])) > 20, lambda e: len(e["text"].split()) >= 21],
    "data.tokenize_batch": [lambda b: dict(_minilm()(b["text"], max_length=32, truncation="longest_first"))],
    "data.stratified_split": [lambda d: d.train_test_split(test_size=len(d) // 5, stratify_by_column="label", seed=0),
                              lambda d: d.train_test_split(train_size=0.8, stratify_by_column="label", seed=0)],
    "deployment.feed": [lambda texts: _sentiment_tokenizer()(texts, padding=True, return_tensors="np"),
                        lambda texts: dict(_sentiment_tokenizer()(texts, padding=True)), _np_int64_lists],
    "deployment.int8_size": [__import__("numpy").float32(22.713), __import__("numpy").int64(23)],
    "deployment.dynamic_shapes": [lambda: dims_for_all("batch", "sequence"),
                                  lambda: dims_for_all(torch.export.Dim.DYNAMIC, torch.export.Dim.DYNAMIC),
                                  lambda: dims_for_all(torch.export.Dim.AUTO, torch.export.Dim.AUTO),
                                  lambda: export_shapes(shared=False),
                                  lambda: {name: (torch.export.Dim("batch"), torch.export.Dim("sequence"))
                                          for name in BERT_INPUTS}],
    "lora.causal_lm_loss": [lambda lg, lb: F.nll_loss(lg[:, :-1].log_softmax(-1).transpose(1, 2), lb[:, 1:]),
                            lambda lg, lb: F.cross_entropy(lg[:, :-1].double().flatten(0, 1), lb[:, 1:].flatten(),
                                                           ignore_index=-100).item()],
    "lora.config": [lambda: lora_config(target_modules=r".*\.(q_proj|v_proj)"),
                    lambda: lora_config(target_modules=["self_attn.q_proj", "self_attn.v_proj"]),
                    lambda: lora_config(target_modules=None)],
}


RIGHT.update(RIGHT_EVALUATION)


@pytest.mark.parametrize("name", sorted(RIGHT))
def test_right_answers_written_another_way_pass(name, prepared, capsys):
    for right in RIGHT[name]:
        assert check(name, right) is True, capsys.readouterr().out


def code_lines(source):
    """The lines of a solution that carry its idea, without spaces: what a hint must not spell out."""
    lines = [line.split("#")[0].strip() for line in source.splitlines()]
    keep = [line for line in lines if line and not line.startswith(("def ", "import ", "from ")) and len(line) > 8]
    return [re.sub(r"\s+", "", line).removeprefix("return") for line in keep]


def test_every_exercise_has_wrong_answers_hints_and_a_solution():
    assert set(load_all()) == set(WRONG)
    for name, ex in EXERCISES.items():
        assert len(WRONG[name]) >= 2, name
        assert len(ex.hints) >= 2 and ex.solution and ex.why, name


@pytest.mark.parametrize("name", sorted(WRONG))
def test_the_reference_solution_passes(name, prepared, capsys):
    assert check(name, reference(name)) is True
    assert capsys.readouterr().out.startswith(f"✔ {name}: correct")


@pytest.mark.parametrize("name", sorted(WRONG))
def test_wrong_answers_fail_with_their_diagnosis(name, prepared, capsys):
    for wrong, diagnosis in WRONG[name]:
        assert check(name, wrong) is False, wrong
        out = capsys.readouterr().out
        assert out.startswith(f"✘ {name}: not yet.") and diagnosis in out, (diagnosis, out)
        assert f"labkit.hint({name!r})" in out


def test_a_check_on_random_data_rejects_a_wrong_rule_every_time(capsys):
    """finetuning.accuracy draws fresh logits at each call: argmin must never score like argmax by chance."""
    argmin = WRONG["finetuning.accuracy"][1][0]
    assert not any(check("finetuning.accuracy", argmin) for _ in range(300))


@pytest.mark.parametrize("name", sorted(WRONG))
def test_nudges_do_not_give_the_solution_away(name, prepared, capsys):
    """Neither the diagnosis of a wrong answer nor the first hint contains a line of the solution (or its value)."""
    ex = EXERCISES[name]
    for wrong, _ in WRONG[name]:
        check(name, wrong)
    nudges = re.sub(r"\s+", "", capsys.readouterr().out + ex.hints[0])
    for line in code_lines(ex.solution):
        assert line not in nudges, (name, line)
    value = reference(name)
    if isinstance(value, (int, tuple)) and not isinstance(value, bool):
        assert re.sub(r"\s+", "", repr(value)) not in nudges, (name, value)


def test_hints_come_one_at_a_time_then_the_solution(capsys):
    ex = load_all()["pipelines.softmax"]
    for i, text in enumerate(ex.hints, 1):
        hint("pipelines.softmax")
        assert capsys.readouterr().out.strip() == f"Hint {i} of {len(ex.hints)} for pipelines.softmax: {text}"
    hint("pipelines.softmax")
    assert "labkit.solution('pipelines.softmax')" in capsys.readouterr().out
    solution("pipelines.softmax")
    out = capsys.readouterr().out
    assert "def probabilities(logits):" in out and "Why:" in out
    assert progress.load()["pipelines.softmax"] == {"attempts": 0, "passed": False, "hints": len(ex.hints),
                                                    "solution": True}


def test_progress_is_kept_in_the_learners_own_folder(tmp_path, kit_env, capsys):
    kit_env(LABKIT_USER_DIR=str(tmp_path / "me"))
    assert check("generation.temperature", lambda logits, t: logits * t) is False
    assert check("generation.temperature", lambda logits, t: logits / t) is True
    assert check("generation.temperature", lambda logits, t: logits * t) is False  # once passed, stays passed
    saved = json.loads((tmp_path / "me" / "progress.json").read_text())["exercises"]
    assert saved["generation.temperature"] == {"attempts": 3, "passed": True, "hints": 0, "solution": False}
    rows = {row["notebook"]: row for row in progress.table()}
    assert rows["04_generation_loop"]["passed"] == 1 and rows["04_generation_loop"]["attempted"] == 1
    assert rows["04_generation_loop"]["exercises"] == sum(1 for n in EXERCISES if n.startswith("generation."))
    report = progress.report()
    assert re.search(r"04_generation_loop\s+1 of 5", report) and "00_setup_check" in report


def test_an_unwritable_progress_folder_is_reported_not_raised(tmp_path, kit_env, capsys):
    locked = tmp_path / "shared"
    locked.mkdir()
    (locked / "labkit").write_text("a file where the folder should be")  # unwritable even for root
    kit_env(LABKIT_USER_DIR=str(locked / "labkit"))
    assert check("attention.visible_keys", lambda i: i + 1) is True
    out = capsys.readouterr().out
    assert out.startswith("✔ attention.visible_keys: correct") and "progress not saved" in out
    assert "Set LABKIT_USER_DIR" in out


def test_the_progress_command_prints_the_table(tmp_path, kit_env, capsys):
    from labkit.cli import main

    kit_env(LABKIT_USER_DIR=str(tmp_path))
    check("decoding.top_k_1", True)
    assert main(["progress"]) == 0
    assert re.search(r"05_decoding_explorer\s+1 of 3", capsys.readouterr().out)


def test_graded_ignores_a_rebound_check_and_writes_nothing_to_stderr(capsys, monkeypatch):
    """What an answer cell could do to pass: rebind labkit.check, or forge the registry's checker."""
    from dataclasses import replace

    import labkit.exercises as exercises

    real = load_all()["generation.temperature"]
    monkeypatch.setattr(labkit, "check", lambda *a: True, raising=False)
    monkeypatch.setitem(exercises.EXERCISES, "generation.temperature", replace(real, verify=lambda answer: None))
    assert graded("generation.temperature", lambda logits, t: logits * t) is False
    assert graded("generation.temperature", lambda logits, t: logits / t) is True
    out, err = capsys.readouterr()
    assert out.count("generation.temperature") == 2 and err == ""
    assert progress.load() == {}  # grading records nothing in anyone's progress


def test_a_missing_model_is_the_kits_problem_not_the_learners(empty_home, capsys):
    from labkit.exercises import fixtures

    fixtures.config_for.cache_clear()
    try:
        assert check("models.head_params", 1155) is False
    finally:
        fixtures.config_for.cache_clear()
    out = capsys.readouterr().out
    assert out.startswith("! models.head_params: the kit could not check your answer (not your mistake)")
    assert "labkit prepare" in out


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
    assert progress.load() == {}  # a placeholder is not an attempt


def test_a_check_never_raises(capsys):
    def broken(logits):
        return 1 / 0

    assert check("pipelines.softmax", broken) is False
    assert "raised ZeroDivisionError" in capsys.readouterr().out
    assert check("no.such.exercise", 1) is False
    assert "known: attention.attention_shape" in capsys.readouterr().out
