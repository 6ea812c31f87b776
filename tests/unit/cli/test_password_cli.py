"""`wincloud password decrypt`, through the click group (CliRunner)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.unit.agent.mdserver import serve
from wincloud.agent.sealing import seal_password
from wincloud.cli.password import password
from wincloud.errors import ConfigError, NotFound, StoreError
from wincloud.secret import Secret


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def sealed(rsa_key):
    public = rsa_key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    return seal_password(Secret("Gen-Pa55word!"), public.decode())


def key_file(tmp_path, rsa_key, encryption=None, fmt=serialization.PrivateFormat.OpenSSH):
    path = tmp_path / "id_rsa"
    path.write_bytes(
        rsa_key.private_bytes(
            serialization.Encoding.PEM, fmt, encryption or serialization.NoEncryption()
        )
    )
    return str(path)


def test_decrypts_from_stdin(tmp_path, rsa_key, sealed):
    result = CliRunner().invoke(
        password, ["decrypt", "--key", key_file(tmp_path, rsa_key)], input=sealed + b"\n"
    )
    assert result.exit_code == 0, result.output
    assert result.output == "Gen-Pa55word!\n"


def test_decrypts_from_a_url(tmp_path, rsa_key, sealed):
    with serve({}, password=sealed) as running:
        url = f"{running.url}/openstack/latest/password"
        result = CliRunner().invoke(
            password, ["decrypt", "--key", key_file(tmp_path, rsa_key), "--from", url]
        )
    assert result.output == "Gen-Pa55word!\n"


@pytest.mark.parametrize("by", ["uuid", "name"])
def test_decrypts_from_the_store(tmp_path, rsa_key, sealed, make_instance, by):
    store = pytest.importorskip("wincloud.store")
    db = f"sqlite:///{tmp_path / 'md.db'}"
    repo = store.open_repo(db, create=True)
    instance = repo.add(make_instance()).instance
    repo.store_password(instance.uuid, sealed)
    repo.close()
    ident = getattr(instance, by)
    assert ident
    args = ["decrypt", "--key", key_file(tmp_path, rsa_key), "--db", db, ident]
    result = CliRunner().invoke(password, args)
    assert result.exit_code == 0, result.output
    assert result.output == "Gen-Pa55word!\n"


def test_unknown_instance_in_the_store_is_not_found(tmp_path, rsa_key):
    store = pytest.importorskip("wincloud.store")
    db = f"sqlite:///{tmp_path / 'md.db'}"
    store.open_repo(db, create=True).close()
    args = ["decrypt", "--key", key_file(tmp_path, rsa_key), "--db", db, "no-such-id"]
    result = CliRunner().invoke(password, args)
    assert isinstance(result.exception, NotFound)


def test_a_mistyped_store_is_an_error_and_nothing_is_created(tmp_path, rsa_key):
    pytest.importorskip("wincloud.store")
    db = f"sqlite:///{tmp_path / 'typo' / 'md.db'}"
    args = ["decrypt", "--key", key_file(tmp_path, rsa_key), "--db", db, "web01"]
    result = CliRunner().invoke(password, args)
    assert isinstance(result.exception, StoreError)
    assert "wincloud db init" in (result.exception.hint or "")
    assert not (tmp_path / "typo").exists()


def test_encrypted_key_takes_the_passphrase_from_the_environment(tmp_path, rsa_key, sealed):
    key = key_file(
        tmp_path,
        rsa_key,
        serialization.BestAvailableEncryption(b"pass-phrase"),
        serialization.PrivateFormat.PKCS8,
    )
    result = CliRunner().invoke(
        password,
        ["decrypt", "--key", key],
        input=sealed,
        env={"WINCLOUD_KEY_PASSPHRASE": "pass-phrase"},
    )
    assert result.output == "Gen-Pa55word!\n"


def test_encrypted_key_prompts_for_the_passphrase(tmp_path, rsa_key, sealed):
    key = key_file(
        tmp_path,
        rsa_key,
        serialization.BestAvailableEncryption(b"pass-phrase"),
        serialization.PrivateFormat.TraditionalOpenSSL,
    )
    with serve({}, password=sealed) as running:
        url = f"{running.url}/openstack/latest/password"
        result = CliRunner().invoke(
            password, ["decrypt", "--key", key, "--from", url], input="pass-phrase\n"
        )
    assert result.output.endswith("Gen-Pa55word!\n")


def test_the_wrong_key_is_a_config_error(tmp_path, sealed):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    result = CliRunner().invoke(
        password, ["decrypt", "--key", key_file(tmp_path, other)], input=sealed
    )
    assert isinstance(result.exception, ConfigError)


@pytest.mark.parametrize(
    "extra", [["--from", "http://x", "--db", "sqlite://", "id"], ["--db", "sqlite://"], ["some-id"]]
)
def test_sources_are_exclusive(tmp_path, rsa_key, extra):
    result = CliRunner().invoke(password, ["decrypt", "--key", key_file(tmp_path, rsa_key), *extra])
    assert result.exit_code == 2


def test_encrypted_openssh_key_without_bcrypt_says_what_to_do(tmp_path, rsa_key, sealed):
    """What ssh-keygen writes by default (OpenSSH format, bcrypt KDF)."""
    try:
        import bcrypt  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("bcrypt is installed")
    if shutil.which("ssh-keygen") is None:
        pytest.skip("ssh-keygen is not installed")
    path = tmp_path / "id_enc"
    path.write_bytes(
        rsa_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)
    subprocess.run(
        ["ssh-keygen", "-q", "-p", "-N", "pass-phrase", "-P", "", "-f", str(path)],
        check=True,
        capture_output=True,
    )
    result = CliRunner().invoke(
        password,
        ["decrypt", "--key", str(path)],
        input=sealed,
        env={"WINCLOUD_KEY_PASSPHRASE": "pass-phrase"},
    )
    assert isinstance(result.exception, ConfigError)
    assert "bcrypt" in str(result.exception)
