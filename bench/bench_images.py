"""Images without a daemon, beside skopeo: copy from an OCI layout into a local registry, and
``digest`` against ``skopeo inspect --format {{.Digest}}``.

    python bench/bench_images.py [--mb 200]

An OCI image layout of three random layers (incompressible; gzip level 1), ~200 MB in all;
two plain-HTTP `docker-registry` instances on 127.0.0.1, one for each tool, so neither finds
the other's blobs. One run of each copy (the machine is shared; the load average is printed);
``digest`` and ``skopeo inspect`` are the median of 5 runs each. Wall and CPU time of each
whole command, and the peak memory of the ecrctl process (VmHWM, read as it exits).
Targets: copy <= 1.0x skopeo, digest <= 1.0x skopeo, ecrctl peak RSS <= 100 MB.

Before each copy the page cache is written out (``os.sync``): docker-registry fsyncs every blob
it stores, so the tool that ran second used to pay for the first one's 200 MB still being
written back to the same disk (it was always ecrctl).
"""

from __future__ import annotations

import argparse
import compileall
import gzip
import hashlib
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_copy import _PEAK, timed
from tests.oci_registries import start_registry, stop_registry

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def random_gzip(size: int) -> bytes:
    """A gzip stream of random bytes (about ``size`` long): incompressible, and what its media
    type says (a layer that is not gzip would be compressed by skopeo on the way)."""
    return gzip.compress(os.urandom(size), compresslevel=1, mtime=0)


def write_layout(root: Path, total: int) -> str:
    """An OCI layout of 3 random layers of ``total`` bytes in all, tagged 1; its digest."""
    blobs = root / "blobs" / "sha256"
    blobs.mkdir(parents=True)

    def blob(data: bytes) -> dict[str, object]:
        digest = hashlib.sha256(data).hexdigest()
        (blobs / digest).write_bytes(data)
        return {"digest": f"sha256:{digest}", "size": len(data)}

    layers = [
        {
            "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
            **blob(random_gzip(total // 3)),
        }
        for _ in range(3)
    ]
    config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers"}})
    doc = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            **blob(config.encode()),
        },
        "layers": layers,
    }
    manifest = blob(json.dumps(doc).encode())
    index = {
        "schemaVersion": 2,
        "manifests": [
            {
                "mediaType": OCI_MANIFEST,
                **manifest,
                "annotations": {"org.opencontainers.image.ref.name": "1"},
            }
        ],
    }
    (root / "index.json").write_text(json.dumps(index))
    (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    return str(manifest["digest"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=200)
    args = parser.parse_args()
    for tool in ("docker-registry", "skopeo"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed (apt-get install docker-registry skopeo)")
    compileall.compile_dir(Path(__file__).resolve().parents[1] / "ecrctl", quiet=1)
    ecrctl = [sys.executable, "-c", _PEAK]
    base = Path(tempfile.mkdtemp(prefix="bench-images-"))
    one, two = start_registry(base / "one"), start_registry(base / "two")
    try:
        digest = write_layout(base / "layout", args.mb * 1_000_000)
        layout = f"oci:{base / 'layout'}:1"
        os.sync()
        s_sec, s_cpu, _, _ = timed(
            ["skopeo", "copy", "-q", "--dest-tls-verify=false", layout, f"docker://{two.host}/b:1"]
        )
        os.sync()
        e_sec, e_cpu, e_rss, out = timed([*ecrctl, "copy", layout, f"{one.host}/b:1", "-o", "json"])
        assert json.loads(out)["verifiedDigest"] == digest
        rows = [("copy oci: -> registry", e_sec, s_sec, e_cpu, s_cpu, e_rss)]

        ours, theirs, peaks = [], [], []
        for _ in range(5):
            sec, cpu, rss, out = timed([*ecrctl, "digest", f"{one.host}/b:1"])
            assert out.strip() == digest
            ours.append((sec, cpu))
            peaks.append(rss)
            sec, cpu, _, out = timed(
                ["skopeo", "inspect", "--tls-verify=false", "--format", "{{.Digest}}",
                 f"docker://{two.host}/b:1"]
            )  # fmt: skip
            assert out.strip() == digest, f"skopeo stored {out.strip()}, not {digest}"
            theirs.append((sec, cpu))
        rows.append(
            (
                "digest (median of 5)",
                statistics.median(s for s, _ in ours),
                statistics.median(s for s, _ in theirs),
                statistics.median(c for _, c in ours),
                statistics.median(c for _, c in theirs),
                max(peaks),
            )
        )
        load = os.getloadavg()
        print(f"layout: 3 layers, {args.mb} MB random; load average {load[0]:.2f} {load[1]:.2f}")
        print(
            "| case | ecrctl s | skopeo s | ratio | ecrctl CPU s | skopeo CPU s | ecrctl peak RSS |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|")
        for name, e, s, ec, sc, rss in rows:
            cells = [name, f"{e:.2f}", f"{s:.2f}", f"{e / s:.2f}x", f"{ec:.2f}", f"{sc:.2f}"]
            print("| " + " | ".join(cells) + f" | {rss >> 10} MiB |")
    finally:
        stop_registry(one)
        stop_registry(two)
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
