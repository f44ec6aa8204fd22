"""Three accounts behind assume-role profiles (dev, stage, prod), and one profile whose SSO
session was never logged in (``broken``): the AWS config file the fleet tests write.

moto keeps each assumed role's account apart: a call made with the credentials of
``arn:aws:iam::<account>:role/x`` reads and writes that account's state.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

ACCOUNTS = {"dev": "111111111111", "stage": "222222222222", "prod": "333333333333"}
REGIONS = ("eu-west-1", "us-east-1")


def write_profiles(config_file: Path) -> None:
    lines = [
        "[profile base]",
        "aws_access_key_id = testing",
        "aws_secret_access_key = testing",
        "region = eu-west-1",
    ]
    for name, account in ACCOUNTS.items():
        lines += [
            f"[profile {name}]",
            f"role_arn = arn:aws:iam::{account}:role/x",
            "source_profile = base",
            "region = eu-west-1",
        ]
    lines += [
        "[profile broken]",
        "sso_session = gone",
        "sso_account_id = 444444444444",
        "sso_role_name = x",
        "region = eu-west-1",
        "[sso-session gone]",
        "sso_start_url = https://example.awsapps.com/start",
        "sso_region = eu-west-1",
    ]
    config_file.write_text("\n".join(lines) + "\n")


def ecr_of(profile: str, region: str, endpoint_url: str | None = None) -> Any:
    """An ECR client acting as that profile (through the assumed role)."""
    import boto3

    session = boto3.Session(profile_name=profile, region_name=region)
    return session.client("ecr", endpoint_url=endpoint_url)
