"""ecrctl sso login|logout: sign in with IAM Identity Center, without the aws CLI.

The token goes where the aws CLI v2 and botocore keep it (``~/.aws/sso/cache``), so either
tool's sign-in serves both, and one sign-in serves every profile of an sso-session.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Annotated

import typer

from ecrctl.cli.common import say, state
from ecrctl.cli.output import View
from ecrctl.core.exceptions import SignInRequired
from ecrctl.core.sso.config import SsoProfile

app = typer.Typer(
    help="Sign in with IAM Identity Center; the token is the aws CLI v2's, shared with it.",
    no_args_is_help=True,
)

NoBrowser = Annotated[
    bool,
    typer.Option(
        "--no-browser",
        help="Print the URL and code only (and wait off a terminal too, as aws sso login does).",
    ),
]


def _hint_profile(profile: SsoProfile) -> str | None:
    return None if profile.profile == "default" else profile.profile


def _can_open_browser(environ: Mapping[str, str]) -> bool:
    """A browser can be shown: BROWSER names one, or there is a desktop to open it on."""
    if environ.get("BROWSER") or sys.platform in ("darwin", "win32"):
        return True
    return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


def _open_browser(url: str) -> bool:
    """Open ``url`` in the person's browser (Python's webbrowser, which honours BROWSER). What
    a launcher prints goes to stderr: stdout holds results only."""
    import webbrowser

    sys.stdout.flush()
    try:
        saved: int | None = os.dup(1)
        os.dup2(2, 1)
    except OSError:
        saved = None
    try:
        return bool(webbrowser.open_new_tab(url))
    except webbrowser.Error:
        return False
    finally:
        if saved is not None:
            os.dup2(saved, 1)
            os.close(saved)


@app.command("login")
def login(ctx: typer.Context, no_browser: NoBrowser = False) -> None:
    """Sign in with IAM Identity Center: approve a code in the browser, and the token is kept
    where the aws CLI and botocore read it (one sign-in serves every profile of the session).
    Off a terminal it waits for the approval only with --no-browser; otherwise exit 4."""
    from ecrctl.core.sso.cache import SsoCache, format_time
    from ecrctl.core.sso.device import DeviceCode
    from ecrctl.core.sso.signin import sign_in

    app_state = state(ctx)
    clients = app_state.clients()
    profile = clients.sso_profile()
    streams = app_state.streams
    if not no_browser and not streams.interactive:
        raise SignInRequired(
            "no terminal to sign in on (a person approves the sign-in in a browser)",
            _hint_profile(profile),
            options=" on a terminal, or add --no-browser to print the code and wait here",
        )

    def show(code: DeviceCode) -> None:
        say(f"Sign in to {profile.start_url} (profile {profile.profile}):")
        say(f"  open  {code.verification_uri}")
        say(f"  code  {code.user_code}")
        minutes = max(code.expires_in // 60, 1)
        if no_browser:
            opened = "Open the page on any device"
        elif _can_open_browser(streams.environ) and _open_browser(code.verification_uri_complete):
            opened = "Opened the page, code filled in, in your browser"
        else:
            opened = "No browser to open here: open the page on any device"
        say(f"{opened}; waiting for the approval (the code expires in {minutes} min) ...")

    result = sign_in(
        profile,
        oidc=clients.sso_oidc(profile.region),
        portal=clients.sso_portal(profile.region),
        cache=SsoCache(),
        on_code=show,
    )
    until = format_time(result.expires_at)
    if result.role_checked:
        say(
            f"Signed in: profile {profile.profile} reaches account {profile.account} "
            f"as {profile.role} until {until}"
        )
    else:
        say(f"Signed in to {profile.start_url} until {until}")
    app_state.emit(View(doc=result.to_json(), headers=("profile",), rows=[], text=[]))


@app.command("logout")
def logout(ctx: typer.Context) -> None:
    """Sign out: end the session at the portal while its token is valid, and remove the
    cached token (every profile sharing the sign-in needs ecrctl sso login again)."""
    from ecrctl.core.sso.cache import SsoCache
    from ecrctl.core.sso.signin import sign_out

    app_state = state(ctx)
    clients = app_state.clients()
    profile = clients.sso_profile()
    result = sign_out(
        profile,
        portal=lambda: clients.sso_portal(profile.region),
        cache=SsoCache(),
        warn=lambda message: say(f"ecrctl: warning: {message}"),
    )
    if result.removed:
        say(f"Signed out of {profile.signs_in_as} (profile {profile.profile})")
    else:
        say(f"Not signed in to {profile.signs_in_as}: no cached token (profile {profile.profile})")
    app_state.emit(View(doc=result.to_json(), headers=("profile",), rows=[], text=[]))


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="sso")
