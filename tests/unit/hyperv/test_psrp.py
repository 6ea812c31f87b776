"""PsrpHost over the replay server: what travels on the wire, timeouts, failures of the
transport, error records, chunked writes. (Behaviour shared with the fake is in contract/.)"""

from __future__ import annotations

import socket

import pytest
from pypsrp.serializer import Serializer

from tests.unit.hyperv.replay import clixml as cx
from wincloud.errors import (
    HostAuthFailed,
    HostObjectNotFound,
    HostTimeout,
    HostUnreachable,
    VmNotFound,
)
from wincloud.hyperv.host import VmSpec
from wincloud.hyperv.psrp import PsrpHost, scripts
from wincloud.hyperv.psrp.decode import Record, parse_datetime
from wincloud.hyperv.psrp.errors import error_from_records
from wincloud.hyperv.psrp.records import vm_info
from wincloud.secret import Secret


def test_every_script_loads_with_its_header_and_the_common_block():
    for name in scripts.names():
        text = scripts.load(name)
        assert text.startswith(f"# wincloud:{name}")
        assert "param(" in text and "# @common" not in text
        assert "function Stop-Wincloud" in text


def test_arguments_travel_as_parameters_and_the_script_is_sent_verbatim(psrp_host, replay):
    name = 'web\'; Remove-VM -Name * -Force; $(Stop-Computer)\r\n"x"'
    psrp_host.create_vm(VmSpec(name, notes="<notes> & _x0041_"))
    call = replay.server.script_calls("create_vm")[-1]
    assert call.text == scripts.load("create_vm")
    assert call.params["Name"] == name
    assert call.params["Notes"] == "<notes> & _x0041_"
    assert psrp_host.find_vm(name).notes == "<notes> & _x0041_"


def test_sizes_travel_as_64_bit_integers(psrp_host, replay):
    psrp_host.make_dir("C:\\d")
    psrp_host.new_vhd("C:\\d\\big.vhdx", 3 * 1024**4)
    assert replay.server.script_calls("new_vhd")[-1].params["SizeBytes"] == 3 * 1024**4
    assert psrp_host.get_vhd("C:\\d\\big.vhdx").size_bytes == 3 * 1024**4


def test_a_pipeline_that_never_finishes_is_stopped_at_the_deadline(replay):
    replay.server.hang.add("list_vms")
    host = PsrpHost(replay.settings(call_timeout_s=1.0, operation_timeout_s=1, read_timeout_s=5.0))
    try:
        with pytest.raises(HostTimeout) as info:
            host.list_vms()
        assert info.value.cmdlet == "Get-VM" and info.value.host == "127.0.0.1"
        assert replay.server.signals, "the pipeline is stopped on the host"
        replay.server.hang.clear()
        assert host.list_vms() == []  # the session is still usable
    finally:
        host.close()


def test_wrong_password_is_an_auth_failure(replay):
    host = PsrpHost(replay.settings(password=Secret("wrong")))
    with pytest.raises(HostAuthFailed) as info:
        host.list_vms()
    assert "wrong" not in str(info.value) and "wrong" not in (info.value.detail or "")


def test_nothing_listening_is_unreachable():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    from wincloud.hyperv.psrp import HostSettings

    host = PsrpHost(
        HostSettings(
            "127.0.0.1",
            port=port,
            transport="http",
            auth="basic",
            user="u",
            password=Secret("p"),
            connect_timeout_s=2,
        )
    )
    with pytest.raises(HostUnreachable) as info:
        host.host_info()
    assert f"127.0.0.1:{port}" in str(info.value.subject)


def test_one_pool_serves_many_calls(psrp_host, replay):
    for _ in range(3):
        psrp_host.list_vms()
    assert len(replay.server.shells) == 1


def test_a_dropped_shell_is_reopened_once(psrp_host, replay):
    psrp_host.list_vms()
    replay.server.drop_shells()
    assert psrp_host.list_switches()  # reconnects and runs
    assert len(replay.server.shells) == 1


def test_close_deletes_the_shell(replay):
    host = PsrpHost(replay.settings())
    host.list_vms()
    host.close()
    assert replay.server.shells == {}


def test_large_writes_go_in_chunks_to_a_partial_file(psrp_host, replay):
    psrp_host.make_dir("C:\\d")
    data = bytes(range(256)) * 48  # 12288 bytes, chunk 4096
    psrp_host.write_file("C:\\d\\img.vhdx", iter([data[:100], data[100:]]))
    chunks = replay.server.script_calls("write_chunk")
    assert [len(c.params["Data"]) for c in chunks] == [4096, 4096, 4096]
    assert [c.params["Append"] for c in chunks] == [False, True, True]
    assert {c.params["Path"] for c in chunks} != {"C:\\d\\img.vhdx"}
    assert [e.name for e in psrp_host.list_dir("C:\\d")] == ["img.vhdx"]


def test_a_failed_write_leaves_no_partial_and_keeps_the_old_file(psrp_host, replay):
    psrp_host.make_dir("C:\\d")
    psrp_host.write_file("C:\\d\\f", [b"old"])

    def chunks():
        yield b"x" * 5000
        raise OSError("glance went away")

    with pytest.raises(OSError):
        psrp_host.write_file("C:\\d\\f", chunks())
    assert [e.name for e in psrp_host.list_dir("C:\\d")] == ["f"]
    assert psrp_host.read_file("C:\\d\\f", max_bytes=10) == b"old"


