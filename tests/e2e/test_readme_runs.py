"""Every README command line that can run on the embedded sandbox runs there, as written.

The lines run in README order, through the installed ``ecrctl``, against one ``ecrctl sandbox
--seed`` emulator, in one working directory (so ``ecrctl lifecycle get team/app > policy.json``
makes the file later lines read), with a terminal on stdin and stderr that answers "y" where a
command asks, as a person following the README would. The README's CI variables take the
values in ``VARIABLES``; an elided digest (``@sha256:4a1c…97e5``) stands for the seeded image
whose digest starts and ends so.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ecrctl_command, run_on_a_terminal, seeded_emulator
from tests.readme_lines import ReadmeLine, readme_lines
from tests.sandbox_process import emulator_env

pytestmark = pytest.mark.e2e

# Lines that do not run here, and where they are tested instead.
NOT_HERE = {
    ("demo",): "starts its own sandbox: tests/e2e/test_foundation_e2e.py",
    ("sandbox",): "is the sandbox itself: tests/e2e/test_sandbox_seed.py",
    ("push",): "needs a docker engine: tests/e2e/test_login_docker.py",
    ("pull",): "needs a docker engine: tests/e2e/test_login_docker.py",
    ("events", "listen"): "a local webhook pair on port 8080: tests/e2e/test_events_listen_e2e.py",
    ("events", "test"): "a local webhook pair on port 8080: tests/e2e/test_events_listen_e2e.py",
    ("promote",): "needs registries (moto has no data plane): tests/e2e/test_copy_registries.py",
    ("events", "check-role"): "needs the role deployed: tests/e2e/test_events_deploy_e2e.py",
    ("sso",): "needs an IAM Identity Center: tests/e2e/test_sso_e2e.py",
    ("sync", "docker.io/connectedhome/"): "needs Docker Hub: tests/e2e/test_sync.py (its "
    "listing, tokens and pull limit through recorded stand-ins; --create, --settings-from and "
    "the registry root on the sandbox)",
}
# Lines with these options do not run here either (by option, so the plain lines still run).
NOT_HERE_WITH = {
    "--attach-role": "an IAM role the sandbox lacks: tests/e2e/test_registry_e2e.py",
    "docker.io/library/alpine:3.20": "names Docker Hub (no internet here): "
    "tests/e2e/test_images_registries.py reads the same from a local registry",
}
# Lines whose documented outcome is not 0.
EXPECTED = {
    "--fail-on": 5,  # "exit 5 fails the build": the seeded 1.4.2 has CRITICAL findings
    "--no-clobber": 1,  # "refuse (exit 1, nothing changed) if stable points elsewhere"
}
PASSWORD = "example-webhook-password"


def _command_words(argv: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(w for w in argv if not w.startswith("-"))[:2]


def _names_another_registry(argv: tuple[str, ...]) -> bool:
    """A copy that names a registry host (ECR of another account, Docker Hub, ghcr.io): the
    sandbox's own repositories and local ends (oci:, docker-archive:) copy here."""
    for word in argv[1:]:
        first, sep, _ = word.partition("/")
        local = word.startswith(("oci:", "docker-archive:"))
        if sep and not local and ("." in first or ":" in first or first == "localhost"):
            return True
    return False


def _not_here(line: ReadmeLine) -> str | None:
    words = _command_words(line.argv)
    if words[:1] == ("copy",) and _names_another_registry(line.argv):
        return (
            "names another registry: tests/e2e/test_copy_registries.py, "
            "tests/e2e/test_images_registries.py, tests/e2e/test_sandbox_registry.py"
        )
    with_option = next((why for flag, why in NOT_HERE_WITH.items() if flag in line.argv), None)
    return NOT_HERE.get(words[:1]) or NOT_HERE.get(words[:2]) or with_option


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, str], Path]]:
    home = tmp_path_factory.mktemp("home")
    work = tmp_path_factory.mktemp("work")
    (work / ".ecrctl-ignore").write_text("# finding ids to ignore, one a line\n")  # checked in
    with seeded_emulator(blobs=True) as emulator:  # real images: /v2/ serves them
        # The README's --accounts lines: an organisation of the sandbox account alone (other
        # accounts' roles: tests/e2e/test_org_e2e.py), and its `export ECRCTL_ROLE_NAME=...`.
        emulator.client("organizations").create_organization(FeatureSet="ALL")
        env = emulator_env(
            emulator,
            home,
            COLUMNS="120",
            ECRCTL_ROLE_NAME="ecrctl-read-only",
            ECRCTL_EXTERNAL_ID="8f14e45f-ceea-467f",
        )
        # The README's fleet lines: dev and stage are other (empty) accounts behind assumed
        # roles; prod is the seeded sandbox account itself.
        (home / "aws-config").write_text(
            "[profile base]\naws_access_key_id = testing\naws_secret_access_key = testing\n"
            + "".join(
                f"[profile {name}]\nrole_arn = arn:aws:iam::{account}:role/x\n"
                "source_profile = base\n"
                for name, account in (
                    ("dev", "111111111111"),
                    ("stage", "222222222222"),
                    ("prod", "123456789012"),
                )
            )
        )
        yield env, work


def _digests(env: dict[str, str]) -> list[str]:
    done = subprocess.run(
        [*ecrctl_command(), "-o", "json", "--query", "[].digest", "images", "team/app"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return re.findall(r"sha256:[0-9a-f]{64}", done.stdout)


def _expand(argv: tuple[str, ...], digests: list[str]) -> list[str]:
    def full(match: re.Match[str]) -> str:
        head, tail = match.group(1), match.group(2)
        found = [d for d in digests if d[7:].startswith(head) and d.endswith(tail)]
        assert len(found) == 1, f"no seeded digest sha256:{head}…{tail}"
        return found[0]

    return [re.sub(r"sha256:([0-9a-f]+)…([0-9a-f]*)", full, word) for word in argv]


LINES = readme_lines()


def test_every_readme_line_runs_on_the_sandbox(sandbox: tuple[dict[str, str], Path]) -> None:
    env, work = sandbox
    digests = _digests(env)
    ran, failures = 0, []
    for line in LINES:
        if _not_here(line):
            continue
        argv = _expand(line.argv, digests)
        stdin: bytes | None = None
        if line.stdin_from:
            source = work / line.stdin_from
            stdin = source.read_bytes() if source.exists() else b""
        elif line.stdin_text:
            stdin = (PASSWORD + "\n").encode()
        typed = b"y\n" if stdin is None else b""  # a prompt on the terminal answered "y"
        command = [*ecrctl_command(), *argv]
        code, out, err = run_on_a_terminal(
            command, env, cwd=work, stdin=stdin, typed=typed, timeout=120
        )
        if line.stdout_to:
            (work / line.stdout_to).write_text(out)
        expected = next((c for flag, c in EXPECTED.items() if flag in argv), 0)
        ran += 1
        if code != expected:
            failures.append(f"{line}\n  exit {code} (expected {expected})\n  {err.strip()[-300:]}")
    assert not failures, "\n".join(failures)
    assert ran >= 45


def test_lines_left_out_here_are_few_and_named() -> None:
    left: dict[tuple[str, ...], Any] = {}
    for line in LINES:
        reason = _not_here(line)
        if reason:
            left[line.argv] = reason
    assert len(left) <= 17, left
