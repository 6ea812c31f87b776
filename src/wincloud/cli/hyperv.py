"""``wincloud hyperv``: look at a Hyper-V host over PowerShell remoting.

``check`` answers "can wincloud drive this host?" one line per check (WinRM, Hyper-V role,
vSwitch, free space, Windows version) and exits 1 when one fails; ``vms`` and ``host-info`` show
what the host reports. ``--host fake:`` (or ``--fake``, or WINCLOUD_HYPERV_FAKE=1) uses the
in-memory fake host with a few demo VMs instead of a real one.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from wincloud.errors import ConfigError, HostAuthFailed, HostTimeout, HostUnreachable, HyperVError

if TYPE_CHECKING:
    from wincloud.hyperv.host import HostInfo, HyperVHost

MIN_BUILD = 14393  # Windows Server 2016: PowerShell 5.1 and the Hyper-V cmdlets our scripts use
FAKE_PREFIX = "fake:"
AUTHS = ("negotiate", "ntlm", "kerberos", "basic", "credssp", "certificate")


def _host_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option(
            "--host",
            envvar="WINCLOUD_HYPERV_HOST",
            metavar="H",
            help="Hyper-V host name or address ('fake:' for the demo fake host).",
        ),
        click.option(
            "--fake",
            is_flag=True,
            envvar="WINCLOUD_HYPERV_FAKE",
            help="Use the in-memory fake host (demos, no Windows needed).",
        ),
        click.option(
            "--user",
            envvar="WINCLOUD_HYPERV_USER",
            metavar="U",
            help="WinRM user (DOMAIN\\user or user@REALM).",
        ),
        click.option(
            "--password-env",
            default="WINCLOUD_HYPERV_PASSWORD",
            show_default=True,
            metavar="VAR",
            help="Environment variable that holds the password.",
        ),
        click.option(
            "--transport", type=click.Choice(["https", "http"]), default="https", show_default=True
        ),
        click.option(
            "--port",
            type=click.IntRange(1, 65535),
            help="WinRM port [default: 5986 for https, 5985 for http].",
        ),
        click.option("--auth", type=click.Choice(AUTHS), default="negotiate", show_default=True),
        click.option(
            "--ca-bundle",
            type=click.Path(exists=True, dir_okay=False),
            help="CA bundle to validate the host's certificate against.",
        ),
        click.option("--no-verify", is_flag=True, help="Do not validate the TLS certificate."),
        click.option(
            "--cert-pem",
            type=click.Path(exists=True, dir_okay=False),
            help="Client certificate (--auth certificate).",
        ),
        click.option(
            "--cert-key-pem",
            type=click.Path(exists=True, dir_okay=False),
            help="Client certificate key (--auth certificate).",
        ),
        click.option(
            "--timeout",
            type=click.FloatRange(1, 3600),
            default=60.0,
            show_default=True,
            help="Seconds allowed for each call.",
        ),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _demo_fake() -> HyperVHost:
    from wincloud.hyperv.fake import FakeHost
    from wincloud.hyperv.host import SwitchInfo, VmAction, VmSpec

    fake = FakeHost(
        switches=(SwitchInfo("external", "External"), SwitchInfo("internal", "Internal"))
    )
    fake.create_vm(VmSpec("demo-web-1", cpu_count=2, memory_mb=4096, notes="demo"))
    fake.create_vm(VmSpec("demo-db-1", cpu_count=4, memory_mb=8192, notes="demo"))
    fake.set_vm_state("demo-web-1", VmAction.START)
    return fake


def _open_host(opts: dict[str, Any]) -> HyperVHost:
    host = opts["host"] or ""
    if opts["fake"] or host.startswith(FAKE_PREFIX):
        return _demo_fake()
    if not host:
        raise ConfigError(
            "no host given",
            subject="--host",
            hint="pass --host H, set WINCLOUD_HYPERV_HOST, or use --fake",
        )
    from wincloud.hyperv.psrp import HostSettings, PsrpHost
    from wincloud.secret import Secret

    password = os.environ.get(opts["password_env"])
    if opts["user"] and password is None and opts["auth"] not in ("kerberos", "certificate"):
        raise ConfigError(
            f"the password variable {opts['password_env']} is not set",
            subject="--password-env",
            hint="export it, or name another variable with --password-env",
        )
    if opts["transport"] == "http" and opts["auth"] == "basic":
        click.echo("warning: basic auth over http sends the password unencrypted", err=True)
    verify: bool | str = opts["ca_bundle"] or not opts["no_verify"]
    settings = HostSettings(
        host=host,
        user=opts["user"],
        password=Secret(password) if password else None,
        transport=opts["transport"],
        port=opts["port"],
        auth=opts["auth"],
        cert_validation=verify,
        certificate_pem=opts["cert_pem"],
        certificate_key_pem=opts["cert_key_pem"],
        call_timeout_s=opts["timeout"],
        read_timeout_s=max(30.0, min(opts["timeout"], 60.0)),
    )
    return PsrpHost(settings)


def _with_host(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(**kwargs: Any) -> Any:
        keys = (
            "host",
            "fake",
            "user",
            "password_env",
            "transport",
            "port",
            "auth",
            "ca_bundle",
            "no_verify",
            "cert_pem",
            "cert_key_pem",
            "timeout",
        )
        opts = {k: kwargs.pop(k) for k in keys}
        host = _open_host(opts)
        try:
            return fn(host, **kwargs)
        finally:
            host.close()

    return wrapper


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


@click.group()
def hyperv() -> None:
    """Hyper-V hosts driven over PowerShell remoting (WinRM)."""


@hyperv.command("check")
@_host_options
@click.option(
    "--switch",
    "switch",
    envvar="WINCLOUD_HYPERV_SWITCH",
    metavar="NAME",
    help="The vSwitch instances plug into (checked when given).",
)
@click.option(
    "--instances-path",
    metavar="PATH",
    help="Where instances live [default: the host's VirtualHardDiskPath].",
)
@click.option("--min-free-gb", type=click.FloatRange(0), default=20.0, show_default=True)
@_with_host
def check(
    host: HyperVHost, switch: str | None, instances_path: str | None, min_free_gb: float
) -> None:
    """One line per check; exit status 1 when any fails."""
    if instances_path and hasattr(host, "instances_path"):
        host.instances_path = instances_path
    failed = 0

    def line(ok: bool | None, name: str, text: str) -> None:
        nonlocal failed
        mark = {True: "ok  ", False: "FAIL", None: "skip"}[ok]
        failed += ok is False
        click.echo(f"{mark} {name:<16} {text}")

    info: HostInfo | None = None
    try:
        info = host.host_info()
        line(True, "winrm", f"answered as {info.hostname}")
    except (HostUnreachable, HostAuthFailed, HostTimeout) as err:
        line(False, "winrm", f"{err}" + (f" ({err.hint})" if err.hint else ""))
    except HyperVError as err:
        line(False, "winrm", f"connected, but the host facts failed: {err}")
    if info is None:
        for name in ("hyperv-role", "vswitch", "free-space", "windows-version"):
            line(None, name, "not checked: no answer from the host")
        sys.exit(1)
    line(
        bool(info.hyperv_version),
        "hyperv-role",
        f"Hyper-V {info.hyperv_version}"
        if info.hyperv_version
        else "the Hyper-V role (vmms) is not installed",
    )
    if switch:
        try:
            names = {s.name: s.switch_type for s in host.list_switches()}
        except HyperVError as err:
            line(False, "vswitch", f"cannot list switches: {err}")
        else:
            if switch in names:
                line(True, "vswitch", f"{switch} ({names[switch]})")
            else:
                line(
                    False,
                    "vswitch",
                    f"{switch} not found; the host has: "
                    + (", ".join(sorted(names)) or "no switch"),
                )
    else:
        line(None, "vswitch", "no --switch given")
    line(
        info.disk_gb_free >= min_free_gb,
        "free-space",
        f"{info.disk_gb_free:.1f} GB free of {info.disk_gb_total:.1f} GB on "
        f"{info.instances_path} (need {min_free_gb:g})",
    )
    line(
        info.os_build >= MIN_BUILD,
        "windows-version",
        f"{info.os_caption or 'Windows'} {info.os_version} (build {info.os_build}; "
        f"need {MIN_BUILD} or later)",
    )
    if failed:
        sys.exit(1)


@hyperv.command("vms")
@_host_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@_with_host
def vms(host: HyperVHost, as_json: bool) -> None:
    """The host's VMs: name, state, generation, CPUs, memory, uptime."""
    from wincloud.cli.output import echo_json, render_table

    found = host.list_vms()
    if as_json:
        echo_json([_jsonable(v) for v in found])
        return
    rows = [
        [
            v.name,
            v.state.value,
            str(v.generation),
            str(v.cpu_count),
            str(v.memory_mb),
            f"{int(v.uptime_s)}s",
            v.notes,
        ]
        for v in found
    ]
    click.echo(render_table(["NAME", "STATE", "GEN", "CPUS", "MEMORY_MB", "UPTIME", "NOTES"], rows))


@hyperv.command("host-info")
@_host_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@_with_host
def host_info(host: HyperVHost, as_json: bool) -> None:
    """OS, CPUs, memory, disk and Hyper-V version as the host reports them."""
    from wincloud.cli.output import echo_json

    info = host.host_info()
    if as_json:
        echo_json(_jsonable(info))
        return
    for field in dataclasses.fields(info):
        click.echo(f"{field.name}: {getattr(info, field.name)}")


from wincloud.cli.hyperv_network import network_agent  # noqa: E402  (a light module)

hyperv.add_command(network_agent)
