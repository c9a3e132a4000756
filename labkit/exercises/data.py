"""Notebook 07: datasets, filter, map and splits."""
from __future__ import annotations

from . import Wrong, exercise
from .fixtures import tokenizer_for


@exercise("is_long", "Write is_long(example) for Dataset.filter: True when the example's text has more than 20 "
                     "words (a word is what lies between whitespace, so \"don't\" is one word).",
          hints=("filter() calls your function with one example, a dict of its columns; return True to keep it.",
                 "Words, not characters: split the text on whitespace and count the pieces.",
                 "len(example['text'].split()) > 20"),
          solution="""
              def is_long(example):
                  return len(example["text"].split()) > 20
          """,
          why="filter() keeps the rows for which the function returns True; str.split() with no argument splits on "
              "any run of whitespace, so its length is the number of words.")
def _is_long(is_long):
    examples = [" ".join(["word"] * n) for n in (5, 20, 21, 40)]
    examples += [" ".join(["a"] * 25), " ".join(["extraordinarily"] * 15)]  # many short words; few long ones
    examples += ["  ".join(["word"] * 15), "\n".join(["word"] * 25), " ".join(["word"] * 20) + " "]  # odd spacing
    examples += [" ".join(["Don't", "stop,", "it's", "well-known!"] * 4)]  # 16 words, 28 runs of letters
    expected = [len(text.split()) > 20 for text in examples]
    got = [bool(is_long({"text": text, "label": 0})) for text in examples]
    twenty = [len(text.split()) == 20 for text in examples]
    if all(g == (e or t) for g, e, t in zip(got, expected, twenty)):
        raise Wrong("exactly 20 words is not *more than* 20")
    if got[4:6] == [False, True]:
        raise Wrong("25 one-letter words count as long, 15 long words do not: what are you counting?")
    if got[:6] == expected[:6] and got[6:9] != expected[6:9]:
        raise Wrong("words separated by two spaces or a newline, or a trailing space, fool your count: split on any "
                    "run of whitespace")
    if got[:9] == expected[:9] and got[9:] != expected[9:]:
        raise Wrong("16 words with apostrophes, hyphens and punctuation (\"don't\", \"well-known!\") count as "
                    "more than 20: what separates one word from the next?")
    if got != expected:
        raise Wrong("some texts are judged wrongly: count the words of example['text']")


@exercise("tokenize_batch", "Write tokenize_batch(batch) for dataset.map(tokenize_batch, batched=True): tokenize "
                            "batch['text'] with MiniLM's tokenizer, truncated to 32 tokens, without padding.",
          hints=("With batched=True, map() hands your function many rows at once: batch['text'] is a list.",
                 "A tokenizer takes a whole list of texts; truncation=True with max_length cuts long ones. Padding "
                 "comes later, per batch, from a data collator.",
                 "tokenizer(batch['text'], truncation=True, max_length=32) with MiniLM's tokenizer."),
          solution="""
              from transformers import AutoTokenizer

              tokenizer = AutoTokenizer.from_pretrained(labkit.checkpoint("encoder"))


              def tokenize_batch(batch):
                  return tokenizer(batch["text"], truncation=True, max_length=32)
          """,
          why="Tokenizing the whole list at once is what makes batched=True fast; leaving padding out lets "
              "DataCollatorWithPadding pad each training batch only to its own longest text.")
def _tokenize_batch(tokenize_batch):
    tokenizer = tokenizer_for("encoder")
    words = ("Tokenizers cut unfamiliar words such as hyperparameterization, overfitting or backpropagation into "
             "several pieces, don't they?").split()  # many words of several tokens: 100 words, 201 tokens
    batch = {"text": ["short one", " ".join((words * 7)[:100])], "label": [0, 1]}
    got = tokenize_batch(batch)
    if not hasattr(got, "keys") or "input_ids" not in got or "attention_mask" not in got:
        raise Wrong("return what the tokenizer returns (a dict with input_ids and attention_mask)")
    ids = got["input_ids"]
    if len(ids) != 2:
        raise Wrong("batched=True passes a dict of lists: tokenize the whole list at once")
    expected = tokenizer(batch["text"], truncation=True, max_length=32)["input_ids"]
    if len(ids[1]) > 32:
        raise Wrong("a 100-word text must be cut to 32 tokens")
    if len(ids[1]) < 32:
        raise Wrong(f"a 100-word text must keep exactly 32 tokens, not {len(ids[1])}: cut tokens (max_length), "
                    "not words")
    if len(ids[0]) == len(ids[1]) and len(expected[0]) != len(expected[1]):
        raise Wrong("don't pad in map(): padding belongs to each training batch, later")
    if [list(x) for x in ids] != expected:
        raise Wrong("not MiniLM's tokens for these texts")


@exercise("stratified_split", "Write split(dataset) that returns a DatasetDict with 'train' and 'test', the test part "
                              "20% of the rows, stratified by the 'label' column, in one call that shuffles with seed 0 "
                              "(no shuffle of your own before it).",
          hints=("datasets has one method that splits a Dataset into train and test.",
                 "Dataset.train_test_split takes test_size (a fraction or a count), stratify_by_column and seed.",
                 "dataset.train_test_split(test_size=0.2, stratify_by_column='label', seed=0)"),
          solution="""
              def split(dataset):
                  return dataset.train_test_split(test_size=0.2, stratify_by_column="label", seed=0)
          """,
          why="Stratifying keeps each label's share the same in both parts (the label column must be a ClassLabel); "
              "a fixed seed makes the split the same on every run, so results can be compared.")
def _stratified_split(split):
    from collections import Counter

    from datasets import ClassLabel, Dataset, DatasetDict

    for size in (100, 150):
        labels = [0] * (size * 7 // 10) + [1] * (size * 2 // 10) + [2] * (size // 10)
        data = Dataset.from_dict({"text": [f"text {i}" for i in range(size)], "label": labels})
        data = data.cast_column("label", ClassLabel(num_classes=3))
        got = split(data)
        if not isinstance(got, DatasetDict) or set(got) != {"train", "test"}:
            raise Wrong("return a DatasetDict with a 'train' and a 'test' split")
        if len(got["test"]) != size // 5:
            raise Wrong(f"the test part has {len(got['test'])} rows of {size}: 20% means {size // 5}")
        if Counter(got["test"]["label"]) != Counter(dict(enumerate((size * 7 // 50, size * 2 // 50, size // 50)))):
            raise Wrong("the test part's labels are not in the same proportions as the whole dataset (70/20/10)")
        expected = data.train_test_split(test_size=0.2, stratify_by_column="label", seed=0)
        if got["test"]["text"] != expected["test"]["text"]:
            shuffled = data.shuffle(seed=0).train_test_split(test_size=0.2, stratify_by_column="label", seed=0)
            if got["test"]["text"] == shuffled["test"]["text"]:
                raise Wrong("train_test_split shuffles by itself: no shuffle of your own before it")
            raise Wrong("stratified, but not the rows seed 0 picks: shuffle with the given seed")
        if set(got["train"]["text"]) & set(got["test"]["text"]):
            raise Wrong("some rows are in both parts: the train part must leave the test rows out")
        if sorted(got["train"]["text"]) != sorted(expected["train"]["text"]) or len(got["train"]) != len(
                expected["train"]):
            raise Wrong("the train part must be every row that is not in the test part")
        if got["train"]["text"] != expected["train"]["text"]:
            raise Wrong("the right train rows, but not in the order seed 0 shuffles them")
