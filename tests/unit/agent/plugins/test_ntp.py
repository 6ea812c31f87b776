import pytest

from tests.unit.agent.conftest import with_section
from wincloud.agent.config import AgentConfig
from wincloud.agent.plugins import Outcome
from wincloud.agent.plugins.ntp import NtpPlugin
from wincloud.errors import InvalidMetadata


def test_meta_servers_win(make_ctx, platform):
    config = with_section(AgentConfig(), "ntp", servers=["config.example.org"])
    ctx = make_ctx(config, meta={"ntp_servers": "10.0.0.1, pool.ntp.org time.example.org"})
    assert NtpPlugin().run(ctx) is Outcome.DONE
    assert platform.clock.ntp_servers() == ["10.0.0.1", "pool.ntp.org", "time.example.org"]


def test_config_servers_when_no_meta(make_ctx, platform):
    config = with_section(AgentConfig(), "ntp", servers=["config.example.org"])
    NtpPlugin().run(make_ctx(config))
    assert platform.clock.ntp_servers() == ["config.example.org"]


def test_nothing_given_is_skipped(make_ctx, platform):
    assert NtpPlugin().run(make_ctx()) is Outcome.SKIPPED
    assert platform.clock.ntp_servers() == []


def test_a_bad_server_is_a_clear_error_and_changes_nothing(make_ctx, platform):
    with pytest.raises(InvalidMetadata, match=r"meta\.ntp_servers"):
        NtpPlugin().run(make_ctx(meta={"ntp_servers": "good.example.org bad/server"}))
    assert platform.clock.ntp_servers() == []


def test_posix_writes_timesyncd_without_chrony(make_ctx, posix, root):
    NtpPlugin().run(make_ctx(on=posix, meta={"ntp_servers": "10.0.0.1 10.0.0.2"}))
    text = (root / "etc/systemd/timesyncd.conf.d/wincloud.conf").read_text()
    assert text.endswith("[Time]\nNTP=10.0.0.1 10.0.0.2\n")


def test_posix_writes_a_chrony_source_file_when_chrony_is_there(make_ctx, posix, root):
    (root / "etc/chrony").mkdir()
    NtpPlugin().run(make_ctx(on=posix, meta={"ntp_servers": "10.0.0.1 10.0.0.2"}))
    text = (root / "etc/chrony/sources.d/wincloud.sources").read_text()
    assert text.endswith("server 10.0.0.1 iburst\nserver 10.0.0.2 iburst\n")
    assert posix.clock.ntp_servers() == ["10.0.0.1", "10.0.0.2"]
    assert not (root / "etc/systemd/timesyncd.conf.d").exists()


def test_a_server_name_ending_in_a_newline_is_refused():
    from wincloud.agent.plugins.ntp import check_servers

    with pytest.raises(InvalidMetadata, match="not an NTP server"):
        check_servers(["pool.ntp.org\n"], "meta.ntp_servers")
