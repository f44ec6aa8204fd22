"""ECR mounts blobs across repositories only where the account setting BLOB_MOUNTING is ENABLED.
moto does not implement GetAccountSetting (in-process it raises NotImplementedError, as a
server it answers 500), so the setting is stubbed with botocore's Stubber; the registry side is a
real docker-registry standing in for the ECR registry's data plane."""

from __future__ import annotations

import os
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from ecrctl.core.copy.mounting import DISABLED, ENABLED, UNKNOWN, blob_mounting
from ecrctl.core.ecr.api import EcrRegistry
from tests import oci_registries
from tests.oci_registries import push_image

ACCOUNT = "123456789012"
registries = oci_registries.registries


@pytest.fixture
def ecr() -> Any:
    return boto3.client(
        "ecr", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b"
    )


def _setting(stub: Stubber, value: str) -> None:
    stub.add_response(
        "get_account_setting", {"name": "BLOB_MOUNTING", "value": value}, {"name": "BLOB_MOUNTING"}
    )


class Caller:
    """GetCallerIdentity's account, counting the calls (STS is asked only for DISABLED)."""

    def __init__(self, account: str) -> None:
        self.account, self.calls = account, 0

    def __call__(self) -> str:
        self.calls += 1
        return self.account


def test_enabled_mounts_without_asking_sts(ecr: Any) -> None:
    caller = Caller(ACCOUNT)
    with Stubber(ecr) as stub:
        _setting(stub, "ENABLED")
        mounting = blob_mounting(EcrRegistry(ecr), ACCOUNT, caller)
        stub.assert_no_pending_responses()
    assert (mounting.state, mounting.attempt, caller.calls) == (ENABLED, True, 0)


def test_disabled_in_the_callers_own_registry_means_no_mounts(ecr: Any) -> None:
    caller = Caller(ACCOUNT)
    with Stubber(ecr) as stub:
        _setting(stub, "DISABLED")
        mounting = blob_mounting(EcrRegistry(ecr), ACCOUNT, caller)
    assert (mounting.state, mounting.attempt, caller.calls) == (DISABLED, False, 1)


def test_disabled_read_from_another_account_is_not_the_registrys_setting(ecr: Any) -> None:
    with Stubber(ecr) as stub:
        _setting(stub, "DISABLED")
        mounting = blob_mounting(EcrRegistry(ecr), ACCOUNT, Caller("210987654321"))
    assert mounting.state == UNKNOWN and mounting.attempt
    assert "210987654321" in mounting.reason


def test_access_denied_is_unknown_and_mounts_are_tried(ecr: Any) -> None:
    with Stubber(ecr) as stub:
        stub.add_client_error("get_account_setting", "AccessDeniedException", "no", 400)
        mounting = blob_mounting(EcrRegistry(ecr), ACCOUNT, Caller(ACCOUNT))
    assert mounting.state == UNKNOWN and mounting.attempt
    assert "AccessDeniedException" in mounting.reason


def _copy_within(
    registry: Any, ecr: Any, value: str, dry_run: bool, notes: list[str]
) -> tuple[Any, Any]:
    """The copy's steps within one registry, as the copy use case takes them, the destination
    side being an ECR side whose API client is ``ecr``."""
    from ecrctl.core.copy.copy import Copier
    from ecrctl.core.copy.run import check_mounting, note_not_mounted
    from ecrctl.core.copy.sides import Side
    from ecrctl.core.distribution.client import Registry
    from ecrctl.core.names import parse_reference

    push_image(registry.host, "mount/src", "1", [os.urandom(2000), os.urandom(1000)])
    src = parse_reference(f"{registry.host}/mount/src:1")
    dst = parse_reference(f"{registry.host}/mount/dst-{value.lower()}-{int(dry_run)}:1")
    copier = Copier(Registry(registry.host, scheme="http"), Registry(registry.host, scheme="http"))

    class Clients:
        def ecr(self) -> Any:
            return ecr

        def client(self, service: str) -> Any:
            assert service == "sts"
            return type("Sts", (), {"get_caller_identity": lambda self: {"Account": ACCOUNT}})()

    side = Side("destination", dst, None, copier.destination, ecr, ACCOUNT, Clients())
    plan = copier.plan(src, dst, inspect=False)
    with Stubber(ecr) as stub:
        _setting(stub, value)
        assert check_mounting(plan, side, dry_run=dry_run, note=notes.append) == value
    copier.inspect(plan)
    note_not_mounted(plan, side, dry_run=dry_run, note=notes.append)
    return copier, plan


def test_dry_run_says_blobs_are_copied_not_mounted_when_disabled(registries: Any, ecr: Any) -> None:
    notes: list[str] = []
    _, plan = _copy_within(registries[0], ecr, DISABLED, dry_run=True, notes=notes)
    assert {b.status for b in plan.blobs.values()} == {"copy"}
    assert notes == [
        f"dry run: blob mounting is disabled in {registries[0].host} (account setting "
        "BLOB_MOUNTING): 3 blob(s) would be copied, not mounted; "
        "`ecrctl registry blob-mounting enable` turns it on"
    ]


def test_disabled_copy_uploads_and_enabled_copy_mounts(registries: Any, ecr: Any) -> None:
    notes: list[str] = []
    copier, plan = _copy_within(registries[0], ecr, DISABLED, dry_run=False, notes=notes)
    result = copier.execute(plan)
    assert {b.status for b in plan.blobs.values()} == {"copied"} and result.bytes_moved > 3000
    assert len(notes) == 1 and "3 blob(s) are copied, not mounted" in notes[0]
    notes.clear()
    copier, plan = _copy_within(registries[0], ecr, ENABLED, dry_run=False, notes=notes)
    assert {b.status for b in plan.blobs.values()} == {"mount"}
    assert copier.execute(plan).bytes_moved == 0
    assert notes == []
