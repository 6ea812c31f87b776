"""A localhost WinRM endpoint for pypsrp: WS-Management over HTTP (basic auth), the shell and
command operations a runspace pool uses (Create, Receive, Command, Send, Signal, Delete), PSRP
fragments in both directions. The script each pipeline runs is identified by its first line
(``# wincloud:<name>``); a backend answers with rendered fixtures or an error.

Knobs for failure drills: ``hang`` (script names whose pipeline never finishes: each Receive
answers the WSMan OperationTimeout fault), ``drop_shells()`` (WinRM forgot every shell: the next
request on one gets the "shell not found" fault), ``password`` (401 on a mismatch).
Everything it received is in ``calls`` (script name, script text, parameters) for assertions.
"""

from __future__ import annotations

import base64
import re
import socket
import ssl
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.unit.hyperv.replay import clixml as cx
from tests.unit.hyperv.replay import wire
from wincloud.errors import WincloudError

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "wsa": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "wsman": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
    "rsp": "http://schemas.microsoft.com/wbem/wsman/1/windows/shell",
    "pwsh": "http://schemas.microsoft.com/powershell",
}
_SHELL = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
_TRANSFER = "http://schemas.xmlsoap.org/ws/2004/09/transfer"
_DONE = f"{_SHELL}/CommandState/Done"
_RUNNING = f"{_SHELL}/CommandState/Running"
_NAME = re.compile(r"^# wincloud:(\w+)")
TIMED_OUT = 2150858793
SHELL_NOT_FOUND = 2150858843


@dataclass
class Call:
    script: str
    text: str
    params: dict[str, Any]


@dataclass
class Pipeline:
    defrag: wire.Defragmenter = field(default_factory=wire.Defragmenter)
    outbox: list[bytes] = field(default_factory=list)
    done: bool = False
    hang: bool = False
    stopped: bool = False


@dataclass
class Shell:
    rpid: uuid.UUID
    outbox: list[bytes] = field(default_factory=list)
    pipelines: dict[str, Pipeline] = field(default_factory=dict)
    next_object_id: int = 1


