"""The driver's options in a cinder.conf backend section (oslo.config; imported inside Cinder).

An example (docs/hyperv-storage.md has the whole story)::

    [DEFAULT]
    enabled_backends = windows-iscsi

    [windows-iscsi]
    volume_driver = wincloud.hyperv.cinder.WindowsISCSIDriver
    volume_backend_name = windows-iscsi
    hyperv_host = storage01.example.net
    hyperv_username = EXAMPLE\\cinder-iscsi
    hyperv_password = ...
    windows_iscsi_lun_path = D:\\iSCSIVirtualDisks
    target_ip_address = 192.0.2.10
    target_port = 3260
    use_chap_auth = true

Cinder's own iSCSI options are read from the same section: ``target_ip_address``,
``iscsi_secondary_ip_addresses``, ``target_port``, ``use_chap_auth``, ``chap_username``,
``chap_password`` (``target_prefix`` is not used: Windows names its targets' IQNs itself).
"""

from __future__ import annotations

from typing import Any

from oslo_config import cfg

from wincloud.errors import ConfigError
from wincloud.hyperv.cinder.volumes import BackendSettings, VolumeHost
from wincloud.secret import Secret

OPTS = [
    cfg.StrOpt(
        "windows_iscsi_lun_path",
        default="C:\\iSCSIVirtualDisks",
        help="Host folder holding the volumes' VHDX files (the name of Cinder's removed "
        "Windows driver option).",
    ),
    cfg.BoolOpt(
        "windows_iscsi_fixed_disks",
        default=False,
        help="Create fixed (fully allocated) VHDX volumes instead of dynamic ones.",
    ),
    cfg.StrOpt(
        "hyperv_transport",
        default="psrp",
        choices=[
            ("psrp", "PowerShell remoting over WinRM (pypsrp)"),
            ("fake", "an in-memory fake host (tests and demos only)"),
        ],
        help="How the driver reaches the Windows host.",
    ),
    cfg.StrOpt("hyperv_host", help="The Windows host's DNS name or address (WinRM endpoint)."),
    cfg.PortOpt("hyperv_port", help="WinRM port (default 5986 with TLS, else 5985)."),
    cfg.BoolOpt("hyperv_use_ssl", default=True, help="WinRM over HTTPS. Keep it on."),
    cfg.StrOpt("hyperv_ca_file", help="CA bundle that signed the host's WinRM certificate."),
    cfg.BoolOpt("hyperv_verify_certificate", default=True, help="Check the WinRM certificate."),
    cfg.StrOpt(
        "hyperv_auth",
        default="negotiate",
        choices=["negotiate", "kerberos", "ntlm", "credssp", "certificate", "basic"],
        help="WinRM authentication.",
    ),
    cfg.StrOpt("hyperv_username", help="Account on the host (a local administrator)."),
    cfg.StrOpt("hyperv_password", secret=True, help="Its password."),
    cfg.FloatOpt(
        "hyperv_operation_timeout", default=300.0, min=1, help="Seconds one host call may take."
    ),
    cfg.IntOpt(
        "hyperv_image_chunk_mb", default=8, min=1, max=256, help="Image transfer chunk, in MiB."
    ),
]

# transport=fake: one FakeHost per hyperv_host name, shared by every driver in the process (the
# tests look at the same host the driver changed).
FAKE_HOSTS: dict[str, Any] = {}


def settings(conf: Any) -> BackendSettings:
    address, port = conf.safe_get("target_ip_address"), conf.safe_get("target_port") or 3260
    addresses = [address, *(conf.safe_get("iscsi_secondary_ip_addresses") or [])]
    password = conf.safe_get("chap_password")
    return BackendSettings(
        volume_dir=conf.windows_iscsi_lun_path,
        portals=tuple(f"{a}:{port}" for a in addresses if a and a != "$my_ip"),
        use_chap=bool(conf.safe_get("use_chap_auth")),
        chap_username=conf.safe_get("chap_username") or "",
        chap_password=Secret(password) if password else None,
        fixed_disks=bool(conf.windows_iscsi_fixed_disks),
        chunk_bytes=conf.hyperv_image_chunk_mb * 2**20,
    )


def connect(conf: Any) -> VolumeHost:
    """The host named in the backend section; nothing goes over the wire until the first call."""
    name = conf.hyperv_host or ""
    if conf.hyperv_transport == "fake":
        from wincloud.hyperv.fake import FakeHost

        if name not in FAKE_HOSTS:
            FAKE_HOSTS[name] = FakeHost(name=f"fake:{name}", hostname=name or "HV-FAKE01")
        host: VolumeHost = FAKE_HOSTS[name]
        return host
    if not name:
        raise ConfigError(
            "no Windows host configured",
            subject="hyperv_host",
            hint="set it to the host's DNS name (the name on its WinRM certificate)",
        )
    from wincloud.hyperv.psrp import HostSettings, PsrpHost

    password = conf.hyperv_password
    host_settings = HostSettings(
        host=name,
        user=conf.hyperv_username,
        password=Secret(password) if password else None,
        transport="https" if conf.hyperv_use_ssl else "http",
        port=conf.hyperv_port,
        auth=conf.hyperv_auth,
        cert_validation=conf.hyperv_ca_file or conf.hyperv_verify_certificate,
        call_timeout_s=conf.hyperv_operation_timeout,
    )
    # host_info() then reports the volume holding the volumes' folder (capacity stats)
    return PsrpHost(host_settings, instances_path=conf.windows_iscsi_lun_path)
