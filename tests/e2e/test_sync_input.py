"""ecrctl sync's answers to input a user gets wrong, through the installed command against two
real ``docker-registry`` instances: a DEST that is SOURCE itself or lies inside it (each run
would copy its own copies again, one level deeper), globs that can never match, filters that
select nothing, and a destination that cannot be reached."""

from __future__ import annotations

import os
from typing import Any

import pytest

from tests import oci_registries
from tests.e2e.test_sync import ecrctl, env, namespace, rows
from tests.oci_registries import manifest_exists, push_image

pytestmark = pytest.mark.e2e
registries = oci_registries.registries  # the session fixture: two docker-registry instances
__all__ = ["env", "registries"]  # fixtures, used by name


def one_line(done: Any, code: int, text: str) -> None:
    assert (done.returncode, done.stdout) == (code, ""), done.stderr
    assert done.stderr.startswith("ecrctl: ") and text in done.stderr, done.stderr
    assert len(done.stderr.splitlines()) == 1


def test_a_destination_that_is_the_source_or_inside_it_is_refused(
    registries: Any, env: dict[str, str]
) -> None:
    one, _ = registries
    namespace(one.host, "loop")
    cases = [
        (f"{one.host}/loop/", f"{one.host}/loop/"),
        (f"{one.host}/loop/alpha", f"{one.host}/loop/alpha"),
        (f"{one.host}/loop/alpha", f"{one.host}/loop/"),  # loop/alpha again
        (f"{one.host}/loop/", f"{one.host}/loop/mirror/"),  # loop/mirror/alpha, then deeper
        (f"{one.host}/", f"{one.host}/backup/"),
    ]
    for source, dest in cases:
        done = ecrctl("sync", source, dest, "-o", "json", env=env)
        one_line(done, 2, "outside SOURCE")
    assert not manifest_exists(one.host, "loop/mirror/alpha", "1.0")
    # Beside it, or above it, is fine: nothing there is listed again.
    beside = ecrctl("sync", f"{one.host}/loop/", f"{one.host}/loop-copy/", "-o", "json", env=env)
    assert beside.returncode == 0, beside.stderr
    assert {v[2] for v in rows(beside).values()} == {"copied"}
    up = ecrctl("sync", f"{one.host}/loop/alpha", f"{one.host}/flat", env=env)
    assert up.returncode == 0, up.stderr


@pytest.mark.parametrize(
    ("option", "glob"),
    [("--tag", "v[1-"), ("--tag", "["), ("--repo", "[a-"), ("--tag", ""), ("--repo", " ")],
)
def test_a_glob_that_can_match_nothing_is_exit_2(
    registries: Any, env: dict[str, str], option: str, glob: str
) -> None:
    one, two = registries
    push_image(one.host, "globs/app", "v1", [os.urandom(100)])
    done = ecrctl("sync", f"{one.host}/globs/", f"{two.host}/globs/", option, glob, env=env)
    one_line(done, 2, f"invalid {option} {glob!r}")


def test_a_repo_filter_that_selects_no_repository_says_so(
    registries: Any, env: dict[str, str]
) -> None:
    one, two = registries
    namespace(one.host, "picky")
    done = ecrctl("sync", f"{one.host}/picky/", f"{two.host}/picky/", "--repo", "zeta*", env=env)
    assert (done.returncode, done.stdout) == (0, ""), done.stderr
    assert (
        f"nothing to sync: no repository under {one.host}/picky/ matches --repo (3 listed)"
        in done.stderr
    )


def test_every_image_failing_does_not_claim_the_rest_is_in_place(
    registries: Any, env: dict[str, str]
) -> None:
    one, _ = registries
    namespace(one.host, "nowhere")
    done = ecrctl("sync", f"{one.host}/nowhere/", "127.0.0.1:1/nowhere/", env=env)
    assert done.returncode == 1
    last = done.stderr.splitlines()[-1]
    assert last == (
        "ecrctl: all 6 image(s) failed (named above); fix the cause and run the same command again"
    ), last


def test_a_bare_registry_or_a_bad_prefix_is_named_as_the_user_wrote_it(
    registries: Any, env: dict[str, str]
) -> None:
    one, two = registries
    bare = ecrctl("sync", f"{one.host}/ns/", two.host, env=env)
    one_line(bare, 2, f"DEST {two.host!r} is a registry, not a repository: end it with '/'")
    double = ecrctl("sync", f"{one.host}/ns//", f"{two.host}/x/", env=env)
    one_line(double, 2, f"SOURCE '{one.host}/ns//': invalid repository prefix")
