"""Notebook 10: fine-tuning the causal LM with LoRA (peft)."""
from __future__ import annotations

from contextlib import contextmanager

from . import Wrong, exercise
from .fixtures import config_for, tiny_model

IGNORE = -100  # the label id that PyTorch's cross-entropy (and so every transformers model) leaves out of the loss


@exercise("causal_lm_loss", "Write causal_lm_loss(logits, labels): the loss a causal LM returns when called with "
                            "labels=labels. logits: (batch, seq, vocab); labels: (batch, seq), the input ids with -100 "
                            "where nothing is to be learned. Use torch's cross-entropy, not transformers' own loss "
                            "functions.",
          hints=("The logits at position i are the model's guess for the token at position i + 1, so the two "
                 "tensors are not compared position by position.",
                 "Drop the last position of the logits and the first of the labels, flatten both, and use a "
                 "cross-entropy that skips the label -100 (averaging over the positions that count).",
                 "F.cross_entropy(logits[:, :-1].reshape(-1, vocab), labels[:, 1:].reshape(-1), ignore_index=-100)"),
          solution="""
              import torch.nn.functional as F


              def causal_lm_loss(logits, labels):
                  predictions = logits[:, :-1]  # position i predicts the token at position i + 1
                  targets = labels[:, 1:]
                  return F.cross_entropy(predictions.reshape(-1, predictions.shape[-1]), targets.reshape(-1),
                                         ignore_index=-100)
          """,
          why="Labels are the input ids themselves; the model shifts them by one so that each position is scored on "
              "the next token, and cross-entropy leaves out every position labelled -100 (the prompt, the padding), "
              "averaging over the answer tokens only.")
def _causal_lm_loss(causal_lm_loss):
    import torch

    from transformers.loss import loss_utils

    model = tiny_model("llama")
    model.lm_head.weight.data.mul_(40)  # confident predictions, as a trained model's: label smoothing then shows
    generator = torch.Generator().manual_seed(10)
    input_ids = torch.randint(3, 100, (3, 9), generator=generator)
    prompted = input_ids.clone()
    prompted[:, :5] = IGNORE  # a prompt of five tokens
    prompted[1, -2:] = IGNORE  # and a padded row
    scattered = input_ids.clone()  # learned positions everywhere, the first included, and rows of unequal counts
    scattered[torch.rand(input_ids.shape, generator=generator) < 0.4] = IGNORE
    scattered[:, 0] = input_ids[:, 0]
    for labels in (prompted, scattered):
        with torch.no_grad():
            out = model(input_ids=input_ids, labels=labels)
        with _ready_made_loss_refused(loss_utils):
            got = torch.as_tensor(causal_lm_loss(out.logits.clone(), labels.clone())).float()
        if got.numel() != 1:
            raise Wrong(f"return one number, the mean loss, not a tensor of shape {tuple(got.shape)}")
        flat = torch.nn.functional.cross_entropy
        vocab = out.logits.shape[-1]
        unshifted = flat(out.logits.reshape(-1, vocab), labels.reshape(-1), ignore_index=IGNORE)
        if torch.isclose(got, unshifted, rtol=1e-4):
            raise Wrong("each position's logits are scored against the token at the same position; the model "
                        "scores them against the next one")
        summed = flat(out.logits[:, :-1].reshape(-1, vocab), labels[:, 1:].reshape(-1), ignore_index=IGNORE,
                      reduction="sum")
        if torch.isclose(got, summed, rtol=1e-4):
            raise Wrong("that is the sum over the answer tokens; the model averages")
        unshifted_count = (labels != IGNORE).sum()
        if unshifted_count != (labels[:, 1:] != IGNORE).sum() and torch.isclose(got, summed / unshifted_count,
                                                                                rtol=1e-4):
            raise Wrong("that divides by the learned positions before the shift; after it, the first label is no "
                        "longer scored, so it does not count")
        per_row = torch.stack([flat(row[:-1], row_labels[1:], ignore_index=IGNORE)
                               for row, row_labels in zip(out.logits, labels)]).mean()
        if torch.isclose(got, per_row, rtol=1e-4):
            raise Wrong("that averages each row, then the rows; the model averages over every scored position of "
                        "the batch at once")
        if not torch.isclose(got, out.loss, rtol=1e-4, atol=1e-5):
            raise Wrong("not the loss the model computes for these labels")


