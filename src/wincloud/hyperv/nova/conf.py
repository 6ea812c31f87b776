"""The driver's ``[hyperv]`` options in nova.conf (oslo.config; imported only inside Nova).

An example (see docs/hyperv.md)::

    [DEFAULT]
    compute_driver = wincloud.HyperVDriver

    [hyperv]
    host = hv01.example.net
    username = EXAMPLE\\nova-hyperv
    password = ...
    vswitch_name = external
"""

from __future__ import annotations

from typing import Any

from oslo_config import cfg

from wincloud.hyperv.host import HyperVHost
from wincloud.hyperv.nova.plan import DriverSettings

GROUP = "hyperv"

OPTS = [
    cfg.StrOpt(
        "transport",
        default="psrp",
        choices=[
            ("psrp", "PowerShell remoting over WinRM (pypsrp)"),
            ("fake", "an in-memory fake host (tests and demos only)"),
        ],
        help="How the driver reaches the Hyper-V host.",
    ),
    cfg.StrOpt("host", help="The Hyper-V host's DNS name or address (WinRM endpoint)."),
    cfg.PortOpt("port", help="WinRM port (default 5986 with use_ssl, else 5985)."),
    cfg.BoolOpt("use_ssl", default=True, help="WinRM over HTTPS. Keep it on outside a lab."),
    cfg.StrOpt(
        "ca_file",
        help="CA bundle that signed the host's WinRM certificate (default: the system store).",
    ),
    cfg.BoolOpt(
        "verify_certificate", default=True, help="Check the WinRM certificate and host name."
    ),
    cfg.StrOpt(
        "auth",
        default="negotiate",
        choices=["negotiate", "kerberos", "ntlm", "credssp", "certificate", "basic"],
        help="WinRM authentication.",
    ),
    cfg.StrOpt("username", help="Account on the host (member of Hyper-V Administrators)."),
    cfg.StrOpt("password", secret=True, help="Its password."),
    cfg.StrOpt("client_certificate", help="PEM file of the client certificate (auth=certificate)."),
    cfg.StrOpt("client_key", help="PEM file of its private key (auth=certificate)."),
    cfg.StrOpt("vswitch_name", help="The Hyper-V virtual switch instances' NICs connect to."),
    cfg.StrOpt(
        "instances_path",
        help="Host folder for instance disks and the image cache "
        "(default: the host's VirtualHardDiskPath).",
    ),
    cfg.IntOpt(
        "default_generation",
        default=2,
        choices=[1, 2],
        help="VM generation when the image has no hw_machine_type (hyperv-gen1|hyperv-gen2).",
    ),
    cfg.FloatOpt(
        "soft_reboot_timeout",
        default=60.0,
        min=0,
        help="Seconds a guest gets to shut down on a soft reboot before a hard reset.",
    ),
    cfg.FloatOpt("operation_timeout", default=300.0, min=1, help="Seconds one host call may take."),
    cfg.FloatOpt("connect_timeout", default=30.0, min=1, help="Seconds to reach WinRM."),
    cfg.IntOpt("image_chunk_mb", default=8, min=1, max=256, help="Image transfer chunk, in MiB."),
    cfg.IntOpt(
        "write_call_kib",
        default=1024,
        min=64,
        max=16384,
        help="Bytes sent to the host per WinRM call when copying files (images, config drives).",
    ),
]


def register(conf: Any) -> None:
    conf.register_opts(OPTS, group=GROUP)


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    return [(GROUP, OPTS)]


def settings(conf: Any) -> DriverSettings:
    group = conf.hyperv
    return DriverSettings(
        vswitch=group.vswitch_name or "",
        instances_path=group.instances_path,
        default_generation=group.default_generation,
        shutdown_timeout_s=group.soft_reboot_timeout,
        chunk_bytes=group.image_chunk_mb * 2**20,
    )


def connect(conf: Any) -> HyperVHost:
    """The host named in ``[hyperv]``; nothing goes over the wire until the first call."""
    group = conf.hyperv
    if group.transport == "fake":
        from wincloud.hyperv.fake import FakeHost

        return FakeHost(name=f"fake:{conf.host}", hostname=conf.host)
    return _psrp_host(group)


def _psrp_host(group: Any) -> HyperVHost:
    from wincloud.errors import ConfigError
    from wincloud.hyperv.psrp import HostSettings, PsrpHost
    from wincloud.secret import Secret

    if not group.host:
        raise ConfigError(
            "no Hyper-V host configured",
            subject="[hyperv] host",
            hint="set it to the host's DNS name (the name on its WinRM certificate)",
        )
    settings = HostSettings(
        host=group.host,
        user=group.username,
        password=Secret(group.password) if group.password else None,
        transport="https" if group.use_ssl else "http",
        port=group.port,
        auth=group.auth,
        cert_validation=group.ca_file or group.verify_certificate,
        certificate_pem=group.client_certificate,
        certificate_key_pem=group.client_key,
        connect_timeout_s=group.connect_timeout,
        call_timeout_s=group.operation_timeout,
    )
    return PsrpHost(
        settings,
        instances_path=group.instances_path,
        write_chunk_bytes=group.write_call_kib * 1024,
    )