class ReplayServer:
    def __init__(self, backend: Any, *, user: str = "wincloud", password: str = "s3cret") -> None:
        self.backend = backend
        self.user = user
        self.password = password
        self.shells: dict[str, Shell] = {}
        self.calls: list[Call] = []
        self.hang: set[str] = set()
        self.signals: list[str] = []
        self.mismatches: list[str] = []  # parameters sent that the script does not declare
        self.requests = 0
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None

    # ---- lifecycle ----
    @contextmanager
    def running(self, tls: ssl.SSLContext | None = None) -> Iterator[ReplayServer]:
        """Serve on 127.0.0.1:<free port>; HTTPS when a server TLS context is given."""
        handler = _handler_for(self)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        if tls is not None:
            self._httpd.socket = tls.wrap_socket(self._httpd.socket, server_side=True)
        thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05})
        thread.start()
        try:
            yield self
        finally:
            self._httpd.shutdown()
            self._httpd.server_close()
            thread.join(timeout=5)

    @property
    def port(self) -> int:
        assert self._httpd is not None
        return int(self._httpd.server_address[1])

    def drop_shells(self) -> None:
        with self._lock:
            self.shells.clear()

    def script_calls(self, name: str) -> list[Call]:
        return [c for c in self.calls if c.script == name]

    # ---- SOAP ----
    def handle(self, body: bytes) -> tuple[int, str]:
        env = ET.fromstring(body)
        header = env.find("s:Header", NS)
        assert header is not None
        action = header.findtext("wsa:Action", "", NS)
        message_id = header.findtext("wsa:MessageID", "", NS)
        selector = header.find("wsman:SelectorSet/wsman:Selector[@Name='ShellId']", NS)
        shell_id = selector.text if selector is not None else None
        body_el = env.find("s:Body", NS)
        assert body_el is not None
        with self._lock:
            self.requests += 1
            if action == f"{_TRANSFER}/Create":
                return 200, self._create(body_el, message_id)
            shell = self.shells.get(shell_id or "")
            if shell is None:
                return 500, _fault(
                    message_id,
                    SHELL_NOT_FOUND,
                    "The request for the Windows "
                    "Remote Shell failed because the shell was not found.",
                )
            if action == f"{_TRANSFER}/Delete":
                del self.shells[shell_id or ""]
                return 200, _envelope(f"{_TRANSFER}/DeleteResponse", message_id, "")
            if action == f"{_SHELL}/Command":
                return 200, self._command(shell, body_el, message_id)
            if action == f"{_SHELL}/Send":
                return 200, self._send(shell, body_el, message_id)
            if action == f"{_SHELL}/Signal":
                sig = body_el.find("rsp:Signal", NS)
                cmd = sig.attrib.get("CommandId", "") if sig is not None else ""
                self.signals.append(cmd)
                pipe = shell.pipelines.pop(cmd.upper(), None)
                if pipe is not None:
                    pipe.stopped = True
                return 200, _envelope(
                    f"{_SHELL}/SignalResponse", message_id, "<rsp:SignalResponse />"
                )
            if action != f"{_SHELL}/Receive":
                return 500, _fault(message_id, 2150858817, f"unsupported action {action}")
            status, text = self._receive(shell, body_el, message_id)
        if status == 500:
            time.sleep(0.02)  # a real host would hold the Receive for OperationTimeout
        return status, text

    def _create(self, body: ET.Element, message_id: str) -> str:
        shell_el = body.find("rsp:Shell", NS)
        assert shell_el is not None
        shell_id = shell_el.attrib.get("ShellId") or str(uuid.uuid4()).upper()
        creation = shell_el.findtext("pwsh:creationXml", "", NS)
        defrag = wire.Defragmenter()
        msgs = [wire.unpack_message(b) for b in defrag.feed(base64.b64decode(creation))]
        types = [m.message_type for m in msgs]
        assert types == [wire.SESSION_CAPABILITY, wire.INIT_RUNSPACEPOOL], types
        shell = Shell(rpid=msgs[0].rpid)
        zero = uuid.UUID(int=0)
        shell.outbox.append(
            self._msg(shell, wire.SESSION_CAPABILITY, zero, zero, cx.render("session_capability"))
        )
        shell.outbox.append(
            self._msg(
                shell,
                wire.RUNSPACEPOOL_STATE,
                shell.rpid,
                zero,
                cx.render("runspace_state", state="2"),
            )
        )
        self.shells[shell_id] = shell
        body_xml = (
            f'<x:ResourceCreated xmlns:x="{_TRANSFER}"><wsa:Address>http://127.0.0.1/wsman'
            "</wsa:Address><wsa:ReferenceParameters><wsman:ResourceURI>"
            "http://schemas.microsoft.com/powershell/Microsoft.PowerShell</wsman:ResourceURI>"
            f'<wsman:SelectorSet><wsman:Selector Name="ShellId">{shell_id}</wsman:Selector>'
            "</wsman:SelectorSet></wsa:ReferenceParameters></x:ResourceCreated>"
            f"<rsp:Shell><rsp:ShellId>{shell_id}</rsp:ShellId><rsp:ResourceUri>"
            "http://schemas.microsoft.com/powershell/Microsoft.PowerShell</rsp:ResourceUri>"
            "<rsp:IdleTimeOut>PT7200.000S</rsp:IdleTimeOut><rsp:OutputStreams>stdout"
            "</rsp:OutputStreams></rsp:Shell>"
        )
        return _envelope(f"{_TRANSFER}/CreateResponse", message_id, body_xml)

    def _msg(self, shell: Shell, mtype: int, rpid: uuid.UUID, pid: uuid.UUID, xml: str) -> bytes:
        oid = shell.next_object_id
        shell.next_object_id += 1
        return wire.fragment(oid, wire.pack_message(mtype, rpid, pid, xml))

    def _command(self, shell: Shell, body: ET.Element, message_id: str) -> str:
        line = body.find("rsp:CommandLine", NS)
        assert line is not None
        cmd_id = line.attrib.get("CommandId", str(uuid.uuid4())).upper()
        pipe = Pipeline()
        shell.pipelines[cmd_id] = pipe
        for arg in line.findall("rsp:Arguments", NS):
            self._feed(shell, cmd_id, pipe, base64.b64decode(arg.text or ""))
        return _envelope(
            f"{_SHELL}/CommandResponse",
            message_id,
            f"<rsp:CommandResponse><rsp:CommandId>{cmd_id}</rsp:CommandId></rsp:CommandResponse>",
        )

    def _send(self, shell: Shell, body: ET.Element, message_id: str) -> str:
        for stream in body.findall("rsp:Send/rsp:Stream", NS):
            cmd_id = stream.attrib.get("CommandId", "").upper()
            pipe = shell.pipelines.get(cmd_id)
            if pipe is not None:
                self._feed(shell, cmd_id, pipe, base64.b64decode(stream.text or ""))
        return _envelope(f"{_SHELL}/SendResponse", message_id, "<rsp:SendResponse />")

    def _feed(self, shell: Shell, cmd_id: str, pipe: Pipeline, data: bytes) -> None:
        for blob in pipe.defrag.feed(data):
            msg = wire.unpack_message(blob)
            if msg.message_type == wire.CREATE_PIPELINE:
                self._execute(shell, pipe, msg)

    def _execute(self, shell: Shell, pipe: Pipeline, msg: wire.Message) -> None:
        text, params = cx.parse_create_pipeline(msg.xml)
        m = _NAME.match(text)
        name = m[1] if m else "?"
        self.calls.append(Call(name, text, params))
        undeclared = sorted(set(params) - declared_params(text))
        if undeclared:  # a real host would fail: "A parameter cannot be found that matches ..."
            self.mismatches.append(f"{name}: {', '.join(undeclared)}")
        if name in self.hang:
            pipe.hang = True
            return
        pid = msg.pid
        handler = self.backend.handlers.get(name)
        try:
            if handler is None:
                raise WincloudError(f"the replay server has no answer for script {name!r}")
            outputs = handler(params)
        except Exception as exc:
            err = (
                exc
                if isinstance(exc, WincloudError)
                else WincloudError(f"replay backend failed: {type(exc).__name__}: {exc}")
            )
            # A terminating error arrives only inside PIPELINE_STATE (Failed), as real hosts
            # send it (pypsrp's recorded sessions show no separate ERROR_RECORD message).
            state = self.backend_error(err, name, ' N="ExceptionAsErrorRecord"')
            pipe.outbox.append(
                self._msg(
                    shell,
                    wire.PIPELINE_STATE,
                    shell.rpid,
                    pid,
                    cx.render("pipeline_state", state="5", error=state),
                )
            )
            return
        for out in outputs:
            pipe.outbox.append(self._msg(shell, wire.PIPELINE_OUTPUT, shell.rpid, pid, out))
        pipe.outbox.append(
            self._msg(
                shell,
                wire.PIPELINE_STATE,
                shell.rpid,
                pid,
                cx.render("pipeline_state", state="4", error=""),
            )
        )

    def backend_error(self, err: WincloudError, script: str, name_attr: str) -> str:
        from tests.unit.hyperv.replay.backend import render_error

        return render_error(err, cmdlet=script, name_attr=name_attr)

    def _receive(self, shell: Shell, body: ET.Element, message_id: str) -> tuple[int, str]:
        stream = body.find("rsp:Receive/rsp:DesiredStream", NS)
        cmd_id = stream.attrib.get("CommandId", "").upper() if stream is not None else ""
        if not cmd_id:
            data, shell.outbox = b"".join(shell.outbox), []
            if not data:
                return 500, _fault(message_id, TIMED_OUT, "operation timeout")
            return 200, _receive_response(data, None, done=False)
        pipe = shell.pipelines.get(cmd_id)
        if pipe is None or pipe.hang:
            return 500, _fault(
                message_id,
                TIMED_OUT,
                "The WS-Management service cannot "
                "complete the operation within the time specified in "
                "OperationTimeout.",
            )
        data, pipe.outbox = b"".join(pipe.outbox), []
        shell.pipelines.pop(cmd_id, None)
        return 200, _receive_response(data, cmd_id, done=True)


