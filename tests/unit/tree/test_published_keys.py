"""Which keys guests are given: Nova's one key by default, the operator's password key first."""

from __future__ import annotations

import json

import pytest

from tests.conftest import ED25519_KEY, RSA_KEY, RSA_KEY_3072
from wincloud.errors import ConfigError
from wincloud.tree import render_drive, render_http

KEYS = {"laptop": ED25519_KEY, "ops": RSA_KEY_3072, "admin": RSA_KEY}


def published(instance, version: str = "latest") -> dict:
    """What each place a guest reads keys from says, as {name: key} in order."""
    tree, drive = render_http(instance), render_drive(instance)
    md = json.loads(tree[f"openstack/{version}/meta_data.json"])
    on_drive = json.loads(drive[f"openstack/{version}/meta_data.json"])
    assert on_drive["public_keys"] == md["public_keys"]
    assert [(k["name"], k["data"]) for k in md["keys"]] == list(md["public_keys"].items())
    assert {k["type"] for k in md["keys"]} == {"ssh"}
    listing = tree["latest/meta-data/public-keys"].decode().split("\n")
    ec2 = {}
    for index, entry in enumerate(listing):
        number, _, name = entry.partition("=")
        assert number == str(index)
        ec2[name] = tree[f"latest/meta-data/public-keys/{index}/openssh-key"].decode()
    assert list(ec2.items()) == list(md["public_keys"].items())
    drive_ec2 = json.loads(drive["ec2/latest/meta-data.json"])["public-keys"]
    assert [v["openssh-key"] for v in drive_ec2.values()] == list(ec2.values())
    return md["public_keys"]


@pytest.mark.parametrize("version", ["2012-08-10", "2016-06-30", "latest"])
def test_by_default_only_the_first_key_is_published_as_nova_does(make_instance, version):
    assert published(make_instance(public_keys=KEYS), version) == {"laptop": ED25519_KEY}


def test_the_password_key_is_the_one_published(make_instance):
    instance = make_instance(public_keys=KEYS, password_key="admin")
    assert published(instance) == {"admin": RSA_KEY}


def test_publish_all_keys_puts_the_password_key_first(make_instance):
    instance = make_instance(public_keys=KEYS, password_key="admin", publish_all_keys=True)
    assert list(published(instance)) == ["admin", "laptop", "ops"]


def test_publish_all_keys_without_a_password_key_keeps_the_record_order(make_instance):
    instance = make_instance(public_keys=KEYS, publish_all_keys=True)
    assert list(published(instance)) == ["laptop", "ops", "admin"]


def test_no_keys_publish_nothing(make_instance):
    instance = make_instance(public_keys={}, publish_all_keys=True)
    md = json.loads(render_http(instance)["openstack/latest/meta_data.json"])
    assert "public_keys" not in md
    assert "keys" not in md
    assert "latest/meta-data/public-keys" not in render_http(instance)


def test_the_password_key_must_be_rsa(make_instance):
    with pytest.raises(ConfigError) as caught:
        make_instance(public_keys=KEYS, password_key="laptop")
    assert "password_key: must name an ssh-rsa key" in caught.value.message
    assert "'laptop' is 'ssh-ed25519'" in caught.value.message


def test_the_password_key_must_exist(make_instance):
    with pytest.raises(ConfigError) as caught:
        make_instance(public_keys=KEYS, password_key="lapotp")
    assert "password_key: names no key of public_keys" in caught.value.message


def test_the_choice_survives_the_records_document(make_instance):
    from wincloud.model import parse_instance

    instance = make_instance(public_keys=KEYS, password_key="ops", publish_all_keys=True)
    again = parse_instance(json.loads(json.dumps(instance.to_document())))
    assert again == instance
    assert list(published(again)) == ["ops", "laptop", "admin"]
