"""A hostile metadata server or a damaged or malicious medium, against the new sources: each
failure is a clear InvalidMetadata or SourceUnavailable (the next source is tried), never an
unexpected exception, never unbounded work, never half the data."""

from __future__ import annotations

import json
import socket
import threading
import time

import msgspec
import pytest

from tests.unit.agent.conftest import with_section
from wincloud.agent.bounded import MAX_DEPTH, MAX_NODES
from wincloud.agent.config import AgentConfig, NoCloudConfig
from wincloud.agent.http import create_client
from wincloud.agent.sources import SourceDeps
from wincloud.agent.sources._openstack import MAX_JSON_VALUES, parse_openstack
from wincloud.agent.sources._shellvars import MAX_ASSIGNMENTS, parse_shell_vars
from wincloud.agent.sources.base import MAX_PUBLIC_KEYS
from wincloud.agent.sources.cloudstack import CloudStackSource, parse_cloudstack
from wincloud.agent.sources.configdrive import ConfigDriveSource
from wincloud.agent.sources.nocloud import NoCloudSource, parse_nocloud
from wincloud.agent.sources.opennebula import OpenNebulaSource, parse_opennebula
from wincloud.agent.sources.ovf import OvfSource, metadata_from_ovf, parse_ovf
from wincloud.agent.sources.vmware import VMwareSource, parse_guestinfo
from wincloud.agent.tree import MemoryTree
from wincloud.errors import InvalidMetadata, PlatformError, SourceUnavailable
from wincloud.platform.base import Completed
from wincloud.platform.fake import FakeProcesses
from wincloud.platform.guestinfo import read_guestinfo
from wincloud.platform.posix.hypervisor import TOOLS as POSIX_TOOLS

NS = "http://schemas.dmtf.org/ovf/environment/1"


def ovf_env(*properties: tuple[str, str]) -> bytes:
    props = "".join(f'<Property oe:key="{k}" oe:value="{v}"/>' for k, v in properties)
    return (
        f'<Environment xmlns="{NS}" xmlns:oe="{NS}"><PropertySection>{props}'
        "</PropertySection></Environment>"
    ).encode()


def key_text(count: int, sep: str = "\n") -> str:
    return sep.join(f"ssh-ed25519 AAAA{i} k{i}" for i in range(count))


LOADERS = {
    "opennebula": lambda text: parse_opennebula(
        MemoryTree({"context.sh": f"VMID=7\nSSH_PUBLIC_KEY='{text}'\n".encode()}),
        source="opennebula",
    ),
    "ovf": lambda text: metadata_from_ovf(
        ovf_env(("instance-id", "i-1"), ("public-keys", text.replace("\n", "&#10;"))),
        source="ovf",
        where="ovf-env.xml",
    ),
    "ovf-split": lambda text: metadata_from_ovf(
        ovf_env(
            ("instance-id", "i-1"),
            *(("public-keys", line) for line in text.splitlines()),
        ),
        source="ovf",
        where="ovf-env.xml",
    ),
    "vmware": lambda text: parse_guestinfo(
        json.dumps({"instance-id": "i-1", "public-keys-data": text}).encode(),
        user_data=None,
        vendor_data=None,
        source="vmware",
    ),
    "vmware-nocloud-form": lambda text: parse_guestinfo(
        json.dumps({"instance-id": "i-1", "public-keys": text.splitlines()}).encode(),
        user_data=None,
        vendor_data=None,
        source="vmware",
    ),
    "nocloud": lambda text: parse_nocloud(
        MemoryTree({"meta-data": b"instance-id: i-1\npublic-keys: " + json.dumps(text).encode()}),
        source="nocloud",
    ),
    "cloudstack": lambda text: parse_cloudstack(
        MemoryTree(
            {
                "latest/meta-data/instance-id": b"i-1",
                "latest/meta-data/public-keys": text.encode(),
            }
        ),
        source="cloudstack",
    ),
}


@pytest.mark.parametrize("load", LOADERS.values(), ids=LOADERS.keys())
def test_more_public_keys_than_the_bound_is_invalid_not_millions_kept(load):
    assert len(load(key_text(MAX_PUBLIC_KEYS)).public_keys) == MAX_PUBLIC_KEYS
    with pytest.raises(InvalidMetadata, match=f"more than {MAX_PUBLIC_KEYS} public keys"):
        load(key_text(MAX_PUBLIC_KEYS + 1))