READY_MADE = "transformers' own loss function, refused inside labkit.check"


def _refuse(*args, **kwargs):  # runs with loss_utils' globals, so it names nothing but a builtin
    raise NotImplementedError("transformers' own loss function, refused inside labkit.check")


@contextmanager
def _ready_made_loss_refused(loss_utils):
    """transformers' own causal-LM loss raises inside the block: the exercise is to write it. The functions' code is
    swapped, not their names, so a copy imported before the check (`from ... import fixed_cross_entropy`) refuses too."""
    functions = loss_utils.ForCausalLMLoss, loss_utils.fixed_cross_entropy
    saved = [function.__code__ for function in functions]
    for function in functions:
        function.__code__ = _refuse.__code__
    try:
        yield
    except NotImplementedError as error:
        if error.args != (READY_MADE,):
            raise
        raise Wrong("that is transformers' own loss function; write the shift and the cross-entropy yourself, with "
                    "torch") from None
    finally:
        for function, code in zip(functions, saved):
            function.__code__ = code


@exercise("adapter_size", "How many parameters does a LoRA adapter of rank 8 add to one k_proj layer of "
                          "SmolLM2-135M? Read the sizes from the model's config.",
          hints=("LoRA leaves the weight W (out x in) frozen and learns two small matrices whose product has W's "
                 "shape.",
                 "A is r x in and B is out x r. k_proj is not square in SmolLM2: it has fewer outputs than inputs "
                 "(grouped-query attention).",
                 "r * (in + out), with in = config.hidden_size and out = config.num_key_value_heads * "
                 "config.head_dim."),
          solution="""
              from transformers import AutoConfig

              config = AutoConfig.from_pretrained(labkit.checkpoint("causal-lm"))
              k_outputs = config.num_key_value_heads * config.head_dim
              adapter_parameters = 8 * (config.hidden_size + k_outputs)
          """,
          why="LoRA adds B @ A with A of shape (r, in) and B of shape (out, r): r * (in + out) parameters, here "
              "8 * (576 + 192), against in * out for the frozen weight itself.")
