"""One PowerShell remoting session per Hyper-V host: a WSMan connection and a runspace pool,
opened on first use, reused by every call, reopened once if the host dropped it.

``Session.run(script, params, timeout_s=...)`` runs one script (text from ``scripts.py``) with
its arguments bound as PowerShell parameters (never spliced into the text), waits for it with a
deadline (the pipeline is stopped when the deadline passes) and returns the output objects as
pypsrp deserialised them. Transport errors become ``HostUnreachable``/``HostAuthFailed``/
``HostTimeout``; PowerShell errors are turned into our error tree by ``errors.py``.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from wincloud.errors import ConfigError, HostAuthFailed, HostTimeout, HostUnreachable
from wincloud.hyperv.psrp.errors import error_from_records
from wincloud.secret import Secret

log = logging.getLogger(__name__)

Auth = Literal["ntlm", "kerberos", "negotiate", "basic", "credssp", "certificate"]
Transport = Literal["https", "http"]
AUTHS: tuple[str, ...] = ("ntlm", "kerberos", "negotiate", "basic", "credssp", "certificate")
_MAX_POLLS = 100_000


class _NotStarted(Exception):
    """The host refused to create the pipeline or the connection failed while asking: the
    script did not run. (A timeout is not this: the host may have started the script.)"""

    def __init__(self, error: HostUnreachable) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass(frozen=True)
class HostSettings:
    """How to reach one host. ``cert_validation``: True, False, or a CA bundle path."""

    host: str
    user: str | None = None
    password: Secret | None = None
    transport: Transport = "https"
    port: int | None = None  # 5986 for https, 5985 for http
    auth: Auth = "negotiate"
    cert_validation: bool | str = True
    certificate_pem: str | None = None  # auth=certificate
    certificate_key_pem: str | None = None
    path: str = "wsman"
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 30.0
    call_timeout_s: float = 120.0  # default deadline of one script
    operation_timeout_s: int = 20  # WSMan OperationTimeout of one Receive (< read timeout)
    encryption: Literal["auto", "always", "never"] = "auto"

    def __post_init__(self) -> None:
        if self.auth not in AUTHS:
            raise ConfigError(
                f"unknown WinRM auth {self.auth!r}",
                subject="auth",
                hint="one of " + ", ".join(AUTHS),
            )
        if self.transport not in ("https", "http"):
            raise ConfigError("transport is https or http", subject="transport")
        if self.operation_timeout_s + 2 > self.read_timeout_s:
            raise ConfigError(
                "operation_timeout_s must stay 2 s below read_timeout_s",
                subject="operation_timeout_s",
            )
        if self.auth == "certificate" and not (self.certificate_pem and self.certificate_key_pem):
            raise ConfigError(
                "certificate auth needs certificate_pem and certificate_key_pem", subject="auth"
            )

    @property
    def endpoint(self) -> str:
        port = self.port or (5986 if self.transport == "https" else 5985)
        return f"{self.transport}://{self.host}:{port}/{self.path}"


class Session:
    """Not thread-safe by itself: calls are serialised with a lock (one runspace per host)."""

    def __init__(self, settings: HostSettings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._wsman: Any = None
        self._pool: Any = None

    # ---- connection ----
    def _open(self) -> Any:
        from pypsrp.powershell import RunspacePool
        from pypsrp.wsman import WSMan

        s = self.settings
        kwargs: dict[str, Any] = {}
        if s.auth == "certificate":
            kwargs = {
                "certificate_pem": s.certificate_pem,
                "certificate_key_pem": s.certificate_key_pem,
            }
        encryption = s.encryption
        if s.transport == "http" and s.auth in ("basic", "certificate") and encryption == "auto":
            encryption = "never"  # pypsrp cannot wrap messages for these; the caller chose http
        # pypsrp hands cert_validation to requests (verify=): a bool or a CA bundle path
        cert_validation: Any = s.cert_validation
        try:
            wsman = self._wsman_for(WSMan, cert_validation, encryption, kwargs)
        except ValueError as exc:  # pypsrp refuses the combination (auth, transport, encryption)
            raise ConfigError(
                f"WinRM settings do not fit together: {exc}",
                subject=s.endpoint,
                hint="use https, or an auth that encrypts (ntlm, kerberos)",
            ) from exc
        pool = RunspacePool(wsman, min_runspaces=1, max_runspaces=1)
        try:
            self._translate(pool.open, "open a runspace pool")
        except BaseException:
            wsman.close()
            raise
        self._wsman, self._pool = wsman, pool
        log.info("psrp session opened endpoint=%s auth=%s", s.endpoint, s.auth)
        return pool

    def _wsman_for(
        self, wsman_class: Any, cert_validation: Any, encryption: str, kwargs: dict[str, Any]
    ) -> Any:
        s = self.settings
        return wsman_class(
            s.host,
            port=s.port,
            username=s.user,
            password=s.password.reveal() if s.password is not None else None,
            ssl=s.transport == "https",
            path=s.path,
            auth=s.auth,
            cert_validation=cert_validation,
            connection_timeout=max(1, round(s.connect_timeout_s)),
            read_timeout=max(1, round(s.read_timeout_s)),
            operation_timeout=s.operation_timeout_s,
            encryption=encryption,
            no_proxy=True,
            **kwargs,
        )

    def close(self) -> None:
        with self._lock:
            self._close_locked()

    def _close_locked(self) -> None:
        pool, wsman = self._pool, self._wsman
        self._pool = self._wsman = None
        if pool is not None:
            try:
                pool.close()
            except Exception as exc:  # closing a dead pool: nothing left to do
                log.debug("psrp pool close failed host=%s error=%s", self.settings.host, exc)
        if wsman is not None:
            wsman.close()

    # ---- calls ----
    def run(
        self,
        script: str,
        params: Mapping[str, Any],
        *,
        cmdlet: str,
        timeout_s: float | None = None,
    ) -> list[Any]:
        with self._lock:
            reused = self._pool is not None
            pool = self._pool or self._open()
            try:
                return self._run_once(pool, script, params, cmdlet, timeout_s)
            except _NotStarted as exc:
                # The script never started: WinRM dropped the idle shell (IdleTimeout) or the
                # service restarted. Reopen once; a fresh pool that fails again is the answer.
                self._close_locked()
                if not reused:
                    raise exc.error from exc
                log.info("psrp session reopened host=%s reason=%s", self.settings.host, exc.error)
                pool = self._open()
                try:
                    return self._run_once(pool, script, params, cmdlet, timeout_s)
                except _NotStarted as again:
                    self._close_locked()
                    raise again.error from again

    def _run_once(
        self,
        pool: Any,
        script: str,
        params: Mapping[str, Any],
        cmdlet: str,
        timeout_s: float | None,
    ) -> list[Any]:
        from pypsrp.complex_objects import PSInvocationState
        from pypsrp.powershell import PowerShell

        deadline = time.monotonic() + (timeout_s or self.settings.call_timeout_s)
        ps = PowerShell(pool)
        ps.add_script(script)
        for name, value in params.items():
            if value is None:
                continue  # None would make a switch; absent parameters keep their defaults
            ps.add_parameter(name, value)
        try:
            self._translate(ps.begin_invoke, cmdlet)
        except HostUnreachable as exc:
            raise _NotStarted(exc) from exc
        polls = 0
        while ps.state == PSInvocationState.RUNNING:
            remaining = deadline - time.monotonic()
            polls += 1
            if remaining <= 0 or polls > _MAX_POLLS:
                try:
                    ps.stop()
                except Exception as exc:  # the host may be gone; the timeout is what we report
                    log.warning("psrp stop failed host=%s error=%s", self.settings.host, exc)
                raise HostTimeout(
                    f"{cmdlet} did not finish on {self.settings.host} in time",
                    host=self.settings.host,
                    cmdlet=cmdlet,
                    subject=self.settings.endpoint,
                    hint="the operation may still complete on the host; check before retrying",
                )
            wait = max(1, min(int(remaining), self.settings.operation_timeout_s))
            self._translate(functools.partial(ps.poll_invoke, timeout=wait), cmdlet)
        if ps.had_errors or ps.state == PSInvocationState.FAILED or ps.streams.error:
            raise error_from_records(list(ps.streams.error), host=self.settings.host, cmdlet=cmdlet)
        return list(ps.output)

    def _translate(self, fn: Any, what: str) -> Any:
        """Run ``fn``; requests/pypsrp transport failures become our errors."""
        import requests
        from pypsrp.exceptions import AuthenticationError, WinRMTransportError, WSManFaultError

        s = self.settings
        try:
            return fn()
        except ImportError as exc:  # CredSSP and Kerberos need pypsrp's optional extras
            raise ConfigError(
                f"auth={s.auth} needs a library that is not installed: {exc}",
                subject="auth",
                hint="pip install 'pypsrp[credssp]' or 'pypsrp[kerberos]', or use auth=ntlm",
            ) from exc
        except AuthenticationError as exc:
            raise HostAuthFailed(
                f"WinRM refused the credentials of {s.user or 'the current user'}",
                host=s.host,
                cmdlet=what,
                subject=s.endpoint,
                detail=str(exc),
                hint=f"check the user, the password and that auth={s.auth} is enabled on WinRM",
            ) from exc
        except requests.exceptions.Timeout as exc:
            raise HostTimeout(
                f"WinRM did not answer in time ({what})",
                host=s.host,
                cmdlet=what,
                subject=s.endpoint,
                detail=str(exc),
            ) from exc
        except requests.exceptions.SSLError as exc:
            raise HostUnreachable(
                "TLS handshake with WinRM failed",
                host=s.host,
                cmdlet=what,
                subject=s.endpoint,
                detail=str(exc),
                hint="check the host certificate or --ca-bundle",
            ) from exc
        except requests.exceptions.RequestException as exc:
            raise HostUnreachable(
                "WinRM is not reachable",
                host=s.host,
                cmdlet=what,
                subject=s.endpoint,
                detail=str(exc),
                hint="check the host name, the port and that WinRM listens",
            ) from exc
        except WSManFaultError as exc:
            cls = HostAuthFailed if exc.code == 5 else HostUnreachable
            raise cls(
                f"WinRM fault ({what}): {exc.reason or exc.code}",
                host=s.host,
                cmdlet=what,
                subject=s.endpoint,
                detail=str(exc),
            ) from exc
        except WinRMTransportError as exc:
            raise HostUnreachable(
                f"WinRM answered HTTP {exc.code} ({what})",
                host=s.host,
                cmdlet=what,
                subject=s.endpoint,
                detail=str(exc.response_text)[:500],
            ) from exc
