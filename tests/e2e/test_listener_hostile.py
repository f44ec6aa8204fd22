"""events listen is a server facing the network: hostile and clumsy clients over real sockets.

Most tests run the installed ``ecrctl events listen`` as a subprocess on 127.0.0.1 and speak raw
HTTP to it; the ones that need a short request timeout or a small connection bound build a
WebhookListener in-process. No test waits for a fixed time: each blocking read has a generous
timeout that only guards against a hang.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from ecrctl.core.events.listener import Rejection, WebhookListener
from ecrctl.core.events.samples import sample
from tests.conftest import ecrctl_command

pytestmark = pytest.mark.e2e

HANG_GUARD = 30.0  # seconds; a read that takes this long means the listener hung


def _default_signals() -> None:
    """In the child: SIGINT and SIGTERM do what they do by default, whatever the test runner had."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


@dataclass
class Listener:
    process: subprocess.Popen[str]
    port: int

    def stderr_line(self) -> str:
        assert self.process.stderr is not None
        return self.process.stderr.readline()

    def stdout_line(self) -> str:
        assert self.process.stdout is not None
        return self.process.stdout.readline()

    def stop(self, signum: int = signal.SIGTERM) -> tuple[str, str]:
        self.process.send_signal(signum)
        return self.process.communicate(timeout=HANG_GUARD)


@pytest.fixture
def listen() -> Iterator[Any]:
    started: list[subprocess.Popen[str]] = []

    def start(*options: str, env: dict[str, str] | None = None) -> Listener:
        process = subprocess.Popen(
            [*ecrctl_command(), "-o", "text", "events", "listen", "--port", "0", *options],
            env={**os.environ, **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            restore_signals=True,
            preexec_fn=_default_signals,
        )
        started.append(process)
        assert process.stderr is not None
        head = ""
        for _ in range(5):
            line = process.stderr.readline()
            head += line
            if line.startswith("listening on "):
                port = int(line.split()[2].rstrip("/").rsplit(":", 1)[1])
                return Listener(process, port)
        raise AssertionError(f"listener did not start: {head!r}")

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=HANG_GUARD)


def _connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=HANG_GUARD)


def _read_all(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def _status(answer: bytes) -> int:
    assert answer.startswith(b"HTTP/1."), answer[:200]
    return int(answer.split(b" ", 2)[1])


def _post(port: int, body: bytes, *, headers: dict[str, str] | None = None) -> bytes:
    """One raw HTTP request (Content-Length unless headers say otherwise); the whole answer."""
    fields = {"Host": "127.0.0.1", "Content-Type": "application/json"}
    fields.update(headers if headers is not None else {"Content-Length": str(len(body))})
    head = "POST / HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields.items()) + "\r\n"
    with _connect(port) as sock:
        sock.sendall(head.encode() + body)
        return _read_all(sock)


def _event(repository: str = "team/app", **detail: Any) -> bytes:
    event = sample("push", repository=repository)
    event["detail"].update(detail)
    return json.dumps(event).encode()


def test_answers_a_real_event_while_50_connections_sit_idle(listen: Any) -> None:
    listener = listen()
    idle = [_connect(listener.port) for _ in range(50)]
    try:
        for sock in idle:  # each holds a request open: a request line and half its headers
            sock.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        answer = _post(listener.port, _event("team/while-busy"))
        assert _status(answer) == 200
        assert "\tteam/while-busy\t" in listener.stdout_line()
        for sock in idle:  # answered while the 50 were still open, not after they were dropped
            sock.setblocking(False)
            with pytest.raises(BlockingIOError):
                sock.recv(1)
    finally:
        for sock in idle:
            sock.close()
    _, err = listener.stop()
    assert listener.process.returncode == 0, err
    assert "Traceback" not in err


def test_a_body_over_256_kb_is_answered_413(listen: Any) -> None:
    listener = listen()
    body = b'{"id": "' + b"x" * (300 * 1024) + b'"}'
    answer = _post(listener.port, body)
    assert _status(answer) == 413
    assert "413" in listener.stderr_line()
    assert _status(_post(listener.port, _event())) == 200  # and it goes on serving
    out, err = listener.stop()
    assert out.count("\tteam/app\t") == 1 and listener.process.returncode == 0
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "headers",
    [
        {"Transfer-Encoding": "chunked"},  # EventBridge sends a Content-Length; so must everyone
        {},
    ],
    ids=["chunked", "no-length"],
)
def test_a_request_without_content_length_is_refused(listen: Any, headers: dict[str, str]) -> None:
    listener = listen()
    body = b"2\r\n{}\r\n0\r\n\r\n" if headers else b"{}"
    with _connect(listener.port) as sock:
        head = "POST / HTTP/1.1\r\nHost: x\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in headers.items()
        )
        sock.sendall(head.encode() + b"\r\n" + body)
        sock.shutdown(socket.SHUT_WR)  # no length: the end of the body is the end of the stream
        answer = _read_all(sock)
    assert _status(answer) == 411
    assert "411" in listener.stderr_line()
    out, err = listener.stop()
    assert out == "" and "Traceback" not in err


