"""load_spec: the interface's example loads; every wrong key is a ConfigError naming the key
path and the file; cross-field rules; relative paths; require_files; digest."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.image.spec.conftest import base_data
from wincloud.errors import ConfigError
from wincloud.image.spec import ImageSpec, load_spec


def test_the_interface_example_loads_with_every_value(write_spec, tmp_path):
    spec = load_spec(write_spec())
    assert isinstance(spec, ImageSpec)
    assert spec.image.name == "ws2022-std"
    assert spec.source.iso == tmp_path / "iso/SERVER_EVAL_x64FRE_en-us.iso"
    assert spec.source.media == spec.source.iso
    assert spec.source.resolved_edition_id() == "ServerStandard"
    assert spec.firmware.secure_boot is True
    assert spec.build.timeouts.windowspe == 3600
    assert spec.publish.visibility == "private"
    assert spec.path == tmp_path / "spec.toml"
    assert spec.product_key() == "VDYBN-27WPP-V4HQT-9VMD4-VMK7H"


def test_defaults_fill_the_optional_tables(write_spec):
    data = base_data()
    for table in ("firmware", "disk", "network", "locale", "licensing", "build", "publish"):
        del data[table]
    spec = load_spec(write_spec(data))
    assert spec.firmware.type == "uefi"
    assert spec.disk.bus == "virtio"
    assert spec.locale.time_zone == "UTC"
    assert spec.licensing.kind == "none"
    assert spec.product_key() is None
    assert spec.build.timeouts.sysprep == 1800
    assert spec.min_disk_gib == spec.disk.size_gib
    assert spec.publish_name == "ws2022-std"


def test_the_spec_is_frozen(write_spec):
    spec = load_spec(write_spec())
    with pytest.raises(ValueError, match="frozen"):
        spec.disk.size_gib = 80  # type: ignore[misc]


def error_of(write_spec, data) -> ConfigError:
    path = write_spec(data)
    with pytest.raises(ConfigError) as info:
        load_spec(path)
    assert info.value.subject == str(path)
    return info.value


def mutate(path: str, value):
    data = base_data()
    *tables, key = path.split(".")
    node = data
    for table in tables:
        node = node.setdefault(table, {})
    if value is _DELETE:
        del node[key]
    else:
        node[key] = value
    return data


_DELETE = object()


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("firmware.bogus", 1, "firmware.bogus: unknown key"),
        ("bogus.key", 1, "bogus: unknown key"),
        ("image.name", "WS 2022", "image.name: 'WS 2022' is not lower-case letters"),
        ("image.name", _DELETE, "image.name: missing (required)"),
        ("source.version", "2012", "source.version: Input should be"),
        ("source.architecture", "x86", "source.architecture: Input should be"),
        ("disk.size_gib", "40", "disk.size_gib: Input should be a valid integer"),
        ("disk.bus", "ide", "disk.bus: Input should be"),
        ("firmware.tpm", 1, "firmware.tpm: Input should be a valid boolean"),
        ("build.cpus", 0, "build.cpus: Input should be greater than or equal to 1"),
        ("build.timeouts.boot", 0, "build.timeouts.boot: Input should be greater"),
        (
            "locale.time_zone",
            "Europe/Berlin",
            "locale.time_zone: 'Europe/Berlin' is not a Windows time-zone id",
        ),
        ("locale.ui_language", "english", "locale.ui_language: 'english' is not a language tag"),
        ("publish.properties", {"a": 1}, "publish.properties.a: Input should be a valid string"),
        ("drivers.extra", [1], "drivers.extra[0]: Input should be"),
        ("agent.msi", _DELETE, "agent.msi: missing (required)"),
        ("source.edition", "Windows Server 2022 SERVERSTANDARD\u00e9", "source.edition: "),
    ],
)
def test_a_wrong_key_is_named_in_the_error(write_spec, key, value, expected):
    err = error_of(write_spec, mutate(key, value))
    assert err.message.startswith(expected), err.message
    assert err.hint and "docs/images.md" in err.hint


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"firmware.type": "bios"},
            'firmware.secure_boot: Secure Boot needs firmware.type = "uefi"',
        ),
        (
            {"firmware.type": "bios", "firmware.secure_boot": False, "firmware.tpm": True},
            "firmware.tpm: ",
        ),
        (
            {
                "firmware.type": "bios",
                "firmware.secure_boot": False,
                "source.architecture": "arm64",
            },
            "firmware.type: arm64",
        ),
        (
            {"source.version": "11", "source.edition": "Windows 11 Pro", "firmware.tpm": False},
            "firmware.tpm: Windows 11 needs a TPM",
        ),
        (
            {
                "source.version": "11",
                "source.edition": "Windows 11 Pro",
                "firmware.tpm": True,
                "disk.size_gib": 64,
                "publish.min_disk_gib": 64,
                "build.memory_mib": 2048,
            },
            "build.memory_mib: Windows 11 Setup needs at least 4096 MiB",
        ),
        ({"disk.size_gib": 20, "publish.min_disk_gib": 20}, "disk.size_gib: Windows 2022 needs"),
        (
            {"publish.compression": "zstd", "publish.disk_format": "raw"},
            'publish.compression: zstd compression needs publish.disk_format = "qcow2"',
        ),
        ({"publish.min_disk_gib": 30}, "publish.min_disk_gib: smaller than"),
        (
            {"publish.properties": {"min_ram": "1"}},
            "publish.properties.min_ram: an image attribute",
        ),
        ({"source.version": "2019"}, "source.version: '2019' but source.edition names 2022"),
        ({"source.version": "10"}, "source.edition: 'Windows Server 2022 SERVERSTANDARD' is a"),
        ({"source.edition": "Windows 10 Pro"}, "source.edition: 'Windows 10 Pro' is not a"),
        ({"source.wim": "install.wim"}, "source.iso: give exactly one of"),
        ({"source.iso": _DELETE}, "source.iso: give exactly one of"),
        ({"source.index": 2}, "source.edition: give exactly one of"),
        ({"licensing.mode": "mak"}, 'licensing.mode: one of "kms-client", "none" or "file:PATH"'),
        ({"licensing.mode": "file:"}, "licensing.mode: one of"),
        ({"licensing.mode": "file:keys/none.key"}, "licensing.mode: key file not found"),
        (
            {"source.edition": _DELETE, "source.index": 2},
            "licensing.mode: kms-client needs the edition: set source.edition_id",
        ),
        (
            {"source.edition": "Windows Server 2022 SERVERWEB"},
            "licensing.mode: kms-client needs the edition",
        ),
        (
            {"source.edition_id": "ServerSolution"},
            "licensing.mode: no KMS client key for Windows 2022 ServerSolution",
        ),
    ],
)
def test_contradictions_name_the_key(write_spec, changes, expected):
    data = base_data()
    for key, value in changes.items():
        *tables, last = key.split(".")
        node = data
        for table in tables:
            node = node.setdefault(table, {})
        if value is _DELETE:
            del node[last]
        else:
            node[last] = value
    err = error_of(write_spec, data)
    assert expected in err.message, err.message


def test_every_problem_is_reported_at_once(write_spec):
    data = mutate("disk.bus", "ide")
    data["build"]["cpus"] = 0
    message = error_of(write_spec, data).message
    assert "disk.bus" in message and "build.cpus" in message


def test_a_version_written_as_a_number_is_accepted(write_spec):
    assert load_spec(write_spec(mutate("source.version", 2022))).source.version == "2022"


def test_windows_11_with_uefi_tpm_and_64_gib_loads(write_spec):
    data = base_data()
    data["source"].update(version="11", edition="Windows 11 Enterprise")
    data["firmware"]["tpm"] = True
    data["disk"]["size_gib"] = 64
    data["publish"]["min_disk_gib"] = 64
    spec = load_spec(write_spec(data))
    assert spec.product_key() == "NPPR9-FWDCX-D2C8J-H872K-2YT43"


def test_an_index_with_an_edition_id_gets_its_kms_key(write_spec):
    data = base_data()
    del data["source"]["edition"]
    data["source"].update(index=4, edition_id="ServerDatacenter")
    assert load_spec(write_spec(data)).product_key() == "WX4NM-KYWYW-QJJR4-XV3QB-6VM33"


def test_a_key_file_is_read_relative_to_the_spec(write_spec, tmp_path):
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "product.key").write_text("abcde-12345-fghij-67890-klmno\n")
    spec = load_spec(write_spec(mutate("licensing.mode", "file:keys/product.key")))
    assert spec.licensing.key_file == tmp_path / "keys" / "product.key"
    assert spec.product_key() == "ABCDE-12345-FGHIJ-67890-KLMNO"


def test_a_key_file_without_a_key_is_refused_without_showing_it(write_spec, tmp_path):
    (tmp_path / "bad.key").write_text("SECRET-NOT-A-KEY\n")
    err = error_of(write_spec, mutate("licensing.mode", "file:bad.key"))
    assert "licensing.mode" in err.message
    assert "SECRET" not in str(err)


def test_relative_paths_resolve_against_the_spec_folder_not_the_cwd(
    write_spec, tmp_path, monkeypatch
):
    monkeypatch.chdir("/")
    spec = load_spec(write_spec())
    assert spec.drivers.virtio_win_iso == tmp_path / "iso" / "virtio-win-0.1.266.iso"
    assert spec.agent.msi == tmp_path / "dist" / "wincloud-agent.msi"


def test_absolute_paths_stay(write_spec):
    spec = load_spec(write_spec(mutate("agent.msi", "/opt/agent.msi")))
    assert spec.agent.msi == Path("/opt/agent.msi")


def test_files_are_not_required_to_load_but_require_files_names_the_missing_one(
    write_spec, tmp_path
):
    spec = load_spec(write_spec())
    with pytest.raises(ConfigError) as info:
        spec.require_files("source")
    assert info.value.message.startswith("source.iso: file not found")
    (tmp_path / "iso").mkdir()
    (tmp_path / "iso" / "SERVER_EVAL_x64FRE_en-us.iso").write_bytes(b"iso")
    spec.require_files("source")
    with pytest.raises(ConfigError, match=r"drivers\.virtio_win_iso: file not found"):
        spec.require_files()


def test_require_files_checks_extra_driver_folders(write_spec, tmp_path):
    spec = load_spec(write_spec(mutate("drivers.extra", ["drivers/nic"])))
    with pytest.raises(ConfigError, match=r"drivers\.extra\[0\]: folder not found"):
        spec.require_files("drivers.extra")
    (tmp_path / "drivers" / "nic").mkdir(parents=True)
    spec.require_files("drivers.extra")


def test_require_files_refuses_an_unknown_key(write_spec):
    with pytest.raises(ValueError, match="unknown file key"):
        load_spec(write_spec()).require_files("agent.exe")


def test_unreadable_and_invalid_toml_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="cannot read the spec"):
        load_spec(tmp_path / "absent.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[image\nname=")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_spec(bad)


def test_the_digest_is_stable_and_follows_content(write_spec, tmp_path):
    one = load_spec(write_spec()).digest()
    assert one == load_spec(write_spec()).digest()
    assert len(one) == 64 and int(one, 16) >= 0
    other = load_spec(write_spec(mutate("build.cpus", 4))).digest()
    assert other != one


def test_the_digest_does_not_depend_on_where_the_spec_folder_is(write_spec, tmp_path):
    here = load_spec(write_spec()).digest()
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    (moved / "spec.toml").write_text((tmp_path / "spec.toml").read_text())
    assert load_spec(moved / "spec.toml").digest() == here


def test_the_digest_counts_defaults_like_written_values(write_spec):
    data = base_data()
    del data["build"]["timeouts"]
    assert load_spec(write_spec(data)).digest() == load_spec(write_spec()).digest()
