"""--accounts and the role, checked before any call; an account's credentials bound per call."""

from __future__ import annotations

import threading

import pytest
from botocore.credentials import Credentials
from botocore.exceptions import NoCredentialsError

from ecrctl.core.exceptions import InvalidInput
from ecrctl.core.org.accounts import (
    AccountsSpec,
    RoleAccess,
    check_external_id,
    check_role_name,
    parse_accounts,
)
from ecrctl.orgaccess import AccountCredentials, BoundClient, bound


def test_accounts_the_organisation_a_unit_or_a_list() -> None:
    assert parse_accounts("org") == AccountsSpec()
    assert parse_accounts("org:ou-ab12-cdef3456") == AccountsSpec(parent="ou-ab12-cdef3456")
    assert parse_accounts("org:r-ab12") == AccountsSpec(parent="r-ab12")
    listed = parse_accounts(" 111111111111, 222222222222,111111111111 ")
    assert listed == AccountsSpec(ids=("111111111111", "222222222222"))
    assert not listed.from_organizations


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "12-digit account ids"),
        ("organisation", "not a 12-digit account id"),
        ("1111", "not a 12-digit account id"),
        ("org:", "is not an organizational unit"),
        ("org:team-a", "is not an organizational unit"),
    ],
)
def test_bad_accounts_are_bad_input(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_accounts(text)


def test_the_role_each_account_is_read_through() -> None:
    role = RoleAccess(check_role_name("ecrctl-read-only"), check_external_id("ext-1"))
    assert role.assume_params("111111111111") == {
        "RoleArn": "arn:aws:iam::111111111111:role/ecrctl-read-only",
        "RoleSessionName": "ecrctl",
        "ExternalId": "ext-1",
    }
    assert "ExternalId" not in RoleAccess("OrganizationAccountAccessRole").assume_params("1" * 12)
    assert RoleAccess("r").role_arn("1" * 12, "aws-cn").startswith("arn:aws-cn:iam::")
    with pytest.raises(InvalidInput, match="invalid --role-name"):
        check_role_name("no spaces")
    with pytest.raises(InvalidInput, match="invalid --external-id"):
        check_external_id("x")


def test_credentials_are_the_bound_accounts_and_none_outside_a_binding() -> None:
    shared = AccountCredentials()
    dev = Credentials("AKIADEV", "dev-secret", "dev-token")
    prod = Credentials("AKIAPROD", "prod-secret")
    with pytest.raises(NoCredentialsError):
        shared.get_frozen_credentials()  # never somebody else's
    seen: dict[str, str] = {}

    def other_thread() -> None:
        try:
            seen["other"] = shared.get_frozen_credentials().access_key
        except NoCredentialsError:
            seen["other"] = "none"

    with bound(dev):
        assert shared.get_frozen_credentials().access_key == "AKIADEV"
        assert shared.token == "dev-token"
        with bound(prod):
            assert shared.access_key == "AKIAPROD"
        assert shared.access_key == "AKIADEV"
        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()
    assert seen["other"] == "none"  # a binding belongs to the thread that made it


def test_a_bound_client_binds_its_account_around_each_call_and_each_page() -> None:
    shared = AccountCredentials()

    class Pages:
        def paginate(self, **_: object) -> object:
            for n in range(2):
                yield {"page": n, "key": shared.access_key}

    class Client:
        meta = "meta"

        def describe_repositories(self) -> str:
            return shared.access_key

        def get_paginator(self, operation: str) -> Pages:
            return Pages()

    client = BoundClient(Client(), Credentials("AKIADEV", "s"))
    assert client.describe_repositories() == "AKIADEV"
    assert client.meta == "meta"
    pages = list(client.get_paginator("describe_repositories").paginate())
    assert [p["key"] for p in pages] == ["AKIADEV", "AKIADEV"]
    with pytest.raises(NoCredentialsError):
        shared.get_frozen_credentials()
