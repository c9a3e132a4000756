import re
from collections import Counter

import pytest

from labkit.data import LABELS, TEST_SIZE, VALIDATION_SIZE, load_corpus, load_tweets


@pytest.fixture(scope="module")
def tweets(prepared):
    return load_tweets()


def normalise(text):
    return " ".join(text.lower().split())


def test_tweet_splits_sizes_and_labels(tweets):
    assert list(tweets) == ["train", "validation", "test"]
    assert (len(tweets["test"]), len(tweets["validation"])) == (TEST_SIZE, VALIDATION_SIZE)
    assert 30_000 < len(tweets["train"]) < 38_158
    for split in tweets.values():
        assert split.features["label"].names == list(LABELS)
        assert set(split.column_names) == {"text", "label", "confidence"}
        assert all(text.strip() for text in split["text"])


def test_held_out_split_never_overlaps_training(tweets):
    train = {normalise(t) for t in tweets["train"]["text"]}
    validation = {normalise(t) for t in tweets["validation"]["text"]}
    test = {normalise(t) for t in tweets["test"]["text"]}
    assert len(test) == TEST_SIZE  # no duplicates inside the test split either
    assert not test & train and not test & validation and not validation & train


def test_splits_are_stratified_and_repeatable(tweets):
    def shares(split):
        counts = Counter(split["label"])
        return [counts[k] / len(split) for k in range(len(LABELS))]

    for a, b in zip(shares(tweets["test"]), shares(tweets["train"])):
        assert abs(a - b) < 0.01
    assert load_tweets()["test"]["text"][:20] == tweets["test"]["text"][:20]


def test_corpus_has_every_verse_without_numbers(prepared):
    corpus = load_corpus()
    assert len(corpus) == 24_408
    assert len(set(corpus["book"])) == 66 and corpus[0]["book"] == "Genesis"
    assert corpus[0]["text"] == "In the beginning God created the heavens and the earth."
    assert not [t for t in corpus["text"] if re.search(r"\d+:\d+", t)]
    assert sum(len(t) for t in corpus["text"]) > 4_000_000
