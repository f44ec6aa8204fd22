"""The steps of ``ecrctl demo``: real ecrctl commands against an in-process emulator.

Later capabilities add their steps to ``STEPS``. A step is either a command line (run as a real
``ecrctl`` subprocess, its output shown), a named setup action done through boto3, or files
written into the demo's working directory (a temporary one, where the command lines run).
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from ecrctl.sandbox.buildlayout import PLATFORMS, write_build_layout
from ecrctl.sandbox.emulator import Emulator
from ecrctl.sandbox.images import seed_repository
from ecrctl.sandbox.logindemo import login_demo

REPO = "demo/app"
RELEASE = "demo/release"  # where the round trip's image is promoted to (blobs mounted)
BUILT = "2.0.0"  # the tag of the demo's daemonless build (an OCI layout in build/)
TAGS = ["1.0.9", "1.0.10", "v2", "v10", "latest"]
EVENTS_SETUP = (
    "events",
    "setup",
    "--webhook-url",
    "https://hooks.example.com/ecr",
    "--username",
    "deploy-bot",
    "--repository",
    REPO,
    "--event",
    "push,scan",
    "--password-stdin",
)


@dataclass(frozen=True)
class Step:
    title: str
    argv: tuple[str, ...] = ()
    action: Callable[[Any], str] | None = None
    files: Callable[[Path], str] | None = None  # writes into the working directory
    expect: int = 0
    stdin: str | None = None


def _seed(ecr: Any) -> str:
    digests = seed_repository(ecr, REPO, TAGS)
    return f"pushed {len(digests)} synthetic images to {REPO}: {', '.join(TAGS)}"


def _scan_findings(ecr: Any) -> str:
    from ecrctl.sandbox.findings import basic_findings, inject_scan_results, scan_response

    findings = basic_findings(3, severities=("CRITICAL", "MEDIUM", "LOW"))
    response = scan_response(REPO, {"imageTag": "1.0.10"}, findings=findings)
    inject_scan_results(ecr.meta.endpoint_url, [response], region=ecr.meta.region_name)
    return (
        f"{REPO}:1.0.10 will report {len(findings)} findings (moto reports one fake HIGH otherwise)"
    )


def _sample_data(ecr: Any) -> str:
    from ecrctl.sandbox.seed import seed_sandbox

    return "\n".join(seed_sandbox(ecr).lines())


def _build_layout(workdir: Path) -> str:
    index = write_build_layout(workdir / "build", REPO, BUILT)
    return (
        f"(the commands below run in {workdir}, a temporary directory)\n"
        f"wrote build/, an OCI image layout: oci:build:{BUILT} names {index.digest}, "
        f"an index over {', '.join(PLATFORMS)}"
    )


STEPS: list[Step] = [
    Step("Create a repository", ("repo", "create", REPO, "--scan-on-push", "--tag", "team=demo")),
    Step("Push a few images (synthetic manifests, true sha256 digests)", action=_seed),
    Step("List tags in natural version order", ("tags", REPO)),
    Step(
        "The newest tag, for a shell alias",
        ("-o", "text", "tags", REPO, "--sort", "pushed", "--limit", "1"),
    ),
    Step("Every image, digest-centred", ("images", REPO)),
    Step("Show the repository", ("repo", "show", REPO)),
    Step("The full URI of a tag", ("uri", f"{REPO}:1.0.10")),
    Step(
        "List repositories as JSON, queried", ("-o", "json", "--query", "[].name", "repo", "list")
    ),
    Step(
        "A bad name is refused before any call (exit 2)", ("repo", "create", "Demo/App"), expect=2
    ),
    Step("Queue chosen scan findings in the emulator", action=_scan_findings),
    Step(
        "Start a scan and wait for its findings, worst first",
        ("scan", REPO, "1.0.10", "--start", "--wait"),
    ),
    Step(
        "Gate a build on HIGH or worse (exit 5)",
        ("scan", REPO, "1.0.10", "--fail-on", "HIGH"),
        expect=5,
    ),
    Step(
        "Accept a known finding: still listed, marked ignored; the gate passes",
        ("-o", "text", "scan", f"{REPO}:1.0.10", "--fail-on", "HIGH", "--ignore", "CVE-2026-10000"),
    ),
    Step(
        "Retag on the server: same bytes, same media type, same digest",
        ("retag", REPO, "1.0.10", "stable", "prod"),
    ),
    Step(
        "--no-clobber refuses to move a tag that names another image (exit 1)",
        ("retag", REPO, "v2", "stable", "--no-clobber"),
        expect=1,
    ),
    Step(
        "Preview removing tags by glob (nothing changes)",
        ("untag", REPO, "--match", "v*", "--dry-run"),
    ),
    Step(
        "Remove one tag of a multi-tag image: only that tag goes", ("untag", REPO, "prod", "--yes")
    ),
    Step(
        "Send this repository's pushes and scans to a webhook (EventBridge, one command)",
        EVENTS_SETUP,
        stdin="demo-webhook-password\n",
    ),
    Step(
        "The same setup again: nothing changes",
        EVENTS_SETUP,
        stdin="demo-webhook-password\n",
    ),
    Step("Each piece of the events setup and its state", ("events", "status")),
    Step("Remove the events setup", ("events", "teardown", "--yes")),
    Step(
        "Log docker in without docker (a temporary DOCKER_CONFIG), a helper login, status",
        action=login_demo,
    ),
    Step(
        "A lifecycle policy is checked before anything is sent: every problem listed (exit 2)",
        ("lifecycle", "validate", "-"),
        expect=2,
        stdin='{"rules": [{"rulePriority": 1, "selection": {"tagStatus": "any", "countType": '
        '"imageCountMoreThan", "countNumber": 0}, "action": {"type": "delete"}}]}',
    ),
    Step(
        "Preview a policy offline: which images it expires 15 days from now, which it keeps",
        ("lifecycle", "preview", REPO, "--policy", "-", "--at", "+15d"),
        stdin='{"rules": [{"rulePriority": 1, "description": "v* images go after 14 days", '
        '"selection": {"tagStatus": "tagged", "tagPatternList": ["v*"], "countType": '
        '"sinceImagePushed", "countUnit": "days", "countNumber": 14}, '
        '"action": {"type": "expire"}}]}',
    ),
    Step("Load the sample data of `ecrctl sandbox --seed`", action=_sample_data),
    Step(
        "A multi-arch index and its platform images, untagged ones included", ("images", "team/app")
    ),
    Step(
        "AWS's own lifecycle preview (answered by the sandbox with ecrctl's evaluator)",
        ("lifecycle", "preview", "team/app", "--remote"),
    ),
    # The round trip; after the sample data, which turns BLOB_MOUNTING on (mounts need it).
    Step(
        "A daemonless build's output: an OCI image layout (buildx --output type=oci, kaniko, "
        "buildah)",
        files=_build_layout,
    ),
    Step(
        "Push it with no docker daemon: the index and both platforms, the digest kept",
        ("copy", f"oci:build:{BUILT}", f"{REPO}:{BUILT}"),
    ),
    Step("What the registry now holds", ("inspect", f"{REPO}:{BUILT}")),
    Step(
        "Promote it to another repository: every blob mounted, nothing uploaded again",
        ("copy", f"{REPO}:{BUILT}", f"{RELEASE}:{BUILT}", "--create"),
    ),
    Step(
        "Pull it out again into a new layout, with no daemon",
        ("copy", f"{RELEASE}:{BUILT}", f"oci:pulled:{BUILT}"),
    ),
    Step("Its digest: the one the build wrote", ("digest", f"oci:pulled:{BUILT}")),
    Step(
        "Remove the repositories and their images",
        ("repo", "remove", REPO, RELEASE, "--force", "--yes"),
    ),
]


def run_demo(emulator: Emulator, out: TextIO, *, ecr: Any) -> int:
    env = {
        **os.environ,
        **emulator.environment(),
        "AWS_MAX_ATTEMPTS": "1",
        "ECRCTL_OUTPUT": "table",
        "COLUMNS": os.environ.get("COLUMNS", "120"),
    }
    env.pop("AWS_PROFILE", None)
    with tempfile.TemporaryDirectory(prefix="ecrctl-demo-") as workdir:
        return _run_steps(env, Path(workdir), out, ecr)


def _run_steps(env: dict[str, str], workdir: Path, out: TextIO, ecr: Any) -> int:
    failures = 0
    for number, step in enumerate(STEPS, 1):
        out.write(f"\n# {number}. {step.title}\n")
        if step.action is not None:
            out.write(step.action(ecr) + "\n")
            continue
        if step.files is not None:
            out.write(step.files(workdir) + "\n")
            continue
        out.write("$ ecrctl " + shlex.join(step.argv) + "\n")
        out.flush()
        done = subprocess.run(
            [sys.executable, "-m", "ecrctl", *step.argv],
            env=env,
            cwd=workdir,
            input=step.stdin,
            capture_output=True,
            text=True,
            check=False,
        )
        out.write(done.stdout)
        if done.stderr:
            out.write("".join(f"  (stderr) {line}\n" for line in done.stderr.splitlines()))
        if done.returncode != step.expect:
            failures += 1
            out.write(f"  !! exit {done.returncode}, expected {step.expect}\n")
        elif step.expect:
            out.write(f"  (exit {done.returncode}, as expected)\n")
    out.flush()
    return failures
