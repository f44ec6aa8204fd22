"""ecrctl retag / untag in-process (CliRunner) on moto: exit codes, stdout and stderr apart."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ecrctl.core.names import OCI_INDEX, OCI_MANIFEST
from ecrctl.sandbox.images import (
    put_synthetic,
    seed_repository,
    synthetic_index,
    synthetic_manifest,
)
from tests.moto_serial import serialize_moto_ecr_writes

URI = "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app"


@pytest.fixture(autouse=True)
def _serial_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    serialize_moto_ecr_writes(monkeypatch)  # ecrctl's concurrent calls meet a consistent moto


def _tags(ecr: Any, repo: str) -> dict[str, str]:
    details = ecr.describe_images(repositoryName=repo)["imageDetails"]
    return {t: d["imageDigest"] for d in details for t in d.get("imageTags", [])}


def test_retag_text_output_and_summary(cli: Any, ecr: Any) -> None:
    ecr.create_repository(repositoryName="team/app")
    (digest,) = seed_repository(ecr, "team/app", ["1.4.2"])
    result = cli("-o", "text", "retag", URI, "1.4.2", "stable", "prod")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"stable\tcreated\t-\t{digest}\nprod\tcreated\t-\t{digest}\n"
    assert "team/app:1.4.2 (docker-manifest " in result.stderr
    assert "2 created" in result.stderr
    assert _tags(ecr, "team/app") == {"1.4.2": digest, "stable": digest, "prod": digest}


def test_retag_json_document(cli: Any, ecr: Any) -> None:
    ecr.create_repository(repositoryName="app")
    kid = synthetic_manifest("k", media_type=OCI_MANIFEST)
    put_synthetic(ecr, "app", kid)
    index = synthetic_index([(kid, "linux/amd64")])
    put_synthetic(ecr, "app", index, "1.0")
    result = cli("-o", "json", "retag", "app", f"@{index.digest}", "latest")
    assert result.exit_code == 0, result.stderr
    assert f"app@{index.digest} (oci-index " in result.stderr
    doc = json.loads(result.stdout)
    assert doc["mediaType"] == OCI_INDEX and doc["digest"] == index.digest and doc["ok"] is True
    assert doc["tags"] == [
        {
            "tag": "latest",
            "outcome": "created",
            "previousDigest": None,
            "digest": index.digest,
            "reason": None,
        }
    ]


def test_retag_move_shows_old_and_new_in_the_table(cli: Any, ecr: Any) -> None:
    ecr.create_repository(repositoryName="app")
    old, new = seed_repository(ecr, "app", ["latest", "v2"])
    result = cli("-o", "table", "retag", "app", "v2", "latest")
    assert result.exit_code == 0, result.stderr
    assert f"{old[7:19]} → {new[7:19]}" in result.stdout
    assert "moved" in result.stdout


def test_retag_no_clobber_refuses_with_exit_1(cli: Any, ecr: Any) -> None:
    ecr.create_repository(repositoryName="app")
    old, _ = seed_repository(ecr, "app", ["latest", "v2"])
    result = cli("retag", "app", "v2", "latest", "--no-clobber")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "--no-clobber" in result.stderr and "nothing changed" in result.stderr
    assert _tags(ecr, "app")["latest"] == old


def test_retag_immutable_partial_failure_exit_1_with_summary(cli: Any, ecr: Any) -> None:
    ecr.create_repository(repositoryName="app", imageTagMutability="IMMUTABLE")
    seed_repository(ecr, "app", ["release", "v2"])
    result = cli("-o", "text", "retag", "app", "v2", "release", "fresh")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("release\trefused\t") and lines[1].startswith("fresh\tcreated\t")
    assert "release: refused: tag is immutable here" in result.stderr
    assert "1 of 2 tag(s) not applied: release (refused)" in result.stderr
    assert "Traceback" not in result.stderr


def test_retag_bad_tag_is_exit_2_and_missing_source_exit_3(cli: Any, ecr: Any) -> None:
    bad = cli("retag", "app", "v1", "no good")
    assert bad.exit_code == 2 and "invalid tag 'no good'" in bad.stderr
    ecr.create_repository(repositoryName="app")
    missing = cli("retag", "app", "v9", "x")
    assert missing.exit_code == 3 and "app:v9 not found in registry" in missing.stderr


def test_untag_needs_yes_without_a_terminal(cli: Any, ecr: Any) -> None:
    ecr.create_repository(repositoryName="app")
    seed_repository(ecr, "app", ["a"])
    result = cli("untag", "app", "a")
    assert result.exit_code == 2 and "pass --yes" in result.stderr
    assert _tags(ecr, "app") != {}


def test_untag_dry_run_prints_the_plan_and_changes_nothing(cli: Any, ecr: Any) -> None:
    ecr.create_repository(repositoryName="app")
    image = synthetic_manifest("one")
    for tag in ("v1", "stable"):
        put_synthetic(ecr, "app", image, tag)
    orphan = synthetic_manifest("orphan")
    put_synthetic(ecr, "app", orphan)
    result = cli("-o", "text", "untag", "app", "stable", "--untagged", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        f"delete\t{orphan.digest}\t{orphan.digest}\tplanned\nuntag\tstable\t{image.digest}\tplanned\n"
    )
    assert "stable: only this tag is removed; image" in result.stderr
    assert "keeps v1" in result.stderr
    assert "dry run: would remove 1 tag(s) and 1 image(s) from app; nothing changed" in (
        result.stderr
    )
    assert len(ecr.describe_images(repositoryName="app")["imageDetails"]) == 2


def test_untag_removes_with_yes_and_reports(cli: Any, ecr: Any) -> None:
    ecr.create_repository(repositoryName="app")
    digests = seed_repository(ecr, "app", ["pr-1", "pr-2", "v1"])
    result = cli("-o", "json", "untag", "app", "--match", "pr-*", "--yes")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["dryRun"] is False and doc["ok"] is True
    assert sorted(r["digest"] for r in doc["removals"]) == sorted(digests[:2])
    assert {r["status"] for r in doc["removals"]} == {"removed"}
    assert "removed 2 image(s) from app" in result.stderr
    assert _tags(ecr, "app") == {"v1": digests[2]}


def test_untag_kept_child_names_its_index(cli: Any, ecr: Any) -> None:
    ecr.create_repository(repositoryName="app")
    kid = synthetic_manifest("k", media_type=OCI_MANIFEST)
    put_synthetic(ecr, "app", kid)
    index = synthetic_index([(kid, "linux/amd64")])
    put_synthetic(ecr, "app", index, "v1")
    result = cli("untag", "app", "--untagged", "--yes")
    assert result.exit_code == 0, result.stderr
    assert f"kept {kid.digest}: still referenced by index {index.digest} (v1)" in result.stderr
    assert "nothing to remove from app" in result.stderr
    named = cli("untag", "app", f"@{kid.digest}", "--yes")
    assert named.exit_code == 1 and "1 id(s) not removed from app" in named.stderr


def test_untag_missing_tag_partial_exit_1_and_all_missing_exit_3(cli: Any, ecr: Any) -> None:
    ecr.create_repository(repositoryName="app")
    seed_repository(ecr, "app", ["a", "b"])
    partial = cli("-o", "text", "untag", "app", "a", "zzz", "--yes")
    assert partial.exit_code == 1
    assert "-\tzzz\t-\tnot-found" in partial.stdout
    assert "not found: zzz" in partial.stderr
    assert list(_tags(ecr, "app")) == ["b"]
    gone = cli("untag", "app", "zzz", "--yes")
    assert gone.exit_code == 3
    assert "app:zzz not found in registry 123456789012 (us-east-1)" in gone.stderr


def test_untag_without_selection_is_usage_error(cli: Any, ecr: Any) -> None:
    result = cli("untag", "app", "--yes")
    assert result.exit_code == 2 and "--untagged or --match" in result.stderr


def test_concurrency_setting_is_checked(cli: Any, ecr: Any) -> None:
    ecr.create_repository(repositoryName="app")
    seed_repository(ecr, "app", ["a", "b"])
    bad = cli("untag", "app", "a", "--yes", env={"ECRCTL_CONCURRENCY": "0"})
    assert bad.exit_code == 2 and "ECRCTL_CONCURRENCY" in bad.stderr
    one = cli("retag", "app", "a", "c", env={"ECRCTL_CONCURRENCY": "1"})
    assert one.exit_code == 0, one.stderr


def test_untag_on_a_terminal_shows_the_plan_and_asks(
    cli: Any, ecr: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ecrctl.cli.commands.untag as retag_cli
    import ecrctl.cli.common as common

    monkeypatch.setattr(common, "interactive", lambda: True)
    monkeypatch.setattr(retag_cli, "interactive", lambda: True)
    ecr.create_repository(repositoryName="app")
    seed_repository(ecr, "app", ["a", "b"])
    declined = cli("untag", "app", "a", input="n\n")
    assert declined.exit_code == 1
    assert "  delete sha256:" in declined.stderr and " (a)\n" in declined.stderr
    assert "Remove 1 image(s) from app?" in declined.stderr
    assert "nothing changed" in declined.stderr
    assert sorted(_tags(ecr, "app")) == ["a", "b"]
    accepted = cli("untag", "app", "a", input="y\n")
    assert accepted.exit_code == 0, accepted.stderr
    assert sorted(_tags(ecr, "app")) == ["b"]


def test_retag_caps_its_failure_lines_like_untag(cli: Any, ecr: Any) -> None:
    ecr.create_repository(repositoryName="app", imageTagMutability="IMMUTABLE")
    old, new = synthetic_manifest("old"), synthetic_manifest("new")
    taken = [f"r{n}" for n in range(100)]
    for tag in taken:
        put_synthetic(ecr, "app", old, tag)
    put_synthetic(ecr, "app", new, "v2")
    result = cli("-o", "text", "retag", "app", "v2", *taken)
    assert result.exit_code == 1
    assert len(result.stdout.splitlines()) == 100  # every tag is still a row on stdout
    lines = result.stderr.splitlines()
    assert sum(": refused: " in line for line in lines) == 20
    assert "... and 80 more" in lines
    assert "100 of 100 tag(s) not applied: r0 (refused)" in result.stderr
    assert "and 80 more" in lines[-1]
    assert max(len(line) for line in lines) < 400, max(lines, key=len)
    assert len(lines) <= 24


def test_untag_text_rows_name_the_tags_of_a_deleted_image(cli: Any, ecr: Any) -> None:
    ecr.create_repository(repositoryName="app")
    image = synthetic_manifest("one")
    for tag in ("a", "b"):
        put_synthetic(ecr, "app", image, tag)
    result = cli("-o", "text", "untag", "app", "a", "b", "--yes")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"delete\ta,b\t{image.digest}\tremoved\n"


def test_untag_takes_a_pasted_image_uri_and_removes_its_tag(cli: Any, ecr: Any) -> None:
    ecr.create_repository(repositoryName="team/app")
    seed_repository(ecr, "team/app", ["pr-1", "pr-2", "v1"])
    result = cli("untag", f"{URI}:pr-1", "pr-2", "--yes")
    assert result.exit_code == 0, result.stderr
    assert sorted(_tags(ecr, "team/app")) == ["v1"]


def test_lifecycle_get_takes_a_pasted_image_uri(cli: Any, ecr: Any) -> None:
    policy = '{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}'
    ecr.create_repository(repositoryName="team/app")
    ecr.put_lifecycle_policy(repositoryName="team/app", lifecyclePolicyText=policy)
    result = cli("lifecycle", "get", f"{URI}:1.4.2")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == json.loads(policy)