@pytest.mark.parametrize("sep", ["\r\n", "\u2028", "\x85"])
def test_keys_split_as_lines_whatever_the_line_break(sep):
    md = LOADERS["opennebula"](key_text(3, sep))
    assert list(md.public_keys.values()) == key_text(3).splitlines()


YAML_LOADERS = {
    "nocloud-meta-data": lambda doc: parse_nocloud(
        MemoryTree({"meta-data": b"instance-id: i-1\nlocal-hostname: " + doc}), source="nocloud"
    ),
    "nocloud-network-config": lambda doc: parse_nocloud(
        MemoryTree({"meta-data": b"instance-id: i-1\n", "network-config": b"version: " + doc}),
        source="nocloud",
    ),
    "vmware-metadata": lambda doc: parse_guestinfo(
        b"instance-id: " + doc, user_data=None, vendor_data=None, source="vmware"
    ),
}
HOSTILE_SCALARS = {
    "no-such-day": b"2024-02-30",
    "year-zero": b"0000-01-01",
    "timestamp-tag-on-a-word": b"!!timestamp x",
    "int-tag-on-a-word": b"!!int x",
    "decimal-past-the-conversion-limit": b"9" * 5000,
    "huge-hex": b"0x" + b"f" * 20000,
    "long-base60-run": b"1" + b":1" * 40,  # built in quadratic time by PyYAML
}


@pytest.mark.parametrize("scalar", HOSTILE_SCALARS.values(), ids=HOSTILE_SCALARS.keys())
@pytest.mark.parametrize("load", YAML_LOADERS.values(), ids=YAML_LOADERS.keys())
def test_a_scalar_pyyaml_cannot_build_is_invalid_metadata(load, scalar):
    with pytest.raises(InvalidMetadata, match="not valid"):
        load(scalar + b"\n")


def test_a_short_base60_number_is_still_read_as_yaml_reads_it():
    """The QEMU MAC a YAML 1.1 parser reads as a number (the network config recovers it)."""
    md = YAML_LOADERS["vmware-metadata"](b"i-1\nlocal-ipv4: '10.0.0.5'\nport: 1:30\n")
    assert md.instance_id == "i-1"


FORGED_LINE = "x\n2026-12-03 12:00:00 ERROR forged"


@pytest.mark.parametrize(
    "entry",
    [
        {"type": FORGED_LINE},
        {"type": "physical", "name": FORGED_LINE},
    ],
    ids=["type", "name"],
)
def test_network_config_values_cannot_forge_a_log_line(caplog, entry):
    doc = json.dumps({"version": 1, "config": [entry]}).encode()
    tree = MemoryTree({"meta-data": b"instance-id: i-1\n", "network-config": doc})
    with caplog.at_level("WARNING"):
        assert parse_nocloud(tree, source="nocloud").network_data is None
    messages = [r.getMessage() for r in caplog.records if "left out" in r.getMessage()]
    assert messages and not any("\n" in m for m in messages)


class ToolsHypervisor:
    """guestinfo through the real decisions (read_guestinfo) over fake VMware Tools whose
    ``hang`` keys never answer (killed at the timeout)."""

    def __init__(self, values: dict[str, bytes], hang: set[str]) -> None:
        def rpctool(argv, stdin):
            key = argv[-1].removeprefix("info-get guestinfo.")
            if key in hang:
                raise PlatformError("timed out after 10 s", operation="run", subject=argv[0])
            if key in values:
                return Completed(tuple(argv), 0, values[key] + b"\n")
            return Completed(tuple(argv), 1, b"", b"No value found\n")

        self.processes = FakeProcesses({"vmware-rpctool": rpctool})

    def guestinfo(self, key: str) -> bytes | None:
        return read_guestinfo(self.processes, POSIX_TOOLS, key)


def test_vmware_user_data_that_times_out_fails_the_source_not_read_as_none(platform, make_deps):
    values = {"metadata": b'{"instance-id": "vm-1"}', "userdata": b"#!/bin/sh\necho hi"}
    deps = make_deps()
    deps = msgspec.structs.replace(
        deps,
        platform=msgspec.structs.replace(
            platform, hypervisor=ToolsHypervisor(values, hang={"userdata"})
        ),
    )
    source = VMwareSource(deps)
    assert source.probe() is True
    with pytest.raises(SourceUnavailable, match="guestinfo"):
        source.load()
    healthy = msgspec.structs.replace(platform, hypervisor=ToolsHypervisor(values, hang=set()))
    md = VMwareSource(msgspec.structs.replace(deps, platform=healthy)).load()
    assert md.user_data == values["userdata"]


