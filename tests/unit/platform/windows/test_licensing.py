import pytest

from wincloud.errors import PlatformError
from wincloud.platform.windows._win32.errors import SL_E_INVALID_PRODUCT_KEY, SL_E_KMS_UNAVAILABLE
from wincloud.platform.windows._win32.fake.wmi import wmi_error
from wincloud.secret import Secret

GVLK = "WX4NM-KYWYW-QJJR4-XV3QB-6VM33"


def test_product_comes_from_current_version(platform):
    product = platform.licensing.product()
    assert (product.name, product.edition, product.build) == (
        "Windows Server 2022 Datacenter",
        "ServerDatacenter",
        20348,
    )


def test_no_key_is_unlicensed(platform):
    assert platform.licensing.status().state == "unlicensed"


def test_kms_client_key_activates_against_the_kms_host(platform, win, caplog):
    platform.licensing.install_key(Secret(GVLK.lower()))
    platform.licensing.set_kms_host("kms.example.org:1700")
    status = platform.licensing.status()
    assert (status.state, status.partial_key, status.kms_host) == (
        "notification",
        "6VM33",
        "kms.example.org:1700",
    )
    win.licensing.kms_reachable = True
    platform.licensing.activate()
    assert platform.licensing.status().state == "licensed"
    assert platform.licensing.status().grace_minutes == 0
    assert GVLK not in caplog.text


def test_clearing_the_kms_host(platform, win):
    platform.licensing.set_kms_host("10.0.0.7")
    assert platform.licensing.status().kms_host == "10.0.0.7"
    platform.licensing.set_kms_host("")
    assert platform.licensing.status().kms_host == ""


def test_activation_without_a_kms_reports_the_hresult(platform):
    platform.licensing.install_key(Secret(GVLK))
    with pytest.raises(PlatformError) as info:
        platform.licensing.activate()
    assert info.value.os_code == SL_E_KMS_UNAVAILABLE


def test_activation_without_a_key_fails(platform):
    with pytest.raises(PlatformError):
        platform.licensing.activate()


def test_bad_keys_are_refused_without_showing_them(platform, win):
    with pytest.raises(PlatformError) as info:
        platform.licensing.install_key(Secret("not-a-key"))
    assert "not-a-key" not in str(info.value)
    assert win.licensing.keys_installed == []


def test_the_service_refusing_a_key_is_reported():
    err = wmi_error("InstallProductKey", SL_E_INVALID_PRODUCT_KEY, "ProductKey")
    assert err.os_code == SL_E_INVALID_PRODUCT_KEY
