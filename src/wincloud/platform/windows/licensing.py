"""WindowsLicensing: the Software Protection service through WMI root/cimv2
(SoftwareLicensingService: InstallProductKey, Set/ClearKeyManagementServiceMachine and Port,
RefreshLicenseStatus; SoftwareLicensingProduct: LicenseStatus, PartialProductKey, Activate) —
what ``slmgr /ipk``, ``/skms`` and ``/ato`` do. The product key never reaches a log line."""

from __future__ import annotations

import logging
from typing import Final

from wincloud.platform.base import LicenseState, LicenseStatus, WindowsProduct
from wincloud.platform.validate import check_kms_host, check_product_key
from wincloud.platform.windows._win32.registry import Registry
from wincloud.platform.windows._win32.wmi import CIMV2, Wmi, WmiObject, check_return
from wincloud.secret import Secret

log = logging.getLogger(__name__)

WINDOWS_APP_ID: Final = "55c92734-d682-4d71-983e-d6ec3f16059f"
CURRENT_VERSION: Final = r"SOFTWARE\Microsoft\Windows NT\CurrentVersion"
DEFAULT_KMS_PORT: Final = 1688
# "SoftwareLicensingProduct class": LicenseStatus
STATES: Final[dict[int, LicenseState]] = {
    0: "unlicensed",
    1: "licensed",
    2: "oob-grace",
    3: "oot-grace",
    4: "non-genuine-grace",
    5: "notification",
    6: "extended-grace",
}


class WindowsLicensing:
    def __init__(self, wmi: Wmi, registry: Registry) -> None:
        self.wmi = wmi
        self.registry = registry

    def _service(self) -> WmiObject:
        return self.wmi.query(CIMV2, "SoftwareLicensingService")[0]

    def _products(self) -> list[WmiObject]:
        rows = self.wmi.query(CIMV2, "SoftwareLicensingProduct", {"ApplicationID": WINDOWS_APP_ID})
        return [row for row in rows if row.get("PartialProductKey")]

    def product(self) -> WindowsProduct:
        def read(name: str) -> str:
            return self.registry.read_text(CURRENT_VERSION, name) or ""

        build = read("CurrentBuildNumber")
        return WindowsProduct(
            name=read("ProductName"),
            edition=read("EditionID"),
            build=int(build) if build.isdigit() else 0,
            installation_type=read("InstallationType") or "Server",
        )

    def status(self) -> LicenseStatus:
        service = self._service()
        host = str(service.get("KeyManagementServiceMachine") or "")
        port = int(service.get("KeyManagementServicePort") or DEFAULT_KMS_PORT)
        kms = f"{host}:{port}" if host and port != DEFAULT_KMS_PORT else host
        products = self._products()
        if not products:
            return LicenseStatus("unlicensed", kms_host=kms)
        row = products[0]
        state = STATES.get(int(row.get("LicenseStatus") or 0), "unknown")
        grace = int(row.get("GracePeriodRemaining") or 0)
        return LicenseStatus(state, str(row.get("PartialProductKey")), kms, grace)

    def install_key(self, key: Secret) -> None:
        value = check_product_key(key)
        service = self._service()
        params = {"ProductKey": value}
        check_return(self.wmi.call(CIMV2, service.path, "InstallProductKey", params), "ipk", "key")
        self.wmi.call(CIMV2, service.path, "RefreshLicenseStatus")
        log.info("product key installed partial=%s", value[-5:])

    def set_kms_host(self, host: str) -> None:
        check_kms_host(host)
        service = self._service()
        if not host:
            for method in ("ClearKeyManagementServiceMachine", "ClearKeyManagementServicePort"):
                check_return(self.wmi.call(CIMV2, service.path, method), method, "kms")
            log.info("kms host cleared")
            return
        name, port = host, DEFAULT_KMS_PORT
        if host.startswith("["):
            name, _, rest = host[1:].partition("]")
            port = int(rest[1:]) if rest.startswith(":") else DEFAULT_KMS_PORT
        elif host.count(":") == 1:
            name, text = host.split(":")
            port = int(text)
        check_return(
            self.wmi.call(
                CIMV2, service.path, "SetKeyManagementServiceMachine", {"MachineName": name}
            ),
            "SetKeyManagementServiceMachine",
            name,
        )
        check_return(
            self.wmi.call(CIMV2, service.path, "SetKeyManagementServicePort", {"PortNumber": port}),
            "SetKeyManagementServicePort",
            str(port),
        )
        log.info("kms host set host=%s port=%d", name, port)

    def activate(self) -> None:
        products = self._products()
        if not products:
            from wincloud.errors import PlatformError

            raise PlatformError(
                "no product key is installed", operation="activate", os_code=0xC004F069
            )
        for row in products:
            check_return(self.wmi.call(CIMV2, row.path, "Activate"), "Activate", row.path)
        self.wmi.call(CIMV2, self._service().path, "RefreshLicenseStatus")
        log.info("windows activated")