@pytest.mark.parametrize(
    ("context", "line"),
    [
        ("VMID=1\nHOME_DIR=~\n", 2),
        ("VMID=1\nPATH_LIKE=/bin:~/bin\n", 2),
        ("VMID=1\nUSERNAME=~root\n", 2),
        ("VMID=1\nPASSWORD='Secret1'\n\nSET_HOSTNAME=a\0b\n", 4),
        ("VMID=1\nPASSWORD='Pass\0word'\n", 2),
    ],
    ids=["tilde", "tilde-after-colon", "tilde-user", "nul-bare", "nul-quoted"],
)
def test_context_values_a_shell_would_change_are_refused(context, line):
    """A shell expands these (a home directory) or drops them (NUL bytes): the file does not
    say what a shell would have computed, so nothing is guessed."""
    tree = MemoryTree({"context.sh": context.encode()})
    with pytest.raises(InvalidMetadata, match=f"line {line}") as err:
        parse_opennebula(tree, source="opennebula")
    assert "Secret1" not in str(err.value) and "Pass" not in str(err.value)


@pytest.mark.parametrize("value", ["a~b", "''~", '"~/x"', "'~'", "x\\~"])
def test_a_tilde_a_shell_leaves_alone_is_kept(value):
    tree = MemoryTree({"context.sh": f"VMID=1\nUSERNAME={value}\n".encode()})
    md = parse_opennebula(tree, source="opennebula")
    assert "~" in md.meta["admin_username"]