MALFORMED = {
    "deep-json": b"[" * 100_000 + b"]" * 100_000,
    "deep-object-in-event": b'{"detail": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    "not-json": b"not json",
    "list-not-object": b'[{"id": "x"}]',
    "detail-a-list": b'{"detail-type": "ECR Image Action", "detail": ["a"]}',
    "numbers-in-image-tags": json.dumps(
        {"detail-type": "ECR Image Scan", "detail": {"image-tags": [1, 2]}}
    ).encode(),
    "counts-a-list": json.dumps(
        {"detail-type": "ECR Image Scan", "detail": {"finding-severity-counts": [1]}}
    ).encode(),
    "invalid-utf8": b'{"detail": {"repository-name": "\xff\xfe"}}',
    "empty": b"",
    # Shapes the one-line summary cannot show: each once ended the listener with a 500.
    "scan-change-repositories-numbers": json.dumps(
        {"detail-type": "ECR Scan Resource Change", "detail": {"repositories": [1]}}
    ).encode(),
    "scan-change-repositories-an-object": json.dumps(
        {"detail-type": "ECR Scan Resource Change", "detail": {"repositories": {"a": 1}}}
    ).encode(),
    "scan-change-repository-name-a-list": json.dumps(
        {
            "detail-type": "ECR Scan Resource Change",
            "detail": {"repositories": [{"repository-name": ["x"]}]},
        }
    ).encode(),
    "sync-status-an-object": json.dumps(
        {"detail-type": "ECR Pull Through Cache Action", "detail": {"sync-status": {"a": 1}}}
    ).encode(),
    # Not JSON, though Python's parser takes them: -o json would print them back.
    "nan": b'{"id": NaN}',
    "infinity": b'{"detail": {"n": Infinity}}',
    "minus-infinity": b'{"detail": {"n": -Infinity}}',
    "beyond-a-double": b'{"detail": {"n": 1e400}}',
    "lone-surrogate": b'{"id": "\\ud800"}',
}


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_event_is_answered_400_and_logged_once(listen: Any, body: bytes) -> None:
    listener = listen()
    answer = _post(listener.port, body)
    assert _status(answer) == 400
    assert "error" in json.loads(answer.split(b"\r\n\r\n", 1)[1])
    line = listener.stderr_line()
    assert line.startswith("rejected a request from 127.0.0.1: 400 "), line
    assert _status(_post(listener.port, _event("team/after"))) == 200
    out, err = listener.stop()
    assert listener.process.returncode == 0
    assert out.count("\n") == 1 and "\tteam/after\t" in out  # the bad event printed nothing
    assert "Traceback" not in err
    assert err.count("\n") == 1, err  # nothing after that one line but the stop message


def test_clients_that_leave_early_cost_one_line_and_no_traceback(listen: Any) -> None:
    listener = listen()
    with _connect(listener.port) as sock:  # promises 1000 bytes, sends 10, leaves
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + b"{" * 10)
        sock.shutdown(socket.SHUT_WR)
        assert _read_all(sock) == b""  # nothing to answer to a request that never finished
    assert "closed the connection" in listener.stderr_line()
    for _ in range(20):  # send a whole event, then reset the connection without reading
        sock = _connect(listener.port)
        body = _event("team/reset")
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        sock.close()
    assert _status(_post(listener.port, _event("team/still-there"))) == 200
    out, err = listener.stop()
    assert listener.process.returncode == 0
    repositories = [line.split("\t")[2] for line in out.splitlines()]
    assert "team/still-there" in repositories  # the reset ones are served concurrently
    assert set(repositories) <= {"team/still-there", "team/reset"}
    assert "Traceback" not in err and "Error" not in err


