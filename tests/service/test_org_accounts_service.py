"""Which accounts --accounts reads: Organizations' pages (Stubber: 20 a page, as AWS sends
them) and units at any depth (moto)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from ecrctl.core.exceptions import NotFound, Refused
from ecrctl.core.org.accounts import AccountsSpec, organization_accounts


def _account(n: int, state: str = "ACTIVE", field: str = "State") -> dict[str, Any]:
    return {"Id": f"{n:012d}", "Name": f"team-{n}", field: state}


def test_the_whole_organisation_20_accounts_a_page_active_only() -> None:
    client = boto3.client("organizations", region_name="us-east-1")
    first = [_account(n) for n in range(1, 21)]
    first[3] = _account(4, "SUSPENDED")
    second = [_account(21), _account(22, "PENDING_CLOSURE"), _account(23, "ACTIVE", "Status")]
    with Stubber(client) as stub:
        stub.add_response(
            "list_accounts", {"Accounts": first, "NextToken": "t1"}, {"MaxResults": 20}
        )
        stub.add_response(
            "list_accounts", {"Accounts": second}, {"MaxResults": 20, "NextToken": "t1"}
        )
        found = organization_accounts(client, AccountsSpec())
        stub.assert_no_pending_responses()
    ids = [int(a.id) for a in found]
    assert ids == [n for n in range(1, 24) if n not in (4, 22)]
    assert found[0].name == "team-1" and found[0].label == "000000000001 (team-1)"


def test_an_explicit_list_asks_organizations_nothing() -> None:
    found = organization_accounts(None, AccountsSpec(ids=("111111111111", "222222222222")))
    assert [(a.id, a.name) for a in found] == [("111111111111", ""), ("222222222222", "")]


def test_a_unit_and_the_units_under_it(ecr: Any) -> None:
    client = boto3.client("organizations", region_name="us-east-1")
    client.create_organization(FeatureSet="ALL")
    root = client.list_roots()["Roots"][0]["Id"]

    def account(name: str, parent: str) -> str:
        made = client.create_account(Email=f"{name}@example.com", AccountName=name)
        account_id = str(made["CreateAccountStatus"]["AccountId"])
        client.move_account(AccountId=account_id, SourceParentId=root, DestinationParentId=parent)
        return account_id

    def unit(name: str, parent: str) -> str:
        made = client.create_organizational_unit(ParentId=parent, Name=name)
        return str(made["OrganizationalUnit"]["Id"])

    workloads = unit("workloads", root)
    prod = unit("prod", workloads)
    deep = unit("eu", prod)
    sandbox = unit("sandbox", root)
    wanted = {account("app", workloads), account("db", prod), account("eu-app", deep)}
    account("play", sandbox)
    found = organization_accounts(client, AccountsSpec(parent=workloads))
    assert {a.id for a in found} == wanted
    assert {a.name for a in found} == {"app", "db", "eu-app"}
    seen: list[str] = []
    organization_accounts(client, AccountsSpec(parent=prod), on_unit=seen.append)
    assert seen == [prod, deep]
    everyone = organization_accounts(client, AccountsSpec())
    assert len(everyone) == 5  # the management account, app, db, eu-app, play


@pytest.mark.parametrize(
    ("operation", "code", "spec", "kind", "message"),
    [
        (
            "list_accounts",
            "AWSOrganizationsNotInUseException",
            AccountsSpec(),
            Refused,
            "in no AWS Organization; name the accounts instead",
        ),
        (
            "list_accounts_for_parent",
            "ParentNotFoundException",
            AccountsSpec(parent="ou-ab12-cdef3456"),
            NotFound,
            "the organisation has no unit ou-ab12-cdef3456",
        ),
        ("list_accounts", "AccessDeniedException", AccountsSpec(), ClientError, "AccessDenied"),
    ],
)
def test_organizations_refusing_says_what_to_do(
    operation: str, code: str, spec: AccountsSpec, kind: type[Exception], message: str
) -> None:
    client = boto3.client("organizations", region_name="us-east-1")
    with Stubber(client) as stub:
        stub.add_client_error(operation, code, "no")
        with pytest.raises(kind, match=message):
            organization_accounts(client, spec)


def test_an_organisation_without_an_active_account_is_not_found() -> None:
    client = boto3.client("organizations", region_name="us-east-1")
    with Stubber(client) as stub:
        stub.add_response("list_accounts", {"Accounts": [_account(1, "SUSPENDED")]})
        with pytest.raises(NotFound, match="no ACTIVE account"):
            organization_accounts(client, AccountsSpec())
