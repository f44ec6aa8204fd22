"""The checked-in completion scripts, installed as the README says, in real bash, zsh and fish.

bash: the script is sourced and its function called with COMP_WORDS, as bash's completion
does. fish: the script is installed in ``~/.config/fish/completions`` and fish's own completion
engine answers (``complete -C``). zsh: an interactive zsh on a pseudo-terminal, the script on
``$fpath`` (or sourced after compinit); keys are typed and a widget bound to ^T shows the line
(``zle -M``), so each step is read back in order, polled with a deadline, never slept on.
"""

from __future__ import annotations

import os
import pty
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "completions"
FORMATS = ["table", "json", "text", "sarif"]
DEADLINE = 60.0  # seconds a shell may take to answer before the test fails

REPO_SUBCOMMANDS = [
    "create",
    "list",
    "show",
    "set",
    "remove",
    "grant-pull",
    "revoke-pull",
    "policy",
]


def need(shell: str) -> str:
    found = shutil.which(shell)
    if found is None:
        pytest.fail(f"{shell} is not installed (.ci/run installs it: apt-get install {shell})")
    return found


@pytest.fixture
def shell_env(server_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """The moto server's environment, with `ecrctl` on PATH running the code under test."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "ecrctl"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m ecrctl "$@"\n')
    shim.chmod(0o755)
    env = dict(server_env)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    return env


# bash ------------------------------------------------------------------------------------------


def bash_complete(env: dict[str, str], line: str) -> list[str]:
    """COMPREPLY for the cursor at the end of ``line`` (words split at blanks, as bash does)."""
    words = line.split()
    if line.endswith(" "):
        words.append("")
    quoted = " ".join("'" + w.replace("'", "'\\''") + "'" for w in words)
    program = (
        f"source {SCRIPTS / 'ecrctl.bash'}\nCOMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}\n"
        "_ecrctl ecrctl; printf '%s\\n' \"${COMPREPLY[@]}\""
    )
    done = subprocess.run(
        [need("bash"), "-c", program],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=DEADLINE,
    )
    assert done.returncode == 0, done.stderr
    return [w for w in done.stdout.split("\n") if w]


def test_bash_completes_commands_subcommands_and_options(shell_env: dict[str, str]) -> None:
    assert bash_complete(shell_env, "ecrctl ta") == ["tags"]
    assert bash_complete(shell_env, "ecrctl repo ") == REPO_SUBCOMMANDS
    assert bash_complete(shell_env, "ecrctl repo li") == ["list"]
    assert bash_complete(shell_env, "ecrctl tags app --li") == ["--limit"]
    # the global options belong to every command, and a value given to one is skipped
    assert bash_complete(shell_env, "ecrctl repo list --reg") == [
        "--regions",
        "--region",
        "--registry-id",
    ]
    assert bash_complete(shell_env, "ecrctl --region eu-west-1 lifecycle pr") == ["preview"]
    # a FILE: the shell's own file names
    assert bash_complete(shell_env, "ecrctl scan app 1.0 --ignore-file READ") == ["README.md"]


def test_bash_completes_output_formats(shell_env: dict[str, str]) -> None:
    assert bash_complete(shell_env, "ecrctl -o ") == FORMATS
    assert bash_complete(shell_env, "ecrctl tags app --output j") == ["json"]
    assert bash_complete(shell_env, "ecrctl tags --output = ") == FORMATS  # --output=<TAB>


def test_bash_completes_repository_names(shell_env: dict[str, str], server_ecr: Any) -> None:
    for name in ("team/app", "team/api", "other"):
        server_ecr.create_repository(repositoryName=name)
    assert sorted(bash_complete(shell_env, "ecrctl tags team/")) == ["team/api", "team/app"]
    assert bash_complete(shell_env, "ecrctl repo show -o json ot") == ["other"]


def test_bash_asks_the_region_given_on_the_line(
    shell_env: dict[str, str], moto_server: str
) -> None:
    import boto3

    elsewhere = boto3.client("ecr", region_name="eu-west-3", endpoint_url=moto_server)
    elsewhere.create_repository(repositoryName="paris/app")
    assert bash_complete(shell_env, "ecrctl tags pa") == []
    assert bash_complete(shell_env, "ecrctl --region eu-west-3 tags pa") == ["paris/app"]


# fish ------------------------------------------------------------------------------------------


def fish_complete(env: dict[str, str], line: str) -> list[tuple[str, str]]:
    """fish's own answer for ``line``, the script installed where the README puts it."""
    completions = Path(env["XDG_CONFIG_HOME"]) / "fish" / "completions"
    completions.mkdir(parents=True, exist_ok=True)
    shutil.copy(SCRIPTS / "ecrctl.fish", completions / "ecrctl.fish")
    done = subprocess.run(
        [need("fish"), "-c", "complete -C $argv[1]", line],
        env=env,
        capture_output=True,
        text=True,
        timeout=DEADLINE,
    )
    assert done.returncode == 0, done.stderr
    pairs = []
    for row in done.stdout.splitlines():
        value, _, description = row.partition("\t")
        pairs.append((value, description))
    return pairs


def test_fish_completes_commands_subcommands_and_options(shell_env: dict[str, str]) -> None:
    assert fish_complete(shell_env, "ecrctl ta") == [
        ("tags", "List tags (text output: one tag a line).")
    ]
    assert [v for v, _ in fish_complete(shell_env, "ecrctl repo ")] == sorted(REPO_SUBCOMMANDS)
    assert [v for v, _ in fish_complete(shell_env, "ecrctl tags app --li")] == ["--limit"]
    assert fish_complete(shell_env, "ecrctl tags app --limit 3 zzz") == []
    assert fish_complete(shell_env, "ecrctl lifecycle get --reg") == [
        ("--region", "AWS region. Env: AWS_REGION, AWS_DEFAULT_REGION."),
        ("--registry-id", "Another account's registry (12 digits)."),
    ]


def test_fish_completes_output_formats(shell_env: dict[str, str]) -> None:
    assert sorted(v for v, _ in fish_complete(shell_env, "ecrctl -o ")) == sorted(FORMATS)
    assert [v for v, _ in fish_complete(shell_env, "ecrctl tags --output=s")] == ["--output=sarif"]


def test_fish_completes_repository_names(shell_env: dict[str, str], server_ecr: Any) -> None:
    for name in ("team/app", "team/api", "other"):
        server_ecr.create_repository(repositoryName=name)
    assert [v for v, _ in fish_complete(shell_env, "ecrctl images team/")] == [
        "team/api",
        "team/app",
    ]


# zsh -------------------------------------------------------------------------------------------

_ESCAPES = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][0-9A-Za-z]|.)")
_CONTROLS = re.compile(r"[\x00-\x09\x0b-\x1f]")
_PROBE = re.compile(r"<<<(.*?)>>>")


