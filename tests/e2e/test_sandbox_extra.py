"""Without moto's server, the sandbox and the demo name the fix for how ecrctl was installed:
``./dev setup sandbox`` in a checkout, ``pipx inject`` for pipx, that interpreter's pip otherwise."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
REQUIREMENT = "'moto[server]>=5.0.20'"

pytestmark = pytest.mark.e2e

# moto made unimportable in the child only: `import moto...` raises ImportError.
NO_MOTO = (
    "import sys; sys.modules['moto'] = None; sys.argv = ['ecrctl', sys.argv[1]]; "
    "from ecrctl.cli.entry import main; main()"
)


def run(
    python: str, command: str, *, cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [python, "-c", NO_MOTO, command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def without_venv() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}


@pytest.fixture
def packaged(tmp_path: Path) -> Path:
    """ecrctl as an installed package: the package alone, no ./dev beside it."""
    shutil.copytree(
        ROOT / "ecrctl", tmp_path / "lib" / "ecrctl", ignore=shutil.ignore_patterns("__pycache__")
    )
    return tmp_path / "lib"


@pytest.mark.parametrize("command", ["demo", "sandbox"])
def test_from_a_checkout_it_is_dev_setup_sandbox(command: str, tmp_path: Path) -> None:
    # The venv ./dev uses: .venv, or the activated one (as here, whichever runs the tests).
    env = {**without_venv(), "VIRTUAL_ENV": sys.prefix}
    here = run(sys.executable, command, cwd=ROOT, env=env)
    assert (here.returncode, here.stdout) == (1, "")
    assert here.stderr == "ecrctl: the sandbox needs moto's server: ./dev setup sandbox\n"
    elsewhere = run(sys.executable, command, cwd=tmp_path, env=env)
    assert elsewhere.stderr == (
        "ecrctl: the sandbox needs moto's server: "
        f"cd {shlex.quote(str(ROOT))} && ./dev setup sandbox\n"
    )


def test_in_a_venv_it_is_that_interpreters_pip(packaged: Path, tmp_path: Path) -> None:
    done = run(
        sys.executable, "sandbox", cwd=tmp_path, env={**without_venv(), "PYTHONPATH": str(packaged)}
    )
    assert done.returncode == 1
    assert done.stderr == (
        "ecrctl: the sandbox needs moto's server: "
        f"{shlex.quote(sys.executable)} -m pip install {REQUIREMENT}\n"
    )


def test_for_a_pipx_install_it_is_pipx_inject(packaged: Path, tmp_path: Path) -> None:
    """A venv laid out as pipx makes them (its metadata file inside), ecrctl's dependencies
    reached through a .pth file."""
    venv = tmp_path / "pipx" / "venvs" / "ecrctl"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120
    )
    (venv / "pipx_metadata.json").write_text(json.dumps({"main_package": {"package": "ecrctl"}}))
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()
    (Path(purelib) / "deps.pth").write_text("\n".join([str(packaged), *site.getsitepackages()]))
    done = run(str(python), "demo", cwd=tmp_path, env=without_venv())
    assert (done.returncode, done.stderr) == (
        1,
        f"ecrctl: the sandbox needs moto's server: pipx inject ecrctl {REQUIREMENT}\n",
    )
