"""The forms people type, and errors that say where: the installed ``ecrctl`` on the seeded
sandbox (team/app, team/web, tools/ci as README.md describes them)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ecrctl_command, seeded_emulator
from tests.sandbox_process import Sandbox, emulator_env

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """One seeded emulator in this process for the module (moto reset first)."""
    home = tmp_path_factory.mktemp("home")
    with seeded_emulator() as emulator:
        env = emulator_env(emulator, home)
        endpoint = env["AWS_ENDPOINT_URL"]
        yield Sandbox(host=endpoint.removeprefix("http://"), env=env, process=None)  # type: ignore[arg-type]


def run(sandbox: Sandbox, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ecrctl_command(), *args],
        env=sandbox.env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _digest(sandbox: Sandbox, image: str) -> str:
    done = run(sandbox, "-o", "json", "images", image)
    assert done.returncode == 0, done.stderr
    return str(json.loads(done.stdout)[0]["digest"])


# -- the forms people type ---------------------------------------------------------------------


def test_retag_takes_the_image_then_new_tags_as_crane_and_docker_do(seeded: Sandbox) -> None:
    source = _digest(seeded, "team/app:1.4.2")
    done = run(seeded, "-o", "text", "retag", "team/app:1.4.2", "stable-a", "stable-b")
    assert done.returncode == 0, done.stderr
    assert [line.split("\t")[:2] for line in done.stdout.splitlines()] == [
        ["stable-a", "created"],
        ["stable-b", "created"],
    ]
    assert _digest(seeded, "team/app:stable-b") == source
    by_digest = run(seeded, "-o", "text", "retag", f"team/app@{source}", "stable-c")
    assert by_digest.returncode == 0, by_digest.stderr
    assert by_digest.stdout.split("\t")[:2] == ["stable-c", "created"]
    # The repository, the source, the new tags: as before.
    old_form = run(seeded, "-o", "text", "retag", "team/app", "1.4.2", "stable-a")
    assert (old_form.returncode, old_form.stdout.split("\t")[:2]) == (0, ["stable-a", "unchanged"])
    alone = run(seeded, "retag", "team/app:1.4.2")
    assert alone.returncode == 2 and "Missing argument" in alone.stderr
    no_new = run(seeded, "retag", "team/app", "1.4.2")
    assert no_new.returncode == 2
    assert no_new.stderr == "ecrctl: name at least one new tag to point at team/app:1.4.2\n"


def test_images_with_a_tag_shows_that_image_only(seeded: Sandbox) -> None:
    everything = run(seeded, "-o", "json", "images", "team/app")
    one = run(seeded, "-o", "json", "images", "team/app:1.4.2")
    assert one.returncode == 0, one.stderr
    (image,) = json.loads(one.stdout)
    assert "1.4.2" in image["tags"] and len(json.loads(everything.stdout)) > 1
    by_digest = run(seeded, "-o", "text", "images", f"team/app@{image['digest']}")
    assert by_digest.stdout.split("\t")[0] == image["digest"]
    missing = run(seeded, "images", "team/app:1.4.9")
    assert (missing.returncode, missing.stdout) == (3, "")
    assert missing.stderr == (
        "ecrctl: team/app:1.4.9 not found in registry 123456789012 (us-east-1); "
        "did you mean 1.4.3, 1.4.2, 1.0.9?\n"
    )


def test_an_image_without_a_tag_means_latest(seeded: Sandbox) -> None:
    latest = _digest(seeded, "team/app:latest")
    digest = run(seeded, "digest", "team/app")
    assert (digest.returncode, digest.stdout) == (0, f"{latest}\n"), digest.stderr
    done = run(seeded, "-o", "json", "scan", "team/app", "--start", "--wait", "--timeout", "1m")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["imageDigest"] == latest and doc["imageTag"] == "latest"


# -- errors that say where -----------------------------------------------------------------------


def test_a_missing_repository_names_the_registry_region_and_closest_names(
    seeded: Sandbox,
) -> None:
    for argv in (("tags", "team/ap"), ("images", "team/ap"), ("repo", "show", "team/ap")):
        done = run(seeded, *argv)
        assert (done.returncode, done.stdout) == (3, ""), argv
        assert done.stderr == (
            "ecrctl: repository team/ap not found in registry 123456789012 (us-east-1); "
            "did you mean team/app?\n"
        ), argv
    far = run(seeded, "tags", "nothing/like-it")
    assert far.stderr == (
        "ecrctl: repository nothing/like-it not found in registry 123456789012 (us-east-1)\n"
    )


def test_a_missing_tag_names_the_closest_tags(seeded: Sandbox) -> None:
    done = run(seeded, "retag", "team/app:1.4.9", "stable")
    assert (done.returncode, done.stdout) == (3, "")
    assert done.stderr == (
        "ecrctl: team/app:1.4.9 not found in registry 123456789012 (us-east-1); "
        "did you mean 1.4.3, 1.4.2, 1.0.9?\n"
    )
    scan = run(seeded, "scan", "team/web", "2.2.0")
    assert scan.returncode == 3
    assert "team/web:2.2.0 not found in registry 123456789012 (us-east-1)" in scan.stderr
    assert scan.stderr.endswith("did you mean 2.1.0?\n")


def test_a_refused_retag_row_shows_the_source_digest(seeded: Sandbox) -> None:
    source, kept = _digest(seeded, "tools/ci:3.20"), _digest(seeded, "tools/ci:3.19")
    done = run(seeded, "-o", "json", "retag", "tools/ci:3.20", "3.19")
    assert done.returncode == 1
    (row,) = json.loads(done.stdout)["tags"]
    assert (row["outcome"], row["previousDigest"], row["digest"]) == ("refused", kept, source)
    table = run(seeded, "-o", "table", "retag", "tools/ci:3.20", "3.19")
    assert f"{kept[7:19]} (kept, not → {source[7:19]})" in table.stdout


def test_repo_policy_set_with_a_push_policy_reports_push_access(
    seeded: Sandbox, tmp_path: Path
) -> None:
    codebuild = tmp_path / "codebuild-push.json"
    codebuild.write_text(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "CodeBuildPush",
                        "Effect": "Allow",
                        "Principal": {"Service": "codebuild.amazonaws.com"},
                        "Action": [
                            "ecr:BatchCheckLayerAvailability",
                            "ecr:CompleteLayerUpload",
                            "ecr:InitiateLayerUpload",
                            "ecr:PutImage",
                            "ecr:UploadLayerPart",
                        ],
                    }
                ],
            }
        )
    )
    done = run(seeded, "repo", "policy", "set", "team/web", str(codebuild), "--yes")
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[-1] == (
        "team/web: push access is now principals codebuild.amazonaws.com; "
        "pull access is now own account only"
    )
    assert run(seeded, "repo", "policy", "delete", "team/web", "--yes").returncode == 0


def test_login_leaves_no_lock_file_beside_the_docker_config(seeded: Sandbox) -> None:
    docker = Path(seeded.env["DOCKER_CONFIG"])
    docker.mkdir(mode=0o700, exist_ok=True)
    (docker / "config.json.lock").write_text("")  # what an earlier ecrctl left
    done = run(seeded, "login")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in docker.iterdir()) == ["config.json"]
    assert run(seeded, "logout").returncode == 0
    assert sorted(p.name for p in docker.iterdir()) == ["config.json"]


def test_a_region_no_partition_has_is_said_so_not_cannot_reach_aws(seeded: Sandbox) -> None:
    """The real AWS endpoint of a mistyped region: its name does not resolve (no AWS call is
    made); ecrctl names the region and the closest one, exit 4 (credentials, region)."""
    env = {k: v for k, v in seeded.env.items() if not k.startswith("AWS_ENDPOINT_URL")}
    done = subprocess.run(
        [*ecrctl_command(), "--region", "eu-wset-1", "tags", "team/app"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (done.returncode, done.stdout) == (4, "")
    assert done.stderr == (
        "ecrctl: region eu-wset-1 is not a region of AWS partition aws; did you mean "
        "eu-west-1? (pass another --region, or set AWS_REGION)\n"
    )
