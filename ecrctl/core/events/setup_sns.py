"""``events setup --sns-topic ARN | --email ADDRESS``: topic, subscription, rule, policy, target.

The same contract as the webhook setup: everything is looked up first, foreign pieces are
refused before any change, each piece is created, updated or left alone, and a failure half
way names what exists.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from ecrctl.core.events.model import (
    EMAIL_TAG,
    SNS_TARGET_ID,
    TOPIC_TAG,
    SetupResult,
    SetupSpec,
)
from ecrctl.core.events.resources import EventsResources, tag, tagged_as_managed
from ecrctl.core.events.setup_rule import RuleWriter, Tally
from ecrctl.core.events.sns import Topic, TopicWiring, owned_by
from ecrctl.core.exceptions import Refused

if TYPE_CHECKING:
    from mypy_boto3_events.type_defs import TagTypeDef
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sts import STSClient


class SetupRunner(Protocol):
    """What an SNS setup needs of the events setup that runs it (core/events/setup.py)."""

    sns: SNSClient | None
    sts: STSClient | None
    found: EventsResources
    rules: RuleWriter
    progress: Callable[[str], None]


def apply_sns(runner: SetupRunner, spec: SetupSpec) -> SetupResult:
    names = spec.names
    if runner.sns is None:  # pragma: no cover - the CLI always passes one
        raise RuntimeError("events setup to SNS needs an sns client")
    wiring = TopicWiring(runner.sns, runner.sts)
    rule = runner.found.rule(names.rule, spec.event_bus)
    existing: list[str] = []
    if rule is not None:
        existing.append(f"rule {names.rule}")
        if not tagged_as_managed(rule["Tags"]):
            raise Refused(
                f"not managed by ecrctl, so left alone: rule {names.rule}; "
                "choose another --name (nothing changed)"
            )
        runner.rules.check_same_target(spec)
    topic: Topic | None
    if spec.sns_topic is not None:
        arn = spec.sns_topic
        topic = wiring.require(arn)
    else:
        arn = wiring.arn_for(names)
        topic = wiring.topic(arn)
        if topic is not None:
            existing.append(f"topic {names.topic}")
            if not owned_by(topic["Tags"], names):
                raise Refused(
                    f"not managed by ecrctl, so left alone: SNS topic {names.topic}; "
                    "pass it as --sns-topic, or choose another --name (nothing changed)"
                )
    recorded = tag(rule, TOPIC_TAG)
    if recorded and recorded != arn:
        raise Refused(
            f"events setup {names.base} sends to {recorded}: run `ecrctl events teardown "
            f"--name {names.base}` first, or choose another --name (nothing changed)"
        )

    tally = Tally(existing, "creating the SNS topic")
    try:
        if spec.email is not None:
            made = tally.record(wiring.ensure_topic(names, arn, topic))
            if made.action == "created":
                runner.progress(f"created SNS topic {names.topic}")
                topic = wiring.require(arn)
            tally.step = "subscribing the e-mail address"
            sub = tally.record(wiring.ensure_subscription(arn, spec.email))
            if sub.action == "created":
                runner.progress(
                    f"subscribed {spec.email}: SNS mailed a confirmation link; nothing is "
                    "delivered until it is followed (`ecrctl events status` tells)"
                )
        assert topic is not None
        tally.step = "creating the rule"
        tags: list[TagTypeDef] = [{"Key": TOPIC_TAG, "Value": arn}]
        if spec.email is not None:
            tags.append({"Key": EMAIL_TAG, "Value": spec.email})
        rule_change = tally.record(runner.rules.rule(spec, rule, tags))
        tally.step = "letting EventBridge publish to the topic"
        tally.record(wiring.ensure_policy(names, arn, rule_change.arn or "", topic))
        tally.step = "adding the target"
        tally.record(runner.rules.target(spec, {"Id": SNS_TARGET_ID, "Arn": arn}))
    except Exception as error:
        raise tally.incomplete(error) from error
    return SetupResult(spec=spec, changes=tally.changes, connection_state=None, topic_arn=arn)
