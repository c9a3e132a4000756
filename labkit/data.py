"""The course's offline data, loaded with `datasets`.

- ``load_tweets()``: 3-class labelled tweets as a ``DatasetDict`` (train / validation / test). The test split is the
  held-out set the kit's sentiment classifier is scored on and never trained on.
- ``load_corpus()``: public-domain English text (the King James Bible), one passage of its database per row (usually
  a verse, sometimes a range of verses such as Luke 3:23-38), verse numbers stripped.
"""
from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from .assets import PREPARE_HINT, MissingAssetError, asset, is_ready
from .background import wait_for

LABELS = ("negative", "neutral", "positive")
TEST_SIZE = 1000
VALIDATION_SIZE = 1000
SPLIT_SEED = 0
VERSE_NUMBER = re.compile(r"\b\d+:\d+\s*")


def data_file(name: str, file: str) -> Path:
    """A prepared data file (e.g. ``data_file("tweets", "tweets.csv")``), or a clear error that says how to prepare
    it. While `labkit prepare` builds it, this waits for it."""
    folder = asset(name).path
    if not is_ready(folder) and not wait_for(folder, f"data {name!r}"):
        raise MissingAssetError(f"the offline data {name!r} is not prepared at {folder}: {PREPARE_HINT}")
    return folder / file


def _first_occurrences(texts: list[str]) -> list[int]:
    """Indexes of non-empty texts, keeping the first of each duplicate (case and spacing ignored)."""
    seen, keep = set(), []
    for i, text in enumerate(texts):
        key = " ".join((text or "").lower().split())
        if key and key not in seen:
            seen.add(key)
            keep.append(i)
    return keep


def load_tweets(path: str | Path | None = None, seed: int = SPLIT_SEED):
    """Tweets labelled negative / neutral / positive, split into stratified train / validation / test.

    Empty and duplicate tweets (case and spacing ignored) are dropped first, so no text appears in two splits;
    near-copies (a retweet, the same text with another link) are different texts and can.
    """
    from datasets import ClassLabel, DatasetDict, load_dataset

    path = Path(path) if path else data_file("tweets", "tweets.csv")
    raw = load_dataset("csv", data_files=str(path), encoding="latin-1", split="train")
    raw = raw.select(_first_occurrences(raw["text"]))
    raw = raw.cast_column("sentiment", ClassLabel(names=list(LABELS))).rename_column("sentiment", "label")
    raw = raw.select_columns(["text", "label", "confidence"])
    held_out = raw.train_test_split(test_size=TEST_SIZE, stratify_by_column="label", seed=seed)
    rest = held_out["train"].train_test_split(test_size=VALIDATION_SIZE, stratify_by_column="label", seed=seed)
    return DatasetDict(train=rest["train"], validation=rest["test"], test=held_out["test"])


def _verses(path: str):
    query = ("SELECT Books.ShortName, Bible.ChapterID, Bible.VerseID, Bible.Passage1, Bible.Passage2 "
             "FROM Bible JOIN Books ON Books.TestamentID = Bible.TestamentID AND Books.BookID = Bible.BookID "
             "ORDER BY Bible.TestamentID, Bible.BookID, Bible.ChapterID, Bible.VerseID")
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        for book, chapter, verse, first, second in db.execute(query):
            text = VERSE_NUMBER.sub("", f"{first} {second or ''}").strip()
            yield {"book": book, "chapter": chapter, "verse": verse, "text": text}


def load_corpus(path: str | Path | None = None):
    """The King James Bible as a ``Dataset`` with columns book, chapter, verse, text (verse numbers removed); a row is
    one passage of the database, usually a verse, sometimes a range of verses (book, chapter, verse: its first).

    Built once into an Arrow file in the datasets cache, then memory-mapped like any downloaded dataset.
    """
    from datasets import Dataset

    path = Path(path) if path else data_file("kjv", "Bible.db")
    return Dataset.from_generator(_verses, gen_kwargs={"path": str(path)})
