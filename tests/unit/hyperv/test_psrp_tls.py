"""PsrpHost over HTTPS (the default transport): the host's certificate is validated unless told
otherwise, against a CA bundle when one is given. The replay server serves TLS on 127.0.0.1
with a certificate made here."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.unit.hyperv.conftest import Replay, new_fake
from tests.unit.hyperv.replay.backend import FakeBackend
from tests.unit.hyperv.replay.server import ReplayServer
from wincloud.errors import HostUnreachable
from wincloud.hyperv.psrp import PsrpHost


@pytest.fixture(scope="module")
def cert_files(tmp_path_factory):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hv-test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_pem, key_pem = folder / "cert.pem", folder / "key.pem"
    cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_pem, key_pem


@pytest.fixture
def tls_replay(cert_files):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*cert_files)
    fake = new_fake()
    server = ReplayServer(FakeBackend(fake))
    with server.running(tls=context):
        yield Replay(server, fake)


def _host(replay, **overrides):
    return PsrpHost(replay.settings(transport="https", **overrides))


def test_an_unknown_certificate_is_refused_by_default(tls_replay):
    host = _host(tls_replay)
    with pytest.raises(HostUnreachable) as info:
        host.host_info()
    assert info.value.subject.startswith("https://127.0.0.1:")
    assert "certificate" in (info.value.hint or "")
    assert tls_replay.server.calls == []


def test_the_certificate_validates_against_a_ca_bundle(tls_replay, cert_files):
    host = _host(tls_replay, cert_validation=str(cert_files[0]))
    try:
        assert host.host_info().hostname == "HV-FAKE01"
    finally:
        host.close()


def test_validation_can_be_turned_off(tls_replay):
    host = _host(tls_replay, cert_validation=False)
    try:
        assert host.list_switches()
    finally:
        host.close()
