"""The shared key table: one copy (the agent's view re-exports it), well-formed keys from
Microsoft's pages, install.wim names -> EditionID, and no imports (the agent uses it)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from wincloud import productkeys
from wincloud.agent.plugins import _product_keys
from wincloud.productkeys import (
    AVMA,
    GVLKS,
    KMS_CLIENT,
    edition_id_from_image_name,
    find_key,
    key_version,
)


def test_the_agent_uses_the_same_table_objects():
    assert _product_keys.KMS_CLIENT is productkeys.KMS_CLIENT
    assert _product_keys.AVMA is productkeys.AVMA


def test_the_table_module_imports_nothing_from_wincloud_or_pydantic():
    tree = ast.parse(Path(productkeys.__file__).read_text())
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in (
            node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")]
        )
    }
    assert imported <= {"__future__", "re", "typing"}


def test_every_key_is_five_groups_of_five_and_unique():
    keys = [*AVMA.values(), *KMS_CLIENT.values()]
    assert all(re.fullmatch(r"[0-9A-Z]{5}(-[0-9A-Z]{5}){4}", k) for k in keys)
    assert len(keys) == len(set(keys))
    assert frozenset(KMS_CLIENT.values()) == GVLKS


@pytest.mark.parametrize(
    ("edition", "key"),
    [
        ("Professional", "W269N-WFGWX-YVC9B-4J6C9-T83GX"),
        ("ProfessionalWorkstationN", "9FNHH-K3HBT-3W4TD-6383H-6XYWF"),
        ("ProfessionalEducationN", "YVWGF-BXNMC-HTQYQ-CPQ99-66QFC"),
        ("Enterprise", "NPPR9-FWDCX-D2C8J-H872K-2YT43"),
        ("EnterpriseG", "YYVX9-NTFWV-6MDM3-9PT4T-4M68B"),
        ("EnterpriseGN", "44RPN-FTY23-9VTTB-MP9BX-T84FV"),
    ],
)
def test_windows_10_and_11_share_the_client_keys(edition, key):
    assert find_key("10", edition, "kms-client") == key == find_key("11", edition, "kms-client")


def test_core_editions_take_their_editions_key_and_unknowns_are_none():
    assert find_key("2022", "ServerDatacenterCor", "kms-client") == "WX4NM-KYWYW-QJJR4-XV3QB-6VM33"
    assert find_key("2022", "ServerWeb", "kms-client") is None
    assert find_key("client", "Core", "kms-client") is None  # Home has no GVLK
    assert key_version("11") == "client" and key_version("2019") == "2019"


@pytest.mark.parametrize(
    ("name", "edition"),
    [
        ("Windows Server 2022 SERVERSTANDARD", "ServerStandard"),
        ("Windows Server 2022 SERVERDATACENTERCORE", "ServerDatacenter"),
        ("Windows Server 2019 Datacenter (Desktop Experience)", "ServerDatacenter"),
        ("Windows Server 2025 Datacenter: Azure Edition", "ServerTurbine"),
        ("Windows Server 2016 SERVERSOLUTION", "ServerSolution"),
        ("Windows 11 Pro", "Professional"),
        ("Windows 11 Pro N", "ProfessionalN"),
        ("Windows 10 Pro for Workstations", "ProfessionalWorkstation"),
        ("Windows 11 Pro Education", "ProfessionalEducation"),
        ("Windows 10 Enterprise", "Enterprise"),
        ("Windows 11 Education N", "EducationN"),
        ("Windows 11 Home", "Core"),
        ("Something Else", None),
    ],
)
def test_install_wim_names_map_to_edition_ids(name, edition):
    assert edition_id_from_image_name(name) == edition
