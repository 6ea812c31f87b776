"""The run loop: stages, order, per-instance state, reboots, exit status."""

from __future__ import annotations

from typing import ClassVar

import pytest

from wincloud.agent.config import AgentConfig
from wincloud.agent.plugins import Frequency, Outcome, Stage
from wincloud.agent.run import Agent, ExitStatus
from wincloud.agent.state import load_state
from wincloud.errors import ConfigError, PluginFailed

RUNS: list[str] = []
OUTCOMES: dict[str, list] = {}


@pytest.fixture(autouse=True)
def _reset():
    RUNS.clear()
    OUTCOMES.clear()
    OFFERED.clear()


class Step:
    name: ClassVar[str]
    stage: ClassVar[Stage] = Stage.MAIN
    frequency: ClassVar[Frequency] = Frequency.PER_INSTANCE

    def run(self, ctx):
        RUNS.append(self.name)
        planned = OUTCOMES.get(self.name, [])
        result = planned.pop(0) if planned else Outcome.DONE
        if isinstance(result, BaseException):
            raise result
        if self.stage is Stage.MAIN:
            ctx.memo["seen"] = ctx.metadata.instance_id
        return result


def step(name, **attrs):
    return type(name, (Step,), {"name": name, **attrs})


First = step("first")
Second = step("second")
Third = step("third")
EveryBoot = step("every_boot", frequency=Frequency.PER_BOOT)
OnceEver = step("once_ever", frequency=Frequency.ONCE)
Early = step("early", stage=Stage.PRE_NETWORKING, frequency=Frequency.PER_BOOT)
Discovery = step("discovery", stage=Stage.PRE_METADATA_DISCOVERY, frequency=Frequency.PER_BOOT)
NeedsMetadataEarly = step("needs_md", stage=Stage.PRE_NETWORKING, frequency=Frequency.PER_BOOT)
NeedsMetadataEarly.run = lambda self, ctx: ctx.metadata and Outcome.DONE
BadEarly = step("bad_early", stage=Stage.PRE_NETWORKING)
OFFERED: list[str] = []
"""Instance ids for which the source offers the ``again`` plugin new one-shot data."""
Again = step("again", offers_again=staticmethod(lambda metadata: metadata.instance_id in OFFERED))

PLUGINS = {
    name: f"{__name__}:{attr}"
    for name, attr in [
        ("first", "First"),
        ("second", "Second"),
        ("third", "Third"),
        ("every_boot", "EveryBoot"),
        ("once_ever", "OnceEver"),
        ("early", "Early"),
        ("discovery", "Discovery"),
        ("needs_md", "NeedsMetadataEarly"),
        ("bad_early", "BadEarly"),
        ("again", "Again"),
    ]
}


@pytest.fixture
def boot(platform, drive_files, tmp_path):
    """One boot of the agent: the config drive holds ``drive_files`` (replaceable)."""
    platform.volumes.labelled["config-2"] = tmp_path / "sr0"
    drive = {"files": drive_files}

    def run(plugins=("first", "second", "third"), **config_values):
        config = AgentConfig(sources=["configdrive"], plugins=list(plugins), **config_values)
        agent = Agent(
            config,
            platform,
            plugins=PLUGINS,
            read_drive=lambda path: drive["files"],
            sleep=lambda s: None,
        )
        RUNS.clear()
        return agent.run()

    run.drive = drive
    return run


def test_first_boot_runs_every_plugin_in_order(boot, platform, instance):
    report = boot(plugins=("third", "first", "second"))
    assert RUNS == ["third", "first", "second"]
    assert report.status is ExitStatus.OK
    assert (report.source, report.instance_id, report.is_new_instance) == (
        "configdrive",
        instance.uuid,
        True,
    )
    state = load_state(platform.state)
    assert sorted(state.plugins) == ["first", "second", "third"]
    assert state.memos["first"] == {"seen": instance.uuid}


def test_next_boot_of_the_same_instance_skips_what_is_done(boot):
    boot()
    report = boot()
    assert RUNS == []
    assert report.outcomes == dict.fromkeys(["first", "second", "third"], "already-done")
    assert report.is_new_instance is False


def test_a_new_instance_id_runs_everything_again(boot, make_instance):
    from wincloud.tree import render_drive

    boot()
    boot.drive["files"] = render_drive(make_instance())
    report = boot()
    assert RUNS == ["first", "second", "third"]
    assert report.is_new_instance


