"""Push and pull through a docker engine (the docker SDK), with the registry token handed to the
engine directly: nothing is written to the docker config for a push or a pull.

Progress comes back as the engine's JSON events (``{"id", "status", "progressDetail"}``), passed
to a callback so the CLI can draw them; core draws nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ecrctl.core.exceptions import NotFound, Refused
from ecrctl.core.jsontypes import JsonObject, JsonValue

Event = Mapping[str, JsonValue]  # one of the engine's JSON progress events
OnEvent = Callable[[Event], None]


# The docker SDK has no types: its client is untyped here.
def engine() -> Any:
    """A docker SDK client for the running engine, or one clear error when there is none."""
    import docker
    from docker.errors import DockerException

    where = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
    try:
        client = docker.from_env()
        client.ping()
    except DockerException:
        raise Refused(
            f"no docker engine is running at {where}: start dockerd (or Docker Desktop), "
            "or point DOCKER_HOST at one"
        ) from None
    return client


def local_tag(image: str) -> str | None:
    """The tag of a local image name (``app:1.2`` -> ``1.2``; ``host:5000/app`` -> None)."""
    name = image.split("@", 1)[0]
    slash, colon = name.rfind("/"), name.rfind(":")
    return name[colon + 1 :] if colon > slash else None


@dataclass(frozen=True)
class TransferResult:
    uri: str
    digest: str | None
    size_bytes: int | None = None

    def to_json(self) -> JsonObject:
        return {"uri": self.uri, "digest": self.digest, "sizeBytes": self.size_bytes}


def _auth(host: str, username: str, password: str) -> dict[str, str]:
    return {"username": username, "password": password, "serveraddress": host}


def _check(event: Event, action: str) -> None:
    detail = event.get("errorDetail")
    error = event.get("error") or (detail.get("message") if isinstance(detail, Mapping) else None)
    if error:
        raise Refused(f"{action} failed: {' '.join(str(error).split())}")


def _events(
    start: Callable[..., Iterable[Event]],
    action: str,
    repository_uri: str,
    tag: str,
    auth: dict[str, str],
    on_event: OnEvent,
) -> Iterator[Event]:
    """The engine's progress events of a push or pull: each checked for an error, handed to the
    caller, then to ``on_event``."""
    for event in start(repository_uri, tag=tag, auth_config=auth, stream=True, decode=True):
        _check(event, action)
        yield event
        on_event(event)


def push(
    client: Any,
    local_image: str,
    *,
    repository_uri: str,
    tag: str,
    host: str,
    username: str,
    password: str,
    on_event: OnEvent,
) -> TransferResult:
    """Tag ``local_image`` as ``repository_uri:tag`` and push it."""
    from docker.errors import APIError, ImageNotFound

    try:
        image = client.images.get(local_image)
    except ImageNotFound:
        raise NotFound(f"no local image {local_image} in the docker engine") from None
    image.tag(repository_uri, tag=tag)
    digest: str | None = None
    size: int | None = None
    try:
        auth = _auth(host, username, password)
        for event in _events(client.api.push, "push", repository_uri, tag, auth, on_event):
            aux = event.get("aux")
            if isinstance(aux, Mapping) and aux.get("Digest"):
                found = aux.get("Size")
                digest, size = str(aux["Digest"]), found if isinstance(found, int) else None
    except APIError as error:
        raise Refused(f"push failed: {error.explanation or error}") from None
    return TransferResult(f"{repository_uri}:{tag}", digest, size)


def pull(
    client: Any,
    *,
    repository_uri: str,
    reference: str,
    host: str,
    username: str,
    password: str,
    on_event: OnEvent,
) -> TransferResult:
    """Pull ``repository_uri`` at a tag (``reference`` ``:tag``) or digest (``@sha256:...``)."""
    from docker.errors import APIError
    from docker.errors import NotFound as DockerNotFound

    digest: str | None = None
    tag = reference[1:] if reference.startswith(":") else reference.removeprefix("@")
    try:
        auth = _auth(host, username, password)
        for event in _events(client.api.pull, "pull", repository_uri, tag, auth, on_event):
            status = str(event.get("status") or "")
            if status.startswith("Digest: "):
                digest = status.removeprefix("Digest: ").strip()
    except DockerNotFound as error:
        raise NotFound(f"{repository_uri}{reference}: {error.explanation or error}") from None
    except APIError as error:
        raise Refused(f"pull failed: {error.explanation or error}") from None
    return TransferResult(f"{repository_uri}{reference}", digest)
