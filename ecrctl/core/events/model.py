"""Names, inputs and results of ``ecrctl events``: one NAME gives every resource its name."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlparse

from ecrctl.core.events.pattern import KINDS, build_pattern
from ecrctl.core.exceptions import InvalidInput
from ecrctl.core.jsontypes import JsonObject, JsonValue
from ecrctl.core.names import validate_repository_name

DEFAULT_NAME = "ecrctl-webhook"
DEFAULT_BUS = "default"
DEFAULT_RATE_LIMIT = 300  # what EventBridge itself uses when none is given
MANAGED_KEY = "managed-by"
MANAGED_VALUE = "ecrctl"
MANAGED = f"{MANAGED_KEY}={MANAGED_VALUE}"
NAME_TAG = "ecrctl:name"
BUS_TAG = "ecrctl:event-bus"
PASSWORD_TAG = "ecrctl:password-hash"
TARGET_ID = "ecrctl-webhook"
SNS_TARGET_ID = "ecrctl-sns"
TOPIC_TAG = "ecrctl:sns-topic"
EMAIL_TAG = "ecrctl:email"
PAUSED_TAG = "ecrctl:paused"  # set by `events disable`: setup keeps such a rule disabled
POLICY_NAME = "invoke-api-destination"

# Connection, API destination and rule names: [.\-_A-Za-z0-9]{1,64}; the role adds a suffix.
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,47}")
_TOPIC_RE = re.compile(r"arn:aws[\w-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?")
_EMAIL_RE = re.compile(r"[^@\s\x00-\x1f]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
# Tag values (the e-mail is kept on the rule) allow only these characters.
_TAG_VALUE_RE = re.compile(r"[\w .:/=+\-@]{1,256}")
_BUS_RE = re.compile(r"[/.\-_A-Za-z0-9]{1,256}|arn:aws[\w-]*:events:[a-z0-9-]+:\d{12}:event-bus/.+")


def validate_name(name: str) -> str:
    if not _NAME_RE.fullmatch(name):
        raise InvalidInput(
            f"invalid --name {name!r}: 1-48 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


@dataclass(frozen=True)
class Names:
    """What each resource of one events setup is called."""

    base: str

    @classmethod
    def of(cls, name: str | None) -> Names:
        return cls(validate_name(name or DEFAULT_NAME))

    @property
    def connection(self) -> str:
        return self.base

    @property
    def destination(self) -> str:
        return self.base

    @property
    def rule(self) -> str:
        return self.base

    @property
    def role(self) -> str:
        return f"{self.base}-events-invoke"

    @property
    def topic(self) -> str:
        """SNS topic names take letters, digits, '-' and '_' (no '.')."""
        return self.base.replace(".", "_")

    @property
    def statement(self) -> str:
        """The Sid of the topic-policy statement that lets this rule publish."""
        return f"ecrctl-events-{self.base}"

    def description(self, what: str) -> str:
        return f"ecrctl events {self.base}: {what} ({MANAGED})"


@dataclass(frozen=True)
class SetupSpec:
    """What ``events setup`` was asked for (the password travels apart, never stored).

    The events go to exactly one place: a webhook (``webhook_url`` + ``username``), an SNS
    topic that exists (``sns_topic``), or a new topic with an e-mail subscription (``email``).
    """

    names: Names
    webhook_url: str | None = None
    username: str | None = None
    kinds: tuple[str, ...] = KINDS
    repositories: tuple[str, ...] = ()
    event_bus: str = DEFAULT_BUS
    rate_limit: int = DEFAULT_RATE_LIMIT
    description: str | None = None
    sns_topic: str | None = None
    email: str | None = None

    def __post_init__(self) -> None:
        chosen = [x for x in (self.webhook_url, self.sns_topic, self.email) if x is not None]
        if len(chosen) != 1:
            raise InvalidInput(
                "say where the events go: one of --webhook-url URL, --sns-topic ARN, "
                "--email ADDRESS (--email creates its own topic)"
            )
        if self.webhook_url is not None:
            self._check_webhook(self.webhook_url)
        elif self.username is not None:
            raise InvalidInput("--username is for --webhook-url only")
        if self.sns_topic is not None and not _TOPIC_RE.fullmatch(self.sns_topic):
            raise InvalidInput(
                f"invalid --sns-topic {self.sns_topic!r}: an SNS topic ARN "
                "(arn:aws:sns:REGION:ACCOUNT:NAME)"
            )
        if self.email is not None and not (
            len(self.email) <= 254
            and _EMAIL_RE.fullmatch(self.email)
            and _TAG_VALUE_RE.fullmatch(self.email)
        ):
            raise InvalidInput(f"invalid --email {self.email!r}: one address, as name@example.com")
        if self.description is not None and not 1 <= len(self.description) <= 512:
            raise InvalidInput("invalid --description: 1 to 512 characters")
        if not 1 <= self.rate_limit <= 300:
            raise InvalidInput(f"invalid --rate-limit {self.rate_limit}: 1 to 300 per second")
        if not _BUS_RE.fullmatch(self.event_bus):
            raise InvalidInput(f"invalid --event-bus {self.event_bus!r}")
        for repository in self.repositories:
            validate_repository_name(repository)

    def _check_webhook(self, webhook_url: str) -> None:
        url = urlparse(webhook_url)
        if url.scheme != "https" or not url.netloc:
            raise InvalidInput(
                f"invalid --webhook-url {webhook_url!r}: EventBridge API destinations "
                "need an https:// URL"
            )
        if len(webhook_url) > 2048 or any(c.isspace() for c in webhook_url):
            raise InvalidInput("invalid --webhook-url: at most 2048 characters, no spaces")
        from ecrctl.core.inputs import check_web_url

        check_web_url(webhook_url, "--webhook-url", schemes=("https",))
        if self.username is None or not 1 <= len(self.username) <= 512:
            raise InvalidInput("invalid --username: 1 to 512 characters (the webhook's user)")

    @property
    def target(self) -> str:
        """webhook | sns"""
        return "webhook" if self.webhook_url is not None else "sns"

    @property
    def pattern(self) -> JsonObject:
        return build_pattern(self.kinds, self.repositories)

    @property
    def rule_description(self) -> str:
        if self.description is not None:
            return self.description
        where = "the webhook" if self.target == "webhook" else "SNS"
        return self.names.description(f"ECR events to {where}")


def check_password(password: str) -> str:
    if not 1 <= len(password) <= 512:
        raise InvalidInput("invalid webhook password: 1 to 512 characters")
    if "\n" in password or "\r" in password:
        raise InvalidInput("invalid webhook password: it contains a line break")
    return password


# --- password fingerprint ----------------------------------------------------------------------
# EventBridge never returns a connection's password, so "did the password change?" cannot be
# answered by describing. ecrctl keeps a salted, slow PBKDF2 fingerprint of it in a tag on the
# rule; setup compares the given password with it and updates the connection only on a mismatch
# (or when there is no fingerprint to compare with). Tag values allow [A-Za-z0-9 _.:/=+\-@].
_ITERATIONS = 200_000


def password_fingerprint(password: str, *, salt: bytes | None = None) -> str:
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, _ITERATIONS)
    return f"pbkdf2-sha256:{_ITERATIONS}:{salt.hex()}:{digest.hex()}"


def fingerprint_matches(password: str, fingerprint: str | None) -> bool:
    if not fingerprint:
        return False
    try:
        scheme, iterations, salt_hex, digest_hex = fingerprint.split(":")
        if scheme != "pbkdf2-sha256":
            return False
        digest = hashlib.pbkdf2_hmac(
            "sha256", password.encode(), bytes.fromhex(salt_hex), int(iterations)
        )
    except ValueError:
        return False
    return hmac.compare_digest(digest.hex(), digest_hex)


# --- results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """What setup did to one resource: created, updated or unchanged."""

    kind: str  # connection | api-destination | role | rule | target | topic | subscription
    name: str
    action: str
    arn: str | None = None
    detail: str = ""

    def to_json(self) -> JsonObject:
        return {
            "kind": self.kind,
            "name": self.name,
            "action": self.action,
            "arn": self.arn,
            "detail": self.detail or None,
        }


@dataclass(frozen=True)
class SetupResult:
    spec: SetupSpec
    changes: list[Change]
    connection_state: str | None
    topic_arn: str | None = None

    @property
    def changed(self) -> bool:
        return any(c.action != "unchanged" for c in self.changes)

    def to_json(self) -> JsonObject:
        return {
            "name": self.spec.names.base,
            "changed": self.changed,
            "target": self.spec.target,
            "webhookUrl": self.spec.webhook_url,
            "username": self.spec.username,
            "snsTopic": self.spec.sns_topic or self.topic_arn,
            "email": self.spec.email,
            "description": self.spec.rule_description,
            "eventBus": self.spec.event_bus,
            "events": list(self.spec.kinds),
            "repositories": list(self.spec.repositories),
            "rateLimitPerSecond": self.spec.rate_limit,
            "connectionState": self.connection_state,
            "pattern": self.spec.pattern,
            "resources": [c.to_json() for c in self.changes],
        }


@dataclass(frozen=True)
class Piece:
    """One resource of an events setup as it is now (for status and teardown)."""

    kind: str
    name: str
    exists: bool
    arn: str | None = None
    state: str | None = None
    detail: Mapping[str, JsonValue] = field(default_factory=dict)
    problems: tuple[str, ...] = ()
    managed: bool = True
    notes: tuple[str, ...] = ()

    def to_json(self) -> JsonObject:
        return {
            "notes": list(self.notes),
            "kind": self.kind,
            "name": self.name,
            "exists": self.exists,
            "arn": self.arn,
            "state": self.state,
            "managed": self.managed,
            "detail": self.detail,
            "problems": list(self.problems),
        }


@dataclass(frozen=True)
class EventsStatus:
    names: Names
    event_bus: str
    pieces: list[Piece]

    @property
    def problems(self) -> list[str]:
        found = []
        for piece in self.pieces:
            if not piece.exists:
                found.append(f"{piece.kind} {piece.name} is missing")
            found.extend(f"{piece.kind} {piece.name}: {p}" for p in piece.problems)
        return found

    @property
    def notes(self) -> list[str]:
        return [f"{p.kind} {p.name}: {n}" for p in self.pieces for n in p.notes]

    @property
    def target(self) -> str:
        return "sns" if any(p.kind == "topic" for p in self.pieces) else "webhook"

    @property
    def exists(self) -> bool:
        return any(p.exists for p in self.pieces)

    @property
    def healthy(self) -> bool:
        return not self.problems

    def piece(self, kind: str) -> Piece:
        return next(p for p in self.pieces if p.kind == kind)

    def to_json(self) -> JsonObject:
        return {
            "name": self.names.base,
            "eventBus": self.event_bus,
            "target": self.target,
            "healthy": self.healthy,
            "problems": self.problems,
            "notes": self.notes,
            "resources": [p.to_json() for p in self.pieces],
        }
