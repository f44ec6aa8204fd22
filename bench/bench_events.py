"""events setup / status / teardown and the webhook round trip, beside the aws CLI.

    python bench/bench_events.py [--runs N]

One cycle = setup (creates 5 pieces), setup again (changes nothing), status, teardown. The aws
CLI counterpart is the same work by hand: 6 create calls, then 6 delete calls, one process each.
API calls are counted from ecrctl's --debug lines. The round trip is `ecrctl events test`
against `ecrctl events listen` over HTTP on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Figure, ecrctl, emulator_env, print_table, tool

URL = "https://hooks.example.com/ecr"
SETUP = ["events", "setup", "--webhook-url", URL, "--username", "bot", "--password-stdin"]


def timed(argv: list[str], env: dict[str, str], stdin: str | None = None) -> tuple[float, Any]:
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, input=stdin, capture_output=True, text=True, check=False)
    elapsed = (time.perf_counter() - started) * 1000
    if done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): {' '.join(argv)}\n{done.stderr}")
    return elapsed, done


def calls(done: Any) -> int:
    return sum(1 for line in done.stderr.splitlines() if line.startswith("debug: ->"))


def aws_by_hand(aws: str, env: dict[str, str]) -> tuple[float, float]:
    def run(*args: str) -> Any:
        return timed([aws, *args, "--output", "json"], env)

    started = time.perf_counter()
    conn = json.loads(
        run(
            "events",
            "create-connection",
            "--name",
            "h",
            "--authorization-type",
            "BASIC",
            "--auth-parameters",
            "BasicAuthParameters={Username=bot,Password=pw}",
        )[1].stdout
    )
    # --cli-input-json: aws CLI v1 would fetch an https:// parameter value as a URL.
    request = {
        "Name": "h",
        "ConnectionArn": conn["ConnectionArn"],
        "InvocationEndpoint": URL,
        "HttpMethod": "POST",
    }
    dest = json.loads(
        run("events", "create-api-destination", "--cli-input-json", json.dumps(request))[1].stdout
    )
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )
    role = json.loads(
        run("iam", "create-role", "--role-name", "h-role", "--assume-role-policy-document", trust)[
            1
        ].stdout
    )
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "events:InvokeApiDestination",
                    "Resource": dest["ApiDestinationArn"],
                }
            ],
        }
    )
    run(
        "iam",
        "put-role-policy",
        "--role-name",
        "h-role",
        "--policy-name",
        "p",
        "--policy-document",
        policy,
    )
    run("events", "put-rule", "--name", "h", "--event-pattern", '{"source":["aws.ecr"]}')
    target = json.dumps(
        [{"Id": "t", "Arn": dest["ApiDestinationArn"], "RoleArn": role["Role"]["Arn"]}]
    )
    run("events", "put-targets", "--rule", "h", "--targets", target)
    created = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    run("events", "remove-targets", "--rule", "h", "--ids", "t")
    run("events", "delete-rule", "--name", "h")
    run("events", "delete-api-destination", "--name", "h")
    run("events", "delete-connection", "--name", "h")
    run("iam", "delete-role-policy", "--role-name", "h-role", "--policy-name", "p")
    run("iam", "delete-role", "--role-name", "h-role")
    return created, (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    exe = ecrctl()
    samples: dict[str, list[float]] = {}
    counts: dict[str, int] = {}
    aws = tool("aws")

    def add(name: str, ms: float, done: Any = None) -> None:
        samples.setdefault(name, []).append(ms)
        if done is not None:
            counts[name] = calls(done)

    with emulator_env() as (_emulator, env):
        for _ in range(args.runs):
            add("ecrctl events setup (create)", *timed([*exe, "--debug", *SETUP], env, "pw\n"))
            add("ecrctl events setup (no change)", *timed([*exe, "--debug", *SETUP], env, "pw\n"))
            add("ecrctl events status", *timed([*exe, "--debug", "events", "status"], env))
            add(
                "ecrctl events teardown",
                *timed([*exe, "--debug", "events", "teardown", "--yes"], env),
            )
            if aws:
                created, deleted = aws_by_hand(aws, env)
                add("aws CLI: 6 create calls", created)
                add("aws CLI: 6 delete calls", deleted)
            add("ecrctl events template", timed([*exe, "events", "template"], env)[0])

        from ecrctl.sandbox.emulator import free_port

        port = free_port()
        listener = subprocess.Popen(
            [
                *exe,
                "events",
                "listen",
                "--port",
                str(port),
                "--username",
                "bot",
                "--password-stdin",
                "--count",
                str(args.runs + 1),
            ],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert listener.stdin is not None and listener.stderr is not None
        listener.stdin.write("pw\n")
        listener.stdin.close()
        listener.stderr.readline()
        test = [
            *exe,
            "events",
            "test",
            "--webhook-url",
            f"http://127.0.0.1:{port}/",
            "--username",
            "bot",
            "--password-stdin",
        ]
        timed(test, env, "pw\n")  # warm-up
        for _ in range(args.runs):
            add("ecrctl events test -> listen (HTTP round trip)", timed(test, env, "pw\n")[0])
        listener.wait(timeout=30)

    figures = [
        Figure(
            name,
            statistics.median(values),
            len(values),
            calls=str(counts[name]) if name in counts else "",
        )
        for name, values in samples.items()
    ]
    compare = {
        "ecrctl events setup (create)": "aws CLI: 6 create calls",
        "ecrctl events teardown": "aws CLI: 6 delete calls",
    }
    print_table("events: setup / status / teardown on the local emulator", figures, compare)


if __name__ == "__main__":
    main()
