"""events listen and events test against each other over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from ecrctl.core.events.listener import WebhookListener, basic_auth_header, send_event
from ecrctl.core.events.samples import sample
from ecrctl.sandbox.emulator import free_port
from tests.conftest import ecrctl_command

pytestmark = pytest.mark.e2e


@pytest.fixture
def listener_process() -> Iterator[Any]:
    started: list[subprocess.Popen[str]] = []

    def start(*args: str, stdin: str | None = None) -> tuple[subprocess.Popen[str], str, str]:
        process = subprocess.Popen(
            [*ecrctl_command(), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ),
        )
        started.append(process)
        assert process.stdin is not None and process.stderr is not None
        process.stdin.write(stdin or "")
        process.stdin.close()
        process.stdin = None  # communicate() later must not flush it
        head = ""
        for _ in range(5):
            line = process.stderr.readline()
            head += line
            if line.startswith("listening on "):
                return process, line.split()[2], head
        raise AssertionError(f"listener did not start: {head!r}")

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def test_events_listen_and_test_over_http(listener_process: Any, cli: Any) -> None:
    port = free_port()
    process, url, _ = listener_process(
        "-o",
        "json",
        "events",
        "listen",
        "--port",
        str(port),
        "--username",
        "hook",
        "--password-stdin",
        "--count",
        "2",
        stdin="right-pw\n",
    )
    assert url == f"http://127.0.0.1:{port}/"
    wrong = cli(
        "events",
        "test",
        "--webhook-url",
        url,
        "--username",
        "hook",
        "--password-stdin",
        input="wrong-pw\n",
    )
    assert wrong.exit_code == 1
    assert "the webhook answered 401 Unauthorized" in wrong.stderr
    ok = cli(
        "-o",
        "json",
        "events",
        "test",
        "--webhook-url",
        url,
        "--username",
        "hook",
        "--password-stdin",
        "--repository",
        "team/app",
        input="right-pw\n",
    )
    assert ok.exit_code == 0, ok.stderr
    delivery = json.loads(ok.stdout)
    assert delivery["status"] == 200 and delivery["ok"] is True
    scan = cli(
        "-o",
        "text",
        "events",
        "test",
        "--webhook-url",
        url,
        "--username",
        "hook",
        "--event",
        "scan",
        env={"ECRCTL_WEBHOOK_PASSWORD": "right-pw"},
    )
    assert scan.exit_code == 0 and scan.stdout == "200\tOK\n"
    out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    lines = out.splitlines()
    assert len(lines) == 2  # json lines: one compact document per event
    events = [json.loads(line) for line in lines]
    assert events[0]["id"] == delivery["eventId"]
    assert events[0]["detail"]["repository-name"] == "team/app"
    assert events[1]["detail-type"] == "ECR Image Scan"
    assert "rejected a request from 127.0.0.1: 401 wrong credentials" in err
    assert "right-pw" not in out + err and "wrong-pw" not in out + err


def test_events_listen_table_lines_and_no_auth(listener_process: Any) -> None:
    process, url, head = listener_process(
        "-o", "text", "events", "listen", "--port", "0", "--count", "1"
    )
    event = sample("delete", repository="team/app")
    delivery = send_event(url, event, username="any", password="thing")
    assert delivery.status == 200
    out, _ = process.communicate(timeout=20)
    assert process.returncode == 0
    assert "no --username: accepting requests without authentication" in head
    fields = out.rstrip("\n").split("\t")
    assert fields[1:5] == ["ECR Image Action", "team/app", "DELETE SUCCESS", "latest"]


def test_events_test_cannot_reach(cli: Any) -> None:
    port = free_port()
    done = cli(
        "events",
        "test",
        "--webhook-url",
        f"http://127.0.0.1:{port}/",
        "--username",
        "u",
        "--password-stdin",
        input="pw\n",
    )
    assert done.exit_code == 1
    assert f"cannot reach http://127.0.0.1:{port}/" in done.stderr


@pytest.fixture
def listener() -> Iterator[tuple[WebhookListener, list[dict[str, Any]]]]:
    got: list[dict[str, Any]] = []
    server = WebhookListener("127.0.0.1", 0, on_event=got.append, username="u", password="p")
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    yield server, got
    server.server.shutdown()
    server.close()


def _post(url: str, body: bytes, auth: str | None, method: str = "POST") -> tuple[int, str]:
    headers = {"Content-Type": "application/json"}
    if auth:
        headers["Authorization"] = auth
    request = urllib.request.Request(
        url, data=body if method == "POST" else None, method=method, headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_events_listener_answers(listener: tuple[WebhookListener, list[dict[str, Any]]]) -> None:
    server, got = listener
    good = basic_auth_header("u", "p")
    assert _post(server.url, b"{}", None)[0] == 401
    assert _post(server.url, b"{}", basic_auth_header("u", "x"))[0] == 401
    assert _post(server.url, b"{}", basic_auth_header("x", "p"))[0] == 401
    assert _post(server.url, b"{}", "Basic !!!notbase64")[0] == 401
    assert _post(server.url, b"not json", good) == (400, '{"error": "the body is not JSON"}')
    assert _post(server.url, b"[1]", good)[0] == 400
    assert _post(server.url, b"", good, method="GET")[0] == 405
    assert got == []
    assert _post(server.url, json.dumps({"id": "x"}).encode(), good) == (200, '{"received": true}')
    assert got == [{"id": "x"}]  # no wait needed: the listener records, then answers


def test_events_listener_on_ipv6_loopback() -> None:
    import socket

    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    got: list[dict[str, Any]] = []
    server = WebhookListener("::1", 0, on_event=got.append, username="u", password="p")
    assert server.url.startswith("http://[::1]:")
    thread = threading.Thread(target=server.serve, args=(1,), daemon=True)
    thread.start()
    assert send_event(server.url, {"id": "v6"}, username="u", password="p").status == 200
    thread.join(timeout=10)
    assert got == [{"id": "v6"}]
