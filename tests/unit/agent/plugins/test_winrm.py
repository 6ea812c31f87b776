import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.unit.agent.conftest import with_section
from wincloud.agent.config import AgentConfig
from wincloud.agent.plugins import Outcome
from wincloud.agent.plugins._certs import thumbprint
from wincloud.agent.plugins.winrm import WinRMPlugin
from wincloud.errors import InvalidMetadata, PluginFailed
from wincloud.platform import WinRMListener
from wincloud.secret import Secret


def client_cert(upn: str | None = "admin@localhost", *, issuer: str | None = None) -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "admin")])
    issuer_name = (
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]) if issuer else subject
    )
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=30))
    )
    if upn is not None:
        value = b"\x0c" + bytes([len(upn)]) + upn.encode()
        other = x509.OtherName(x509.ObjectIdentifier("1.3.6.1.4.1.311.20.2.3"), value)
        builder = builder.add_extension(x509.SubjectAlternativeName([other]), critical=False)
    cert = builder.sign(key, hashes.SHA256())
    return cert.public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture
def admin(win):
    win.users.ensure("admin", groups=["Administrators"])
    win.host.set_hostname("win-01")


def https(win):
    return [item for item in win.remote_access.listeners if item.transport == "https"]


def test_posix_is_skipped(make_ctx, platform):
    assert WinRMPlugin().run(make_ctx()) is Outcome.SKIPPED


def test_a_self_signed_https_listener_is_made_once_per_instance(make_ctx, win, admin):
    memo = {}
    assert WinRMPlugin().run(make_ctx(on=win, memo=memo)) is Outcome.DONE
    [listener] = https(win)
    assert listener.port == 5986
    assert win.certificates.has(listener.thumbprint)
    der = win.certificates.stores["My"][listener.thumbprint]
    cert = x509.load_der_x509_certificate(der)
    assert cert.subject.rfc4514_string() == "CN=win-01"
    WinRMPlugin().run(make_ctx(on=win, memo=memo))
    assert len(win.certificates.stores["My"]) == 1
    assert win.remote_access.listeners[0] == WinRMListener("http", 5985)
    assert 5986 in win.remote_access.firewall_ports


def test_a_provided_certificate_is_used(make_ctx, win, admin):
    der = x509.load_pem_x509_certificate(client_cert().encode()).public_bytes(
        serialization.Encoding.DER
    )
    given = thumbprint(der)
    win.certificates.stores["My"][given] = der
    config = with_section(AgentConfig(), "winrm", certificate_thumbprint=given.lower(), port=443)
    WinRMPlugin().run(make_ctx(config, on=win))
    assert https(win) == [WinRMListener("https", 443, given)]


def test_a_provided_certificate_that_is_not_there_fails_clearly(make_ctx, win, admin):
    config = with_section(AgentConfig(), "winrm", certificate_thumbprint="AB" * 20)
    with pytest.raises(PluginFailed, match="LocalMachine"):
        WinRMPlugin().run(make_ctx(config, on=win))
    assert https(win) == []


@pytest.mark.parametrize("where", ["x509", "meta", "user_data"])
def test_client_certificates_are_trusted_and_mapped_to_the_admin(make_ctx, win, admin, where):
    pem = client_cert()
    if where == "x509":
        extra = {"client_certificates": (pem,)}
    elif where == "meta":
        extra = {"meta": {"admin_cert0": pem[:200], "admin_cert1": pem[200:]}}
    else:
        extra = {"user_data": pem.encode()}
    ctx = make_ctx(on=win, **extra)
    ctx.handoff.admin_password = Secret("Pa55-word!")
    assert WinRMPlugin().run(ctx) is Outcome.DONE
    [mapping] = win.remote_access.mappings
    assert (mapping.subject, mapping.username, mapping.password) == (
        "admin@localhost",
        "admin",
        Secret("Pa55-word!"),
    )
    assert mapping.issuer_thumbprint in win.certificates.stores["Root"]
    assert mapping.issuer_thumbprint in win.certificates.stores["TrustedPeople"]
    assert win.remote_access.certificate_auth


