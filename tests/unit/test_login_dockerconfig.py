"""The docker config file: merged not clobbered, private, atomic, safe under many writers, and
delegated to credsStore / credHelpers through a real helper program on PATH."""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ecrctl.core.exceptions import InvalidInput, Refused
from ecrctl.core.login.dockerconfig import DockerConfig, config_path

HOST = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"


def auth_of(data: dict[str, object], host: str) -> str:
    auths = data["auths"]
    assert isinstance(auths, dict)
    return base64.b64decode(auths[host]["auth"]).decode()


def test_path_follows_docker_config_else_home(isolated_env: Path) -> None:
    assert config_path() == isolated_env / ".docker" / "config.json"
    assert config_path({"HOME": "/h"}) == Path("/h/.docker/config.json")


def test_store_keeps_every_other_key_and_writes_mode_0600(isolated_env: Path) -> None:
    config = DockerConfig()
    config.path.parent.mkdir(parents=True)
    original = {
        "auths": {"ghcr.io": {"auth": "Z2g6eA=="}, HOST: {"auth": "b2xk", "identitytoken": "t"}},
        "proxies": {"default": {"httpProxy": "http://proxy:3128"}},
        "psFormat": "table {{.ID}}",
        "currentContext": "colima",
    }
    config.path.write_text(json.dumps(original))
    os.chmod(config.path, 0o644)
    stored = config.store(HOST, "AWS", "secret-1")
    assert stored.store == "auths"
    data = json.loads(config.path.read_text())
    assert auth_of(data, HOST) == "AWS:secret-1"
    assert "identitytoken" not in data["auths"][HOST]
    assert data["auths"]["ghcr.io"] == {"auth": "Z2g6eA=="}
    assert {k: data[k] for k in ("proxies", "psFormat", "currentContext")} == {
        k: original[k] for k in ("proxies", "psFormat", "currentContext")
    }
    assert stat.S_IMODE(config.path.stat().st_mode) == 0o600
    leftovers = [p.name for p in config.path.parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_a_symlinked_config_is_updated_where_it_points(isolated_env: Path) -> None:
    real = isolated_env / "dotfiles" / "docker.json"
    real.parent.mkdir()
    real.write_text('{"psFormat": "x"}')
    link = isolated_env / ".docker" / "config.json"
    link.parent.mkdir()
    link.symlink_to(real)
    DockerConfig().store(HOST, "AWS", "pw")
    assert link.is_symlink()
    assert auth_of(json.loads(real.read_text()), HOST) == "AWS:pw"


def test_a_broken_config_is_left_alone_with_a_clear_error(isolated_env: Path) -> None:
    config = DockerConfig()
    config.path.parent.mkdir(parents=True)
    config.path.write_text('{\n  "auths": {},\n  broken\n}')
    # Bad input (exit 2), naming the file and the line, not a credentials problem (exit 4).
    with pytest.raises(InvalidInput, match=rf"^{config.path}: line 3, column 3: not valid JSON"):
        config.store(HOST, "AWS", "pw")
    assert config.path.read_text() == '{\n  "auths": {},\n  broken\n}'


def test_many_processes_at_once_each_keep_their_entry(isolated_env: Path) -> None:
    config = DockerConfig()
    config.path.parent.mkdir(parents=True)
    config.path.write_text('{"currentContext": "default"}')
    writers = 24
    script = textwrap.dedent(
        """
        import sys
        from ecrctl.core.login.dockerconfig import DockerConfig
        i = int(sys.argv[1])
        for round in range(3):
            DockerConfig().store(f"{i:012d}.dkr.ecr.eu-west-1.amazonaws.com", "AWS", f"pw-{i}")
        """
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(i)], env=os.environ.copy())
        for i in range(writers)
    ]
    assert [p.wait(timeout=120) for p in procs] == [0] * writers
    data = json.loads(config.path.read_text())
    assert data["currentContext"] == "default"
    assert len(data["auths"]) == writers
    for i in range(writers):
        assert auth_of(data, f"{i:012d}.dkr.ecr.eu-west-1.amazonaws.com") == f"AWS:pw-{i}"


