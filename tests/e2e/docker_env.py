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

CI starts the environment once before pytest and stops it by PID afterwards::

    python -m tests.e2e.docker_env up STATE_FILE     # PIDs, address, DOCKER_HOST in STATE_FILE
    ECRCTL_E2E_DOCKER_STATE=STATE_FILE python -m pytest
    python -m tests.e2e.docker_env down STATE_FILE
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.needed import unavailable

ACCOUNT = "123456789012"
HOST = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com"
PASSWORD = f"{ACCOUNT}-auth-token"  # what moto's GetAuthorizationToken issues for the account
# Read at import: the tests' isolated environment drops ECRCTL_* variables.
_STATE = os.environ.get("ECRCTL_E2E_DOCKER_STATE")

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
            # What Python 3.13's default context checks of a CA (VERIFY_X509_STRICT).
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
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
    (tls / "ext.cnf").write_text(
        f"subjectAltName=DNS:{HOST}\n"
        "basicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\n"
        "subjectKeyIdentifier=hash\n"
        "authorityKeyIdentifier=keyid,issuer\n"
    )
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
    pids: list[int] = field(default_factory=list)  # started by an earlier `up`
    unavailable: dict[str, str] = field(default_factory=dict)

    def inside(self, argv: list[str]) -> list[str]:
        """The command run in the namespace where the ECR host name is the test registry."""
        return ["nsenter", "-t", str(self.namespace_pid), "-m", "--", *argv]

    def require(self, part: str) -> None:
        if part in self.unavailable:
            unavailable(self.unavailable[part])

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


class Unavailable(Exception):
    """A part the tests need is missing here (the message says which and why)."""


def start() -> DockerEnv:
    """Make the namespace, start the registry (and dockerd where it can run); stop() undoes it."""
    reason = _missing()
    if reason:
        raise Unavailable(reason)
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
    env.processes.append(holder)
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
    except BaseException:
        stop(env)
        raise
    return env


def _gone(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True
    return "\nState:\tZ" in status  # a zombie whose parent (an earlier `up`) has exited


def stop(env: DockerEnv) -> None:
    """Stop every process by PID, newest first (dockerd, the registry, the namespace)."""
    for process in reversed(env.processes):
        _stop(process)
    for pid in reversed(env.pids):
        if _gone(pid):
            continue
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        while not _gone(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if not _gone(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    shutil.rmtree(env.root, ignore_errors=True)


def save(env: DockerEnv, path: Path) -> None:
    state = {
        "root": str(env.root),
        "namespacePid": env.namespace_pid,
        "address": env.address,
        "dockerHost": env.docker_host,
        "pids": [p.pid for p in env.processes] + env.pids,
        "unavailable": env.unavailable,
    }
    path.write_text(json.dumps(state, indent=2))


def load(path: Path) -> DockerEnv | None:
    """An environment started by `python -m tests.e2e.docker_env up`, if it is still alive."""
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if _gone(int(state["namespacePid"])):
        return None
    return DockerEnv(
        root=Path(state["root"]),
        namespace_pid=int(state["namespacePid"]),
        address=str(state["address"]),
        docker_host=state.get("dockerHost"),
        pids=[int(p) for p in state["pids"]],
        unavailable=dict(state.get("unavailable") or {}),
    )


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
    """The registry (and dockerd, where it starts) under the emulator's ECR host: the one CI
    started (ECRCTL_E2E_DOCKER_STATE), else one started for this session and stopped after it."""
    if _STATE:
        shared = load(Path(_STATE))
        if shared is not None:
            yield shared
            return
    try:
        env = start()
    except Unavailable as missing:
        unavailable(str(missing))
        raise
    try:
        yield env
    finally:
        stop(env)


def main(argv: list[str]) -> int:
    """`up STATE_FILE` starts the environment and records its PIDs; `down STATE_FILE` stops it."""
    if len(argv) != 2 or argv[0] not in {"up", "down"}:
        print("usage: python -m tests.e2e.docker_env up|down STATE_FILE", file=sys.stderr)
        return 2
    path = Path(argv[1])
    if argv[0] == "up":
        try:
            env = start()
        except Unavailable as missing:
            print(f"docker_env: {missing}", file=sys.stderr)
            return 1
        save(env, path)
        print(f"docker_env: registry {HOST} at {env.address}:443, dockerd {env.docker_host}")
        return 0
    env_or_none = load(path)
    if env_or_none is not None:
        stop(env_or_none)
    path.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
