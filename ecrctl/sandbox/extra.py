"""How to add the sandbox's one dependency (moto's server), said for how ecrctl was installed.

``pip install 'ecrctl[sandbox]'`` works neither from a checkout (ecrctl comes from the source
there, into the venv ``./dev`` keeps) nor for pipx (whose venvs only ``pipx inject`` changes):

- a checkout run from its ``./dev`` venv (``.venv``, or the venv ``./dev`` uses when one is
  activated): ``./dev setup sandbox``;
- a pipx install (its venv holds ``pipx_metadata.json``): ``pipx inject NAME 'moto[server]...'``;
- anything else (a venv, a user install): that very interpreter's pip.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Mapping
from pathlib import Path

FALLBACK_REQUIREMENT = "moto[server]>=5.0.20"


def moto_requirement() -> str:
    """The sandbox extra's requirement, as ecrctl's metadata states it."""
    from importlib import metadata

    try:
        requires = metadata.requires("ecrctl") or []
    except metadata.PackageNotFoundError:
        return FALLBACK_REQUIREMENT
    for line in requires:
        spec, _, marker = line.partition(";")
        if spec.strip().startswith("moto") and "sandbox" in marker:
            return spec.strip()
    return FALLBACK_REQUIREMENT


def install_fix(
    *,
    package_root: Path,
    prefix: Path,
    executable: str,
    environ: Mapping[str, str],
    cwd: Path,
    requirement: str,
) -> str:
    """The one command that adds moto's server where this ecrctl runs."""
    active = environ.get("VIRTUAL_ENV")
    dev_venvs = {package_root / ".venv", *([Path(active).resolve()] if active else [])}
    if (package_root / "dev").is_file() and prefix in dev_venvs:
        where = "" if cwd == package_root else f"cd {shlex.quote(str(package_root))} && "
        return f"{where}./dev setup sandbox"
    if (prefix / "pipx_metadata.json").is_file():
        return f"pipx inject {shlex.quote(prefix.name)} {shlex.quote(requirement)}"
    return f"{shlex.quote(executable)} -m pip install {shlex.quote(requirement)}"


def missing_extra_message() -> str:
    try:
        cwd = Path.cwd().resolve()
    except OSError:  # a directory removed under the shell
        cwd = Path("/")
    fix = install_fix(
        package_root=Path(__file__).resolve().parent.parent.parent,
        prefix=Path(sys.prefix).resolve(),
        executable=sys.executable,
        environ=os.environ,
        cwd=cwd,
        requirement=moto_requirement(),
    )
    return f"the sandbox needs moto's server: {fix}"
