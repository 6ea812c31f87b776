import pytest

from wincloud.errors import PlatformError
from wincloud.platform.base import RdpSettings, WinRMListener
from wincloud.secret import Secret

from .certs import make_pfx

TS = r"SYSTEM\CurrentControlSet\Control\Terminal Server"


def test_rdp_is_off_by_default(platform):
    assert platform.remote_access.rdp() == RdpSettings(enabled=False, port=3389, nla=True)


def test_enable_rdp_opens_the_firewall_once(platform, win):
    wanted = RdpSettings(enabled=True, port=3389, nla=True)
    assert platform.remote_access.set_rdp(wanted) is True
    assert platform.remote_access.set_rdp(wanted) is False
    assert platform.remote_access.rdp() == wanted
    assert win.registry.read_dword(TS, "fDenyTSConnections") == 0
    assert win.tools.rules == {"wincloud Remote Desktop": 3389}


def test_a_new_rdp_port_restarts_the_service(platform, win):
    platform.remote_access.set_rdp(RdpSettings(enabled=True, port=3390, nla=False))
    assert win.services.services["termservice"].starts == 1
    assert win.tools.rules == {"wincloud Remote Desktop": 3390}
    with pytest.raises(PlatformError):
        platform.remote_access.set_rdp(RdpSettings(enabled=True, port=70000, nla=True))


def test_winrm_starts_the_service_and_lists_listeners(platform, win):
    assert platform.remote_access.winrm_listeners() == [WinRMListener("http", 5985)]
    info = win.services.query("WinRM")
    assert (info.state, info.start) == ("running", "auto")


def test_https_listener_needs_the_certificate(platform):
    with pytest.raises(PlatformError, match="certificate"):
        platform.remote_access.set_winrm_https_listener(port=5986, thumbprint="A" * 40)


def test_https_listener_is_created_once_and_replaced_on_a_new_certificate(platform, win):
    pfx, _der, thumb = make_pfx()
    platform.certificates.import_pfx(pfx, Secret("pfx-pass"))
    access = platform.remote_access
    assert access.set_winrm_https_listener(port=5986, thumbprint=thumb.lower()) is True
    assert access.set_winrm_https_listener(port=5986, thumbprint=thumb) is False
    assert WinRMListener("https", 5986, thumb) in access.winrm_listeners()
    assert win.tools.rules["wincloud WinRM HTTPS"] == 5986
    pfx2, _der2, thumb2 = make_pfx(name="other")
    platform.certificates.import_pfx(pfx2, Secret("pfx-pass"))
    assert access.set_winrm_https_listener(port=5986, thumbprint=thumb2) is True
    https = [item for item in access.winrm_listeners() if item.transport == "https"]
    assert https == [WinRMListener("https", 5986, thumb2)]


def test_certificate_mapping_enables_certificate_auth(platform, win):
    args = dict(subject="admin@localhost", issuer_thumbprint="B" * 40, username="admin")
    access = platform.remote_access
    assert access.map_winrm_certificate(**args, password=Secret("Pa55word!")) is True
    assert access.map_winrm_certificate(**args, password=Secret("Pa55word!")) is False
    [mapping] = [v for k, v in win.wsman.resources.items() if "certmapping" in k]
    assert mapping[1]["UserName"] == "admin" and mapping[1]["Subject"] == "admin@localhost"
    auth = win.wsman.resources["winrm/config/service/auth"][1]
    assert auth["Certificate"] == "true"


def test_mapping_refuses_a_subject_that_would_break_the_resource_uri(platform):
    with pytest.raises(PlatformError):
        platform.remote_access.map_winrm_certificate(
            subject="a+b", issuer_thumbprint="B" * 40, username="admin", password=Secret("x")
        )


def test_an_http_listener_on_a_new_port_replaces_the_old_one_and_opens_the_firewall(platform, win):
    access = platform.remote_access
    before = dict(win.wsman.resources)
    assert access.set_winrm_http_listener(port=5985) is True  # the firewall rule only
    assert win.wsman.resources == before  # Windows' default listener is kept as it is
    assert access.set_winrm_http_listener(port=5985) is False
    assert access.set_winrm_http_listener(port=5990) is True
    assert access.set_winrm_http_listener(port=5990) is False
    http = [item for item in access.winrm_listeners() if item.transport == "http"]
    assert http == [WinRMListener("http", 5990)]
    assert win.tools.rules["wincloud WinRM HTTP"] == 5990
    with pytest.raises(PlatformError):
        access.set_winrm_http_listener(port=0)


def test_an_http_listener_is_made_when_there_is_none(platform, win):
    win.wsman.resources.clear()
    win.wsman.resources["winrm/config/service"] = ("Service", {"AllowUnencrypted": "false"})
    assert platform.remote_access.set_winrm_http_listener(port=5985) is True
    assert platform.remote_access.winrm_listeners() == [WinRMListener("http", 5985)]


def test_basic_and_unencrypted_are_set_only_when_asked(platform, win):
    access = platform.remote_access
    assert access.set_winrm_service() is False
    assert access.set_winrm_service(basic=True) is True
    assert win.wsman.resources["winrm/config/service/auth"][1]["Basic"] == "true"
    assert win.wsman.resources["winrm/config/service"][1]["AllowUnencrypted"] == "false"
    assert access.set_winrm_service(basic=True) is False
    assert access.set_winrm_service(allow_unencrypted=True) is True
    assert win.wsman.resources["winrm/config/service"][1]["AllowUnencrypted"] == "true"
    assert win.wsman.resources["winrm/config/service/auth"][1]["Kerberos"] == "true"
    assert access.set_winrm_service(basic=False, allow_unencrypted=False) is True
    assert win.wsman.resources["winrm/config/service/auth"][1]["Basic"] == "false"
