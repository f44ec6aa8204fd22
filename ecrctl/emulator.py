"""A local ECR emulator: moto's server on 127.0.0.1 (ECR, EventBridge, IAM, STS, ...)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ecrctl.core.exceptions import Refused

SANDBOX_ACCOUNT = "123456789012"
SANDBOX_REGION = "us-east-1"


@dataclass(frozen=True)
class Emulator:
    endpoint: str
    region: str = SANDBOX_REGION

    def client(self, service: str = "ecr") -> Any:
        """A boto3 client on the emulator (for seeding and checking)."""
        import boto3

        return boto3.client(  # type: ignore[call-overload]
            service,
            endpoint_url=self.endpoint,
            region_name=self.region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def environment(self) -> dict[str, str]:
        """What points ecrctl, the aws CLI and scripts at the emulator."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
        }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_emulator(port: int | None = None) -> Iterator[Emulator]:
    chosen = port or free_port()
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", chosen))
        except OSError:
            raise Refused(f"port {chosen} on 127.0.0.1 is in use; pass another --port") from None
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        raise Refused(
            "the sandbox needs moto's server: pip install 'moto[server]' (or ecrctl[test])"
        ) from None
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no request log on the terminal
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=chosen, verbose=False)
    server.start()
    try:
        yield Emulator(endpoint=f"http://127.0.0.1:{chosen}")
    finally:
        server.stop()
