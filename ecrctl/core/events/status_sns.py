"""``events status`` / ``teardown`` of a setup that sends to SNS (topic, subscription, rule)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from ecrctl.core.events.model import (
    EMAIL_TAG,
    SNS_TARGET_ID,
    TOPIC_TAG,
    EventsStatus,
    Names,
    Piece,
)
from ecrctl.core.events.resources import EventsResources, tag
from ecrctl.core.events.sns import Topic, TopicWiring, owned_by, publish_statement
from ecrctl.core.jsontypes import JsonObject

if TYPE_CHECKING:
    from mypy_boto3_events.type_defs import TargetOutputTypeDef
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sts import STSClient

    from ecrctl.core.events.resources import FoundRule


class Inspector(Protocol):
    """What SNS status and teardown need of the events inspector (core/events/status.py)."""

    sns: SNSClient | None
    sts: STSClient | None
    found: EventsResources

    def rule_piece(self, names: Names, data: FoundRule | None) -> Piece: ...

    def remove_rule(self, status: EventsStatus) -> list[Piece]: ...


def sns_status(inspector: Inspector, names: Names, bus: str) -> EventsStatus | None:
    """The SNS setup named ``names``, or None when it is not one (a webhook, or nothing)."""
    wiring = _wiring(inspector)
    rule = inspector.found.rule(names.rule, bus)
    targets = inspector.found.targets(names.rule, bus) if rule is not None else []
    ours = next((t for t in targets if t.get("Id") == SNS_TARGET_ID), None)
    topic_arn = tag(rule, TOPIC_TAG) or (ours.get("Arn") if ours is not None else None)
    if rule is not None and not topic_arn:
        return None
    if rule is None:
        # What a half-removed --email setup leaves: its topic, found by name.
        if inspector.sts is None or inspector.found.connection(names.connection) is not None:
            return None
        topic_arn = wiring.arn_for(names)
        found = wiring.topic(topic_arn)
        if found is None or not owned_by(found["Tags"], names):
            return None
    assert topic_arn is not None
    topic = wiring.topic(topic_arn)
    pieces = [_topic(names, wiring, topic_arn, topic, rule)]
    email = tag(rule, EMAIL_TAG)
    if email:
        pieces.append(_subscription(wiring, topic_arn, topic, email))
    pieces.append(inspector.rule_piece(names, rule))
    pieces.append(_target(rule, ours, topic_arn, targets))
    return EventsStatus(names=names, event_bus=bus, pieces=pieces)


def _topic(
    names: Names,
    wiring: TopicWiring,
    arn: str,
    topic: Topic | None,
    rule: FoundRule | None,
) -> Piece:
    if topic is None:
        return Piece("topic", names.topic if rule is None else arn.rsplit(":", 1)[-1], False)
    owned = owned_by(topic["Tags"], names)
    problems = []
    if rule is not None:
        statements = (topic["PolicyDocument"] or {}).get("Statement") or []
        wanted = publish_statement(names, arn, rule["Arn"])
        if not isinstance(statements, list) or wanted not in statements:
            problems.append("its policy does not let EventBridge publish for this rule")
    detail = {
        "createdByEcrctl": owned,
        "subscriptionsConfirmed": _int(topic.get("SubscriptionsConfirmed")),
        "subscriptionsPending": _int(topic.get("SubscriptionsPending")),
    }
    name = arn.rsplit(":", 1)[-1]
    return Piece("topic", name, True, arn, None, detail, tuple(problems), True)


def _subscription(wiring: TopicWiring, arn: str, topic: Topic | None, email: str) -> Piece:
    found = wiring.email_subscription(arn, email) if topic is not None else None
    if found is None:
        return Piece("subscription", email, False, detail={"protocol": "email"})
    pending = wiring.pending(found)
    notes = (
        (
            f"pending confirmation: nothing is delivered until the link SNS e-mailed to "
            f"{email} is followed",
        )
        if pending
        else ()
    )
    sub_arn = found.get("SubscriptionArn")
    return Piece(
        "subscription",
        email,
        True,
        sub_arn if str(sub_arn).startswith("arn:") else None,
        "PENDING_CONFIRMATION" if pending else "CONFIRMED",
        {"protocol": "email", "pendingConfirmation": pending},
        (),
        True,
        notes,
    )


def _target(
    rule: FoundRule | None,
    ours: TargetOutputTypeDef | None,
    topic_arn: str,
    targets: list[TargetOutputTypeDef],
) -> Piece:
    others = [str(t.get("Id")) for t in targets if t.get("Id") != SNS_TARGET_ID]
    detail: JsonObject = {"otherTargets": others}
    if rule is None or ours is None:
        return Piece("target", SNS_TARGET_ID, exists=False, detail=detail)
    problems = [] if ours.get("Arn") == topic_arn else ["points at another topic"]
    detail["arn"] = ours.get("Arn")
    return Piece("target", SNS_TARGET_ID, True, ours.get("Arn"), None, detail, tuple(problems))


def sns_teardown(inspector: Inspector, status: EventsStatus) -> list[Piece]:
    """Target, rule, then the topic ecrctl made (subscriptions go with it), or only the
    statement it added to a topic it was given."""
    names = status.names
    removed = inspector.remove_rule(status)
    topic = status.piece("topic")
    if topic.exists and topic.arn:
        wiring = _wiring(inspector)
        if topic.detail.get("createdByEcrctl"):
            subscription = next((p for p in status.pieces if p.kind == "subscription"), None)
            if subscription is not None and subscription.exists:
                removed.append(subscription)  # deleting the topic deletes its subscriptions
            wiring.sns.delete_topic(TopicArn=topic.arn)
            removed.append(topic)
        else:
            found = wiring.topic(topic.arn)
            if found is not None and wiring.remove_statement(names, topic.arn, found):
                removed.append(
                    Piece("topic-policy", names.statement, True, topic.arn, detail={"kept": True})
                )
    return removed


def _wiring(inspector: Inspector) -> TopicWiring:
    if inspector.sns is None:  # pragma: no cover - the CLI always passes one
        raise RuntimeError("an SNS setup is read with an sns client")
    return TopicWiring(inspector.sns, inspector.sts)


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
