"""What ecrctl copy and ecrctl promote share: the callbacks the copy use case needs (tokens,
clients, progress), built from the command line's state, and the rendering of its outcome."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING

from ecrctl.cli.common import AppState, say
from ecrctl.cli.output import View, short_digest
from ecrctl.cli.progress import Reporter
from ecrctl.core.copy.copy import CopyResult, Progress
from ecrctl.core.copy.plan import BlobItem
from ecrctl.core.copy.sides import CopyAccess, SideClients
from ecrctl.core.distribution.retry import RetryPolicy
from ecrctl.core.names import Reference, RegistryHost
from ecrctl.core.sizes import human_size

if TYPE_CHECKING:
    # copy.run brings the local ends (OCI layouts, docker archives: tarfile): ecrctl sync,
    # which shares copy_access, needs none of it, so its start-up does not import them.
    from ecrctl.core.copy.run import CopyOutcome, Watch
    from ecrctl.core.login.targets import RegistryToken, TokenRequest
    from ecrctl.session import Settings


def copy_access(app_state: AppState) -> CopyAccess:
    """Tokens and clients for each side, through the command line's settings."""
    settings = app_state.settings

    def fetch_tokens(request: TokenRequest) -> list[RegistryToken]:
        from ecrctl.tokens import fetch

        return fetch(settings, request)

    def clients(profile: str | None, region: str) -> SideClients:
        return app_state.clients(replace(settings, profile=profile, region=region))

    def profile_for(host: str) -> str | None:
        from ecrctl.core.login.userconfig import load_user_config

        return load_user_config().profile_for(host)

    def emulated(profile: str | None, host: str) -> RegistryHost:
        """The profile's own registry where an emulator reports it (the sandbox's
        127.0.0.1:PORT): an ECR side, of the profile's account (or --registry-id) and region."""
        side = app_state.clients(replace(settings, profile=profile))
        account = settings.registry_id or str(side.client("sts").get_caller_identity()["Account"])
        return RegistryHost(account, side.region, reported=host)

    def retry(profile: str | None) -> RetryPolicy:
        """The ECR API's attempts for the side's profile, read only when a retry is due."""
        side_settings = replace(settings, profile=profile)
        return RetryPolicy(
            lambda: app_state.clients(side_settings).max_attempts(),
            log=app_state.streams.say if settings.debug else None,
        )

    return CopyAccess(
        fetch_tokens=fetch_tokens,
        retry=retry,
        clients=clients,
        profile=settings.profile,
        region=settings.region,
        profile_for=profile_for,
        emulator_host=_emulator_host(settings),
        emulated=emulated,
    )


def _emulator_host(settings: Settings) -> str | None:
    """The host:port of an emulator's ECR endpoint (the sandbox serves its registry there)."""
    from urllib.parse import urlsplit

    from ecrctl.core.names import is_aws_endpoint
    from ecrctl.session import ecr_endpoint

    endpoint = ecr_endpoint(settings)
    return None if not endpoint or is_aws_endpoint(endpoint) else urlsplit(endpoint).netloc


def watch(app_state: AppState) -> Watch:
    """Notes on stderr; the transfer's progress through a ``Meter``."""
    from ecrctl.core.copy.run import Watch

    def start(total_bytes: int, total_blobs: int) -> Progress:
        meter = Meter(total_bytes, total_blobs, Reporter(app_state.streams))
        return Progress(on_bytes=meter.on_bytes, on_blob=meter.on_blob)

    return Watch(note=say, start=start)


class Meter:
    """Copy progress: on a terminal, a counter of blobs, bytes and rate rewritten in place
    (at most every 0.2 s while bytes flow); elsewhere, one line per blob."""

    def __init__(self, total_bytes: int, total_blobs: int, reporter: Reporter) -> None:
        self.total_bytes, self.total_blobs = total_bytes, total_blobs
        self.reporter = reporter
        self.bytes = self.blobs = 0
        self.started = time.monotonic()
        self.shown = 0.0

    def line(self) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        return (
            f"copy: {self.blobs}/{self.total_blobs} blobs, {human_size(self.bytes)} of "
            f"{human_size(self.total_bytes)}, {human_size(int(self.bytes / elapsed))}/s"
        )

    def on_bytes(self, count: int) -> None:
        self.bytes += count
        now = time.monotonic()
        if self.reporter.live and now - self.shown > 0.2:
            self.shown = now
            self.reporter.overwrite(self.line())

    def on_blob(self, blob: BlobItem) -> None:
        self.blobs += 1
        if self.reporter.live:
            self.reporter.overwrite(self.line(), last=self.blobs == self.total_blobs)
        else:
            resumed = f", resumed at {human_size(blob.resumed_from)}" if blob.resumed_from else ""
            self.reporter.say(
                f"{blob.status} {blob.digest[:19]} ({human_size(blob.size)}{resumed})"
            )


def result_view(result: CopyResult) -> View:
    rows: list[list[str]] = []
    text: list[list[str]] = []
    for m in result.plan.manifests:
        note = m.platform or m.role
        rows.append(
            ["manifest", short_digest(m.digest), human_size(len(m.manifest.data)), m.status, note]
        )
        text.append(["manifest", m.digest, str(len(m.manifest.data)), m.status, note])
    for b in result.plan.blobs.values():
        rows.append(
            [
                "blob",
                short_digest(b.digest),
                human_size(b.size),
                b.status,
                b.media_type.rsplit(".", 2)[-2] if "." in b.media_type else "",
            ]
        )
        text.append(["blob", b.digest, str(b.size), b.status, b.media_type])
    tag = result.plan.destination.tag
    if tag:
        rows.append(["tag", tag, "", result.plan.tag_status, result.digest])
        text.append(["tag", tag, "", result.plan.tag_status, result.digest])
    return View(
        doc=result.to_json(),
        headers=("kind", "digest", "size", "status", "note"),
        rows=rows,
        text=text,
        title=f"{result.plan.source} -> {result.plan.destination} @ {result.digest}",
    )


def _summary(result: CopyResult) -> str:
    blobs = list(result.plan.blobs.values())
    counts: dict[str, int] = {}
    for blob in blobs:
        counts[blob.status] = counts.get(blob.status, 0) + 1
    parts = ", ".join(f"{n} {status}" for status, n in counts.items()) or "no blobs"
    verb = {"dry-run": "would copy", "unchanged": "unchanged", "copied": "copied"}[result.status]
    moved = (
        f"{human_size(result.plan.bytes_to_move())} to move"
        if result.dry_run
        else f"{human_size(result.bytes_moved)} moved"
    )
    return (
        f"{verb}: {result.plan.source} -> {result.plan.destination} {result.digest} "
        f"({len(result.plan.manifests)} manifest(s); blobs: {parts}; {moved})"
    )


def render(app_state: AppState, outcome: CopyOutcome) -> None:
    """The copy's table (stdout), then its summary and the digest read back (stderr)."""
    result = outcome.result
    app_state.emit(result_view(result))
    say(_summary(result))
    if result.verified:
        say(f"{_written_name(result.plan.destination)} now names {result.verified}")


def _written_name(ref: Reference) -> str:
    from ecrctl.core.copy.ends import LocalReference

    if isinstance(ref, LocalReference):  # oci:DIR:TAG, docker-archive:FILE:REF
        return str(ref)
    return f"{ref.repository}:{ref.tag or ''}".replace(":@", "@")
