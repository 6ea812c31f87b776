import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from tests.unit.agent.conftest import with_section
from wincloud.agent.config import AgentConfig
from wincloud.agent.plugins import Outcome
from wincloud.agent.plugins import password as password_plugin
from wincloud.agent.plugins.password import PasswordPlugin, complexity_problem
from wincloud.errors import InvalidMetadata, PlatformError, PluginFailed
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
        reads = 0

        def read(self):
            self.reads += 1  # someone posts between our check and our post
            return None if self.reads == 1 else self.stored

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


def test_meta_admin_pass_is_used_when_no_admin_pass(make_ctx, admin):
    sink = MemorySink()
    ctx = make_ctx(sink=sink, meta={"admin_pass": "Meta-Pa55word"})
    assert PasswordPlugin().run(ctx) is Outcome.DONE
    assert admin.password == Secret("Meta-Pa55word")
    assert sink.posts == 0


def test_admin_pass_wins_over_the_meta_key(make_ctx, admin):
    ctx = make_ctx(admin_pass=Secret("Top-Pa55word"), meta={"admin_pass": "Meta-Pa55word"})
    PasswordPlugin().run(ctx)
    assert admin.password == Secret("Top-Pa55word")


def test_meta_key_is_ignored_when_configured(make_ctx, admin):
    config = with_section(AgentConfig(), "password", from_meta=False, generate=False)
    ctx = make_ctx(config, meta={"admin_pass": "Meta-Pa55word"})
    assert PasswordPlugin().run(ctx) is Outcome.SKIPPED
    assert admin.password is None


@pytest.fixture
def win_admin(win):
    win.users.ensure("admin", groups=["Administrators"])
    return win.users.users["admin"]


@pytest.mark.parametrize(
    "password, why",
    [
        ("short1A!", "fewer than 10"),
        ("alllowercase-but-long", "three of"),
        ("Admin-Pa55word", "user name"),
    ],
)
def test_windows_refuses_a_weak_given_password_and_changes_nothing(
    make_ctx, win, win_admin, password, why
):
    config = with_section(AgentConfig(), "password", min_length=10)
    with pytest.raises(InvalidMetadata) as info:
        PasswordPlugin().run(make_ctx(config, on=win, admin_pass=Secret(password)))
    assert why in str(info.value)
    assert password not in str(info.value)
    assert win_admin.password is None


def test_complexity_is_not_checked_on_posix(make_ctx, admin):
    PasswordPlugin().run(make_ctx(admin_pass=Secret("weak")))
    assert admin.password == Secret("weak")


def test_complexity_check_can_be_turned_off(make_ctx, win, win_admin):
    config = with_section(AgentConfig(), "password", check_complexity=False)
    PasswordPlugin().run(make_ctx(config, on=win, admin_pass=Secret("weak")))
    assert win_admin.password == Secret("weak")


def test_password_with_a_line_break_is_refused(make_ctx, admin):
    with pytest.raises(InvalidMetadata):
        PasswordPlugin().run(make_ctx(meta={"admin_pass": "a\nb"}))
    assert admin.password is None


@pytest.mark.parametrize(
    "when, given, expired",
    [
        ("never", True, False),
        ("given", True, True),
        ("given", False, False),
        ("always", False, True),
    ],
)
def test_change_at_first_logon(make_ctx, admin, rsa_key, when, given, expired):
    config = with_section(AgentConfig(), "password", change_at_first_logon=when)
    if given:
        ctx = make_ctx(config, admin_pass=Secret("Given-Pa55"))
    else:
        ctx = make_ctx(config, sink=MemorySink(), public_keys={"k": public_line(rsa_key)})
    assert PasswordPlugin().run(ctx) is Outcome.DONE
    assert admin.password_expired is expired


def test_password_goes_to_the_meta_admin_username(make_ctx, platform):
    platform.users.ensure("ops")
    PasswordPlugin().run(make_ctx(admin_pass=Secret("X-Pa55"), meta={"admin_username": "ops"}))
    assert platform.users.users["ops"].password == Secret("X-Pa55")


def refusing_short_passwords(platform, min_length):
    """Windows with a ``min_length`` password policy (NERR_PasswordTooShort)."""
    set_password = platform.users.set_password

    def policy(name, password):
        if len(password.reveal()) < min_length:
            raise PlatformError("the password does not meet the policy", operation="set_password")
        set_password(name, password)

    platform.users.set_password = policy


def test_a_generated_password_too_short_for_the_policy_is_never_posted(
    make_ctx, win, win_admin, rsa_key
):
    refusing_short_passwords(win, 14)
    config = with_section(AgentConfig(), "password", length=12, min_length=14)
    sink = MemorySink()
    ctx = make_ctx(config, sink=sink, on=win, public_keys={"k": public_line(rsa_key)})
    with pytest.raises(PluginFailed, match="fewer than 14"):
        PasswordPlugin().run(ctx)
    assert sink.posts == 0 and not sink.is_set()
    assert win_admin.password is None


def test_a_generated_password_meets_a_14_character_policy(make_ctx, win, win_admin, rsa_key):
    refusing_short_passwords(win, 14)
    config = with_section(AgentConfig(), "password", length=14, min_length=14)
    sink = MemorySink()
    ctx = make_ctx(config, sink=sink, on=win, public_keys={"k": public_line(rsa_key)})
    assert PasswordPlugin().run(ctx) is Outcome.DONE
    plain = rsa_key.decrypt(base64.b64decode(sink.stored), padding.PKCS1v15()).decode()
    assert win_admin.password == Secret(plain)
    assert complexity_problem(plain, "admin", min_length=14) is None


