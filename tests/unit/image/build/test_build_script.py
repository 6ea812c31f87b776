"""build.ps1 cannot run here (no Windows, no pwsh): check what can be checked statically."""

from __future__ import annotations

import re
from pathlib import Path

from wincloud.image.build.monitor import MARKER
from wincloud.image.build.plan import STAGES
from wincloud.image.media import build_script

SCRIPT = Path(__file__).parents[4] / "src/wincloud/image/guest/build.ps1"


def test_script_is_ascii_and_packaged():
    data = build_script()
    data.decode("ascii")
    assert data == SCRIPT.read_bytes()


def test_script_reports_its_stages_in_order():
    text = build_script().decode()
    sent = re.findall(r"Send-Serial 'WINCLOUD-STAGE (\w+)'", text)
    assert sent == ["drivers", "agent", "sysprep"]
    assert all(stage in STAGES for stage in sent)
    assert all(MARKER.search(f"WINCLOUD-STAGE {stage}") for stage in sent)


def test_any_failure_sends_the_error_marker():
    text = build_script().decode()
    assert "$ErrorActionPreference = 'Stop'" in text
    trap = text[text.index("trap {") : text.index("}", text.index("trap {"))]
    assert 'Send-Serial "WINCLOUD-ERROR' in trap and "exit 1" in text


def test_sysprep_generalizes_with_the_cd_answer_file():
    text = build_script().decode()
    line = text[text.index("-ArgumentList @('/generalize'") :].splitlines()[0]
    for flag in ("/generalize", "/oobe", "/shutdown", "/unattend:"):
        assert flag in line
    assert "'wincloud\\generalize.xml'" in text


def test_agent_and_drivers_install_silently():
    text = build_script().decode()
    assert "'/qn'" in text and "'/norestart'" in text
    assert "pnputil.exe" in text and "'/add-driver'" in text and "'/install'" in text


def test_braces_and_parentheses_balance():
    text = re.sub(r"'[^']*'|\"[^\"]*\"|#.*", "", build_script().decode())
    assert text.count("{") == text.count("}")
    assert text.count("(") == text.count(")")
