"""Notebook 09: models out of PyTorch (ONNX, ONNX Runtime, quantization)."""
from __future__ import annotations

from . import Wrong, exercise
from .fixtures import model_for, tokenizer_for

BERT_INPUTS = ("input_ids", "token_type_ids", "attention_mask")  # what MiniLM's tokenizer returns, and the export takes


@exercise("feed", "Write feed(texts): the inputs for session.run() of the sentiment classifier's ONNX file, for a "
                  "list of tweets of different lengths, padded to the longest tweet of the list.",
          hints=("session.get_inputs() names what the graph takes; the tokenizer makes them, but ONNX Runtime is "
                 "not PyTorch.",
                 "A batch of texts of different lengths must be padded to one rectangle, and ONNX Runtime takes "
                 "NumPy arrays, not torch tensors.",
                 "dict(tokenizer(texts, padding=True, return_tensors='np'))"),
          solution="""
              from transformers import AutoTokenizer

              tokenizer = AutoTokenizer.from_pretrained(labkit.checkpoint("sentiment"))


              def feed(texts):
                  return dict(tokenizer(texts, padding=True, return_tensors="np"))
          """,
          why="The exported graph takes the three tensors the tokenizer makes (input_ids, token_type_ids, "
              "attention_mask), named as in torch.onnx.export's input_names, each an int64 NumPy array of shape "
              "(batch, sequence); padding makes the rows one length and the attention mask hides the padding.")
def _feed(feed):
    import random

    texts = ["Loving the new course!", "The train was late again, and nobody on the platform knew why: the board said "
             "nothing, the staff said nothing, and the next one was cancelled too."]
    for batch in (texts, random.sample(TWEETS, 3)):
        _check_feed(feed(list(batch)), batch)


TWEETS = ("Great game tonight!", "@united where is my bag? Third time this month.", "Paris in the spring.",
          "Not sure how I feel about the new phone, the battery is fine but the screen scratches if you look at it.",
          "ok", "Watching the debate with friends, lots of shouting at the TV from everyone in the room tonight",
          "Thanks for the quick reply, problem solved :)", "Why does every update break something new?")


def _check_feed(inputs, texts):
    from collections.abc import Mapping

    import numpy as np

    if not isinstance(inputs, Mapping):
        raise Wrong("session.run takes a dict from input names to arrays")
    missing = [name for name in BERT_INPUTS if name not in inputs]
    if missing:
        raise Wrong(f"the graph also takes {', '.join(missing)}: print [i.name for i in session.get_inputs()]")
    extra = [name for name in inputs if name not in BERT_INPUTS]
    if extra:
        raise Wrong(f"the graph has no input named {', '.join(extra)}, and ONNX Runtime refuses an input it does not "
                    "have: ask the tokenizer only for what session.get_inputs() names")
    arrays = {}
    for name in BERT_INPUTS:
        value = inputs[name]
        if type(value).__module__.startswith("torch"):
            raise Wrong(f"{name} is a torch tensor; ONNX Runtime is not PyTorch: it takes NumPy arrays")
        try:
            arrays[name] = np.asarray(value)
        except ValueError:
            arrays[name] = np.asarray(value, dtype=object)
        if arrays[name].dtype == object or arrays[name].ndim != 2:
            raise Wrong("the tokenizer could not make one rectangle of these texts: they have different lengths")
        if arrays[name].dtype != np.int64:
            raise Wrong(f"{name} is {arrays[name].dtype}; the graph's inputs are int64 (tensor(int64))")
    expected = tokenizer_for("sentiment")(list(texts), padding=True, return_tensors="np")
    rows, length = expected["input_ids"].shape
    ids, mask = arrays["input_ids"], arrays["attention_mask"]
    if ids.shape[0] == rows and ids.shape[1] > length and (ids[:, :length] == expected["input_ids"]).all() \
            and not mask[:, length:].any():
        raise Wrong("the rows are padded beyond the longest text: the session computes every padding position (and a "
                    "longer tweet would not fit); pad to the longest text of the batch instead")
    for name in BERT_INPUTS:
        if arrays[name].shape != expected[name].shape or not (arrays[name] == expected[name]).all():
            raise Wrong(f"{name} is not what the classifier's own tokenizer makes for these texts (padded, with "
                        "special tokens, nothing cut)")


@exercise("int8_size", "Before quantizing: how many megabytes (10^6 bytes) should the int8 file of the sentiment "
                       "classifier take? Compute it from the model's number of parameters.",
          hints=("Dynamic quantization stores the weights in a smaller number format; nearly all the file is weights.",
                 "In the fp32 file each parameter takes 4 bytes. How many does an 8-bit integer take?",
                 "model.num_parameters() * 1 / 1e6"),
          solution="""
              from transformers import AutoModelForSequenceClassification

              model = AutoModelForSequenceClassification.from_pretrained(labkit.checkpoint("sentiment"))
              int8_megabytes = model.num_parameters() * 1 / 1e6
          """,
          why="int8 is one byte per weight against float32's four, so the file shrinks to about a quarter; the few "
              "values kept in float32 (a scale and zero point per tensor, the biases, the layer norms) add little.")