class Zsh:
    """An interactive zsh on a pseudo-terminal, 200 columns wide, started from ``zshrc``."""

    def __init__(self, env: dict[str, str], home: Path, zshrc: str) -> None:
        (home / ".zshrc").write_text(
            zshrc + "\n_probe() { zle -M \"<<<$BUFFER>>>\" }\nzle -N _probe\nbindkey '^T' _probe\n"
            "PROMPT='READY%# '\n"
        )
        env = {**env, "ZDOTDIR": str(home), "TERM": "xterm", "COLUMNS": "200", "LINES": "50"}
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: zsh on the terminal's slave side
            try:
                os.execve(need("zsh"), ["zsh", "-i"], env)
            finally:
                os._exit(127)
        struct_size = struct.pack("HHHH", 50, 200, 0, 0)
        import fcntl

        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct_size)
        self.seen = ""
        self.read_until(re.compile(r"READY%|READY#"))

    def read_until(self, pattern: re.Pattern[str]) -> re.Match[str]:
        """Read the terminal until ``pattern`` shows in what zsh wrote since the last match."""
        deadline = time.monotonic() + DEADLINE
        while True:
            found = pattern.search(self.seen)
            if found:
                self.seen = self.seen[found.end() :]
                return found
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(
                    f"zsh never showed {pattern.pattern!r}; it showed {self.seen!r}"
                )
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:  # zsh has gone
                    chunk = b""
                if not chunk:
                    raise AssertionError(f"zsh ended; it showed {self.seen!r}")
                # cursor moves and other controls become line breaks: the text stays apart
                text = _ESCAPES.sub("\n", chunk.decode(errors="replace"))
                self.seen += _CONTROLS.sub("\n", text)

    def type(self, keys: str) -> tuple[str, str]:
        """Type ``keys`` and then ^T: (what zsh showed meanwhile, the line it ends with)."""
        os.write(self.fd, keys.encode() + b"\x14")
        before = self.seen
        found = self.read_until(_PROBE)
        shown = before + found.string[: found.start()]
        return shown, found.group(1)

    def close(self) -> None:
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        os.close(self.fd)


