"""--profiles / --regions / --accounts: one command over every environment at once, rows tagged
by source.

Only the commands that read (``repo list``, ``tags``, ``images``, ``where``, ``whoami``, ``uri``)
and ``login`` take these options; they are not global. Each row gains its source: leading
``profile``, ``account`` and ``region`` columns in text and table, fields in JSON; with
``--accounts``, ``account``, ``name`` (its name in Organizations) and ``region``. A source that
fails prints one stderr line naming its profile (or account) and region(s); the others are
printed; the exit is 1 (4 when every source failed on credentials, region or permission).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, TypedDict, TypeVar

import typer

from ecrctl.cli.common import AppState, FleetOptions, say
from ecrctl.cli.errors import ExitStatus, classify
from ecrctl.cli.output import Column, View
from ecrctl.core.ecr.api import EcrRegistry
from ecrctl.core.exceptions import InvalidInput, NotFound
from ecrctl.core.fleet import (
    DEFAULT_REGION,
    Fleet,
    FleetResult,
    Outcome,
    ProfileContext,
    RegionLister,
    Source,
    parse_profiles,
    parse_regions,
    profile_source,
)
from ecrctl.core.org.accounts import (
    Account,
    AccountsSpec,
    RoleAccess,
    check_external_id,
    check_role_name,
    parse_accounts,
)

if TYPE_CHECKING:
    from ecrctl.session import Settings

T = TypeVar("T")

SOURCE_COLUMNS = (Column("profile", min_width=7), Column("account"), Column("region"))
SOURCE_HEADERS = tuple(c.header for c in SOURCE_COLUMNS)
ACCOUNT_COLUMNS = (Column("account"), Column("account name", min_width=7), Column("region"))
ACCOUNT_HEADERS = tuple(c.header for c in ACCOUNT_COLUMNS)


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
    """What --profiles / --regions / --accounts (and --profile / --region) asked for."""

    profiles: list[str | None]
    regions: list[str] | None
    explicit: bool  # --profiles, --regions or --accounts given: errors per source, rows tagged
    accounts: AccountsSpec | None = None  # --accounts
    role: RoleAccess | None = None  # the role each of them is read through


def request(app_state: AppState, given: FleetOptions) -> Request:
    if given.org_given:
        if given.accounts is None:
            raise InvalidInput("--role-name and --external-id go with --accounts")
        if given.profiles is not None:
            raise InvalidInput("--accounts or --profiles: one of them, not both")
        spec = parse_accounts(given.accounts)
        return Request([], parse_regions(given.regions), True, spec, role_access(given))
    names: list[str | None] = list(parse_profiles(given.profiles)) or [app_state.settings.profile]
    return Request(names, parse_regions(given.regions), given.wanted)


def role_access(org: FleetOptions) -> RoleAccess:
    """The role and external id: the option, else ECRCTL_ROLE_NAME / ECRCTL_EXTERNAL_ID, else
    config.toml's [accounts] role_name / external_id."""
    from ecrctl.core.login.userconfig import load_user_config

    configured = load_user_config().accounts
    name = org.role_name or os.environ.get("ECRCTL_ROLE_NAME") or configured.role_name
    external = org.external_id or os.environ.get("ECRCTL_EXTERNAL_ID") or configured.external_id
    if not name:
        raise InvalidInput(
            "--accounts: name the role to assume in each account: --role-name NAME "
            "(or ECRCTL_ROLE_NAME, or role_name under [accounts] in config.toml)"
        )
    check_role_name(name)
    if external:
        check_external_id(external)
    return RoleAccess(name, external or None)


def account_source(account: Account, region: str | None) -> Source:
    return Source(None, region, account.label, account=account.id, name=account.name)


def run(
    app_state: AppState, asked: Request, read: Callable[[ProfileContext, str], T]
) -> FleetResult[T]:
    """Every source's outcome. Without --profiles/--regions, the one source's error is raised
    as the command's own (its usual message and exit code)."""
    base = app_state.settings
    if asked.accounts is not None:
        return _run_accounts(app_state, asked, asked.accounts, read)

    def open_profile(profile: str | None) -> SessionAccess:
        return SessionAccess(replace(base, profile=profile, registry_id=None))

    fleet = Fleet(
        open_profile,
        asked.profiles,
        asked.regions,
        region=base.region,
        source=profile_source(profile_label),
    )
    result = fleet.run(read)
    if not asked.explicit and result.failed:
        error = result.failed[0].error
        assert error is not None
        raise error
    return result


