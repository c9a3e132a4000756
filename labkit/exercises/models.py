"""Notebook 03: models, hidden states and heads."""
from __future__ import annotations

from . import Wrong, exercise
from .fixtures import as_shape, config_for, tokenizer_for


@exercise("hidden_shape", "Give the shape of last_hidden_state when MiniLM reads "
                          "tokenizer(['Hello!', 'How are you doing today?'], padding=True, return_tensors='pt').")
def _hidden_shape(answer):
    tokenizer = tokenizer_for("encoder")
    length = tokenizer(["Hello!", "How are you doing today?"], padding=True, return_tensors="pt").input_ids.shape[1]
    expected = (2, length, config_for("encoder").hidden_size)
    got = as_shape(answer)
    if got == (2, expected[2]):
        raise Wrong("that is one vector per sentence; last_hidden_state has one vector per *token*: "
                    "(batch, sequence, hidden)")
    if got != expected:
        raise Wrong("(batch, sequence length after padding, hidden size): count the tokens of the longer sentence "
                    "with its special tokens, and read hidden_size from the config")


@exercise("batch_dim", "Write add_batch_dim(ids) that turns a list of token ids into the tensor a model "
                       "accepts (a batch of one).")
def _batch_dim(add_batch_dim):
    import torch

    ids = [101, 7592, 2088, 102]
    got = add_batch_dim(ids)
    if not isinstance(got, torch.Tensor):
        raise Wrong("return a torch tensor, e.g. with torch.tensor(...)")
    if got.shape == (4,):
        raise Wrong("that is a 1-D tensor; models expect (batch, sequence): wrap the list, torch.tensor([ids])")
    if got.shape != (1, 4) or got.tolist() != [ids] or got.dtype != torch.long:
        raise Wrong("expected shape (1, 4) of integer ids, in the same order")


@exercise("head_params", "How many new parameters does AutoModelForSequenceClassification add on top of "
                         "MiniLM for 3 labels (its `classifier` layer)?")
def _head_params(answer):
    hidden, labels = config_for("encoder").hidden_size, 3
    if answer == hidden * labels:
        raise Wrong("close: a linear layer has a bias too, one per output")
    if answer != hidden * labels + labels:
        raise Wrong("the head is one nn.Linear(hidden_size, num_labels): weights hidden_size x num_labels, plus "
                    "the biases. hidden_size is in the config")


@exercise("cross_shape", "The tiny BART of section 4 (4 decoder heads) reads a batch of 2 inputs of 10 tokens and "
                         "has written 4 output tokens. Give the shape of one layer's cross_attentions.")
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
        raise Wrong("query and key are swapped: in cross-attention the queries come from the decoder's tokens")
    if got == (batch, heads, target, target):
        raise Wrong("that is the decoder's own self-attention; cross-attention's keys are the encoder's tokens")
    if got == (batch, heads, source, source):
        raise Wrong("that is the encoder's self-attention; in cross-attention the decoder asks the questions")
    if got != expected:
        raise Wrong("every attention weight tensor is (batch, heads, query, key): which side asks, which side answers?")
