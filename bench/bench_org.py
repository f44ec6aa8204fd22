"""ecrctl over an organisation of 200 accounts x 9 regions, against a shell loop of the aws CLI.

moto runs in a process of its own (Organizations, STS, ECR), behind tests/ecrproxy.py at 20 ms a
call, every call (ECR, STS and Organizations alike). The organisation has 200 ACTIVE accounts
(the management account, which the caller is in, and 199 created ones), each with 3
repositories in each of 9 regions: 1,800 sources, 5,400 repositories.

    python bench/bench_org.py [--runs N] [--accounts 200] [--sample 2]

moto needs ~5 ms of CPU a call, in one process: 2,000 calls are ~10 s of moto's CPU alone, where
ECR answers in its 20 ms whatever the load. So, as bench/bench_ecr.py does, the proxy keeps each
listing it fetched from moto (per account and region, ``cache_listings``) and serves it again
after the warm-up run; STS and Organizations calls still reach moto. ``--no-cache`` asks moto
every time (the figures then measure moto as much as ecrctl).

``ecrctl repo list --accounts org --regions <9>`` is timed (wall clock, after one warm-up run)
with its peak RSS (the child's own ``ru_maxrss``) and the calls it made, counted by the proxy.
The aws CLI does the same work as a shell loop: ``aws sts assume-role`` per account, then
``aws ecr describe-repositories`` per region; it is timed on ``--sample`` accounts and
extrapolated to all of them. The machine is shared: read the ratios, not the milliseconds.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import ecrctl  # noqa: E402
from ecrctl.sandbox.emulator import free_port  # noqa: E402
from tests.ecrproxy import EcrProxy  # noqa: E402

REGIONS = (
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "eu-west-1",
    "eu-west-2",
    "eu-central-1",
    "ap-southeast-1",
    "ap-northeast-1",
)
REPOSITORIES = 3
ROLE = "ecrctl-read-only"
EXTERNAL_ID = "bench-external-id"
LAST_CPU: list[float] = [0.0]
WALL_BUDGET_S = 10.0
RSS_BUDGET_MB = 300.0


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):  # up to a minute on a busy machine
        try:
            urllib.request.urlopen(f"{url}/moto-api/", timeout=1)
            return server, url
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("moto_server did not start")


def seed(url: str, accounts: int) -> list[str]:
    """The organisation and its repositories; the account ids, the caller's first."""
    import boto3

    keys = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    org = boto3.client("organizations", region_name="us-east-1", endpoint_url=url, **keys)
    org.create_organization(FeatureSet="ALL")
    for n in range(accounts - 1):
        org.create_account(Email=f"team-{n}@example.com", AccountName=f"team-{n:03d}")
    ids = [
        str(a["Id"])
        for page in org.get_paginator("list_accounts").paginate()
        for a in page["Accounts"]
    ]
    sts = boto3.client("sts", region_name="us-east-1", endpoint_url=url, **keys)

    def fill(account: str) -> None:
        found = sts.assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/{ROLE}", RoleSessionName="seed"
        )["Credentials"]
        for region in REGIONS:
            ecr = boto3.client(
                "ecr",
                region_name=region,
                endpoint_url=url,
                aws_access_key_id=found["AccessKeyId"],
                aws_secret_access_key=found["SecretAccessKey"],
                aws_session_token=found["SessionToken"],
            )
            for r in range(REPOSITORIES):
                ecr.create_repository(repositoryName=f"svc-{r}")

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(fill, ids))
    return ids


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a running process (Linux /proc), for the server side's share."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float, str, str, int]:
    """Wall seconds, peak RSS (MB) of the child, stdout, stderr, exit code; its CPU seconds
    are kept in ``LAST_CPU``."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen(argv, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        LAST_CPU[:] = [usage.ru_utime + usage.ru_stime]
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return (
            wall,
            usage.ru_maxrss / 1024,
            out.read().decode(),
            err.read().decode(),
            child.returncode,
        )


def aws_loop(accounts: list[str]) -> str:
    """The shell loop a platform team writes today: assume-role, then each region."""
    lines = []
    for account in accounts:
        role = f"arn:aws:iam::{account}:role/{ROLE}"
        lines.append(
            "creds=$(aws sts assume-role --role-arn "
            f"{role} --role-session-name loop --external-id {EXTERNAL_ID} "
            "--query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text)"
        )
        lines.append("set -- $creds")
        for region in REGIONS:
            lines.append(
                "AWS_ACCESS_KEY_ID=$1 AWS_SECRET_ACCESS_KEY=$2 AWS_SESSION_TOKEN=$3 "
                f"aws ecr describe-repositories --region {region} --output text >/dev/null"
            )
    return "set -e\n" + "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--sample", type=int, default=2, help="accounts the aws CLI loop reads")
    parser.add_argument("--no-cache", action="store_true", help="moto answers every listing")
    options = parser.parse_args()
    server, url = start_moto()
    try:
        started = time.perf_counter()
        ids = seed(url, options.accounts)
        print(
            f"seeded {len(ids)} accounts x {len(REGIONS)} regions in "
            f"{time.perf_counter() - started:.0f} s",
            file=sys.stderr,
        )
        cache = not options.no_cache
        with (
            EcrProxy(url, latency=0.02, other_latency=0.02, cache_listings=cache) as proxy,
            tempfile.TemporaryDirectory() as home,
        ):
            env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ECRCTL_"))}
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env |= {
                "HOME": home,
                "AWS_CONFIG_FILE": f"{home}/aws-config",
                "AWS_SHARED_CREDENTIALS_FILE": f"{home}/aws-credentials",
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_REGION": "us-east-1",
                "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_ENDPOINT_URL": proxy.url,
                "AWS_MAX_ATTEMPTS": "3",
                "AWS_PAGER": "",
                "PATH": f"{Path(sys.executable).parent}:{env.get('PATH', '')}",
            }
            argv = [
                *ecrctl(),
                "repo",
                "list",
                "--accounts",
                "org",
                "--role-name",
                ROLE,
                "--external-id",
                EXTERNAL_ID,
                "--regions",
                ",".join(REGIONS),
                "-o",
                "text",
            ]
            timed(argv, env)  # warm-up: bytecode, page cache
            figures = []
            for _ in range(options.runs):
                proxy.reset_counts()
                moto_cpu, own_cpu = cpu_seconds(server.pid), time.process_time()
                wall, rss, out, err, code = timed(argv, env)
                print(
                    f"run: {wall:.1f} s wall; CPU: ecrctl {LAST_CPU[0]:.1f} s, "
                    f"moto {cpu_seconds(server.pid) - moto_cpu:.1f} s, "
                    f"proxy {time.process_time() - own_cpu:.1f} s",
                    file=sys.stderr,
                )
                rows = out.splitlines()
                expected = len(ids) * len(REGIONS) * REPOSITORIES
                if code != 0 or len(rows) != expected:
                    raise SystemExit(f"ecrctl exit {code}, {len(rows)} rows of {expected}\n{err}")
                figures.append((wall, rss, Counter(proxy.counts)))
            proxy.reset_counts()
            sample = ids[1 : 1 + options.sample]  # assumed accounts, as the loop would
            loop_wall, _, _, loop_err, loop_code = timed(["bash", "-c", aws_loop(sample)], env)
            if loop_code != 0:
                raise SystemExit(f"aws loop failed ({loop_code}): {loop_err}")
            loop_calls = Counter(proxy.counts)
    finally:
        server.terminate()
        server.wait()
    report(figures, loop_wall, loop_calls, len(ids), options.sample)


def report(
    figures: list[tuple[float, float, Counter[str]]],
    loop_wall: float,
    loop_calls: Counter[str],
    accounts: int,
    sample: int,
) -> None:
    walls = sorted(f[0] for f in figures)
    wall = walls[len(walls) // 2]
    rss = max(f[1] for f in figures)
    calls = figures[0][2]
    loop_all = loop_wall / sample * accounts
    sources = accounts * len(REGIONS)
    print(
        f"\n## organisation: {accounts} accounts x {len(REGIONS)} regions ({sources} sources), "
        "20 ms a call\n"
    )
    print("| what | wall s | peak RSS MB | API calls |")
    print("|---|---:|---:|---|")
    print(
        f"| ecrctl repo list --accounts org --regions (9), median of {len(walls)} | "
        f"{wall:.1f} | {rss:.0f} | {calls_text(calls)} |"
    )
    print(
        f"| aws sts assume-role + aws ecr describe-repositories loop, {sample} accounts | "
        f"{loop_wall:.1f} | | {calls_text(loop_calls)} |"
    )
    print(f"| the same loop extrapolated to {accounts} accounts | {loop_all:.0f} | | |")
    print(
        f"\necrctl = {wall / loop_all:.4f}x the loop ({loop_all / wall:.0f} times faster); "
        f"budget {WALL_BUDGET_S:.0f} s / {RSS_BUDGET_MB:.0f} MB: "
        f"{'met' if wall <= WALL_BUDGET_S and rss <= RSS_BUDGET_MB else 'NOT met'}"
    )
    print(json.dumps({"wall_s": walls, "rss_mb": rss, "calls": dict(calls)}), file=sys.stderr)
    sys.stdout.flush()


def calls_text(counts: Counter[str]) -> str:
    return ", ".join(f"{op} {n}" for op, n in sorted(counts.items())) or "none"


if __name__ == "__main__":
    main()
