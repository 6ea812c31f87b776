"""Fake root/Microsoft/Windows/Storage partitions (MSFT_Partition with GetSupportedSize and
Resize) and root/cimv2 software licensing (SoftwareLicensingService, SoftwareLicensingProduct).
Sizes are strings, as the scripting API returns uint64."""

from __future__ import annotations

import re
from typing import Any

from wincloud.platform.windows._win32.errors import (
    SL_E_INVALID_PRODUCT_KEY,
    SL_E_KMS_UNAVAILABLE,
    SL_E_NO_PRODUCT_KEY,
)
from wincloud.platform.windows._win32.fake.wmi import FakeInstance, FakeWmi, wmi_error
from wincloud.platform.windows._win32.wmi import CIMV2, STORAGE

# "GetSupportedSize method of the MSFT_Partition class" / "Resize method of the MSFT_Partition
# class": return values
SIZE_NOT_SUPPORTED = 4097
UNKNOWN_FILE_SYSTEM = 42009
WINDOWS_APP_ID = "55c92734-d682-4d71-983e-d6ec3f16059f"
_KEY = re.compile(r"^[A-Z0-9]{5}(-[A-Z0-9]{5}){4}$")


def _supported(
    wmi: FakeWmi, ns: str, part: FakeInstance | None, params: dict[str, Any]
) -> dict[str, Any]:
    assert part is not None
    if part.props.get("_unknown_fs"):
        return {"ReturnValue": UNKNOWN_FILE_SYSTEM}
    return {"ReturnValue": 0, "SizeMin": part.props["Size"], "SizeMax": part.props["_max"]}


def _resize(
    wmi: FakeWmi, ns: str, part: FakeInstance | None, params: dict[str, Any]
) -> dict[str, Any]:
    assert part is not None
    size = int(params["Size"])
    if size > int(part.props["_max"]):
        return {"ReturnValue": SIZE_NOT_SUPPORTED}
    part.props["Size"] = str(size)
    return {"ReturnValue": 0}


def add_partition(
    wmi: FakeWmi,
    disk: int,
    number: int,
    *,
    size: int,
    size_max: int,
    letter: str | None = None,
    gpt_type: str = "{ebd0a0a2-b9e5-4433-87c0-68b6b72699c7}",
    unknown_fs: bool = False,
) -> FakeInstance:
    wmi.define(STORAGE, "MSFT_Partition", {"GetSupportedSize": _supported, "Resize": _resize})
    props = {
        "DiskNumber": disk,
        "PartitionNumber": number,
        "DriveLetter": ord(letter) if letter else 0,  # char16: a number through scripting
        "Size": str(size),
        "GptType": gpt_type,
        "_max": str(size_max),
        "_unknown_fs": unknown_fs,
    }
    return wmi.add(STORAGE, "MSFT_Partition", props, ("DiskNumber", "PartitionNumber"))


class FakeLicensing:
    """The Software Protection service's state: one Windows product, keys, KMS reachability."""

    def __init__(self, wmi: FakeWmi, *, gvlks: set[str] | None = None) -> None:
        self.wmi = wmi
        self.gvlks = set(gvlks or ())
        self.kms_reachable = False
        self.online_activation = False
        self.keys_installed: list[str] = []
        wmi.define(
            CIMV2,
            "SoftwareLicensingService",
            {
                "InstallProductKey": self._install,
                "SetKeyManagementServiceMachine": self._kms_host,
                "SetKeyManagementServicePort": self._kms_port,
                "RefreshLicenseStatus": lambda *a: {"ReturnValue": 0},
                "ClearKeyManagementServiceMachine": self._clear_host,
                "ClearKeyManagementServicePort": self._clear_port,
            },
        )
        wmi.define(CIMV2, "SoftwareLicensingProduct", {"Activate": self._activate})
        service: dict[str, object] = {
            "Version": "10.0.20348.1",
            "KeyManagementServiceMachine": None,
            "KeyManagementServicePort": 1688,
        }
        self.service = wmi.add(CIMV2, "SoftwareLicensingService", service, ("Version",))
        product = {
            "ID": "c52ed4b7-9d3f-4c5a-a5d8-1f2a6c4b3e21",
            "ApplicationID": WINDOWS_APP_ID,
            "Name": "Windows(R), ServerStandard edition",
            "Description": "Windows(R) Operating System, RETAIL channel",
            "PartialProductKey": None,
            "ProductKeyChannel": None,
            "LicenseStatus": 0,
            "GracePeriodRemaining": 0,
        }
        self.product = wmi.add(CIMV2, "SoftwareLicensingProduct", product, ("ID",))

    def _install(
        self, wmi: FakeWmi, ns: str, _i: FakeInstance | None, p: dict[str, Any]
    ) -> dict[str, Any]:
        key = str(p["ProductKey"]).upper()
        if not _KEY.match(key):
            # "Windows activation error codes": 0xC004F050, the product key is invalid
            raise wmi_error("InstallProductKey", SL_E_INVALID_PRODUCT_KEY, "ProductKey")
        volume = key in self.gvlks
        self.product.props.update(
            PartialProductKey=key[-5:],
            ProductKeyChannel="Volume:GVLK" if volume else "Retail",
            Description="Windows(R) Operating System, "
            + ("VOLUME_KMSCLIENT channel" if volume else "RETAIL channel"),
            LicenseStatus=5,
            GracePeriodRemaining=30 * 24 * 60,
        )
        self.keys_installed.append(key)
        return {"ReturnValue": 0}

    def _kms_host(
        self, wmi: FakeWmi, ns: str, _i: FakeInstance | None, p: dict[str, Any]
    ) -> dict[str, Any]:
        self.service.props["KeyManagementServiceMachine"] = str(p["MachineName"])
        return {"ReturnValue": 0}

    def _kms_port(
        self, wmi: FakeWmi, ns: str, _i: FakeInstance | None, p: dict[str, Any]
    ) -> dict[str, Any]:
        self.service.props["KeyManagementServicePort"] = int(p["PortNumber"])
        return {"ReturnValue": 0}

    def _clear_host(self, *_args: Any) -> dict[str, Any]:
        self.service.props["KeyManagementServiceMachine"] = None
        return {"ReturnValue": 0}

    def _clear_port(self, *_args: Any) -> dict[str, Any]:
        self.service.props["KeyManagementServicePort"] = 1688
        return {"ReturnValue": 0}

    def _activate(
        self, wmi: FakeWmi, ns: str, item: FakeInstance | None, p: dict[str, Any]
    ) -> dict[str, Any]:
        assert item is not None
        if item.props["PartialProductKey"] is None:
            # "Windows activation error codes": 0xC004F069 (no product key installed)
            raise wmi_error("Activate", SL_E_NO_PRODUCT_KEY, item.path)
        volume = item.props["ProductKeyChannel"] == "Volume:GVLK"
        if (volume and not self.kms_reachable) or (not volume and not self.online_activation):
            # "Windows activation error codes": 0xC004F074, no KMS could be contacted
            raise wmi_error("Activate", SL_E_KMS_UNAVAILABLE, item.path)
        item.props.update(LicenseStatus=1, GracePeriodRemaining=0)
        return {"ReturnValue": 0}
