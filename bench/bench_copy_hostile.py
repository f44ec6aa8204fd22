"""ecrctl copy against hostile and faulty registries: the closing figures of issue 23.

    python bench/bench_copy_hostile.py [--copies 6] [--seeds 1 2 3] [--rates 0.1 0.3]
                                       [--attempts default 8] [--baseline DIR]

1. Peak memory (VmHWM of the ecrctl process, read as it exits) against a malicious registry
   (tests/hostile_registry.py) that answers one request with an endless body: the /v2/ ping,
   its 401 challenge, the token answer, a manifest, the referrers list, an error body. A normal
   copy of the same image is the reference line.
2. Copies finished through a fault-injecting proxy (tests/faultproxy.py: 429 with Retry-After
   0, 503, reset, answer lost after the registry acted, equally likely) in front of each of two
   real docker-registry instances, at each fault rate, for each seed, ``--copies`` fresh images
   a seed (3 layers: 2 MB, 9 MB in two chunks, 200 KB). A copy is finished when ecrctl exits 0
   and skopeo reads the source digest back from the destination. With ``--attempts default``
   AWS_MAX_ATTEMPTS is unset and the AWS config empty (3 attempts, as the ECR API's reads);
   a number sets AWS_MAX_ATTEMPTS.

``--baseline DIR`` runs another ecrctl source tree (e.g. an export of main) for comparison; its
endless-answer runs get a 1.5 GiB address-space ceiling (without it they grow by gigabytes).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fakehttp import Reply, Request, endless
from tests.faultproxy import FaultyProxy
from tests.hostile_registry import (
    OCI_INDEX,
    HostileRegistry,
    docker_login,
    run_measured,
)
from tests.oci_registries import push_image, skopeo_digest, start_registry, stop_registry

MB = 1_000_000


def endless_at(route: str, status: int = 200, **headers: str) -> Callable[[Request], Any]:
    def misbehave(request: Request) -> Reply | None:
        if request.route == route and (status != 401 or not request.headers.get("Authorization")):
            return Reply(status, headers, endless())
        return None

    return misbehave


def memory_cases() -> list[tuple[str, str, Callable[[HostileRegistry, str], Any], tuple[str, ...]]]:
    """(name, source auth, misbehaviour given (registry, image digest), extra options)."""
    return [
        ("normal copy (reference)", "", lambda r, d: lambda q: None, ()),
        ("/v2/ answer 200, endless", "", lambda r, d: endless_at("/v2/"), ()),
        (
            "/v2/ challenge 401, endless body",
            "basic",
            lambda r, d: endless_at("/v2/", 401, **{"WWW-Authenticate": 'Basic realm="x"'}),
            (),
        ),
        ("token answer, endless", "bearer", lambda r, d: endless_at("/token"), ()),
        (
            "manifest, endless",
            "",
            lambda r, d: endless_at(
                "/v2/app/manifests/1",
                **{"Content-Type": "application/vnd.oci.image.manifest.v1+json"},
            ),
            (),
        ),
        (
            "referrers, endless",
            "",
            lambda r, d: endless_at(f"/v2/app/referrers/{d}", **{"Content-Type": OCI_INDEX}),
            ("--with-referrers",),
        ),
        ("error body (500), endless", "", lambda r, d: endless_at("/v2/app/manifests/1", 500), ()),
    ]


def bench_memory(env: dict[str, str]) -> None:
    print("| endless answer | exit | peak RSS MiB | s | last line of stderr |")
    print("|---|---:|---:|---:|---|")
    for name, auth, misbehaviour, options in memory_cases():
        source, destination = HostileRegistry(auth), HostileRegistry()
        try:
            digest = source.push_image("app", "1", [os.urandom(200_000), os.urandom(3000)])
            if auth:
                docker_login(source.host)
            source.misbehave = misbehaviour(source, digest)
            started = time.perf_counter()
            out = run_measured(
                "copy", f"{source.host}/app:1", f"{destination.host}/app", *options, env=env
            )
            seconds = time.perf_counter() - started
            last = (out.stderr.strip().splitlines() or [""])[-1]
            last = last.replace(source.host, "SRC").replace(destination.host, "DST")
            print(
                f"| {name} | {out.exit_code} | {out.peak_mib:.0f} | {seconds:.1f} | {last[:110]} |"
            )
        finally:
            source.stop()
            destination.stop()


def bench_faults(
    env: dict[str, str],
    rates: list[float],
    seeds: list[int],
    copies: int,
    attempts: str,
    verbose: bool = False,
) -> None:
    base = Path(tempfile.mkdtemp(prefix="bench-hostile-"))
    one, two = start_registry(base / "one"), start_registry(base / "two")
    run_env = dict(env)
    if attempts == "default":
        run_env.pop("AWS_MAX_ATTEMPTS", None)
        empty = base / "aws-config"
        empty.write_text("")
        run_env["AWS_CONFIG_FILE"] = str(empty)
    else:
        run_env["AWS_MAX_ATTEMPTS"] = attempts
    os.environ.pop("AWS_MAX_ATTEMPTS", None)
    try:
        print(f"\nattempts: {attempts}")
        print("| fault rate | seed | copies finished | faults injected | retries said | s |")
        print("|---:|---:|---:|---:|---:|---:|")
        totals: dict[float, list[int]] = {}
        for rate in rates:
            for seed in seeds:
                src = FaultyProxy(one.host, rate=rate, seed=seed)
                dst = FaultyProxy(two.host, rate=rate, seed=seed + 1000)
                finished = retries = 0
                started = time.perf_counter()
                try:
                    for n in range(copies):
                        repo = f"bench/r{int(rate * 100)}s{seed}n{n}-{attempts}"
                        layers = [os.urandom(2 * MB), os.urandom(9 * MB), os.urandom(200_000)]
                        digest, _ = push_image(one.host, repo, "1", layers)
                        out = run_measured(
                            "copy",
                            f"{src.host}/{repo}:1",
                            f"{dst.host}/{repo}",
                            "-o",
                            "json",
                            "--debug",
                            env=run_env,
                            timeout=600,
                        )
                        retries += sum(
                            line.startswith("debug: retry") for line in out.stderr.splitlines()
                        )
                        ok = (
                            out.exit_code == 0
                            and json.loads(out.stdout)["verifiedDigest"] == digest
                        )
                        finished += ok and skopeo_digest(two.host, repo, "1") == digest
                        if not ok and verbose:
                            print(f"  not finished: {out.stderr.strip().splitlines()[-1][:300]}")
                finally:
                    src.stop()
                    dst.stop()
                faults = sum(src.injected.values()) + sum(dst.injected.values())
                seconds = time.perf_counter() - started
                totals.setdefault(rate, [0, 0])
                totals[rate][0] += finished
                totals[rate][1] += copies
                print(
                    f"| {rate:.0%} | {seed} | {finished}/{copies} | {faults} | {retries} | "
                    f"{seconds:.0f} |"
                )
        for rate, (done, all_) in totals.items():
            print(f"at {rate:.0%} faults: {done} of {all_} copies finished")
    finally:
        stop_registry(one)
        stop_registry(two)
        shutil.rmtree(base, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=6)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--rates", type=float, nargs="+", default=[0.1, 0.3])
    parser.add_argument("--attempts", nargs="+", default=["default"])
    parser.add_argument("--baseline", help="another ecrctl source tree to run instead")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip-faults", action="store_true")
    parser.add_argument("--verbose", action="store_true", help="say why a copy did not finish")
    args = parser.parse_args()
    for tool in ("docker-registry", "skopeo", "ecrctl"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed (./dev setup test; apt-get install ...)")
    home = Path(tempfile.mkdtemp(prefix="bench-hostile-home-"))
    env = {
        "HOME": str(home),
        "DOCKER_CONFIG": str(home / ".docker"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "AWS_CONFIG_FILE": str(home / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "aws-credentials"),
        "AWS_MAX_ATTEMPTS": "1",
    }
    os.environ.update(env)  # docker_login writes where the runs read
    if args.baseline:
        env["PYTHONPATH"] = str(Path(args.baseline).resolve())
        env["PEAK_LIMIT_MIB"] = "1536"
        print(f"baseline: ecrctl from {args.baseline}")
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    try:
        if not args.skip_memory:
            bench_memory({**env, "AWS_MAX_ATTEMPTS": "1"})
        if not args.skip_faults:
            for attempts in args.attempts:
                bench_faults(env, args.rates, args.seeds, args.copies, attempts, args.verbose)
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