def test_escape_sequences_in_event_fields_never_reach_the_terminal(listen: Any) -> None:
    listener = listen()
    hostile = "team/\x1b]0;owned\x07\x1b[2J\u009b31m\u202eppa\tx"
    answer = _post(listener.port, _event(hostile, **{"image-tag": "v1\r\x1b[1A"}))
    assert _status(answer) == 200
    line = listener.stdout_line()
    for raw in ("\x1b", "\x07", "\u009b", "\u202e", "\r"):
        assert raw not in line
    fields = line.rstrip("\n").split("\t")
    assert len(fields) == 6  # a tab in a field does not shift the columns
    assert fields[2] == "team/\\x1b]0;owned\\x07\\x1b[2J\\x9b31m\\u202eppa\\tx"
    assert fields[4] == "v1\\r\\x1b[1A"
    _, err = listener.stop()
    assert listener.process.returncode == 0 and "Traceback" not in err


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 0), (signal.SIGINT, 130)])
def test_signals_stop_it_cleanly(listen: Any, signum: int, code: int) -> None:
    listener = listen()
    assert _status(_post(listener.port, _event())) == 200
    assert "\tteam/app\t" in listener.stdout_line()  # serving, not still starting
    _, err = listener.stop(signum)
    assert listener.process.returncode == code, err
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    with pytest.raises(OSError):  # the port is released
        _connect(listener.port).close()


def test_a_non_ascii_authorization_header_is_answered_401(listen: Any) -> None:
    listener = listen("--username", "hook", env={"ECRCTL_WEBHOOK_PASSWORD": "s3cret"})
    good = "Basic " + base64.b64encode(b"hook:s3cret").decode()
    for header in ("Basic \u00e9t\u00e9", "B\u00e4sic aG9vazpzM2NyZXQ=", good + "\u00e9"):
        body = _event("team/app")
        head = (
            "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Length: {len(body)}\r\nAuthorization: {header}\r\n\r\n"
        )
        with _connect(listener.port) as sock:
            sock.sendall(head.encode("utf-8") + body)  # the header's bytes are UTF-8
            answer = _read_all(sock)
        assert _status(answer) == 401, answer[:200]
        assert b'WWW-Authenticate: Basic realm="ecrctl"' in answer
        line = listener.stderr_line()
        assert line == "rejected a request from 127.0.0.1: 401 wrong credentials\n", line
    answer = _post(listener.port, _event("team/right"), headers=None)
    assert _status(answer) == 401  # and no header at all is still "no credentials"
    assert listener.stderr_line().endswith("401 no credentials\n")
    body = _event("team/right")
    right = {"Content-Length": str(len(body)), "Authorization": good}
    assert _status(_post(listener.port, body, headers=right)) == 200
    out, err = listener.stop()
    assert listener.process.returncode == 0 and out.count("\n") == 1
    assert "\tteam/right\t" in out and "Traceback" not in err and "internal" not in err


def _strict_json(line: str) -> Any:
    def refuse(name: str) -> Any:
        raise AssertionError(f"{name} in -o json output: {line!r}")

    return json.loads(line, parse_constant=refuse)


def test_json_output_stays_json_whatever_the_peer_sends(listen: Any) -> None:
    listener = listen("-o", "json")
    for body in (b'{"id": NaN}', b'{"detail": {"n": -Infinity}}', b'{"id": "\\udcff"}'):
        assert _status(_post(listener.port, body)) == 400
        assert listener.stderr_line().startswith("rejected a request from 127.0.0.1: 400 the body")
    assert _status(_post(listener.port, _event("team/json"))) == 200
    out, err = listener.stop()
    assert listener.process.returncode == 0, err
    (line,) = out.splitlines()
    assert _strict_json(line)["detail"]["repository-name"] == "team/json"


def test_a_query_that_fails_on_one_event_is_400_and_the_listener_goes_on(listen: Any) -> None:
    listener = listen("-o", "json", "--query", "abs(detail.size)")
    sizes = [5, "five", {"n": 5}, -7]
    answers = [_status(_post(listener.port, _event(size=size))) for size in sizes]
    assert answers == [200, 400, 400, 200]
    for received in ("string", "object"):
        line = listener.stderr_line()
        assert line.startswith(
            "rejected a request from 127.0.0.1: 400 --query 'abs(detail.size)' failed: "
            "In function abs(), invalid type for value, expected one of: ['number'], "
            f'received: "{received}"'
        ), line
        assert "five" not in line  # the value itself is never shown
    out, err = listener.stop()
    assert listener.process.returncode == 0, err
    assert out == "5\n7\n"
    assert "Traceback" not in err and "unexpected" not in err


