"""ecrctl login / login status / logout, in-process against moto."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path
from typing import Any

HOST = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
PASSWORD = "123456789012-auth-token"  # what moto issues for its account


def docker_config(home: Path) -> dict[str, Any]:
    data = json.loads((home / ".docker" / "config.json").read_text())
    assert isinstance(data, dict)
    return data


def test_login_writes_the_docker_config_and_never_shows_the_password(
    ecr: Any, cli: Any, isolated_env: Path
) -> None:
    done = cli("login")
    assert done.exit_code == 0, done.stderr
    assert done.stdout == ""
    assert "Login Succeeded" in done.stderr
    assert HOST in done.stderr and "token expires 20" in done.stderr
    assert PASSWORD not in done.stderr
    auth = docker_config(isolated_env)["auths"][HOST]["auth"]
    assert base64.b64decode(auth).decode() == f"AWS:{PASSWORD}"
    path = isolated_env / ".docker" / "config.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_print_password_prints_only_the_password_and_writes_no_config(
    ecr: Any, cli: Any, isolated_env: Path
) -> None:
    done = cli("-o", "text", "login", "--print-password")
    assert done.exit_code == 0, done.stderr
    assert done.stdout == PASSWORD + "\n"
    assert PASSWORD not in done.stderr
    assert not (isolated_env / ".docker" / "config.json").exists()


def test_json_result_names_registries_and_expiry_without_secrets(ecr: Any, cli: Any) -> None:
    done = cli("-o", "json", "login", "111122223333", f"{HOST}/team/app:1")
    assert done.exit_code == 0, done.stderr
    doc = json.loads(done.stdout)
    assert [d["registry"] for d in doc] == ["111122223333.dkr.ecr.us-east-1.amazonaws.com", HOST]
    assert all(d["expiresAt"].endswith("Z") and d["store"] == "auths" for d in doc)
    assert "auth-token" not in done.stdout


def test_helper_mode_then_status_then_logout(ecr: Any, cli: Any, isolated_env: Path) -> None:
    assert cli("login", "--helper").exit_code == 0
    config = docker_config(isolated_env)
    assert config["credHelpers"] == {HOST: "ecrctl"}
    assert PASSWORD not in json.dumps(config)
    assert cli("login", "111122223333").exit_code == 0

    status = cli("-o", "json", "login", "status")
    assert status.exit_code == 0, status.stderr
    rows = {d["registry"]: d for d in json.loads(status.stdout)}
    assert rows[HOST]["store"] == "credHelpers ecrctl" and rows[HOST]["state"] == "valid"
    other = rows["111122223333.dkr.ecr.us-east-1.amazonaws.com"]
    assert other["store"] == "auths" and other["expiresAt"].endswith("Z")
    assert "auth-token" not in status.stdout

    out = cli("logout", HOST)
    assert out.exit_code == 0 and "removed credHelpers ecrctl" in out.stderr
    assert "credHelpers" not in docker_config(isolated_env)
    assert cli("logout", "111122223333").exit_code == 0
    assert docker_config(isolated_env)["auths"] == {}
    empty = cli("login", "status")
    assert empty.exit_code == 0 and empty.stdout == ""
    assert "no ECR registry" in empty.stderr


def test_status_lists_only_ecr_registries(ecr: Any, cli: Any, isolated_env: Path) -> None:
    (isolated_env / ".docker").mkdir()
    (isolated_env / ".docker" / "config.json").write_text(
        json.dumps({"auths": {"ghcr.io": {"auth": "eDp5"}, HOST: {"auth": "QVdTOnNlY3JldA=="}}})
    )
    done = cli("-o", "text", "login", "status")
    assert done.exit_code == 0
    assert done.stdout.splitlines() == [f"{HOST}\tauths\t-\tunknown"]


def test_per_registry_profile_from_config_toml(ecr: Any, cli: Any, isolated_env: Path) -> None:
    (isolated_env / "aws-config").write_text("[profile dev]\nregion = us-east-1\n")
    (isolated_env / "aws-credentials").write_text(
        "[dev]\naws_access_key_id = dev\naws_secret_access_key = dev\n"
    )
    config = isolated_env / ".config" / "ecrctl" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'[registries."{HOST}"]\nprofile = "dev"\n')
    assert cli("login", HOST).exit_code == 0
    cached = list((isolated_env / ".cache" / "ecrctl" / "tokens").glob("*.json"))
    assert [json.loads(p.read_text())["identity"] for p in cached] == ["profile dev"]


def test_bad_input_is_refused_before_any_call(cli: Any) -> None:
    done = cli("login", "docker.io")
    assert done.exit_code == 2 and "not an ECR registry" in done.stderr
    two = cli("login", "--print-password", "111122223333", "222233334444")
    assert two.exit_code == 2 and "one registry" in two.stderr
    both = cli("login", "--print-password", "--helper")
    assert both.exit_code == 2


def test_no_credentials_is_exit_4_with_the_fix(cli: Any, monkeypatch: Any) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    done = cli("login")
    assert done.exit_code == 4
    assert "no AWS credentials" in done.stderr
