"""WinRM: an HTTPS listener, and certificate authentication for the administrator.

Listener (``winrm.https_listener``): on ``winrm.port`` (5986) with the certificate
``winrm.certificate_thumbprint`` when given (it must be in LocalMachine\\My), else a
self-signed one made for the host name (``winrm.certificate_days``), made once per instance.

Certificate authentication (``winrm.cert_auth``): each client certificate of the metadata
(Nova ``x509`` keypairs, the ``admin_cert0``, ``admin_cert1``, ... meta keys joined, or a
user-data that is a PEM certificate) is trusted (LocalMachine Root and TrustedPeople) and
mapped, by the UPN it names, to the administrator. Mapping needs the administrator's
password: only the run in which the password plugin set it can map (else a warning). All
certificates are checked before anything changes. POSIX: skipped.

Opt-ins, each off unless set, each logged as a warning when on (nothing is turned off when
they are off: the image's settings stay): ``winrm.http_listener`` (a plain HTTP listener on
``winrm.http_port``, 5985, and its firewall rule), ``winrm.allow_basic`` (the service's Basic
authentication) and ``winrm.allow_unencrypted`` (its AllowUnencrypted, which Basic over HTTP
needs: without it Basic works over HTTPS only).
"""

from __future__ import annotations

import logging
import secrets
from typing import ClassVar, Final

from wincloud.agent.plugins._admin import admin_username
from wincloud.agent.plugins._certs import (
    ClientCertificate,
    parse_client_certificate,
    self_signed_pfx,
    split_pem,
)
from wincloud.agent.plugins.base import Frequency, Outcome, RunContext, Stage
from wincloud.agent.userdata.parts import parse_userdata
from wincloud.errors import InvalidMetadata, NotSupported, PluginFailed
from wincloud.secret import Secret

log = logging.getLogger(__name__)

META_CERT: Final = "admin_cert"
MEMO_THUMBPRINT: Final = "thumbprint"


def client_certificates(ctx: RunContext) -> list[ClientCertificate]:
    metadata = ctx.metadata
    sources: list[tuple[str, bytes]] = [
        (f"{metadata.where} keys x509", pem.encode()) for pem in metadata.client_certificates
    ]
    chunks = []
    for index in range(100):
        chunk = metadata.meta.get(f"{META_CERT}{index}")
        if chunk is None:
            break
        chunks.append(chunk)
    if chunks:
        sources.append((f"meta.{META_CERT}0..{len(chunks) - 1}", "".join(chunks).encode()))
    if metadata.user_data:
        for pem in parse_userdata(metadata.user_data).certificates():
            sources.append(("user-data", pem))
    found: dict[str, ClientCertificate] = {}
    for where, text in sources:
        blocks = split_pem(text)
        if not blocks:
            raise InvalidMetadata("holds no PEM certificate", subject=where)
        for der in blocks:
            cert = parse_client_certificate(der, where=where)
            if not cert.is_self_signed:
                raise InvalidMetadata(
                    "a WinRM client certificate must be self-signed (it is its own issuer)",
                    subject=where,
                )
            found.setdefault(cert.thumbprint, cert)
    return list(found.values())


class WinRMPlugin:
    name: ClassVar[str] = "winrm"
    stage: ClassVar[Stage] = Stage.MAIN
    frequency: ClassVar[Frequency] = Frequency.PER_INSTANCE

    def run(self, ctx: RunContext) -> Outcome:
        config = ctx.config.winrm
        try:
            listeners = ctx.platform.remote_access.winrm_listeners()
        except NotSupported as exc:
            log.info("winrm skipped reason=not-supported detail=%s", exc)
            return Outcome.SKIPPED
        clients = client_certificates(ctx) if config.cert_auth else []
        if config.https_listener:
            thumbprint = self._certificate(ctx)
            changed = ctx.platform.remote_access.set_winrm_https_listener(
                port=config.port, thumbprint=thumbprint
            )
            log.info(
                "winrm https listener port=%d thumbprint=%s changed=%s listeners_before=%d",
                config.port,
                thumbprint,
                changed,
                len(listeners),
            )
        self._opt_ins(ctx)
        if clients:
            self._map(ctx, clients)
        return Outcome.DONE

    @staticmethod
    def _opt_ins(ctx: RunContext) -> None:
        config, access = ctx.config.winrm, ctx.platform.remote_access
        if config.http_listener:
            changed = access.set_winrm_http_listener(port=config.http_port)
            log.warning(
                "winrm http listener on port=%d changed=%s: plain HTTP, opted in with "
                "winrm.http_listener",
                config.http_port,
                changed,
            )
        if config.allow_basic:
            log.warning(
                "winrm basic authentication on: every request carries the user name and "
                "password (base64), opted in with winrm.allow_basic"
            )
        if config.allow_unencrypted:
            log.warning(
                "winrm unencrypted messages allowed: over HTTP, requests and any Basic "
                "password cross the network in clear, opted in with winrm.allow_unencrypted"
            )
        if config.allow_basic or config.allow_unencrypted:
            changed = access.set_winrm_service(
                basic=True if config.allow_basic else None,
                allow_unencrypted=True if config.allow_unencrypted else None,
            )
            log.info("winrm service settings changed=%s", changed)
        if config.http_listener and config.allow_basic and not config.allow_unencrypted:
            log.warning(
                "winrm basic authentication over the HTTP listener needs "
                "winrm.allow_unencrypted = true; until then it works over HTTPS only"
            )

    @staticmethod
    def _certificate(ctx: RunContext) -> str:
        certificates = ctx.platform.certificates
        given = ctx.config.winrm.certificate_thumbprint.replace(" ", "").upper()
        if given:
            if not certificates.has(given):
                raise PluginFailed(
                    "no certificate with this thumbprint (and its key) in LocalMachine\\My",
                    subject=given,
                    hint="import it first, or leave winrm.certificate_thumbprint empty",
                )
            return given
        made = ctx.memo.get(MEMO_THUMBPRINT)
        if made and certificates.has(made):
            return made
        hostname = ctx.platform.host.hostname() or "localhost"
        password = Secret(secrets.token_urlsafe(24))
        ctx.register_secret(password.reveal())
        pfx = self_signed_pfx(hostname, days=ctx.config.winrm.certificate_days, password=password)
        thumbprint = certificates.import_pfx(pfx, password)
        ctx.memo[MEMO_THUMBPRINT] = thumbprint
        log.info("winrm certificate made subject=%s thumbprint=%s", hostname, thumbprint)
        return thumbprint

    @staticmethod
    def _map(ctx: RunContext, clients: list[ClientCertificate]) -> None:
        username = admin_username(ctx)
        password = ctx.handoff.admin_password
        if password is None:
            log.warning(
                "winrm certificates not mapped reason=password-unknown user=%s "
                "hint=the password plugin must set it in the same run",
                username,
            )
            return
        access, certificates = ctx.platform.remote_access, ctx.platform.certificates
        for cert in clients:
            certificates.trust(cert.der, store="Root")
            certificates.trust(cert.der, store="TrustedPeople")
            changed = access.map_winrm_certificate(
                subject=cert.upn,
                issuer_thumbprint=cert.thumbprint,
                username=username,
                password=password,
            )
            log.info(
                "winrm certificate mapped upn=%s thumbprint=%s user=%s changed=%s",
                cert.upn,
                cert.thumbprint,
                username,
                changed,
            )