def _run_accounts(
    app_state: AppState,
    asked: Request,
    spec: AccountsSpec,
    read: Callable[[ProfileContext, str], T],
) -> FleetResult[T]:
    """The caller and the organisation's accounts (an error there is the command's own: one
    line, its exit code), then the read in each account, as wide as throttling allows."""
    from ecrctl.cli.streams import current
    from ecrctl.core.org.limiter import AdaptiveWidth
    from ecrctl.orgaccess import AccountAccess, Organization

    width = AdaptiveWidth()
    organization = Organization(app_state.settings, asked.role, width, log=current().say)
    organization.identity()  # the caller's own credentials, once, before any account
    accounts = organization.accounts(spec)
    fleet = Fleet(
        lambda account: AccountAccess(organization, account),
        accounts,
        asked.regions,
        region=app_state.settings.region,
        source=account_source,
        width=width,
    )
    result = fleet.run(read)
    if width.cuts:
        say(
            f"note: AWS throttled {width.throttles} calls; ecrctl slowed down "
            f"({width.narrowest} at once at the narrowest)"
        )
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
        where = first.source.where
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


class AccountFields(TypedDict):
    """Where a row of an --accounts read comes from: the account and its name there."""

    account: str
    accountName: str | None
    region: str | None


def source_fields(outcome: Outcome[T]) -> SourceFields | AccountFields:
    if outcome.source.account is not None:
        return {
            "account": outcome.source.account,
            "accountName": outcome.source.name or None,
            "region": outcome.source.region,
        }
    return {
        "profile": outcome.source.label,
        "account": outcome.account,
        "region": outcome.source.region,
    }


def _prefix(outcome: Outcome[T]) -> list[str]:
    """The leading cells of a source's rows: its profile or account, then region."""
    source = outcome.source
    if source.account is not None:
        return [source.account, source.name or "-", source.region or "-"]
    return [source.label, outcome.account or "-", source.region or "-"]


def _giving_way(own: Sequence[Column]) -> list[Column]:
    """A command's columns after the source columns: past its first two, those it never drops
    go too when the terminal is narrow (rightmost first, after the ones it drops itself), so
    that the account and region stay whole at 80 columns. A digest (what `where` answers) stays."""
    last = max((c.drop or 0 for c in own), default=0)
    given = list(own)
    for order, i in enumerate(reversed(range(2, len(own))), start=last + 1):
        if given[i].drop is None and given[i].header != "digest":
            given[i] = replace(given[i], drop=order)
    return given


def tagged(views: Sequence[tuple[Outcome[T], View]], *, by_account: bool = False) -> View:
    """One view of many sources' views: source columns first, source fields in each record
    (``by_account``: an organisation's accounts, as with --accounts)."""
    first = views[0][1] if views else View(doc=[])
    doc: list[object] = []
    rows: list[list[str]] = []
    text: list[list[str]] = []
    for outcome, view in views:
        fields = source_fields(outcome)
        by_account = by_account or outcome.source.account is not None
        prefix = _prefix(outcome)
        items = view.doc if isinstance(view.doc, list) else [view.doc]
        doc.extend({**fields, **item} if isinstance(item, dict) else item for item in items)
        rows.extend(prefix + row for row in view.rows)
        text.extend(prefix + row for row in (view.text if view.text is not None else view.rows))
    source_columns = ACCOUNT_COLUMNS if by_account else SOURCE_COLUMNS
    columns = None
    if first.headers:
        own = first.columns or [Column(h, min_width=len(h)) for h in first.headers]
        columns = (*source_columns, *_giving_way(own))
    source_headers = ACCOUNT_HEADERS if by_account else SOURCE_HEADERS
    return View(
        doc=doc,
        headers=(*source_headers, *first.headers) if first.headers else (),
        columns=columns,
        rows=rows,
        text=text,
        title=first.title,
    )


def emit_each(
    app_state: AppState,
    given: FleetOptions,
    read: Callable[[ProfileContext, str], T],
    view_of: Callable[[T], View],
    *,
    empty: View | None = None,
    gate: Callable[[list[Outcome[T]]], Exception | None] | None = None,
) -> None:
    """The fleet form of a read-only command: read everywhere, one tagged view, exit status.

    A source that lacks what was asked for (NotFound) is a note, not a failure; when every
    source lacks it, the command exits 3. ``gate`` (--fail-on) sees every source's result and
    returns the error to end with (exit 5), which wins over a failed source's exit 1."""
    asked = request(app_state, given)
    result = run(app_state, asked, read)
    missing = [o for o in result.failed if isinstance(o.error, NotFound)]
    for outcome in missing:
        say(f"{outcome.source.describe()}: {outcome.error}")
    result.outcomes = [o for o in result.outcomes if not isinstance(o.error, NotFound)]
    views = [(o, view_of(o.value)) for o in result.succeeded if o.value is not None]
    by_account = asked.accounts is not None
    app_state.emit(
        tagged(views, by_account=by_account)
        if views
        else (empty or tagged([], by_account=by_account))
    )
    tripped = gate(result.succeeded) if gate is not None else None
    if tripped is not None:
        failed_status(result)  # the failed sources' lines; the gate decides the exit
        raise tripped
    finish(result)
    if missing and not result.outcomes:
        raise NotFound(f"not found in any of the {len(missing)} sources asked")
