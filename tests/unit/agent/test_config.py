import pytest

from wincloud.agent.config import AgentConfig, load_config, parse_config
from wincloud.agent.plugins import DEFAULT_ORDER
from wincloud.errors import ConfigError


def write(tmp_path, text):
    path = tmp_path / "agent.toml"
    path.write_text(text)
    return path


def test_no_file_means_the_defaults():
    config = load_config(None)
    assert config == AgentConfig()
    assert config.plugins == list(DEFAULT_ORDER)
    assert config.openstack_http.url == "http://169.254.169.254"


def test_file_values_override_defaults(tmp_path):
    config = load_config(
        write(
            tmp_path,
            'sources = ["openstack_http"]\nallow_reboot = false\n'
            "[retry]\nattempts = 5\nbackoff = 2\n"
            '[openstack_http]\nipv6_interface = "eth0"\n'
            '[log]\nlevel = "debug"\nserial_port = "/dev/ttyS0"\n',
        )
    )
    assert config.sources == ["openstack_http"]
    assert config.allow_reboot is False
    assert (config.retry.attempts, config.retry.backoff) == (5, 2.0)
    assert isinstance(config.retry.backoff, float)
    assert config.openstack_http.ipv6_interface == "eth0"
    assert (config.log.level, config.log.serial_port) == ("debug", "/dev/ttyS0")
    assert config.ec2 == AgentConfig().ec2


@pytest.mark.parametrize(
    "text, subject",
    [
        ("colour = 1\n", "agent.toml:colour"),
        ("[retry]\natempts = 2\n", "agent.toml:retry.atempts"),
        ("[retry]\nattempts = 'two'\n", "agent.toml:retry.attempts"),
        ("[retry]\nattempts = 0\n", "agent.toml:retry.attempts"),
        ("allow_reboot = 1\n", "agent.toml:allow_reboot"),
        ("retry = 3\n", "agent.toml:retry"),
        ('[log]\nlevel = "loud"\n', "agent.toml:log.level"),
        ('plugins = ["hostname", "telepathy"]\n', "agent.toml:plugins"),
        ('sources = ["openstack_http", "openstack_http"]\n', "agent.toml:sources"),
        ("sources = []\n", "agent.toml:sources"),
        ("[password]\nlength = 12\nmin_length = 14\n", "agent.toml:password.length"),
    ],
)
def test_bad_keys_and_values_name_file_and_key(tmp_path, text, subject):
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    assert str(info.value).endswith(subject)


def test_unknown_key_hint_lists_the_valid_ones():
    with pytest.raises(ConfigError) as info:
        parse_config({"retry": {"atempts": 1}})
    assert "attempts" in info.value.hint


def test_invalid_toml_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "this is = = not toml"))


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "nope.toml")


def test_password_length_may_equal_min_length():
    config = parse_config({"password": {"length": 14, "min_length": 14}})
    assert (config.password.length, config.password.min_length) == (14, 14)


@pytest.mark.parametrize(
    "section, url",
    [
        ("openstack_http", "169.254.169.254"),
        ("openstack_http", "htp://169.254.169.254"),
        ("openstack_http", "http://"),
        ("openstack_http", "http://169.254.169.254:99999"),
        ("openstack_http", "http://169.254.169.254 "),
        ("ec2", "http://[fe80::1"),
        ("ec2", "http://user@169.254.169.254"),
        ("ec2", ""),
    ],
)
def test_a_malformed_source_url_is_a_config_error(section, url):
    """Once three retries and 'no metadata' (exit 3); now the config's fault (exit 2)."""
    with pytest.raises(ConfigError) as caught:
        parse_config({section: {"url": url}}, where="agent.toml")
    assert caught.value.subject == f"agent.toml:{section}.url"
    assert caught.value.exit_status == 2


@pytest.mark.parametrize(
    "url", ["http://169.254.169.254", "https://md.example:8775/", "http://[::1]:80"]
)
def test_good_source_urls_pass(url):
    assert parse_config({"openstack_http": {"url": url}}).openstack_http.url == url


def test_an_ipv6_interface_that_is_no_interface_name_is_a_config_error():
    with pytest.raises(ConfigError, match="interface"):
        parse_config({"openstack_http": {"ipv6_interface": "eth0]/x"}})
