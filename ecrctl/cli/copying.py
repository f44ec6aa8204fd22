"""What ecrctl copy and ecrctl promote share: each side's registry and credentials, the run,
the result."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

import typer

from ecrctl.cli.common import AppState, say, state
from ecrctl.cli.output import View, human_size, short_digest
from ecrctl.cli.progress import Reporter
from ecrctl.core.copy.copy import Copier, CopyResult, Progress, size_text
from ecrctl.core.copy.plan import BlobItem, Plan
from ecrctl.core.copy.reference import PUBLIC_ECR, Reference, destination, parse_reference
from ecrctl.core.distribution.client import Denied, Missing, Registry, RegistryError
from ecrctl.core.distribution.resume import UploadStates
from ecrctl.core.exceptions import ConfigurationError, InvalidInput, NotFound, Refused


@dataclass
class Side:
    name: str  # source | destination
    ref: Reference
    profile: str | None
    registry: Registry
    ecr: Any = None  # the ECR API client, made on first use by api()
    account: str | None = None  # the registry's account: set for an ECR side (not ECR Public)
    clients: Any = None  # the side's AWS clients

    def api(self) -> Any:
        """The ECR API client (a re-run that finds the copy complete never needs one)."""
        if self.ecr is None:
            self.ecr = self.clients.ecr()
        return self.ecr


def _token_source(app_state: AppState, host: str | None, profile: str | None, region: str | None):  # type: ignore[no-untyped-def]
    """An ECR login for ``host`` (None: the profile's own registry) and the host it is for."""
    from ecrctl.core.login.targets import TokenRequest
    from ecrctl.core.names import parse_host
    from ecrctl.tokens import fetch

    parsed = parse_host(host) if host else None
    request = TokenRequest(
        profile=profile,
        region=parsed.region if parsed else region,
        registry_ids=(parsed.account,) if parsed else (),
        hosts={parsed.account: host} if parsed and host else {},
    )
    token = fetch(app_state.settings, request)[0]
    return token.host, (token.username, token.password)


def _docker_credentials(host: str) -> tuple[str, str] | None:
    """Read only when the registry asks for credentials (an open registry never does)."""
    from ecrctl.core.copy.credentials import docker_credentials

    return docker_credentials(host)


def build_side(
    app_state: AppState, name: str, ref: Reference, profile: str | None, insecure: frozenset[str]
) -> Side:
    from ecrctl.core.copy.reference import scheme_for
    from ecrctl.core.login.userconfig import load_user_config

    settings = app_state.settings
    if profile is None and ref.host:
        profile = load_user_config().profile_for(ref.host)
    profile = profile or settings.profile
    who = f" (profile {profile})" if profile and ref.is_ecr else ""
    if ref.host is None:  # the profile's own registry: the token names its host
        host, login = _token_source(app_state, None, profile, settings.region)
        ref = ref.with_host(host)
        credentials: Any = lambda: login  # noqa: E731
    elif ref.ecr is not None:
        host = ref.host
        credentials = lambda: _token_source(app_state, host, profile, None)[1]  # noqa: E731
    else:
        host = ref.host
        credentials = lambda: _docker_credentials(host)  # noqa: E731
    registry = Registry(
        host,
        scheme=scheme_for(host, insecure),
        credentials=credentials,
        label=f"{name} {host}{who}",
    )
    side = Side(name, ref, profile, registry)
    parsed = ref.ecr
    if parsed is not None and host != PUBLIC_ECR:
        clients = app_state.clients(replace(settings, profile=profile, region=parsed.region))
        side.account, side.clients = parsed.account, clients
    return side


def _prepare_destination(src: Side, dst: Side, *, create: bool, dry_run: bool) -> str | None:
    """The destination repository (created with --create); why a tag may not move, if so."""
    from ecrctl.core.copy.ecrside import (
        RepositorySettings,
        create_repository,
        repository_settings,
    )
    from ecrctl.core.ecr.api import EcrRegistry

    if dst.account is None:
        return None
    repo = dst.ref.repository
    current = repository_settings(EcrRegistry(dst.api(), dst.account), repo)
    if current is not None:
        return "the destination repository is immutable" if current.immutable else None
    if not create:
        raise NotFound(
            f"destination repository {repo} does not exist in {dst.ref.host}; "
            "pass --create to create it with the source repository's settings"
        )
    like = RepositorySettings()
    if src.account is not None:
        like = repository_settings(EcrRegistry(src.api(), src.account), src.ref.repository) or like
        if like.encryption[1] and src.account != dst.account:
            like = replace(like, encryption=(like.encryption[0], None))  # keys stay home
    if dry_run:
        say(f"dry run: would create {repo} in {dst.ref.host}: {like.to_json()}")
    else:
        create_repository(EcrRegistry(dst.api(), dst.account), repo, like)
        say(f"created repository {repo} in {dst.ref.host} ({like.to_json()['imageTagMutability']})")
    return None


def _check_mounting(plan: Plan, dst: Side, *, dry_run: bool) -> None:
    """Within one ECR registry: mount only where BLOB_MOUNTING allows (read once per copy)."""
    from ecrctl.core.copy.mounting import blob_mounting
    from ecrctl.core.ecr.api import EcrRegistry

    if plan.source.repository == plan.destination.repository:
        return
    mounting = blob_mounting(
        EcrRegistry(dst.api(), dst.account),
        dst.account,
        lambda: dst.clients.client("sts").get_caller_identity()["Account"],
    )
    plan.mounts = mounting.attempt
    if mounting.reason and dry_run:
        say(f"dry run: blob mounting of {dst.ref.host} unknown ({mounting.reason}): mounts tried")


def _say_not_mounted(plan: Plan, dst: Side, *, dry_run: bool) -> None:
    from ecrctl.core.registry.settings import BLOB_MOUNTING

    count = sum(b.status == "copy" for b in plan.blobs.values())
    if count:
        verb = "would be copied" if dry_run else "are copied"
        say(
            f"{'dry run: ' if dry_run else ''}blob mounting is disabled in {dst.ref.host} "
            f"(account setting {BLOB_MOUNTING}): {count} blob(s) {verb}, not mounted; "
            "`ecrctl registry blob-mounting enable` turns it on"
        )


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
            f"copy: {self.blobs}/{self.total_blobs} blobs, {size_text(self.bytes)} of "
            f"{size_text(self.total_bytes)}, {size_text(int(self.bytes / elapsed))}/s"
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
            resumed = f", resumed at {size_text(blob.resumed_from)}" if blob.resumed_from else ""
            self.reporter.say(f"{blob.status} {blob.digest[:19]} ({size_text(blob.size)}{resumed})")


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
        f"{size_text(result.plan.bytes_to_move())} to move"
        if result.dry_run
        else f"{size_text(result.bytes_moved)} moved"
    )
    return (
        f"{verb}: {result.plan.source} -> {result.plan.destination} {result.digest} "
        f"({len(result.plan.manifests)} manifest(s); blobs: {parts}; {moved})"
    )


