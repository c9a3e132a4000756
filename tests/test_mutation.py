"""Mutation tests of the exercise checks: every one-change mutant of an exercise's reference solution
(tests/support/mutation.py) must fail its check, or be listed in EQUIVALENT with why it is still a right answer.
Each exercise must kill at least 90% of its non-equivalent mutants; the scores are printed at the end of the run."""
import contextlib
import io
import warnings

import pytest

from labkit.exercises import EXERCISES, check, load_all
from tests.support.mutation import answer_of, mutants


# (exercise, what changed) -> why the mutant is a right answer too (or checks nothing the task asks)
EQUIVALENT = {
    ("attention.attention_shape", "3:53 'encoder' -> 'sentiment'"):
        "the sentiment model is MiniLM fine-tuned: the same config, 12 heads, so the same right shape",
    ("data.tokenize_batch", "3:60 'encoder' -> 'sentiment'"): "the sentiment model keeps MiniLM's tokenizer: the same "
                                                                 "tokens",
    ("data.tokenize_batch", "7:64 tokenizer(truncation=...) dropped"): "max_length alone switches truncation on "
                                                                        "(longest_first): the same tokens",
    ("models.head_params", "3:54 'encoder' -> 'sentiment'"): "the sentiment checkpoint is MiniLM fine-tuned: the "
                                                             "same config, the same hidden_size",
    ("models.hidden_shape", "3:60 'encoder' -> 'sentiment'"): "the sentiment checkpoint ships MiniLM's tokenizer: "
                                                              "the same ids, the same length",
    ("models.hidden_shape", "5:59 'encoder' -> 'sentiment'"): "the sentiment checkpoint has MiniLM's config: the "
                                                              "same hidden_size",
    ("models.hidden_shape", "4:87 'pt' -> 'np'"): "NumPy arrays have the same shape as the tensors",
    ("models.hidden_shape", "6:25 'input_ids' -> 'attention_mask'"): "the attention mask has the shape of input_ids",
    ("generation.continue_greedy", "4:21 0 -> -1"): "output[-1] is output[0]: generate returns one row for the "
                                                    "task's one prompt",
    ("generation.continue_greedy", "4:31 'input_ids' -> 'attention_mask'"): "one unpadded prompt: its attention "
                                                                           "mask has the ids' length",
    ("first_steps.parameter_count", "3:54 'encoder' -> 'sentiment'"): "AutoModel drops the sentiment model's head, "
                                                                      "leaving MiniLM's encoder: the same count",
    ("pipelines.sentence_vectors", "7:38 0 -> -1"): "each output holds one text (a batch of 1): [-1] is [0]",
    ("finetuning.trainable", "3:77 'encoder' -> 'sentiment'"): "the sentiment model is MiniLM with a 3-label head: "
                                                              "the same architecture, the same count",
    ("finetuning.trainable", "5:31 -1 -> 0"): "every MiniLM layer has the same size: the same count",
    ("finetuning.trainable", "5:31 -1 -> -2"): "every MiniLM layer has the same size: the same count",
    ("finetuning.trainable", "5:50 requires_grad_(...)'s last positional argument dropped"):
        "requires_grad_() defaults to True: the same call",
    ("lora.config", "6:32 LoraConfig(r=...) dropped"): "peft's LoraConfig has r=8 by default",
    ("lora.config", "6:32 LoraConfig(lora_dropout=...) dropped"): "peft's LoraConfig has lora_dropout=0.0 by default",
    ("lora.config", "6:32 LoraConfig(target_modules=...) dropped"): "peft's default targets for Llama models are "
                                                                      "q_proj and v_proj: the same adapters",
    ("deployment.feed", "3:60 'sentiment' -> 'encoder'"): "the classifier was fine-tuned from the encoder and kept "
                                                           "its tokenizer: the same arrays",
    ("deployment.feed", "7:62 tokenizer(return_tensors=...) dropped"): "ONNX Runtime also takes Python lists of "
                                                                        "ints (as int64)",
    ("deployment.int8_size", "3:77 'sentiment' -> 'encoder'"): "the encoder with a new head differs by a few "
                                                                "hundred parameters, below the check's tolerance",
    ("deployment.int8_size", "4:42 Mult -> Div"): "dividing by 1 is multiplying by 1",
    ("deployment.dynamic_shapes", "5:56 512 -> 513"): "a sequence bound above the model's 512 positions exports "
                                                       "the same graph",
    ("deployment.dynamic_shapes", "5:56 Dim(max=...) dropped"): "torch.export finds the bound itself: the same "
                                                                 "graph, dynamic axes included",
    ("lora.causal_lm_loss", "8:40 cross_entropy(ignore_index=...) dropped"): "-100 is cross_entropy's default "
                                                                              "ignore_index",
    ("evaluation.perplexity", "4:66 False -> True"): "SmolLM2's tokenizer adds no special tokens: the same ids",
    ("evaluation.perplexity", "4:66 tokenizer(add_special_tokens=...) dropped"): "SmolLM2's tokenizer adds no special "
                                                                                 "tokens: the same ids",
}


def outcome(name: str, source: str) -> str:
    """'killed' when the mutated answer cell raises or its check fails; 'survived' when the check passes it."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a mutant may use an API the way the library warns about
        try:
            answer = answer_of(name, source)
        except Exception:  # the answer cell itself fails: the learner sees the error
            return "killed"
        return "survived" if check(name, answer) else "killed"


@pytest.mark.parametrize("name", sorted(load_all()))
def test_the_check_kills_the_mutants_of_its_solution(name, prepared, request):
    survivors, equivalent, killed = [], [], 0
    for change, source in mutants(EXERCISES[name].solution):
        survived = outcome(name, source) == "survived"
        if (name, change) in EQUIVALENT:
            equivalent.append((change, survived))
        elif survived:
            survivors.append(change)
        else:
            killed += 1
    counted = killed + len(survivors)
    request.node.user_properties.append(("mutation_score", (name, killed, counted)))  # tests/conftest.py prints it
    wrongly_listed = [change for change, survived in equivalent if not survived]
    assert not wrongly_listed, f"{name}: listed as equivalent but the check rejects them: {wrongly_listed}"
    assert counted == 0 or killed / counted >= 0.9, f"{name}: the check accepts {survivors}"
