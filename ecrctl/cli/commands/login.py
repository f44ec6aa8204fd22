"""ecrctl login: docker credentials for ECR without a docker daemon; login status."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from ecrctl.cli.common import AppState, Profiles, Regions, say, state, wanted
from ecrctl.cli.output import View
from ecrctl.core.exceptions import InvalidInput

if TYPE_CHECKING:
    from ecrctl.core.login.targets import RegistryToken

from ecrctl.cli.common import Registries


def _explicit_profile(ctx: typer.Context) -> str | None:
    """--profile on the command line (AWS_PROFILE does not override config.toml)."""
    value = ctx.find_root().params.get("profile")
    return value if isinstance(value, str) and value else None


def expires_in(token: RegistryToken) -> str:
    from datetime import UTC, datetime

    left = token.expires_at - datetime.now(UTC)
    hours, rest = divmod(int(left.total_seconds()), 3600)
    return f"{hours}h{rest // 60:02d}m"


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
    profiles: Profiles = None,
    regions: Regions = None,
) -> None:
    """Log docker in to ECR: writes the docker config itself (no daemon, no docker CLI needed).

    `ecrctl login status` lists the ECR registries in the docker config and when their tokens
    expire. Registries in one region take one GetAuthorizationToken call. Per-registry profiles
    come from ~/.config/ecrctl/config.toml ([registries."HOST"] profile = "dev").
    """
    import shutil

    from ecrctl.core.login.cache import TokenCache, resolve_identity
    from ecrctl.core.login.dockerconfig import HELPER_NAME, DockerConfig
    from ecrctl.core.login.targets import plan_requests
    from ecrctl.core.login.userconfig import load_user_config
    from ecrctl.core.models import iso

    names = list(registries or [])
    app_state = state(ctx)
    if names == ["status"]:
        if print_password or helper or public:
            raise InvalidInput("ecrctl login status takes no options")
        _status(app_state)
        return
    if print_password and helper:
        raise InvalidInput("--print-password and --helper do not go together: pick one")
    if wanted(profiles, regions):
        from ecrctl.cli.fleet_login import login_everywhere

        if names or print_password or public:
            raise InvalidInput(
                "--profiles/--regions log in to each profile's own registry: "
                "give no REGISTRY, --print-password or --public"
            )
        login_everywhere(app_state, profiles, regions, helper=helper)
        return
    settings = app_state.settings
    explicit = _explicit_profile(ctx)
    user_config = load_user_config()

    def profile_for(host: str | None) -> str | None:
        return explicit or (host and user_config.profile_for(host)) or settings.profile

    requests = plan_requests(
        names,
        registry_id=settings.registry_id,
        region=settings.region,
        profile_for=profile_for,
        public=public,
    )
    wanted_count = sum(max(len(r.registry_ids), 1) for r in requests)
    if print_password and wanted_count != 1:
        raise InvalidInput("--print-password prints one password: name one registry")

    from ecrctl import tokens

    cache = TokenCache()
    docker_config = DockerConfig()
    results: list[dict[str, Any]] = []
    for request in requests:
        identity = resolve_identity(request.profile, endpoint_url=settings.endpoint_url)
        for token in tokens.fetch(settings, request):
            tokens.remember(cache, token, identity)
            if print_password:
                app_state.emit(
                    View(
                        doc={"registry": token.host, "password": token.password},
                        rows=[[token.password]],
                        text=[[token.password]],
                    )
                )
                return
            if helper:
                docker_config.use_helper(token.host)
                where = f"credHelpers {HELPER_NAME}"
            else:
                where = docker_config.store(token.host, token.username, token.password).store
            results.append({**token.to_json(), "store": where})
            say(
                f"{token.host}: {where} in {docker_config.path}; token expires "
                f"{iso(token.expires_at)} (in {expires_in(token)})"
            )
    if helper and shutil.which(f"docker-credential-{HELPER_NAME}") is None:
        say(
            f"warning: docker-credential-{HELPER_NAME} is not on PATH; docker cannot call it "
            "until it is (it is installed with ecrctl)"
        )
    say("Login Succeeded")
    # Nothing on stdout unless asked for (-o json): the document is for scripts.
    app_state.emit(View(doc=results, headers=("registry", "store", "expires"), rows=[], text=[]))


def _status(app_state: AppState) -> None:
    from datetime import UTC, datetime

    from ecrctl.cli.output import short_time
    from ecrctl.core.login.cache import TokenCache
    from ecrctl.core.login.dockerconfig import DockerConfig
    from ecrctl.core.login.status import registry_status
    from ecrctl.core.models import iso

    docker_config = DockerConfig()
    statuses = registry_status(docker_config.entries(), TokenCache(), now=datetime.now(UTC))
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