class Router:
    """A CloudStack router on 127.0.0.1 over real sockets: metadata on one port, a password
    server on another that trickles header lines for ``trickle_s`` seconds (each read well
    inside the read timeout), then answers ``late-password``; ``abandoned`` is set when the
    client hangs up before that. Bounded: each connection ends within ``trickle_s``. With
    ``raw``, the password server sends those bytes instead, as they are, and hangs up."""

    def __init__(self, trickle_s: float = 0.0, raw: bytes | None = None) -> None:
        self.trickle_s = trickle_s
        self.raw = raw
        self.listeners = [socket.create_server(("127.0.0.1", 0)) for _ in range(2)]
        self.stop = threading.Event()
        self.abandoned = threading.Event()
        self.handlers: list[threading.Thread] = []
        for listener, handler in zip(self.listeners, (self.metadata, self.password), strict=True):
            threading.Thread(target=self.serve, args=(listener, handler), daemon=True).start()

    @property
    def ports(self) -> tuple[int, int]:
        return self.listeners[0].getsockname()[1], self.listeners[1].getsockname()[1]

    def serve(self, listener, handler) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            thread = threading.Thread(target=handler, args=(conn,), daemon=True)
            self.handlers.append(thread)
            thread.start()

    @staticmethod
    def answer(conn, body: bytes) -> None:
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: %d\r\n\r\n" % len(body) + body
        )

    def metadata(self, conn) -> None:
        with conn:
            path = conn.recv(65536).split(b" ")[1]
            if path == b"/latest/meta-data/instance-id":
                self.answer(conn, b"i-9")
            else:
                conn.sendall(
                    b"HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
                )

    def password(self, conn) -> None:
        with conn:
            conn.recv(65536)
            if self.raw is not None:
                conn.sendall(self.raw)
                return
            try:
                conn.sendall(b"HTTP/1.1 200 OK\r\n")
                until = time.monotonic() + self.trickle_s
                while time.monotonic() < until and not self.stop.is_set():
                    conn.sendall(b"X-Slow: 1\r\n")
                    time.sleep(0.05)
                body = b"late-password"
                conn.sendall(b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
            except OSError:  # the client hung up (EPIPE, ECONNRESET)
                self.abandoned.set()

    def close(self) -> None:
        for thread in list(self.handlers):
            thread.join(self.trickle_s + 5)
        self.stop.set()
        for listener in self.listeners:
            listener.close()


def load_from(router: Router, platform):
    try:
        metadata_port, password_port = router.ports
        client = create_client()
        config = with_section(
            AgentConfig(),
            "cloudstack",
            url=f"http://127.0.0.1:{metadata_port}",
            password_port=password_port,
            timeout=0.5,
        )
        source = CloudStackSource(SourceDeps(config=config, platform=platform, http=lambda: client))
        md = source.load()
        if md.acknowledge_password is not None:
            md.acknowledge_password()
        client.close()
    finally:
        router.close()
    return md


def test_a_password_server_trickling_headers_is_abandoned_at_the_deadline(platform):
    """httpcore reads headers in one loop with one per-read timeout: 100 KiB of header lines,
    each inside the timeout, held a request for up to 100 KiB x the timeout (about 18 h at
    5 s) until agent/http.py cut the socket at the deadline."""
    router = Router(trickle_s=3.0)
    md = load_from(router, platform)
    assert (md.instance_id, md.admin_pass) == ("i-9", None)
    assert router.abandoned.is_set()  # the agent hung up, not the server


def test_ovf_properties_of_nested_sections_are_read_once():
    """A section inside a section (not DSP0243's layout, but XML allows it): each property is
    read from the section that holds it, once, not again for every enclosing section."""
    inner = '<Property oe:key="public-keys" oe:value="ssh-ed25519 AAAA one"/>'
    doc = (
        f'<Environment xmlns="{NS}" xmlns:oe="{NS}">'
        + "<PropertySection>" * 3
        + inner
        + "</PropertySection>" * 3
        + "</Environment>"
    ).encode()
    md = metadata_from_ovf(doc, source="ovf", where="ovf-env.xml")
    assert list(md.public_keys.values()) == ["ssh-ed25519 AAAA one"]


def test_context_values_read_as_bash_reads_them():
    """Expected values from ``bash -c '. file; printf %q'`` on the same text."""
    text = (
        'A=abc\\ def\'x y\'"q\\"r\\$s\\\\t\\a"tail\n'
        'B="multi\nline"x\\\ny\n'
        "C=a:b~c:'~'\n"
        "D=\"a'b\"'c\"d'\n"
        "E=x=y#z\n"
    )
    env = parse_shell_vars(text, where="context.sh")
    assert env == {
        "A": 'abc defx yq"r$s\\t\\atail',
        "B": "multi\nlinexy",
        "C": "a:b~c:~",
        "D": "a'bc\"d",
        "E": "x=y#z",
    }


def test_a_context_of_endless_repeated_assignments_is_refused():
    text = "VMID=1\n" + "A=''\n" * (MAX_ASSIGNMENTS + 1)
    with pytest.raises(InvalidMetadata, match=f"more than {MAX_ASSIGNMENTS} assignments"):
        parse_shell_vars(text, where="context.sh")
    assert parse_shell_vars("A=1\n" * MAX_ASSIGNMENTS, where="context.sh") == {"A": "1"}


SINGLE_FILE = {
    "opennebula": (
        "context.sh",
        b"VMID=41\n",
        lambda tree: parse_opennebula(tree, source="opennebula"),
    ),
    "ovf": (
        "ovf-env.xml",
        ovf_env(("instance-id", "41")),
        lambda tree: parse_ovf(tree, source="ovf"),
    ),
}


@pytest.mark.parametrize("case", [str.upper, str.title, str.lower])
@pytest.mark.parametrize(("name", "data", "parse"), SINGLE_FILE.values(), ids=SINGLE_FILE.keys())
def test_the_drive_file_is_found_whatever_its_case(name, data, parse, case):
    """As Windows finds it on the mounted CD (a case-insensitive file system)."""
    assert parse(MemoryTree({case(name): data})).instance_id == "41"


@pytest.mark.parametrize(("name", "data", "parse"), SINGLE_FILE.values(), ids=SINGLE_FILE.keys())
def test_two_drive_files_differing_in_case_only_are_refused(name, data, parse):
    tree = MemoryTree({name.upper(): data, name.title(): data})
    with pytest.raises(InvalidMetadata, match="in different cases"):
        parse(tree)


@pytest.mark.parametrize("separator", ["\x85", "\u2028", "\u2029"])
def test_a_cloudstack_instance_id_with_a_unicode_line_break_is_refused(separator):
    """As every other source refuses it (base.checked_instance_id): it goes into log lines."""
    files = {"latest/meta-data/instance-id": f"i-1{separator}forged".encode()}
    with pytest.raises(InvalidMetadata, match="one short line"):
        parse_cloudstack(MemoryTree(files), source="cloudstack")


@pytest.mark.parametrize("mtu", ["9" * 5000, "1" * 10, "\u00b2"])
def test_an_mtu_that_is_not_a_plain_number_is_left_out_not_a_crash(mtu):
    tree = MemoryTree(
        {"context.sh": f"VMID=1\nETH0_MAC='02:00:0a:00:00:05'\nETH0_MTU='{mtu}'\n".encode()}
    )
    md = parse_opennebula(tree, source="opennebula")
    assert md.network_data is not None
    assert "mtu" not in md.network_data["links"][0]


@pytest.mark.parametrize(
    "raw",
    [
        b"HTTP/1.0 200 OK\r\nSecret-Pass-2026\r\n\r\n",  # the blank line forgotten
        b"HTTP/1.0 2OO Secret-Pass-2026\r\n\r\n",
        b"Secret-Pass-2026 HTTP/1.0 200 OK\r\n\r\n",
    ],
    ids=["as-a-header-line", "in-a-bad-status-line", "before-the-status"],
)
def test_a_password_in_a_malformed_answer_never_reaches_the_log(platform, caplog, raw):
    """httpx's parser quotes the line it could not read in its error; the password server's
    failures are logged without that text (what failed, not what the server said)."""
    with caplog.at_level("DEBUG", logger="wincloud"):  # what the agent's log handlers get
        md = load_from(Router(raw=raw), platform)
    assert (md.instance_id, md.admin_pass) == ("i-9", None)
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("wincloud")]
    assert any("password server unavailable" in m for m in ours)
    assert not any("Secret-Pass" in m for m in ours)


