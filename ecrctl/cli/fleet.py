"""--profiles / --regions: one command over every environment at once, rows tagged by source.

Only the commands that read (``repo list``, ``tags``, ``images``, ``where``, ``whoami``, ``uri``)
and ``login`` take these options; they are not global. Each row gains its source: leading
``profile``, ``account`` and ``region`` columns in text and table, fields in JSON. A source that
fails prints one stderr line naming its profile and region(s); the others are printed; the exit
is 1 (4 when every source failed on credentials, region or permission).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, TypedDict, TypeVar

import typer

from ecrctl.cli.common import AppState, say, wanted
from ecrctl.cli.errors import ExitStatus, classify
from ecrctl.cli.output import Column, View
from ecrctl.core.ecr.api import EcrRegistry
from ecrctl.core.exceptions import NotFound
from ecrctl.core.fleet import (
    DEFAULT_REGION,
    Fleet,
    FleetResult,
    Outcome,
    ProfileContext,
    RegionLister,
    parse_profiles,
    parse_regions,
)

if TYPE_CHECKING:
    from ecrctl.session import Settings

T = TypeVar("T")

SOURCE_COLUMNS = (Column("profile", min_width=7), Column("account"), Column("region"))
SOURCE_HEADERS = tuple(c.header for c in SOURCE_COLUMNS)


class SessionAccess:
    """A profile's one session (session.Clients), shared by its regions' reads."""

    def __init__(self, settings: Settings) -> None:
        from ecrctl.cli.streams import current
        from ecrctl.session import Clients

        self.profile = settings.profile
        self.clients = Clients(settings, log=current().say)  # --debug's call log
        self._lock = threading.Lock()  # a botocore session makes one client at a time

    def resolve_credentials(self) -> str:
        with self._lock:
            credentials = self.clients.core.get_credentials()
        if credentials is None:
            from botocore.exceptions import NoCredentialsError

            raise NoCredentialsError()
        return str(getattr(credentials, "method", "") or "unknown")

    def default_region(self) -> str | None:
        region = self.clients.settings.region or self.clients.core.get_config_variable("region")
        return str(region) if region else None

    def identity(self) -> dict[str, str]:
        region = self.default_region() or DEFAULT_REGION
        with self._lock:
            sts = self.clients.client("sts", region)
        found = sts.get_caller_identity()
        return {"Account": str(found["Account"]), "Arn": str(found.get("Arn", ""))}

    def ec2(self, region: str) -> RegionLister:
        with self._lock:
            ec2: RegionLister = self.clients.client("ec2", region)
            return ec2

    def registry(self, region: str) -> EcrRegistry:
        with self._lock:
            return EcrRegistry(self.clients.ecr(region))


def profile_label(profile: str | None) -> str:
    return profile or os.environ.get("AWS_PROFILE") or "default"


@dataclass
class Request:
    """What --profiles / --regions (and --profile / --region) asked for."""

    profiles: list[str | None]
    regions: list[str] | None
    explicit: bool  # --profiles or --regions given: errors are per source, rows are tagged


def request(app_state: AppState, profiles: str | None, regions: str | None) -> Request:
    names: list[str | None] = list(parse_profiles(profiles)) or [app_state.settings.profile]
    return Request(names, parse_regions(regions), wanted(profiles, regions))


def run(
    app_state: AppState, asked: Request, read: Callable[[ProfileContext, str], T]
) -> FleetResult[T]:
    """Every source's outcome. Without --profiles/--regions, the one source's error is raised
    as the command's own (its usual message and exit code)."""
    base = app_state.settings

    def open_profile(profile: str | None) -> SessionAccess:
        return SessionAccess(replace(base, profile=profile, registry_id=None))

    fleet = Fleet(
        open_profile, asked.profiles, asked.regions, region=base.region, label=profile_label
    )
    result = fleet.run(read)
    if not asked.explicit and result.failed:
        error = result.failed[0].error
        assert error is not None
        raise error
    return result