def run_copy(
    ctx: typer.Context,
    src_text: str,
    dst_text: str,
    *,
    from_profile: str | None,
    to_profile: str | None,
    create: bool,
    dry_run: bool,
    platform: str | None,
    all_platforms: bool,
    with_referrers: bool,
    no_clobber: bool,
    insecure: list[str],
) -> None:
    if platform and all_platforms:
        raise InvalidInput("--platform and --all-platforms exclude each other")
    if platform and platform.count("/") not in (1, 2):
        raise InvalidInput(f"invalid --platform {platform!r}: expected OS/ARCH[/VARIANT]")
    src_ref = parse_reference(src_text, what="source")
    dst_ref = destination(dst_text, src_ref)
    if platform and dst_ref.digest:
        raise InvalidInput("--platform copies the platform's own manifest: give DST a tag")
    app_state = state(ctx)
    hosts = frozenset(h.lower() for h in insecure)
    try:
        src = build_side(app_state, "source", src_ref, from_profile, hosts)
        dst = build_side(app_state, "destination", dst_ref, to_profile, hosts)
        from ecrctl.cli.common import workers

        copier = Copier(src.registry, dst.registry, workers=workers(), states=UploadStates())
        plan = copier.plan(
            src.ref, dst.ref, platform=platform, referrers=with_referrers, inspect=False
        )
        refuse = None
        if not plan.complete:  # a complete destination exists and keeps its tag: no check
            refuse = _prepare_destination(src, dst, create=create, dry_run=dry_run)
            if no_clobber and refuse is None:
                refuse = "--no-clobber was given"
            if plan.same_registry and dst.account is not None:
                _check_mounting(plan, dst, dry_run=dry_run)
            copier.inspect(plan)
            if not plan.mounts and plan.same_registry:
                _say_not_mounted(plan, dst, dry_run=dry_run)
        if platform:
            say(
                f"--platform {platform}: copying {plan.top.digest} on its own; the index "
                f"{src_ref.reference} is not copied, so DST names the platform's digest"
            )
        if dry_run:
            if plan.tag_status == "move" and refuse:
                say(
                    f"dry run: the tag {dst.ref.tag} names {plan.previous}, and {refuse}: "
                    "the copy would be refused"
                )
            result = CopyResult(plan, "dry-run", plan.top.digest, dry_run=True)
        else:
            meter = Meter(
                plan.bytes_to_move(),
                sum(b.status != "present" for b in plan.blobs.values()),
                Reporter(app_state.streams),
            )
            copier.progress = Progress(on_bytes=meter.on_bytes, on_blob=meter.on_blob)
            result = copier.execute(plan, refuse_move=refuse)
    except Denied as error:
        raise ConfigurationError(f"access denied: {error}") from None
    except Missing as error:
        raise NotFound(str(error)) from None
    except RegistryError as error:
        raise Refused(str(error)) from None
    app_state.emit(result_view(result))
    say(_summary(result))
    if result.verified:
        say(
            f"{dst.ref.repository}:{dst.ref.tag or ''} now names {result.verified}".replace(
                ":@", "@"
            )
        )


CommonOptions = {
    "create": typer.Option(
        "--create", help="Create the destination ECR repository like the source one."
    ),
}
