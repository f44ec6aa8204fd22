"""The token cache and the per-registry profiles file: expiry, identity keys, file modes."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from ecrctl.core.exceptions import InvalidInput
from ecrctl.core.login.cache import CachedToken, TokenCache, cache_dir, resolve_identity
from ecrctl.core.login.userconfig import config_path, load_user_config

HOST = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"


def token(
    issued: float = 1000.0, expires: float = 1000.0 + 12 * 3600, secret: str = "s"
) -> CachedToken:
    return CachedToken(HOST, "profile dev", "AWS", secret, issued, expires)


def test_a_token_is_fresh_until_a_quarter_of_its_life_is_left() -> None:
    t = token()
    life = 12 * 3600
    assert t.fresh(now=1000.0)
    assert t.fresh(now=1000.0 + life * 0.74)
    assert not t.fresh(now=1000.0 + life * 0.76)
    assert not t.fresh(now=1000.0 + life + 1)


def test_cache_lives_under_xdg_cache_home_with_private_modes(isolated_env: Path) -> None:
    assert Path(cache_dir()) == isolated_env / ".cache" / "ecrctl" / "tokens"
    cache = TokenCache()
    identity = resolve_identity("dev")
    path = Path(cache.put(token(), identity))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert cache.get(HOST, identity) == token()
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left


def test_entries_are_keyed_by_identity_not_only_the_access_key(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = isolated_env / "aws-config"
    config.write_text(
        "[profile dev]\nrole_arn = arn:aws:iam::111122223333:role/dev\nsource_profile = base\n"
        "[profile prod]\nrole_arn = arn:aws:iam::444455556666:role/prod\nsource_profile = base\n"
    )
    # Same access key in the environment, two roles: two entries.
    dev, prod = resolve_identity("dev"), resolve_identity("prod")
    assert dev.key != prod.key
    cache = TokenCache()
    cache.put(token(secret="dev-secret"), dev)
    cache.put(token(secret="prod-secret"), prod)
    assert cache.get(HOST, dev).secret == "dev-secret"  # type: ignore[union-attr]
    assert cache.get(HOST, prod).secret == "prod-secret"  # type: ignore[union-attr]
    # The profile's role changing makes a new identity.
    config.write_text("[profile dev]\nrole_arn = arn:aws:iam::111122223333:role/admin\n")
    assert resolve_identity("dev").key != dev.key
    # Without a profile, environment keys decide; the label never shows a secret.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAONE")
    one = resolve_identity(None)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIATWO")
    assert resolve_identity(None).key != one.key
    assert "AKIA" not in one.label
    # An emulator's tokens never stand in for AWS's.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
    assert (
        resolve_identity(None).key != resolve_identity(None, {"AWS_ACCESS_KEY_ID": "AKIATWO"}).key
    )
    # ... nor does an --endpoint-url given on the command line.
    plain = resolve_identity(None, {"AWS_ACCESS_KEY_ID": "AKIATWO"})
    flag = resolve_identity(None, {"AWS_ACCESS_KEY_ID": "AKIATWO"}, endpoint_url="http://e:1")
    assert flag.key != plain.key and "http://e:1" in flag.label


def test_a_damaged_cache_file_is_a_miss(isolated_env: Path) -> None:
    cache = TokenCache()
    identity = resolve_identity(None)
    path = Path(cache.put(token(), identity))
    path.write_text("{not json")
    assert cache.get(HOST, identity) is None
    path.write_text('{"version": 99}')
    assert cache.get(HOST, identity) is None


def test_erase_forgets_every_identity_for_a_registry(isolated_env: Path) -> None:
    cache = TokenCache()
    cache.put(token(), resolve_identity("a"))
    cache.put(token(), resolve_identity("b"))
    other = CachedToken("111122223333.dkr.ecr.eu-west-1.amazonaws.com", "x", "AWS", "s", 0, 1)
    cache.put(other, resolve_identity("a"))
    assert cache.erase(HOST) == 2
    assert [t.registry for _, t in cache.entries()] == [other.registry]


def test_profiles_per_registry_from_config_toml(isolated_env: Path) -> None:
    path = Path(config_path())
    assert path == isolated_env / ".config" / "ecrctl" / "config.toml"
    assert load_user_config().profile_for(HOST) is None  # no file: no mapping
    path.parent.mkdir(parents=True)
    path.write_text(
        f'[registries."{HOST}"]\nprofile = "dev"\n'
        '[registries."444455556666.dkr.ecr.eu-west-1.amazonaws.com"]\nprofile = "prod"\n'
    )
    config = load_user_config()
    assert config.profile_for(f"https://{HOST}/") == "dev"
    assert config.profile_for("444455556666.dkr.ecr.eu-west-1.amazonaws.com") == "prod"
    assert config.profile_for("999999999999.dkr.ecr.eu-west-1.amazonaws.com") is None


def test_xdg_config_home_is_honoured_and_bad_toml_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "elsewhere"))
    path = tmp_path / "elsewhere" / "ecrctl" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text("[registries\n")
    # Bad input (exit 2), naming the file and the line, not a credentials problem (exit 4).
    with pytest.raises(InvalidInput, match=rf"^{path} is not valid TOML: .*\(at line 1"):
        load_user_config()
    path.write_text('[registries."h"]\nprofile = 3\n')
    with pytest.raises(InvalidInput, match="profile must be a name"):
        load_user_config()
    assert os.environ["XDG_CONFIG_HOME"].endswith("elsewhere")
