"""events template: CloudFormation that cfn-lint accepts, YAML that means the same as the JSON."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from ecrctl.core.events.template import (
    build_role_template,
    build_template,
    render_template,
    to_yaml,
)


def cfn_lint(path: Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("cfn-lint")
    command = [exe] if exe else [sys.executable, "-m", "cfnlint"]
    return subprocess.run(
        [*command, str(path)], capture_output=True, text=True, timeout=120, check=False
    )


def test_events_template_passes_cfn_lint_in_both_formats(tmp_path: Path) -> None:
    docs = {
        "ecr-events": build_template(("push", "scan"), ("team/app",)),
        "ecr-all": build_template(("all",), ("team/app",)),
        "ecr-failed": build_template(("push-failed", "replication-failed", "pull-through")),
        "read-only-role": build_role_template(),
        "named-read-only-role": build_role_template("ecrctl-read-only"),
    }
    for name, doc in docs.items():
        for fmt in ("yaml", "json"):
            path = tmp_path / f"{name}.{fmt}"
            path.write_text(render_template(doc, fmt))
            done = cfn_lint(path)
            assert done.returncode == 0, done.stdout + done.stderr


def test_events_template_cfn_lint_catches_a_broken_template(tmp_path: Path) -> None:
    """The lint test can fail: a target without its Arn is reported."""
    doc = build_template()
    del doc["Resources"]["EcrEventsRule"]["Properties"]["Targets"][0]["Arn"]
    path = tmp_path / "broken.yaml"
    path.write_text(to_yaml(doc))
    done = cfn_lint(path)
    assert done.returncode != 0
    assert "Arn" in done.stdout


def test_events_template_security_properties() -> None:
    doc = build_template()
    params = doc["Parameters"]
    assert set(params) >= {"WebhookUrl", "Username", "Password", "TrustedAccountId", "ExternalId"}
    assert params["Password"]["NoEcho"] is True
    read_only = doc["Resources"]["ReadOnlyRole"]["Properties"]
    (statement,) = read_only["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {
        "AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${TrustedAccountId}:root"}
    }
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": {"Ref": "ExternalId"}}}
    actions = read_only["Policies"][0]["PolicyDocument"]["Statement"][1]["Action"]
    assert all(
        a.startswith("ecr:") and not a.startswith(("ecr:Put", "ecr:Delete")) for a in actions
    )
    assert doc["Outputs"]["AssumeRoleArn"]["Value"] == {"Fn::GetAtt": ["ReadOnlyRole", "Arn"]}
    invoke = doc["Resources"]["InvokeRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    assert invoke["Statement"][0]["Resource"] == {"Fn::GetAtt": ["WebhookDestination", "Arn"]}
    rule = doc["Resources"]["EcrEventsRule"]["Properties"]
    assert rule["Targets"][0]["RoleArn"] == {"Fn::GetAtt": ["InvokeRole", "Arn"]}


def test_events_template_yaml_quotes_what_plain_yaml_would_misread() -> None:
    tricky = {
        "Version": "2012-10-17",
        "account": "123456789012",
        "yes": "no",
        "on": "off",
        "null": None,
        "$or": ["a: b", "# not a comment", "- dash", "*star", "&anchor", "true", "1e3", ""],
        "Fn::GetAtt": ["Role", "Arn"],
        "nested": [{"a": 1, "b": [True, 2.5, 1e-07]}, [], {}],
        "unicode": "caf\u00e9 \u2028 \x07",
    }
    assert yaml.safe_load(to_yaml(tricky)) == tricky


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@given(json_values)
def test_events_template_yaml_round_trips(value: Any) -> None:
    assert yaml.safe_load(to_yaml(value)) == value


def test_events_template_rejects_unknown_format() -> None:
    from ecrctl.core.exceptions import InvalidInput

    with pytest.raises(InvalidInput, match="use yaml or json"):
        render_template(build_template(), "toml")


def test_the_read_only_role_can_have_one_name_in_every_account() -> None:
    """--accounts assumes arn:aws:iam::ACCOUNT:role/NAME: the name must not be CloudFormation's
    own (stack-ReadOnlyRole-RANDOM), and --regions all needs ec2:DescribeRegions."""
    doc = build_role_template("ecrctl-read-only")
    assert doc["Parameters"]["RoleName"]["Default"] == "ecrctl-read-only"
    role = doc["Resources"]["ReadOnlyRole"]["Properties"]
    assert role["RoleName"] == {
        "Fn::If": ["RoleNamed", {"Ref": "RoleName"}, {"Ref": "AWS::NoValue"}]
    }
    assert doc["Conditions"]["RoleNamed"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "RoleName"}, ""]}]
    }
    regions = role["Policies"][1]["PolicyDocument"]["Statement"]
    assert regions == [{"Effect": "Allow", "Action": "ec2:DescribeRegions", "Resource": "*"}]
    assert build_template()["Parameters"]["RoleName"]["Default"] == ""
