"""For any valid spec, both answer files are ASCII, well-formed and lint clean."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.image.spec.conftest import base_data
from wincloud.image.spec import parse_spec
from wincloud.image.unattend import render_unattend
from wincloud.image.unattend.lint import lint_unattend

PRODUCTS = [
    ("2016", "Windows Server 2016 SERVERDATACENTER"),
    ("2019", "Windows Server 2019 Standard (Desktop Experience)"),
    ("2022", "Windows Server 2022 SERVERSTANDARDCORE"),
    ("2025", "Windows Server 2025 SERVERDATACENTER"),
    ("10", "Windows 10 Pro"),
    ("11", "Windows 11 Education N"),
]
TAGS = st.sampled_from(["en-US", "de-DE", "fr-FR", "ja-JP", "pt-BR", "zh-Hans-CN", "sr-Latn-RS"])
ZONES = st.sampled_from(["UTC", "W. Europe Standard Time", "Tokyo Standard Time", "UTC-02"])


@st.composite
def specs(draw):
    data = base_data()
    version, edition = draw(st.sampled_from(PRODUCTS))
    uefi = version == "11" or draw(st.booleans())
    data["source"].update(version=version, architecture="amd64")
    if draw(st.booleans()):
        data["source"]["edition"] = edition
    else:
        del data["source"]["edition"]
        data["source"]["index"] = draw(st.integers(1, 8))
        data["source"]["edition_id"] = (
            "Professional" if version in ("10", "11") else "ServerStandard"
        )
    if uefi and draw(st.booleans()):
        data["source"]["architecture"] = "arm64"
    data["firmware"].update(
        type="uefi" if uefi else "bios",
        secure_boot=uefi and draw(st.booleans()),
        tpm=version == "11" or (uefi and draw(st.booleans())),
    )
    data["disk"].update(bus=draw(st.sampled_from(["virtio", "scsi"])), size_gib=64)
    data["publish"]["min_disk_gib"] = 64
    data["licensing"]["mode"] = draw(st.sampled_from(["kms-client", "none"]))
    data["locale"].update(
        ui_language=draw(TAGS),
        system_locale=draw(TAGS),
        user_locale=draw(TAGS),
        input_locale=draw(st.one_of(TAGS, st.just("0407:00000407"))),
        time_zone=draw(ZONES),
    )
    return parse_spec(data, path=Path("/specs/spec.toml"))


@settings(max_examples=80, deadline=None)
@given(specs())
def test_any_valid_spec_renders_clean_answer_files(spec):
    for stage in ("install", "generalize"):
        data = render_unattend(spec, stage)
        assert data.isascii()
        ET.fromstring(data)
        assert lint_unattend(data) == [], stage
    generalize = render_unattend(spec, "generalize")
    assert b"Password>" not in generalize
    assert (spec.product_key() is not None) == (b"<ProductKey>" in generalize)
