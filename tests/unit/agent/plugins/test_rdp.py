from tests.unit.agent.conftest import with_section
from wincloud.agent.config import AgentConfig
from wincloud.agent.plugins import Outcome
from wincloud.agent.plugins.rdp import RdpPlugin
from wincloud.platform import RdpSettings


def test_rdp_is_enabled_with_nla_on_3389_by_default(make_ctx, win):
    assert RdpPlugin().run(make_ctx(on=win)) is Outcome.DONE
    assert win.remote_access.rdp() == RdpSettings(enabled=True, port=3389, nla=True)
    assert 3389 in win.remote_access.firewall_ports


def test_port_and_nla_from_the_config(make_ctx, win):
    config = with_section(AgentConfig(), "rdp", port=13389, nla=False)
    RdpPlugin().run(make_ctx(config, on=win))
    assert win.remote_access.rdp() == RdpSettings(enabled=True, port=13389, nla=False)


def test_rdp_can_be_disabled(make_ctx, win):
    win.remote_access.set_rdp(RdpSettings(True, 3389, True))
    RdpPlugin().run(make_ctx(with_section(AgentConfig(), "rdp", enabled=False), on=win))
    assert win.remote_access.rdp().enabled is False


def test_posix_is_skipped(make_ctx, platform):
    assert RdpPlugin().run(make_ctx()) is Outcome.SKIPPED
