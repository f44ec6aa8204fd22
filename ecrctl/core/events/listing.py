"""``events list``: the events setups ecrctl made in one region, one line each."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ecrctl.core.events.model import (
    DEFAULT_BUS,
    EMAIL_TAG,
    NAME_TAG,
    PAUSED_TAG,
    TOPIC_TAG,
)
from ecrctl.core.events.pattern import describe_pattern
from ecrctl.core.events.resources import EventsClients
from ecrctl.core.jsontypes import JsonObject

if TYPE_CHECKING:
    from ecrctl.core.events.resources import ManagedRule


@dataclass(frozen=True)
class SetupSummary:
    """One setup, from its rule: where it sends, what, and whether it is paused."""

    name: str
    event_bus: str
    state: str  # ENABLED | DISABLED
    paused: bool  # disabled by `events disable`
    target: str  # webhook | sns
    sends_to: str | None  # the webhook URL, the e-mail address or the topic ARN
    events: tuple[str, ...] | None  # None: a pattern ecrctl does not build (edited by hand)
    repositories: tuple[str, ...] | None
    arn: str

    def to_json(self) -> JsonObject:
        return {
            "name": self.name,
            "eventBus": self.event_bus,
            "state": self.state,
            "paused": self.paused,
            "target": self.target,
            "sendsTo": self.sends_to,
            "events": list(self.events) if self.events is not None else None,
            "repositories": list(self.repositories) if self.repositories is not None else None,
            "ruleArn": self.arn,
        }


class SetupLister(EventsClients):
    """Reads the rules ecrctl tagged, and each webhook's URL (one DescribeApiDestination)."""

    def setups(self, event_bus: str | None = None) -> list[SetupSummary]:
        bus = event_bus or DEFAULT_BUS
        found = [self._summary(rule, bus) for rule in self.found.managed_rules(bus)]
        return sorted(found, key=lambda s: s.name)

    def _summary(self, rule: ManagedRule, bus: str) -> SetupSummary:
        tags: dict[str, str] = rule["Tags"]
        name = tags.get(NAME_TAG) or str(rule["Name"])
        try:
            pattern = json.loads(rule.get("EventPattern") or "null")
        except ValueError:
            pattern = None
        parsed = describe_pattern(pattern) if isinstance(pattern, dict) else None
        sends_to: str | None
        if TOPIC_TAG in tags:
            target, sends_to = "sns", tags.get(EMAIL_TAG) or tags[TOPIC_TAG]
        else:
            destination = self.found.destination(name)
            target = "webhook"
            sends_to = str(destination["InvocationEndpoint"]) if destination else None
        state = str(rule.get("State") or "-")
        return SetupSummary(
            name=name,
            event_bus=bus,
            state=state,
            paused=state == "DISABLED" and PAUSED_TAG in tags,
            target=target,
            sends_to=sends_to,
            events=parsed[0] if parsed else None,
            repositories=parsed[1] if parsed else None,
            arn=str(rule["Arn"]),
        )
