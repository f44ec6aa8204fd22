"""A local ECR emulator: moto's server on 127.0.0.1 (ECR, EventBridge, IAM, STS, ...).

moto's own WSGI app (``DomainDispatcherApplication`` over ``create_backend_app``, built exactly
as moto's ``moto_server`` command and ``ThreadedMotoServer`` build it; neither name is private)
is served by werkzeug's public ``make_server`` behind ``SandboxMiddleware``, which answers what
moto lacks (ECR Public's token, the lifecycle preview). ``ThreadedMotoServer`` keeps its app to
itself, so wrapping it would need its private attributes. In front of both, frontdoor.py serves
the registry (``/v2/``) on the same port, its blobs in ``data`` or a temporary directory.
"""

from __future__ import annotations

import socket
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ecrctl.core.exceptions import Refused
from ecrctl.sandbox.extra import missing_extra_message

SANDBOX_ACCOUNT = "123456789012"
SANDBOX_REGION = "us-east-1"


@dataclass(frozen=True)
class Emulator:
    endpoint: str
    region: str = SANDBOX_REGION
    registry: str = ""  # the registry's host, 127.0.0.1:PORT (repositoryUri names it)
    blobs: Any = None  # its BlobStore (sandbox/blobstore.py)

    def client(self, service: str = "ecr", region: str | None = None) -> Any:
        """A boto3 client on the emulator (for seeding and checking)."""
        import boto3

        return boto3.session.Session().client(  # type: ignore[call-overload]
            service,
            endpoint_url=self.endpoint,
            region_name=region or self.region,
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


def _clients(emulator: Emulator) -> Any:
    """region -> one ECR client on the emulator, made on first use."""
    made: dict[str, Any] = {}
    lock = threading.Lock()

    def client(region: str) -> Any:
        with lock:
            if region not in made:
                made[region] = emulator.client("ecr", region)
            return made[region]

    return client


@contextmanager
def running_emulator(port: int | None = None, data: Path | None = None) -> Iterator[Emulator]:
    """Serve the emulator on 127.0.0.1 until the block ends; the port is closed after it.
    The registry's blobs go in ``data`` (kept), or in a temporary directory (removed after)."""
    chosen = port or free_port()
    # werkzeug reports a busy port itself (and exits): ask first, as it binds (SO_REUSEADDR).
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", chosen))
        except OSError:
            raise Refused(f"port {chosen} on 127.0.0.1 is in use; pass another --port") from None
    try:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
        from werkzeug.serving import make_server
    except ImportError:
        raise Refused(missing_extra_message()) from None
    import logging

    from ecrctl.sandbox.frontdoor import Served, with_registry
    from ecrctl.sandbox.middleware import SandboxMiddleware

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no request log on the terminal
    emulator = Emulator(endpoint=f"http://127.0.0.1:{chosen}")
    clients = _clients(emulator)
    api = SandboxMiddleware(DomainDispatcherApplication(create_backend_app), clients)
    served = Served(SANDBOX_ACCOUNT, SANDBOX_REGION, f"127.0.0.1:{chosen}")
    scratch = None if data else tempfile.TemporaryDirectory(prefix="ecrctl-sandbox-")
    root = data or Path(scratch.name if scratch else ".")
    app, blobs = with_registry(api, served=served, blob_root=root, ecr=clients)
    emulator = Emulator(emulator.endpoint, registry=served.host, blobs=blobs)
    server = make_server("127.0.0.1", chosen, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="sandbox", daemon=True)
    thread.start()
    try:
        yield emulator
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
        if scratch is not None:
            scratch.cleanup()
