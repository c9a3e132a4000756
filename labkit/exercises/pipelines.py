"""Notebook 01: pipelines, their post-processing, embeddings."""
from __future__ import annotations

import math

from . import Wrong, exercise
from .fixtures import close, code_calls, config_for, pipeline_for, torch_functions


def _installed_softmax(code) -> bool:
    """A softmax of an installed package (scipy.special.softmax, transformers' numpy one), not the learner's own."""
    return "softmax" in code.co_name and any(d in code.co_filename for d in ("site-packages", "dist-packages"))


@exercise("softmax", "Write probabilities(logits) that turns a (batch, classes) tensor of logits into "
                     "probabilities, like the pipeline's post-processing, without a ready-made softmax.",
          hints=("Probabilities are positive and each row adds up to 1: which function makes any number positive?",
                 "exp() of each logit, divided by the sum of the row's exp() values (along the last dimension). "
                 "Try it on logits of 1000: what goes wrong, and what does subtracting a constant from a row change?",
                 "Subtract each row's maximum first (keepdim=True keeps the shapes lined up), then exp, then divide "
                 "by the row sums."),
          solution="""
              def probabilities(logits):
                  shifted = logits - logits.max(dim=-1, keepdim=True).values  # exp() can no longer overflow
                  exps = shifted.exp()
                  return exps / exps.sum(dim=-1, keepdim=True)
          """,
          why="softmax(x) = exp(x) / sum(exp(x)) along the classes; subtracting the row's maximum multiplies top "
              "and bottom by the same exp(-max), so the result is unchanged but exp() never sees a large number.")
def _softmax(probabilities):
    import torch

    torch.manual_seed(0)
    overflowing = torch.tensor([[1000.0, 1001.0, 1002.0], [-1000.0, 0.0, 1000.0]])  # exp() of these overflows
    rows_apart = torch.tensor([[1000.0, 1001.0, 1002.0], [0.0, 1.0, 2.0]])  # one shift for both rows underflows row 2
    for logits in (torch.randn(2, 3), torch.randn(4, 5) * 3, overflowing, rows_apart):
        with torch_functions() as called, code_calls(_installed_softmax) as installed:
            got = probabilities(logits.clone())
        if installed or any("softmax" in name for name in called):
            raise Wrong("the point of the exercise is the formula itself: write it without a ready-made softmax "
                        "(log_softmax included)")
        got = torch.as_tensor(got)
        if got.shape != logits.shape:
            raise Wrong(f"expected shape {tuple(logits.shape)}, got {tuple(got.shape)}: one probability per class")
        if not torch.isfinite(got).all():
            if logits is rows_apart:
                raise Wrong("two rows far apart (logits near 1000 and near 0) give nan: a shift shared by the whole "
                            "batch makes every exp() of the lower row 0. Each row needs its own shift")
            raise Wrong("with large logits (1000 and more) you get nan or inf: exp() overflows. Adding the same "
                        "number to every logit of a row does not change the result")
        if not close(got.sum(-1), torch.ones(len(logits))):
            if close(got.sum(0), torch.ones(logits.shape[1])):
                raise Wrong("your probabilities sum to 1 down each column: each row is one input's distribution")
            raise Wrong("each row must add up to 1")
        if not close(got, torch.softmax(logits, dim=-1)):
            raise Wrong("rows add up to 1 but the values are off: the larger a logit, the larger its share should "
                        "grow, exponentially")


@exercise("to_labels", "Write to_labels(logits, id2label) that returns the predicted label name for each row.",
          hints=("Which class wins in a row? The one with the largest logit.",
                 "argmax along the last dimension gives each row's winning class number; the config's id2label "
                 "turns a number into a name.",
                 "Loop over logits.argmax(dim=-1) and look each int(...) up in id2label."),
          solution="""
              def to_labels(logits, id2label):
                  return [id2label[int(i)] for i in logits.argmax(dim=-1)]
          """,
          why="Softmax never changes which logit is largest, so the pipeline's label is the argmax of the logits; "
              "id2label in the model's config maps the class number to its name.")
def _to_labels(to_labels):
    import torch

    torch.manual_seed(2)
    # not the sentiment model's names, keys out of order, and names whose alphabetical order is not the keys' order
    # either: look a class number up by key, not by position
    topics = {3: "business", 0: "world", 4: "sport", 1: "science", 2: "health"}
    for logits, id2label in ((torch.randn(4, 5), topics), (torch.randn(6, 3) * 2, config_for("sentiment").id2label)):
        got = to_labels(logits, id2label)
        expected = [id2label[i] for i in logits.argmax(-1).tolist()]
        if isinstance(got, torch.Tensor) or (len(got) and not isinstance(list(got)[0], str)):
            raise Wrong("return label names such as 'positive', not class numbers")
        got = list(got)
        if len(got) != len(logits):
            raise Wrong(f"{len(logits)} rows of logits in, {len(got)} labels out: one label per row, chosen among "
                        "that row's classes")
        if got != expected:
            for names in (list(id2label.values()), sorted(id2label.values())):
                if got == [names[i] for i in logits.argmax(-1).tolist()]:
                    raise Wrong("you took the name at that position in a list of id2label's names: look the class "
                                "number up as a key, id2label[i]; neither a dict's order nor alphabetical order "
                                "need follow its keys")
            raise Wrong("some rows got the wrong label: which logit in a row decides the prediction?")


