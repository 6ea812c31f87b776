"""glance_properties: what a good image gets, and each contradiction refused by property name."""

from __future__ import annotations

import pytest

from tests.unit.image.publish.conftest import windows
from wincloud.errors import ImageError
from wincloud.image.publish import glance_properties, plan_image


def test_uefi_virtio_image_gets_nova_properties(make_spec, report):
    props = glance_properties(make_spec(), report())
    assert props["os_type"] == "windows"
    assert props["os_distro"] == "windows"
    assert props["os_version"] == "2022"
    assert props["architecture"] == "x86_64"
    assert props["hw_machine_type"] == "q35"
    assert props["hw_firmware_type"] == "uefi"
    assert props["os_secure_boot"] == "required"
    assert props["hw_disk_bus"] == "virtio"
    assert props["hw_vif_model"] == "virtio"
    assert "hw_scsi_model" not in props
    assert "hw_tpm_version" not in props
    assert "hw_qemu_guest_agent" not in props
    assert props["min_disk"] == "40"
    assert props["min_ram"] == "2048"


def test_provenance_names_spec_agent_virtio_and_build(make_spec, report):
    spec = make_spec()
    props = glance_properties(spec, report(agent_version="1.2.3"))
    assert props["wincloud_spec_sha256"] == spec.digest()
    assert len(props["wincloud_spec_sha256"]) == 64
    assert props["wincloud_agent_version"] == "1.2.3"
    assert props["virtio_win_version"] == "0.1.266"
    assert props["wincloud_windows_build"] == "20348"


def test_every_value_is_a_string(make_spec, report):
    props = glance_properties(
        make_spec(tpm=True, bus="scsi"), report(boot_drivers={"scsi": True}, qemu_ga=True)
    )
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in props.items())


def test_scsi_bus_with_vioscsi_sets_virtio_scsi_model(make_spec, report):
    props = glance_properties(make_spec(bus="scsi"), report(boot_drivers={"scsi": True}))
    assert props["hw_disk_bus"] == "scsi"
    assert props["hw_scsi_model"] == "virtio-scsi"


def test_tpm_sets_version_2_and_crb_model(make_spec, report):
    props = glance_properties(make_spec(tpm=True), report())
    assert (props["hw_tpm_version"], props["hw_tpm_model"]) == ("2.0", "tpm-crb")


def test_qemu_ga_in_image_sets_guest_agent_yes(make_spec, report):
    assert glance_properties(make_spec(), report(qemu_ga=True))["hw_qemu_guest_agent"] == "yes"


def test_bios_image_without_secure_boot(make_spec, report):
    props = glance_properties(
        make_spec(firmware="bios", secure_boot=False), report(firmware="bios")
    )
    assert (props["hw_firmware_type"], props["os_secure_boot"]) == ("bios", "disabled")


def test_e1000_needs_no_netkvm(make_spec, report):
    props = glance_properties(make_spec(nic="e1000"), report(drivers={"viostor": "1"}))
    assert props["hw_vif_model"] == "e1000"


def test_user_properties_are_added(make_spec, report):
    spec = with_properties(make_spec(), os_admin_user="Administrator")
    assert glance_properties(spec, report())["os_admin_user"] == "Administrator"


def test_user_property_equal_to_derived_is_accepted(make_spec, report):
    spec = with_properties(make_spec(), hw_machine_type="q35")
    assert glance_properties(spec, report())["hw_machine_type"] == "q35"


def with_properties(spec, **props: str):
    """The spec with publish.properties replaced, past the spec's own checks (which refuse some
    of these at load time already): publish must refuse them on its own too."""
    publish = spec.publish.model_copy(update={"properties": props})
    return spec.model_copy(update={"publish": publish})


def refusal(spec, rep) -> ImageError:
    with pytest.raises(ImageError) as caught:
        glance_properties(spec, rep)
    assert caught.value.hint
    return caught.value


def test_uefi_image_published_as_bios_is_refused(make_spec, report):
    err = refusal(make_spec(firmware="bios", secure_boot=False), report(firmware="uefi"))
    assert err.subject == "hw_firmware_type"
    assert "UEFI image cannot be published as BIOS" in err.message


def test_bios_image_published_as_uefi_is_refused(make_spec, report):
    err = refusal(make_spec(), report(firmware="bios"))
    assert err.subject == "hw_firmware_type"


def test_scsi_bus_without_vioscsi_is_refused(make_spec, report):
    err = refusal(make_spec(bus="scsi"), report())
    assert err.subject == "hw_disk_bus"
    assert "vioscsi" in err.message


