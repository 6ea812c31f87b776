"""build refuses an --out or --screenshot-dir it could not use at the end, before QEMU starts
(a folder at --out made the final rename a traceback after a whole install)."""

from __future__ import annotations

import pytest

from wincloud.cli import main


def _build(spec, *args: str) -> None:
    main(["image", "build", str(spec), *args])


def test_out_that_is_a_folder_is_refused_before_qemu(spec_files, tmp_path, capsys):
    spec = spec_files(boot=1)
    out = tmp_path / "image.qcow2"
    out.mkdir()
    with pytest.raises(SystemExit) as exited:
        _build(spec, "--out", str(out), "--accel", "tcg")
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("error[image-error]: the disk image path exists and is not a regular")
    assert "build failed" not in err and "Traceback" not in err
    assert not (tmp_path / "image.qcow2.partial").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["image.qcow2", "spec"]


def test_screenshot_dir_that_is_a_file_is_refused_before_qemu(spec_files, tmp_path, capsys):
    spec = spec_files(boot=1)
    shots = tmp_path / "shots"
    shots.write_text("not a folder")
    out = tmp_path / "image.qcow2"
    with pytest.raises(SystemExit) as exited:
        _build(spec, "--out", str(out), "--accel", "tcg", "--screenshot-dir", str(shots))
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("error[image-error]: cannot use the screenshot folder (File exists)")
    assert str(shots) in err and "Traceback" not in err
    assert not out.exists() and not (tmp_path / "image.qcow2.partial").exists()
    assert shots.read_text() == "not a folder"


def test_qemu_that_does_not_start_leaves_its_log_with_the_artefacts(spec_files, tmp_path):
    # The error named qemu.log in the build's temporary folder, deleted when build returned.
    from wincloud.errors import ImageError
    from wincloud.image.build import plan_from_spec, run_plan
    from wincloud.image.spec import load_spec

    qemu = tmp_path / "qemu-system-x86_64"
    qemu.write_text("#!/bin/sh\necho \"qemu: cannot set up guest memory 'pc.ram'\" >&2\nexit 1\n")
    qemu.chmod(0o755)
    spec = load_spec(spec_files(firmware="bios", secure_boot=False))
    plan = plan_from_spec(
        spec, accel="tcg", disk=tmp_path / "d.qcow2", answer_cd=tmp_path / "a.iso"
    )
    with pytest.raises(ImageError) as caught:
        run_plan(plan, work=tmp_path / "work", artefacts=tmp_path / "out", qemu=str(qemu))
    assert "cannot set up guest memory" in caught.value.message
    kept = tmp_path / "out" / "ws2022-std-qemu.log"
    assert caught.value.subject == str(kept)
    assert "cannot set up guest memory" in kept.read_text()


def test_swtpm_that_does_not_start_leaves_its_log_with_the_artefacts(
    spec_files, tmp_path, monkeypatch
):
    import os

    from wincloud.errors import ImageError
    from wincloud.image.build import plan_from_spec, run_plan
    from wincloud.image.spec import load_spec

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    swtpm = bin_dir / "swtpm"
    swtpm.write_text("#!/bin/sh\necho 'swtpm: cannot lock the state folder' >&2\nexit 1\n")
    swtpm.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    spec = load_spec(spec_files(tpm=True))
    plan = plan_from_spec(
        spec, accel="tcg", disk=tmp_path / "d.qcow2", answer_cd=tmp_path / "a.iso"
    )
    with pytest.raises(ImageError, match="swtpm did not start") as caught:
        run_plan(plan, work=tmp_path / "work", artefacts=tmp_path / "out")
    kept = tmp_path / "out" / "ws2022-std-swtpm.log"
    assert caught.value.subject == str(kept)
    assert "cannot lock the state folder" in kept.read_text()


def test_out_that_is_the_install_iso_is_refused_before_qemu(spec_files, capsys):
    spec = spec_files(boot=1)
    iso = spec.parent / "win.iso"
    before = iso.read_bytes()
    with pytest.raises(SystemExit) as exited:
        _build(spec, "--out", str(iso), "--accel", "tcg")
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("error[image-error]: the disk image would replace source")
    assert iso.read_bytes() == before


