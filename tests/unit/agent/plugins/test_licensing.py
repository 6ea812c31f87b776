import pytest

from tests.unit.agent.conftest import with_section
from wincloud.agent.config import AgentConfig
from wincloud.agent.plugins import Outcome
from wincloud.agent.plugins._product_keys import AVMA, KMS_CLIENT, find_key
from wincloud.agent.plugins.licensing import LicensingPlugin
from wincloud.errors import InvalidMetadata, PluginFailed, SourceUnavailable
from wincloud.platform import WindowsProduct
from wincloud.secret import Secret

from .conftest import MemoryReports

RETAIL = "ABCDE-FGHIJ-KLMNO-PQRST-VWXYZ"


def config(**values):
    return with_section(AgentConfig(), "licensing", **values)


def test_posix_is_skipped_with_a_log_line(make_ctx, platform, caplog):
    caplog.set_level("INFO")
    reports = MemoryReports()
    assert LicensingPlugin().run(make_ctx(reports=reports)) is Outcome.SKIPPED
    assert "not-supported" in caplog.text
    assert reports.posted == []


def test_meta_key_is_installed_activated_and_reported(make_ctx, win):
    reports, secrets = MemoryReports(), []
    ctx = make_ctx(on=win, reports=reports, meta={"windows_product_key": RETAIL.lower()})
    ctx.register_secret = secrets.append
    assert LicensingPlugin().run(ctx) is Outcome.DONE
    assert win.licensing.installed == [Secret(RETAIL)]
    assert (win.licensing.activations, win.licensing.state) == (1, "licensed")
    assert secrets == [RETAIL]
    [(name, doc)] = reports.posted
    assert name == "activation"
    assert {k: doc[k] for k in ("key_source", "activation", "license_status", "partial_key")} == {
        "key_source": "meta",
        "activation": "activated",
        "license_status": "licensed",
        "partial_key": "VWXYZ",
    }
    assert (doc["instance_id"], doc["edition"], doc["build"]) == ("i-1", "ServerDatacenter", 20348)
    assert doc["error"] is None and doc["reported_at"].endswith("Z")
    assert RETAIL not in str(doc)


def test_meta_key_wins_over_config(make_ctx, win):
    ctx = make_ctx(
        config(product_key="ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ"),
        on=win,
        meta={"windows_product_key": RETAIL},
    )
    LicensingPlugin().run(ctx)
    assert win.licensing.installed == [Secret(RETAIL)]


def test_avma_key_is_chosen_by_edition_and_version(make_ctx, win):
    win.licensing._product = WindowsProduct(
        "Windows Server 2019 Standard", "ServerStandardCor", 17763, "Server Core"
    )
    LicensingPlugin().run(make_ctx(config(avma=True), on=win))
    assert win.licensing.installed == [Secret("TNK62-RXVTB-4P47B-2D623-4GF74")]


def test_kms_client_key_and_kms_host(make_ctx, win):
    ctx = make_ctx(config(kms_client_key=True, kms_host="kms.example.org:1688"), on=win)
    LicensingPlugin().run(ctx)
    assert win.licensing.installed == [Secret("WX4NM-KYWYW-QJJR4-XV3QB-6VM33")]
    assert win.licensing.kms_host == "kms.example.org:1688"


def test_meta_kms_host_wins(make_ctx, win):
    ctx = make_ctx(config(kms_host="config.example.org"), on=win, meta={"kms_host": "10.0.0.9"})
    LicensingPlugin().run(ctx)
    assert win.licensing.kms_host == "10.0.0.9"
    assert win.licensing.installed == []


def test_the_key_already_installed_is_not_installed_again(make_ctx, win):
    win.licensing.install_key(Secret(RETAIL))
    win.licensing.state = "licensed"
    ctx = make_ctx(on=win, meta={"windows_product_key": RETAIL})
    assert LicensingPlugin().run(ctx) is Outcome.DONE
    assert len(win.licensing.installed) == 1
    assert win.licensing.activations == 0