def _int8_size(answer):
    if isinstance(answer, str):
        raise Wrong("that is a string; the answer is a number of megabytes")
    parameters = model_for("sentiment").num_parameters()
    answer = float(answer)
    for width, name in ((4, "float32: 4 bytes"), (2, "16 bits: 2 bytes"), (1 / 8, "1 bit")):
        if abs(answer - parameters * width / 1e6) < 0.01 * parameters * width / 1e6:
            raise Wrong(f"that is {name} per parameter; int8 is 8 bits")
    if abs(answer - parameters / 2**20) < 0.01 * parameters / 2**20:
        raise Wrong("that is in MiB (2^20 bytes); the task asks for megabytes (10^6 bytes)")
    if abs(answer - parameters / 1e6) > 0.02 * parameters / 1e6:
        raise Wrong("not the size of the model's parameters at one byte each")


@exercise("dynamic_shapes", "Write export_shapes(): the dynamic_shapes for torch.onnx.export of the classifier, with "
                            "a batch axis (0) and a sequence axis (1) that may change on every input.",
          hints=("torch.onnx.export(..., dynamo=True) fixes every axis to the sample's size unless dynamic_shapes "
                 "names it; the inputs are the tokenizer's three tensors.",
                 "Each input maps each dynamic axis to a torch.export.Dim; inputs whose axes always have the same "
                 "size share one Dim (the batch of input_ids is the batch of attention_mask).",
                 "batch, sequence = Dim('batch'), Dim('sequence', max=512), then {name: {0: batch, 1: sequence} "
                 "for name in ('input_ids', 'token_type_ids', 'attention_mask')}"),
          solution="""
              from torch.export import Dim


              def export_shapes():
                  batch, sequence = Dim("batch"), Dim("sequence", max=512)
                  return {name: {0: batch, 1: sequence} for name in ("input_ids", "token_type_ids", "attention_mask")}
          """,
          why="Dims are symbols that torch.export traces through the model instead of numbers; sharing one Dim says "
              "the axes are always equal, which the attention mask and the ids must be, and max=512 is BERT's "
              "number of positions. The ONNX file then has inputs of shape (batch, sequence).")
def _dynamic_shapes(export_shapes):
    from torch.export import Dim

    shapes = export_shapes()
    if not isinstance(shapes, dict):
        raise Wrong("dynamic_shapes maps each input's name to its axes")
    missing = [name for name in BERT_INPUTS if name not in shapes]
    if missing:
        raise Wrong(f"every input the model is called with needs its axes: {', '.join(missing)} is missing")
    unbounded = Dim("any").max
    for name in BERT_INPUTS:
        axes = shapes[name]
        axes = dict(enumerate(axes)) if isinstance(axes, (list, tuple)) else axes
        if not isinstance(axes, dict) or {axis for axis, dim in axes.items() if dim is not None} != {0, 1}:
            raise Wrong(f"{name}: give both axes, 0 (batch) and 1 (sequence); an axis left out stays the sample's "
                        "size")
        batch, sequence = axes[0], axes[1]
        if not all(isinstance(d, (str, Dim, type(Dim.DYNAMIC))) for d in (batch, sequence)):
            raise Wrong(f"{name}: each axis needs a torch.export.Dim (or a name, or Dim.DYNAMIC)")
        if Dim.STATIC in (batch, sequence):
            raise Wrong(f"{name}: Dim.STATIC fixes the axis to the sample's size; the task asks for any size")
        batch_name, sequence_name = (d if isinstance(d, str) else d.__name__ if isinstance(d, Dim) else None
                                     for d in (batch, sequence))
        if (isinstance(batch, Dim) and batch is sequence) or (batch_name and batch_name == sequence_name):
            raise Wrong("batch and sequence are one Dim here, so the export would accept only square inputs")
        if "seq" in (batch_name or "").lower() or "batch" in (sequence_name or "").lower():
            raise Wrong(f"{name}: axis 0 is the batch and axis 1 the sequence; the names are the other way round")
        if isinstance(batch, Dim) and batch.max != unbounded:
            raise Wrong(f"the batch may have at most {batch.max} rows here; the task asks for any batch size")
        if isinstance(sequence, Dim) and sequence.max != unbounded and sequence.max < 512:
            raise Wrong(f"the sequence may have at most {sequence.max} tokens here; the classifier reads up to 512")