def start_zsh(env: dict[str, str], tmp_path: Path, install: str) -> Zsh:
    """A new zsh with completions/_ecrctl installed as the README says: copied to a directory
    on $fpath before compinit, or sourced after it."""
    home = tmp_path / f"zsh-{install}"
    home.mkdir()
    compinit = f"autoload -Uz compinit && compinit -u -d {home / 'zcompdump'}\n"
    if install == "fpath":
        functions = home / "zfunc"
        functions.mkdir()
        shutil.copy(SCRIPTS / "_ecrctl", functions / "_ecrctl")
        zshrc = f"fpath=({functions} $fpath)\n{compinit}"
    else:
        zshrc = f"{compinit}source {SCRIPTS / '_ecrctl'}\n"
    return Zsh(env, home, zshrc)


@pytest.fixture(params=["fpath", "source"])
def zsh(request: pytest.FixtureRequest, shell_env: dict[str, str], tmp_path: Path) -> Iterator[Zsh]:
    shell = start_zsh(shell_env, tmp_path, request.param)
    yield shell
    shell.close()


@pytest.fixture
def zsh_on_fpath(shell_env: dict[str, str], tmp_path: Path) -> Iterator[Zsh]:
    shell = start_zsh(shell_env, tmp_path, "fpath")
    yield shell
    shell.close()


def test_zsh_on_fpath_completes_on_the_first_tab(zsh_on_fpath: Zsh) -> None:
    """The first Tab of a new shell completes (the file is the completion function itself)."""
    _, line = zsh_on_fpath.type("ecrctl ta\t")
    assert line == "ecrctl tags "


def test_zsh_completes_subcommands_and_options(zsh: Zsh) -> None:
    _, line = zsh.type("ecrctl ta\t")
    assert line == "ecrctl tags "
    _, line = zsh.type("\x15ecrctl repo li\t")  # ^U: a new line, same shell
    assert line == "ecrctl repo list "
    _, line = zsh.type("\x15ecrctl tags app --lim\t")
    assert line == "ecrctl tags app --limit "


def test_zsh_lists_output_formats(zsh_on_fpath: Zsh) -> None:
    shown, line = zsh_on_fpath.type("ecrctl -o \t")
    assert line == "ecrctl -o "
    assert set(shown.split()) >= set(FORMATS), shown
    _, line = zsh_on_fpath.type("sa\t")
    assert line == "ecrctl -o sarif "


def test_zsh_descriptions_keep_apostrophes_and_colons(zsh: Zsh) -> None:
    shown, line = zsh.type("ecrctl -\t")
    assert line == "ecrctl -"
    listing = [" ".join(row.split()) for row in shown.splitlines()]
    assert "--registry-id -- Another account's registry (12 digits)." in listing, shown
    assert "--profile -- AWS profile (SSO profiles too). Env: AWS_PROFILE." in listing, shown


def test_zsh_completes_repository_names(zsh_on_fpath: Zsh, server_ecr: Any) -> None:
    for name in ("team/app", "team/api", "other"):
        server_ecr.create_repository(repositoryName=name)
    _, line = zsh_on_fpath.type("ecrctl tags te\t")
    assert line == "ecrctl tags team/ap"
    shown, line = zsh_on_fpath.type("\t")
    assert line == "ecrctl tags team/ap"
    assert {"team/api", "team/app"} <= set(shown.split()), shown
