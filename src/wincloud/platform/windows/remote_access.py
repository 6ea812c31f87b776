"""WindowsRemoteAccess: Remote Desktop through its registry settings (fDenyTSConnections,
RDP-Tcp PortNumber and UserAuthentication) and a firewall rule; WinRM through WS-Management
(an HTTPS listener on every address, client-certificate mappings, certificate authentication;
as an opt-in, an HTTP listener, Basic authentication and unencrypted messages), with the WinRM
service set to start automatically and running."""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from typing import Final
from xml.sax.saxutils import escape

from wincloud.errors import PlatformError
from wincloud.platform.base import RdpSettings, WinRMListener
from wincloud.platform.validate import check_port, check_thumbprint, check_username
from wincloud.platform.windows._win32.errors import ERROR_SERVICE_ALREADY_RUNNING
from wincloud.platform.windows._win32.registry import FullRegistry
from wincloud.platform.windows._win32.services import ServiceManager, StartType
from wincloud.platform.windows._win32.wsman import WsMan
from wincloud.platform.windows.certificates import WindowsCertificates
from wincloud.platform.windows.firewall import Firewall
from wincloud.secret import Secret

log = logging.getLogger(__name__)

TS: Final = r"SYSTEM\CurrentControlSet\Control\Terminal Server"
RDP_TCP: Final = TS + r"\WinStations\RDP-Tcp"
LISTENERS: Final = "winrm/config/Listener"
AUTH: Final = "winrm/config/service/auth"
NS: Final = "http://schemas.microsoft.com/wbem/wsman/1/config"
RDP_RULE: Final = "wincloud Remote Desktop"
WINRM_RULE: Final = "wincloud WinRM HTTPS"
WINRM_HTTP_RULE: Final = "wincloud WinRM HTTP"
SERVICE: Final = "winrm/config/service"


def xml_fields(xml: str) -> dict[str, str]:
    root = ET.fromstring(xml)  # noqa: S314 - documents from the local WinRM service
    return {
        re.sub(r"^\{.*\}", "", e.tag): (e.text or "").strip() for e in root.iter() if not len(e)
    }


def xml_doc(tag: str, namespace: str, values: dict[str, str]) -> str:
    body = "".join(f"<p:{k}>{escape(v)}</p:{k}>" for k, v in values.items())
    return f'<p:{tag} xmlns:p="{namespace}">{body}</p:{tag}>'


