"""Real docker parts for the login tests: a registry that takes the emulator's ECR token, a docker
engine, and skopeo, all reaching the registry under the ECR host name the emulator returns.

How: a private mount namespace (``unshare -m``, a ``sleep`` holding it) in which ``/etc/hosts``
maps ``123456789012.dkr.ecr.us-east-1.amazonaws.com`` to a random 127.x.y.z address and
``/etc/docker`` carries ``certs.d/HOST/ca.crt`` of a test CA made with openssl. The registry
(``docker-registry``, htpasswd Basic auth for user ``AWS`` with moto's password, TLS on port 443 of
that address) and dockerd (``--storage-driver=vfs --iptables=false --bridge=none``, its own data
root and socket) run inside it; skopeo is run inside it with ``nsenter``. Nothing on the machine
outside the namespace changes, and every process is stopped by PID at the end of the session.
Where a part is missing (not root, no unshare, a package not installed) the tests skip and say so.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ACCOUNT = "123456789012"
HOST = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com"
PASSWORD = f"{ACCOUNT}-auth-token"  # what moto's GetAuthorizationToken issues for the account

_REGISTRY_CONFIG = """version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {root}/registry-data
  delete:
    enabled: true
http:
  addr: {address}:443
  secret: ecrctl-e2e
  tls:
    certificate: {root}/tls/server.crt
    key: {root}/tls/server.key
auth:
  htpasswd:
    realm: ecr
    path: {root}/htpasswd
