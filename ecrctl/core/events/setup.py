"""``events setup``: connection -> API destination -> role -> rule -> target, idempotently.

Every piece is first looked up (and must be ecrctl's if it exists), then created, updated in
place, or left alone. A failure half way raises ``SetupIncomplete`` naming what exists, so that
the person can finish with a second run or remove it all with ``events teardown``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, TypedDict

from ecrctl.core.events.model import (
    BUS_TAG,
    MANAGED_KEY,
    MANAGED_VALUE,
    NAME_TAG,
    PASSWORD_TAG,
    POLICY_NAME,
    TARGET_ID,
    Change,
    SetupResult,
    SetupSpec,
    check_password,
    fingerprint_matches,
    password_fingerprint,
)
from ecrctl.core.events.resources import (
    EventsClients,
    arn_account,
    described_as_managed,
    invoke_policy,
    tagged_as_managed,
    trust_policy,
)
from ecrctl.core.events.setup_rule import RuleWriter, SetupIncomplete, Tally
from ecrctl.core.events.setup_sns import apply_sns
from ecrctl.core.events.waiting import Waits, quiet
from ecrctl.core.exceptions import Refused
from ecrctl.core.jsontypes import JsonObject

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_events.type_defs import (
        DescribeApiDestinationResponseTypeDef,
        DescribeConnectionResponseTypeDef,
        TargetTypeDef,
    )
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sts import STSClient

    from ecrctl.core.events.resources import FoundRole, FoundRule

__all__ = ["EventsSetup", "SetupIncomplete"]

_SETTLING = {"CREATING", "UPDATING", "AUTHORIZING"}


class _DestinationArgs(TypedDict):
    """The same arguments create the API destination or update it."""

    ConnectionArn: str
    InvocationEndpoint: str
    HttpMethod: Literal["POST"]
    InvocationRateLimitPerSecond: int


@dataclass
class _Found:
    connection: DescribeConnectionResponseTypeDef | None = None
    destination: DescribeApiDestinationResponseTypeDef | None = None
    role: FoundRole | None = None
    policy: JsonObject | None = None
    rule: FoundRule | None = None
    existing: list[str] = field(default_factory=list)


class EventsSetup(EventsClients):
    """Applies a SetupSpec with injected events and iam clients."""

    def __init__(
        self,
        events: EventBridgeClient,
        iam: IAMClient,
        *,
        sns: SNSClient | None = None,
        sts: STSClient | None = None,
        wait_timeout: float = 60.0,
        poll_interval: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(events, iam, sns, sts)
        self.waits = Waits(wait_timeout, poll_interval, sleep, clock, progress or quiet)
        self.progress = self.waits.progress
        self.rules = RuleWriter(events, self.found, self.progress)

    # --- the whole run ---------------------------------------------------------------------

    def apply(self, spec: SetupSpec, password: str | None = None) -> SetupResult:
        if spec.target == "sns":
            return apply_sns(self, spec)
        password = check_password(password or "")
        found = self._survey(spec)
        tally = Tally(found.existing, "creating the connection")
        try:
            connection, password_changed = self._connection(spec, password, found)
            tally.record(connection)
            tally.step = "waiting for the connection to be authorized"
            state = self._wait_authorized(spec.names.connection)
            tally.step = "creating the API destination"
            destination = tally.record(self._destination(spec, found, connection.arn or ""))
            destination_arn = destination.arn or ""
            tally.step = "creating the IAM role"
            account = arn_account(connection.arn)
            role = tally.record(self._role(spec, found, destination_arn, account))
            tally.step = "creating the rule"
            fingerprint = password_fingerprint(password) if password_changed else None
            tally.record(self.rules.rule(spec, found.rule, [], fingerprint))
            tally.step = "adding the target"
            wanted: TargetTypeDef = {
                "Id": TARGET_ID,
                "Arn": destination_arn,
                "RoleArn": role.arn or "",
            }
            tally.record(self.rules.target(spec, wanted))
        except Exception as error:
            raise tally.incomplete(error) from error
        return SetupResult(spec=spec, changes=tally.changes, connection_state=state)

    def _survey(self, spec: SetupSpec) -> _Found:
        """Look everything up first; refuse, before any change, to take over foreign pieces."""
        names = spec.names
        found = _Found()
        foreign: list[str] = []
        found.connection = self.found.connection(names.connection)
        if found.connection is not None:
            found.existing.append(f"connection {names.connection}")
            if not described_as_managed(found.connection.get("Description")):
                foreign.append(f"connection {names.connection}")
        found.destination = self.found.destination(names.destination)
        if found.destination is not None:
            found.existing.append(f"api-destination {names.destination}")
            if not described_as_managed(found.destination.get("Description")):
                foreign.append(f"API destination {names.destination}")
        found.role = self.found.role(names.role)
        if found.role is not None:
            found.existing.append(f"role {names.role}")
            tags = found.role["Tags"]
            if not tagged_as_managed(tags):
                foreign.append(f"IAM role {names.role}")
            elif tags.get(BUS_TAG, spec.event_bus) != spec.event_bus:
                raise Refused(
                    f"events setup {names.base} sends from event bus {tags[BUS_TAG]}, not "
                    f"{spec.event_bus}: run `ecrctl events teardown --name {names.base} "
                    f"--event-bus {tags[BUS_TAG]}` first, or choose another --name"
                )
            found.policy = self.found.role_policy(names.role)
        found.rule = self.found.rule(names.rule, spec.event_bus)
        if found.rule is not None:
            found.existing.append(f"rule {names.rule}")
            if not tagged_as_managed(found.rule["Tags"]):
                foreign.append(f"rule {names.rule}")
            else:
                self.rules.check_same_target(spec)
        if foreign:
            raise Refused(
                f"not managed by ecrctl, so left alone: {', '.join(foreign)}; "
                "choose another --name (nothing changed)"
            )
        return found

    # --- the pieces ------------------------------------------------------------------------

    def _connection(self, spec: SetupSpec, password: str, found: _Found) -> tuple[Change, bool]:
        names = spec.names
        username = spec.username
        assert username is not None  # SetupSpec requires one for a webhook
        description = names.description("basic-auth credentials for the webhook")
        # The same arguments create the connection or update it.
        current = found.connection
        if current is None:
            self.progress(f"creating connection {names.connection}")
            made = self.events.create_connection(
                Name=names.connection,
                Description=description,
                AuthorizationType="BASIC",
                AuthParameters={
                    "BasicAuthParameters": {"Username": username, "Password": password}
                },
            )
            return Change("connection", names.connection, "created", made["ConnectionArn"]), True
        reasons = []
        basic = (current.get("AuthParameters") or {}).get("BasicAuthParameters") or {}
        if current.get("AuthorizationType") != "BASIC":
            reasons.append("authorization type")
        if basic.get("Username") != spec.username:
            reasons.append("username")
        rule_tags = found.rule["Tags"] if found.rule is not None else {}
        if not fingerprint_matches(password, rule_tags.get(PASSWORD_TAG)):
            reasons.append("password")
        if current.get("ConnectionState") in {"DEAUTHORIZED", "FAILED_CONNECTIVITY"}:
            reasons.append(f"state {current['ConnectionState']}")
        arn = current["ConnectionArn"]
        if not reasons:
            return Change("connection", names.connection, "unchanged", arn), False
        self.progress(f"updating connection {names.connection} ({', '.join(reasons)})")
        self.events.update_connection(
            Name=names.connection,
            Description=description,
            AuthorizationType="BASIC",
            AuthParameters={"BasicAuthParameters": {"Username": username, "Password": password}},
        )
        return Change("connection", names.connection, "updated", arn, ", ".join(reasons)), True

    def _wait_authorized(self, name: str) -> str:
        """Bounded poll: AUTHORIZED is done; DEAUTHORIZED/FAILED stop; time out otherwise."""
        state = "UNKNOWN"

        def check() -> str | None:
            nonlocal state
            described = self.events.describe_connection(Name=name)
            state = str(described.get("ConnectionState", "UNKNOWN"))
            if state in {"AUTHORIZED", "ACTIVE"}:
                return state
            if state not in _SETTLING:
                reason = described.get("StateReason") or "no reason given"
                raise Refused(f"connection {name} is {state} ({reason})")
            return None

        def timed_out() -> Refused:
            return Refused(
                f"connection {name} is still {state} after {self.waits.timeout:.0f} s; "
                "run setup again later, or see `ecrctl events status`"
            )

        def waiting() -> str:
            return f"connection {name} is {state}; waiting"

        return self.waits.until(check, first=0.5, waiting=waiting, timed_out=timed_out)

    def _destination(self, spec: SetupSpec, found: _Found, connection_arn: str) -> Change:
        names = spec.names
        assert spec.webhook_url is not None  # SetupSpec: a webhook setup has its URL
        wanted: _DestinationArgs = {
            "ConnectionArn": connection_arn,
            "InvocationEndpoint": spec.webhook_url,
            "HttpMethod": "POST",
            "InvocationRateLimitPerSecond": spec.rate_limit,
        }
        description = names.description("the webhook that receives ECR events")
        current = found.destination
        if current is None:
            self.progress(f"creating API destination {names.destination}")
            made = self.events.create_api_destination(
                Name=names.destination, Description=description, **wanted
            )
            return Change(
                "api-destination", names.destination, "created", made["ApiDestinationArn"]
            )
        arn = current["ApiDestinationArn"]
        drift = [k for k, v in wanted.items() if _loose(current.get(k)) != _loose(v)]
        if not drift:
            return Change("api-destination", names.destination, "unchanged", arn)
        self.progress(f"updating API destination {names.destination}")
        self.events.update_api_destination(
            Name=names.destination, Description=description, **wanted
        )
        detail = ", ".join(_LABELS.get(k, k) for k in drift)
        return Change("api-destination", names.destination, "updated", arn, detail)

    def _role(
        self, spec: SetupSpec, found: _Found, destination_arn: str, account: str | None
    ) -> Change:
        names = spec.names
        trust = trust_policy(account)
        policy = invoke_policy(destination_arn)
        current = found.role
        if current is None:
            self.progress(f"creating IAM role {names.role}")
            made = self.iam.create_role(
                RoleName=names.role,
                AssumeRolePolicyDocument=json.dumps(trust),
                Description=names.description("lets EventBridge call the webhook"),
                Tags=[
                    {"Key": MANAGED_KEY, "Value": MANAGED_VALUE},
                    {"Key": NAME_TAG, "Value": names.base},
                    {"Key": BUS_TAG, "Value": spec.event_bus},
                ],
            )
            self.iam.put_role_policy(
                RoleName=names.role, PolicyName=POLICY_NAME, PolicyDocument=json.dumps(policy)
            )
            return Change("role", names.role, "created", made["Role"]["Arn"])
        arn = current["Arn"]
        reasons = []
        if current.get("AssumeRolePolicyDocument") != trust:
            self.iam.update_assume_role_policy(
                RoleName=names.role, PolicyDocument=json.dumps(trust)
            )
            reasons.append("trust policy")
        if found.policy != policy:
            self.iam.put_role_policy(
                RoleName=names.role, PolicyName=POLICY_NAME, PolicyDocument=json.dumps(policy)
            )
            reasons.append("permissions")
        if BUS_TAG not in current["Tags"] or NAME_TAG not in current["Tags"]:
            self.iam.tag_role(
                RoleName=names.role,
                Tags=[
                    {"Key": NAME_TAG, "Value": names.base},
                    {"Key": BUS_TAG, "Value": spec.event_bus},
                ],
            )
            reasons.append("tags")
        action = "updated" if reasons else "unchanged"
        return Change("role", names.role, action, arn, ", ".join(reasons))


_LABELS = {
    "ConnectionArn": "connection",
    "InvocationEndpoint": "URL",
    "HttpMethod": "method",
    "InvocationRateLimitPerSecond": "rate limit",
}


def _loose(value: object) -> str:
    """moto returns numbers as text; AWS as numbers: compare as text."""
    return "" if value is None else str(value)
