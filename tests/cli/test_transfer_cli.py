"""ecrctl push / pull: what is checked before the engine and AWS are used."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ecrctl.core.images.transfer import local_tag


@pytest.mark.parametrize("command", [("push", "app:1", "team/app"), ("pull", "team/app:1")])
def test_no_engine_is_one_clear_line(
    cli: Any, ecr: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-such.sock")
    done = cli(*command)
    assert done.exit_code == 1
    assert done.stderr.strip().splitlines() == [
        f"ecrctl: no docker engine is running at unix://{tmp_path}/no-such.sock: start dockerd "
        "(or Docker Desktop), or point DOCKER_HOST at one"
    ]
    assert done.stdout == ""


def test_push_to_a_digest_or_a_bad_tag_is_refused_first(cli: Any) -> None:
    digest = "sha256:" + "a" * 64
    assert cli("push", "app:1", f"team/app@{digest}").exit_code == 2
    assert cli("push", "app:1", "team/App").exit_code == 2


@pytest.mark.parametrize(
    ("image", "tag"),
    [("app:1.2", "1.2"), ("app", None), ("localhost:5000/app", None), ("h:5000/a:b", "b")],
)
def test_the_local_tag_is_the_default(image: str, tag: str | None) -> None:
    assert local_tag(image) == tag
