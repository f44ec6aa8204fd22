"""Repository policies (who else may use a repository): parse, check, diff, grant and revoke pull.

ECR takes a policy of at most 10,240 characters whose actions are ECR's. ``grant_pull`` and
``revoke_pull`` change exactly one statement per kind of principal ecrctl manages (``Sid``
``EcrctlPull`` for accounts, ``EcrctlPullOrg`` for organizations, a ``Principal: *`` with an
``aws:PrincipalOrgID`` condition), with the three least-privilege pull actions; every other
statement is kept as it is, in its place.
"""

from __future__ import annotations

import copy
import difflib
import fnmatch
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ecrctl.core.exceptions import InvalidInput
from ecrctl.core.jsontypes import JsonObject, JsonValue
from ecrctl.core.names import ACCOUNT_PATTERN, is_account, validate_account

if TYPE_CHECKING:
    from ecrctl.core.ecr.api import EcrRegistry

MAX_POLICY_CHARS = 10240
VERSION = "2012-10-17"
PULL_ACTIONS = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
)
ACCOUNT_SID = "EcrctlPull"
ORG_SID = "EcrctlPullOrg"
ORG_KEY = "aws:PrincipalOrgID"
_ORG_RE = re.compile(r"o-[a-z0-9]{10,32}")
_ARN_ACCOUNT_RE = re.compile(rf"arn:aws[a-z-]*:(?:iam|sts)::({ACCOUNT_PATTERN}):")
# IAM actions of ECR that are not API operations (replication, pull through cache).
_IAM_ONLY = ("BatchImportUpstreamImage", "ReplicateImage", "CreateRepository")


def known_actions() -> frozenset[str]:
    """ECR's actions: the operations of botocore's ECR model, and the IAM-only ones."""
    from botocore.loaders import create_loader

    model = create_loader().load_service_model("ecr", "service-2")
    return frozenset({*model.get("operations", {}), *_IAM_ONLY})


Statement = Mapping[str, JsonValue]


def _as_list(value: JsonValue) -> list[JsonValue]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def parse_policy(text: str, *, source: str = "policy") -> JsonObject:
    """A policy document, checked locally: JSON, size, statements, and ECR's actions."""
    if len(text) > MAX_POLICY_CHARS:
        raise InvalidInput(
            f"{source}: {len(text)} characters; ECR takes at most {MAX_POLICY_CHARS}"
        )
    try:
        doc: JsonValue = json.loads(text)
    except ValueError as error:
        raise InvalidInput(f"{source} is not valid JSON: {error}") from None
    return check_policy(doc, source=source)


def check_policy(doc: JsonValue, *, source: str = "policy") -> JsonObject:
    """The document, once it is an object whose statements name ECR's actions."""
    if not isinstance(doc, dict):
        raise InvalidInput(f"{source}: a policy is a JSON object with a Statement list")
    statements = doc.get("Statement")
    if not isinstance(statements, list | dict) or not statements:
        raise InvalidInput(f"{source}: Statement must be a non-empty list of statements")
    known = known_actions()
    for number, statement in enumerate(_as_list(statements), 1):
        where = f"{source}: statement {number}"
        if not isinstance(statement, dict):
            raise InvalidInput(f"{where} is not an object")
        if statement.get("Effect") not in ("Allow", "Deny"):
            raise InvalidInput(f"{where}: Effect must be Allow or Deny")
        if "Principal" not in statement and "NotPrincipal" not in statement:
            raise InvalidInput(f"{where}: a repository policy statement needs a Principal")
        actions = _as_list(statement.get("Action")) + _as_list(statement.get("NotAction"))
        if not actions:
            raise InvalidInput(f"{where}: no Action")
        for action in actions:
            if not isinstance(action, str):
                raise InvalidInput(f"{where}: action {action!r} is not a string")
            if action == "*":
                continue
            prefix, _, name = action.partition(":")
            if prefix.lower() != "ecr" or not name:
                raise InvalidInput(
                    f"{where}: {action!r} is not an ECR action (a repository policy takes ecr:...)"
                )
            if not fnmatch.filter(known, name) and not any(
                fnmatch.fnmatchcase(k.lower(), name.lower()) for k in known
            ):
                raise InvalidInput(f"{where}: {action!r} is not an ECR action")
    return doc


def canonical(doc: JsonObject | None) -> str:
    return "" if doc is None else json.dumps(doc, indent=2, sort_keys=True) + "\n"


