"""The answer CD: driver choice from a virtio-win ISO, layout, SHA256SUMS, byte-identical builds,
read back with pycdlib; the CLI's success and wrong-version paths."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import xml.etree.ElementTree as ET
from pathlib import Path

import pycdlib
import pytest
from click.testing import CliRunner

from tests.unit.image.build.conftest import virtio_files, write_virtio_iso
from wincloud.cli import cli
from wincloud.errors import ImageError
from wincloud.image.media import (
    LABEL,
    build_media,
    choose_drivers,
    layout_media,
    media_files,
    read_virtio_drivers,
    write_media,
)
from wincloud.image.spec import load_spec


def test_storage_driver_follows_the_disk_bus():
    assert choose_drivers("2022", "amd64", "virtio", "virtio").storage == "viostor"
    assert choose_drivers("2022", "amd64", "scsi", "virtio").storage == "vioscsi"


def test_e1000_needs_no_netkvm():
    assert choose_drivers("2022", "amd64", "virtio", "e1000").network is None


def test_version_and_architecture_pick_the_folder():
    choice = choose_drivers("11", "arm64", "virtio", "virtio")
    assert choice.folder("viostor") == "viostor/w11/ARM64"


def test_only_the_spec_version_is_copied(tmp_path):
    iso = write_virtio_iso(tmp_path / "virtio-win.iso")
    drivers = read_virtio_drivers(iso, choose_drivers("2022", "amd64", "virtio", "virtio"))
    assert sorted(drivers.winpe) == [
        "$WinPEDriver$/NetKVM/netkvm.cat",
        "$WinPEDriver$/NetKVM/netkvm.inf",
        "$WinPEDriver$/NetKVM/netkvm.sys",
        "$WinPEDriver$/viostor/viostor.cat",
        "$WinPEDriver$/viostor/viostor.inf",
        "$WinPEDriver$/viostor/viostor.sys",
    ]
    assert drivers.winpe["$WinPEDriver$/viostor/viostor.sys"] == b"viostor/2k22/amd64 sys\n"
    assert sorted(drivers.staged) == [
        "wincloud/drivers/Balloon/balloon.cat",
        "wincloud/drivers/Balloon/balloon.inf",
        "wincloud/drivers/Balloon/balloon.sys",
    ]


def test_names_match_whatever_their_case(tmp_path):
    files = {k.replace("NetKVM", "netkvm"): v for k, v in virtio_files().items()}
    iso = write_virtio_iso(tmp_path / "lower.iso", files)
    drivers = read_virtio_drivers(iso, choose_drivers("11", "arm64", "virtio", "virtio"))
    assert "$WinPEDriver$/NetKVM/netkvm.inf" in drivers.winpe


def test_missing_driver_for_the_version_names_iso_and_folder(tmp_path):
    iso = write_virtio_iso(tmp_path / "virtio-win.iso")
    with pytest.raises(ImageError) as caught:
        read_virtio_drivers(iso, choose_drivers("2019", "amd64", "scsi", "virtio"))
    assert "vioscsi/2k19/amd64" in str(caught.value)
    assert caught.value.subject == str(iso)
    assert "2k22/amd64" in (caught.value.hint or "")


def test_unreadable_iso_is_an_image_error(tmp_path):
    bad = tmp_path / "virtio-win.iso"
    bad.write_bytes(b"\0" * 70000)
    with pytest.raises(ImageError) as caught:
        read_virtio_drivers(bad, choose_drivers("2022", "amd64", "virtio", "virtio"))
    assert caught.value.subject == str(bad)


def _layout(tmp_path: Path) -> dict[str, bytes]:
    iso = write_virtio_iso(tmp_path / "virtio-win.iso")
    return layout_media(
        install_xml=b"<unattend/>",
        generalize_xml=b"<unattend/>\n",
        agent_msi=b"msi",
        drivers=read_virtio_drivers(iso, choose_drivers("2022", "amd64", "virtio", "virtio")),
    )


def test_sha256sums_cover_every_other_file(tmp_path):
    files = _layout(tmp_path)
    lines = files["SHA256SUMS"].decode("ascii").splitlines()
    listed = {line.split("  ", 1)[1]: line.split("  ", 1)[0] for line in lines}
    assert set(listed) == set(files) - {"SHA256SUMS"}
    assert all(hashlib.sha256(files[p]).hexdigest() == h for p, h in listed.items())
    assert [line.split("  ", 1)[1] for line in lines] == sorted(listed)


def test_two_builds_are_byte_identical(tmp_path):
    files = _layout(tmp_path)
    write_media(files, tmp_path / "a.iso")
    write_media(dict(reversed(list(files.items()))), tmp_path / "b.iso")
    assert (tmp_path / "a.iso").read_bytes() == (tmp_path / "b.iso").read_bytes()


def _read_back(path: Path) -> tuple[str, dict[str, bytes], dict[str, bytes]]:
    iso = pycdlib.PyCdlib()
    iso.open(str(path))
    try:
        label = iso.pvd.volume_identifier.decode().strip()
        out: list[dict[str, bytes]] = []
        for kind in ("joliet_path", "rr_path"):
            files = {}
            for dirpath, _dirs, names in iso.walk(**{kind: "/"}):
                for name in names:
                    full = f"{dirpath.rstrip('/')}/{name}"
                    sink = io.BytesIO()
                    iso.get_file_from_iso_fp(sink, **{kind: full})
                    files[full.lstrip("/")] = sink.getvalue()
            out.append(files)
    finally:
        iso.close()
    return label, out[0], out[1]


def test_pycdlib_reads_back_joliet_and_rock_ridge_names(tmp_path):
    files = _layout(tmp_path)
    write_media(files, tmp_path / "answer.iso")
    label, joliet, rock_ridge = _read_back(tmp_path / "answer.iso")
    assert label == LABEL
    assert joliet == files
    assert rock_ridge == files


def test_build_script_is_on_the_cd(tmp_path):
    files = _layout(tmp_path)
    assert files["wincloud/build.ps1"].startswith(b"# wincloud image build")


def test_media_from_a_spec_holds_both_answer_files(spec_files, tmp_path):
    spec = load_spec(spec_files(bus="scsi"))
    files = build_media(spec, tmp_path / "answer.iso")
    assert ET.fromstring(files["autounattend.xml"]).tag.endswith("unattend")
    assert b"generalize" in files["wincloud/generalize.xml"]
    assert files["wincloud/agent.msi"] == spec.agent.msi.read_bytes()
    assert "$WinPEDriver$/vioscsi/vioscsi.inf" in files
    assert not any(p.startswith("$WinPEDriver$/viostor") for p in files)
    assert _read_back(tmp_path / "answer.iso")[1] == files


def test_extra_driver_folders_are_staged(spec_files, tmp_path):
    path = spec_files()
    extra = path.parent / "vendor-nic"
    (extra / "sub").mkdir(parents=True)
    (extra / "sub" / "nic.inf").write_bytes(b"[Version]\n")
    path.write_text(
        path.read_text().replace(
            'virtio_win_iso = "virtio-win.iso"',
            'virtio_win_iso = "virtio-win.iso"\nextra = ["vendor-nic"]',
        )
    )
    files = media_files(load_spec(path))
    assert files["wincloud/drivers/extra1-vendor-nic/sub/nic.inf"] == b"[Version]\n"


def test_cli_writes_the_answer_cd(spec_files, tmp_path):
    out = tmp_path / "answer.iso"
    result = CliRunner().invoke(cli, ["image", "media", str(spec_files()), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert _read_back(out)[0] == LABEL


def test_cli_wrong_version_is_one_error_line(spec_files, tmp_path):
    out = tmp_path / "answer.iso"
    from wincloud.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["image", "media", str(spec_files(version="2025")), "--out", str(out)])
    assert exited.value.code == 1
    assert not out.exists()


def test_cli_wrong_version_message(spec_files, tmp_path, capsys):
    from wincloud.cli import main

    with pytest.raises(SystemExit):
        main(["image", "media", str(spec_files(version="2025")), "--out", str(tmp_path / "a.iso")])
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0].startswith("error[image-error]: the virtio-win ISO has no viostor driver")
    assert "viostor/2k25/amd64" in err[0]
    assert "virtio-win.iso" in err[0]
    assert "Traceback" not in "\n".join(err)


@pytest.mark.parametrize("kind", ["folder", "fifo"])
def test_out_that_is_not_a_file_is_refused_and_left_alone(spec_files, tmp_path, capsys, kind):
    # A rename onto a device replaced /dev/null with the CD (as root); a folder was a traceback.
    from wincloud.cli import main

    out = tmp_path / "answer.iso"
    if kind == "folder":
        out.mkdir()
    else:
        os.mkfifo(out)
    with pytest.raises(SystemExit) as exited:
        main(["image", "media", str(spec_files()), "--out", str(out)])
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("error[image-error]: the answer CD path exists and is not a regular")
    assert str(out) in err and "Traceback" not in err
    assert out.is_dir() if kind == "folder" else stat.S_ISFIFO(out.stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["answer.iso", "spec"]


def test_out_under_a_file_is_one_error_line(spec_files, tmp_path, capsys):
    from wincloud.cli import main

    (tmp_path / "plain").write_text("x")
    with pytest.raises(SystemExit) as exited:
        main(["image", "media", str(spec_files()), "--out", str(tmp_path / "plain/a.iso")])
    assert exited.value.code == 1
    err = capsys.readouterr().err
    # stat() of the path already fails (ENOTDIR), before any folder is created
    assert err.startswith("error[image-error]: cannot use the answer CD path (Not a directory)")
    assert "give --out the path of a file in a writable folder" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("name", "message"),
    [("n\u00efc.inf", "printable ASCII"), ("a" * 70 + ".inf", "longer than 64 characters")],
)
def test_extra_driver_names_the_cd_cannot_hold_name_the_file(
    spec_files, tmp_path, capsys, name, message
):
    # a non-ASCII name passed check --require-files, then media died on a UnicodeEncodeError
    from wincloud.cli import main

    path = spec_files()
    extra = path.parent / "vendor"
    extra.mkdir()
    (extra / name).write_bytes(b"[Version]\n")
    path.write_text(path.read_text().replace("[agent]", 'extra = ["vendor"]\n\n[agent]'))
    out = tmp_path / "answer.iso"
    with pytest.raises(SystemExit) as exited:
        main(["image", "media", str(path), "--out", str(out)])
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("error[image-error]: drivers.extra[0]: ")
    assert message in err and str(extra / name) in err and "Traceback" not in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("name", "key"), [("virtio-win.iso", "drivers.virtio_win_iso"), ("spec.toml", "the spec")]
)
def test_out_that_is_an_input_of_the_spec_is_refused(spec_files, capsys, name, key):
    # `--out virtio-win.iso` replaced the operator's virtio-win ISO with the answer CD
    from wincloud.cli import main

    spec = spec_files()
    target = spec.parent / name
    before = target.read_bytes()
    with pytest.raises(SystemExit) as exited:
        main(["image", "media", str(spec), "--out", str(target)])
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error[image-error]: the answer CD would replace {key}")
    assert target.read_bytes() == before


@pytest.mark.parametrize("command", ["unattend", "media", "build"])
def test_an_out_name_too_long_is_one_error_line(spec_files, tmp_path, capsys, command):
    # os.stat's ENAMETOOLONG escaped as an OSError traceback (exit status 70)
    from wincloud.cli import main

    out = tmp_path / ("a" * 300)
    with pytest.raises(SystemExit) as exited:
        main(["image", command, str(spec_files()), "--out", str(out)])
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert "(File name too long)" in err.splitlines()[0] and "Traceback" not in err


@pytest.mark.parametrize("command", ["inspect", "customize"])
def test_an_image_name_too_long_is_one_error_line(tmp_path, capsys, command):
    from wincloud.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["image", command, str(tmp_path / ("a" * 300))])
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("error[image-error]: cannot use the image path (File name too long)")


_TERMINATED_WRITE = """
import os, signal, sys
from wincloud.cli import main

real = os.fsync
def fsync(fd):
    os.kill(os.getpid(), signal.SIGTERM)  # terminated half-way through the write
    real(fd)
os.fsync = fsync  # this child process only
main(sys.argv[1:])
"""


@pytest.mark.parametrize("command", ["media", "unattend"])
def test_a_terminated_write_leaves_no_staging_file(spec_files, tmp_path, command):
    # SIGTERM's default action ended the process inside the write: the hidden
    # .<name>.<random> staging file stayed next to --out
    import subprocess
    import sys

    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (out_dir / "kept.iso").write_bytes(b"old")
    out = out_dir / "kept.iso"
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _TERMINATED_WRITE,
            "image",
            command,
            str(spec_files()),
            "--out",
            str(out),
        ],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 130, done.stderr
    assert sorted(p.name for p in out_dir.iterdir()) == ["kept.iso"]
    assert out.read_bytes() == b"old"
