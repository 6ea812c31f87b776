"""What the agent knows about its instance, whichever source said it (no pydantic here: the
agent's start-up time matters), where a generated password goes, and where reports go."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from msgspec import Struct, field

from wincloud.secret import Secret


class InstanceMetadata(Struct, frozen=True):
    instance_id: str
    source: str
    """Registry name of the source that answered (``openstack_http``, ``configdrive``, ...)."""
    where: str
    """URL or device it came from."""
    hostname: str | None = None
    name: str | None = None
    public_keys: Mapping[str, str] = field(default_factory=dict)
    """Key name -> OpenSSH public key line, in the source's order."""
    admin_pass: Secret | None = None
    admin_pass_hash: Secret | None = None
    """A crypt(3) hash of the admin password, when the source gives only that (cloud-init's
    top-level ``password`` hashed, as Proxmox writes it for guests that are not Windows):
    POSIX takes it as is, Windows cannot."""
    userdata_keys_taken: tuple[str, ...] = ()
    """Top-level cloud-config keys of ``user_data`` the source already turned into fields
    (NoCloud's ``user``, ``password``, ``ssh_authorized_keys``): not reported as unsupported."""
    user_data: bytes | None = None
    vendor_data: Any = None
    vendor_data2: Any = None
    network_data: Mapping[str, Any] | None = None
    """Nova's network_data.json, as served (None when the source gives none)."""
    meta: Mapping[str, str] = field(default_factory=dict)
    files: Mapping[str, bytes] = field(default_factory=dict)
    """Injected files: guest path -> content (config drives only)."""
    availability_zone: str | None = None
    project_id: str | None = None
    launch_index: int | None = None
    local_ipv4: str | None = None
    client_certificates: tuple[str, ...] = ()
    """PEM client certificates for WinRM certificate authentication (Nova ``x509`` keypairs:
    ``keys`` entries of type ``x509`` in meta_data.json)."""
    acknowledge_password: Callable[[], None] | None = None
    """Tells the source that ``admin_pass`` is in effect (CloudStack's password server forgets
    a password only when told so); the password plugin calls it after setting the password."""

    def __repr__(self) -> str:  # user data, meta and vendor data may be private
        return (
            f"InstanceMetadata(instance_id={self.instance_id!r}, source={self.source!r}, "
            f"where={self.where!r})"
        )

    def find_rsa_key(self) -> str | None:
        """The first ``ssh-rsa`` public key (the one Nova's get-password decrypts with)."""
        return next((k for k in self.public_keys.values() if k.startswith("ssh-rsa ")), None)


class PasswordSink(Protocol):
    """Where an encrypted generated password is posted (the metadata service's password path)."""

    where: str

    def is_set(self) -> bool:
        """True when a password was already posted for this instance."""
        ...

    def read(self) -> bytes | None:
        """The ciphertext the service holds for this instance (None when it holds none)."""
        ...

    def post(self, ciphertext: bytes) -> None:
        """Post the base64 ciphertext; PasswordAlreadySet when the service answers 409."""
        ...


class ReportSink(Protocol):
    """Where the agent reports outcomes back to the metadata service (wincloud's own
    endpoints, ``<openstack base>/openstack/latest/wincloud/<name>``; docs/plugins.md)."""

    where: str

    def post(self, name: str, document: Mapping[str, Any]) -> bool:
        """POST ``document`` as JSON to the report ``name`` (``activation``). True when the
        service took it; False when it does not offer that report (HTTP 404/405/501).
        SourceUnavailable for a transport failure or a 5xx; SourceError for another refusal."""
        ...
