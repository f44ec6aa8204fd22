"""Signals are never lost: SIGTERM stops the sandbox, SIGINT interrupts a command, whenever
they land (ecrctl/cli/signals.py).

A signal that lands just before the main thread blocks (a socket's poll, a lock's wait) runs
only its C-level handler; Python's handler waits for the blocking call to return. Two ways to
meet that here: the race itself, many times over with the machine busy (the sandbox, signalled
as soon as its port opens), and the same state made certain (the signal blocked in the main
thread, so that the kernel hands it to another thread and the main thread never wakes for it).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from ecrctl.sandbox.emulator import free_port
from tests.conftest import ecrctl_command

pytestmark = pytest.mark.e2e

RUNS = 20
AT_ONCE = 4  # sandboxes started side by side: they keep the machine busy for each other
STOP_SECONDS = 30  # far below a hang (forever) or botocore's read timeout (60 s)

# ecrctl as its console script runs it, after blocking MASKED in the main thread once the
# signal-watching thread is up: the signal's C handler then runs in another thread only.
MASKED_CHILD = """
import signal, sys
from ecrctl.cli import signals
signals.install()
signal.pthread_sigmask(signal.SIG_BLOCK, {{signal.{masked}}})
sys.argv = ["ecrctl", *sys.argv[1:]]
from ecrctl.cli.entry import main
main()
"""


def default_signals() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _accepting(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _distinct_ports(count: int) -> list[int]:
    """Free ports, all different (each held while the next is chosen)."""
    with contextlib.ExitStack() as held:
        sockets = [held.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]


def _sandbox_stopped_at_once(
    argv: list[str], env: dict[str, str], port: int, *, when_ready: bool = False
) -> tuple[int | None, str]:
    """Start the sandbox, SIGTERM it the moment its port accepts (or, ``when_ready``, the moment
    it says it is ready, just before it waits); return (exit code, stderr)."""
    proc = subprocess.Popen(
        [*argv, "sandbox", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=default_signals,
    )
    assert proc.stderr is not None
    said = ""
    try:
        if when_ready:
            while proc.poll() is None and "Ctrl-C stops it" not in said:
                said += proc.stderr.readline()
        else:
            while proc.poll() is None and not _accepting(port):
                pass  # the window is right after the port opens: poll for it, no sleep
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=STOP_SECONDS)
        return proc.returncode, said + err
    except subprocess.TimeoutExpired:
        proc.kill()
        _out, err = proc.communicate()
        return None, said + err + "(still running: killed)"


def test_sandbox_stops_on_sigterm_sent_as_soon_as_it_listens_or_is_ready(
    server_env: dict[str, str],
) -> None:
    """20 runs, 4 at a time: half signalled when the port opens, half when the sandbox says it
    is ready (the moment before it waits, where the signal used to be lost)."""
    with ThreadPoolExecutor(max_workers=AT_ONCE) as pool:
        outcomes = list(
            pool.map(
                lambda run: _sandbox_stopped_at_once(
                    ecrctl_command(), server_env, run[1], when_ready=run[0] % 2 == 1
                ),
                enumerate(_distinct_ports(RUNS)),
            )
        )
    failed = [(code, err[-300:]) for code, err in outcomes if code != 0]
    assert not failed, f"{len(failed)} of {RUNS} runs: {failed[:3]}"
    assert all(err.endswith("sandbox: stopped\n") for _, err in outcomes)


def test_a_sigterm_only_another_thread_sees_still_stops_the_sandbox(
    server_env: dict[str, str],
) -> None:
    child = [sys.executable, "-c", MASKED_CHILD.format(masked="SIGTERM")]
    code, err = _sandbox_stopped_at_once(child, server_env, free_port())
    assert code == 0, err
    assert err.endswith("sandbox: stopped\n") and "Traceback" not in err


def test_a_sigint_only_another_thread_sees_still_interrupts_a_waiting_command(
    server_env: dict[str, str],
) -> None:
    """SIGINT while ecrctl waits on a server that never answers, the main thread not woken by
    it: exit 130 at once, not after the 60-second read timeout."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        env = {**server_env, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{listener.getsockname()[1]}"}
        proc = subprocess.Popen(
            [sys.executable, "-c", MASKED_CHILD.format(masked="SIGINT"), "repo", "list"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=default_signals,
        )
        conn, _ = listener.accept()  # the request arrived: ecrctl waits for the answer
        try:
            os.kill(proc.pid, signal.SIGINT)
            out, err = proc.communicate(timeout=STOP_SECONDS)
        finally:
            conn.close()
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert (proc.returncode, out, err) == (130, "", "ecrctl: interrupted\n")
