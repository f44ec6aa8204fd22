"""ecrctl sync beside skopeo sync: 10 repositories x 5 tags on one shared base layer.

    python bench/bench_sync.py [--base-mb 50] [--own-mb 5] [--repos 10] [--tags 5]

Three plain-HTTP `docker-registry` (distribution) instances on 127.0.0.1: the source, ecrctl's
destination and skopeo's (so neither finds the other's blobs). Every image is the shared random
base layer plus a random layer of its own. One run of each (the machine is shared; the load
average is printed with the table):

- ecrctl: one `ecrctl sync SRC/bench/ DST/bench/` for the whole namespace;
- skopeo: `skopeo sync` once per repository, as people script it (its blob-info cache in a
  fresh HOME, kept across the calls, as it is on a person's machine);
- a re-run of each with nothing new.

Before each of the four runs the page cache is written out (``os.sync``): docker-registry
fsyncs every blob it stores, so a run used to pay for the previous run's writes still going to
the same disk (skopeo's first run for ecrctl's, ecrctl's for skopeo's).

Wall time and CPU time (user + system) of each; the bytes ecrctl says it moved, against the
bytes of the distinct blobs (the base layer once) and of the base layer sent once per
repository. The ecrctl package is byte-compiled first, as ``pip install`` does.
"""

from __future__ import annotations

import argparse
import compileall
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.oci_registries import digest_of, push_blob, push_manifest, start_registry, stop_registry

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
_UNITS = {"B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12}


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    cpu, started = _cpu(), time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    elapsed, cpu = time.perf_counter() - started, _cpu() - cpu
    if done.returncode != 0:
        raise SystemExit(f"{argv[0]} failed ({done.returncode}): {done.stderr[-800:]}")
    return elapsed, cpu, done.stderr


def mount(host: str, repo: str, digest: str, source: str) -> None:
    import urllib3

    answer = urllib3.request(
        "POST", f"http://{host}/v2/{repo}/blobs/uploads/?mount={digest}&from={source}"
    )
    assert answer.status == 201, answer.status


def populate(host: str, repos: int, tags: int, base_mb: int, own_mb: int) -> int:
    """The namespace bench/: returns the bytes of its distinct blobs."""
    base = os.urandom(base_mb * 1_000_000)
    base_desc = {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": digest_of(base),
                 "size": len(base)}  # fmt: skip
    push_blob(host, "bench/r00", base)
    del base
    total = base_desc["size"]
    for r in range(repos):
        repo = f"bench/r{r:02d}"
        if r:
            mount(host, repo, str(base_desc["digest"]), "bench/r00")
        for t in range(tags):
            config = (
                '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers"},'
                f'"n":"{r}.{t}"}}'
            )
            own = os.urandom(own_mb * 1_000_000)
            cfg, layer = push_blob(host, repo, config.encode()), push_blob(host, repo, own)
            total += cfg["size"] + layer["size"]
            doc = {
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **cfg},
                "layers": [base_desc, {"mediaType": base_desc["mediaType"], **layer}],
            }
            push_manifest(host, repo, f"1.{t}.0", doc, OCI_MANIFEST)
    return int(total)


def moved(stderr: str) -> float:
    match = re.search(r"; ([\d.]+) (B|KB|MB|GB|TB) moved", stderr)
    if not match:
        raise SystemExit(f"no summary in ecrctl's stderr: {stderr[-500:]}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-mb", type=int, default=50)
    parser.add_argument("--own-mb", type=int, default=5)
    parser.add_argument("--repos", type=int, default=10)
    parser.add_argument("--tags", type=int, default=5)
    parser.add_argument("--concurrency", help="ECRCTL_CONCURRENCY for ecrctl (default: its own)")
    args = parser.parse_args()
    for tool in ("docker-registry", "skopeo"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed (apt-get install docker-registry skopeo)")
    compileall.compile_dir(Path(__file__).resolve().parents[1] / "ecrctl", quiet=1)
    work = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ECRCTL_", "DOCKER_"))}
    env |= {"HOME": str(work / "home"), "DOCKER_CONFIG": str(work / "home" / ".docker"),
            "XDG_RUNTIME_DIR": str(work / "run"), "NO_COLOR": "1"}  # fmt: skip
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if args.concurrency:
        env["ECRCTL_CONCURRENCY"] = args.concurrency
    (work / "home").mkdir()
    (work / "run").mkdir()
    src, dst, sko = (start_registry(work / name) for name in ("src", "dst", "sko"))
    try:
        distinct = populate(src.host, args.repos, args.tags, args.base_mb, args.own_mb)
        ecrctl = [sys.executable, "-m", "ecrctl", "sync", f"{src.host}/bench/"]
        ecrctl.append(f"{dst.host}/bench/")
        skopeo = ["skopeo", "sync", "--src", "docker", "--dest", "docker", "--all"]
        skopeo += ["--preserve-digests", "--src-tls-verify=false", "--dest-tls-verify=false"]

        def skopeo_loop() -> tuple[float, float]:
            seconds = cpu = 0.0
            for r in range(args.repos):
                s, c, _ = timed([*skopeo, f"{src.host}/bench/r{r:02d}", f"{sko.host}/bench"], env)
                seconds, cpu = seconds + s, cpu + c
            return seconds, cpu

        os.sync()
        e_first, e_first_cpu, first_err = timed(ecrctl, env)
        os.sync()
        s_first, s_first_cpu = skopeo_loop()
        os.sync()
        e_again, e_again_cpu, again_err = timed(ecrctl, env)
        os.sync()
        s_again, s_again_cpu = skopeo_loop()
        sent = moved(first_err)
        images = args.repos * args.tags
        assert f"({images} up-to-date)" in again_err, again_err
        load = os.getloadavg()
        print(
            f"{args.repos} repositories x {args.tags} tags: a shared {args.base_mb} MB base layer "
            f"+ {args.own_mb} MB of each image's own; load average {load[0]:.2f} {load[1]:.2f}"
        )
        print("| run | ecrctl sync s | skopeo sync s | ratio | ecrctl CPU s | skopeo CPU s |")
        print("|---|---:|---:|---:|---:|---:|")
        for name, e, s, ec, sc in (
            ("first", e_first, s_first, e_first_cpu, s_first_cpu),
            ("re-run, nothing new", e_again, s_again, e_again_cpu, s_again_cpu),
        ):
            print(f"| {name} | {e:.2f} | {s:.2f} | {e / s:.2f}x | {ec:.2f} | {sc:.2f} |")
        print(f"ecrctl re-run / first run: {e_again / e_first:.3f}x wall")
        every = distinct + args.base_mb * 1_000_000 * (args.repos - 1)
        print(
            f"ecrctl moved {sent / 1e6:.1f} MB; distinct blobs {distinct / 1e6:.1f} MB "
            f"(base once); base once per repository would be {every / 1e6:.1f} MB"
        )
        print(f"ecrctl summary: {first_err.strip().splitlines()[-1]}")
        assert abs(sent - distinct) < 0.01 * distinct, "the base layer crossed more than once"
    finally:
        for registry in (src, dst, sko):
            stop_registry(registry)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
