"""The answer-file lint: every rule fires on a mutated golden (and the goldens are clean);
the reader refuses DTDs and oversized input; `wincloud image lint` output and exit status."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from wincloud.cli import main
from wincloud.image.unattend.lint import RULES, has_errors, lint_unattend
from wincloud.image.unattend.parse import MAX_BYTES

GOLDENS = Path(__file__).resolve().parents[3] / "fixtures" / "image" / "unattend"
INSTALL = (GOLDENS / "server-uefi-virtio-kms-client-install.xml").read_text()
GENERALIZE = (GOLDENS / "server-uefi-virtio-kms-client-generalize.xml").read_text()
ATTRS = (
    'processorArchitecture="amd64" publicKeyToken="31bf3856ad364e35" language="neutral"'
    ' versionScope="nonSxS" xmlns:wcm="http://schemas.microsoft.com/WMIConfig/2002/State"'
)


def component(name: str, body: str) -> str:
    return f'<component name="{name}" {ATTRS}>{body}</component>'


def add_to_pass(text: str, pass_: str, xml: str) -> str:
    start = text.index(f'<settings pass="{pass_}">')
    end = text.index("</settings>", start)
    return text[:end] + xml + text[end:]


def replace(text: str, old: str, new: str, count: int = 1) -> str:
    assert old in text, old
    return text.replace(old, new, count)


SPP_REARM = component("Microsoft-Windows-Security-SPP", "<SkipRearm>1</SkipRearm>")
ADMIN = (
    "<UserAccounts><AdministratorPassword><Value>x</Value><PlainText>{}</PlainText>"
    "</AdministratorPassword></UserAccounts>"
)

MUTATIONS = {
    "xml-unsafe": lambda: replace(
        INSTALL, "<unattend ", '<!DOCTYPE unattend [<!ENTITY a "aaaa">]>\n<unattend '
    ),
    "xml-malformed": lambda: replace(INSTALL, "</unattend>", ""),
    "root-element": lambda: replace(
        INSTALL, 'xmlns="urn:schemas-microsoft-com:unattend"', 'xmlns="urn:x"'
    ),
    "unbound-prefix": lambda: INSTALL.replace(
        ' xmlns:wcm="http://schemas.microsoft.com/WMIConfig/2002/State"', ""
    ),
    "unknown-pass": lambda: replace(INSTALL, 'pass="specialize"', 'pass="specialise"'),
    "duplicate-pass": lambda: replace(GENERALIZE, 'pass="oobeSystem"', 'pass="specialize"'),
    "component-wrong-pass": lambda: add_to_pass(
        GENERALIZE,
        "specialize",
        component(
            "Microsoft-Windows-PnpSysprep",
            "<PersistAllDeviceInstalls>true</PersistAllDeviceInstalls>",
        ),
    ),
    "unknown-component": lambda: replace(
        INSTALL, "Microsoft-Windows-ServerManager-SvrMgrNc", "Contoso-Tweaks"
    ),
    "duplicate-component": lambda: replace(
        INSTALL, 'name="Microsoft-Windows-Deployment"', 'name="Microsoft-Windows-Shell-Setup"'
    ),
    "missing-architecture": lambda: replace(INSTALL, ' processorArchitecture="amd64"', ""),
    "mixed-architecture": lambda: replace(
        INSTALL, 'processorArchitecture="amd64"', 'processorArchitecture="arm64"'
    ),
    "public-key-token": lambda: replace(INSTALL, "31bf3856ad364e35", "31bf3856ad364e36"),
    "component-attributes": lambda: replace(INSTALL, ' language="neutral"', ""),
    "empty-product-key": lambda: replace(
        INSTALL, "<Key>VDYBN-27WPP-V4HQT-9VMD4-VMK7H</Key>", "<Key></Key>"
    ),
    "product-key-format": lambda: replace(
        GENERALIZE, "VDYBN-27WPP-V4HQT-9VMD4-VMK7H", "VDYBN-27WPP"
    ),
    "skiprearm-with-gvlk": lambda: add_to_pass(GENERALIZE, "generalize", SPP_REARM),
    "plaintext-password-generalize": lambda: replace(
        GENERALIZE,
        "<TimeZone>UTC</TimeZone>\n    </component>\n  </settings>\n</unattend>",
        ADMIN.format("true") + "</component></settings></unattend>",
    ),
    "password-in-generalize": lambda: replace(
        GENERALIZE,
        "<TimeZone>UTC</TimeZone>\n    </component>\n  </settings>\n</unattend>",
        ADMIN.format("false") + "</component></settings></unattend>",
    ),
    "plaintext-password": lambda: replace(
        INSTALL, "<PlainText>false</PlainText>", "<PlainText>true</PlainText>"
    ),
    "autologon-without-password": lambda: re.sub(
        r"<AutoLogon>\s*<Password>.*?</Password>", "<AutoLogon>", INSTALL, flags=re.S
    ),
    "autologon-without-count": lambda: replace(INSTALL, "<LogonCount>1</LogonCount>", ""),
    "imageinstall-incomplete": lambda: re.sub(
        r"<InstallTo>.*?</InstallTo>", "", INSTALL, flags=re.S
    ),
    "installfrom-metadata": lambda: replace(INSTALL, "/IMAGE/NAME", "/IMAGE/EDITION"),
    "list-item-action": lambda: replace(
        INSTALL, '<CreatePartition wcm:action="add">', "<CreatePartition>"
    ),
    "duplicate-order": lambda: replace(
        INSTALL,
        "<Order>2</Order>\n              <Type>MSR",
        "<Order>1</Order>\n              <Type>MSR",
    ),
    "msr-modified": lambda: replace(
        INSTALL,
        "<PartitionID>3</PartitionID>\n              <Format>NTFS",
        "<PartitionID>2</PartitionID>\n              <Format>NTFS",
    ),
    "computer-name": lambda: replace(
        INSTALL,
        "<ComputerName>*</ComputerName>",
        "<ComputerName>WINCLOUD-BUILD-HOST-01</ComputerName>",
    ),
    "empty-setting": lambda: replace(INSTALL, "<TimeZone>UTC</TimeZone>", "<TimeZone></TimeZone>"),
    "non-ascii": lambda: replace(INSTALL, "wincloud stage marker", "wincloud st\u00e4ge marker"),
}


def test_every_rule_has_a_mutation():
    assert set(MUTATIONS) == set(RULES)


@pytest.mark.parametrize("golden", [INSTALL, GENERALIZE], ids=["install", "generalize"])
def test_the_goldens_are_clean(golden):
    assert lint_unattend(golden.encode()) == []


@pytest.mark.parametrize("rule", sorted(MUTATIONS))
def test_rule_fires_on_its_mutation(rule):
    findings = lint_unattend(MUTATIONS[rule]().encode("utf-8"))
    fired = [f for f in findings if f.rule == rule]
    assert fired, findings
    assert all(f.severity == RULES[rule][0] and f.line >= 1 for f in fired)
    assert has_errors(findings) == any(f.severity == "error" for f in findings)


def test_findings_carry_the_line_of_the_offending_element():
    text = replace(INSTALL, "<TimeZone>UTC</TimeZone>", "<TimeZone></TimeZone>")
    line = text.splitlines().index("      <TimeZone></TimeZone>") + 1
    assert [(f.rule, f.line) for f in lint_unattend(text.encode())] == [("empty-setting", line)]


def test_command_credentials_are_plain_text_passwords():
    creds = (
        "<Credentials><Domain>.</Domain><Password>hunter2</Password>"
        "<Username>ops</Username></Credentials><Order>1</Order>"
    )
    text = replace(
        INSTALL,
        "<Order>1</Order>\n          <Description>wincloud stage",
        creds + "<Description>wincloud stage",
    )
    assert "plaintext-password" in {f.rule for f in lint_unattend(text.encode())}


def test_skiprearm_zero_or_without_a_gvlk_is_fine():
    zero = add_to_pass(GENERALIZE, "generalize", SPP_REARM.replace(">1<", ">0<"))
    assert not [f for f in lint_unattend(zero.encode()) if f.rule == "skiprearm-with-gvlk"]
    mak = add_to_pass(GENERALIZE, "generalize", SPP_REARM).replace(
        "VDYBN-27WPP-V4HQT-9VMD4-VMK7H", "AAAAA-BBBBB-CCCCC-DDDDD-EEEEE"
    )
    assert not [f for f in lint_unattend(mak.encode()) if f.rule == "skiprearm-with-gvlk"]


def test_a_legacy_slc_skiprearm_counts_too():
    slc = component("Microsoft-Windows-Security-Licensing-SLC", "<SkipRearm>1</SkipRearm>")
    findings = lint_unattend(add_to_pass(GENERALIZE, "generalize", slc).encode())
    assert "skiprearm-with-gvlk" in {f.rule for f in findings}


def test_billion_laughs_is_refused_unexpanded():
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(
            f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
            for i in range(1, 10)
        )
        + ']><unattend xmlns="urn:schemas-microsoft-com:unattend">&lol9;</unattend>'
    )
    assert [f.rule for f in lint_unattend(bomb.encode())] == ["xml-unsafe"]


def test_an_external_entity_is_refused():
    xxe = '<?xml version="1.0"?><!DOCTYPE u SYSTEM "file:///etc/passwd"><unattend/>'
    assert [f.rule for f in lint_unattend(xxe.encode())] == ["xml-unsafe"]


def test_oversized_input_is_refused():
    big = INSTALL.replace("</unattend>", "<!--" + "x" * MAX_BYTES + "--></unattend>")
    assert [f.rule for f in lint_unattend(big.encode())] == ["xml-unsafe"]


def test_utf16_with_bom_is_read():
    data = INSTALL.replace('encoding="utf-8"', 'encoding="utf-16"').encode("utf-16")
    assert lint_unattend(data) == []


def test_bytes_that_are_not_text_are_malformed():
    assert [f.rule for f in lint_unattend(b"<unattend>\xff\xfe\xfd</unattend>")] == [
        "xml-malformed"
    ]


def run(capsys, *args: str) -> tuple[int, str, str]:
    try:
        main(["image", "lint", *args])
        status = 0
    except SystemExit as stop:
        status = stop.code if isinstance(stop.code, int) else 1
    out = capsys.readouterr()
    return status, out.out, out.err


def test_cli_lint_clean_file_exits_0(capsys):
    status, out, err = run(capsys, str(GOLDENS / "server-uefi-virtio-kms-client-install.xml"))
    assert status == 0 and out == ""
    assert "0 error(s)" in err


def test_cli_lint_errors_exit_1_with_file_line_rule(capsys, tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_text(MUTATIONS["empty-product-key"]())
    status, out, _ = run(capsys, str(bad))
    assert status == 1
    assert re.search(rf"^{re.escape(str(bad))}:\d+: error\[empty-product-key\] ", out, re.M)


def test_cli_lint_json(capsys, tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_text(MUTATIONS["autologon-without-count"]())
    status, out, _ = run(capsys, "--json", str(bad))
    assert status == 0  # a warning only
    doc = json.loads(out)
    assert [f["rule"] for f in doc["findings"]] == ["autologon-without-count"]
    assert set(doc["findings"][0]) == {"rule", "line", "severity", "message"}


def test_cli_lint_missing_file_is_a_config_error(capsys, tmp_path):
    status, _, err = run(capsys, str(tmp_path / "absent.xml"))
    assert status == 2
    assert err.startswith("error[config-error]: cannot read the answer file")