def test_missing_vm_error_names_the_cmdlet_and_host(psrp_host):
    with pytest.raises(VmNotFound) as info:
        psrp_host.set_vm_state("ghost", "start")
    err = info.value
    assert err.cmdlet == "Start-VM" and err.host == "127.0.0.1" and err.subject == "ghost"
    assert str(err).startswith("Start-VM failed on 127.0.0.1: no virtual machine")
    assert "Wincloud" not in str(err)


def _record(**values: str):
    xml = cx.render("error_record", name_attr="", **values)
    return Serializer().deserialize(xml)


def test_a_cmdlet_error_is_classified_by_its_category():
    record = _record(
        message="Failed to get the disk information.",
        exception_type=("Microsoft.HyperV.PowerShell.VirtualizationException"),
        target="C:\\x.vhdx",
        fq_error="ObjectNotFound,Microsoft.Vhd.PowerShell.Cmdlets.GetVHD",
        category="13",
        activity="Get-VHD",
        reason="VirtualizationException",
        category_message="ObjectNotFound: (C:\\x.vhdx:String) [Get-VHD], VirtualizationException",
    )
    err = error_from_records([record], host="hv1", cmdlet="Get-VHD")
    assert isinstance(err, HostObjectNotFound)
    assert str(err) == "Get-VHD failed on hv1: Failed to get the disk information.: C:\\x.vhdx"


def test_timespans_and_datetimes_decode():
    obj = {"Uptime": "P1DT2H3M4.5S", "When": "2026-12-03T08:00:00.1234567+01:00"}
    rec = Record(obj, host="h", cmdlet="c")
    assert rec.timespan_s("Uptime") == 93784.5
    assert rec.datetime("When").isoformat() == "2026-12-03T07:00:00.123456+00:00"
    assert parse_datetime("not a date") is None


def test_a_vm_record_decodes_from_the_fixture_shape():
    xml = cx.render(
        "vm",
        name="web",
        vm_id="4f6c1e00-0000-4000-8000-000000000001",
        state_name="Running",
        state_code="2",
        generation="2",
        cpu_count="4",
        memory_bytes=str(4096 * 1024 * 1024),
        uptime="PT1H0M0.5S",
        notes=cx.s("Notes", ""),
        secure_boot=cx.b("SecureBoot", True),
    )
    vm = vm_info(Record(Serializer().deserialize(xml), host="h", cmdlet="Get-VM"))
    assert (vm.name, vm.state.value, vm.cpu_count, vm.memory_mb, vm.uptime_s, vm.secure_boot) == (
        "web",
        "running",
        4,
        4096,
        3600.5,
        True,
    )


def test_settings_pypsrp_refuses_are_a_config_error(replay):
    from wincloud.errors import ConfigError

    host = PsrpHost(replay.settings(encryption="always"))  # basic auth cannot encrypt
    with pytest.raises(ConfigError):
        host.list_vms()


def test_credssp_without_its_library_is_a_config_error(replay):
    import importlib.util

    from wincloud.errors import ConfigError

    if importlib.util.find_spec("requests_credssp") is not None:
        pytest.skip("requests-credssp is installed")
    host = PsrpHost(replay.settings(auth="credssp"))
    with pytest.raises(ConfigError) as info:
        host.list_vms()
    assert "pypsrp[credssp]" in (info.value.hint or "")


def test_a_refusal_is_recognised_by_its_message_tag_when_the_id_was_rewritten():
    record = _record(
        message="WincloudInUse: the file is in use",
        exception_type="System.Exception",
        target="C:\\d\\root.vhdx",
        fq_error="System.Management.Automation.RuntimeException",
        category="0",
        activity="",
        reason="RuntimeException",
        category_message="",
    )
    err = error_from_records([record], host="hv1", cmdlet="Remove-Item")
    assert type(err).__name__ == "PathInUse"
    assert str(err) == "Remove-Item failed on hv1: the file is in use: C:\\d\\root.vhdx"


def test_declared_parameters_are_read_from_the_param_block():
    from tests.unit.hyperv.replay.server import declared_params

    assert declared_params(scripts.load("set_vm_state")) == {"Name", "Action", "TimeoutSeconds"}
    assert declared_params(scripts.load("list_switches")) == set()


def test_fixture_properties_are_the_ones_the_scripts_project():
    import datetime as dt
    import re

    from tests.unit.hyperv.replay import backend as b
    from wincloud.hyperv.host import (
        CheckpointInfo,
        DirEntry,
        DiskSlot,
        NicInfo,
        VhdFormat,
        VhdInfo,
        VhdType,
        VmInfo,
        VmState,
    )

    now = dt.datetime.now(dt.UTC)
    rendered = {
        "list_vms": b.render_vm(
            VmInfo(
                "v", "4f6c1e00-0000-4000-8000-000000000001", VmState.OFF, 2, 1, 512, 0.0, "n", True
            )
        ),
        "list_disks": b.render_slot(DiskSlot("C:\\a.vhdx", "hdd", "scsi", 0, 0)),
        "list_nics": b.render_nic(NicInfo("n", "00:15:5d:00:00:01", "s", 5, "v")),
        "get_vhd": b.render_vhd(
            VhdInfo("C:\\a.vhdx", VhdFormat.VHDX, VhdType.DIFFERENCING, 1, 1, "C:\\b.vhdx")
        ),
        "list_dir": b.render_entry(DirEntry("a", False, 1, now, now)),
        "checkpoint": b.render_checkpoint(CheckpointInfo("c", "v", now, "p", ("C:\\a",))),
    }
    for script, xml in rendered.items():
        text = scripts.load(script)
        for prop in re.findall(r' N="(\w+)"', xml):
            assert re.search(rf"\b{prop}\b", text), f"{script} does not project {prop}"