@pytest.mark.parametrize("load", YAML_LOADERS.values(), ids=YAML_LOADERS.keys())
def test_a_yaml_document_of_too_many_nodes_is_not_read_past_the_bound(load):
    """Stopped at its 100,001st node, before anything is composed: the syntax error after
    that point is never reached (composed whole first, 4 MiB of ``[1,1,…]`` took 19 s and
    1 GB before being refused; a 16 MiB guestinfo value 78 s and 3.8 GB)."""
    doc = b"[" + b"1," * (MAX_NODES + 1) + b"1]]] this is not YAML"
    with pytest.raises(InvalidMetadata, match=f"more than {MAX_NODES} nodes"):
        load(doc)


@pytest.mark.parametrize("load", YAML_LOADERS.values(), ids=YAML_LOADERS.keys())
def test_a_yaml_document_nested_too_deep_is_not_read_past_the_bound(load):
    doc = b"[" * (MAX_DEPTH + 1) + b"1" + b"]" * (MAX_DEPTH + 1) + b" ]] not YAML"
    with pytest.raises(InvalidMetadata, match=f"nested deeper than {MAX_DEPTH} levels"):
        load(doc)


@pytest.mark.parametrize(
    "name", ["meta_data.json", "network_data.json", "vendor_data.json", "vendor_data2.json"]
)
def test_an_openstack_json_file_of_too_many_values_is_refused_before_parsing(name):
    """Refused before json.loads builds it: the syntax error after the bound is not reached."""
    files = {"openstack/latest/meta_data.json": b'{"uuid": "i-1"}'}
    files[f"openstack/latest/{name}"] = b"[" + b"[]," * (MAX_JSON_VALUES + 1) + b"[]]]] not JSON"
    with pytest.raises(InvalidMetadata, match=f"more than {MAX_JSON_VALUES} JSON values"):
        parse_openstack(MemoryTree(files), source="configdrive")


MOUNTED = {
    "opennebula": ("CONTEXT", "context.sh", b"VMID=99\n", OpenNebulaSource),
    "ovf": ("OVF ENV", "ovf-env.xml", ovf_env(("instance-id", "99")), OvfSource),
    "nocloud": ("cidata", "meta-data", b"instance-id: '99'\n", NoCloudSource),
    "configdrive": (
        "config-2",
        "openstack/latest/meta_data.json",
        b'{"uuid": "99"}',
        ConfigDriveSource,
    ),
}


@pytest.mark.parametrize(("label", "name", "data", "kind"), MOUNTED.values(), ids=MOUNTED.keys())
def test_a_mounted_drive_whose_file_links_out_of_it_is_refused(
    tmp_path, platform, make_deps, label, name, data, kind
):
    """A drive mounted as a directory (Windows' drive letter for the CD): a link on it that
    leads out of it is not followed to a file of the guest."""
    guest_file = tmp_path / "guest-secret"
    guest_file.write_bytes(data)
    drive = tmp_path / "drive"
    (drive / name).parent.mkdir(parents=True)
    (drive / name).symlink_to(guest_file)
    platform.volumes.labelled[label] = drive
    source = kind(make_deps(AgentConfig(nocloud=NoCloudConfig(seed_dirs=[]))))
    assert source.probe() is True
    with pytest.raises(InvalidMetadata, match="a link that leads out of the drive"):
        source.load()
    (drive / name).unlink()
    (drive / name).write_bytes(data)  # the same file on the drive itself is read
    assert (
        kind(make_deps(AgentConfig(nocloud=NoCloudConfig(seed_dirs=[])))).load().instance_id == "99"
    )
