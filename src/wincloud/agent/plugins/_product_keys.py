"""The agent's view of the shared key table (wincloud.productkeys holds the data, once): look
up the AVMA or KMS client setup key of the running Windows product."""

from __future__ import annotations

from typing import Literal

from wincloud import productkeys
from wincloud.platform.base import WindowsProduct
from wincloud.productkeys import AVMA, KMS_CLIENT, SERVER_BUILDS, base_edition

__all__ = ["AVMA", "KMS_CLIENT", "SERVER_BUILDS", "base_edition", "find_key", "server_version"]


def server_version(product: WindowsProduct) -> str | None:
    """``2016``..``2025`` for a Windows Server build, ``client`` for Windows 10/11, None for
    anything else (an older or unknown Server)."""
    return productkeys.server_version(product.build, product.installation_type)


def find_key(product: WindowsProduct, kind: Literal["avma", "kms-client"]) -> str | None:
    version = server_version(product)
    return None if version is None else productkeys.find_key(version, product.edition, kind)
