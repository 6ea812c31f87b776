import pytest

from wincloud.errors import PlatformError
from wincloud.secret import Secret

from .certs import make_pfx


def test_import_pfx_returns_the_thumbprint_and_keeps_the_key(platform, win):
    pfx, _der, thumb = make_pfx()
    assert platform.certificates.has(thumb) is False
    assert platform.certificates.import_pfx(pfx, Secret("pfx-pass")) == thumb
    assert platform.certificates.has(thumb) is True
    assert platform.certificates.import_pfx(pfx, Secret("pfx-pass")) == thumb
    assert win.certs.stores["My"] == {thumb: True}


def test_wrong_pfx_password_is_refused(platform):
    pfx, _der, _thumb = make_pfx()
    with pytest.raises(PlatformError):
        platform.certificates.import_pfx(pfx, Secret("wrong"))


def test_trust_adds_a_certificate_without_key(platform, win):
    _pfx, der, thumb = make_pfx()
    assert platform.certificates.trust(der, store="Root") == thumb
    assert platform.certificates.trust(der, store="Root") == thumb
    assert win.certs.stores["Root"] == {thumb: False}
    assert platform.certificates.has(thumb) is False


def test_trust_refuses_garbage(platform):
    with pytest.raises(PlatformError):
        platform.certificates.trust(b"not der", store="TrustedPeople")


def test_bad_thumbprint_is_refused(platform):
    with pytest.raises(PlatformError):
        platform.certificates.has("xyz")
