"""``events disable|enable NAME``: pause delivery without deleting anything, and resume it."""

from __future__ import annotations

from ecrctl.core.events.model import BUS_TAG, DEFAULT_BUS, PAUSED_TAG, Change, Names
from ecrctl.core.events.resources import EventsClients, tag, tagged_as_managed
from ecrctl.core.exceptions import NotFound, Refused


class RulePause(EventsClients):
    """DisableRule / EnableRule on an ecrctl rule; a second run changes nothing and says so."""

    def plan(self, names: Names, event_bus: str | None, enabled: bool) -> tuple[Change, str]:
        """What the change would be (``unchanged`` when the rule is already so) and the bus."""
        bus = event_bus
        if bus is None:
            role = self.found.role(names.role)
            bus = tag(role, BUS_TAG) or DEFAULT_BUS
        rule = self.found.rule(names.rule, bus)
        if rule is None:
            raise NotFound(f"no events rule named {names.rule} (looked on bus {bus})")
        if not tagged_as_managed(rule["Tags"]):
            raise Refused(f"not managed by ecrctl, so left alone: rule {names.rule}")
        wanted = "ENABLED" if enabled else "DISABLED"
        state = str(rule.get("State"))
        if state == wanted:
            return Change("rule", names.rule, "unchanged", rule["Arn"], f"already {wanted}"), bus
        verb = "enabled" if enabled else "disabled"
        return Change("rule", names.rule, verb, rule["Arn"], f"{state} -> {wanted}"), bus

    def apply(self, change: Change, bus: str, enabled: bool) -> None:
        if change.action == "unchanged":
            return
        assert change.arn is not None  # plan() names the rule by its ARN
        if enabled:
            self.events.enable_rule(Name=change.name, EventBusName=bus)
            self.events.untag_resource(ResourceARN=change.arn, TagKeys=[PAUSED_TAG])
        else:
            self.events.disable_rule(Name=change.name, EventBusName=bus)
            self.events.tag_resource(
                ResourceARN=change.arn, Tags=[{"Key": PAUSED_TAG, "Value": "true"}]
            )