def test_without_the_password_of_this_run_nothing_is_mapped(make_ctx, win, admin, caplog):
    WinRMPlugin().run(make_ctx(on=win, client_certificates=(client_cert(),)))
    assert win.remote_access.mappings == []
    assert "password-unknown" in caplog.text


@pytest.mark.parametrize(
    "pem, why",
    [
        (client_cert(upn=None), "needs a UPN"),
        (client_cert(issuer="Some CA"), "self-signed"),
        ("not a certificate", "no PEM"),
        ("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "X.509"),
    ],
)
def test_a_bad_client_certificate_changes_nothing(make_ctx, win, admin, pem, why):
    ctx = make_ctx(on=win, client_certificates=(pem,))
    ctx.handoff.admin_password = Secret("Pa55-word!")
    with pytest.raises(InvalidMetadata, match=why):
        WinRMPlugin().run(ctx)
    assert https(win) == [] and win.remote_access.mappings == []


def test_listener_and_mapping_can_be_turned_off(make_ctx, win, admin):
    config = with_section(AgentConfig(), "winrm", https_listener=False, cert_auth=False)
    ctx = make_ctx(config, on=win, client_certificates=(client_cert(),))
    ctx.handoff.admin_password = Secret("Pa55-word!")
    assert WinRMPlugin().run(ctx) is Outcome.DONE
    assert https(win) == [] and win.remote_access.mappings == []


# -- the opt-ins: HTTP listener, Basic authentication, unencrypted messages -------------------


def test_http_basic_and_unencrypted_are_left_alone_by_default(make_ctx, win, admin, caplog):
    win.remote_access.listeners = []
    WinRMPlugin().run(make_ctx(on=win))
    access = win.remote_access
    assert [item.transport for item in access.listeners] == ["https"]
    assert (access.basic_auth, access.allow_unencrypted) == (False, False)
    assert 5985 not in access.firewall_ports
    assert "WARNING" not in caplog.text


def test_the_http_listener_is_an_opt_in_with_a_warning(make_ctx, win, admin, caplog):
    win.remote_access.listeners = []
    config = with_section(AgentConfig(), "winrm", http_listener=True, http_port=5990)
    assert WinRMPlugin().run(make_ctx(config, on=win)) is Outcome.DONE
    assert WinRMListener("http", 5990) in win.remote_access.listeners
    assert 5990 in win.remote_access.firewall_ports
    assert win.remote_access.basic_auth is False
    [warning] = [r for r in caplog.records if r.levelname == "WARNING"]
    assert "plain HTTP" in warning.getMessage() and "winrm.http_listener" in warning.getMessage()


def test_basic_over_http_needs_all_three_and_each_warns(make_ctx, win, admin, caplog):
    config = with_section(
        AgentConfig(), "winrm", http_listener=True, allow_basic=True, allow_unencrypted=True
    )
    WinRMPlugin().run(make_ctx(config, on=win))
    access = win.remote_access
    assert (access.basic_auth, access.allow_unencrypted) == (True, True)
    warnings = " ".join(r.getMessage() for r in caplog.records if r.levelname == "WARNING")
    for key in ("winrm.http_listener", "winrm.allow_basic", "winrm.allow_unencrypted"):
        assert key in warnings
    assert "works over HTTPS only" not in warnings


def test_basic_without_unencrypted_says_it_works_over_https_only(make_ctx, win, admin, caplog):
    config = with_section(AgentConfig(), "winrm", http_listener=True, allow_basic=True)
    WinRMPlugin().run(make_ctx(config, on=win))
    assert (win.remote_access.basic_auth, win.remote_access.allow_unencrypted) == (True, False)
    assert "works over HTTPS only" in caplog.text


def test_the_opt_ins_are_config_keys_off_by_default_with_bounds():
    from wincloud.agent.config import parse_config
    from wincloud.errors import ConfigError

    config = parse_config({})
    assert (config.winrm.http_listener, config.winrm.allow_basic) == (False, False)
    assert (config.winrm.allow_unencrypted, config.winrm.http_port) == (False, 5985)
    given = parse_config({"winrm": {"http_listener": True, "allow_basic": True}})
    assert (given.winrm.http_listener, given.winrm.allow_basic) == (True, True)
    with pytest.raises(ConfigError, match="http_port"):
        parse_config({"winrm": {"http_port": 70000}})
