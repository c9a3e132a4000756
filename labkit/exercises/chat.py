"""Notebook 11: chat templates, supervised fine-tuning and preference tuning (TRL)."""
from __future__ import annotations

from . import Wrong, exercise
from .fixtures import tokenizer_for

IGNORE = -100  # the label cross-entropy leaves out

# A Llama-3-style template (its header markers, no default system prompt): a second, different chat format
LLAMA3_STYLE = ("{{ '<|begin_of_text|>' }}{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + "
                "'<|end_header_id|>\n\n' + message['content'] + '<|eot_id|>' }}{% endfor %}"
                "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}")


def _retemplated(template: str):
    """A copy of SmolLM2's (loaded once) tokenizer with another chat template: the same vocabulary, another format."""
    import copy

    tokenizer = copy.deepcopy(tokenizer_for("causal-lm"))
    tokenizer.chat_template = template
    return tokenizer


def _unseen_template() -> str:
    """A chat format with markers drawn afresh at each check (no answer can have them typed in), opened with the
    tokenizer's bos_token as many templates are."""
    import random

    turn, end = f"<turn{random.randint(100, 999)}>", f"<end{random.randint(100, 999)}>"
    return (f"{{{{ bos_token }}}}{{% for message in messages %}}"
            f"{{{{ '{turn}' + message['role'] + ': ' + message['content'] + '{end}' }}}}{{% endfor %}}{{% if add_generation_prompt %}}{{{{ '{turn}assistant: ' }}}}{{% endif %}}")


CONVERSATIONS = (
    [{"role": "user", "content": "Is this tweet positive? 'What a day!'"}],
    [{"role": "system", "content": "Answer in one word."}, {"role": "user", "content": "Sky colour?"}],
    [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello! How can I help?"},
     {"role": "user", "content": "Name a colour."}],
)


@exercise("reply_prompt", "Write reply_prompt(tokenizer, messages): the text to give a chat model so that it writes "
                          "the assistant's next turn after the conversation `messages`, for any chat model's "
                          "tokenizer.",
          hints=("The tokenizer carries its model's chat template: let it render the conversation, and ask it for "
                 "the text as a string.",
                 "A rendered conversation ends after the last message's end-of-turn marker; the model still has to "
                 "be told whose turn comes next.",
                 "tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)"),
          solution="""
              def reply_prompt(tokenizer, messages):
                  return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
          """,
          why="apply_chat_template renders the conversation in the format the model was trained on (its own special "
              "tokens, its default system prompt); add_generation_prompt=True adds the opening of the assistant's "
              "turn, so that the model's next tokens are the reply. Each model has its own template.")
def _reply_prompt(reply_prompt):
    for tokenizer in (tokenizer_for("causal-lm"), _retemplated(LLAMA3_STYLE), _retemplated(_unseen_template())):
        for messages in CONVERSATIONS:
            got = reply_prompt(tokenizer, [dict(m) for m in messages])
            expected = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
            if not isinstance(got, str):
                raise Wrong("return the text, a string (apply_chat_template tokenizes unless told tokenize=False)")
            if got == expected:
                continue
            closed = tokenizer.apply_chat_template(messages, tokenize=False)
            if got == closed:
                raise Wrong("the text ends after the last message: nothing tells the model that the assistant "
                            "speaks next, so it may go on with the user's turn")
            if got.startswith(closed) and tokenizer is not tokenizer_for("causal-lm"):
                raise Wrong("that opening of the assistant's turn is not this tokenizer's: each model's template "
                            "opens it its own way, so let the tokenizer's template write it")
            if "<|im_start|>" in got and "<|im_start|>" not in expected:
                raise Wrong("that is SmolLM2's format; this tokenizer's model was trained on another one: use the "
                            "tokenizer's own template")
            if got == expected.rstrip():
                raise Wrong("the text stops just short of the template's: keep the whole opening of the assistant's "
                            "turn, its newline too, or the model starts its reply with one")
            if expected.startswith(got):
                raise Wrong("the text stops inside the conversation: the last message's turn is left open, or the "
                            "assistant's turn is not opened")
            raise Wrong("not the text the tokenizer's chat template makes for this conversation, with the assistant's "
                        "turn opened")


@exercise("completion_labels", "Write completion_labels(prompt_ids, completion_ids): one supervised fine-tuning "
                               "example as a pair (input_ids, labels) of lists of ints, which trains the model on the "
                               "completion only.",
          hints=("The model reads the whole conversation, so the input is the prompt followed by the completion; "
                 "the labels say, position by position, what is learned.",
                 "A causal LM's labels are its input ids (the model shifts them itself); the positions that must not "
                 "be learned get the label cross-entropy leaves out.",
                 "input_ids = prompt_ids + completion_ids; labels = [-100] * len(prompt_ids) + completion_ids"),
          solution="""
              def completion_labels(prompt_ids, completion_ids):
                  labels = [-100] * len(prompt_ids) + list(completion_ids)  # the prompt is not learned
                  return list(prompt_ids) + list(completion_ids), labels
          """,
          why="The labels are the input ids, which the model shifts by one inside its forward pass; -100 on every "
              "prompt position leaves the prompt out of the loss, so only the reply (and its end-of-turn token) is "
              "learned. That is what SFTTrainer's completion-only loss does for a prompt-completion dataset.")
