"""The Hyper-V host over PowerShell remoting (pypsrp; ``pip install wincloud[hyperv]``).

pypsrp is imported when a session opens, not when this package is imported.
"""

from wincloud.hyperv.psrp.host import PsrpHost
from wincloud.hyperv.psrp.session import AUTHS, HostSettings, Session

__all__ = ["AUTHS", "HostSettings", "PsrpHost", "Session"]