def test_a_failed_activation_is_reported_and_retried_next_boot(make_ctx, win):
    win.licensing.activation_error = 0xC004F074
    reports = MemoryReports()
    ctx = make_ctx(config(kms_host="kms.example.org"), on=win, reports=reports)
    assert LicensingPlugin().run(ctx) is Outcome.RETRY_NEXT_BOOT
    doc = reports.posted[0][1]
    assert (doc["activation"], doc["error_code"], doc["license_status"]) == (
        "failed",
        "0xC004F074",
        "oob-grace",
    )


def test_activation_can_be_left_out(make_ctx, win):
    LicensingPlugin().run(make_ctx(config(activate=False), on=win))
    assert win.licensing.activations == 0


def test_no_report_without_a_sink_or_when_configured(make_ctx, win):
    assert LicensingPlugin().run(make_ctx(on=win)) is Outcome.DONE
    reports = MemoryReports()
    LicensingPlugin().run(make_ctx(config(report=False), on=win, reports=reports))
    assert reports.posted == []


def test_a_service_without_the_endpoint_is_fine(make_ctx, win):
    assert LicensingPlugin().run(make_ctx(on=win, reports=MemoryReports(offered=False))) is (
        Outcome.DONE
    )


def test_a_failing_report_does_not_fail_the_plugin(make_ctx, win, caplog):
    class Down(MemoryReports):
        def post(self, name, document):
            raise SourceUnavailable("server answered HTTP 503", subject=self.where)

    assert LicensingPlugin().run(make_ctx(on=win, reports=Down())) is Outcome.DONE
    assert "activation report failed" in caplog.text


@pytest.mark.parametrize(
    "key", ["not-a-key", "ABCDE-FGHIJ-KLMNO-PQRST", "ABCDE-FGHIJ-KLMNO-PQRST-VWXY!"]
)
def test_a_malformed_meta_key_changes_nothing(make_ctx, win, key):
    with pytest.raises(InvalidMetadata, match=r"meta\.windows_product_key") as info:
        LicensingPlugin().run(make_ctx(on=win, meta={"windows_product_key": key}))
    assert key not in str(info.value)
    assert win.licensing.installed == [] and win.licensing.activations == 0


def test_an_unknown_edition_for_avma_is_a_clear_error(make_ctx, win):
    win.licensing._product = WindowsProduct("Windows Server 2012 R2", "ServerDatacenter", 9600)
    with pytest.raises(PluginFailed, match="no avma key"):
        LicensingPlugin().run(make_ctx(config(avma=True, kms_host="k"), on=win))
    assert win.licensing.kms_host == ""


def test_an_evaluation_edition_takes_no_table_key(make_ctx, win):
    win.licensing._product = WindowsProduct("Eval", "ServerDatacenterEval", 20348)
    with pytest.raises(PluginFailed, match="evaluation") as info:
        LicensingPlugin().run(make_ctx(config(kms_client_key=True), on=win))
    assert "DISM" in info.value.hint


def test_a_key_the_os_refuses_fails_the_plugin(make_ctx, win):
    from wincloud.errors import PlatformError

    win.licensing.rejected_keys.add(RETAIL)
    with pytest.raises(PlatformError):
        LicensingPlugin().run(make_ctx(on=win, meta={"windows_product_key": RETAIL}))


def test_tables_cover_2016_to_2025_standard_and_datacenter():
    for version, build in (("2016", 14393), ("2019", 17763), ("2022", 20348), ("2025", 26100)):
        for edition in ("ServerStandard", "ServerDatacenter"):
            product = WindowsProduct("x", edition, build)
            assert find_key(product, "avma") == AVMA[(version, edition)]
            assert find_key(product, "kms-client") == KMS_CLIENT[(version, edition)]
    client = WindowsProduct("Windows 11 Enterprise", "Enterprise", 26100, "Client")
    assert find_key(client, "kms-client") == "NPPR9-FWDCX-D2C8J-H872K-2YT43"
    assert find_key(client, "avma") is None
