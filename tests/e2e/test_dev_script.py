"""The README's set-up command (./dev) on a Python that refuses pip (PEP 668, as Debian's and
Ubuntu's system Python do) and inside an activated venv."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.readme_lines import ROOT

pytestmark = pytest.mark.e2e

EXTERNALLY_MANAGED = """#!/bin/sh
# A system Python as Debian ships it: pip refuses to install (PEP 668), venv works.
if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then
  echo "error: externally-managed-environment" >&2
  exit 1
fi
exec {python} "$@"
"""


def _checkout(tmp_path: Path) -> Path:
    """A copy of the project's tracked files (no .venv, no caches)."""
    files = (
        subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
        .stdout.decode()
        .split("\0")
    )
    copy = tmp_path / "ecrctl"
    for name in filter(None, files):
        source = ROOT / name
        if source.is_file():
            target = copy / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return copy


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHON"}}
    return {**env, **extra}


def test_dev_installs_into_its_own_venv_where_system_pip_is_refused(tmp_path: Path) -> None:
    shims = tmp_path / "bin"
    shims.mkdir()
    for name in ("python3", "python"):
        shim = shims / name
        shim.write_text(EXTERNALLY_MANAGED.format(python=sys.executable))
        shim.chmod(0o755)
    refused = subprocess.run(
        [str(shims / "python3"), "-m", "pip", "install", "ecrctl"], capture_output=True, text=True
    )
    assert refused.returncode == 1 and "externally-managed" in refused.stderr
    project = _checkout(tmp_path)
    env = _env(PATH=f"{shims}{os.pathsep}{os.environ['PATH']}")
    done = subprocess.run(
        ["./dev", "setup", "sandbox", "--no-deps"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    version = subprocess.run(
        [str(project / ".venv" / "bin" / "ecrctl"), "--version"], capture_output=True, text=True
    )
    assert version.stdout.startswith("ecrctl ")
    where = subprocess.run(
        ["./dev", "python"], cwd=project, env=env, capture_output=True, text=True
    )
    assert where.stdout.strip() == str(project / ".venv" / "bin" / "python")


def test_dev_uses_the_activated_venv(tmp_path: Path) -> None:
    active = tmp_path / "active"
    subprocess.run([sys.executable, "-m", "venv", str(active)], check=True, timeout=300)
    project = _checkout(tmp_path)
    env = _env(VIRTUAL_ENV=str(active), PATH=f"{active / 'bin'}{os.pathsep}{os.environ['PATH']}")
    done = subprocess.run(
        ["./dev", "setup", "sandbox", "--no-deps"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert (active / "bin" / "ecrctl").exists()
    assert not (project / ".venv").exists()


def test_dev_names_what_is_missing_for_an_old_python(tmp_path: Path) -> None:
    old = tmp_path / "python3.10"
    old.write_text(
        '#!/bin/sh\nif [ "$1" = -c ]; then case "$2" in *exit*) exit 1;; *) echo 3.10.12;; esac; fi\n'
    )
    old.chmod(0o755)
    project = _checkout(tmp_path)
    done = subprocess.run(
        ["./dev", "demo"], cwd=project, env=_env(PYTHON=str(old)), capture_output=True, text=True
    )
    assert done.returncode == 1
    assert (
        done.stderr
        == f"dev: {old} is 3.10.12; ecrctl needs 3.11 or newer (set PYTHON=python3.11)\n"
    )


# pyenv's Python 2.7 (this machine's image has one), found before the tests move HOME.
PYTHON_2 = Path.home() / ".pyenv/versions/2.7.18/bin/python"


@pytest.mark.skipif(
    not PYTHON_2.exists(),
    reason="pyenv's Python 2.7.18 is not on this machine",
)
def test_dev_says_a_python_2_is_too_old_not_that_it_does_not_start(tmp_path: Path) -> None:
    old = PYTHON_2
    project = _checkout(tmp_path)
    done = subprocess.run(
        ["./dev", "demo"], cwd=project, env=_env(PYTHON=str(old)), capture_output=True, text=True
    )
    assert done.returncode == 1
    assert (
        done.stderr == f"dev: {old} is 2.7.18; ecrctl needs 3.11 or newer (set PYTHON=python3.11)\n"
    )
    assert not (project / ".venv").exists()


def test_dev_says_what_failed_when_the_interpreter_does_not_start(tmp_path: Path) -> None:
    broken = tmp_path / "python3.13"
    broken.write_text(
        "#!/bin/sh\necho 'python3.13: error while loading shared libraries: libpython3.13.so.1.0:"
        " cannot open shared object file: No such file or directory' >&2\nexit 127\n"
    )
    broken.chmod(0o755)
    project = _checkout(tmp_path)
    done = subprocess.run(
        ["./dev", "demo"], cwd=project, env=_env(PYTHON=str(broken)), capture_output=True, text=True
    )
    assert done.returncode == 1
    assert done.stderr == (
        f"dev: {broken} does not start: python3.13: error while loading shared libraries: "
        "libpython3.13.so.1.0: cannot open shared object file: No such file or directory\n"
    )
    assert not (project / ".venv").exists()


def test_dev_refuses_a_venv_made_by_another_python_than_python_asks(tmp_path: Path) -> None:
    project = _checkout(tmp_path)
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(project / ".venv")],
        check=True,
        timeout=300,
    )
    made = f"{sys.version_info.major}.{sys.version_info.minor}.{sys.version_info.micro}"
    other = tmp_path / "python3.12"
    other.write_text("#!/bin/sh\necho '3.12.1 /opt/python3.12'\n")  # what it says of itself
    other.chmod(0o755)
    refused = subprocess.run(
        ["./dev", "python"],
        cwd=project,
        env=_env(PYTHON=str(other)),
        capture_output=True,
        text=True,
    )
    assert (refused.returncode, refused.stdout) == (1, "")
    assert refused.stderr == (
        f"dev: .venv was made with Python {made} ({sys.base_prefix}), not PYTHON={other} "
        "(3.12.1, /opt/python3.12): remove .venv to rebuild it with that Python, or unset PYTHON\n"
    )
    # The Python that made it is accepted, and so is no PYTHON at all.
    for env in (_env(PYTHON=sys.executable), _env()):
        same = subprocess.run(
            ["./dev", "python"], cwd=project, env=env, capture_output=True, text=True
        )
        assert (same.returncode, same.stdout) == (0, f"{project / '.venv' / 'bin' / 'python'}\n")