def test_a_kept_partial_disk_is_refused_not_overwritten(spec_files, tmp_path, capsys):
    # The next build used to replace the disk kept for a post-mortem without a word.
    spec = spec_files(boot=1)
    out = tmp_path / "image.qcow2"
    partial = tmp_path / "image.qcow2.partial"
    partial.write_bytes(b"the disk kept for debugging")
    with pytest.raises(SystemExit) as exited:
        _build(spec, "--out", str(out), "--accel", "tcg")
    assert exited.value.code == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == (
        "error[image-error]: a partial disk from an earlier build is in the way (kept for "
        f"debugging with --keep-disk, or left by a build that was killed): {partial}"
    )
    assert "--discard-partial" in err[1]
    assert partial.read_bytes() == b"the disk kept for debugging"
    assert not out.exists()


def test_discard_partial_lets_the_build_replace_it(spec_files, tmp_path, capsys):
    spec = spec_files(boot=1, firmware="bios", secure_boot=False)
    out = tmp_path / "image.qcow2"
    partial = tmp_path / "image.qcow2.partial"
    partial.write_bytes(b"the disk kept for debugging")
    with pytest.raises(SystemExit) as exited:
        _build(spec, "--out", str(out), "--accel", "tcg", "--discard-partial")
    assert exited.value.code == 1
    assert "build failed: stage boot timed out" in capsys.readouterr().err
    assert not partial.exists() and not out.exists()


def test_a_failed_disk_creation_leaves_no_partial_disk(spec_files, tmp_path, monkeypatch, capsys):
    # qemu-img failing half-way (a full disk) left its file as <out>.partial, which the next
    # build then refused as a disk kept for debugging
    import os

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "qemu-img"
    # argv: create -q -f qcow2 PATH SIZE; writes a few bytes, then fails as a full disk would
    fake.write_text(
        "#!/bin/sh\nprintf QFI > \"$5\"\necho 'qemu-img: No space left on device' >&2\nexit 1\n"
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    spec = spec_files(boot=1)
    out = tmp_path / "image.qcow2"
    with pytest.raises(SystemExit) as exited:
        _build(spec, "--out", str(out), "--accel", "tcg", "--keep-disk")
    assert exited.value.code == 1
    assert "qemu-img create failed (qemu-img: No space left on device)" in capsys.readouterr().err
    assert not (tmp_path / "image.qcow2.partial").exists()


def test_a_link_at_the_partial_path_is_refused_and_never_written_through(
    spec_files, tmp_path, capsys
):
    # a dangling link was not "in the way" (exists() follows it) and qemu-img created the
    # disk at its target; with --discard-partial a link to a file was written through
    victim = tmp_path / "precious.img"
    partial = tmp_path / "image.qcow2.partial"
    partial.symlink_to(victim)
    spec = spec_files(boot=1, firmware="bios", secure_boot=False)
    out = tmp_path / "image.qcow2"
    with pytest.raises(SystemExit) as exited:
        _build(spec, "--out", str(out), "--accel", "tcg")
    assert exited.value.code == 1
    assert "a partial disk from an earlier build is in the way" in capsys.readouterr().err
    assert not victim.exists()
    victim.write_bytes(b"keep me")
    with pytest.raises(SystemExit):
        _build(spec, "--out", str(out), "--accel", "tcg", "--discard-partial")
    assert victim.read_bytes() == b"keep me"
    assert not partial.is_symlink()


@pytest.mark.parametrize("suffix", ["", ".partial"])
def test_screenshot_dir_at_the_output_path_is_refused_before_qemu(
    spec_files, tmp_path, capsys, suffix
):
    # the folder made at --out stopped the final rename (a traceback after the install)
    spec = spec_files(boot=1)
    out = tmp_path / "image.qcow2"
    with pytest.raises(SystemExit) as exited:
        _build(spec, "--out", str(out), "--accel", "tcg", "--screenshot-dir", f"{out}{suffix}")
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("error[image-error]: --screenshot-dir is the path of the disk image")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spec"]


def test_a_partial_path_that_is_an_input_is_never_discarded(spec_files, tmp_path, capsys):
    # --out agent with the MSI at agent.partial: --discard-partial deleted the agent MSI
    spec = spec_files(boot=1)
    (spec.parent / "agent.msi").rename(spec.parent / "agent.partial")
    spec.write_text(spec.read_text().replace('msi = "agent.msi"', 'msi = "agent.partial"'))
    msi = (spec.parent / "agent.partial").read_bytes()
    with pytest.raises(SystemExit) as exited:
        _build(spec, "--out", str(spec.parent / "agent"), "--accel", "tcg", "--discard-partial")
    assert exited.value.code == 1
    assert capsys.readouterr().err.startswith(
        "error[image-error]: the partial disk would replace agent.msi, an input of the spec"
    )
    assert (spec.parent / "agent.partial").read_bytes() == msi
