import pytest

from wincloud.errors import PlatformError
from wincloud.platform.base import Growable
from wincloud.platform.windows._win32.fake.wmi_storage import add_partition
from wincloud.platform.windows._win32.kernel32 import VolumeInfo

GB = 1024**3


def test_config_drive_is_found_by_label_ignoring_case(platform, win):
    assert platform.volumes.find_labelled("config-2") is None
    win.kernel32.volume_list.append(VolumeInfo("D:\\", "CONFIG-2", "CDFS"))
    assert str(platform.volumes.find_labelled("config-2")) == "D:\\"
    assert list(platform.volumes.labels()) == ["CONFIG-2"]


def test_the_grown_system_disk_is_growable(platform):
    assert platform.volumes.growable() == [Growable("C:", 40 * GB, 60 * GB)]


def test_extend_resizes_to_the_maximum_once(platform, win):
    assert platform.volumes.extend("C:") == 60 * GB
    [part] = [
        p
        for p in win.wmi.instances(r"root\Microsoft\Windows\Storage", "MSFT_Partition")
        if p.props["DriveLetter"] == ord("C")
    ]
    assert part.props["Size"] == str(60 * GB)
    assert platform.volumes.growable() == []
    assert platform.volumes.extend("c:\\") == 60 * GB


def test_unknown_file_systems_and_recovery_partitions_are_left(platform, win):
    add_partition(win.wmi, 1, 1, size=GB, size_max=2 * GB, letter="E", unknown_fs=True)
    add_partition(
        win.wmi,
        0,
        3,
        size=GB,
        size_max=2 * GB,
        letter="R",
        gpt_type="{de94bba4-06d1-4d40-a16a-bfd50179d6ac}",
    )
    assert [g.volume for g in platform.volumes.growable()] == ["C:"]
    with pytest.raises(PlatformError):
        platform.volumes.extend("E:")
    with pytest.raises(PlatformError):
        platform.volumes.extend("Z:")
