"""A missing tag or image as the seeded sandbox answers it, through the installed ecrctl: one
line naming the account and region looked in, and the closest tags."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.sandbox_process import Sandbox, running_sandbox

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    with running_sandbox(tmp_path_factory.mktemp("home"), "--seed") as running:
        yield running


def test_untag_of_a_missing_tag_names_the_registry_and_the_closest_tags(sandbox: Sandbox) -> None:
    done = sandbox.ecrctl("untag", "team/app", "1.4.9", "--yes")
    assert done.returncode == 3, done.stderr
    assert done.stdout == ""
    assert done.stderr == (
        "ecrctl: team/app:1.4.9 not found in registry 123456789012 (us-east-1); "
        "did you mean 1.4.3, 1.4.2, 1.0.9?\n"
    )


def test_untag_of_several_missing_tags_names_the_registry(sandbox: Sandbox) -> None:
    done = sandbox.ecrctl("untag", "team/app", "1.4.9", "9.9", "--yes")
    assert done.returncode == 3, done.stderr
    assert done.stderr == (
        "ecrctl: 1.4.9, 9.9 not found in team/app in registry 123456789012 (us-east-1)\n"
    )


def test_where_of_a_missing_tag_in_one_registry_reads_as_english(sandbox: Sandbox) -> None:
    done = sandbox.ecrctl("where", "team/app:1.4.9")
    assert done.returncode == 3, done.stderr
    assert done.stdout == ""
    assert done.stderr == "ecrctl: team/app:1.4.9 found in none of the 1 source asked\n"


def test_a_region_no_partition_has_is_said_so_on_the_sandbox(sandbox: Sandbox) -> None:
    done = sandbox.ecrctl("tags", "team/app", "--region", "eu-wst-1")
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert done.stderr.startswith(
        "ecrctl: ListImages: region eu-wst-1 is not a region of AWS partition aws; "
        "did you mean eu-west-1?"
    ), done.stderr
    assert len(done.stderr.splitlines()) == 1