def diff(old: JsonObject | None, new: JsonObject | None, name: str) -> str:
    """A unified diff of the two documents, keys sorted (AWS re-orders them)."""
    lines = difflib.unified_diff(
        canonical(old).splitlines(keepends=True),
        canonical(new).splitlines(keepends=True),
        fromfile=f"{name} (current)",
        tofile=f"{name} (new)",
    )
    return "".join(lines)


def validate_accounts(accounts: list[str]) -> list[str]:
    for account in accounts:
        validate_account(account, "--account")
    return sorted(set(accounts))


def validate_orgs(orgs: list[str]) -> list[str]:
    for org in orgs:
        if not _ORG_RE.fullmatch(org):
            raise InvalidInput(f"invalid --org {org!r}: an organization id like o-a1b2c3d4e5")
    return sorted(set(orgs))


def partition(region: str | None) -> str:
    if region and region.startswith("cn-"):
        return "aws-cn"
    if region and region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def _root(account: str, part: str) -> str:
    return f"arn:{part}:iam::{account}:root"


def _statement(statements: list[JsonValue], sid: str) -> Statement | None:
    return next((s for s in statements if isinstance(s, dict) and s.get("Sid") == sid), None)


def _set_statement(statements: list[JsonValue], sid: str, statement: JsonObject | None) -> None:
    """Replace (or add, or remove) the statement ``sid`` of ``statements``, in place."""
    index = next(
        (i for i, s in enumerate(statements) if isinstance(s, dict) and s.get("Sid") == sid),
        None,
    )
    if statement is None:
        if index is not None:
            del statements[index]
    elif index is None:
        statements.append(statement)
    else:
        statements[index] = statement


def _principals(statement: Statement | None) -> list[str]:
    if statement is None:
        return []
    principal = statement.get("Principal") or {}
    return [str(p) for p in _as_list(principal.get("AWS") if isinstance(principal, dict) else [])]


def _orgs(statement: Statement | None) -> list[str]:
    if statement is None:
        return []
    condition = statement.get("Condition")
    equals = condition.get("StringEquals") if isinstance(condition, Mapping) else None
    return [str(o) for o in _as_list(equals.get(ORG_KEY) if isinstance(equals, Mapping) else None)]


def _one_or_all(values: list[str]) -> JsonValue:
    """One value as itself, more as a list (as IAM writes them back)."""
    return [*values] if len(values) > 1 else values[0]


def _pull_statement(sid: str, principal: JsonValue) -> JsonObject:
    """A statement ecrctl keeps under ``sid``: pulling allowed to ``principal``."""
    return {"Sid": sid, "Effect": "Allow", "Principal": principal, "Action": list(PULL_ACTIONS)}


def _account_statement(principals: list[str]) -> JsonObject | None:
    if not principals:
        return None
    return _pull_statement(ACCOUNT_SID, {"AWS": _one_or_all(principals)})


def _org_statement(orgs: list[str]) -> JsonObject | None:
    if not orgs:
        return None
    condition: JsonObject = {"StringEquals": {ORG_KEY: _one_or_all(orgs)}}
    return {**_pull_statement(ORG_SID, "*"), "Condition": condition}


def _base(current: JsonObject | None) -> tuple[JsonObject, list[JsonValue]]:
    """A copy of the policy (or a new one) and its statements, the list the copy holds."""
    doc: JsonObject = copy.deepcopy(current) if current else {"Version": VERSION, "Statement": []}
    statements = _as_list(doc.get("Statement"))
    doc["Statement"] = statements
    return doc, statements


def grant_pull(
    current: JsonObject | None,
    *,
    accounts: list[str],
    orgs: list[str],
    region: str | None = None,
) -> JsonObject:
    """The policy with those accounts and organizations added to ecrctl's pull statements."""
    doc, statements = _base(current)
    part = partition(region)
    if accounts:
        have = _principals(_statement(statements, ACCOUNT_SID))
        wanted = sorted({*have, *(_root(a, part) for a in accounts)})
        _set_statement(statements, ACCOUNT_SID, _account_statement(wanted))
    if orgs:
        have = _orgs(_statement(statements, ORG_SID))
        _set_statement(statements, ORG_SID, _org_statement(sorted({*have, *orgs})))
    return doc