FAKE_HELPER = """#!{python}
import json, os, sys
action = sys.argv[1]
payload = sys.stdin.read()
store = os.environ["FAKE_HELPER_STORE"]
with open(os.environ["FAKE_HELPER_LOG"], "a") as log:
    log.write(json.dumps([action, payload]) + "\\n")
try:
    with open(store) as f:
        data = json.load(f)
except FileNotFoundError:
    data = {{}}
if action == "store":
    entry = json.loads(payload)
    data[entry["ServerURL"]] = [entry["Username"], entry["Secret"]]
elif action == "erase":
    if payload.strip() not in data:
        print("credentials not found in native keychain")
        sys.exit(1)
    del data[payload.strip()]
elif action == "list":
    print(json.dumps({{k: v[0] for k, v in data.items()}}))
elif action == "get":
    print("credentials not found in native keychain")
    sys.exit(1)
with open(store, "w") as f:
    json.dump(data, f)
"""


@pytest.fixture
def fake_helper(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A docker-credential-fake on PATH that records what it is asked (log.jsonl)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    program = bin_dir / "docker-credential-fake"
    program.write_text(FAKE_HELPER.format(python=sys.executable))
    program.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_HELPER_LOG", str(tmp_path / "log.jsonl"))
    monkeypatch.setenv("FAKE_HELPER_STORE", str(tmp_path / "store.json"))
    return tmp_path


def calls(helper_dir: Path) -> list[list[str]]:
    log = helper_dir / "log.jsonl"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


@pytest.mark.parametrize("where", ["credsStore", "credHelpers"])
def test_credentials_go_to_the_configured_helper_not_the_file(
    isolated_env: Path, fake_helper: Path, where: str
) -> None:
    config = DockerConfig()
    config.path.parent.mkdir(parents=True)
    setting = "fake" if where == "credsStore" else {HOST: "fake"}
    config.path.write_text(json.dumps({where: setting, "auths": {}}))
    stored = config.store(HOST, "AWS", "helper-secret")
    assert stored.store == f"{where} fake"
    assert calls(fake_helper) == [
        ["store", json.dumps({"ServerURL": HOST, "Username": "AWS", "Secret": "helper-secret"})]
    ]
    text = config.path.read_text()
    assert "helper-secret" not in text and base64.b64encode(b"AWS:helper-secret").decode() not in (
        text
    )
    entries = {e.host: e for e in config.entries()}
    assert entries[HOST].helper == "fake"
    assert config.erase(HOST) == ["docker-credential-fake"]
    assert calls(fake_helper)[-1] == ["erase", HOST]
    assert json.loads((fake_helper / "store.json").read_text()) == {}


def test_a_host_with_its_own_helper_is_not_sent_to_creds_store(
    isolated_env: Path, fake_helper: Path
) -> None:
    config = DockerConfig()
    config.path.parent.mkdir(parents=True)
    other = "111122223333.dkr.ecr.eu-west-1.amazonaws.com"
    config.path.write_text(json.dumps({"credsStore": "fake", "credHelpers": {other: "ecrctl"}}))
    assert config.store(other, "AWS", "pw").store == "credHelpers ecrctl"
    assert calls(fake_helper) == []  # ecrctl's own helper serves from its cache


def test_a_missing_helper_is_one_clear_error(isolated_env: Path) -> None:
    config = DockerConfig()
    config.path.parent.mkdir(parents=True)
    config.path.write_text('{"credsStore": "nosuchhelper"}')
    with pytest.raises(Refused, match="docker-credential-nosuchhelper"):
        config.store(HOST, "AWS", "pw")


def test_use_helper_replaces_a_stale_password_and_erase_undoes_it(isolated_env: Path) -> None:
    config = DockerConfig()
    config.store(HOST, "AWS", "old")
    config.use_helper(HOST)
    data = json.loads(config.path.read_text())
    assert data["credHelpers"] == {HOST: "ecrctl"}
    assert HOST not in data.get("auths", {})
    assert config.erase(HOST) == ["credHelpers ecrctl"]
    assert "credHelpers" not in json.loads(config.path.read_text())
