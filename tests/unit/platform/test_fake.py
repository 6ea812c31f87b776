"""What only the fakes do: the records tests assert on."""

from wincloud.platform.base import Completed
from wincloud.platform.fake import FakeProcesses, fake_platform


def test_reboots_are_recorded():
    platform = fake_platform()
    platform.host.reboot("because")
    assert platform.host.reboots == ["because"]


def test_fake_host_can_want_a_reboot_for_the_hostname():
    platform = fake_platform()
    platform.host.reboot_to_apply_hostname = True
    assert platform.host.set_hostname("win-01") is True


def test_programs_can_be_supplied():
    processes = FakeProcesses({"slmgr": lambda argv, stdin: Completed(tuple(argv), 0, b"ok")})
    assert processes.run(["slmgr", "/ato"], timeout=1).stdout == b"ok"
    assert [r.argv for r in processes.ran] == [("slmgr", "/ato")]


def test_fake_platforms_share_nothing():
    one, two = fake_platform(), fake_platform()
    one.users.ensure("alice")
    assert not two.users.exists("alice")