def test_a_generated_password_holding_the_user_name_is_regenerated(
    make_ctx, win, win_admin, rsa_key, monkeypatch
):
    candidates = iter([Secret("xAdmin-9xxxxxxxxxxx"), Secret("Good-Pa55word-xyz12")])
    monkeypatch.setattr(password_plugin, "generate_password", lambda length: next(candidates))
    sink = MemorySink()
    ctx = make_ctx(sink=sink, on=win, public_keys={"k": public_line(rsa_key)})
    assert PasswordPlugin().run(ctx) is Outcome.DONE
    plain = rsa_key.decrypt(base64.b64decode(sink.stored), padding.PKCS1v15()).decode()
    assert plain == "Good-Pa55word-xyz12"
    assert win_admin.password == Secret(plain)


def test_a_refused_password_after_the_post_says_how_to_retry(
    make_ctx, win, win_admin, rsa_key, caplog
):
    refusing_short_passwords(win, 64)
    sink = MemorySink()
    ctx = make_ctx(sink=sink, on=win, public_keys={"k": public_line(rsa_key)})
    with caplog.at_level("ERROR", logger="wincloud"), pytest.raises(PlatformError):
        PasswordPlugin().run(ctx)
    assert sink.is_set() and win_admin.password is None
    assert "nova clear-password" in caplog.text


def test_a_given_password_is_acknowledged_to_its_source_only_once_set(make_ctx, win):
    """CloudStack's router forgets a password when told it is in effect: tell it only then."""
    win.users.ensure("admin")
    told: list[str] = []
    weak = make_ctx(
        on=win, admin_pass=Secret("weak"), acknowledge_password=lambda: told.append("x")
    )
    with pytest.raises(InvalidMetadata):
        PasswordPlugin().run(weak)
    assert told == []  # refused: the router keeps it for the next boot
    ctx = make_ctx(
        on=win, admin_pass=Secret("Strong-Pa55word"), acknowledge_password=lambda: told.append("x")
    )
    assert PasswordPlugin().run(ctx) is Outcome.DONE
    assert told == ["x"]


def test_only_a_password_held_until_acknowledged_is_offered_again(make_ctx, win):
    """A CloudStack reset reaches a running instance; a config drive's admin_pass does not
    replace the password at every boot."""
    acknowledged = make_ctx(on=win, admin_pass=Secret("Strong-Pa55word"), acknowledge_password=list)
    plain = make_ctx(on=win, admin_pass=Secret("Strong-Pa55word"))
    none_offered = make_ctx(on=win, acknowledge_password=list)
    assert PasswordPlugin.offers_again(acknowledged.metadata) is True
    assert PasswordPlugin.offers_again(plain.metadata) is False
    assert PasswordPlugin.offers_again(none_offered.metadata) is False


HASH = "$5$Zq3vR8pLk2WxT9aB$4ZAwLVVNZoP/E4hyihS7f0pJgWgEMWDsJf3ixOtsD51"


def test_a_hash_is_set_as_a_hash_on_posix_and_nothing_posted(make_ctx, admin, rsa_key):
    sink = MemorySink()
    secrets = []
    ctx = make_ctx(sink=sink, admin_pass_hash=Secret(HASH), public_keys={"k": public_line(rsa_key)})
    ctx.register_secret = secrets.append
    assert PasswordPlugin().run(ctx) is Outcome.DONE
    assert admin.password is None and admin.password_hash == Secret(HASH)
    assert sink.posts == 0  # a given password: none is generated
    assert ctx.handoff.admin_password is None  # the agent never learnt it
    assert secrets == [HASH]


def test_a_clear_password_wins_over_a_hash(make_ctx, admin):
    ctx = make_ctx(admin_pass=Secret("Given-Pa55"), admin_pass_hash=Secret(HASH))
    assert PasswordPlugin().run(ctx) is Outcome.DONE
    assert admin.password == Secret("Given-Pa55") and admin.password_hash is None


def test_windows_refuses_a_hash_by_name_and_changes_nothing(make_ctx, win, win_admin):
    with pytest.raises(InvalidMetadata) as info:
        PasswordPlugin().run(make_ctx(on=win, admin_pass_hash=Secret(HASH)))
    assert "crypt hash" in str(info.value) and "ostype" in (info.value.hint or "")
    assert HASH not in str(info.value)
    assert win_admin.password is None and win_admin.password_hash is None


@pytest.mark.parametrize(
    ("when", "expired"), [("never", False), ("given", False), ("always", True)]
)
def test_a_hash_follows_change_at_first_logon(make_ctx, admin, when, expired):
    config = with_section(AgentConfig(), "password", change_at_first_logon=when)
    PasswordPlugin().run(make_ctx(config, admin_pass_hash=Secret(HASH)))
    assert admin.password_expired is expired


def test_a_hash_holding_a_colon_is_refused_before_it_reaches_the_shadow_file(make_ctx, admin):
    # "name:hash" is what chpasswd --encrypted reads; a colon in the hash adds shadow fields
    with pytest.raises(PlatformError, match="colon"):
        PasswordPlugin().run(make_ctx(admin_pass_hash=Secret("$5$salt$x:0:99999")))
    assert admin.password_hash is None
