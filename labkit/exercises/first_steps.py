"""Notebook 00: devices, the model catalogue, a first pipeline."""
from __future__ import annotations

from . import Wrong, exercise
from .fixtures import pipeline_for, tiny_model


@exercise("same_device", "Write to_model_device(model, inputs) that returns the tokenizer's output moved to the "
                         "device the model is on, whatever that device is.",
          hints=("A model knows where its weights live: look for an attribute that says so.",
                 "model.device is that device, and a tokenizer's output (a BatchEncoding) has a .to() method like a "
                 "tensor's.",
                 "Return inputs moved with .to(...) to model.device; never write 'cpu' or 'cuda' yourself."),
          solution="""
              def to_model_device(model, inputs):
                  return inputs.to(model.device)
          """,
          why="model.device is wherever from_pretrained (or device_map) put the weights, so the same line works on a "
              "CPU, a CUDA GPU or Apple's MPS; BatchEncoding.to moves every tensor in it at once.")
def _same_device(to_model_device):
    import torch
    from transformers import BatchEncoding

    for model in (tiny_model("bert").to("meta"), tiny_model("bert")):  # meta: a device no one types by hand
        inputs = BatchEncoding({"input_ids": torch.tensor([[1, 2, 3]]), "attention_mask": torch.ones(1, 3).long()})
        got = to_model_device(model, inputs)
        if got is None:
            raise Wrong("your function returns nothing: return the moved inputs (.to() returns them)")
        if not hasattr(got, "items"):
            raise Wrong("return the whole tokenizer output (input_ids and attention_mask), not one tensor")
        if set(got.keys()) != set(inputs.keys()):
            raise Wrong("return the whole tokenizer output: input_ids and attention_mask, both moved")
        devices = {str(v.device) for v in got.values()}
        if devices != {str(model.device)}:
            raise Wrong(f"the check put the model on {model.device}, and your tensors ended on "
                        f"{', '.join(sorted(devices))}: ask the model where it is instead of naming a device")


def _random_tweets(n: int) -> list[str]:
    """n tweets drawn afresh from the kit's tweet corpus: texts no answer can have typed in."""
    import csv
    import random

    from ..data import data_file

    with open(data_file("tweets", "tweets.csv"), encoding="latin-1", newline="") as f:
        texts = [row["text"] for row in csv.DictReader(f) if row["text"].strip()]
    return random.sample(texts, n)


@exercise("labels_of", "Write labels_of(texts) that classifies a list of texts with a sentiment-analysis pipeline "
                       "on the kit's sentiment model and returns only the label of each text.",
          hints=("pipeline() needs the task and the model to use; the kit's checkpoints come from labkit.checkpoint.",
                 "pipeline('sentiment-analysis', model=labkit.checkpoint('sentiment')) returns one dict per text, "
                 "each with a 'label' and a 'score'.",
                 "Build the pipeline, call it on texts, and keep result['label'] of each result in a list."),
          solution="""
              from transformers import pipeline


              def labels_of(texts):
                  classifier = pipeline("sentiment-analysis", model=labkit.checkpoint("sentiment"))
                  return [result["label"] for result in classifier(texts)]
          """,
          why="A pipeline returns one {'label', 'score'} dict per input; naming the model keeps the result the same "
              "offline and across library versions (a pipeline without model= downloads the task's default).")
def _labels_of(labels_of):
    texts = ["I love this, it is wonderful!", "This is the worst flight I have ever taken.", "ok",
             "The gate changed twice and nobody told us."]
    # two orders (a list typed in for the first one fails the second), then tweets no rule of thumb labels right
    for batch in (texts, texts[::-1], _random_tweets(12)):
        expected = [r["label"] for r in pipeline_for("sentiment-analysis", "sentiment")(batch)]
        try:
            got = labels_of(batch)
        except OSError as err:
            raise Wrong(f"loading failed ({err.__class__.__name__}): a pipeline without model= looks for its "
                        "default model on the Hub; name the kit's sentiment model") from None
        got = list(got)
        if got and isinstance(got[0], dict):
            raise Wrong("you return the pipeline's dicts; the exercise asks for the label of each text only")
        if len(got) != len(batch):
            raise Wrong(f"{len(batch)} texts in, {len(got)} labels out: one label per text")
        if got != expected:
            raise Wrong("some labels differ from the kit's sentiment model: is your pipeline using that model, on "
                        "the texts it is given?")


@exercise("parameter_count", "How many parameters (numbers the model learned) does the encoder have? Give the exact "
                             "count; the model can count its own parameters.",
          hints=("First load the encoder as a model object, then explore it: dir(model) or tab completion after "
                 "'model.' lists its methods.",
                 "Load the encoder with AutoModel.from_pretrained(labkit.checkpoint('encoder')) and call its "
                 "num_parameters() method.",
                 "The exact count is a whole number in the tens of millions; give it exactly, not rounded."),
          solution="""
              from transformers import AutoModel

              encoder = AutoModel.from_pretrained(labkit.checkpoint("encoder"))
              parameter_count = encoder.num_parameters()
          """,
          why="num_parameters() adds up numel() over every weight tensor (embeddings, attention, feed-forward, "
              "norms): the size people quote for a model.")
def _parameter_count(answer):
    import numbers

    from .fixtures import model_for

    model = model_for("encoder")
    value = answer.item() if hasattr(answer, "item") and getattr(answer, "ndim", 0) == 0 else answer  # numpy, torch
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise Wrong("give the count as one number")
    if value == len(list(model.parameters())):
        raise Wrong("that counts weight tensors; each tensor holds many parameters (its numel())")
    if value < 1000:
        raise Wrong("that looks like millions: give the exact number of parameters, an integer")
    if value == model.num_parameters(exclude_embeddings=True):
        raise Wrong("that leaves the embeddings out: they are parameters the model learned too")
    if value != model.num_parameters():
        raise Wrong("not the encoder's count: load the kit's encoder and let it count")
