import pytest

from wincloud.agent.userdata.scripts import (
    is_ec2_format,
    is_ec2_persist,
    parse_ec2,
    script_kind,
    script_name,
)


@pytest.mark.parametrize(
    "data, kind",
    [
        (b"#!/bin/bash\necho\n", "shebang"),
        (b"\xef\xbb\xbf#!/bin/sh\n", "shebang"),
        (b"#ps1\nWrite-Host hi\n", "powershell"),
        (b"#PS1\nWrite-Host hi\n", "powershell"),
        (b"#ps1_sysnative\nWrite-Host hi\n", "powershell_sysnative"),
        (b"#ps1_x86\nWrite-Host hi\n", "powershell_x86"),
        (b"rem cmd\r\necho hi\r\n", "cmd"),
        (b"REM CMD\r\necho hi\r\n", "cmd"),
    ],
)
def test_kind_comes_from_the_first_line(data, kind):
    assert script_kind(data) == kind


@pytest.mark.parametrize("data", [b"#cloud-config\n{}", b"just text", b"", b"echo #!/bin/sh"])
def test_other_first_lines_are_no_script(data):
    assert script_kind(data) is None


@pytest.mark.parametrize(
    "base, kind, name",
    [
        ("userdata", "powershell_x86", "userdata.ps1"),
        ("setup.PS1", "powershell", "setup.PS1"),
        ("a/b\\c", "cmd", "a_b_c.cmd"),
        ("run.sh", "shebang", "run.sh"),
        ("", "shebang", "userdata"),
    ],
)
def test_names_get_the_extension_of_their_kind(base, kind, name):
    assert script_name(base, kind) == name


EC2 = b"""<script>
echo batch one
</script>
<powershell>
Write-Host ps one
</powershell>
<script>echo batch two</script>
<persist>true</persist>
"""


def test_ec2_batch_blocks_run_before_powershell_blocks():
    assert is_ec2_format(EC2)
    scripts = parse_ec2(EC2)
    assert [(s.name, s.kind, s.body) for s in scripts] == [
        ("ec2-script-00.cmd", "cmd", b"echo batch one"),
        ("ec2-script-01.cmd", "cmd", b"echo batch two"),
        ("ec2-powershell-00.ps1", "powershell", b"Write-Host ps one"),
    ]


def test_ec2_persist_is_noticed():
    assert is_ec2_persist(EC2)
    assert not is_ec2_persist(b"<powershell>x</powershell>")


def test_a_script_mentioning_tags_is_no_ec2_user_data():
    assert not is_ec2_format(b"#!/bin/sh\necho '<script>x</script>'\n")