def declared_params(script: str) -> set[str]:
    """The names in the script's leading ``param(...)`` block (every one is typed: [type]$Name)."""
    start = script.find("param(")
    depth, end = 0, start
    for end in range(start + len("param"), len(script)):
        depth += {"(": 1, ")": -1}.get(script[end], 0)
        if depth == 0:
            break
    return set(re.findall(r"\[[\w\[\]]+\]\s*\$(\w+)", script[start : end + 1]))


def _envelope(action: str, relates_to: str, body: str) -> str:
    return (
        f'<s:Envelope xmlns:s="{NS["s"]}" xmlns:wsa="{NS["wsa"]}" xmlns:wsman="{NS["wsman"]}" '
        f'xmlns:rsp="{NS["rsp"]}" xml:lang="en-US"><s:Header><wsa:Action>{action}</wsa:Action>'
        f"<wsa:MessageID>uuid:{str(uuid.uuid4()).upper()}</wsa:MessageID>"
        "<wsa:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</wsa:To>"
        f"<wsa:RelatesTo>{relates_to}</wsa:RelatesTo></s:Header><s:Body>{body}</s:Body>"
        "</s:Envelope>"
    )


def _receive_response(data: bytes, cmd_id: str | None, *, done: bool) -> str:
    attr = f' CommandId="{cmd_id}"' if cmd_id else ""
    streams = f'<rsp:Stream Name="stdout"{attr}>{base64.b64encode(data).decode()}</rsp:Stream>'
    state = ""
    if cmd_id:
        state = f'<rsp:CommandState CommandId="{cmd_id}" State="{_DONE if done else _RUNNING}" />'
    return _envelope(
        f"{_SHELL}/ReceiveResponse",
        "{relates}",
        f"<rsp:ReceiveResponse>{streams}{state}</rsp:ReceiveResponse>",
    )


def _fault(relates_to: str, code: int, text: str) -> str:
    body = (
        "<s:Fault><s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value>w:TimedOut</s:Value>"
        f'</s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">{text}</s:Text></s:Reason>'
        '<s:Detail><f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" '
        f'Code="{code}" Machine="127.0.0.1"><f:Message>{text}</f:Message></f:WSManFault>'
        "</s:Detail></s:Fault>"
    )
    return _envelope("http://schemas.dmtf.org/wbem/wsman/1/wsman/fault", relates_to, body)


def _handler_for(server: ReplayServer) -> type[BaseHTTPRequestHandler]:
    expected = "Basic " + base64.b64encode(f"{server.user}:{server.password}".encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            # headers and body go out in two writes: without this, Nagle + delayed ACK cost
            # ~40 ms per request
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length) if length else b""
            if self.path != "/wsman":
                self._reply(404, b"")
                return
            if self.headers.get("Authorization") != expected:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="WSMAN"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            status, text = server.handle(body)
            env = ET.fromstring(body)
            relates = env.findtext("s:Header/wsa:MessageID", "", NS)
            self._reply(status, text.replace("{relates}", relates).encode("utf-8"))

        def _reply(self, status: int, payload: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/soap+xml;charset=UTF-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Handler
