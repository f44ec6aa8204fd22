"""Options that several commands declare alike: copy's, sync's and promote's (the two sides'
profiles, referrers, registries reached over plain HTTP, one platform of an index), and the
--fail-on gate of scan and images."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ecrctl.cli.completers import complete_severity
from ecrctl.core.exceptions import InvalidInput
from ecrctl.core.severities import SEVERITIES


def _side_profile(flag: str, side: str) -> Any:
    """--from-profile or --to-profile: the AWS profile one side of a copy is reached with."""
    return typer.Option(flag, metavar="PROFILE", help=f"AWS profile of the {side} side.")


FromProfile = Annotated[str | None, _side_profile("--from-profile", "source")]
ToProfile = Annotated[str | None, _side_profile("--to-profile", "destination")]
WithReferrers = Annotated[
    bool,
    typer.Option("--with-referrers", help="Also copy signatures, SBOMs and other referrers."),
]
InsecureRegistry = Annotated[
    list[str] | None,
    typer.Option(
        "--insecure-registry",
        metavar="HOST",
        help="Plain HTTP for HOST (loopback hosts always are).",
    ),
]


def insecure_hosts(given: list[str] | None) -> frozenset[str]:
    """--insecure-registry's hosts, as compared (lower case)."""
    return frozenset(h.lower() for h in given or [])


def check_platform(platform: str | None) -> None:
    """--platform is OS/ARCH or OS/ARCH/VARIANT."""
    if platform and platform.count("/") not in (1, 2):
        raise InvalidInput(f"invalid --platform {platform!r}: expected OS/ARCH[/VARIANT]")


def fail_on_option(condition: str) -> Any:
    """--fail-on SEVERITY: exit 5 if ``condition`` (its help lists the severities)."""
    return typer.Option(
        "--fail-on",
        metavar="SEVERITY",
        autocompletion=complete_severity,
        help=f"Exit 5 if {condition}: " + ", ".join(SEVERITIES) + ".",
    )