def test_virtio_bus_without_viostor_is_refused(make_spec, report):
    err = refusal(make_spec(), report(boot_drivers={"virtio": False, "scsi": True}))
    assert err.subject == "hw_disk_bus"
    assert "viostor" in err.message


def test_image_not_generalized_is_refused(make_spec, report):
    err = refusal(make_spec(), report(generalized=False, image_state="IMAGE_STATE_COMPLETE"))
    assert "not generalized" in err.message
    assert "IMAGE_STATE_COMPLETE" in err.message


def test_no_windows_found_is_refused(make_spec, report):
    assert refusal(make_spec(), report(windows=None)).subject == "os_type"


def test_windows_version_other_than_spec_is_refused(make_spec, report):
    err = refusal(make_spec(), report(windows=windows(version="2019", build=17763)))
    assert err.subject == "os_version"


def test_architecture_other_than_spec_is_refused(make_spec, report):
    err = refusal(make_spec(), report(windows=windows(architecture="arm64")))
    assert err.subject == "architecture"


def test_virtio_nic_without_netkvm_is_refused(make_spec, report):
    err = refusal(make_spec(), report(drivers={"viostor": "1"}))
    assert err.subject == "hw_vif_model"


def test_image_without_agent_is_refused(make_spec, report):
    assert refusal(make_spec(), report(agent_version=None)).subject == "wincloud_agent_version"


@pytest.mark.parametrize(
    ("prop", "value"),
    [
        ("hw_firmware_type", "bios"),
        ("hw_disk_bus", "scsi"),
        ("os_type", "linux"),
        ("wincloud_spec_sha256", "0000"),
    ],
)
def test_user_property_contradicting_derived_is_refused(make_spec, report, prop, value):
    err = refusal(with_properties(make_spec(), **{prop: value}), report())
    assert err.subject == prop
    assert "publish.properties" in err.message


def test_user_scsi_model_without_scsi_bus_is_refused(make_spec, report):
    spec = with_properties(make_spec(), hw_scsi_model="virtio-scsi")
    assert refusal(spec, report()).subject == "hw_scsi_model"


def test_user_tpm_property_without_tpm_is_refused(make_spec, report):
    spec = with_properties(make_spec(), hw_tpm_model="tpm-tis")
    assert refusal(spec, report()).subject == "hw_tpm_model"


@pytest.mark.parametrize("key", ["min_disk", "visibility", "os_hash_value", "os_glance_x"])
def test_user_property_naming_a_glance_attribute_is_refused(make_spec, report, key):
    err = refusal(with_properties(make_spec(), **{key: "1"}), report())
    assert err.subject == f"publish.properties.{key}"


def test_min_disk_below_virtual_size_is_refused(make_spec, report):
    err = refusal(make_spec(), report(virtual_size=60 * 2**30))
    assert err.subject == "min_disk"
    assert "60 GiB" in err.message


def test_min_disk_rounds_virtual_size_up(make_spec, report):
    spec = make_spec(publish_extra="min_disk_gib = 40")
    assert refusal(spec, report(virtual_size=40 * 2**30 + 1)).subject == "min_disk"


def test_plan_puts_min_disk_and_min_ram_in_fields_not_properties(make_spec, report):
    plan = plan_image(make_spec(publish_extra='visibility = "community"'), report())
    body = plan.fields()
    assert (body["min_disk"], body["min_ram"]) == (40, 2048)
    assert "min_disk" not in plan.properties
    assert body["name"] == "Windows Server 2022 Standard"
    assert body["visibility"] == "community"
    assert (body["disk_format"], body["container_format"]) == ("qcow2", "bare")
    assert body["hw_firmware_type"] == "uefi"


def test_agent_staged_for_first_boot_counts_as_present(make_spec, report):
    props = glance_properties(make_spec(), report(agent_version=None, agent_staged=True))
    assert props["wincloud_agent_version"] == "staged"


def test_virtio_win_version_from_report_wins_over_iso_name(make_spec, report):
    props = glance_properties(make_spec(), report(virtio_win_version="0.1.271"))
    assert props["virtio_win_version"] == "0.1.271"


def test_report_json_round_trip(report):
    import json

    from wincloud.image.publish import report_from_json

    original = report(qemu_ga=True)
    assert report_from_json(json.loads(json.dumps(original.to_json()))) == original


def test_report_json_that_is_not_a_report_is_refused():
    from wincloud.image.publish import report_from_json

    with pytest.raises(ImageError, match="not an inspection report"):
        report_from_json({"format": "qcow2"})
