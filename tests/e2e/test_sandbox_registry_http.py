"""The sandbox registry's distribution API request by request (a small raw HTTP client): chunked
uploads, resumes, mounts, HEAD, DELETE, referrers and the spec's errors, each as a client
relies on it."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.sandbox_process import Sandbox, running_sandbox

pytestmark = pytest.mark.e2e

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
EMPTY_CONFIG = "application/vnd.oci.empty.v1+json"


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def code(answer: Any) -> str:
    return str(json.loads(answer.data)["errors"][0]["code"])


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    with running_sandbox(tmp_path_factory.mktemp("home"), "--seed") as running:
        assert running.ecrctl("repo", "create", "raw/one").returncode == 0
        assert running.ecrctl("repo", "create", "raw/two").returncode == 0
        yield running


@pytest.fixture(scope="module")
def auth(sandbox: Sandbox) -> dict[str, str]:
    return sandbox.auth()


def upload(sandbox: Sandbox, auth: dict[str, str], repo: str, data: bytes) -> str:
    done = sandbox.request(
        "POST", f"/v2/{repo}/blobs/uploads/?digest={digest_of(data)}", body=data, headers=auth
    )
    assert done.status == 201, done.data
    return digest_of(data)


def test_chunked_upload_in_order_resumable_and_checked(
    sandbox: Sandbox, auth: dict[str, str]
) -> None:
    data = os.urandom(300_000)
    started = sandbox.request("POST", "/v2/raw/one/blobs/uploads/", headers=auth)
    assert started.status == 202 and started.headers["Range"] == "0-0"
    location = started.headers["Location"]
    first = sandbox.request(
        "PATCH", location, body=data[:100_000], headers={**auth, "Content-Range": "0-99999"}
    )
    assert (first.status, first.headers["Range"]) == (202, "0-99999")
    # A chunk that does not start where the upload ends: 416, and where it does end.
    gap = sandbox.request(
        "PATCH", location, body=data[150_000:], headers={**auth, "Content-Range": "150000-299999"}
    )
    assert gap.status == 416 and gap.headers["Range"] == "0-99999"
    # A client that lost track asks (GET), then goes on from there.
    status = sandbox.request("GET", location, headers=auth)
    assert (status.status, status.headers["Range"]) == (204, "0-99999")
    rest = sandbox.request(
        "PATCH", location, body=data[100_000:], headers={**auth, "Content-Range": "100000-299999"}
    )
    assert rest.status == 202
    closed = sandbox.request("PUT", f"{location}?digest={digest_of(data)}", headers=auth)
    assert closed.status == 201 and closed.headers["Docker-Content-Digest"] == digest_of(data)
    got = sandbox.request("GET", f"/v2/raw/one/blobs/{digest_of(data)}", headers=auth)
    assert got.data == data


def test_a_wrong_digest_is_refused_and_nothing_is_stored(
    sandbox: Sandbox, auth: dict[str, str]
) -> None:
    data, claimed = b"these bytes", digest_of(b"other bytes")
    started = sandbox.request("POST", "/v2/raw/one/blobs/uploads/", headers=auth)
    location = started.headers["Location"]
    closed = sandbox.request("PUT", f"{location}?digest={claimed}", body=data, headers=auth)
    assert (closed.status, code(closed)) == (400, "DIGEST_INVALID")
    assert sandbox.request("HEAD", f"/v2/raw/one/blobs/{claimed}", headers=auth).status == 404
    gone = sandbox.request("GET", location, headers=auth)
    assert (gone.status, code(gone)) == (404, "BLOB_UPLOAD_UNKNOWN")


def test_blobs_belong_to_a_repository_until_mounted(sandbox: Sandbox, auth: dict[str, str]) -> None:
    data = os.urandom(2000)
    digest = upload(sandbox, auth, "raw/one", data)
    head = sandbox.request("HEAD", f"/v2/raw/one/blobs/{digest}", headers=auth)
    assert head.status == 200 and head.headers["Content-Length"] == "2000" and head.data == b""
    missing = sandbox.request("GET", f"/v2/raw/two/blobs/{digest}", headers=auth)
    assert (missing.status, code(missing)) == (404, "BLOB_UNKNOWN")
    mount = f"/v2/raw/two/blobs/uploads/?mount={digest}&from=raw/one"
    mounted = sandbox.request("POST", mount, headers=auth)
    assert mounted.status == 201 and mounted.headers["Location"] == f"/v2/raw/two/blobs/{digest}"
    ranged = sandbox.request(
        "GET", f"/v2/raw/two/blobs/{digest}", headers={**auth, "Range": "bytes=1000-"}
    )
    assert (ranged.status, ranged.data) == (206, data[1000:])
    assert ranged.headers["Content-Range"] == "bytes 1000-1999/2000"
    # A mount from where the blob is not opens an upload instead (202), as the spec says.
    unknown = digest_of(b"nowhere")
    fallback = sandbox.request(
        "POST", f"/v2/raw/two/blobs/uploads/?mount={unknown}&from=raw/one", headers=auth
    )
    assert fallback.status == 202 and "/blobs/uploads/" in fallback.headers["Location"]
    deleted = sandbox.request("DELETE", f"/v2/raw/two/blobs/{digest}", headers=auth)
    assert deleted.status == 202
    assert sandbox.request("HEAD", f"/v2/raw/two/blobs/{digest}", headers=auth).status == 404
    assert sandbox.request("HEAD", f"/v2/raw/one/blobs/{digest}", headers=auth).status == 200


def image(sandbox: Sandbox, auth: dict[str, str], repo: str, **extra: Any) -> bytes:
    config = upload(sandbox, auth, repo, b"{}")
    layer = upload(sandbox, auth, repo, os.urandom(500))
    doc = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": EMPTY_CONFIG, "digest": config, "size": 2},
        "layers": [{"mediaType": "application/octet-stream", "digest": layer, "size": 500}],
        **extra,
    }
    return json.dumps(doc, indent=2).encode()


def test_manifest_put_get_head_delete_and_the_ecr_api_agrees(
    sandbox: Sandbox, auth: dict[str, str]
) -> None:
    data = image(sandbox, auth, "raw/one")
    digest = digest_of(data)
    headers = {**auth, "Content-Type": OCI_MANIFEST}
    put = sandbox.request("PUT", "/v2/raw/one/manifests/m1", body=data, headers=headers)
    assert put.status == 201 and put.headers["Docker-Content-Digest"] == digest
    head = sandbox.request("HEAD", "/v2/raw/one/manifests/m1", headers=auth)
    assert head.status == 200 and head.data == b""
    assert head.headers["Content-Type"] == OCI_MANIFEST
    assert head.headers["Content-Length"] == str(len(data))
    got = sandbox.request("GET", f"/v2/raw/one/manifests/{digest}", headers=auth)
    assert got.data == data
    tags = sandbox.request("GET", "/v2/raw/one/tags/list", headers=auth)
    assert json.loads(tags.data) == {"name": "raw/one", "tags": ["m1"]}
    assert sandbox.ecrctl("-o", "text", "tags", "raw/one").stdout == "m1\n"
    deleted = sandbox.request("DELETE", f"/v2/raw/one/manifests/{digest}", headers=auth)
    assert deleted.status == 202
    gone = sandbox.request("GET", "/v2/raw/one/manifests/m1", headers=auth)
    assert (gone.status, code(gone)) == (404, "MANIFEST_UNKNOWN")
    assert sandbox.ecrctl("tags", "raw/one").stdout == ""


def test_delete_of_a_manifest_an_index_references_is_refused(
    sandbox: Sandbox, auth: dict[str, str]
) -> None:
    """As ECR's BatchDeleteImage (ImageReferencedByManifestList): the index would dangle."""
    data = image(sandbox, auth, "raw/two")
    child = digest_of(data)
    headers = {**auth, "Content-Type": OCI_MANIFEST}
    assert (
        sandbox.request("PUT", f"/v2/raw/two/manifests/{child}", body=data, headers=headers).status
        == 201
    )
    entry = {"mediaType": OCI_MANIFEST, "digest": child, "size": len(data)}
    index = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [entry]}).encode()
    put = sandbox.request(
        "PUT",
        "/v2/raw/two/manifests/multi",
        body=index,
        headers={**auth, "Content-Type": OCI_INDEX},
    )
    assert put.status == 201, put.data
    refused = sandbox.request("DELETE", f"/v2/raw/two/manifests/{child}", headers=auth)
    assert (refused.status, code(refused)) == (405, "UNSUPPORTED")
    assert b"ImageReferencedByManifestList" in refused.data
    assert sandbox.request("GET", f"/v2/raw/two/manifests/{child}", headers=auth).status == 200
    gone = sandbox.request("DELETE", f"/v2/raw/two/manifests/{digest_of(index)}", headers=auth)
    assert gone.status == 202
    assert sandbox.request("DELETE", f"/v2/raw/two/manifests/{child}", headers=auth).status == 202