class WindowsRemoteAccess:
    def __init__(
        self,
        registry: FullRegistry,
        services: ServiceManager,
        wsman: WsMan,
        firewall: Firewall,
        certificates: WindowsCertificates,
    ) -> None:
        self.registry = registry
        self.services = services
        self.wsman = wsman
        self.firewall = firewall
        self.certificates = certificates

    # -- Remote Desktop ----------------------------------------------------------------------

    def rdp(self) -> RdpSettings:
        deny = self.registry.read_dword(TS, "fDenyTSConnections")
        port = self.registry.read_dword(RDP_TCP, "PortNumber") or 3389
        nla = self.registry.read_dword(RDP_TCP, "UserAuthentication")
        return RdpSettings(enabled=deny == 0, port=port, nla=nla != 0)

    def set_rdp(self, settings: RdpSettings) -> bool:
        check_port(settings.port, operation="rdp")
        current = self.rdp()
        self.registry.write_dword(TS, "fDenyTSConnections", 0 if settings.enabled else 1)
        self.registry.write_dword(RDP_TCP, "PortNumber", settings.port)
        self.registry.write_dword(RDP_TCP, "UserAuthentication", 1 if settings.nla else 0)
        changed = current != settings
        if settings.enabled:
            changed |= self.firewall.allow_tcp(RDP_RULE, settings.port)
        if settings.port != current.port:
            self._restart("TermService")
        if changed:
            log.info(
                "remote desktop set enabled=%s port=%d nla=%s",
                settings.enabled,
                settings.port,
                settings.nla,
            )
        return changed

    def _restart(self, name: str) -> None:
        info = self.services.query(name)
        if info is None or info.state != "running":
            return
        self.services.stop(name)
        self.services.start(name)

    # -- WinRM -------------------------------------------------------------------------------

    def _winrm_running(self) -> None:
        info = self.services.query("WinRM")
        if info is None:
            raise PlatformError("the WinRM service is not installed", operation="winrm")
        if info.start not in (StartType.AUTO, StartType.DELAYED):
            self.services.set_start("WinRM", StartType.AUTO)
        if info.state != "running":
            try:
                self.services.start("WinRM")
            except PlatformError as exc:
                if exc.os_code != ERROR_SERVICE_ALREADY_RUNNING:
                    raise

    def winrm_listeners(self) -> list[WinRMListener]:
        self._winrm_running()
        out = []
        for doc in self.wsman.enumerate(LISTENERS):
            item = xml_fields(doc)
            transport = item.get("Transport", "").lower()
            if transport in ("http", "https") and item.get("Port", "").isdigit():
                thumb = item.get("CertificateThumbprint", "").upper()
                out.append(WinRMListener(transport, int(item["Port"]), thumb))  # type: ignore[arg-type]
        return out

    def _listeners(self, transport: str) -> list[dict[str, str]]:
        docs = [xml_fields(doc) for doc in self.wsman.enumerate(LISTENERS)]
        return [item for item in docs if item.get("Transport", "").upper() == transport]

    def set_winrm_http_listener(self, *, port: int) -> bool:
        check_port(port, operation="winrm")
        self._winrm_running()
        changed = False
        http = self._listeners("HTTP")
        if not (
            len(http) == 1 and http[0].get("Address") == "*" and http[0].get("Port") == str(port)
        ):
            for item in http:
                self.wsman.delete(f"{LISTENERS}?Address={item.get('Address', '*')}+Transport=HTTP")
            values = {"Port": str(port), "Hostname": "", "Enabled": "true"}
            self.wsman.create(
                f"{LISTENERS}?Address=*+Transport=HTTP",
                xml_doc("Listener", NS + "/listener", values),
            )
            changed = True
            log.warning("winrm http listener set port=%d (plain HTTP)", port)
        changed |= self.firewall.allow_tcp(WINRM_HTTP_RULE, port)
        return changed

    def set_winrm_service(
        self, *, basic: bool | None = None, allow_unencrypted: bool | None = None
    ) -> bool:
        self._winrm_running()
        changed = False
        for resource, tag, name, value in (
            (AUTH, "Auth", "Basic", basic),
            (SERVICE, "Service", "AllowUnencrypted", allow_unencrypted),
        ):
            if value is None:
                continue
            current = self.wsman.get(resource)
            wanted = "true" if value else "false"
            if current is not None and xml_fields(current).get(name, "").lower() == wanted:
                continue
            namespace = NS + ("/service/auth" if tag == "Auth" else "/service")
            self.wsman.put(resource, xml_doc(tag, namespace, {name: wanted}))
            log.info("winrm service set %s=%s", name, wanted)
            changed = True
        return changed

    def set_winrm_https_listener(self, *, port: int, thumbprint: str) -> bool:
        check_port(port, operation="winrm")
        thumb = check_thumbprint(thumbprint)
        if not self.certificates.has(thumb):
            raise PlatformError(
                "no certificate with this thumbprint and its key in LocalMachine\\My",
                operation="winrm",
                subject=thumb,
                hint="import the certificate first (a PKCS#12 with its private key)",
            )
        self._winrm_running()
        changed = False
        https = self._listeners("HTTPS")
        wanted = {"Address": "*", "Port": str(port), "CertificateThumbprint": thumb}
        if not (
            len(https) == 1
            and all(https[0].get(k, "").upper() == v.upper() for k, v in wanted.items())
        ):
            for item in https:
                self.wsman.delete(f"{LISTENERS}?Address={item.get('Address', '*')}+Transport=HTTPS")
            values = {"Port": str(port), "Hostname": "", "CertificateThumbprint": thumb}
            values["Enabled"] = "true"
            self.wsman.create(
                f"{LISTENERS}?Address=*+Transport=HTTPS",
                xml_doc("Listener", NS + "/listener", values),
            )
            changed = True
            log.info("winrm https listener set port=%d thumbprint=%s", port, thumb)
        changed |= self.firewall.allow_tcp(WINRM_RULE, port)
        return changed

    def map_winrm_certificate(
        self, *, subject: str, issuer_thumbprint: str, username: str, password: Secret
    ) -> bool:
        issuer = check_thumbprint(issuer_thumbprint)
        check_username(username)
        if not subject or any(c in subject for c in "+?<>&"):
            raise PlatformError("invalid certificate subject", operation="winrm", subject=subject)
        self._winrm_running()
        resource = f"winrm/config/service/certmapping?Issuer={issuer}+Subject={subject}+URI=*"
        existing = self.wsman.get(resource)
        values = {"UserName": username, "Password": password.reveal(), "Enabled": "true"}
        document = xml_doc("certmapping", NS + "/service/certmapping", values)
        if existing is None:
            self.wsman.create(resource, document)
            changed = True
        else:
            changed = xml_fields(existing).get("UserName", "").casefold() != username.casefold()
            self.wsman.put(resource, document)
        auth = self.wsman.get(AUTH)
        if auth is None or xml_fields(auth).get("Certificate", "").lower() != "true":
            self.wsman.put(AUTH, xml_doc("Auth", NS + "/service/auth", {"Certificate": "true"}))
            changed = True
        if changed:
            log.info("winrm certificate mapped subject=%s user=%s", subject, username)
        return changed
