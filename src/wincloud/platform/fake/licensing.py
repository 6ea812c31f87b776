"""FakeLicensing: a Windows product whose key, KMS host and activation are recorded. A
POSIX-like fake raises NotSupported, as the POSIX backend does.

``activation_error`` makes ``activate`` fail with that HRESULT (e.g. 0xC004F074: no KMS could
be contacted); ``rejected_keys`` lists keys ``install_key`` refuses (0xC004F069: the key does
not fit this edition)."""

from __future__ import annotations

from wincloud.errors import NotSupported, PlatformError
from wincloud.platform.base import LicenseState, LicenseStatus, WindowsProduct
from wincloud.platform.validate import check_kms_host, check_product_key
from wincloud.secret import Secret

SERVER_2022_DATACENTER = WindowsProduct("Windows Server 2022 Datacenter", "ServerDatacenter", 20348)


class FakeLicensing:
    def __init__(
        self,
        *,
        windows: bool = False,
        product: WindowsProduct = SERVER_2022_DATACENTER,
        state: LicenseState = "oob-grace",
        activation_error: int | None = None,
        rejected_keys: tuple[str, ...] = (),
    ) -> None:
        self.windows = windows
        self._product = product
        self.state: LicenseState = state
        self.key: Secret | None = None
        self.kms_host = ""
        self.activation_error = activation_error
        self.rejected_keys = set(rejected_keys)
        self.installed: list[Secret] = []
        self.activations = 0

    def _check(self, operation: str) -> None:
        if not self.windows:
            raise NotSupported("Windows licensing exists on Windows only", operation=operation)

    def product(self) -> WindowsProduct:
        self._check("product")
        return self._product

    def status(self) -> LicenseStatus:
        self._check("license_status")
        partial = self.key.reveal()[-5:] if self.key else ""
        grace = 0 if self.state == "licensed" else 30 * 24 * 60
        return LicenseStatus(self.state, partial, self.kms_host, grace)

    def install_key(self, key: Secret) -> None:
        self._check("install_key")
        value = check_product_key(key)
        if value in self.rejected_keys:
            raise PlatformError(
                "the product key was refused",
                operation="install_key",
                os_code=0xC004F069,
                detail="the Software Licensing Service reported that the product SKU is not found",
            )
        self.key = Secret(value)
        self.installed.append(self.key)
        self.state = "oob-grace"

    def set_kms_host(self, host: str) -> None:
        self._check("set_kms_host")
        self.kms_host = check_kms_host(host)

    def activate(self) -> None:
        self._check("activate")
        self.activations += 1
        if self.activation_error is not None:
            raise PlatformError(
                "activation failed", operation="activate", os_code=self.activation_error
            )
        self.state = "licensed"
