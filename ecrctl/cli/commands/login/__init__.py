"""ecrctl login: docker credentials for ECR without a docker daemon; login status."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ecrctl.cli.commands.login.lines import login_line, token_cache
from ecrctl.cli.common import AppState, FleetOptions, grouped, say, state
from ecrctl.cli.output import View
from ecrctl.core.exceptions import InvalidInput

if TYPE_CHECKING:
    from ecrctl.core.login.login import LoginMode, RegistryLogin

from ecrctl.cli.common import Registries


def _explicit_profile(ctx: typer.Context) -> str | None:
    """--profile on the command line (AWS_PROFILE does not override config.toml)."""
    value = ctx.find_root().params.get("profile")
    return value if isinstance(value, str) and value else None


@grouped
def login(
    ctx: typer.Context,
    registries: Registries = None,
    print_password: Annotated[
        bool,
        typer.Option(
            "--print-password",
            help="Print only the password (for docker login --password-stdin, podman, helm, "
            "skopeo); write no config.",
        ),
    ] = False,
    helper: Annotated[
        bool,
        typer.Option(
            "--helper",
            help="Write credHelpers[HOST] = 'ecrctl': docker, skopeo and buildah then get "
            "fresh tokens from docker-credential-ecrctl themselves.",
        ),
    ] = False,
    public: Annotated[
        bool, typer.Option("--public", help="Log in to ECR Public (public.ecr.aws).")
    ] = False,
    fleet_options: FleetOptions = FleetOptions(),
) -> None:
    """Log docker in to ECR: writes the docker config itself (no daemon, no docker CLI needed).

    `ecrctl login status` lists the ECR registries in the docker config and when their tokens
    expire. Registries in one region take one GetAuthorizationToken call. Per-registry profiles
    come from ~/.config/ecrctl/config.toml ([registries."HOST"] profile = "dev").
    """
    from ecrctl.core.login.dockerconfig import HELPER_NAME
    from ecrctl.core.login.login import choose_profile, log_in, plan_login
    from ecrctl.core.login.userconfig import load_user_config

    names = list(registries or [])
    app_state = state(ctx)
    if names == ["status"]:
        if print_password or helper or public:
            raise InvalidInput("ecrctl login status takes no options")
        _status(app_state)
        return
    if print_password and helper:
        raise InvalidInput("--print-password and --helper do not go together: pick one")
    if fleet_options.wanted:
        from ecrctl.cli.commands.login.fleet import login_everywhere

        if names or print_password or public:
            raise InvalidInput(
                "--profiles/--regions/--accounts log in to each one's own registry: "
                "give no REGISTRY, --print-password or --public"
            )
        if helper and fleet_options.org_given:
            raise InvalidInput(
                "--helper with --accounts: the credential helper reaches a registry through a "
                "profile; drop --helper to store each account's token in the docker config"
            )
        login_everywhere(app_state, fleet_options, helper=helper)
        return
    settings = app_state.settings
    mode: LoginMode = "password" if print_password else "helper" if helper else "store"
    profile_for = choose_profile(_explicit_profile(ctx), load_user_config(), settings.profile)
    requests = plan_login(
        names,
        registry_id=settings.registry_id,
        region=settings.region,
        profile_for=profile_for,
        public=public,
        mode=mode,
    )
    from ecrctl import tokens

    result = log_in(
        requests,
        lambda request: tokens.fetch(settings, request),
        mode=mode,
        endpoint_url=settings.endpoint_url,
        cache=token_cache(),
        on_login=_say_login,
    )
    if result.password is not None:
        (login,) = result.logins
        doc = {"registry": login.host, "password": result.password}
        app_state.emit(View(doc=doc, rows=[[result.password]], text=[[result.password]]))
        return
    if result.helper_missing:
        say(
            f"warning: docker-credential-{HELPER_NAME} is not on PATH; docker cannot call it "
            "until it is (it is installed with ecrctl)"
        )
    say("Login Succeeded")
    # Nothing on stdout unless asked for (-o json): the document is for scripts.
    app_state.emit(
        View(doc=result.to_json(), headers=("registry", "store", "expires"), rows=[], text=[])
    )


def _say_login(login: RegistryLogin) -> None:
    say(login_line(login))


def _status(app_state: AppState) -> None:
    from datetime import UTC, datetime

    from ecrctl.cli.output import short_time
    from ecrctl.core.login.dockerconfig import DockerConfig
    from ecrctl.core.login.status import registry_status
    from ecrctl.core.models import iso

    docker_config = DockerConfig()
    statuses = registry_status(docker_config.entries(), token_cache(), now=datetime.now(UTC))
    docs = [s.to_json() for s in statuses]
    rows = [
        [s.host, s.store, short_time(iso(s.expires_at)) if s.expires_at else "-", s.state]
        for s in statuses
    ]
    text = [[s.host, s.store, iso(s.expires_at) or "-", s.state] for s in statuses]
    if not statuses:
        say(f"no ECR registry in {docker_config.path}; run ecrctl login")
    app_state.emit(
        View(
            doc=docs, headers=("registry", "store", "expires (UTC)", "state"), rows=rows, text=text
        )
    )


def register(app: typer.Typer) -> None:
    app.command("login")(login)
