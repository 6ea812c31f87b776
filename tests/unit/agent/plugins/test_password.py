import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from tests.unit.agent.conftest import with_section
from wincloud.agent.config import AgentConfig
from wincloud.agent.plugins import Outcome
from wincloud.agent.plugins.password import PasswordPlugin
from wincloud.errors import PluginFailed
from wincloud.secret import Secret

from .conftest import MemorySink


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_line(key):
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )


@pytest.fixture
def admin(platform):
    platform.users.ensure("admin")
    return platform.users.users["admin"]


ED_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG1t ed@wc"


def test_given_password_is_set_and_nothing_posted(make_ctx, admin):
    sink = MemorySink()
    ctx = make_ctx(sink=sink, admin_pass=Secret("Given-Pa55"))
    assert PasswordPlugin().run(ctx) is Outcome.DONE
    assert admin.password == Secret("Given-Pa55")
    assert ctx.handoff.admin_password == Secret("Given-Pa55")
    assert sink.posts == 0


def test_generated_password_is_posted_sealed_with_the_first_rsa_key(make_ctx, admin, rsa_key):
    sink = MemorySink()
    keys = {"ed": ED_KEY, "rsa": public_line(rsa_key)}
    secrets = []
    ctx = make_ctx(sink=sink, public_keys=keys)
    ctx.register_secret = secrets.append
    assert PasswordPlugin().run(ctx) is Outcome.DONE
    plain = rsa_key.decrypt(base64.b64decode(sink.stored), padding.PKCS1v15()).decode()
    assert admin.password == Secret(plain)
    assert ctx.handoff.admin_password == Secret(plain)
    assert secrets == [plain]
    assert len(plain) == 20


def test_already_posted_password_leaves_the_local_one_alone(make_ctx, admin, rsa_key):
    sink = MemorySink(stored=b"c29tZXRoaW5n")
    ctx = make_ctx(sink=sink, public_keys={"k": public_line(rsa_key)})
    assert PasswordPlugin().run(ctx) is Outcome.SKIPPED
    assert admin.password is None
    assert sink.posts == 0


def test_a_409_on_post_leaves_the_local_password_alone(make_ctx, admin, rsa_key):
    class RacingSink(MemorySink):
        def is_set(self):
            return False  # someone posts between our check and our post

    sink = RacingSink(stored=b"b3RoZXI=")
    ctx = make_ctx(sink=sink, public_keys={"k": public_line(rsa_key)})
    assert PasswordPlugin().run(ctx) is Outcome.SKIPPED
    assert admin.password is None
    assert sink.stored == b"b3RoZXI="


def test_without_rsa_key_nothing_changes(make_ctx, admin):
    sink = MemorySink()
    assert PasswordPlugin().run(make_ctx(sink=sink, public_keys={"ed": ED_KEY})) is Outcome.SKIPPED
    assert (admin.password, sink.posts) == (None, 0)


def test_without_password_endpoint_nothing_changes(make_ctx, admin, rsa_key):
    ctx = make_ctx(public_keys={"k": public_line(rsa_key)})
    assert PasswordPlugin().run(ctx) is Outcome.SKIPPED
    assert admin.password is None


def test_generation_can_be_turned_off(make_ctx, admin, rsa_key):
    config = with_section(AgentConfig(), "password", generate=False)
    sink = MemorySink()
    ctx = make_ctx(config, sink=sink, public_keys={"k": public_line(rsa_key)})
    assert PasswordPlugin().run(ctx) is Outcome.SKIPPED
    assert sink.posts == 0


def test_missing_admin_user_fails(make_ctx):
    with pytest.raises(PluginFailed):
        PasswordPlugin().run(make_ctx(admin_pass=Secret("x-Y-1234")))


def test_ed25519_only_instance_keeps_its_password(make_ctx, admin):
    ed = ed25519.Ed25519PrivateKey.generate()
    line = (
        ed.public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )
    assert (
        PasswordPlugin().run(make_ctx(sink=MemorySink(), public_keys={"e": line}))
        is Outcome.SKIPPED
    )
    assert admin.password is None