def failed_status(result: FleetResult[T]) -> ExitStatus | None:
    """Print one stderr line per failure (a profile that failed as a whole: one line for all
    its regions; profiles that one IAM Identity Center sign-in would fix: one line naming them
    all); the exit status they call for, or None when none failed."""
    if not result.failed:
        return None
    groups: dict[int, list[Outcome[T]]] = {}
    for outcome in result.failed:
        groups.setdefault(id(outcome.error), []).append(outcome)
    statuses = []
    sign_ins: dict[str, list[tuple[str, str, str]]] = {}  # what one sign-in serves -> lines
    for outcomes in groups.values():
        first = outcomes[0]
        assert first.error is not None
        failure = classify(first.error, profile=first.source.profile)
        statuses.append(failure.status)
        where = f"profile {first.source.label}"
        if all(o.source.region for o in outcomes):  # never "region -"
            plural = "s" if len(outcomes) > 1 else ""
            where += f", region{plural} {','.join(str(o.source.region) for o in outcomes)}"
        shared = _signs_in_as(first.source.profile) if failure.sign_in else None
        if shared is None:
            say(f"ecrctl: {where}: {failure.message}")
        else:
            sign_ins.setdefault(shared, []).append((first.source.label, where, failure.message))
    for shared, lines in sign_ins.items():
        if len(lines) == 1:
            say(f"ecrctl: {lines[0][1]}: {lines[0][2]}")
            continue
        labels = [label for label, _, _ in lines]
        say(
            f"ecrctl: profiles {', '.join(labels)}: {lines[0][2]} "
            f"(one sign-in serves them all: they share {shared})"
        )
    if not result.succeeded and all(s == ExitStatus.CONFIG for s in statuses):
        return ExitStatus.CONFIG
    return ExitStatus.FAILED


def _signs_in_as(profile: str | None) -> str | None:
    """What one sign-in serves for this profile (its sso-session or start URL); None when its
    configuration says nothing readable about one."""
    from ecrctl.session import Clients, Settings

    try:
        return Clients(Settings(profile=profile)).sso_profile().signs_in_as
    except Exception:  # an unreadable or non-SSO profile: its line stands alone
        return None


def finish(result: FleetResult[T]) -> None:
    """After the rows: exit 1 (or 4) when a source failed."""
    status = failed_status(result)
    if status is not None:
        raise typer.Exit(int(status))


class SourceFields(TypedDict):
    """Where a row of a fleet read comes from, first in each JSON record."""

    profile: str
    account: str | None
    region: str | None


def source_fields(outcome: Outcome[T]) -> SourceFields:
    return {
        "profile": outcome.source.label,
        "account": outcome.account,
        "region": outcome.source.region,
    }


def tagged(views: Sequence[tuple[Outcome[T], View]]) -> View:
    """One view of many sources' views: source columns first, source fields in each record."""
    first = views[0][1] if views else View(doc=[])
    doc: list[object] = []
    rows: list[list[str]] = []
    text: list[list[str]] = []
    for outcome, view in views:
        fields = source_fields(outcome)
        prefix = [fields["profile"], fields["account"] or "-", fields["region"] or "-"]
        items = view.doc if isinstance(view.doc, list) else [view.doc]
        doc.extend({**fields, **item} if isinstance(item, dict) else item for item in items)
        rows.extend(prefix + row for row in view.rows)
        text.extend(prefix + row for row in (view.text if view.text is not None else view.rows))
    columns = None
    if first.headers:
        own = first.columns or [Column(h, min_width=len(h)) for h in first.headers]
        columns = (*SOURCE_COLUMNS, *own)
    return View(
        doc=doc,
        headers=(*SOURCE_HEADERS, *first.headers) if first.headers else (),
        columns=columns,
        rows=rows,
        text=text,
        title=first.title,
    )


def emit_each(
    app_state: AppState,
    profiles: str | None,
    regions: str | None,
    read: Callable[[ProfileContext, str], T],
    view_of: Callable[[T], View],
    *,
    empty: View | None = None,
) -> None:
    """The fleet form of a read-only command: read everywhere, one tagged view, exit status.

    A source that lacks what was asked for (NotFound) is a note, not a failure; when every
    source lacks it, the command exits 3."""
    asked = request(app_state, profiles, regions)
    result = run(app_state, asked, read)
    missing = [o for o in result.failed if isinstance(o.error, NotFound)]
    for outcome in missing:
        say(f"{outcome.source.describe()}: {outcome.error}")
    result.outcomes = [o for o in result.outcomes if not isinstance(o.error, NotFound)]
    views = [(o, view_of(o.value)) for o in result.succeeded if o.value is not None]
    app_state.emit(tagged(views) if views else (empty or tagged([])))
    finish(result)
    if missing and not result.outcomes:
        raise NotFound(f"not found in any of the {len(missing)} sources asked")
