"""The class's Zero to JupyterHub values, checked offline as Helm checks them: merged onto the chart's own
``values.yaml``, then validated against its ``values.schema.yaml`` (which requires every section and rejects
unknown keys, so the override file alone would fail).

Helm's merge (``coalesce``): maps merge key by key, any other value (a list included) replaces the default, and a
``null`` in the override deletes the key.
"""
from __future__ import annotations

from pathlib import Path

import yaml


def merge(defaults: dict, override: dict) -> dict:
    merged = dict(defaults)
    for key, value in override.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def problems(values_file: Path, chart: Path) -> list[str]:
    """Every schema error of ``values_file`` merged onto the chart folder's values.yaml ('path: message' each)."""
    import jsonschema

    defaults = yaml.safe_load((chart / "values.yaml").read_text())
    schema = yaml.safe_load((chart / "values.schema.yaml").read_text())
    values = merge(defaults, yaml.safe_load(values_file.read_text()) or {})
    validator = jsonschema.Draft7Validator(schema)
    return sorted(f"{'.'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
                  for e in validator.iter_errors(values))
