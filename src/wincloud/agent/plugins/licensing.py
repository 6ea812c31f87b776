"""Windows licensing: install a product key, set the KMS host, activate, log the status and
report it to the metadata service.

Decisions, made before anything changes:

* the key: the ``windows_product_key`` meta key, else ``licensing.product_key``, else the
  AVMA key of this edition and version (``licensing.avma``), else its KMS client setup key
  (``licensing.kms_client_key``), else none (the installed key stays). A key already
  installed (same last five characters) is not installed again;
* the KMS host: the ``kms_host`` meta key, else ``licensing.kms_host`` (``host[:port]``);
* activation (``licensing.activate``) when the status is not ``licensed`` or something
  changed. A failed activation is logged and reported; the plugin runs again next boot.

The report (``licensing.report``) goes to the source's report sink as ``activation``
(docs/plugins.md gives the server contract); a service without it is fine. POSIX: skipped.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, ClassVar, Final, Literal

from msgspec import Struct

from wincloud.agent.plugins._product_keys import find_key, server_version
from wincloud.agent.plugins.base import Frequency, Outcome, RunContext, Stage
from wincloud.errors import InvalidMetadata, NotSupported, PlatformError, PluginFailed, SourceError
from wincloud.platform.base import LicenseStatus, WindowsProduct
from wincloud.secret import Secret

log = logging.getLogger(__name__)

META_KEY: Final = "windows_product_key"
META_KMS: Final = "kms_host"
REPORT: Final = "activation"
_ALPHABET: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


class Decision(Struct, frozen=True):
    key: Secret | None
    key_source: str
    """``meta``, ``config``, ``avma``, ``kms-client`` or ``installed``."""
    kms_host: str | None


def _check_key(value: str, where: str) -> Secret:
    key = value.strip().upper()
    groups = key.split("-")
    if len(groups) != 5 or any(len(g) != 5 or not set(g) <= _ALPHABET for g in groups):
        raise InvalidMetadata(
            "not a product key (five groups of five letters or digits)", subject=where
        )
    return Secret(key)


def decide(ctx: RunContext, product: WindowsProduct) -> Decision:
    config = ctx.config.licensing
    meta = ctx.metadata.meta
    key: Secret | None = None
    source = "installed"
    if meta.get(META_KEY, "").strip():
        key, source = _check_key(meta[META_KEY], f"meta.{META_KEY}"), "meta"
    elif config.product_key:
        key, source = _check_key(config.product_key, "config licensing.product_key"), "config"
    elif config.avma or config.kms_client_key:
        kind: Literal["avma", "kms-client"] = "avma" if config.avma else "kms-client"
        if product.edition.endswith("Eval"):
            raise PluginFailed(
                f"an evaluation edition takes no {kind} key",
                subject=product.edition,
                hint="convert it first: DISM /Online /Set-Edition:<edition> /ProductKey:<key>",
            )
        found = find_key(product, kind)
        if found is None:
            raise PluginFailed(
                f"no {kind} key is known for this Windows",
                subject=f"{product.name} edition={product.edition} build={product.build} "
                f"version={server_version(product) or 'unknown'}",
                hint="give the key in licensing.product_key (see docs/plugins.md for the table)",
            )
        key, source = Secret(found), kind
    kms = meta.get(META_KMS, "").strip() or config.kms_host or None
    return Decision(key, source, kms)


def report_document(
    ctx: RunContext,
    product: WindowsProduct,
    decision: Decision,
    status: LicenseStatus | None,
    activation: str,
    error: PlatformError | None,
) -> dict[str, Any]:
    return {
        "version": 1,
        "instance_id": ctx.metadata.instance_id,
        "product": product.name,
        "edition": product.edition,
        "build": product.build,
        "key_source": decision.key_source,
        "kms_host": status.kms_host if status else (decision.kms_host or ""),
        "activation": activation,
        "license_status": status.state if status else "unknown",
        "partial_key": status.partial_key if status else "",
        "grace_minutes": status.grace_minutes if status else 0,
        "error_code": None if error is None or error.os_code is None else f"0x{error.os_code:08X}",
        "error": None if error is None else error.message,
        "reported_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
    }


class LicensingPlugin:
    name: ClassVar[str] = "licensing"
    stage: ClassVar[Stage] = Stage.MAIN
    frequency: ClassVar[Frequency] = Frequency.PER_INSTANCE

    def run(self, ctx: RunContext) -> Outcome:
        licensing = ctx.platform.licensing
        try:
            product = licensing.product()
        except NotSupported as exc:
            log.info("licensing skipped reason=not-supported detail=%s", exc)
            return Outcome.SKIPPED
        decision = decide(ctx, product)
        if decision.key is not None:
            ctx.register_secret(decision.key.reveal())
        changed = self._apply(ctx, decision)
        before = licensing.status()
        activation, error = "not-attempted", None
        if ctx.config.licensing.activate and (changed or before.state != "licensed"):
            try:
                licensing.activate()
                activation = "activated"
            except PlatformError as exc:
                activation, error = "failed", exc
        status = licensing.status()
        log.info(
            "windows license product=%s edition=%s key_source=%s kms_host=%s activation=%s "
            "status=%s grace_minutes=%d error=%s",
            product.name,
            product.edition,
            decision.key_source,
            status.kms_host or "none",
            activation,
            status.state,
            status.grace_minutes,
            "none" if error is None else f"0x{(error.os_code or 0):08X} {error.message}",
        )
        if ctx.config.licensing.report:
            self._report(ctx, report_document(ctx, product, decision, status, activation, error))
        return Outcome.RETRY_NEXT_BOOT if error is not None else Outcome.DONE

    @staticmethod
    def _apply(ctx: RunContext, decision: Decision) -> bool:
        licensing = ctx.platform.licensing
        changed = False
        status = licensing.status()
        if decision.key is not None and status.partial_key != decision.key.reveal()[-5:]:
            licensing.install_key(decision.key)
            log.info("product key installed key_source=%s", decision.key_source)
            changed = True
        if decision.kms_host is not None and decision.kms_host != status.kms_host:
            licensing.set_kms_host(decision.kms_host)
            log.info("kms host set host=%s", decision.kms_host)
            changed = True
        return changed

    @staticmethod
    def _report(ctx: RunContext, document: dict[str, Any]) -> None:
        sink = ctx.report_sink
        if sink is None:
            log.info("activation not reported reason=no-report-endpoint")
            return
        try:
            taken = sink.post(REPORT, document)
        except SourceError as exc:
            log.warning("activation report failed where=%s error=%s", sink.where, exc)
            return
        log.info("activation reported where=%s taken=%s", sink.where, taken)