def test_manifests_that_cannot_be_taken_get_the_specs_errors(
    sandbox: Sandbox, auth: dict[str, str]
) -> None:
    headers = {**auth, "Content-Type": OCI_MANIFEST}
    data = image(sandbox, auth, "raw/one")
    by_digest = f"/v2/raw/one/manifests/{digest_of(b'not these bytes')}"
    wrong = sandbox.request("PUT", by_digest, body=data, headers=headers)
    assert (wrong.status, code(wrong)) == (400, "DIGEST_INVALID")
    # Its blobs are in raw/one, not in raw/two: a manifest may name only blobs that are there.
    lacking = sandbox.request("PUT", "/v2/raw/two/manifests/x", body=data, headers=headers)
    assert (lacking.status, code(lacking)) == (404, "MANIFEST_BLOB_UNKNOWN")
    bad = sandbox.request("PUT", "/v2/raw/one/manifests/x", body=b"{nope", headers=headers)
    assert (bad.status, code(bad)) == (400, "MANIFEST_INVALID")
    nameless = sandbox.request("GET", "/v2/no/such/manifests/latest", headers=auth)
    assert (nameless.status, code(nameless)) == (404, "NAME_UNKNOWN")
    # tools/ci is immutable: its 3.19 keeps its image, as ECR answers a docker push.
    seeded = sandbox.request("GET", "/v2/tools/ci/manifests/3.20", headers=auth)
    moved = sandbox.request(
        "PUT",
        "/v2/tools/ci/manifests/3.19",
        body=seeded.data,
        headers={**auth, "Content-Type": seeded.headers["Content-Type"]},
    )
    assert (moved.status, code(moved)) == (400, "TAG_INVALID")
    assert "immutable" in json.loads(moved.data)["errors"][0]["message"]


