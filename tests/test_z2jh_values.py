"""classroom/z2jh/values.yaml validates against the pinned chart's schema after Helm's merge; broken copies fail."""
from pathlib import Path

import pytest
import yaml

from support.helm import merge, problems

ROOT = Path(__file__).resolve().parents[1]
CHART = ROOT / "tests" / "data" / "z2jh-4.4.0"
VALUES = ROOT / "classroom" / "z2jh" / "values.yaml"


def test_helm_merge_merges_maps_replaces_lists_and_deletes_nulls():
    defaults = {"a": {"x": 1, "y": 2}, "l": [1, 2], "gone": {"k": 1}, "keep": 3}
    assert merge(defaults, {"a": {"y": 5, "z": 6}, "l": [9], "gone": None}) == {
        "a": {"x": 1, "y": 5, "z": 6}, "l": [9], "keep": 3}
    assert defaults["a"] == {"x": 1, "y": 2}  # the chart's defaults are not changed


def test_the_class_values_validate_against_the_chart():
    assert problems(VALUES, CHART) == []


def test_the_override_alone_fails_the_schema(tmp_path):
    (tmp_path / "values.yaml").write_text("{}\n")  # a chart with no defaults: the override is all Helm sees
    (tmp_path / "values.schema.yaml").write_text((CHART / "values.schema.yaml").read_text())
    assert "(top): 'proxy' is a required property" in problems(VALUES, tmp_path)


@pytest.mark.parametrize("edit, expected", [
    (lambda v: v["singleuser"].update(memroy=v["singleuser"].pop("memory")), "'memroy' was unexpected"),
    (lambda v: v["cull"].update(timout=60), "'timout' was unexpected"),
    (lambda v: v["singleuser"]["cpu"].update(limit="two"), "singleuser.cpu.limit"),
    (lambda v: v.update(cull=None), "'cull' is a required property"),  # null deletes the chart's section too
    (lambda v: v["cull"].update(enabled=None), "'enabled' is a required property"),
])
def test_a_broken_copy_fails(tmp_path, edit, expected):
    values = yaml.safe_load(VALUES.read_text())
    edit(values)
    broken = tmp_path / "values.yaml"
    broken.write_text(yaml.safe_dump(values))
    found = problems(broken, CHART)
    assert any(expected in p for p in found), found
