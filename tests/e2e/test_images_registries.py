"""Images without a daemon, through the installed ``ecrctl`` against a real ``docker-registry``,
with skopeo as the independent reader: ``digest`` and ``inspect`` agree with skopeo, and
``copy`` writes OCI layouts and docker archives that skopeo reads (and reads skopeo's)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests import oci_registries
from tests.conftest import ecrctl_command
from tests.oci_images import push_real_image
from tests.oci_registries import push_image, push_index, skopeo_digest

registries = oci_registries.registries  # the session fixture: two registries
pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("registries")]


class Ran:
    def __init__(self, done: subprocess.CompletedProcess[bytes]) -> None:
        self.code, self.out, self.err = done.returncode, done.stdout, done.stderr.decode()

    @property
    def text(self) -> str:
        return self.out.decode()

    def json(self) -> Any:
        return json.loads(self.out)


def ecrctl(*args: str, cwd: Path | None = None) -> Ran:
    done = subprocess.run(
        [*ecrctl_command(), *args], capture_output=True, timeout=120, cwd=cwd, check=False
    )
    ran = Ran(done)
    assert "Traceback" not in ran.err, ran.err
    return ran


def skopeo(*args: str) -> bytes:
    return subprocess.run(["skopeo", *args], capture_output=True, check=True, timeout=120).stdout


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


# -- digest and inspect ---------------------------------------------------------------------
def test_digest_is_skopeos_digest_and_no_tag_means_latest(registries: Any) -> None:
    one, _ = registries
    digest, _ = push_real_image(one.host, "dg/app", "latest", [2000])
    ran = ecrctl("digest", f"{one.host}/dg/app")
    assert ran.code == 0, ran.err
    assert ran.text == digest + "\n" == skopeo_digest(one.host, "dg/app", "latest") + "\n"
    assert ecrctl("digest", f"{one.host}/dg/app:nope").code == 3


def test_digest_of_an_index_and_of_one_platform(registries: Any) -> None:
    one, _ = registries
    _, amd = push_real_image(one.host, "dgm", None, [100], arch="amd64")
    arm, arm_desc = push_real_image(one.host, "dgm", None, [100], arch="arm64")
    index = push_index(one.host, "dgm", "2", [amd, arm_desc])
    assert ecrctl("digest", f"{one.host}/dgm:2").text.strip() == index
    ran = ecrctl("digest", f"{one.host}/dgm:2", "--platform", "linux/arm64")
    assert ran.code == 0 and ran.text.strip() == arm
    missing = ecrctl("digest", f"{one.host}/dgm:2", "--platform", "linux/s390x")
    assert missing.code == 3 and "linux/amd64, linux/arm64" in missing.err
    assert ecrctl("digest", f"{one.host}/dgm:2", "--platform", "linux").code == 2


def test_platform_of_a_single_image_is_checked_against_its_config(
    registries: Any, tmp_path: Path
) -> None:
    """``--platform`` on an image that is no index: itself when its config names that platform
    (as ``docker pull --platform``), exit 3 naming both platforms when not; alike in digest,
    inspect and copy (to a registry and to a docker archive)."""
    one, two = registries
    digest, _ = push_real_image(one.host, "single/app", "1.4.2", [100], arch="amd64")
    src = f"{one.host}/single/app:1.4.2"
    assert ecrctl("digest", src).text == digest + "\n"
    ran = ecrctl("digest", src, "--platform", "linux/amd64")
    assert (ran.code, ran.text, ran.err) == (0, digest + "\n", "")
    doc = ecrctl("-o", "json", "inspect", src, "--platform", "linux/amd64").json()
    assert (doc["digest"], doc["index"], doc["platform"]) == (digest, None, "linux/amd64")
    assert doc["config"]["architecture"] == "amd64"
    copied = ecrctl("copy", src, f"{two.host}/single/app:amd", "--platform", "linux/amd64")
    assert copied.code == 0, copied.err
    assert "platform's digest" not in copied.err  # no index was left behind
    assert skopeo_digest(two.host, "single/app", "amd") == digest
    archive = tmp_path / "one.tar"
    to_archive = ecrctl("copy", src, f"docker-archive:{archive}", "--platform", "linux/amd64")
    assert to_archive.code == 0, to_archive.err
    assert json.loads(skopeo("inspect", f"docker-archive:{archive}"))["Architecture"] == "amd64"
    wrong = f"{src} is linux/amd64, not linux/arm64\n"  # after "ecrctl: "
    for command in ("digest", "inspect"):
        ran = ecrctl(command, src, "--platform", "linux/arm64")
        assert (ran.code, ran.out, ran.err) == (3, b"", "ecrctl: " + wrong)
    ran = ecrctl("copy", src, f"{two.host}/single/app:arm", "--platform", "linux/arm64")
    assert (ran.code, ran.out, ran.err) == (3, b"", "ecrctl: source " + wrong)
    assert skopeo_ok(two.host, "single/app:arm") is False
    variant = ecrctl("digest", src, "--platform", "linux/amd64/v3")
    assert variant.code == 3 and "is linux/amd64, not linux/amd64/v3" in variant.err


def skopeo_ok(host: str, image: str) -> bool:
    done = subprocess.run(
        ["skopeo", "inspect", "--raw", "--tls-verify=false", f"docker://{host}/{image}"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    return done.returncode == 0


def test_inspect_json_raw_and_config(registries: Any) -> None:
    one, _ = registries
    digest, _ = push_real_image(one.host, "insp/app", "1", [1000, 3000])
    ran = ecrctl("-o", "json", "inspect", f"{one.host}/insp/app:1")
    assert ran.code == 0, ran.err
    doc = ran.json()
    theirs = json.loads(skopeo("inspect", "--tls-verify=false", f"docker://{one.host}/insp/app:1"))
    assert doc["digest"] == digest == theirs["Digest"]
    assert [layer["digest"] for layer in doc["layers"]] == theirs["Layers"]
    config = doc["config"]
    assert (config["os"], config["architecture"], config["created"]) == (
        "linux",
        "amd64",
        theirs["Created"],
    )
    assert config["entrypoint"] == ["/bin/app"] and config["cmd"] == ["--serve"]
    assert config["env"] == theirs["Env"] and config["labels"] == theirs["Labels"]
    assert (config["user"], config["workingDir"]) == ("1000", "/srv")
    assert doc["referrers"] == [] and doc["platforms"] == []
    raw = ecrctl("inspect", f"{one.host}/insp/app:1", "--raw")
    assert raw.code == 0 and sha(raw.out) == digest
    blob = ecrctl("inspect", f"{one.host}/insp/app:1", "--config")
    their_config = skopeo(
        "inspect", "--config", "--raw", "--tls-verify=false", f"docker://{one.host}/insp/app:1"
    )
    assert blob.code == 0 and blob.out == their_config


def test_inspect_an_index_lists_platforms_and_its_referrers(registries: Any) -> None:
    one, _ = registries
    amd, amd_desc = push_real_image(one.host, "insi", None, [100], arch="amd64")
    arm, arm_desc = push_real_image(one.host, "insi", None, [100], arch="arm64")
    index = push_index(one.host, "insi", "3", [amd_desc, arm_desc])
    doc = ecrctl("-o", "json", "inspect", f"{one.host}/insi:3").json()
    assert doc["digest"] == index and doc["config"] is None
    assert [(p["platform"], p["digest"]) for p in doc["platforms"]] == [
        ("linux/amd64", amd),
        ("linux/arm64", arm),
    ]
    table = ecrctl("-o", "table", "inspect", f"{one.host}/insi:3")
    assert index in table.text and "linux/arm64" in table.text
    child = ecrctl("-o", "json", "inspect", f"{one.host}/insi:3", "--platform", "linux/arm64")
    assert child.json()["digest"] == arm and child.json()["index"] == index
    no_config = ecrctl("inspect", f"{one.host}/insi:3", "--config")
    assert no_config.code == 2 and "--platform" in no_config.err
    # A signature in the referrers tag schema (distribution 2.8 has no referrers API).
    subject = {"mediaType": amd_desc["mediaType"], "digest": amd, "size": amd_desc["size"]}
    sig, sig_desc = push_image(
        one.host, "insi", None, [b"sig"], subject=subject, artifact="application/x.sig"
    )
    push_index(one.host, "insi", "sha256-" + amd[7:], [sig_desc])
    signed = ecrctl("-o", "json", "inspect", f"{one.host}/insi@{amd}").json()
    assert [(r["digest"], r["artifactType"]) for r in signed["referrers"]] == [
        (sig, "application/x.sig")
    ]


# -- copy to and from an OCI layout ---------------------------------------------------------
def test_copy_to_a_layout_skopeo_reads_it_and_back_keeps_the_digest(
    registries: Any, tmp_path: Path
) -> None:
    one, two = registries
    digest, _ = push_real_image(one.host, "lay/app", "1.0", [5000, 7000])
    layout = tmp_path / "layout"
    ran = ecrctl("copy", f"{one.host}/lay/app:1.0", f"oci:{layout}:v1")
    assert ran.code == 0, ran.err
    assert f"oci:{layout}:v1 now names {digest}" in ran.err
    assert json.loads(skopeo("inspect", f"oci:{layout}:v1"))["Digest"] == digest
    assert ecrctl("digest", f"oci:{layout}:v1").text.strip() == digest
    # another tag in the same layout: blobs already there are not written again
    again = ecrctl("-o", "json", "copy", f"{one.host}/lay/app:1.0", f"oci:{layout}:v2")
    assert {b["status"] for b in again.json()["blobs"]} == {"present"}
    back = ecrctl("copy", f"oci:{layout}:v2", f"{two.host}/lay/back:1")
    assert back.code == 0, back.err
    assert skopeo_digest(two.host, "lay/back", "1") == digest
    left = [p.name for p in (layout / "blobs" / "sha256").iterdir() if p.name.startswith(".")]
    assert left == []


def test_copy_from_a_layout_skopeo_wrote(registries: Any, tmp_path: Path) -> None:
    one, two = registries
    _, amd = push_real_image(one.host, "skl", None, [800], arch="amd64")
    _, arm = push_real_image(one.host, "skl", None, [900], arch="arm64")
    index = push_index(one.host, "skl", "1", [amd, arm])
    skopeo(
        "copy", "--all", "--src-tls-verify=false", f"docker://{one.host}/skl:1",
        f"oci:{tmp_path}/sk:one",
    )  # fmt: skip
    ran = ecrctl("-o", "json", "copy", f"oci:{tmp_path}/sk:one", f"{two.host}/skl:1")
    assert ran.code == 0, ran.err
    assert ran.json()["digest"] == index == skopeo_digest(two.host, "skl", "1")
    assert ecrctl("digest", f"oci:{tmp_path}/sk").text.strip() == index  # its only image


# -- copy to and from a docker archive --------------------------------------------------------
def test_copy_to_an_archive_skopeo_reads_it_and_ecrctl_reads_it_back(
    registries: Any, tmp_path: Path
) -> None:
    one, two = registries
    digest, _ = push_real_image(one.host, "arc/app", "2", [4000, 6000])
    out = tmp_path / "out"
    out.mkdir()
    archive = out / "app.tar"
    ran = ecrctl("copy", f"{one.host}/arc/app:2", f"docker-archive:{archive}:arc/app:2")
    assert ran.code == 0, ran.err
    theirs = json.loads(skopeo("inspect", f"docker-archive:{archive}"))
    source = json.loads(skopeo("inspect", "--tls-verify=false", f"docker://{one.host}/arc/app:2"))
    assert theirs["Created"] == source["Created"] and theirs["Env"] == source["Env"]
    assert len(theirs["Layers"]) == 2
    assert [p.name for p in out.iterdir()] == ["app.tar"]  # no temporary file left
    back = ecrctl("-o", "json", "copy", f"docker-archive:{archive}:arc/app:2", f"{two.host}/arc:2")
    assert back.code == 0, back.err
    built = back.json()["digest"]
    assert built in back.err and skopeo_digest(two.host, "arc", "2") == built
    # the layers are the source's, byte for byte: only the manifest is new
    layers = [b["digest"] for b in back.json()["blobs"]]
    assert set(
        json.loads(skopeo("inspect", "--tls-verify=false", f"docker://{one.host}/arc/app:2"))[
            "Layers"
        ]
    ) <= set(layers)
    assert digest != built


def test_copy_from_an_archive_skopeo_wrote(registries: Any, tmp_path: Path) -> None:
    one, two = registries
    push_real_image(one.host, "ska/app", "1", [3000, 1000])
    archive = tmp_path / "sk.tar"
    skopeo(
        "copy", "--src-tls-verify=false", f"docker://{one.host}/ska/app:1",
        f"docker-archive:{archive}:ska/app:1",
    )  # fmt: skip
    ran = ecrctl("-o", "json", "copy", f"docker-archive:{archive}:ska/app:1", f"{two.host}/ska")
    assert ran.code == 0, ran.err
    doc = ran.json()
    assert doc["destination"] == f"{two.host}/ska:1"  # a repository keeps the archive's tag
    assert skopeo_digest(two.host, "ska", "1") == doc["digest"]
    media = {b["mediaType"] for b in doc["blobs"]}
    assert "application/vnd.docker.image.rootfs.diff.tar" in media  # skopeo's: uncompressed
    pulled = json.loads(skopeo("inspect", "--tls-verify=false", f"docker://{two.host}/ska:1"))
    assert pulled["Layers"] == json.loads(skopeo("inspect", f"docker-archive:{archive}"))["Layers"]


def test_an_index_to_an_archive_needs_a_platform(registries: Any, tmp_path: Path) -> None:
    one, _ = registries
    _, amd = push_real_image(one.host, "arcm", None, [100], arch="amd64")
    _, arm = push_real_image(one.host, "arcm", None, [100], arch="arm64")
    push_index(one.host, "arcm", "1", [amd, arm])
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    ran = ecrctl("copy", f"{one.host}/arcm:1", f"docker-archive:{tmp_path}/m.tar")
    assert ran.code == 2 and "--platform" in ran.err and "linux/arm64" in ran.err
    assert list(tmp_path.iterdir()) == []
    one_arch = ecrctl(
        "copy",
        f"{one.host}/arcm:1",
        f"docker-archive:{tmp_path}/m.tar",
        "--platform",
        "linux/arm64",
    )
    assert one_arch.code == 0, one_arch.err
    assert (
        json.loads(skopeo("inspect", f"docker-archive:{tmp_path}/m.tar"))["Architecture"] == "arm64"
    )


# -- a bad layout or archive: exit 2, naming the file and what is wrong -----------------------
def test_bad_layouts_and_archives_exit_2_naming_what_is_wrong(
    registries: Any, tmp_path: Path
) -> None:
    one, two = registries
    push_real_image(one.host, "bad/app", "1", [2000])
    layout = tmp_path / "l"
    assert ecrctl("copy", f"{one.host}/bad/app:1", f"oci:{layout}:1").code == 0
    cases: list[tuple[str, str]] = []
    missing_tag = ecrctl("copy", f"oci:{layout}:2", f"{two.host}/bad:1")
    cases.append((missing_tag.err, "no image tagged 2 (tags: 1)"))
    not_layout = ecrctl("copy", f"oci:{tmp_path}", f"{two.host}/bad:1")
    cases.append((not_layout.err, "not an OCI image layout (no oci-layout file)"))
    (layout / "index.json").write_text("{not json")
    bad_json = ecrctl("copy", f"oci:{layout}:1", f"{two.host}/bad:1")
    cases.append((bad_json.err, "index.json: not valid JSON"))
    (layout / "index.json").unlink()
    no_index = ecrctl("digest", f"oci:{layout}:1")
    cases.append((no_index.err, "no index.json"))
    not_tar = tmp_path / "x.tar"
    not_tar.write_bytes(b"hello" * 300)
    cases.append((ecrctl("inspect", f"docker-archive:{not_tar}").err, "not a tar archive"))
    for err, what in cases:
        assert what in err, err
        assert err.startswith("ecrctl: ") and err.count("\n") == 1
    for ran in (missing_tag, not_layout, bad_json, no_index):
        assert ran.code == 2


def test_a_corrupt_blob_in_a_layout_is_refused(registries: Any, tmp_path: Path) -> None:
    one, two = registries
    push_real_image(one.host, "rot/app", "1", [50_000])
    layout = tmp_path / "l"
    assert ecrctl("copy", f"{one.host}/rot/app:1", f"oci:{layout}:1").code == 0
    biggest = max((layout / "blobs" / "sha256").iterdir(), key=lambda p: p.stat().st_size)
    data = bytearray(biggest.read_bytes())
    data[100] ^= 0xFF
    os.chmod(biggest, 0o644)
    biggest.write_bytes(bytes(data))
    ran = ecrctl("copy", f"oci:{layout}:1", f"{two.host}/rot:1")
    assert ran.code == 2, ran.err
    assert f"blob sha256:{biggest.name} does not match its digest" in ran.err
    assert not oci_registries.manifest_exists(two.host, "rot", "1")


def test_copy_without_tags_means_latest(registries: Any) -> None:
    one, two = registries
    digest, _ = push_real_image(one.host, "lt/x", "latest", [100])
    ran = ecrctl("-o", "json", "copy", f"{one.host}/lt/x", f"{two.host}/lt/y")
    assert ran.code == 0, ran.err
    assert ran.json()["tag"] == "latest"
    assert skopeo_digest(two.host, "lt/y", "latest") == digest


def test_a_tag_the_layout_lacks_is_the_same_error_for_digest_inspect_and_copy(
    registries: Any, tmp_path: Path
) -> None:
    # README: a bad layout (… a tag it lacks …) exits 2 naming the file; `digest` once said
    # "not found (on source …)" with exit 3 where `inspect` and `copy` said this.
    one, two = registries
    push_real_image(one.host, "tl/app", "1", [300])
    layout = tmp_path / "l"
    assert ecrctl("copy", f"{one.host}/tl/app:1", f"oci:{layout}:1").code == 0
    for args in (
        ("digest", f"oci:{layout}:2"),
        ("digest", f"oci:{layout}:2", "--platform", "linux/amd64"),
        ("inspect", f"oci:{layout}:2"),
        ("copy", f"oci:{layout}:2", f"{two.host}/tl:1"),
    ):
        ran = ecrctl(*args)
        assert (ran.code, ran.out) == (2, b""), (args, ran.err)
        assert ran.err == f"ecrctl: oci:{layout}: no image tagged 2 (tags: 1)\n", args


def test_digest_and_inspect_name_the_image_not_a_source(registries: Any) -> None:
    # `source` is copy's word; digest and inspect take one IMAGE.
    one, _ = registries
    for command in ("digest", "inspect"):
        ran = ecrctl(command, f"{one.host}/x:bad tag")
        assert ran.code == 2, ran.err
        assert ran.err.startswith(f"ecrctl: image '{one.host}/x:bad tag': invalid tag"), ran.err


def _digest_into(stdout: int, *args: str) -> Ran:
    done = subprocess.run(
        [*ecrctl_command(), *args], stdout=stdout, stderr=subprocess.PIPE, timeout=120, check=False
    )
    return Ran(done)


def test_digest_to_a_full_disk_or_a_reader_that_left_is_one_line_not_a_traceback(
    registries: Any,
) -> None:
    # `digest HOST/REPO:TAG` off ECR runs without the app (cli/fastdigest.py); its write must
    # fail as the app's does: ENOSPC one line, exit 1; a reader that left (EPIPE) exit 0, silent.
    one, _ = registries
    push_real_image(one.host, "full/app", "1", [100])
    image = f"{one.host}/full/app:1"
    for args in (("digest", image), ("digest", image, "-o", "text")):  # fast path, then the app
        with open("/dev/full", "wb") as full:
            ran = _digest_into(full.fileno(), *args)
        assert (ran.code, ran.err) == (1, "ecrctl: No space left on device\n"), (args, ran.err)
        read, write = os.pipe()
        os.close(read)
        try:
            ran = _digest_into(write, *args)
        finally:
            os.close(write)
        assert (ran.code, ran.err) == (0, ""), (args, ran.err)


def test_query_with_raw_or_config_is_refused_not_ignored(registries: Any) -> None:
    # --raw and --config print bytes as stored; --query is JMESPath over the JSON document,
    # which they do not print: refused before any request (the registry is never asked).
    for flag in ("--raw", "--config"):
        ran = ecrctl("inspect", "127.0.0.1:1/x:1", flag, "--query", "digest")
        assert (ran.code, ran.out) == (2, b""), ran.err
        assert ran.err == f"ecrctl: --query does not apply to {flag} (it prints bytes as stored)\n"
