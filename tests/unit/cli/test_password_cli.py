"""`wincloud password decrypt`, through the click group (CliRunner)."""

from __future__ import annotations

import os
import pty
import select
import shutil
import subprocess
import sys
import time

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


needs_ssh_keygen = pytest.mark.skipif(
    shutil.which("ssh-keygen") is None, reason="ssh-keygen is not installed"
)


@pytest.fixture
def keygen_key(tmp_path):
    """What ``ssh-keygen -N`` writes by default: OpenSSH format, bcrypt KDF, aes256-ctr."""
    path = tmp_path / "id_rsa"
    argv = ["ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "pass-phrase", "-f", str(path)]
    subprocess.run(argv, check=True, capture_output=True)
    assert path.read_bytes().startswith(b"-----BEGIN OPENSSH PRIVATE KEY-----")
    sealed = seal_password(Secret("Gen-Pa55word!"), (tmp_path / "id_rsa.pub").read_text())
    return path, sealed


def run_cli(args, *, env, stdin=b""):
    """The real console entry in a new session: no controlling terminal."""
    return subprocess.run(
        [sys.executable, "-m", "wincloud", *args],
        input=stdin,
        capture_output=True,
        env=env,
        start_new_session=True,
        timeout=60,
        check=False,
    )


def clean_env():
    return {k: v for k, v in os.environ.items() if k != "WINCLOUD_KEY_PASSPHRASE"}


@needs_ssh_keygen
def test_an_ssh_keygen_key_opens_with_the_passphrase_from_the_environment(keygen_key):
    path, sealed = keygen_key
    result = CliRunner().invoke(
        password,
        ["decrypt", "--key", str(path)],
        input=sealed,
        env={"WINCLOUD_KEY_PASSPHRASE": "pass-phrase"},
    )
    assert result.exit_code == 0, result.output
    assert result.output == "Gen-Pa55word!\n"


@needs_ssh_keygen
def test_a_wrong_passphrase_is_a_clear_error(keygen_key):
    path, sealed = keygen_key
    env = {**clean_env(), "WINCLOUD_KEY_PASSPHRASE": "not-it"}
    done = run_cli(["password", "decrypt", "--key", str(path)], env=env, stdin=sealed)
    assert done.returncode == 2
    err = done.stderr.decode()
    assert "wrong passphrase" in err and str(path) in err
    assert len(err.strip().splitlines()) == 1, err
    assert done.stdout == b""


@needs_ssh_keygen
def test_no_terminal_and_no_passphrase_is_one_line_naming_the_key_and_the_variable(keygen_key):
    path, sealed = keygen_key
    done = run_cli(["password", "decrypt", "--key", str(path)], env=clean_env(), stdin=sealed)
    assert done.returncode == 2
    err = done.stderr.decode()
    assert len(err.strip().splitlines()) == 1, err
    assert str(path) in err and "WINCLOUD_KEY_PASSPHRASE" in err
    assert "Traceback" not in err and done.stdout == b""


def read_until(fd, wanted: bytes, deadline: float) -> bytes:
    seen = b""
    while wanted not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    return seen


@needs_ssh_keygen
@pytest.mark.skipif(sys.platform == "win32", reason="a pty is POSIX")
def test_the_passphrase_is_asked_on_a_terminal(keygen_key):
    """A real pseudo-terminal is the child's controlling terminal; the sealed text comes from
    a URL; the prompt names the key and the answer is not echoed."""
    path, sealed = keygen_key
    with serve({}, password=sealed) as running:
        url = f"{running.url}/openstack/latest/password"
        argv = [sys.executable, "-m", "wincloud", "password", "decrypt", "--key", str(path)]
        argv += ["--from", url]
        pid, fd = pty.fork()
        if pid == 0:  # the child: exec at once
            os.execve(sys.executable, argv, clean_env())
        try:
            deadline = time.monotonic() + 60
            prompt = read_until(fd, b": ", deadline)
            assert f"Passphrase for {path}".encode() in prompt, prompt
            os.write(fd, b"pass-phrase\n")
            rest = read_until(fd, b"Gen-Pa55word!", deadline)
            rest += read_until(fd, b"\n", min(deadline, time.monotonic() + 5))
        finally:
            _, status = os.waitpid(pid, 0)
            os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0, rest
    assert b"Gen-Pa55word!" in rest
    assert b"pass-phrase" not in prompt + rest


def test_the_wrong_key_is_a_config_error(tmp_path, sealed):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    result = CliRunner().invoke(
        password, ["decrypt", "--key", key_file(tmp_path, other)], input=sealed
    )
    assert isinstance(result.exception, ConfigError)


@pytest.mark.parametrize(
    "extra", [["--from", "http://x", "--db", "sqlite://", "id"], ["--db", "sqlite://"]]
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


def test_an_id_without_db_reads_the_store_named_by_wincloud_db(
    tmp_path, rsa_key, sealed, make_instance, monkeypatch
):
    store = pytest.importorskip("wincloud.store")
    db = f"sqlite:///{tmp_path / 'md.db'}"
    repo = store.open_repo(db, create=True)
    instance = repo.add(make_instance()).instance
    repo.store_password(instance.uuid, sealed)
    repo.close()
    monkeypatch.setenv("WINCLOUD_DB", db)
    args = ["decrypt", "--key", key_file(tmp_path, rsa_key), instance.uuid]
    result = CliRunner().invoke(password, args)
    assert result.exit_code == 0, result.output
    assert result.output == "Gen-Pa55word!\n"


def test_wincloud_db_does_not_stop_reading_standard_input(tmp_path, rsa_key, sealed, monkeypatch):
    monkeypatch.setenv("WINCLOUD_DB", f"sqlite:///{tmp_path / 'md.db'}")
    result = CliRunner().invoke(
        password, ["decrypt", "--key", key_file(tmp_path, rsa_key)], input=sealed + b"\n"
    )
    assert result.exit_code == 0, result.output
    assert result.output == "Gen-Pa55word!\n"


def test_an_instance_without_a_posted_password_is_named(tmp_path, rsa_key, make_instance):
    store = pytest.importorskip("wincloud.store")
    db = f"sqlite:///{tmp_path / 'md.db'}"
    repo = store.open_repo(db, create=True)
    instance = repo.add(make_instance()).instance
    repo.close()
    args = ["decrypt", "--key", key_file(tmp_path, rsa_key), "--db", db, instance.name]
    result = CliRunner().invoke(password, args)
    assert isinstance(result.exception, NotFound)
    assert instance.uuid in str(result.exception)
