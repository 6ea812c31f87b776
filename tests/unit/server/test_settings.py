from __future__ import annotations

import pytest

from wincloud.errors import ConfigError
from wincloud.server.settings import Listen, TokenMode, load_settings, parse_listen


@pytest.mark.parametrize(
    ("text", "want"),
    [("127.0.0.1:8775", Listen("127.0.0.1", 8775)), ("[::1]:80", Listen("::1", 80))],
)
def test_listen_addresses_parse(text, want):
    assert parse_listen(text) == want


@pytest.mark.parametrize("text", ["8775", "host:", "1.2.3.4:99999", "nonsense:80"])
def test_bad_listen_addresses_name_the_option(text):
    with pytest.raises(ConfigError, match="--listen"):
        parse_listen(text)


def test_toml_file_then_overrides(tmp_path):
    path = tmp_path / "md.toml"
    path.write_text(
        '[metadata]\nlisten = "127.0.0.1:9000"\ntoken_mode = "required"\n'
        'proxy_shared_secret = "0123456789abcdef0123"\n'
    )
    settings = load_settings(path, listen="127.0.0.1:9100")
    assert settings.listen == Listen("127.0.0.1", 9100)
    assert settings.token_mode is TokenMode.REQUIRED
    assert str(settings.proxy_shared_secret) == "***"


def test_unknown_key_is_named(tmp_path):
    path = tmp_path / "md.toml"
    path.write_text("[metadata]\nlisten_port = 80\n")
    with pytest.raises(ConfigError, match="listen_port") as info:
        load_settings(path)
    assert str(path) in str(info.value)


def test_short_secret_is_refused_without_echoing_it(tmp_path):
    path = tmp_path / "md.toml"
    path.write_text('[metadata]\nadmin_token = "short-sekrit"\n')
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert "short-sekrit" not in str(info.value)
    assert "admin_token" in str(info.value)


def test_invalid_toml_is_reported(tmp_path):
    path = tmp_path / "md.toml"
    path.write_text("[metadata\n")
    with pytest.raises(ConfigError, match="TOML"):
        load_settings(path)


def test_trusted_proxies_parse_and_bad_ones_are_named(tmp_path):
    from ipaddress import ip_network

    path = tmp_path / "md.toml"
    path.write_text('[metadata]\ntrusted_proxies = ["10.0.0.2", "fd00::/64"]\n')
    assert load_settings(path).trusted_proxies == (
        ip_network("10.0.0.2/32"),
        ip_network("fd00::/64"),
    )
    path.write_text('[metadata]\ntrusted_proxies = ["not-an-ip"]\n')
    with pytest.raises(ConfigError, match="trusted_proxies"):
        load_settings(path)


def test_a_config_file_that_is_not_utf8_is_a_config_error_naming_it(tmp_path):
    path = tmp_path / "md.toml"
    path.write_bytes(b"\xff\xfe[\x00m\x00e\x00t\x00a\x00]\x00\n\x00")  # saved as UTF-16
    with pytest.raises(ConfigError, match="UTF-8") as caught:
        load_settings(path)
    assert caught.value.subject == str(path)


@pytest.mark.parametrize(("given", "want"), [("OFF", "off"), ("Stderr", "stderr")])
def test_access_log_keywords_are_taken_in_any_case(given, want):
    assert load_settings(None, access_log=given).access_log == want


@pytest.mark.parametrize("given", ["stdout", "none", "-", "False"])
def test_access_log_words_that_are_no_file_are_refused(tmp_path, given):
    path = tmp_path / "md.toml"
    path.write_text(f'[metadata]\naccess_log = "{given}"\n')
    with pytest.raises(ConfigError, match="access_log") as caught:
        load_settings(path)
    assert caught.value.subject == f"{path}:access_log"


def test_access_log_file_with_a_directory_part_is_a_file(tmp_path):
    assert load_settings(None, access_log="./stdout").access_log == "./stdout"


@pytest.mark.parametrize("everyone", ["0.0.0.0/0", "::/0", "10.0.0.1/0"])
def test_trusting_every_address_as_a_proxy_is_refused(tmp_path, everyone):
    path = tmp_path / "md.toml"
    path.write_text(f'[metadata]\ntrusted_proxies = ["10.0.0.2", "{everyone}"]\n')
    with pytest.raises(ConfigError, match="X-Forwarded-For") as caught:
        load_settings(path)
    assert caught.value.subject == f"{path}:trusted_proxies"
