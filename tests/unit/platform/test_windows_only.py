"""The capabilities only Windows has: on POSIX (and the POSIX-like fake) every call is
NotSupported; the Windows-like fake keeps their state (the Windows backend joins this suite
once it runs somewhere)."""

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    pkcs12,
)
from cryptography.x509.oid import NameOID

from wincloud.errors import NotSupported, PlatformError
from wincloud.platform import PageFile, RdpSettings, WinRMListener
from wincloud.platform.fake import fake_platform
from wincloud.secret import Secret

KEY = "ABCDE-FGHIJ-KLMNO-PQRST-VWXYZ"
CALLS = [
    ("licensing", "product", ()),
    ("licensing", "status", ()),
    ("licensing", "install_key", (Secret(KEY),)),
    ("licensing", "set_kms_host", ("kms",)),
    ("licensing", "activate", ()),
    ("certificates", "has", ("AB" * 20,)),
    ("certificates", "import_pfx", (b"", Secret("x"))),
    ("remote_access", "rdp", ()),
    ("remote_access", "set_rdp", (RdpSettings(True, 3389, True),)),
    ("remote_access", "winrm_listeners", ()),
    ("settings", "set_display_idle_timeout", (0,)),
    ("settings", "page_files", ()),
    ("settings", "set_page_files", (None,)),
    ("settings", "san_policy", ()),
    ("settings", "set_san_policy", ("online_all",)),
]


@pytest.mark.parametrize("capability, method, args", CALLS)
def test_posix_has_none_of_them(rig, capability, method, args):
    with pytest.raises(NotSupported):
        getattr(getattr(rig.platform, capability), method)(*args)


@pytest.fixture
def win():
    return fake_platform(family="windows")


def pfx(password: str = "pw") -> tuple[bytes, str]:
    import hashlib

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "host")])
    import datetime

    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    data = pkcs12.serialize_key_and_certificates(
        b"x", key, cert, None, BestAvailableEncryption(password.encode())
    )
    der = cert.public_bytes(Encoding.DER)
    return data, hashlib.sha1(der).hexdigest().upper()


def test_key_kms_host_and_activation(win):
    licensing = win.licensing
    licensing.install_key(Secret(KEY.lower()))
    licensing.set_kms_host("kms.example.org:1688")
    licensing.activate()
    status = licensing.status()
    assert (status.state, status.partial_key, status.kms_host) == (
        "licensed",
        "VWXYZ",
        "kms.example.org:1688",
    )


@pytest.mark.parametrize("host", ["bad host", "kms:99999", "[::1", "a..b"])
def test_bad_kms_hosts_are_refused(win, host):
    with pytest.raises(PlatformError):
        win.licensing.set_kms_host(host)


def test_bad_product_keys_are_refused_without_showing_them(win):
    with pytest.raises(PlatformError) as info:
        win.licensing.install_key(Secret("secret-ish-value"))
    assert "secret-ish" not in str(info.value)


def test_pfx_import_gives_the_thumbprint(win):
    data, thumbprint = pfx()
    assert win.certificates.import_pfx(data, Secret("pw")) == thumbprint
    assert win.certificates.has(thumbprint.lower())


def test_pfx_with_a_wrong_password_is_refused(win):
    data, _ = pfx()
    with pytest.raises(PlatformError):
        win.certificates.import_pfx(data, Secret("nope"))


def test_https_listener_needs_an_installed_certificate(win):
    with pytest.raises(PlatformError):
        win.remote_access.set_winrm_https_listener(port=5986, thumbprint="AB" * 20)
    data, thumbprint = pfx()
    win.certificates.import_pfx(data, Secret("pw"))
    assert win.remote_access.set_winrm_https_listener(port=5986, thumbprint=thumbprint) is True
    assert win.remote_access.set_winrm_https_listener(port=5986, thumbprint=thumbprint) is False
    assert WinRMListener("https", 5986, thumbprint) in win.remote_access.winrm_listeners()


def test_rdp_settings_read_back(win):
    wanted = RdpSettings(enabled=True, port=3390, nla=False)
    assert win.remote_access.set_rdp(wanted) is True
    assert win.remote_access.set_rdp(wanted) is False
    assert win.remote_access.rdp() == wanted


def test_page_files_and_san_policy_read_back(win):
    files = [PageFile("D:\\pagefile.sys", 512, 1024)]
    assert win.settings.set_page_files(files) is True
    assert win.settings.page_files() == files
    assert win.settings.set_san_policy("online_all") is True
    assert win.settings.san_policy() == "online_all"


@pytest.mark.parametrize(
    "bad", [PageFile("pagefile.sys"), PageFile("C:\\p.sys", 10, 5), PageFile("C:\\p.sys", 0, 5)]
)
def test_bad_page_files_are_refused(win, bad):
    with pytest.raises(PlatformError):
        win.settings.set_page_files([bad])


def test_windows_computer_names_are_one_label(win):
    with pytest.raises(PlatformError):
        win.host.set_hostname("web.example.org")
    with pytest.raises(PlatformError):
        win.host.set_hostname("12345")
    assert win.host.set_hostname("web", domain="example.org") is True


def test_administrators_keys_file(win):
    path = win.users.set_admin_authorized_keys(["ssh-ed25519 AAAA a "])
    assert win.files.read(path) == b"ssh-ed25519 AAAA a\n"


def test_windows_takes_no_password_hash(win):
    win.users.ensure("alice")
    with pytest.raises(NotSupported):
        win.users.set_password_hash("alice", Secret("$6$a$b"))


def test_windows_script_kinds_run(win):
    done = win.processes.run_script(
        b"#ps1_x86\nWrite-Host hi\nexit 1001\n", name="x.ps1", timeout=10, kind="powershell_x86"
    )
    assert (done.exit_code, done.stdout) == (1001, b"hi\n")
    done = win.processes.run_script(
        b"rem cmd\r\nexit /b 3\r\n", name="x.cmd", timeout=10, kind="cmd"
    )
    assert done.exit_code == 3


def test_windows_volumes_grow(win):
    win.volumes.sizes["C:"] = (10, 20)
    [growable] = win.volumes.growable()
    assert (growable.volume, growable.size, growable.max_size) == ("C:", 10, 20)
    assert win.volumes.extend("C:") == 20
    assert win.volumes.growable() == []
    with pytest.raises(PlatformError):
        win.volumes.extend("Z:")