def test_per_boot_plugins_run_every_boot_and_once_plugins_once_ever(boot, make_instance):
    from wincloud.tree import render_drive

    boot(plugins=("every_boot", "once_ever"))
    boot.drive["files"] = render_drive(make_instance())
    boot(plugins=("every_boot", "once_ever"))
    assert RUNS == ["every_boot"]


def test_a_failure_does_not_stop_the_others_and_is_retried_next_boot(boot, platform):
    OUTCOMES["second"] = [PluginFailed("broken", subject="thing")]
    report = boot()
    assert RUNS == ["first", "second", "third"]
    assert (report.status, report.failed) == (ExitStatus.PLUGIN_FAILED, ["second"])
    report = boot()
    assert RUNS == ["second"]
    assert report.status is ExitStatus.OK


def test_a_bug_in_a_plugin_is_contained(boot):
    OUTCOMES["first"] = [ZeroDivisionError("bug")]
    report = boot()
    assert report.failed == ["first"] and RUNS == ["first", "second", "third"]


def test_retry_next_boot_is_not_recorded(boot):
    OUTCOMES["first"] = [Outcome.RETRY_NEXT_BOOT]
    assert boot().status is ExitStatus.OK
    boot()
    assert RUNS == ["first"]


def test_reboot_stops_the_run_and_the_next_boot_resumes(boot, platform):
    OUTCOMES["first"] = [Outcome.REBOOT]
    report = boot()
    assert RUNS == ["first"]
    assert report.status is ExitStatus.REBOOT
    assert platform.host.reboots == [report.reboot_reason]
    report = boot()
    assert RUNS == ["second", "third"]
    assert report.status is ExitStatus.OK


def test_reboot_and_retry_runs_the_plugin_again(boot):
    OUTCOMES["second"] = [Outcome.REBOOT_AND_RETRY]
    boot()
    boot()
    assert RUNS == ["second", "third"]


def test_as_a_service_the_reboot_is_left_to_the_caller(boot, platform):
    OUTCOMES["first"] = [Outcome.REBOOT]
    report = boot(allow_reboot=False)
    assert report.status is ExitStatus.REBOOT
    assert platform.host.reboots == []


def test_reboots_per_instance_are_bounded(boot, platform):
    for _ in range(4):
        OUTCOMES["first"] = [Outcome.REBOOT_AND_RETRY]
        boot(max_reboots=2)
    assert len(platform.host.reboots) == 2
    assert load_state(platform.state).reboots == 2


def test_no_metadata_runs_the_early_stages_only(boot, platform):
    platform.volumes.labelled.clear()
    report = boot(plugins=("early", "discovery", "first"))
    assert RUNS == ["early", "discovery"]
    assert report.status is ExitStatus.NO_METADATA


def test_early_stages_run_before_the_main_one_whatever_the_order(boot):
    boot(plugins=("first", "discovery", "early"))
    assert RUNS == ["early", "discovery", "first"]


def test_an_early_plugin_has_no_metadata(boot):
    report = boot(plugins=("needs_md", "first"))
    assert report.failed == ["needs_md"]


def test_an_early_per_instance_plugin_is_a_config_error(boot):
    with pytest.raises(ConfigError, match="per-instance"):
        boot(plugins=("bad_early",))


def test_a_crash_mid_run_loses_nothing(boot, platform):
    OUTCOMES["second"] = [KeyboardInterrupt()]
    with pytest.raises(KeyboardInterrupt):
        boot()
    assert sorted(load_state(platform.state).plugins) == ["first"]
    boot()
    assert RUNS == ["second", "third"]


def test_config_changes_are_visible(boot):
    assert AgentConfig.__struct_fields__  # the boot fixture builds AgentConfig(**values)
    report = boot(plugins=("first",), max_reboots=0)
    assert report.status is ExitStatus.OK


def test_a_done_plugin_runs_again_when_its_source_offers_new_data(boot, instance):
    """CloudStack's password server after a reset: the password plugin, done for this
    instance, runs at the boot that finds a new password, and only then."""
    boot(plugins=("again", "first"))
    assert RUNS == ["again", "first"]
    report = boot(plugins=("again", "first"))
    assert RUNS == []
    assert report.outcomes == {"again": "already-done", "first": "already-done"}
    OFFERED.append(instance.uuid)
    report = boot(plugins=("again", "first"))
    assert RUNS == ["again"]
    assert report.outcomes == {"again": "done", "first": "already-done"}
