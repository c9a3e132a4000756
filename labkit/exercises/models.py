"""Notebook 03: models, hidden states and heads."""
from __future__ import annotations

import random

from . import Wrong, exercise
from .fixtures import as_shape, config_for, model_for, tokenizer_for


@exercise("hidden_shape", "Give the shape of last_hidden_state when MiniLM reads "
                          "tokenizer(['Hello!', 'How are you doing today?'], padding=True, return_tensors='pt').",
          hints=("last_hidden_state has three dimensions: one for the batch, one for the tokens, one for the vector "
                 "of each token.",
                 "Padding makes both sentences as long as the longer one, special tokens included; the vector size "
                 "is the config's hidden_size.",
                 "Tokenize the batch and read input_ids.shape[1]; MiniLM's hidden_size is in AutoConfig."),
          solution="""
              from transformers import AutoConfig, AutoTokenizer

              tokenizer = AutoTokenizer.from_pretrained(labkit.checkpoint("encoder"))
              batch = tokenizer(["Hello!", "How are you doing today?"], padding=True, return_tensors="pt")
              hidden_size = AutoConfig.from_pretrained(labkit.checkpoint("encoder")).hidden_size
              hidden_shape = (2, batch["input_ids"].shape[1], hidden_size)
          """,
          why="An encoder returns one hidden_size vector for every position of the padded batch: (batch, sequence "
              "length with [CLS] and [SEP], hidden size).")
def _hidden_shape(answer):
    tokenizer = tokenizer_for("encoder")
    length = tokenizer(["Hello!", "How are you doing today?"], padding=True, return_tensors="pt").input_ids.shape[1]
    expected = (2, length, config_for("encoder").hidden_size)
    got = as_shape(answer)
    if got == (2, expected[2]):
        raise Wrong("that is one vector per sentence; last_hidden_state has one vector per *token*")
    if got != expected and isinstance(got, tuple) and len(got) == 3 and (got[0], got[2]) == (2, expected[2]):
        raise Wrong("the sequence length is off: count the longer sentence's tokens, special tokens included")
    if got != expected:
        raise Wrong("(batch, sequence length after padding, hidden size): check each of the three")


@exercise("batch_dim", "Write add_batch_dim(ids) that turns a list of token ids into the tensor a model "
                       "accepts (a batch of one).",
          hints=("Models take a batch: a 2-D tensor (batch, sequence), even for one sentence.",
                 "torch.tensor of a list gives 1-D; torch.tensor of a list of lists gives 2-D.",
                 "torch.tensor([ids]), whose dtype is already torch.long for integers."),
          solution="""
              import torch


              def add_batch_dim(ids):
                  return torch.tensor([ids])
          """,
          why="Wrapping the list makes a batch of one, shape (1, sequence); integer ids become torch.long, what an "
              "embedding layer looks up.")
def _batch_dim(add_batch_dim):
    import torch

    for length in (4, random.randint(5, 12)):
        ids = [101] + [random.randrange(1000, 30000) for _ in range(length - 2)] + [102]
        got = add_batch_dim(list(ids))
        if not isinstance(got, torch.Tensor):
            raise Wrong("return a torch tensor, not a list")
        if got.shape == (length,):
            raise Wrong("that is a 1-D tensor; models expect (batch, sequence)")
        if got.dtype not in (torch.long, torch.int32):  # the integer types an embedding layer looks up
            raise Wrong("expected a batch of integer ids (torch.long): an embedding layer looks ids up")
        if got.shape != (1, length) or got.tolist() != [ids]:
            raise Wrong("expected a batch of one, with the same ids in the same order")


@exercise("head_params", "How many new parameters does AutoModelForSequenceClassification add on top of "
                         "MiniLM for 3 labels (its `classifier` layer)?",
          hints=("The head is a single linear layer from the hidden vector to one score per label.",
                 "A linear layer has a weight for every (input, output) pair, and one bias per output.",
                 "hidden_size x 3 weights plus 3 biases; hidden_size is in MiniLM's config."),
          solution="""
              from transformers import AutoConfig

              config = AutoConfig.from_pretrained(labkit.checkpoint("encoder"))
              head_params = config.hidden_size * 3 + 3
          """,
          why="The classifier is nn.Linear(hidden_size, num_labels): hidden_size x num_labels weights and num_labels "
              "biases, all newly initialised (the loading report lists them as missing).")