def test_referrers_lists_what_names_a_subject(sandbox: Sandbox, auth: dict[str, str]) -> None:
    subject = sandbox.request("GET", "/v2/team/app/manifests/1.4.2", headers=auth)
    descriptor = {
        "mediaType": subject.headers["Content-Type"],
        "digest": subject.headers["Docker-Content-Digest"],
        "size": len(subject.data),
    }
    data = image(
        sandbox,
        auth,
        "team/app",
        artifactType="application/vnd.example.sbom",
        subject=descriptor,
        annotations={"org.example": "yes"},
    )
    put = sandbox.request(
        "PUT",
        f"/v2/team/app/manifests/{digest_of(data)}",
        body=data,
        headers={**auth, "Content-Type": OCI_MANIFEST},
    )
    assert put.status == 201 and put.headers["OCI-Subject"] == descriptor["digest"]
    listed = sandbox.request("GET", f"/v2/team/app/referrers/{descriptor['digest']}", headers=auth)
    assert listed.status == 200 and listed.headers["Content-Type"] == OCI_INDEX
    assert json.loads(listed.data)["manifests"] == [
        {
            "mediaType": OCI_MANIFEST,
            "digest": digest_of(data),
            "size": len(data),
            "artifactType": "application/vnd.example.sbom",
            "annotations": {"org.example": "yes"},
        }
    ]
    other = sandbox.request(
        "GET",
        f"/v2/team/app/referrers/{descriptor['digest']}?artifactType=application/x.sig",
        headers=auth,
    )
    assert json.loads(other.data)["manifests"] == []
    assert other.headers["OCI-Filters-Applied"] == "artifactType"


def test_tags_list_pages_with_a_link(sandbox: Sandbox, auth: dict[str, str]) -> None:
    first = sandbox.request("GET", "/v2/team/app/tags/list?n=2", headers=auth)
    assert json.loads(first.data)["tags"] == ["1.0.10", "1.0.9"]
    link = first.headers["Link"]
    assert link == '</v2/team/app/tags/list?n=2&last=1.0.9>; rel="next"'
    second = sandbox.request("GET", link[1 : link.index(">")], headers=auth)
    assert json.loads(second.data)["tags"] == ["1.4.2", "1.4.3"]


def test_aws_rest_apis_under_v2_still_reach_moto(sandbox: Sandbox, tmp_path: Path) -> None:
    """API Gateway v2 lives under /v2/ too; its signed requests are not the registry's."""
    done = sandbox.aws("apigatewayv2", "get-apis")
    assert done == {"Items": []}
