"""Shell completion of repository names from the registry (best effort, quick, silent)."""

from __future__ import annotations

import os

import typer


def complete_repository(ctx: typer.Context, incomplete: str) -> list[str]:
    if "/" in incomplete and "." in incomplete.split("/", 1)[0]:
        return []  # a pasted URI: nothing to offer
    try:
        from botocore.config import Config

        from ecrctl.core.repos import RepositoryService
        from ecrctl.session import Clients, resolve_settings

        root = ctx.find_root().params
        settings = resolve_settings(
            profile=root.get("profile"),
            region=root.get("region"),
            endpoint_url=root.get("endpoint_url"),
            registry_id=root.get("registry_id"),
            debug=False,
        )
        clients = Clients(settings)
        ecr = clients.session.client(
            "ecr",
            region_name=clients.region,
            endpoint_url=settings.endpoint_url,
            config=Config(connect_timeout=2, read_timeout=3, retries={"max_attempts": 1}),
        )
        names = [r.name for r in RepositoryService(ecr, settings.registry_id).list_all(incomplete)]
    except Exception:
        if os.environ.get("ECRCTL_DEBUG_COMPLETION"):
            raise
        return []
    return names


COMPLETION_FILES = {"bash": "ecrctl.bash", "zsh": "_ecrctl", "fish": "ecrctl.fish"}


def completion_scripts() -> dict[str, str]:
    """The checked-in scripts of completions/, generated from the app (file name -> text).

    The scripts ask ``ecrctl`` itself for candidates (``_ECRCTL_COMPLETE``), so every command,
    option and repository name completes from the installed version.
    """
    from typer._completion_shared import get_completion_script

    return {
        filename: get_completion_script(
            prog_name="ecrctl", complete_var="_ECRCTL_COMPLETE", shell=shell
        ).rstrip()
        + "\n"
        for shell, filename in COMPLETION_FILES.items()
    }


if __name__ == "__main__":  # python -m ecrctl.cli.completion completions/
    import sys
    from pathlib import Path

    target = Path(sys.argv[1] if len(sys.argv) > 1 else "completions")
    target.mkdir(exist_ok=True)
    for name, text in completion_scripts().items():
        (target / name).write_text(text)
        print(target / name)
