"""ecrctl sync end to end: the installed command against two real ``docker-registry`` instances
(behind recording proxies, so each test says what crossed the wire), the sandbox as ECR, and
Docker Hub stand-ins (its namespace listing in the recorded shape, its registry's Bearer flow
and pull-limit headers) in front of a real registry. skopeo reads the destination back."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import oci_registries
from tests.conftest import ecrctl_command
from tests.needed import unavailable
from tests.oci_registries import (
    digest_of,
    manifest_exists,
    missing_tools,
    push_image,
    push_index,
    skopeo_digest,
)
from tests.registry_standin import HubApi, RegistryProxy
from tests.sandbox_process import Sandbox, running_sandbox, sandbox_env

pytestmark = pytest.mark.e2e
registries = oci_registries.registries  # the session fixture: two docker-registry instances


def namespace(host: str, ns: str) -> tuple[dict[str, str], str]:
    """``ns/alpha`` (1.0, 1.1, 2.0), ``ns/beta`` (1.0 and latest: one image), ``ns/multi``
    (3.0: an index of two platforms), every image on one shared base layer; returns
    {repo:tag -> digest} and the base layer's digest."""
    base = os.urandom(300_000)
    images: dict[str, str] = {}
    for tag in ("1.0", "1.1", "2.0"):
        images[f"alpha:{tag}"], _ = push_image(host, f"{ns}/alpha", tag, [base, os.urandom(9000)])
    images["beta:1.0"], _ = push_image(host, f"{ns}/beta", "1.0", [base, os.urandom(7000)])
    images["beta:latest"] = retag(host, f"{ns}/beta", "1.0", "latest")
    _, amd_desc = push_image(host, f"{ns}/multi", None, [base, os.urandom(500)], arch="amd64")
    _, arm_desc = push_image(host, f"{ns}/multi", None, [base, os.urandom(500)], arch="arm64")
    images["multi:3.0"] = push_index(host, f"{ns}/multi", "3.0", [amd_desc, arm_desc])
    return images, digest_of(base)


def retag(host: str, repo: str, source_tag: str, tag: str) -> str:
    """Point ``tag`` at the manifest ``source_tag`` names (same bytes, same digest)."""
    import urllib3

    accept = {"Accept": "application/vnd.oci.image.manifest.v1+json"}
    got = urllib3.request("GET", f"http://{host}/v2/{repo}/manifests/{source_tag}", headers=accept)
    put = urllib3.request(
        "PUT",
        f"http://{host}/v2/{repo}/manifests/{tag}",
        body=got.data,
        headers={"Content-Type": got.headers["Content-Type"]},
    )
    assert put.status == 201, put.data
    return digest_of(got.data)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return sandbox_env(tmp_path / "home", 9)  # no AWS here: only docker's (empty) config


def ecrctl(
    *args: str, env: dict[str, str], extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ecrctl_command(), *args],
        env=env | (extra or {}),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def rows(done: subprocess.CompletedProcess[str]) -> dict[str, tuple[str, str | None, str]]:
    """source -> (destination, digest, status) from ``-o json``."""
    doc = json.loads(done.stdout)
    assert all(set(r) == {"source", "destination", "digest", "status"} for r in doc)
    return {r["source"]: (r["destination"], r["digest"], r["status"]) for r in doc}


@pytest.fixture
def proxies(registries: Any) -> Iterator[tuple[RegistryProxy, RegistryProxy]]:
    one, two = registries
    with RegistryProxy(one.host) as src, RegistryProxy(two.host) as dst:
        yield src, dst


