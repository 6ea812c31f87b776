"""The OpenStack HTTP source against a real service on 127.0.0.1."""

import ipaddress
import socket
from pathlib import Path

import pytest

from tests.unit.agent.conftest import with_section
from tests.unit.agent.mdserver import closed_port, serve
from wincloud.agent.config import AgentConfig
from wincloud.agent.sources.openstack_http import OpenStackHttpSource, ipv6_url
from wincloud.errors import PasswordAlreadySet, SourceUnavailable
from wincloud.secret import Secret
from wincloud.tree import render_http


def source_for(make_deps, url, **values):
    return OpenStackHttpSource(
        make_deps(with_section(AgentConfig(), "openstack_http", url=url, **values))
    )


def test_reads_the_instance_over_http(make_deps, md_server, instance):
    source = source_for(make_deps, md_server.url)
    assert source.probe() is True
    md = source.load()
    assert md.instance_id == instance.uuid
    assert md.hostname == instance.hostname
    assert dict(md.public_keys) == instance.public_keys
    assert md.user_data == instance.user_data
    assert md.network_data == instance.network_data.render()
    assert md.admin_pass is None  # drive-only, as in Nova
    assert (md.source, md.where) == ("openstack_http", md_server.url)


def test_a_service_without_openstack_is_absent(make_deps):
    with serve({"": b"latest"}) as running:
        assert source_for(make_deps, running.url).probe() is False


def test_a_refused_connection_is_unavailable_naming_the_url(make_deps):
    with closed_port() as url:
        with pytest.raises(SourceUnavailable) as info:
            source_for(make_deps, url).probe()
    assert url in str(info.value)


def test_a_server_error_is_unavailable(make_deps, instance):
    from wincloud.tree import render_http

    with serve(render_http(instance), fail_status=503) as running:
        with pytest.raises(SourceUnavailable, match="503"):
            source_for(make_deps, running.url).probe()


def test_a_silent_server_times_out(make_deps, instance):
    from wincloud.tree import render_http

    with serve(render_http(instance), delay=1.0) as running:
        with pytest.raises(SourceUnavailable, match="timed out"):
            source_for(make_deps, running.url, timeout=0.2).probe()


def test_the_ipv6_address_is_tried_when_the_first_is_refused(make_deps, md_server):
    with closed_port() as url:
        source = source_for(make_deps, url)
    source.urls.append(md_server.url)  # stands for the link-local address
    assert source.probe() is True
    assert source.where == md_server.url


def test_ipv6_url_carries_the_zone():
    assert ipv6_url("eth0") == "http://[fe80::a9fe:a9fe%eth0]"
    assert ipv6_url("eth0", address="fe80::1", port=80) == "http://[fe80::1%eth0]:80"


def test_ipv6_interface_adds_the_link_local_url(make_deps):
    source = source_for(make_deps, "http://169.254.169.254", ipv6_interface="eth0")
    assert source.urls == ["http://169.254.169.254", "http://[fe80::a9fe:a9fe%eth0]"]


def link_local_address():
    """(address, interface) of a link-local IPv6 address of this machine, or None."""
    try:
        lines = Path("/proc/net/if_inet6").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        hexaddr, _, _, scope, _, name = line.split()
        if scope == "20":
            address = ":".join(hexaddr[i : i + 4] for i in range(0, 32, 4))
            return str(ipaddress.IPv6Address(address)), name
    return None


def test_a_link_local_service_is_reached_through_its_zone(make_deps, instance):
    found = link_local_address()
    if found is None:
        pytest.skip("no link-local IPv6 address on this machine")
    address, interface = found
    scope = socket.if_nametoindex(interface)
    with serve(render_http(instance), bind=(address, 0, 0, scope)) as running:
        port = int(running.url.rsplit(":", 1)[1])
        url = ipv6_url(interface, address=address, port=port)
        with closed_port() as dead:
            source = source_for(make_deps, dead)
        source.urls.append(url)
        assert source.load().instance_id == instance.uuid
    assert source.where == url


def test_password_is_posted_once(make_deps, md_server):
    source = source_for(make_deps, md_server.url)
    source.load()
    sink = source.password_sink()
    assert sink.is_set() is False
    sink.post(b"c2VhbGVk")
    assert sink.is_set() is True
    assert md_server.behaviour.password == b"c2VhbGVk"
    with pytest.raises(PasswordAlreadySet):
        sink.post(b"b3RoZXI=")
    assert md_server.behaviour.password == b"c2VhbGVk"


def test_no_sink_before_the_service_is_found(make_deps):
    assert source_for(make_deps, "http://127.0.0.1:9").password_sink() is None


def test_admin_pass_is_a_secret_in_repr(make_deps, md_server):
    md = source_for(make_deps, md_server.url).load()
    assert "S3cret" not in repr(md)
    assert Secret("x") != md.admin_pass
