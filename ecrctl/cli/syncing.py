"""ecrctl sync's two ends, built from the command line: each side's registry and credentials
(copy's ``build_side``: ECR tokens for ECR, docker's credentials elsewhere), the ECR API where a
side is ECR, the source's lister (ECR API, Docker Hub's namespace listing, ``_catalog``), and
whether the destination mounts blobs across repositories. Progress and the summary lines."""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from ecrctl.cli.common import AppState
from ecrctl.cli.copying import copy_access
from ecrctl.cli.progress import Reporter
from ecrctl.core.copy.credentials import docker_credentials
from ecrctl.core.copy.sides import open_side
from ecrctl.core.distribution.client import Registry
from ecrctl.core.exceptions import InvalidInput
from ecrctl.core.names import DOCKER_HUB, Reference
from ecrctl.core.sizes import human_size
from ecrctl.core.sync.image import COPIED, FAILED, UP_TO_DATE, Row
from ecrctl.core.sync.plan import Repositories, display
from ecrctl.core.sync.run import End, Summary

# Where Docker Hub is reached: its API (the namespace listing) and its registry; overridable
# for a mirror of them, or a recorded stand-in in tests.
HUB_API_ENV = "ECRCTL_DOCKER_HUB_API"
HUB_REGISTRY_ENV = "ECRCTL_DOCKER_HUB_REGISTRY"


def _url(variable: str) -> str | None:
    value = os.environ.get(variable, "").strip()
    if not value:
        return None
    if not value.startswith(("http://", "https://")):
        raise InvalidInput(f"invalid {variable} {value!r}: expected an http(s):// URL")
    return value.rstrip("/")


def _hub_credentials() -> tuple[str, str] | None:
    return docker_credentials(DOCKER_HUB)


def build_end(
    app_state: AppState,
    name: str,
    repositories: Repositories,
    profile: str | None,
    insecure: frozenset[str],
) -> End:
    """One side of the sync (``name``: source | destination)."""
    from ecrctl.core.ecr.api import EcrRegistry

    ref = Reference(repositories.path or "x", host=repositories.host)
    side = open_side(copy_access(app_state), name, ref, profile, insecure)
    host = side.ref.host or ""
    registry = side.registry
    if not isinstance(registry, Registry):  # open_side opens registries only
        raise InvalidInput(f"{name}: sync copies between registries")
    hub_registry = _url(HUB_REGISTRY_ENV) if host == DOCKER_HUB else None
    if hub_registry:
        registry = Registry(
            host,
            base_url=hub_registry,
            credentials=_hub_credentials,
            label=registry.label,
            retry=registry.retry,
        )
    resolved = Repositories(repositories.path, host, repositories.prefix)
    end = End(registry, resolved, where=display(Reference("", host=host)).rstrip("/"))
    if side.account is not None:
        end.ecr = EcrRegistry(side.api(), side.account)
    if name == "source":
        end.lister = _lister(end)
    elif end.ecr is not None:
        end.mountable = _mounts(side)
    return end


def _lister(end: End) -> Any:
    from ecrctl.core.sync.listing import DistributionLister, EcrLister, HubLister

    if end.ecr is not None:
        return EcrLister(end.ecr)
    if end.registry.host == DOCKER_HUB:
        from ecrctl.core.distribution.connections import Pool
        from ecrctl.core.sync.hub import HUB_API, HubApi

        # The registry side's retry policy (AWS_MAX_ATTEMPTS, --debug's lines) for its API too.
        pool = Pool(maxsize=2, retry=end.registry.retry)
        api = HubApi(_url(HUB_API_ENV) or HUB_API, credentials=_hub_credentials, pool=pool)
        return HubLister(end.registry, api.repositories)
    return DistributionLister(end.registry)


def _mounts(side: Any) -> bool:
    """ECR mounts across repositories unless BLOB_MOUNTING is known to be DISABLED."""
    from ecrctl.core.copy.mounting import blob_mounting
    from ecrctl.core.ecr.api import EcrRegistry

    return blob_mounting(EcrRegistry(side.api()), side.account, side.caller_account).attempt


class SyncMeter:
    """Sync progress on stderr: on a terminal, a counter of images and bytes rewritten in place
    (bytes at most every 0.2 s); elsewhere one line per image copied or failed (images already
    up to date say nothing: a re-run with nothing new is quiet)."""

    def __init__(self, reporter: Reporter) -> None:
        self.reporter = reporter
        self.total = self.done = self.copied = self.current = self.failed = 0
        self.bytes = 0
        self.shown = 0.0
        self.width = 0
        self._lock = threading.Lock()

    def on_listed(self, repositories: int, images: int) -> None:
        self.total = images
        where = f"{repositories} repositor{'y' if repositories == 1 else 'ies'}"
        self.reporter.say(f"sync: {images} image(s) in {where}")

    def _line(self) -> str:
        return (
            f"sync: {self.done}/{self.total} images: {self.copied} copied, "
            f"{self.current} up-to-date, {self.failed} failed; {human_size(self.bytes)} moved"
        )

    def _draw(self, text: str, *, last: bool = False) -> None:
        padded = text.ljust(self.width)
        self.width = 0 if last else len(text)
        self.reporter.overwrite(padded, last=last)

    def on_bytes(self, count: int) -> None:
        with self._lock:
            self.bytes += count
            now = time.monotonic()
            if self.reporter.live and now - self.shown > 0.2:
                self.shown = now
                self._draw(self._line())

    def on_image(self, row: Row) -> None:
        with self._lock:
            self.done += 1
            self.copied += row.status == COPIED
            self.current += row.status == UP_TO_DATE
            self.failed += row.status == FAILED
            note = _image_line(row)
            if self.reporter.live:
                if note:
                    self._draw(note, last=True)
                self._draw(self._line(), last=self.done == self.total)
            elif note:
                self.reporter.say(note)


def _image_line(row: Row) -> str:
    where = f"{display(row.source)} -> {display(row.destination)}"
    if row.status == COPIED:
        return f"copied {where} {row.digest}"
    if row.status == FAILED:
        return f"failed {where}: {row.error}"
    return ""


def summary_line(summary: Summary, *, dry_run: bool) -> str:
    statuses = ", ".join(f"{n} {status}" for status, n in summary.statuses.items()) or "none"
    text = f"sync: {summary.images} image(s) ({statuses})"
    if not dry_run:
        text += (
            f"; {human_size(summary.moved)} moved, {summary.mounted} blob(s) mounted "
            f"({human_size(summary.mounted_bytes)}), {summary.present} blob(s) skipped "
            "(already there)"
        )
    return text + f"; {summary.seconds:.1f} s"