def _completion_labels(completion_labels):
    import random

    rng = random.Random(11)
    end_of_turn = [2, 198]  # <|im_end|> and a newline: in real chats the prompt's turns end as the completion does
    for prompt_length, completion_length in ((7, 4), (rng.randint(3, 12), rng.randint(2, 6))):
        prompt = [rng.randint(5, 40_000) for _ in range(prompt_length - 2)] + end_of_turn
        completion = [rng.randint(5, 40_000) for _ in range(completion_length - 2)] + end_of_turn
        prompt[rng.randrange(prompt_length - 2)] = completion[0]  # the completion's tokens occur in prompts too
        got = completion_labels(list(prompt), list(completion))
        if isinstance(got, (str, bytes, dict)) or not hasattr(got, "__len__") or len(got) != 2:
            raise Wrong("return a pair: (input_ids, labels)")
        input_ids, labels = ([int(v) for v in part] for part in got)
        if input_ids != prompt + completion:
            raise Wrong("the model must read the whole example: the input ids are the prompt's, then the "
                        "completion's")
        if len(labels) != len(input_ids):
            raise Wrong("one label per input position (the model shifts them itself: do not shift or shorten them)")
        if labels == input_ids:
            raise Wrong("these labels train the prompt too: every prompt position must be left out of the loss")
        if labels[:prompt_length] != [IGNORE] * prompt_length:
            if labels[:prompt_length] == [x if x in completion else IGNORE for x in prompt]:
                raise Wrong("some prompt positions are trained: tokens that also occur in the completion (the end "
                            "of a turn) are still prompt tokens; choose the positions by where they are, not by id")
            if set(labels[:prompt_length]) == {0}:
                raise Wrong("0 is a real token id: the label that cross-entropy leaves out is -100")
            raise Wrong("the prompt's positions are not all left out of the loss (-100)")
        if labels[prompt_length:] == [IGNORE] * completion_length:
            raise Wrong("the completion is left out too: nothing would be learned")
        if labels[prompt_length:] == completion[1:] + [IGNORE]:
            raise Wrong("the labels are shifted by hand: the model shifts them itself, so give it the ids in place")
        if labels[prompt_length:] != completion:
            raise Wrong("the completion's labels are its own ids, position by position")


@exercise("dpo_loss", "Write dpo_loss(chosen, rejected, ref_chosen, ref_rejected, beta): DPO's loss (TRL's default, "
                      "loss_type='sigmoid') from four tensors of shape (pairs,), each the summed log-probability of "
                      "an answer under the trained model (chosen, rejected) or the reference model (ref_...).",
          hints=("DPO never uses a log-probability alone: it compares how much more (or less) likely the trained model "
                 "makes each answer than the reference model does.",
                 "Each answer's log-ratio is its log-prob minus the reference's; the loss is -log(sigmoid(beta * "
                 "(chosen's log-ratio - rejected's log-ratio))), averaged over the pairs.",
                 "-F.logsigmoid(beta * ((chosen - ref_chosen) - (rejected - ref_rejected))).mean()"),
          solution="""
              import torch.nn.functional as F


              def dpo_loss(chosen, rejected, ref_chosen, ref_rejected, beta):
                  margin = (chosen - ref_chosen) - (rejected - ref_rejected)
                  return -F.logsigmoid(beta * margin).mean()
          """,
          why="DPO's loss is low when the trained model raises the chosen answer's probability relative to the "
              "reference more than it raises the rejected one's: -log sigmoid(beta * margin). beta sets how far the "
              "model may move from the reference; the mean is over the pairs of the batch.")
def _dpo_loss(dpo_loss):
    import torch
    import torch.nn.functional as F

    generator = torch.Generator().manual_seed(11)
    for beta in (0.1, 0.5):
        chosen, rejected, ref_chosen, ref_rejected = (-20 * torch.rand(6, generator=generator) - 1 for _ in range(4))
        trained = chosen.clone().requires_grad_(), rejected.clone().requires_grad_()  # the model's: trained
        got = dpo_loss(*trained, ref_chosen.clone(), ref_rejected.clone(), beta)
        if not (isinstance(got, torch.Tensor) and got.requires_grad):
            raise Wrong("return the loss as a tensor that training can backpropagate through: compute it with torch "
                        "on the tensors given, without float(), .item() or NumPy")
        got = got.detach().float()
        if got.numel() != 1:
            raise Wrong(f"return one number, the mean over the pairs, not a tensor of shape {tuple(got.shape)}")

        def loss(margin, reduce=torch.mean):
            return reduce(-F.logsigmoid(margin))

        margin = (chosen - ref_chosen) - (rejected - ref_rejected)
        if torch.isclose(got, loss(beta * margin), rtol=1e-4):
            continue
        if torch.isclose(got, loss(-beta * margin), rtol=1e-4):
            raise Wrong("chosen and rejected are swapped: the loss must fall as the chosen answer gains on the "
                        "rejected one")
        if torch.isclose(got, loss(beta * (chosen - rejected)), rtol=1e-4):
            raise Wrong("the reference model is missing: DPO compares each answer's log-probability with the "
                        "reference model's")
        if torch.isclose(got, loss(margin), rtol=1e-4):
            raise Wrong("beta is missing: it scales the margin")
        if torch.isclose(got, loss(beta * margin, torch.sum), rtol=1e-4):
            raise Wrong("that is the sum over the pairs; average them")
        if torch.isclose(got, -loss(beta * margin), rtol=1e-4):
            raise Wrong("the sign: a loss must be low when the chosen answer wins")
        raise Wrong("not DPO's loss: -log(sigmoid(beta * margin)), averaged, with the margin made of the four "
                    "log-probabilities")