"""

_NAMESPACE_SCRIPT = """set -e
mount --make-rprivate /
mount --bind {root}/hosts /etc/hosts
mkdir -p /etc/docker /etc/containers
mount --bind {root}/etc-docker /etc/docker
mount --bind {root}/etc-containers /etc/containers
exec sleep infinity
"""


def _missing() -> str | None:
    if os.geteuid() != 0:
        return "the docker end-to-end tests need root (mount namespace, port 443)"
    tools = ["unshare", "nsenter", "openssl", "htpasswd", "docker-registry"]
    absent = [t for t in tools if shutil.which(t) is None]
    if absent:
        return f"not installed: {', '.join(absent)} (.ci/run installs them)"
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True, check=False)
    if probe.returncode != 0:
        return f"cannot make a mount namespace here: {probe.stderr.decode().strip()}"
    return None


def _run(argv: list[str], **kwargs: object) -> None:
    subprocess.run(argv, check=True, capture_output=True, timeout=60, **kwargs)  # type: ignore[call-overload]


def _make_tls(root: Path) -> Path:
    tls = root / "tls"
    tls.mkdir()
    _run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=ecrctl test CA",
            "-keyout",
            str(tls / "ca.key"),
            "-out",
            str(tls / "ca.crt"),
        ]
    )
    _run(
        [
            "openssl",
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            f"/CN={HOST}",
            "-keyout",
            str(tls / "server.key"),
            "-out",
            str(tls / "server.csr"),
        ]
    )
    (tls / "ext.cnf").write_text(f"subjectAltName=DNS:{HOST}\n")
    _run(
        [
            "openssl",
            "x509",
            "-req",
            "-days",
            "2",
            "-in",
            str(tls / "server.csr"),
            "-CA",
            str(tls / "ca.crt"),
            "-CAkey",
            str(tls / "ca.key"),
            "-CAcreateserial",
            "-extfile",
            str(tls / "ext.cnf"),
            "-out",
            str(tls / "server.crt"),
        ]
    )
    return tls / "ca.crt"


@dataclass
class DockerEnv:
    root: Path
    namespace_pid: int
    address: str
    docker_host: str | None = None
    skopeo: bool = False
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    unavailable: dict[str, str] = field(default_factory=dict)

    def inside(self, argv: list[str]) -> list[str]:
        """The command run in the namespace where the ECR host name is the test registry."""
        return ["nsenter", "-t", str(self.namespace_pid), "-m", "--", *argv]

    def require(self, part: str) -> None:
        if part in self.unavailable:
            pytest.skip(self.unavailable[part])

    def start(self, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        log = open(self.root / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(self.inside(argv), stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.processes.append(process)
        return process

    def log(self, name: str) -> str:
        path = self.root / f"{name}.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""


def _wait(check: object, what: str, env: DockerEnv, name: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(check) and check():
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not start in {timeout:.0f}s:\n{env.log(name)}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextlib.contextmanager
def docker_environment() -> Iterator[DockerEnv]:
    reason = _missing()
    if reason:
        pytest.skip(reason)
    root = Path(tempfile.mkdtemp(prefix="ecrctl-docker-"))
    address = f"127.{random.randint(20, 250)}.{random.randint(1, 250)}.{random.randint(2, 250)}"
    ca = _make_tls(root)
    (root / "htpasswd").write_bytes(
        subprocess.run(
            ["htpasswd", "-Bbn", "AWS", PASSWORD], check=True, capture_output=True, timeout=60
        ).stdout
    )
    (root / "hosts").write_text(Path("/etc/hosts").read_text() + f"\n{address} {HOST}\n")
    # The namespace's /etc/containers: the machine's (policy.json, registries.conf) plus the CA.
    if Path("/etc/containers").is_dir():
        shutil.copytree("/etc/containers", root / "etc-containers", symlinks=True)
    policy = root / "etc-containers" / "policy.json"
    if not policy.exists():
        policy.parent.mkdir(parents=True, exist_ok=True)
        policy.write_text('{"default": [{"type": "insecureAcceptAnything"}]}')
    for certs in (
        root / "etc-docker" / "certs.d" / HOST,
        root / "etc-containers" / "certs.d" / HOST,
    ):
        certs.mkdir(parents=True, exist_ok=True)
        shutil.copy(ca, certs / "ca.crt")
    (root / "registry.yml").write_text(_REGISTRY_CONFIG.format(root=root, address=address))
    (root / "namespace.sh").write_text(_NAMESPACE_SCRIPT.format(root=root))
    holder = subprocess.Popen(["unshare", "-m", "bash", str(root / "namespace.sh")])
    env = DockerEnv(root=root, namespace_pid=holder.pid, address=address)
    try:
        _wait(
            lambda: Path(f"/proc/{holder.pid}/cmdline").read_bytes().startswith(b"sleep"),
            "the mount namespace",
            env,
            "namespace",
            timeout=20,
        )
        registry = env.start("registry", ["docker-registry", "serve", str(root / "registry.yml")])
        _wait(
            lambda: registry.poll() is not None or _listening(address),
            "docker-registry",
            env,
            "registry",
        )
        if registry.poll() is not None:
            raise RuntimeError(f"docker-registry exited:\n{env.log('registry')}")
        if shutil.which("dockerd") and shutil.which("docker"):
            _start_dockerd(env)
        else:
            env.unavailable["dockerd"] = (
                "dockerd / docker not installed (.ci/run installs docker.io)"
            )
        if shutil.which("skopeo") is None:
            env.unavailable["skopeo"] = "skopeo not installed (.ci/run installs it)"
        yield env
    finally:
        for process in reversed(env.processes):
            _stop(process)
        _stop(holder)
        shutil.rmtree(root, ignore_errors=True)


def _listening(address: str) -> bool:
    import socket

    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((address, 443)) == 0


def _start_dockerd(env: DockerEnv) -> None:
    data = env.root / "dockerd"
    socket_path = data / "docker.sock"
    dockerd = env.start(
        "dockerd",
        [
            "dockerd",
            "--storage-driver=vfs",
            "--iptables=false",
            "--ip6tables=false",
            "--bridge=none",
            "--data-root",
            str(data / "data"),
            "--exec-root",
            str(data / "exec"),
            "--pidfile",
            str(data / "dockerd.pid"),
            "--host",
            f"unix://{socket_path}",
        ],
    )
    docker_host = f"unix://{socket_path}"

    def ready() -> bool:
        if dockerd.poll() is not None:
            return True
        probe = subprocess.run(
            ["docker", "version"],
            env={**os.environ, "DOCKER_HOST": docker_host},
            capture_output=True,
            check=False,
            timeout=30,
        )
        return probe.returncode == 0

    _wait(ready, "dockerd", env, "dockerd", timeout=90)
    if dockerd.poll() is not None:
        env.unavailable["dockerd"] = f"dockerd did not start here:\n{env.log('dockerd')}"
        return
    env.docker_host = docker_host


@pytest.fixture(scope="session")
def docker_env() -> Iterator[DockerEnv]:
    """The session's registry (and dockerd, where it starts) under the emulator's ECR host."""
    with docker_environment() as env:
        yield env
