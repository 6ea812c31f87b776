"""The whole path over PowerShell remoting: Nova's API -> conductor -> scheduler -> compute ->
HyperVDriver -> PsrpHost -> WinRM over HTTP on 127.0.0.1 -> the replay server of
tests/unit/hyperv/replay (its own process, see ../replay_host.py), answering from a FakeHost.
The test reads the host back through PsrpHost too. No Windows anywhere."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.openstack.nova import base
from wincloud.hyperv.host import VhdType
from wincloud.hyperv.nova.driver import HyperVHostNotReady
from wincloud.hyperv.psrp import HostSettings, PsrpHost
from wincloud.secret import Secret

REPLAY_HOST = Path(__file__).resolve().parents[1] / "replay_host.py"


class PsrpTransportTest(base.HyperVTestCase):
    start_fake_compute = False

    def setUp(self):
        super().setUp()
        proc = subprocess.Popen(
            [sys.executable, str(REPLAY_HOST)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.addCleanup(proc.wait, 10)
        self.addCleanup(proc.stdin.close)
        port = int(proc.stdout.readline())
        self.flags(
            group="hyperv",
            transport="psrp",
            host="127.0.0.1",
            port=port,
            use_ssl=False,
            auth="basic",
            username="wincloud",
            password="s3cret",
        )
        self.hyperv = PsrpHost(
            HostSettings(
                host="127.0.0.1",
                port=port,
                transport="http",
                auth="basic",
                user="wincloud",
                password=Secret("s3cret"),
            )
        )
        self.addCleanup(self.hyperv.close)

    def test_boot_and_delete_over_winrm(self):
        self.compute = self._start_compute("hv-psrp")
        port_id = self.neutron.port_1["id"]

        server = self.boot(networks=[{"port": port_id}])

        vm = self.vm_of(server)
        self.assertEqual(("running", 2), (vm.state, vm.generation))
        (root,) = self.hyperv.list_disks(vm.name)
        self.assertEqual(VhdType.DIFFERENCING, self.hyperv.get_vhd(root.path).vhd_type)
        self.assertEqual([port_id], [n.name for n in self.hyperv.list_nics(vm.name)])
        self._delete_server(server)
        self.assertEqual([], self.hyperv.list_vms())
        self.assertEqual([], self.instance_files())

    def test_a_compute_whose_host_refuses_the_credentials_does_not_start(self):
        self.flags(group="hyperv", password="wrong")

        error = self.assertRaises(HyperVHostNotReady, self._start_compute, "hv-psrp")

        self.assertIn("127.0.0.1", str(error))