def test_a_namespace_is_synced_whole_and_shared_layers_cross_once(
    registries: Any, proxies: tuple[RegistryProxy, RegistryProxy], env: dict[str, str]
) -> None:
    one, two = registries
    src, dst = proxies
    images, base = namespace(one.host, "whole")
    src.take()
    done = ecrctl("sync", f"{src.host}/whole/", f"{dst.host}/mirror/", "-o", "json", env=env)
    assert done.returncode == 0, done.stderr
    expected = {
        f"{src.host}/whole/{image}": (f"{dst.host}/mirror/{image}", digest, "copied")
        for image, digest in images.items()
    }
    assert rows(done) == expected
    for image, digest in images.items():
        repo, tag = image.split(":")
        assert skopeo_digest(two.host, f"mirror/{repo}", tag) == digest
    sent = dst.take()
    assert dst.uploads(sent).count(base) == 1  # once for the registry, then mounted
    assert dst.mounts(sent).count(base) >= 2  # into the other two repositories
    # beta:latest names beta:1.0's image: read once from the source (7 manifests in all).
    pulls = [c for c in src.take() if c.method == "GET" and "/manifests/" in c.route]
    assert len(pulls) == 7
    assert done.stderr.splitlines()[0] == "sync: 6 image(s) in 3 repositories"
    assert done.stderr.splitlines()[-1].startswith("sync: 6 image(s) (6 copied); ")
    assert "blob(s) mounted" in done.stderr

    again = ecrctl("sync", f"{src.host}/whole/", f"{dst.host}/mirror/", "-o", "json", env=env)
    assert again.returncode == 0, again.stderr
    assert {v[2] for v in rows(again).values()} == {"up-to-date"}
    # Nothing new: the listing and a HEAD per tag on each side, nothing else.
    read = [c for c in src.take() if "/manifests/" in c.route or "/blobs/" in c.route]
    assert {c.method for c in read} == {"HEAD"} and len(read) == 6
    asked = [c for c in dst.take() if c.route != "/v2/"]
    assert {c.method for c in asked} == {"HEAD"} and len(asked) == 6
    assert again.stderr.splitlines()[-1].startswith("sync: 6 image(s) (6 up-to-date); 0 B moved")


