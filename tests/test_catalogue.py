import pytest

import labkit
from labkit import MissingAssetError, UnknownRoleError, checkpoint


def test_offline_checkpoint_is_a_prepared_folder(prepared, kit_env):
    kit_env(LABKIT_SOURCE=None)
    from transformers import AutoConfig

    path = checkpoint("encoder")
    assert path.startswith(str(labkit.kit_home()))
    config = AutoConfig.from_pretrained(path)
    assert (config.model_type, config.num_hidden_layers, config.hidden_size) == ("bert", 6, 384)
    assert AutoConfig.from_pretrained(checkpoint("causal-lm")).model_type == "llama"
    assert AutoConfig.from_pretrained(checkpoint("sentiment")).id2label == {0: "negative", 1: "neutral",
                                                                            2: "positive"}


def test_hub_source_by_argument_and_by_environment(empty_home, kit_env):
    assert checkpoint("causal-lm", source="hub") == "HuggingFaceTB/SmolLM2-135M-Instruct"
    kit_env(LABKIT_SOURCE="hub")
    assert checkpoint("encoder") == "sentence-transformers/all-MiniLM-L6-v2"
    with pytest.raises(MissingAssetError):  # the argument wins over the environment: the offline folder is wanted
        checkpoint("encoder", source="offline")


def test_unknown_role_lists_the_valid_ones():
    with pytest.raises(UnknownRoleError) as info:
        checkpoint("gpt-5")
    message = str(info.value)
    assert "'gpt-5'" in message and all(role in message for role in ("encoder", "causal-lm", "sentiment"))
    assert isinstance(info.value, ValueError) and isinstance(info.value, KeyError)


def test_bad_source_is_refused(kit_env):
    with pytest.raises(ValueError, match="offline.*hub"):
        checkpoint("encoder", source="internet")
    kit_env(LABKIT_SOURCE="cloud")
    with pytest.raises(ValueError, match="LABKIT_SOURCE"):
        checkpoint("encoder")


def test_missing_offline_asset_names_the_command_that_prepares_it(empty_home):
    with pytest.raises(MissingAssetError, match="labkit prepare") as info:
        checkpoint("sentiment")
    assert str(empty_home) in str(info.value)
    assert checkpoint("sentiment", source="hub")  # the Hub route still answers


def test_catalogue_rows_report_readiness(empty_home):
    rows = {row["role"]: row for row in labkit.catalogue()}
    assert set(rows) >= {"encoder", "causal-lm", "sentiment"}
    assert not any(row["ready"] for row in rows.values())
    assert rows["causal-lm"]["uses"] == rows["causal-lm"]["offline"]
    assert labkit.catalogue("hub")[0]["uses"] == rows["encoder"]["hub"]
