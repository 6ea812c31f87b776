"""A fake Hyper-V host behind the localhost WinRM replay server, in its own process.

    python tests/openstack/replay_host.py    # prints the port, serves until stdin closes

Nova's harness runs under eventlet, whose monkey patching stalls the replay server's
socketserver loop when it shares the process, so the Nova tests start it here, unpatched, and
look at the host the way the driver does: through PsrpHost.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.unit.hyperv.replay.backend import FakeBackend
from tests.unit.hyperv.replay.server import ReplayServer
from wincloud.hyperv.fake import FakeHost

USER, PASSWORD = "wincloud", "s3cret"


def main() -> int:
    server = ReplayServer(FakeBackend(FakeHost(hostname="HV-PSRP01")), user=USER, password=PASSWORD)
    with server.running():
        print(server.port, flush=True)
        sys.stdin.read()  # until the test closes our stdin
    return 0


if __name__ == "__main__":
    sys.exit(main())
