"""docs/images.md documents every spec key and every lint rule (and nothing that is gone)."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from wincloud.image.spec import ImageSpec
from wincloud.image.unattend.lint import RULES

DOC = (Path(__file__).resolve().parents[4] / "docs" / "images.md").read_text()


def keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    out: list[str] = []
    for name, field in model.model_fields.items():
        kind = field.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            out += keys(kind, f"{prefix}{name}.")
        else:
            out.append(prefix + name)
    return out


def test_every_spec_key_has_a_row():
    rows = set(re.findall(r"^\| `([a-z_.]+)` \|", DOC, re.M))
    spec_keys = set(keys(ImageSpec))
    assert spec_keys - rows == set()


def test_every_lint_rule_has_a_row_with_its_severity():
    rows = dict(re.findall(r"^\| `([a-z0-9-]+)` \| (error|warning|info) \|", DOC, re.M))
    assert rows == {rule: severity for rule, (severity, _) in RULES.items()}
