"""An AWS Organization on a moto server: the management account (the caller's, 123456789012)
and three member accounts (dev, stage, prod), each with repositories in two regions.

moto's STS assumes a role in any account id, and keeps each assumed account's ECR state apart:
what a call signed with the credentials of ``arn:aws:iam::<id>:role/x`` sees is that account's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MANAGEMENT = "123456789012"
MEMBERS = ("dev", "stage", "prod")
REGIONS = ("eu-west-1", "us-east-1")
ROLE = "ecrctl-read-only"
EXTERNAL_ID = "org-e2e-external-id"


@dataclass
class Organization:
    endpoint: str
    ids: dict[str, str] = field(default_factory=dict)  # member name -> account id
    root: str = ""

    def ecr(self, account: str, region: str) -> Any:
        """An ECR client acting in ``account`` (the caller's own keys for the management one)."""
        import boto3

        keys: dict[str, str] = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        if account != MANAGEMENT:
            sts = boto3.client("sts", region_name=region, endpoint_url=self.endpoint, **keys)
            found = sts.assume_role(
                RoleArn=f"arn:aws:iam::{account}:role/{ROLE}", RoleSessionName="seed"
            )["Credentials"]
            keys = {
                "aws_access_key_id": found["AccessKeyId"],
                "aws_secret_access_key": found["SecretAccessKey"],
                "aws_session_token": found["SessionToken"],
            }
        return boto3.client("ecr", region_name=region, endpoint_url=self.endpoint, **keys)

    def organizations(self) -> Any:
        import boto3

        return boto3.client(
            "organizations",
            region_name="us-east-1",
            endpoint_url=self.endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )


def create_organization(endpoint: str) -> Organization:
    """The organisation, its members, and ``app-<name>`` in both regions of every account
    (``app-management`` in the caller's)."""
    org = Organization(endpoint)
    client = org.organizations()
    client.create_organization(FeatureSet="ALL")
    org.root = client.list_roots()["Roots"][0]["Id"]
    for name in MEMBERS:
        status = client.create_account(Email=f"{name}@example.com", AccountName=name)
        org.ids[name] = status["CreateAccountStatus"]["AccountId"]
    for name, account in [("management", MANAGEMENT), *org.ids.items()]:
        for region in REGIONS:
            org.ecr(account, region).create_repository(repositoryName=f"app-{name}")
    return org
