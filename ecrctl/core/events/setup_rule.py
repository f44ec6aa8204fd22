"""What the webhook and the SNS ``events setup`` share: the rule, its one target, and the tally.

The rule is created, or its pattern, state and description brought to what was asked (a rule
paused by ``events disable`` stays paused); the target is added or corrected. ``Tally`` keeps
what a run has changed and what exists, so that a failure half way can name it
(``SetupIncomplete``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from ecrctl.core.events.model import (
    MANAGED_KEY,
    MANAGED_VALUE,
    NAME_TAG,
    PASSWORD_TAG,
    PAUSED_TAG,
    SNS_TARGET_ID,
    TARGET_ID,
    Change,
    SetupSpec,
)
from ecrctl.core.events.resources import EventsResources
from ecrctl.core.exceptions import Refused
from ecrctl.core.jsontypes import JsonValue

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_events.type_defs import PutRuleRequestTypeDef, TagTypeDef, TargetTypeDef

    from ecrctl.core.events.resources import FoundRule


class SetupIncomplete(Refused):
    """Setup stopped part way: ``existing`` lists what exists now, ``cause`` why it stopped."""

    def __init__(self, step: str, existing: list[str], cause: BaseException) -> None:
        self.step = step
        self.existing = existing
        self.cause = cause
        have = ", ".join(existing) if existing else "nothing"
        super().__init__(f"events setup stopped while {step}: {cause}; exists now: {have}")


class Tally:
    """The changes of one setup run so far, every piece that exists, and the step under way."""

    def __init__(self, existing: list[str], step: str) -> None:
        self.existing = list(existing)
        self.changes: list[Change] = []
        self.step = step

    def record(self, change: Change) -> Change:
        self.changes.append(change)
        label = f"{change.kind} {change.name}"
        if label not in self.existing:
            self.existing.append(label)
        return change

    def incomplete(self, error: BaseException) -> SetupIncomplete:
        return SetupIncomplete(self.step, self.existing, error)


class RuleWriter:
    """The rule and its target, with an injected events client."""

    def __init__(
        self,
        events: EventBridgeClient,
        found: EventsResources,
        progress: Callable[[str], None],
    ) -> None:
        self.events = events
        self.found = found
        self.progress = progress

    def check_same_target(self, spec: SetupSpec) -> None:
        """A setup that sends to a webhook does not turn into one that sends to SNS, or back."""
        names = spec.names
        ids = {str(t.get("Id")) for t in self.found.targets(names.rule, spec.event_bus)}
        other, what = (
            (SNS_TARGET_ID, "an SNS topic")
            if spec.target == "webhook"
            else (TARGET_ID, "a webhook")
        )
        if other in ids:
            raise Refused(
                f"events setup {names.base} sends to {what}: run `ecrctl events teardown "
                f"--name {names.base}` first, or choose another --name (nothing changed)"
            )

    def rule(
        self,
        spec: SetupSpec,
        current: FoundRule | None,
        tags: list[TagTypeDef],
        fingerprint: str | None = None,
    ) -> Change:
        """Create the rule, or bring its pattern, state and description to what was asked.

        ``fingerprint`` (webhooks) is the password's, written when the password changed.
        """
        names = spec.names
        pattern = spec.pattern
        rule_args: PutRuleRequestTypeDef = {
            "Name": names.rule,
            "EventPattern": json.dumps(pattern, separators=(",", ":")),
            "State": "ENABLED",
            "Description": spec.rule_description,
            "EventBusName": spec.event_bus,
        }
        stamp: list[TagTypeDef] = (
            [{"Key": PASSWORD_TAG, "Value": fingerprint}] if fingerprint else []
        )
        if current is None:
            self.progress(f"creating rule {names.rule}")
            created: PutRuleRequestTypeDef = {
                **rule_args,
                "Tags": [
                    {"Key": MANAGED_KEY, "Value": MANAGED_VALUE},
                    {"Key": NAME_TAG, "Value": names.base},
                    *tags,
                    *stamp,
                ],
            }
            made = self.events.put_rule(**created)
            return Change("rule", names.rule, "created", made["RuleArn"])
        arn = current["Arn"]
        reasons = []
        if current["Tags"].get(PAUSED_TAG) and current.get("State") == "DISABLED":
            rule_args["State"] = "DISABLED"  # paused by `events disable`: stays paused
            self.progress(f"rule {names.rule} stays disabled (`ecrctl events enable` resumes)")
        if _json_or_none(current.get("EventPattern")) != pattern:
            reasons.append("pattern")
        if current.get("State") != rule_args["State"]:
            reasons.append(f"state {current.get('State')}")
        if (current.get("Description") or "") != spec.rule_description:
            reasons.append("description")
        if reasons:
            self.progress(f"updating rule {names.rule} ({', '.join(reasons)})")
            self.events.put_rule(**rule_args)
        missing = [t for t in tags if current["Tags"].get(t["Key"]) != t["Value"]]
        if missing or stamp:
            # The fingerprint follows the password the connection now holds.
            self.events.tag_resource(ResourceARN=arn, Tags=[*missing, *stamp])
        if missing:
            reasons.append("tags")
        action = "updated" if reasons else "unchanged"
        return Change("rule", names.rule, action, arn, ", ".join(reasons))

    def target(self, spec: SetupSpec, wanted: TargetTypeDef) -> Change:
        names = spec.names
        target_id = wanted["Id"]
        targets = self.found.targets(names.rule, spec.event_bus)
        current = next((t for t in targets if t.get("Id") == target_id), None)
        if current is not None and all(current.get(k) == v for k, v in wanted.items()):
            return Change("target", target_id, "unchanged", wanted["Arn"])
        self.progress(f"{'updating' if current else 'adding'} target {target_id}")
        answer = self.events.put_targets(
            Rule=names.rule, EventBusName=spec.event_bus, Targets=[wanted]
        )
        if answer.get("FailedEntryCount"):
            entry = (answer.get("FailedEntries") or [{}])[0]
            raise Refused(
                f"EventBridge refused the target: {entry.get('ErrorCode')}: "
                f"{entry.get('ErrorMessage')}"
            )
        action = "updated" if current else "created"
        return Change("target", target_id, action, wanted["Arn"])


def _json_or_none(text: object) -> JsonValue:
    try:
        return json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return None
