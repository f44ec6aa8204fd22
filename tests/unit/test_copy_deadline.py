"""The deadlines of registry answers, all kept by one watchdog thread: a request whose time is
up has its socket shut (a blocked read ends), one answered in time is left alone."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from ecrctl.core.distribution.deadline import Deadline


@dataclass
class Conn:
    sock: socket.socket


@pytest.fixture
def pairs() -> Iterator[list[tuple[socket.socket, socket.socket]]]:
    made: list[tuple[socket.socket, socket.socket]] = []
    yield made
    for ours, theirs in made:
        ours.close()
        theirs.close()


def pair(made: list[tuple[socket.socket, socket.socket]]) -> tuple[socket.socket, socket.socket]:
    ours, theirs = socket.socketpair()
    ours.settimeout(30)  # a safety net only: the deadline ends the read long before
    made.append((ours, theirs))
    return ours, theirs


def test_a_short_deadline_after_a_long_one_ends_its_read_first(pairs: list) -> None:
    """The watchdog wakes for a new deadline earlier than the one it sleeps towards."""
    slow, _ = pair(pairs)
    quick, _ = pair(pairs)
    long = Deadline(Conn(slow), 600)
    short = Deadline(Conn(quick), 0.2)
    assert quick.recv(10) == b""  # shut down at the deadline: the blocked read ends
    assert short.cancel() is True  # it had run out
    assert long.cancel() is False  # answered in time: never expired
    assert long.expired is False


def test_a_cancelled_deadline_leaves_its_socket_alone(pairs: list) -> None:
    kept, peer = pair(pairs)
    later, _ = pair(pairs)
    first = Deadline(Conn(kept), 0.1)
    assert first.cancel() is False
    second = Deadline(Conn(later), 0.2)  # expires after the first one's time has come
    assert later.recv(10) == b""
    assert second.cancel() is True
    peer.sendall(b"still open")
    assert kept.recv(10) == b"still open"
    assert first.expired is False


def test_many_requests_at_once_each_get_their_deadline(pairs: list) -> None:
    """Deadlines set and cancelled from many threads at once: each answered one is left
    alone, each late one is cut."""
    answered = [pair(pairs) for _ in range(40)]
    late = [pair(pairs) for _ in range(4)]
    results: list[bool] = []
    lock = threading.Lock()

    def request(sock: socket.socket) -> None:
        deadline = Deadline(Conn(sock), 600)
        outcome = deadline.cancel()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=request, args=(s,)) for s, _ in answered]
    for thread in threads:
        thread.start()
    cut = [Deadline(Conn(s), 0.1 * (i + 1)) for i, (s, _) in enumerate(late)]
    for thread in threads:
        thread.join()
    assert results == [False] * 40
    for sock, _ in late:
        assert sock.recv(10) == b""
    assert [d.cancel() for d in cut] == [True] * 4
    for sock, peer in answered:
        peer.sendall(b"x")
        assert sock.recv(1) == b"x"
