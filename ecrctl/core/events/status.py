"""``events status`` and ``events teardown``: what one events setup is made of, and removing it."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from ecrctl.core.events.model import (
    BUS_TAG,
    DEFAULT_BUS,
    PASSWORD_TAG,
    PAUSED_TAG,
    TARGET_ID,
    EventsStatus,
    Names,
    Piece,
)
from ecrctl.core.events.pattern import describe_pattern
from ecrctl.core.events.resources import (
    EventsClients,
    arn_account,
    described_as_managed,
    invoke_policy,
    tag,
    tagged_as_managed,
    trust_policy,
)
from ecrctl.core.events.status_sns import sns_status, sns_teardown
from ecrctl.core.exceptions import NotFound, Refused
from ecrctl.core.jsontypes import JsonObject

if TYPE_CHECKING:
    from ecrctl.core.events.resources import FoundRole, FoundRule

KIND_ORDER = ("connection", "api-destination", "role", "rule", "target")
# The order teardown removes pieces in (and lists them).
TEARDOWN_ORDER = (
    "target",
    "rule",
    "api-destination",
    "connection",
    "role",
    "subscription",
    "topic",
    "topic-policy",
)


class EventsInspector(EventsClients):
    """Reads every piece and says what is missing, foreign or drifted; removes them in order."""

    def status(self, names: Names, event_bus: str | None = None) -> EventsStatus:
        role = self.found.role(names.role)
        bus = event_bus or tag(role, BUS_TAG) or DEFAULT_BUS
        if role is None and self.sns is not None:
            found = sns_status(self, names, bus)
            if found is not None:
                return found
        connection = self._connection(names)
        destination = self._destination(names, connection)
        role_piece = self._role(names, role, destination.arn, arn_account(connection.arn))
        rule = self.found.rule(names.rule, bus)
        rule_piece = self._rule(names, rule)
        target = self._target(names, bus, rule, destination.arn, role_piece.arn)
        pieces = [connection, destination, role_piece, rule_piece, target]
        return EventsStatus(names=names, event_bus=bus, pieces=pieces)

    def _connection(self, names: Names) -> Piece:
        data = self.found.connection(names.connection)
        if data is None:
            return Piece("connection", names.connection, exists=False)
        problems = []
        state = str(data.get("ConnectionState"))
        if state not in {"AUTHORIZED", "ACTIVE"}:
            reason = data.get("StateReason")
            problems.append(f"not authorized ({state}{': ' + reason if reason else ''})")
        if data.get("AuthorizationType") != "BASIC":
            problems.append(f"authorization type is {data.get('AuthorizationType')}, not BASIC")
        basic = (data.get("AuthParameters") or {}).get("BasicAuthParameters") or {}
        # Only the username: EventBridge never returns the password (moto does; never shown).
        detail = {
            "authorizationType": data.get("AuthorizationType"),
            "username": basic.get("Username"),
        }
        managed = described_as_managed(data.get("Description"))
        if not managed:
            problems.append("not managed by ecrctl")
        return Piece(
            "connection",
            names.connection,
            True,
            data.get("ConnectionArn"),
            state,
            detail,
            tuple(problems),
            managed,
        )

    def _destination(self, names: Names, connection: Piece) -> Piece:
        data = self.found.destination(names.destination)
        if data is None:
            return Piece("api-destination", names.destination, exists=False)
        problems = []
        if connection.arn and data.get("ConnectionArn") != connection.arn:
            problems.append("uses another connection")
        if data.get("HttpMethod") != "POST":
            problems.append(f"method is {data.get('HttpMethod')}, not POST")
        state = str(data.get("ApiDestinationState"))
        if state != "ACTIVE":
            problems.append(f"state is {state}")
        managed = described_as_managed(data.get("Description"))
        if not managed:
            problems.append("not managed by ecrctl")
        rate = data.get("InvocationRateLimitPerSecond")
        detail: JsonObject = {
            "url": data.get("InvocationEndpoint"),
            "method": data.get("HttpMethod"),
            "rateLimitPerSecond": int(rate) if rate is not None else None,
        }
        return Piece(
            "api-destination",
            names.destination,
            True,
            data.get("ApiDestinationArn"),
            state,
            detail,
            tuple(problems),
            managed,
        )

    def _role(
        self,
        names: Names,
        data: FoundRole | None,
        destination_arn: str | None,
        account: str | None,
    ) -> Piece:
        if data is None:
            return Piece("role", names.role, exists=False)
        problems = []
        managed = tagged_as_managed(data["Tags"])
        if not managed:
            problems.append("not managed by ecrctl (no managed-by=ecrctl tag)")
        # The account comes from the connection's ARN; without a connection, nothing to compare.
        if account and data.get("AssumeRolePolicyDocument") != trust_policy(account):
            problems.append("trust policy drifted (EventBridge of this account only expected)")
        policy = self.found.role_policy(names.role)
        if policy is None:
            problems.append("no permission to invoke the API destination")
        elif destination_arn and policy != invoke_policy(destination_arn):
            problems.append("permissions drifted (InvokeApiDestination on the destination only)")
        detail = {"eventBus": data["Tags"].get(BUS_TAG)}
        return Piece(
            "role", names.role, True, data.get("Arn"), None, detail, tuple(problems), managed
        )

    def rule_piece(self, names: Names, data: FoundRule | None) -> Piece:
        return self._rule(names, data)

    def _rule(self, names: Names, data: FoundRule | None) -> Piece:
        if data is None:
            return Piece("rule", names.rule, exists=False)
        problems = []
        notes = []
        state = str(data.get("State"))
        if state == "DISABLED" and data["Tags"].get(PAUSED_TAG):
            notes.append(
                f"disabled: delivery paused; `ecrctl events enable {names.base}` resumes it"
            )
        elif state != "ENABLED":
            problems.append(f"state is {state}")
        try:
            pattern = json.loads(data.get("EventPattern") or "null")
        except ValueError:
            pattern = None
        parsed = describe_pattern(pattern) if isinstance(pattern, dict) else None
        if parsed is None:
            problems.append("pattern is not one ecrctl builds (edited by hand?)")
        managed = tagged_as_managed(data["Tags"])
        if not managed:
            problems.append("not managed by ecrctl (no managed-by=ecrctl tag)")
        detail = {
            "pattern": pattern,
            "events": list(parsed[0]) if parsed else None,
            "repositories": list(parsed[1]) if parsed else None,
            "passwordFingerprint": PASSWORD_TAG in data["Tags"],
            "description": data.get("Description"),
        }
        return Piece(
            "rule",
            names.rule,
            True,
            data.get("Arn"),
            state,
            detail,
            tuple(problems),
            managed,
            tuple(notes),
        )

    def _target(
        self,
        names: Names,
        bus: str,
        rule: FoundRule | None,
        destination_arn: str | None,
        role_arn: str | None,
    ) -> Piece:
        if rule is None:
            return Piece("target", TARGET_ID, exists=False)
        targets = self.found.targets(names.rule, bus)
        ours = next((t for t in targets if t.get("Id") == TARGET_ID), None)
        others = [str(t.get("Id")) for t in targets if t.get("Id") != TARGET_ID]
        detail: JsonObject = {"otherTargets": others}
        if ours is None:
            return Piece("target", TARGET_ID, exists=False, detail=detail)
        problems = []
        if not destination_arn:
            problems.append("points at an API destination that no longer exists")
        elif ours.get("Arn") != destination_arn:
            problems.append("points at another API destination")
        if role_arn and ours.get("RoleArn") != role_arn:
            problems.append("uses another role")
        if not ours.get("RoleArn"):
            problems.append("has no role: EventBridge cannot invoke the destination")
        detail.update({"arn": ours.get("Arn"), "roleArn": ours.get("RoleArn")})
        return Piece("target", TARGET_ID, True, ours.get("Arn"), None, detail, tuple(problems))

    # --- teardown --------------------------------------------------------------------------

    def plan_teardown(self, names: Names, event_bus: str | None = None) -> EventsStatus:
        """What teardown would remove; refuses if a piece exists that ecrctl does not manage."""
        status = self.status(names, event_bus)
        if not status.exists:
            raise NotFound(f"no events setup named {names.base} (looked on bus {status.event_bus})")
        foreign = [f"{p.kind} {p.name}" for p in status.pieces if p.exists and not p.managed]
        if foreign:
            raise Refused(
                f"not managed by ecrctl, so left alone: {', '.join(foreign)}; nothing removed"
            )
        return status

    def teardown(self, status: EventsStatus) -> list[Piece]:
        """Remove in an order AWS accepts: targets, rule, destination, connection, role."""
        names = status.names
        if status.target == "sns":
            return sns_teardown(self, status)
        removed = self.remove_rule(status)
        if status.piece("api-destination").exists:
            self.events.delete_api_destination(Name=names.destination)
            removed.append(status.piece("api-destination"))
        if status.piece("connection").exists:
            self.events.delete_connection(Name=names.connection)
            removed.append(status.piece("connection"))
        if status.piece("role").exists:
            for policy in self.iam.list_role_policies(RoleName=names.role).get("PolicyNames", []):
                self.iam.delete_role_policy(RoleName=names.role, PolicyName=policy)
            attached = self.iam.list_attached_role_policies(RoleName=names.role)
            for managed in attached.get("AttachedPolicies", []):
                self.iam.detach_role_policy(RoleName=names.role, PolicyArn=managed["PolicyArn"])
            self.iam.delete_role(RoleName=names.role)
            removed.append(status.piece("role"))
        return removed

    def remove_rule(self, status: EventsStatus) -> list[Piece]:
        """The rule's targets (every one: AWS refuses to delete a rule that has any), then the
        rule; what teardown removes first, whatever the rule sends to."""
        names, bus = status.names, status.event_bus
        removed: list[Piece] = []
        if status.piece("rule").exists:
            ids = [str(t["Id"]) for t in self.found.targets(names.rule, bus)]
            if ids:
                self.events.remove_targets(Rule=names.rule, EventBusName=bus, Ids=ids)
            if status.piece("target").exists:
                removed.append(status.piece("target"))
            self.events.delete_rule(Name=names.rule, EventBusName=bus)
            removed.append(status.piece("rule"))
        return removed