# In-process: a short request timeout and a small bound, which the command does not expose.


@pytest.fixture
def served() -> Iterator[Any]:
    running: list[tuple[WebhookListener, threading.Thread]] = []

    def start(**options: Any) -> tuple[WebhookListener, list[dict[str, Any]], list[Rejection]]:
        got: list[dict[str, Any]] = []
        rejected: list[Rejection] = []
        server = WebhookListener(
            "127.0.0.1", 0, on_event=got.append, on_reject=rejected.append, **options
        )
        thread = threading.Thread(target=server.serve, daemon=True)
        thread.start()
        running.append((server, thread))
        return server, got, rejected

    yield start
    for server, thread in running:
        server.stop()
        thread.join(timeout=HANG_GUARD)


def _port(server: WebhookListener) -> int:
    return int(server.server.server_address[1])


@pytest.mark.parametrize(
    "partial",
    [
        b"",  # connects and says nothing
        b"POST / HTTP/1.1\r\nHost: x\r\n",  # headers never finish
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{",  # body never finishes
    ],
    ids=["silent", "slow-headers", "slow-body"],
)
def test_a_slow_client_times_out_and_is_dropped(served: Any, partial: bytes) -> None:
    server, got, rejected = served(request_timeout=0.5)
    with _connect(_port(server)) as sock:
        sock.sendall(partial)
        answer = _read_all(sock)  # the listener, not the client, ends it
    assert answer == b"" or _status(answer) == 408
    assert got == [] and [r.status for r in rejected] == [408]
    # (No follow-up request here: with a 0.5 s deadline it would race a loaded machine.)


def test_a_client_trickling_its_headers_is_dropped_at_the_deadline(served: Any) -> None:
    """Each byte comes well within the read timeout; the whole request is still bounded."""
    server, _, rejected = served(request_timeout=0.5)
    dropped = threading.Event()
    with _connect(_port(server)) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\n")
        for _ in range(int(HANG_GUARD / 0.05)):
            try:
                sock.sendall(b"X-Slow: 1\r\n")
            except (BrokenPipeError, ConnectionResetError):
                dropped.set()
                break
            sock.settimeout(0.05)
            try:
                sock.recv(65536)  # an answer (408) or the end of the stream
                dropped.set()
                break
            except TimeoutError:
                continue
            except ConnectionResetError:
                dropped.set()
                break
    assert dropped.is_set(), "the trickling client was never dropped"
    assert [r.status for r in rejected] == [408]


def test_connections_beyond_the_bound_are_refused_503(served: Any) -> None:
    server, _, rejected = served(max_connections=2, request_timeout=HANG_GUARD)
    holding = [_connect(_port(server)) for _ in range(2)]
    try:
        for sock in holding:
            sock.sendall(b"POST / HTTP/1.1\r\n")
        with _connect(_port(server)) as third:
            answer = _read_all(third)
        assert _status(answer) == 503
        assert b"Retry-After" in answer
        assert [(r.status, r.reason) for r in rejected] == [(503, "too many connections")]
    finally:
        for sock in holding:
            sock.close()


def test_the_event_is_recorded_before_the_answer(served: Any) -> None:
    """A webhook that answers 200 has the event; one it could not record gets a 5xx (retried)."""
    recorded: list[str] = []

    def record(event: dict[str, Any]) -> None:
        if event.get("id") == "cannot":
            raise OSError("the disk is full")
        recorded.append(str(event["id"]))

    server = WebhookListener("127.0.0.1", 0, on_event=record)
    raised: list[OSError] = []

    def serve() -> None:
        try:
            server.serve()
        except OSError as error:
            raised.append(error)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        assert _status(_post(_port(server), b'{"id": "ok"}')) == 200
        assert recorded == ["ok"]  # no wait: the 200 came after the record
        assert _status(_post(_port(server), b'{"id": "cannot"}')) == 500
    finally:
        thread.join(timeout=HANG_GUARD)  # a listener that cannot record stops
    assert not thread.is_alive()
    assert server.received == 1
    assert [str(error) for error in raised] == ["the disk is full"]  # serve() raises it