def _adapter_size(answer):
    config = config_for("causal-lm")
    d_in = config.hidden_size
    d_out = config.num_key_value_heads * getattr(config, "head_dim", d_in // config.num_attention_heads)
    if answer == 8 * 2 * d_in:
        raise Wrong("that assumes k_proj is square; with grouped-query attention it has fewer outputs than inputs")
    if answer == d_in * d_out:
        raise Wrong("that is the frozen weight's own size; LoRA learns two thin matrices beside it")
    if answer in (8 * d_in, 8 * d_out):
        raise Wrong("that counts only one of LoRA's two matrices")
    if answer == 8 * d_in * d_out:
        raise Wrong("the rank multiplies the sum of the two sides, not their product")
    if answer != 8 * (d_in + d_out):
        raise Wrong("not the number of parameters in LoRA's two matrices for k_proj")


@exercise("config", "Write make_config() that returns a peft LoraConfig for a causal language model: rank 8, "
                    "alpha 16, no dropout, adapting only the attention's query and value projections.",
          hints=("LoraConfig names the rank, the scaling, the dropout, the task type and the modules to adapt.",
                 "The modules are named as in the model (print(model) shows them): in Llama-style models the "
                 "projections are q_proj, k_proj, v_proj, o_proj; the task type for a causal LM is 'CAUSAL_LM'.",
                 "LoraConfig(r=8, lora_alpha=16, lora_dropout=0.0, target_modules=['q_proj', 'v_proj'], "
                 "task_type='CAUSAL_LM')"),
          solution="""
              from peft import LoraConfig


              def make_config():
                  return LoraConfig(r=8, lora_alpha=16, lora_dropout=0.0, target_modules=["q_proj", "v_proj"],
                                    task_type="CAUSAL_LM")
          """,
          why="target_modules matches module names inside the model, so q_proj and v_proj of every layer get an "
              "adapter; task_type='CAUSAL_LM' makes get_peft_model return a PeftModelForCausalLM, which keeps "
              "generate() and saves the task with the adapter.")
def _config(make_config):
    from peft import LoraConfig, PeftModelForCausalLM, get_peft_model

    config = make_config()
    if not isinstance(config, LoraConfig):
        raise Wrong("return a peft LoraConfig")
    if (config.r, config.lora_alpha) == (16, 8):
        raise Wrong("rank and alpha are swapped: r is the rank, lora_alpha the scaling")
    if config.r != 8:
        raise Wrong(f"the rank is {config.r}, not 8")
    if config.lora_alpha != 16:
        raise Wrong(f"lora_alpha is {config.lora_alpha}, not 16")
    if config.lora_dropout:
        raise Wrong(f"the dropout is {config.lora_dropout}; the task asks for none")
    if config.use_rslora:
        raise Wrong("use_rslora scales the adapter by alpha / sqrt(r) instead of LoRA's alpha / r; leave it off")
    if config.use_dora:
        raise Wrong("use_dora adds DoRA's magnitude vectors to the adapters: the task asks for plain LoRA")
    if config.bias != "none" or config.lora_bias:
        raise Wrong("bias training (bias=..., lora_bias=True) adds trainable biases beside A and B: the task asks for "
                    "plain LoRA, whose only trainable weights are the adapter matrices")
    if config.init_lora_weights is not True:
        raise Wrong("init_lora_weights changes how A and B start; LoRA's default starts B at zero, so the adapted "
                    "model begins exactly as the base model: leave it as it is")
    if config.layers_to_transform is not None:
        raise Wrong("layers_to_transform limits the adapters to the layers it numbers, and models differ in their "
                    "number of layers: the task asks for every layer, which is what you get without it")
    try:
        model = get_peft_model(_two_layer_llama(), config)
    except ValueError as err:
        if "not found" in str(err):
            raise Wrong("peft found no module of that name in a Llama-style model: print(model) shows the names of "
                        "its projections") from None
        raise
    adapted = {name: module for name, module in model.named_modules() if hasattr(module, "lora_A")}
    kinds = sorted({name.rsplit(".", 1)[-1] for name in adapted})
    if kinds != ["q_proj", "v_proj"]:
        raise Wrong(f"the adapters went into {', '.join(kinds)}; the task asks for the query and value projections "
                    f"only")
    if len(adapted) != 2 * LAYERS:
        raise Wrong("some layers got no adapter: the task asks for the query and value projections of every layer")
    for name, module in adapted.items():
        rank, alpha = module.r["default"], module.lora_alpha["default"]
        if (rank, alpha) != (8, 16):
            raise Wrong(f"{name.removeprefix('base_model.model.')} gets rank {rank} and alpha {alpha}: a pattern "
                        "overrides the rank or alpha of some modules; the task asks for rank 8 and alpha 16 everywhere")
    extra = sorted({name.removeprefix("base_model.model.").split(".modules_to_save")[0]
                    for name, p in model.named_parameters() if p.requires_grad and "lora_" not in name})
    if extra:
        raise Wrong(f"{', '.join(extra)} would train in full beside the adapters; the task asks for the adapters only")
    if not any(p.requires_grad for p in model.parameters()):
        raise Wrong("nothing would train: the adapters are frozen (inference_mode=True is for using a trained adapter)")
    if not isinstance(model, PeftModelForCausalLM):
        raise Wrong("get_peft_model does not know this is a causal language model: say which task the adapter is for")


LAYERS = 2  # more than one, so that an answer limited to some layers shows


def _two_layer_llama():
    from transformers import AutoModelForCausalLM, LlamaConfig

    config = LlamaConfig(vocab_size=100, hidden_size=16, num_hidden_layers=LAYERS, num_attention_heads=2,
                         num_key_value_heads=1, intermediate_size=32, max_position_embeddings=128)
    return AutoModelForCausalLM.from_config(config).eval()