@exercise("cosine", "Write cosine(a, b) that returns the cosine similarity of two 1-D embedding tensors, from its "
                    "formula (without a ready-made cosine such as cosine_similarity).",
          hints=("Cosine similarity compares directions, not lengths: two vectors pointing the same way score 1.",
                 "It is the dot product divided by the product of both vectors' lengths (norms).",
                 "(a @ b) / (a.norm() * b.norm())"),
          solution="""
              def cosine(a, b):
                  return (a @ b) / (a.norm() * b.norm())
          """,
          why="a . b = |a| |b| cos(angle), so dividing the dot product by both lengths leaves the cosine of the "
              "angle: 1 for the same direction, 0 for unrelated (orthogonal) vectors.")
def _cosine(cosine):
    import torch

    torch.manual_seed(1)
    same_way = (torch.tensor([3.0, 4.0]), torch.tensor([6.0, 8.0]))
    opposite = (torch.tensor([1.0, 0.0]), torch.tensor([-2.0, 0.0]))
    for a, b in (same_way, opposite, *((torch.randn(384), torch.randn(384)) for _ in range(3))):
        with torch_functions() as called:
            got = float(cosine(a.clone(), b.clone()))
        if any("cosine" in name for name in called):  # cosine_similarity, cosine_embedding_loss, ...
            raise Wrong("the point of the exercise is the formula itself: write it without a ready-made "
                        "cosine (cosine_similarity, cosine_embedding_loss, ...)")
        expected = float(torch.nn.functional.cosine_similarity(a, b, dim=0))
        if math.isclose(got, expected, rel_tol=1e-4, abs_tol=1e-6):
            continue
        if math.isclose(got, float(a @ b), rel_tol=1e-4):
            raise Wrong("that is the dot product: it grows with the vectors' lengths, and cosine must not")
        if expected < 0 <= got:
            raise Wrong("vectors pointing opposite ways, such as (1, 0) and (-2, 0), must give -1.0: the cosine "
                        "keeps its sign")
        if a is same_way[0]:
            raise Wrong("two vectors pointing the same way, such as (3, 4) and (6, 8), must give 1.0")
        raise Wrong("not the cosine of the angle yet: compare with the formula in the hints")


@exercise("sentence_vectors", "Write sentence_vectors(texts) that returns one vector per text, shape (texts, hidden): "
                              "the mean of the token vectors a feature-extraction pipeline gives for the kit's "
                              "encoder.",
          hints=("The feature-extraction pipeline gives one vector per *token*; a sentence vector pools them.",
                 "pipeline('feature-extraction', model=labkit.checkpoint('encoder')) returns, for each text, a "
                 "list of shape (1, tokens, hidden); average over the tokens.",
                 "For each output, np.array(output)[0].mean(axis=0); stack the results with np.stack."),
          solution="""
              import numpy as np
              from transformers import pipeline


              def sentence_vectors(texts):
                  extractor = pipeline("feature-extraction", model=labkit.checkpoint("encoder"))
                  return np.stack([np.array(output)[0].mean(axis=0) for output in extractor(texts)])
          """,
          why="Mean pooling gives every token an equal say, which is how MiniLM's sentence-transformers version was "
              "trained to compare sentences; each text is run alone, so there is no padding to leave out.")
def _sentence_vectors(sentence_vectors):
    import numpy as np

    texts = ["The flight was delayed.", "Our plane left late, and the crew apologised twice."]
    outputs = pipeline_for("feature-extraction", "encoder")(texts)
    expected = np.stack([np.array(o)[0].mean(axis=0) for o in outputs])
    got = sentence_vectors(texts)
    tol = 1e-2 if str(getattr(got, "dtype", "")).endswith("float16") else 1e-4  # float16 / bfloat16 keep ~3 digits
    got = np.asarray(got.detach().float() if hasattr(got, "detach") else got, dtype=np.float32)  # grads or not
    if got.ndim != 2:
        raise Wrong("one vector per text: pool the token vectors into one, shape (texts, hidden)")
    if got.shape != expected.shape:
        raise Wrong(f"expected shape {expected.shape} (texts, hidden), got {got.shape}")
    first = np.stack([np.array(o)[0][0] for o in outputs])
    if np.allclose(got, first, atol=tol, rtol=tol):
        raise Wrong("that is the first token's vector ([CLS]) only: the exercise asks for the mean over all tokens")
    if not np.allclose(got, expected, atol=tol, rtol=tol):
        batched = pipeline_for("feature-extraction", "encoder")(texts, batch_size=len(texts))
        if np.allclose(got, np.stack([np.array(o)[0].mean(axis=0) for o in batched]), atol=tol, rtol=tol):
            raise Wrong("with batch_size the texts are padded to the longest one, and your mean includes the padding "
                        "tokens' vectors: run one text at a time (the pipeline's default) or leave the padding out")
        raise Wrong("not the mean of the encoder's token vectors: check the model and the axis you average over")