def test_filters_pick_repositories_and_tags(registries: Any, env: dict[str, str]) -> None:
    one, two = registries
    images, _ = namespace(one.host, "filters")
    done = ecrctl(
        "sync", f"{one.host}/filters/", f"{two.host}/picked/", "--repo", "al*", "--tag", "1.*",
        "-o", "json", env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert sorted(rows(done)) == [f"{one.host}/filters/alpha:1.0", f"{one.host}/filters/alpha:1.1"]
    newest = ecrctl(
        "sync", f"{one.host}/filters/", f"{two.host}/picked/", "--newest", "1", "--dry-run",
        "-o", "json", env=env,
    )  # fmt: skip
    assert newest.returncode == 0, newest.stderr
    assert {s: v[2] for s, v in rows(newest).items()} == {
        f"{one.host}/filters/alpha:2.0": "planned",
        f"{one.host}/filters/beta:latest": "planned",  # 1.0 < latest in natural order
        f"{one.host}/filters/multi:3.0": "planned",
    }
    single = ecrctl(
        "sync", f"{one.host}/filters/alpha", f"{two.host}/solo", "--tag", "2.*", env=env
    )  # a repository: all (here: the matching) tags, into one repository
    assert single.returncode == 0, single.stderr
    assert skopeo_digest(two.host, "solo", "2.0") == images["alpha:2.0"]
    nothing = ecrctl("sync", f"{one.host}/filters/", f"{two.host}/x/", "--tag", "9.*", env=env)
    assert nothing.returncode == 0 and "nothing to sync" in nothing.stderr


def test_dry_run_changes_nothing(
    registries: Any, proxies: tuple[RegistryProxy, RegistryProxy], env: dict[str, str]
) -> None:
    one, two = registries
    src, dst = proxies
    images, _ = namespace(one.host, "dry")
    src.take()
    done = ecrctl(
        "sync", f"{src.host}/dry/", f"{dst.host}/dry/", "--dry-run", "-o", "json", env=env
    )
    assert done.returncode == 0, done.stderr
    assert {v[2] for v in rows(done).values()} == {"planned"}
    assert {v[1] for v in rows(done).values()} == set(images.values())
    assert {c.method for c in dst.take()} <= {"GET", "HEAD"}  # only the ping and HEADs
    assert not any(c.method == "GET" and "/manifests/" in c.route for c in src.take())
    assert not manifest_exists(two.host, "dry/alpha", "1.0")


def test_a_moved_tag_is_followed_and_the_rest_is_up_to_date(
    registries: Any, env: dict[str, str]
) -> None:
    one, two = registries
    namespace(one.host, "moves")
    assert ecrctl("sync", f"{one.host}/moves/", f"{two.host}/moves/", env=env).returncode == 0
    moved = retag(one.host, "moves/alpha", "1.0", "2.0")
    done = ecrctl("sync", f"{one.host}/moves/", f"{two.host}/moves/", "-o", "json", env=env)
    assert done.returncode == 0, done.stderr
    statuses = {s.rsplit("/", 1)[1]: (v[1], v[2]) for s, v in rows(done).items()}
    assert statuses.pop("alpha:2.0") == (moved, "copied")
    assert {v[1] for v in statuses.values()} == {"up-to-date"}
    assert skopeo_digest(two.host, "moves/alpha", "2.0") == moved


def test_a_failed_image_is_a_row_exit_1_and_a_rerun_finishes(
    registries: Any, proxies: tuple[RegistryProxy, RegistryProxy], env: dict[str, str]
) -> None:
    one, _ = registries
    src, dst = proxies
    images, _ = namespace(one.host, "faults")
    src.faults[f"/faults/beta/manifests/{images['beta:1.0']}"] = 500
    src.faults["/faults/beta/manifests/1.0"] = 500
    src.faults["/faults/beta/manifests/latest"] = 500
    done = ecrctl("sync", f"{src.host}/faults/", f"{dst.host}/faults/", "-o", "json", env=env)
    assert done.returncode == 1
    statuses = {s.rsplit("/", 1)[1]: v[2] for s, v in rows(done).items()}
    assert statuses == {
        "alpha:1.0": "copied", "alpha:1.1": "copied", "alpha:2.0": "copied",
        "beta:1.0": "failed", "beta:latest": "failed", "multi:3.0": "copied",
    }  # fmt: skip
    assert f"failed {src.host}/faults/beta:1.0 -> {dst.host}/faults/beta:1.0: " in done.stderr
    assert done.stderr.splitlines()[-1] == (
        "ecrctl: 2 of 6 image(s) failed (named above); the rest is in place: run the same "
        "command again to finish"
    )
    src.faults.clear()
    again = ecrctl("sync", f"{src.host}/faults/", f"{dst.host}/faults/", "-o", "json", env=env)
    assert again.returncode == 0, again.stderr
    statuses = {s.rsplit("/", 1)[1]: v[2] for s, v in rows(again).items()}
    assert statuses.pop("beta:1.0") == statuses.pop("beta:latest") == "copied"
    assert set(statuses.values()) == {"up-to-date"}


def test_bad_shapes_and_sources_that_name_nothing(registries: Any, env: dict[str, str]) -> None:
    one, two = registries
    push_image(one.host, "shapes/app", "1", [os.urandom(100)])
    cases = [
        (("sync", f"{one.host}/shapes/", f"{two.host}/one"), 2, "is a prefix (many repositories)"),
        (("sync", f"{one.host}/shapes/app:1", f"{two.host}/x/"), 2, "names an image"),
        (("sync", f"{one.host}/nothing-here/", f"{two.host}/x/"), 3, "no repositories under"),
        (("sync", f"{one.host}/shapes/none", f"{two.host}/x"), 3, "not found"),
    ]
    for args, code, text in cases:
        done = ecrctl(*args, env=env)
        assert (done.returncode, done.stdout) == (code, ""), (args, done.stderr)
        assert done.stderr.startswith("ecrctl: ") and text in done.stderr, done.stderr
        assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr
    # A number out of range is click's usage error, as for every option (--limit 0 too).
    zero = ecrctl("sync", f"{one.host}/shapes/", f"{two.host}/x/", "--newest", "0", env=env)
    assert zero.returncode == 2 and "'--newest': 0 is not in the range" in zero.stderr


def test_a_destination_that_lets_no_one_in_is_exit_4_in_one_line(
    registries: Any, proxies: tuple[RegistryProxy, RegistryProxy], env: dict[str, str]
) -> None:
    one, _ = registries
    src, dst = proxies
    namespace(one.host, "denied")
    dst.deny = True
    done = ecrctl("sync", f"{src.host}/denied/", f"{dst.host}/denied/", "-o", "json", env=env)
    assert done.returncode == 4
    assert {v[2] for v in rows(done).values()} == {"failed"}
    last = done.stderr.splitlines()[-1]
    assert (
        last.startswith(f"ecrctl: access denied: destination {dst.host}: HEAD ") and "401" in last
    )


# -- ECR: the sandbox ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    reason = missing_tools()
    if reason:
        unavailable(reason)
    home = tmp_path_factory.mktemp("home")
    data = tmp_path_factory.mktemp("data")
    with running_sandbox(home, "--seed", "--data", str(data)) as running:
        yield running


def test_into_ecr_creates_repositories_like_a_template(
    sandbox: Sandbox, registries: Any, tmp_path: Path
) -> None:
    one, two = registries
    images, _ = namespace(one.host, "toecr")
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"rules": [{
        "rulePriority": 1, "description": "keep 30", "selection": {
            "tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 30},
        "action": {"type": "expire"}}]}))  # fmt: skip
    made = sandbox.ecrctl(
        "repo", "create", "sync-template", "--immutable", "--scan-on-push", "--lifecycle",
        str(policy),
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    root = f"{sandbox.host}/"  # "$(ecrctl uri)/": the registry's root
    refused = sandbox.ecrctl("sync", f"{one.host}/toecr/", root)
    assert refused.returncode == 3
    assert refused.stderr == (
        f"sync: 6 image(s) in 3 repositories\necrctl: destination repositories missing in "
        f"{sandbox.host}: alpha, beta, multi; pass --create to create them (--settings-from "
        "REPO to create them like REPO)\n"
    )
    done = sandbox.ecrctl(
        "sync", f"{one.host}/toecr/", root, "--create", "--settings-from", "sync-template",
        "-o", "json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert {v[2] for v in rows(done).values()} == {"copied"}
    assert (
        f"created repository alpha in {sandbox.host} (IMMUTABLE, scan on push on, AES256, "
        "lifecycle policy, like sync-template)"
    ) in done.stderr
    for repo in ("alpha", "beta", "multi"):
        found = sandbox.aws("ecr", "describe-repositories", "--repository-names", repo)
        assert found["repositories"][0]["imageTagMutability"] == "IMMUTABLE"
        assert found["repositories"][0]["imageScanningConfiguration"]["scanOnPush"] is True
        got = sandbox.aws("ecr", "get-lifecycle-policy", "--repository-name", repo)
        assert json.loads(got["lifecyclePolicyText"]) == json.loads(policy.read_text())
    listed = sandbox.aws("ecr", "describe-images", "--repository-name", "alpha")["imageDetails"]
    assert {i["imageDigest"] for i in listed} == {
        d for image, d in images.items() if image.startswith("alpha:")
    }
    again = sandbox.ecrctl("sync", f"{one.host}/toecr/", root, "-o", "json")
    assert again.returncode == 0 and {v[2] for v in rows(again).values()} == {"up-to-date"}

    # An immutable destination does not move a tag: that image fails, the rest stays.
    retag(one.host, "toecr/alpha", "1.0", "2.0")
    moved = sandbox.ecrctl("sync", f"{one.host}/toecr/", root, "-o", "json")
    assert moved.returncode == 1
    assert rows(moved)[f"{one.host}/toecr/alpha:2.0"][2] == "failed"
    assert "the destination repository is immutable" in moved.stderr

    # And out of ECR again, by the ECR API's listing.
    out = sandbox.ecrctl("sync", "alpha", f"{two.host}/from-ecr/alpha", "-o", "json")
    assert out.returncode == 0, out.stderr
    assert skopeo_digest(two.host, "from-ecr/alpha", "1.1") == images["alpha:1.1"]


def test_within_ecr_every_blob_is_mounted(sandbox: Sandbox) -> None:
    done = sandbox.ecrctl("sync", "team/", "copy-of/", "--create", "--repo", "web")
    assert done.returncode == 0, done.stderr
    summary = done.stderr.splitlines()[-1]
    assert "(3 copied); 0 B moved" in summary and "blob(s) mounted" in summary
    dry = sandbox.ecrctl("sync", "team/", "copy-of/", "--create", "--dry-run", "-o", "json")
    statuses = {s.split("/", 1)[1]: v[2] for s, v in rows(dry).items()}
    assert statuses["team/web:2.1.0"] == "up-to-date" and statuses["team/app:1.4.2"] == "planned"
    assert f"dry run: would create copy-of/app in {sandbox.host}" in dry.stderr
    assert "copy-of/app" not in sandbox.ecrctl("repo", "list").stdout


# -- Docker Hub: recorded listing, Bearer tokens, the pull limit --------------------------------
def test_docker_hub_namespace_listing_and_pull_limit(registries: Any, env: dict[str, str]) -> None:
    one, two = registries
    namespace(one.host, "connectedhome")
    names = ["alpha", "beta", "multi"]
    with HubApi({"connectedhome": names}) as api, RegistryProxy(one.host, hub=True) as hub:
        hub_env = {
            "ECRCTL_DOCKER_HUB_API": api.url,
            "ECRCTL_DOCKER_HUB_REGISTRY": hub.url,
            "ECRCTL_CONCURRENCY": "1",
        }
        missing = ecrctl("sync", "docker.io/nobody/", f"{two.host}/x/", env=env, extra=hub_env)
        assert missing.returncode == 3 and "Docker Hub has no namespace nobody" in missing.stderr
        api.take()

        hub.remaining = 3  # pulls left: two images start, the rest waits for the window
        done = ecrctl(
            "sync", "docker.io/connectedhome/", f"{two.host}/hub/", "-o", "json",
            env=env, extra=hub_env,
        )  # fmt: skip
        assert done.returncode == 1
        listing = [c for c in api.take() if "/namespaces/" in c.route]
        assert [c.query.get("page", ["1"])[0] for c in listing] == ["1", "2"]  # next followed
        statuses = {s: v[2] for s, v in rows(done).items()}
        assert statuses == {
            "docker.io/connectedhome/alpha:1.0": "copied",
            "docker.io/connectedhome/alpha:1.1": "copied",
            "docker.io/connectedhome/alpha:2.0": "failed",
            "docker.io/connectedhome/beta:1.0": "failed",
            "docker.io/connectedhome/beta:latest": "failed",
            "docker.io/connectedhome/multi:3.0": "failed",
        }
        assert hub.refused == 0  # stopped before the limit, not by 429s
        last = done.stderr.splitlines()[-1]
        assert (
            "pull limit is reached (1 of 100 pulls left in a 6 h window): 4 image(s) not " in last
        )
        assert "run the same command again later" in last

        hub.remaining = 100  # the window moved on
        again = ecrctl(
            "sync", "docker.io/connectedhome/", f"{two.host}/hub/", "-o", "json",
            env=env, extra=hub_env,
        )  # fmt: skip
        assert again.returncode == 0, again.stderr
        statuses = {s.rsplit("/", 1)[1]: v[2] for s, v in rows(again).items()}
        assert statuses.pop("alpha:1.0") == statuses.pop("alpha:1.1") == "up-to-date"
        assert set(statuses.values()) == {"copied"}
        # 2 + beta's one image + multi's index and two children: 5 pulls; latest shares 1.0's.
        assert hub.remaining == 100 - 5
        assert skopeo_digest(two.host, "hub/multi", "3.0") == skopeo_digest(
            one.host, "connectedhome/multi", "3.0"
        )

        # Nothing new: HEADs only, which Docker Hub does not count.
        quiet = ecrctl(
            "sync", "docker.io/connectedhome/", f"{two.host}/hub/", env=env, extra=hub_env
        )
        assert quiet.returncode == 0, quiet.stderr
        assert hub.remaining == 95


def test_platform_copies_that_platform_of_each_index_and_single_images_as_they_are(
    registries: Any, env: dict[str, str]
) -> None:
    one, two = registries
    images, _ = namespace(one.host, "plat")
    index = json.loads(
        subprocess.run(
            ["skopeo", "inspect", "--raw", "--tls-verify=false",
             f"docker://{one.host}/plat/multi:3.0"],
            capture_output=True, text=True, check=True, timeout=60,
        ).stdout
    )  # fmt: skip
    arm = next(m["digest"] for m in index["manifests"] if m["platform"]["architecture"] == "arm64")
    args = ("sync", f"{one.host}/plat/", f"{two.host}/plat/", "--platform", "linux/arm64")
    done = ecrctl(*args, "--repo", "multi", "--repo", "alpha", "-o", "json", env=env)
    assert done.returncode == 0, done.stderr
    got = {s.rsplit("/", 1)[1]: (v[1], v[2]) for s, v in rows(done).items()}
    assert got["multi:3.0"] == (arm, "copied")  # the platform's own digest
    assert got["alpha:1.0"] == (images["alpha:1.0"], "copied")  # no index: as it is
    assert skopeo_digest(two.host, "plat/multi", "3.0") == arm
    again = ecrctl(*args, "--repo", "multi", "--repo", "alpha", "-o", "json", env=env)
    assert {v[2] for v in rows(again).values()} == {"up-to-date"}, again.stderr