def revoke_pull(
    current: JsonObject | None, *, accounts: list[str], orgs: list[str]
) -> JsonObject | None:
    """The policy without those principals in ecrctl's statements (None: nothing left)."""
    if current is None:
        return None
    doc, statements = _base(current)
    gone = set(accounts)
    have = _principals(_statement(statements, ACCOUNT_SID))
    left = [p for p in have if _account_of(p) not in gone]
    if left != have:
        _set_statement(statements, ACCOUNT_SID, _account_statement(left))
    had = _orgs(_statement(statements, ORG_SID))
    kept = [o for o in had if o not in set(orgs)]
    if kept != had:
        _set_statement(statements, ORG_SID, _org_statement(kept))
    return doc if statements else None


def _account_of(principal: str) -> str | None:
    if is_account(principal):
        return principal
    match = _ARN_ACCOUNT_RE.match(principal)
    return match.group(1) if match else None


def _covers(statement: Statement, action: str) -> bool:
    return any(
        fnmatch.fnmatchcase(action, str(a).lower()) for a in _as_list(statement.get("Action"))
    )


@dataclass
class PullAccess:
    """Who a repository policy lets pull (besides the repository's own account)."""

    accounts: list[str] = field(default_factory=list)
    principals: list[str] = field(default_factory=list)  # roles, users, services
    orgs: list[str] = field(default_factory=list)
    anyone: bool = False

    def to_json(self) -> JsonObject:
        return {
            "accounts": self.accounts,
            "principals": self.principals,
            "orgs": self.orgs,
            "anyone": self.anyone,
        }

    @property
    def anybody(self) -> bool:
        """Whether anyone besides the repository's own account has this access."""
        return bool(self.anyone or self.accounts or self.orgs or self.principals)

    def summary(self) -> str:
        parts = []
        if self.anyone:
            parts.append("ANYONE (Principal *)")
        if self.accounts:
            parts.append("accounts " + ",".join(self.accounts))
        if self.orgs:
            parts.append("orgs " + ",".join(self.orgs))
        if self.principals:
            parts.append("principals " + ",".join(self.principals))
        return "; ".join(parts) or "own account only"


def pull_access(doc: JsonObject | None) -> PullAccess:
    """The Allow statements that grant ecr:BatchGetImage, read as accounts, orgs and others."""
    return _access(doc, "ecr:batchgetimage")


def push_access(doc: JsonObject | None) -> PullAccess:
    """The Allow statements that grant ecr:PutImage (a CodeBuild push policy, say)."""
    return _access(doc, "ecr:putimage")


def _access(doc: JsonObject | None, action: str) -> PullAccess:
    access = PullAccess()
    for statement in _as_list((doc or {}).get("Statement")):
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        if not _covers(statement, action):
            continue
        principal = statement.get("Principal")
        orgs = _orgs(statement)
        if principal == "*" or (
            isinstance(principal, Mapping) and "*" in _as_list(principal.get("AWS"))
        ):
            if orgs:
                access.orgs.extend(o for o in orgs if o not in access.orgs)
            elif not statement.get("Condition"):
                access.anyone = True
            else:
                access.principals.append("* (with conditions)")
            continue
        if not isinstance(principal, Mapping):
            continue
        for arn in _as_list(principal.get("AWS")):
            account = _account_of(str(arn))
            if account and (str(arn).endswith(":root") or str(arn) == account):
                if account not in access.accounts:
                    access.accounts.append(account)
            elif str(arn) not in access.principals:
                access.principals.append(str(arn))
        for service in _as_list(principal.get("Service")):
            access.principals.append(str(service))
    access.accounts.sort()
    return access


class RepositoryPolicies:
    """GetRepositoryPolicy / SetRepositoryPolicy / DeleteRepositoryPolicy of one registry."""

    def __init__(self, registry: EcrRegistry) -> None:
        self.registry = registry

    @staticmethod
    def _checked(repository: str) -> str:
        from ecrctl.core.names import validate_repository_name

        return validate_repository_name(repository)

    def get(self, repository: str) -> JsonObject | None:
        """The current policy; None when the repository has none (a missing repository is
        NotFound)."""
        text = self.registry.repository_policy(self._checked(repository))
        if text is None:
            return None
        loaded: JsonValue = json.loads(text)
        return loaded if isinstance(loaded, dict) else None

    def set(self, repository: str, doc: JsonObject) -> None:
        self.registry.write_repository_policy(self._checked(repository), json.dumps(doc, indent=2))

    def delete(self, repository: str) -> None:
        """Delete the policy (a repository without one: nothing to do)."""
        self.registry.remove_repository_policy(self._checked(repository))
