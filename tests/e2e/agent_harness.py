"""What the end-to-end agent tests share: the metadata service in the server namespace
(``Service``), the guest's scratch root and agent runs (``Guest``, ``Boot``), key pairs and
config drives, and the ``wincloud`` command as a subprocess."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.e2e.netns import (
    ENV,
    METADATA_IP,
    PYTHON,
    NetNs,
    make_guest_root,
    wait_for_line,
)

AGENT_TIMEOUT = 60


# The agent runs, then the UTS namespace it ran in reports its name on the last line.
AGENT_SH = (
    '"$0" -m wincloud agent run --root "$1" --config "$2"; rc=$?; echo "uts=$(hostname)"; exit $rc'
)


def wincloud(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The CLI on the host side (store and drive commands; no network)."""
    return subprocess.run(
        [PYTHON, "-m", "wincloud", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=ENV,
    )


@dataclass
class KeyPair:
    private: Path
    public: str


def make_key(folder: Path, name: str) -> KeyPair:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = folder / f"{name}.pem"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    private.chmod(0o600)
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    return KeyPair(private, f"{public.decode()} {name}@e2e")


def build_drive(data: dict, folder: Path) -> Path:
    """``wincloud configdrive build --from-file`` the record into an ISO image."""
    source, image = folder / "drive.json", folder / "drive.iso"
    source.write_text(json.dumps(data))
    built = wincloud("configdrive", "build", "--from-file", str(source), "--out", str(image))
    assert built.returncode == 0, built.stderr
    return image


@dataclass
class Service:
    ns: NetNs
    db_url: str
    folder: Path
    proc: subprocess.Popen[bytes] | None = None

    def add(self, data: dict) -> str:
        path = self.folder / f"{data['uuid']}.json"
        path.write_text(json.dumps(data))
        done = wincloud("instance", "add", str(path), "--db", self.db_url)
        assert done.returncode == 0, done.stderr
        return str(data["uuid"])

    def remove(self, instance_id: str) -> None:
        done = wincloud("instance", "rm", instance_id, "--db", self.db_url)
        assert done.returncode == 0, done.stderr

    def start(self) -> None:
        log_path = self.folder / "server.log"
        with log_path.open("ab") as log:
            self.proc = self.ns.spawn(
                self.ns.server,
                [
                    PYTHON,
                    "-m",
                    "wincloud",
                    "metadata",
                    "serve",
                    "--db",
                    self.db_url,
                    "--listen",
                    f"{METADATA_IP}:80",
                ],
                log=log,
            )
        wait_for_line(log_path, "metadata service listening", self.proc, within=30)

    def decrypt(self, key: KeyPair, instance_id: str) -> str:
        done = wincloud(
            "password", "decrypt", "--key", str(key.private), "--db", self.db_url, instance_id
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()


@dataclass
class Boot:
    status: int
    stdout: str
    log: str
    uts_hostname: str


class Guest:
    """A scratch root and an agent config; ``boot()`` runs the agent in the guest namespace."""

    def __init__(self, ns: NetNs, folder: Path) -> None:
        self.ns = ns
        self.root = make_guest_root(folder / "root")
        self.config = folder / "agent.toml"
        self.drive: Path | None = None

    def configure(self, sources: list[str], *, timeout: float = 3.0) -> None:
        paths = json.dumps([str(self.drive)] if self.drive else [])
        self.config.write_text(
            f"sources = {json.dumps(sources)}\n"
            'plugins = ["hostname", "users", "password", "ssh_keys", "userdata"]\n'
            "allow_reboot = false\n"
            "[retry]\nattempts = 2\nbackoff = 0.2\nmax_delay = 0.5\n"
            f'[openstack_http]\nurl = "http://{METADATA_IP}"\ntimeout = {timeout}\n'
            f"[configdrive]\npaths = {paths}\n"
            '[users]\nusername = "cloudadmin"\n'
        )

    def boot(self) -> Boot:
        done = self.ns.run(
            self.ns.guest,
            ["unshare", "--uts", "sh", "-c", AGENT_SH, PYTHON, str(self.root), str(self.config)],
            timeout=AGENT_TIMEOUT,
        )
        *lines, last = done.stdout.rstrip("\n").split("\n")
        assert last.startswith("uts="), done.stdout + done.stderr
        return Boot(done.returncode, "\n".join(lines), done.stderr, last[len("uts=") :])

    # what the agent left in the root --------------------------------------------------------
    def file(self, guest_path: str) -> str | None:
        path = self.root / guest_path.lstrip("/")
        return path.read_text() if path.exists() else None

    def password_matches(self, user: str, password: str) -> bool:
        for line in (self.file("/etc/shadow") or "").splitlines():
            name, hashed = line.split(":")[:2]
            if name == user and hashed.startswith("$6$"):
                salt = hashed.split("$")[2]
                out = subprocess.run(
                    ["openssl", "passwd", "-6", "-salt", salt, "-stdin"],
                    input=password,
                    capture_output=True,
                    text=True,
                    timeout=10,
                    check=True,
                )
                return out.stdout.strip() == hashed
        return False

    def state(self) -> dict | None:
        text = self.file("/var/lib/wincloud/state.json")
        return json.loads(text) if text else None
