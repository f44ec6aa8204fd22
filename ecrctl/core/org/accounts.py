"""``--accounts``: which accounts of an AWS Organization a fleet command reads, and how.

``org`` is every ACTIVE account the caller's organisation lists (``ListAccounts``, 20 a page),
``org:ou-xxxx-yyyyyyyy`` (or ``org:r-xxxx``, the root) the accounts under that organizational
unit, at any depth (``ListAccountsForParent`` and ``ListOrganizationalUnitsForParent``), and
``111111111111,222222222222`` those accounts, without asking Organizations. Each account is then
reached through one role (``--role-name``, with ``--external-id`` when its trust policy asks for
one, as the read-only-role template's does): ``RoleAccess`` says which.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ecrctl.core.ecr.pacing import error_code
from ecrctl.core.exceptions import InvalidInput, NotFound, Refused
from ecrctl.core.names import is_account

ORG = "org"
LIST_ACCOUNTS_PAGE = 20  # ListAccounts' and ListAccountsForParent's largest page
LIST_UNITS_PAGE = 20
ACTIVE = "ACTIVE"
# IAM's role name; an organizational unit or root id (Organizations' ParentId pattern).
_ROLE_NAME_RE = re.compile(r"[\w+=,.@-]{1,64}")
_EXTERNAL_ID_RE = re.compile(r"[\w+=,.@:/-]{2,1224}")
_PARENT_RE = re.compile(r"(r-[0-9a-z]{4,32})|(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})")
SESSION_NAME = "ecrctl"


@dataclass(frozen=True)
class Account:
    """One account to read: its id and its name in Organizations ('' when not asked)."""

    id: str
    name: str = ""

    @property
    def label(self) -> str:
        return f"{self.id} ({self.name})" if self.name else self.id


@dataclass(frozen=True)
class AccountsSpec:
    """What ``--accounts`` asked for: the organisation, one unit of it, or a list of ids."""

    parent: str | None = None  # org:PARENT; None with ids: the list; None without: the whole org
    ids: tuple[str, ...] = ()

    @property
    def from_organizations(self) -> bool:
        return not self.ids


@dataclass(frozen=True)
class RoleAccess:
    """The role every account is read through: ``arn:PARTITION:iam::ACCOUNT:role/NAME``."""

    role_name: str
    external_id: str | None = None
    session_name: str = SESSION_NAME

    def role_arn(self, account: str, partition: str = "aws") -> str:
        return f"arn:{partition}:iam::{account}:role/{self.role_name}"

    def assume_params(self, account: str, partition: str = "aws") -> dict[str, Any]:
        """AssumeRole's parameters for ``account`` (ExternalId only when one is set)."""
        params: dict[str, Any] = {
            "RoleArn": self.role_arn(account, partition),
            "RoleSessionName": self.session_name,
        }
        if self.external_id:
            params["ExternalId"] = self.external_id
        return params


def parse_accounts(text: str) -> AccountsSpec:
    """``org``, ``org:ou-...`` / ``org:r-...``, or ``ID,ID,...``; checked before any call."""
    value = text.strip()
    if value == ORG:
        return AccountsSpec()
    if value.startswith(ORG + ":"):
        parent = value[len(ORG) + 1 :]
        if not _PARENT_RE.fullmatch(parent):
            raise InvalidInput(
                f"--accounts: {parent!r} is not an organizational unit (ou-xxxx-yyyyyyyy) "
                "or root (r-xxxx) id"
            )
        return AccountsSpec(parent=parent)
    ids = [part.strip() for part in value.split(",") if part.strip()]
    if not ids:
        raise InvalidInput("--accounts: org, org:ou-xxxx-yyyyyyyy, or 12-digit account ids")
    for account in ids:
        if not is_account(account):
            raise InvalidInput(
                f"--accounts: {account!r} is not a 12-digit account id "
                "(or use org, org:ou-xxxx-yyyyyyyy)"
            )
    return AccountsSpec(ids=tuple(dict.fromkeys(ids)))


def check_role_name(name: str, option: str = "--role-name") -> str:
    if not _ROLE_NAME_RE.fullmatch(name):
        raise InvalidInput(
            f"invalid {option} {name!r}: an IAM role name, 1-64 letters, digits and _+=,.@-"
        )
    return name


def check_external_id(value: str, option: str = "--external-id") -> str:
    if not _EXTERNAL_ID_RE.fullmatch(value):
        raise InvalidInput(f"invalid {option}: 2-1224 characters of letters, digits and _+=,.@:/-")
    return value


def _is_active(account: dict[str, Any]) -> bool:
    # ``State`` replaces ``Status`` (retired in September 2026); either may be the one sent.
    state = account.get("State") or account.get("Status")
    return state == ACTIVE


def _pages(
    organizations: Any, operation: str, key: str, size: int, **params: Any
) -> Iterator[dict[str, Any]]:
    paginator = organizations.get_paginator(operation)
    for page in paginator.paginate(**params, PaginationConfig={"PageSize": size}):
        yield from page.get(key) or []


def organization_accounts(
    organizations: Any, spec: AccountsSpec, *, on_unit: Callable[[str], Any] | None = None
) -> list[Account]:
    """The ACTIVE accounts ``spec`` names, in Organizations' order, each once (NotFound when
    there is none). An explicit list is returned as given, without a call (its names are then
    unknown)."""
    try:
        found = _accounts(organizations, spec, on_unit)
    except Exception as error:
        code = error_code(error)
        if code == "ParentNotFoundException":
            raise NotFound(f"--accounts: the organisation has no unit {spec.parent}") from None
        if code == "AWSOrganizationsNotInUseException":
            raise Refused(
                "--accounts org: the credentials' account is in no AWS Organization; "
                "name the accounts instead (--accounts 111111111111,222222222222)"
            ) from None
        raise
    if not found:
        where = f" under {spec.parent}" if spec.parent else ""
        raise NotFound(f"--accounts: no ACTIVE account in the organisation{where}")
    return found


def _accounts(
    organizations: Any, spec: AccountsSpec, on_unit: Callable[[str], Any] | None
) -> list[Account]:
    if not spec.from_organizations:
        return [Account(account) for account in spec.ids]
    if spec.parent is None:
        found = _pages(organizations, "list_accounts", "Accounts", LIST_ACCOUNTS_PAGE)
        return _unique(a for a in found if _is_active(a))
    accounts: list[dict[str, Any]] = []
    units = [spec.parent]
    while units:  # breadth first: a unit's own accounts, then its children's
        parent = units.pop(0)
        if on_unit is not None:
            on_unit(parent)
        accounts.extend(
            _pages(
                organizations,
                "list_accounts_for_parent",
                "Accounts",
                LIST_ACCOUNTS_PAGE,
                ParentId=parent,
            )
        )
        units.extend(
            str(unit["Id"])
            for unit in _pages(
                organizations,
                "list_organizational_units_for_parent",
                "OrganizationalUnits",
                LIST_UNITS_PAGE,
                ParentId=parent,
            )
        )
    return _unique(a for a in accounts if _is_active(a))


def _unique(accounts: Iterator[dict[str, Any]]) -> list[Account]:
    seen: dict[str, Account] = {}
    for account in accounts:
        key = str(account["Id"])
        seen.setdefault(key, Account(key, str(account.get("Name") or "")))
    return list(seen.values())