def _head_params(answer):
    hidden, labels = config_for("encoder").hidden_size, 3
    if answer == hidden * labels:
        raise Wrong("close: a linear layer has more than weights")
    if answer != hidden * labels + labels:
        raise Wrong("count the parameters of one linear layer from the hidden vector to 3 scores")


@exercise("cross_shape", "The tiny BART of section 4 (4 decoder heads) reads a batch of 2 inputs of 10 tokens and "
                         "has written 4 output tokens. Give the shape of one layer's cross_attentions.",
          hints=("Every attention weight tensor is (batch, heads, queries, keys): decide which side gives the "
                 "queries in cross-attention.",
                 "The decoder's tokens ask (queries); the encoder's tokens answer (keys).",
                 "(batch, decoder heads, output tokens so far, input tokens)."),
          solution="""
              cross_shape = (2, 4, 4, 10)  # (batch, heads, decoder tokens = queries, encoder tokens = keys)
          """,
          why="In cross-attention each of the 4 decoder positions weighs the 10 encoder positions, per head and per "
              "batch row.")
def _cross_shape(answer):
    import torch
    from transformers import AutoModelForSeq2SeqLM, BartConfig

    config = BartConfig(vocab_size=100, d_model=32, encoder_layers=1, decoder_layers=1, encoder_attention_heads=4,
                        decoder_attention_heads=4, encoder_ffn_dim=64, decoder_ffn_dim=64, max_position_embeddings=64)
    model = AutoModelForSeq2SeqLM.from_config(config, attn_implementation="eager")
    with torch.no_grad():
        out = model(input_ids=torch.full((2, 10), 5), decoder_input_ids=torch.full((2, 4), 5), output_attentions=True)
    got = as_shape(answer)
    batch, heads, target, source = expected = tuple(out.cross_attentions[0].shape)
    if got == (batch, heads, source, target):
        raise Wrong("query and key are swapped: which model asks the questions in cross-attention?")
    if got == (batch, heads, target, target):
        raise Wrong("that is the decoder's own self-attention; cross-attention's keys come from the other side")
    if got == (batch, heads, source, source):
        raise Wrong("that is the encoder's self-attention; in cross-attention the decoder asks the questions")
    if got != expected:
        raise Wrong("every attention weight tensor is (batch, heads, query, key): which side asks, which side answers?")


@exercise("new_head", "Write load_classifier(num_labels) that loads the kit's pretrained encoder with a new "
                      "sequence-classification head for num_labels classes.",
          hints=("transformers has an Auto class for every task head; which one classifies whole sequences?",
                 "AutoModelForSequenceClassification.from_pretrained keeps the pretrained body and adds a new head; "
                 "the number of classes is an argument of from_pretrained.",
                 "AutoModelForSequenceClassification.from_pretrained(labkit.checkpoint('encoder'), "
                 "num_labels=num_labels)."),
          solution="""
              from transformers import AutoModelForSequenceClassification


              def load_classifier(num_labels):
                  return AutoModelForSequenceClassification.from_pretrained(labkit.checkpoint("encoder"),
                                                                            num_labels=num_labels)
          """,
          why="from_pretrained loads the encoder's trained weights into the body and initialises only the missing "
              "classifier; num_labels sets the config, which sizes the head.")
def _new_head(load_classifier):
    import torch

    pretrained = model_for("encoder").state_dict()
    for num_labels in random.sample(range(2, 10), 2):
        model = load_classifier(num_labels)
        if not hasattr(model, "config") or not hasattr(model, "base_model"):
            raise Wrong("return a transformers model")
        if not type(model).__name__.endswith("ForSequenceClassification"):
            raise Wrong(f"a {type(model).__name__} has no sequence-classification head")
        with torch.no_grad():
            outputs = model(input_ids=torch.tensor([[101, 7592, 102]])).logits.shape[-1]
        if outputs != num_labels or model.config.num_labels != num_labels:
            raise Wrong(f"asked for {num_labels} labels, the head gives {outputs} scores (config.num_labels "
                        f"{model.config.num_labels}): the head is sized when the model is built, so tell "
                        "from_pretrained how many")
        body = model.base_model.state_dict()  # loaded in another dtype (dtype=torch.bfloat16) is right too:
        # compare with the pretrained weights cast to that dtype, which rounds them the way loading does
        if body.keys() != pretrained.keys() or not all(torch.equal(body[k], pretrained[k].to(body[k].dtype))
                                                       for k in pretrained):
            raise Wrong("the body's weights are not the kit's pretrained encoder: random weights (from_config) or "
                        "a checkpoint that was already fine-tuned?")
