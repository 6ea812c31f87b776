def test_no_labelled_volume_is_none(rig):
    assert rig.platform.volumes.find_labelled("config-2") is None
    assert rig.platform.volumes.labels() == {}


def test_labelled_volume_is_found(rig, tmp_path):
    image = tmp_path / "sr0"
    image.write_bytes(b"ISO bytes")
    rig.add_volume("config-2", image)
    found = rig.platform.volumes.find_labelled("config-2")
    assert found.read_bytes() == b"ISO bytes"
    assert list(rig.platform.volumes.labels()) == ["config-2"]


def test_label_match_ignores_case(rig, tmp_path):
    image = tmp_path / "vdb"
    image.write_bytes(b"FAT bytes")
    rig.add_volume("CONFIG-2", image)
    assert rig.platform.volumes.find_labelled("config-2").read_bytes() == b"FAT bytes"


def test_nothing_grows_without_a_mounted_partition(rig):
    """The fake knows no volume; the POSIX backend under a scratch root does not resize (the
    mounts it would see are the host's)."""
    import pytest

    from wincloud.errors import NotSupported, PlatformError

    if rig.kind == "posix":
        with pytest.raises(NotSupported):
            rig.platform.volumes.growable()
    else:
        assert rig.platform.volumes.growable() == []
    with pytest.raises(PlatformError):
        rig.platform.volumes.extend("/")
